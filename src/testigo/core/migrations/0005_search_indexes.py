"""Indexes for the list pages at a million violations, different per database.

PostgreSQL: a trigram index makes the name search (``search_text LIKE '% frag%'``) an index
lookup instead of a scan of every person; an index on the violation date keeps a month filter on
a quiet month from scanning. SQLite: an FTS5 index over the search keys of persons and records
(`testigo.core.search_index`). No date index on SQLite: with one, its planner sorts a busy
month (200,000 rows) instead of walking the newest violations (1.9 s instead of 1 ms, measured
in bench/web).
"""

from django.db import migrations

from testigo.core.search_index import drop_search_index, ensure_search_index

POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS core_person_search_text_trgm "
    "ON core_person USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS core_record_search_text_trgm "
    "ON core_record USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS core_violation_date_idx ON core_violation (date)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS core_person_search_text_trgm",
    "DROP INDEX IF EXISTS core_record_search_text_trgm",
    "DROP INDEX IF EXISTS core_violation_date_idx",
]


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for sql in POSTGRESQL_FORWARD:
            schema_editor.execute(sql)
    ensure_search_index(connection)


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for sql in POSTGRESQL_BACKWARD:
            schema_editor.execute(sql)
    drop_search_index(connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_person_merged_into")]
    operations = [migrations.RunPython(forward, backward)]

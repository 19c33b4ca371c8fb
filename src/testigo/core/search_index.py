# ruff: noqa: S608 - the SQL is built from the constant table names in SEARCHED_TABLES
"""The name-search index, one per database engine.

Name search looks for search-key words that begin with a fragment (``search_text LIKE
'% frag%'``, see `selectors.search_filter`). Without an index that reads every person or
record. PostgreSQL gets a trigram index in migration 0005 and keeps the ``LIKE``. SQLite has
no trigram index, so it gets an FTS5 table over ``search_text`` (external content: the text
stays in the model's table) kept in step by triggers, and the filter becomes a prefix
``MATCH``. Written here rather than taken from a library: the Django FTS packages we found
target PostgreSQL only.

Django rebuilds a SQLite table to alter it, which drops its triggers; `ensure_search_index`
runs after every ``migrate`` and restores them (and refills the index) when they are missing.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

#: Tables with a ``search_text`` column that name search reads.
SEARCHED_TABLES = ("core_person", "core_record")


def fts_table(table: str) -> str:
    return f"{table}_fts"


def _insert_trigger(table: str) -> str:
    """The trigger that indexes each inserted row (`BulkIndexing` lifts it for a while)."""
    fts = fts_table(table)
    return (
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END"
    )


def _statements(table: str) -> list[str]:
    fts = fts_table(table)
    # An apostrophe belongs to the word ("d'ambrosyo"), as in the LIKE it replaces.
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_text, content='{table}', "
        f"content_rowid='id', tokenize=\"unicode61 tokenchars ''''\", prefix='2 3 4')",
        _insert_trigger(table),
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF search_text ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text); END",
    ]


class BulkIndexing:
    """Index rows inserted in bulk with one statement per batch instead of the per-row trigger.

    FTS5 writes its pending terms out at every statement that fires the insert trigger, so a
    million single-row inserts leave a million tiny index segments to merge: half of a large
    import's time on SQLite. Inside the caller's transaction, `start` drops the insert trigger,
    `add` indexes a range of ids just inserted, and `finish` recreates the trigger. SQLite's
    schema changes are transactional: if the transaction rolls back, the trigger was never
    gone; other connections keep seeing it throughout (they read the last commit). Does
    nothing on other databases.
    """

    def __init__(self, connection: BaseDatabaseWrapper, table: str) -> None:
        self.connection = connection
        self.table = table
        self.active = False

    def start(self) -> None:
        if self.connection.vendor != "sqlite" or self.active:
            return
        if not self.connection.in_atomic_block:
            raise RuntimeError("bulk indexing must run inside a transaction")
        with self.connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {fts_table(self.table)}_ai")
        self.active = True

    def add(self, first_id: int, last_id: int) -> None:
        """Index the rows with ids first_id..last_id (inserted while the trigger was off)."""
        if not self.active:
            return
        fts = fts_table(self.table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {fts}(rowid, search_text) SELECT id, search_text "
                f"FROM {self.table} WHERE id BETWEEN %s AND %s",
                [first_id, last_id],
            )

    def finish(self) -> None:
        if not self.active:
            return
        with self.connection.cursor() as cursor:
            cursor.execute(_insert_trigger(self.table))
        self.active = False


def ensure_search_index(connection: BaseDatabaseWrapper) -> list[str]:
    """Create the SQLite search index and its triggers where missing; refill an index whose
    triggers had to be recreated. Returns the tables (re)built. Nothing to do elsewhere."""
    if connection.vendor != "sqlite":
        return []
    rebuilt = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        existing = {name for (name,) in cursor.fetchall()}
        for table in SEARCHED_TABLES:
            if table not in existing:
                continue
            fts = fts_table(table)
            wanted = {fts, f"{fts}_ai", f"{fts}_ad", f"{fts}_au"}
            if wanted <= existing:
                continue
            for sql in _statements(table):
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
            rebuilt.append(table)
    return rebuilt


def drop_search_index(connection: BaseDatabaseWrapper) -> None:
    """Remove the SQLite search index (migration 0005 reversed)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in SEARCHED_TABLES:
            fts = fts_table(table)
            for suffix in ("_ai", "_ad", "_au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {fts}{suffix}")
            cursor.execute(f"DROP TABLE IF EXISTS {fts}")


def match_expression(fragments: list[str]) -> str:
    """An FTS5 query for rows holding a word that begins with each fragment."""
    return " AND ".join('"' + fragment.replace('"', '""') + '"*' for fragment in fragments)


def uses_fts(connection: BaseDatabaseWrapper, model: Any) -> bool:
    return connection.vendor == "sqlite" and model._meta.db_table in SEARCHED_TABLES

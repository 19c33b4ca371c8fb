"""Name search through the database's index (FTS5 on SQLite, trigrams on PostgreSQL) finds
exactly what the plain ``LIKE`` on the search keys finds, and stays in step with edits."""

from __future__ import annotations

import pytest
from django.db import connection

from testigo.audit.context import acting_as
from testigo.core import search_index
from testigo.core.models import Person, Record, Source
from testigo.core.selectors import search_filter

pytestmark = pytest.mark.django_db

NAMES = [
    ("José Gregorio", "Pérez Rodríguez", "V-12.345.678"),
    ("María", "D'Ambrosio Ñáñez", ""),
    ("Yusmary", "González", "E-81.234.567"),
    ("Gregoria", "Pereira", ""),
]


@pytest.fixture
def persons(db):
    with acting_as("test"):
        return [
            Person.objects.create(
                pseudonym_code=f"V-{i:05d}", given_names=given, surnames=surnames, national_id=nid
            )
            for i, (given, surnames, nid) in enumerate(NAMES, start=1)
        ]


def found(query: str) -> set[str]:
    return set(search_filter(Person.objects.all(), query).values_list("pseudonym_code", flat=True))


def like_found(query: str) -> set[str]:
    """What the plain LIKE on the search keys finds: the reference the index must match."""
    from testigo.domain.search import query_keys

    qs = Person.objects.all()
    for key in query_keys(query):
        fragment = key if key.isdigit() else key[: max(3, min(len(key), 4))]
        qs = qs.filter(search_text__contains=f" {fragment}")
    return set(qs.values_list("pseudonym_code", flat=True))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Jose Peres Rodrigez", {"V-00001"}),
        ("gregor", {"V-00001", "V-00004"}),
        ("d'ambrosio", {"V-00002"}),
        ("Nañez", {"V-00002"}),
        ("12345678", {"V-00001"}),
        ("1234", {"V-00001"}),
        ("gonsales yusmari", {"V-00003"}),
        ('Pé"rez', set()),
        ("Pérez Nobody", set()),
    ],
)
def test_the_index_finds_what_the_search_keys_hold(persons, query, expected):
    assert found(query) == expected
    assert found(query) == like_found(query)


def test_an_edited_name_is_found_by_its_new_spelling_only(persons):
    with acting_as("test"):
        person = persons[3]
        person.surnames = "Castillo"
        person.save()
    assert found("Pereira") == {"V-00001"}  # "Pérez" begins alike; "Pereira" is gone
    assert found("Castiyo") == {"V-00004"}


def test_records_are_searched_too(persons):
    with acting_as("test"):
        source = Source.objects.create(name="NGO list", kind="ngo_list")
        Record.objects.create(
            source=source, external_key="7", given_names="Wilmer", surnames="Quintero"
        )
    hits = search_filter(Record.objects.all(), "Kintero Wilmer")
    assert list(hits.values_list("external_key", flat=True)) == ["7"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
def test_a_table_rebuild_that_drops_the_triggers_is_repaired_after_migrate(persons):
    with connection.cursor() as cursor:
        for suffix in ("_ai", "_ad", "_au"):
            cursor.execute(f"DROP TRIGGER core_person_fts{suffix}")
        cursor.execute("INSERT INTO core_person_fts(core_person_fts) VALUES ('delete-all')")
    with acting_as("test"):
        Person.objects.create(pseudonym_code="V-00099", given_names="Nueva", surnames="Persona")
    assert found("Nueva") == set()  # what a rebuilt table without triggers would do

    assert search_index.ensure_search_index(connection) == ["core_person"]

    assert found("Nueva") == {"V-00099"}
    assert found("Jose Peres") == {"V-00001"}
    assert search_index.ensure_search_index(connection) == []

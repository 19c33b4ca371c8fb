"""The fast writer writes what the ORM would: the same audit entries, a chain that verifies."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testigo.audit.models import AuditEntry
from testigo.audit.services import audit_verify, canonical_json, snapshot
from testigo.core.models import Record
from testigo.domain.search import search_text
from testigo.imports import rowwork
from testigo.imports.services import import_file

from .conftest import write_csv

pytestmark = pytest.mark.django_db


def test_the_worker_json_is_the_audit_logs_json():
    data = {"b": [1, None, {"ñ": 'José \u0000 "x"'}], "a": 1.5, "c": True}
    assert rowwork.canonical_json(data) == canonical_json(data)


def test_the_row_work_runs_without_django():
    code = "import sys, testigo.imports.rowwork; print('django' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_each_record_is_audited_with_the_snapshot_the_orm_would_record(tmp_path):
    header = ["Nº", "Nombre", "Estado", "Fecha", "Edad", "Hecho", "Notas"]
    first = write_csv(
        tmp_path / "a.csv",
        [
            header,
            ["1", "Ana Pérez", "Lara", "agosto 2024", "30", "detención y tortura", "=1+2"],
            ["2", "Luis", "", "", "", "", "100% %(id)s"],
        ],
    )
    mapping = {
        "key": "Nº",
        "columns": {
            "Nombre": "full_name",
            "Estado": "state",
            "Fecha": "event_date",
            "Edad": "age",
            "Hecho": {"field": "act", "multiple": True},
        },
    }
    import_file(actor="user:7:ana", path_or_file=first, source_name="Foro", mapping=mapping)
    second = write_csv(tmp_path / "b.csv", [header, ["1", "Ana Pérez", "Zulia", "", "", "", ""]])
    import_file(actor="user:7:ana", path_or_file=second, source_name="Foro", mapping=mapping)
    records = list(Record.objects.order_by("id"))
    assert [(r.external_key, r.version) for r in records] == [("1", 1), ("2", 1), ("1", 2)]
    assert records[2].supersedes == records[0]
    assert [p["code"] for p in records[0].problems] == ["formula_text", "more_act_types"]
    for record in records:
        entry = AuditEntry.objects.get(object_type="core.record", object_id=str(record.pk))
        assert (entry.action, entry.actor, entry.before) == ("create", "user:7:ana", "")
        assert entry.after == canonical_json(snapshot(record))
    assert audit_verify().intact


def test_ids_continue_after_the_records_already_there(tmp_path):
    from testigo.core.models import Source

    source = Source.objects.create(name="Otra", kind="ngo_list")
    existing = Record.objects.create(source=source, external_key="x")
    path = write_csv(tmp_path / "a.csv", [["Nombre"], ["Ana Pérez"], ["Luis Díaz"]])
    import_file(actor="test", path_or_file=path, source_name="Foro")
    created = Record.objects.filter(source__name="Foro").order_by("id")
    assert [r.pk for r in created] == [existing.pk + 1, existing.pk + 2]
    after = Record.objects.create(source=source, external_key="y")
    assert after.pk == existing.pk + 3


NAME_TEXT = st.text(alphabet="aábcçdeéfghiíjklmnñoópqrstuúüvwxyzAÁÉÍÑÓÚ 0123456789.-'", max_size=30)


@given(st.lists(NAME_TEXT, min_size=1, max_size=3))
@settings(max_examples=300, deadline=None)
def test_the_remembered_search_key_is_the_domains(parts):
    assert rowwork.search_text(*parts) == search_text(*parts)


def _index_check() -> None:
    """SQLite's own check that the FTS5 index holds exactly the table's search keys."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO core_record_fts(core_record_fts) VALUES ('integrity-check')")
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'core_record_fts_ai'")
        assert cursor.fetchone() is not None, "the insert trigger is back"


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "sqlite", reason="the FTS5 index is SQLite's"
)
def test_imported_records_are_in_the_name_search_index_and_later_records_too(tmp_path):
    from testigo.audit.context import acting_as
    from testigo.core.models import Source
    from testigo.core.selectors import search_filter

    names = ["Ana Pérez", "Rosa Pérez", "Luis Pérez", "Ana Mora", "Eva Pérez", "Wilmer Quintero"]
    rows = [["Nombre y apellido"], *[[name] for name in names]]
    import_file(
        actor="test", path_or_file=write_csv(tmp_path / "a.csv", rows), source_name="Foro",
        chunk_rows=2,
    )  # fmt: skip
    _index_check()
    hits = search_filter(Record.objects.all(), "Kintero Wilmer")
    assert list(hits.values_list("source_row", flat=True)) == [7]
    assert search_filter(Record.objects.all(), "Peres").count() == 4
    with acting_as("test"):  # after the import, single inserts are indexed by the trigger again
        Record.objects.create(
            source=Source.objects.get(name="Foro"), external_key="x", given_names="Yusmary"
        )
    assert search_filter(Record.objects.all(), "Yusmari").count() == 1
    _index_check()


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "sqlite", reason="the FTS5 index is SQLite's"
)
def test_an_import_refused_after_rows_were_written_leaves_the_index_and_its_trigger(tmp_path):
    rows = [
        ["Nº", "Nombre"],
        ["1", "Ana Pérez"],
        ["2", "Luis Díaz"],
        ["3", "Rosa Mora"],
        ["1", "X"],
    ]
    report = import_file(
        actor="test",
        path_or_file=write_csv(tmp_path / "a.csv", rows),
        source_name="Foro",
        mapping={"key": "Nº", "columns": {"Nombre": "full_name"}},
        chunk_rows=2,
    )
    assert not report.valid  # the duplicate key in the second chunk, after the first was written
    assert not Record.all_objects.exists()
    _index_check()

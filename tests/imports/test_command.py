"""`testigo import` on a messy Spanish list: the contract of DESIGN.md §6."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys

import pytest

from testigo.audit.models import AuditEntry
from testigo.audit.services import audit_verify
from testigo.core.models import Record, Source
from testigo.imports.models import ImportBatch, ImportMapping

from .conftest import HEADER, ROWS, kept_files, write_csv

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    return (
        Record.all_objects.count(),
        Source.all_objects.count(),
        ImportBatch.all_objects.count(),
        AuditEntry.objects.count(),
    )


def test_a_messy_list_without_a_mapping_is_refused_and_each_bad_value_is_named(
    messy_csv, run_import, data_dir
):
    before = counts()
    code, out, _ = run_import(str(messy_csv), "--source", "Foro Penal")
    assert code == 1
    assert (
        "lista.csv, row 9, column 'Fecha de detención': '30/02/2024' there is no day 30 in "
        "month 2 of 2024 (read as day first) [error]" in out
    )
    assert "lista.csv, row 9, column 'Tipo de hecho': 'retenida en alcabala'" in out
    assert "kept only in each record's raw row (not mapped): Observaciones" in out
    assert "'Falcón / Ciudad Fantasma': 1 rows; nearest: Sucre (VE-I/sucre)" in out
    assert out.rstrip().endswith("invalid input: nothing was written.")
    assert counts()[:3] == before[:3] == (0, 0, 0)
    assert kept_files(data_dir) == []


def test_the_json_report_gives_file_row_column_value_and_reason_for_each_problem(
    messy_csv, run_import
):
    code, out, _ = run_import(str(messy_csv), "--source", "Foro Penal", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False and report["written"] is False
    assert {
        "file": "lista.csv",
        "row": 9,
        "column": "Fecha de detención",
        "value": "30/02/2024",
        "reason": "there is no day 30 in month 2 of 2024 (read as day first)",
        "code": "date_unreadable",
        "severity": "error",
        "sheet": None,
    } in report["problems"]
    assert report["encoding"] == "latin-1" and report["delimiter"] == ";"
    assert report["mapped"]["Apellidos y nombres"] == "full_name_surnames_first"
    assert report["unmapped_with_data"] == ["Observaciones"]
    assert report["invalid"] == 1 and report["errors"] == 2
    assert report["unresolved_places"][0]["key"] == "falcon / ciudad fantasma"


def test_a_fixed_mapping_imports_every_row_with_its_provenance(
    messy_csv, fixed_mapping, run_import, data_dir
):
    code, out, _ = run_import(
        str(messy_csv), "--source", "Foro Penal", "--mapping", str(fixed_mapping)
    )
    assert code == 0, out
    assert "imported: 6 created, 0 new versions, 0 unchanged" in out
    digest = hashlib.sha256(messy_csv.read_bytes()).hexdigest()
    records = list(Record.objects.order_by("source_row"))
    assert [r.source_row for r in records] == [4, 5, 6, 7, 8, 9]
    assert {r.source_file_sha256 for r in records} == {digest}
    assert {r.source.name for r in records} == {"Foro Penal"}
    first = records[0]
    assert first.raw == dict(zip(HEADER, ROWS[0], strict=True))
    assert (first.given_names, first.surnames, first.national_id) == (
        "José Gregorio",
        "Pérez Rodríguez",
        "V12345678",
    )
    assert [str(r.event_date) if r.event_date else None for r in records] == [
        "2024-08-15",
        "2024-08-03",
        "2024-08",
        "2024-08-11/2024-08-20~",
        "2025-04-03",
        None,
    ]
    assert [r.place.code for r in records] == [
        "VE-K/iribarren",
        "VE-M/sucre",
        "VE-V/maracaibo",
        "VE-G/valencia",
        "VE-A/libertador",
        "VE-I/miranda",
    ]
    assert records[5].act_type.code == "arbitrary_detention"
    assert [p["code"] for p in records[5].problems] == ["date_unreadable"]
    assert records[5].raw["Fecha de detención"] == "30/02/2024"  # kept as the source said
    # The file itself is kept, named by its hash, readable by its owner only.
    assert kept_files(data_dir) == [digest]
    mode = stat.S_IMODE(os.stat(data_dir / "imports" / digest).st_mode)
    assert mode == 0o600
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.created_count, batch.sha256, batch.origin) == (
        "done",
        6,
        digest,
        "command",
    )
    assert audit_verify().intact


def test_formula_injection_is_stored_as_text(messy_csv, fixed_mapping, run_import):
    run_import(str(messy_csv), "--source", "Foro Penal", "--mapping", str(fixed_mapping))
    record = Record.objects.get(source_row=7)
    assert record.raw["Observaciones"] == '=HYPERLINK("http://x")'
    assert [p["code"] for p in record.problems] == ["formula_text"]


def test_the_saved_mapping_imports_the_next_file_in_one_line(
    messy_csv, fixed_mapping, run_import, tmp_path
):
    code, out, _ = run_import(
        str(messy_csv), "--source", "Foro Penal", "--mapping", str(fixed_mapping), "--save-mapping"
    )
    assert code == 0 and "the mapping is saved for 'Foro Penal'" in out
    saved = ImportMapping.objects.get(source__name="Foro Penal").mapping
    assert saved["places"] == {"Falcón / Ciudad Fantasma": "VE-I/miranda"}
    september = write_csv(
        tmp_path / "septiembre.csv",
        [
            HEADER,
            *ROWS,
            [
                "LÓPEZ ROSA",
                "16.777.888",
                "F",
                "02/09/2024",
                "Falcón",
                "Ciudad Fantasma",
                "retenida en alcabala",
                "",
            ],
        ],
    )
    code, out, _ = run_import(str(september), "--source", "Foro Penal")
    assert code == 0, out
    assert "mapping: saved" in out
    rosa = Record.objects.get(given_names="Rosa", surnames="López")
    assert rosa.place.code == "VE-I/miranda" and rosa.act_type.code == "arbitrary_detention"


def test_without_the_saved_mapping_the_recognised_headers_are_placed_and_the_rest_listed(
    messy_csv, fixed_mapping, run_import
):
    run_import(
        str(messy_csv), "--source", "Foro Penal", "--mapping", str(fixed_mapping), "--save-mapping"
    )
    code, out, _ = run_import(
        str(messy_csv), "--source", "Foro Penal", "--dry-run", "--ignore-saved-mapping"
    )
    assert code == 1 and "mapping: automatic" in out


def test_a_dry_run_writes_nothing_even_for_a_valid_file(
    messy_csv, fixed_mapping, run_import, data_dir
):
    before = counts()
    code, out, _ = run_import(
        str(messy_csv),
        "--source",
        "Foro Penal",
        "--mapping",
        str(fixed_mapping),
        "--dry-run",
        "--save-mapping",
    )
    assert code == 0
    assert "dry run, nothing written; an import would give 6 created" in out
    assert counts() == before
    assert kept_files(data_dir) == []
    assert not ImportMapping.objects.exists()


def test_the_command_shows_a_progress_bar_on_stderr_and_none_with_json(
    messy_csv, fixed_mapping, run_import, capsys
):
    capsys.readouterr()
    code, out, _ = run_import(
        str(messy_csv), "--source", "Foro Penal", "--mapping", str(fixed_mapping), "--dry-run"
    )
    bar = capsys.readouterr().err
    assert code == 0 and "lista.csv: 100%|" in bar and "6 rows" in bar
    assert "100%" not in out  # the report stays clean for a pipe

    code, out, _ = run_import(
        str(messy_csv), "--source", "Foro Penal", "--mapping", str(fixed_mapping), "--dry-run",
        "--json",
    )  # fmt: skip
    assert code == 0 and capsys.readouterr().err == ""
    assert json.loads(out)["records"] == 6


def test_reimporting_the_same_file_adds_no_records(messy_csv, fixed_mapping, run_import):
    args = (str(messy_csv), "--source", "Foro Penal", "--mapping", str(fixed_mapping))
    run_import(*args)
    records = list(Record.objects.values_list("id", "version").order_by("id"))
    audited = AuditEntry.objects.filter(object_type="core.record").count()
    code, out, _ = run_import(*args)
    assert code == 0
    assert "imported: 0 created, 0 new versions, 6 unchanged" in out
    assert list(Record.objects.values_list("id", "version").order_by("id")) == records
    assert AuditEntry.objects.filter(object_type="core.record").count() == audited


def test_a_changed_row_becomes_a_new_version_of_its_record(tmp_path, run_import):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("key: Nº\ncolumns: {Nombre: full_name, Estado: state}\n", "utf-8")
    first = write_csv(
        tmp_path / "a.csv",
        [["Nº", "Nombre", "Estado"], ["A1", "Ana Pérez", "Lara"], ["A2", "Luis Díaz", "Zulia"]],
    )
    run_import(str(first), "--source", "Foro", "--mapping", str(mapping))
    # Rows re-sorted, one corrected, one new: the key, not the row number, says which is which.
    second = write_csv(
        tmp_path / "b.csv",
        [
            ["Nº", "Nombre", "Estado"],
            ["A3", "Rosa Mora", "Lara"],
            ["A2", "Luis Díaz", "Falcón"],
            ["A1", "Ana Pérez", "Lara"],
        ],
    )
    code, out, _ = run_import(str(second), "--source", "Foro", "--mapping", str(mapping))
    assert code == 0, out
    assert "imported: 1 created, 1 new versions, 1 unchanged" in out
    old, new = Record.objects.filter(external_key="A2").order_by("version")
    assert (old.version, new.version, new.supersedes_id) == (1, 2, old.pk)
    assert (old.place.code, new.place.code) == ("VE-V", "VE-I")
    assert Record.objects.filter(external_key="A1").count() == 1
    assert new.source_row == 3 and new.source_file_sha256 != old.source_file_sha256


def test_without_a_key_column_the_row_number_is_the_key(
    messy_csv, fixed_mapping, run_import, tmp_path
):
    run_import(str(messy_csv), "--source", "Foro Penal", "--mapping", str(fixed_mapping))
    rows = [list(r) for r in ROWS]
    rows[0][3] = "16/08/2024"
    changed = write_csv(tmp_path / "lista2.csv", [HEADER, *rows])
    # No title row this time: the same rows are two rows higher, so they read as changed.
    code, out, _ = run_import(
        str(changed), "--source", "Foro Penal", "--mapping", str(fixed_mapping), "--json"
    )
    report = json.loads(out)
    assert code == 0 and report["key_column"] is None
    assert (report["created"], report["new_versions"], report["unchanged"]) == (2, 4, 0)


def test_a_key_that_repeats_in_the_file_is_an_error(tmp_path, run_import):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("key: Nº\ncolumns: {Nombre: full_name}\n", "utf-8")
    path = write_csv(tmp_path / "a.csv", [["Nº", "Nombre"], ["A1", "Ana Pérez"], ["A1", "Luis"]])
    code, out, _ = run_import(str(path), "--source", "Foro", "--mapping", str(mapping), "--json")
    assert code == 1
    [problem] = [p for p in json.loads(out)["problems"] if p["severity"] == "error"]
    assert (problem["row"], problem["column"], problem["code"]) == (3, "Nº", "duplicate_key")
    assert problem["reason"] == "the same key as row 2: each key names one row"
    assert not Record.objects.exists()


def test_a_mapping_that_names_an_unknown_field_is_refused_by_name(tmp_path, run_import, messy_csv):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns: {C.I.: cedula}\n", "utf-8")
    code, _, err = run_import(str(messy_csv), "--source", "Foro", "--mapping", str(mapping))
    assert code == 1 and "unknown field 'cedula'" in err


def test_the_command_exits_1_from_the_shell_for_invalid_input(messy_csv, tmp_path):
    env = {
        **os.environ,
        "TESTIGO_DATA_DIR": str(tmp_path / "shell"),
        "TESTIGO_DATABASE_URL": f"sqlite:///{tmp_path / 'shell.sqlite3'}",
    }
    testigo = [sys.executable, "-m", "testigo.cli"]
    subprocess.run([*testigo, "migrate", "-v0"], env=env, check=True)
    done = subprocess.run(
        [*testigo, "import", str(messy_csv), "--source", "Foro", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["errors"] == 2

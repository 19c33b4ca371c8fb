"""Every bad input of issue #4 reaches the person running `testigo import` as a clear message,
exit status 1, and nothing written (DESIGN.md §5)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from testigo.audit.models import AuditEntry
from testigo.core.models import Record, Source
from testigo.imports.models import ImportBatch

from .conftest import kept_files, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def refused(run_import, path: Path, *extra: str) -> dict:
    """Run the command as an import (not a dry run) and check it wrote nothing."""
    entries = AuditEntry.objects.count()
    code, out, err = run_import(str(path), "--source", "Foro", "--json", *extra)
    assert code == 1, (out, err)
    assert not Record.all_objects.exists()
    assert not Source.all_objects.exists()
    assert not ImportBatch.all_objects.exists()
    assert AuditEntry.objects.count() == entries
    report = json.loads(out)
    assert report["valid"] is False and report["written"] is False
    return report


def fatal(report: dict) -> tuple[str, str]:
    return report["fatal"]["code"], report["fatal"]["reason"]


def test_an_empty_file_is_refused(tmp_path, run_import, data_dir):
    path = tmp_path / "vacio.csv"
    path.write_bytes(b"")
    report = refused(run_import, path)
    assert fatal(report) == ("empty_file", "vacio.csv: the file is empty (0 bytes)")
    assert kept_files(data_dir) == []


def test_a_file_with_only_a_header_is_refused(tmp_path, run_import):
    path = write_csv(tmp_path / "encabezado.csv", [["Nombres", "Apellidos", "Cédula"]])
    report = refused(run_import, path)
    assert report["fatal"] is None
    assert [(p["code"], p["reason"]) for p in report["problems"]] == [
        ("no_rows", "the file has a header but no data rows")
    ]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("Фамилия,Имя\nИванов,Иван\n".encode("koi8-r"), id="cyrillic-koi8-r"),
        pytest.param("Nombre,Estado\nJosé,Mérida\n".encode("utf-16-le"), id="utf-16-no-bom"),
    ],
)
def test_a_file_in_an_unknown_encoding_is_refused(tmp_path, run_import, payload):
    path = tmp_path / "extraño.csv"
    path.write_bytes(payload)
    code, reason = fatal(refused(run_import, path))
    assert code == "unknown_encoding"
    assert reason.startswith("extraño.csv")
    assert "UTF-8" in reason


def test_a_file_that_turns_into_another_encoding_halfway_is_refused(tmp_path, run_import):
    lines = ["Nombre,Estado"] + [f"José Pérez {chr(97 + i % 26)},Lara" for i in range(2500)]
    path = tmp_path / "mezcla.csv"
    path.write_bytes("\n".join(lines).encode() + b"\nMar\xeda,Lara\n")
    code, reason = fatal(refused(run_import, path))
    assert code == "unknown_encoding"
    assert reason.startswith("mezcla.csv: byte 50,017 (0xED) is not valid utf-8")


def test_duplicate_column_names_are_refused_naming_them(tmp_path, run_import):
    path = write_csv(
        tmp_path / "dup.csv",
        [["Nombre", "Fecha", "Estado", "Fecha"], ["Ana Pérez", "2024", "Lara", "2023"]],
    )
    code, reason = fatal(refused(run_import, path))
    assert code == "duplicate_columns"
    assert "'Fecha' in columns B, D" in reason


def test_a_file_longer_than_the_row_limit_stops_there_with_a_clear_message(tmp_path, run_import):
    """Two chunks of rows are written before the limit is reached; they are rolled back."""
    rows = [["Nombre", "Estado"]] + [
        [f"José Pérez {chr(97 + i % 26)}", "Lara"] for i in range(3000)
    ]
    path = write_csv(tmp_path / "larga.csv", rows)
    report = refused(run_import, path, "--row-limit", "2000")
    assert fatal(report) == (
        "row_limit",
        "larga.csv: more than 2,000 data rows; reading stopped at row 2,002. Split the file, "
        "or raise the row limit",
    )
    assert report["records"] == 2000


def test_a_text_file_named_xlsx_is_refused_as_malformed(tmp_path, run_import):
    path = tmp_path / "lista.xlsx"
    path.write_text("Nombre,Cédula\nAna,123\n", encoding="utf-8")
    code, reason = fatal(refused(run_import, path))
    assert code == "malformed_file"
    assert reason.startswith("lista.xlsx: not a valid XLSX workbook: it is not a zip")


def test_a_truncated_xlsx_is_refused_as_malformed(tmp_path, run_import):
    good = write_xlsx(tmp_path / "good.xlsx", [["Nombre"], *[[f"P{i}"] for i in range(500)]])
    path = tmp_path / "cortado.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    code, reason = fatal(refused(run_import, path))
    assert code == "malformed_file" and "damaged or truncated" in reason


def test_a_zip_bomb_xlsx_is_refused_before_it_is_unpacked(tmp_path, run_import):
    base = write_xlsx(tmp_path / "base.xlsx", [["Nombre"], ["Ana"]])
    path = tmp_path / "bomba.xlsx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                dst.writestr(item.filename, b" " * (40 << 20))  # 40 MiB of spaces, ~40 KiB zipped
            else:
                dst.writestr(item, src.read(item))
    code, reason = fatal(refused(run_import, path))
    assert code == "unsafe_file"
    assert "refused as a possible zip bomb" in reason


def test_a_legacy_xls_is_refused_with_advice(tmp_path, run_import):
    path = tmp_path / "viejo.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    code, reason = fatal(refused(run_import, path))
    assert code == "unsupported_format" and "save it as .xlsx" in reason


def test_mixed_date_formats_are_each_read_and_only_impossible_dates_refused(tmp_path, run_import):
    path = write_csv(
        tmp_path / "fechas.csv",
        [
            ["Nombre", "Fecha de detención"],
            ["Ana Pérez", "15/08/2024"],
            ["Luis Díaz", "2024-08-03"],
            ["Rosa Mora", "agosto 2024"],
            ["Juan Gil", "mediados de agosto de 2024"],
            ["Eva Paz", "31/09/2024"],
        ],
    )
    report = refused(run_import, path)
    [error] = [p for p in report["problems"] if p["severity"] == "error"]
    assert (error["row"], error["value"], error["code"]) == (6, "31/09/2024", "date_unreadable")

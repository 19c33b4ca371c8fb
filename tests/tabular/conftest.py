"""Files for the tabular tests, written by the tests themselves into tmp_path."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pytest
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from testigo.domain.reported import ReportedContext
from testigo.tabular import context_from_pack

TODAY = date(2025, 9, 1)

#: A messy Spanish list as an NGO keeps it: a title row, one full-name column written surnames
#: first, dates in mixed formats, place names with typos, a free-text act column.
MESSY_HEADER = [
    "Apellidos y nombres",
    "C.I.",
    "Sexo",
    "Fecha de detención",
    "Estado",
    "Municipio",
    "Tipo de hecho",
    "Observaciones",
]
MESSY_ROWS = [
    ["PÉREZ RODRÍGUEZ JOSÉ GREGORIO", "V-12.345.678", "M", "15/08/2024", "Lara", "Iribaren",
     "detenido", ""],
    ["GONZÁLEZ DE MÉNDEZ MARÍA DEL VALLE", "13456789", "F", "2024-08-03", "Miranda", "Sucre",
     "desaparecida", "sin contacto con familiares"],
    ["MORA PEDRO LUIS", "V 9.876.543", "Masculino", "agosto 2024", "Zulai", "Maracaibo",
     "detención y tortura", ""],
    ["NÚÑEZ ANA", "no posee", "F", "mediados de agosto de 2024", "Carabobo", "Valencia",
     "detenida", "=HYPERLINK(\"http://x\")"],
    ["DÍAZ LUIS", "14.555.666", "M", "03/04/2025", "Distrito Capital", "Libertador",
     "detenido", ""],
    ["ROJAS CARMEN", "15.666.777", "F", "30/02/2024", "Falcón", "Ciudad Fantasma",
     "retenida en alcabala", ""],
]  # fmt: skip


@pytest.fixture
def today() -> date:
    """The reference day for dates in the tests (dates after it are errors)."""
    return TODAY


@pytest.fixture(scope="session")
def reported_context() -> ReportedContext:
    return context_from_pack("ve")


def _write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """Text that starts with "=" is written as text (as a spreadsheet stores '=...)."""
    book = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"
                cells.append(cell)
            sheet.append(cells)
    book.save(path)
    return path


@pytest.fixture
def write_xlsx() -> Callable[[Path, dict[str, Sequence[Sequence[Any]]]], Path]:
    """write_xlsx(path, {"Hoja1": [[...header...], [...row...]]})"""
    return _write_xlsx


_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2"
  manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def _ods_cell(value: Any) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return (
            f'<table:table-cell office:value-type="boolean" office:boolean-value='
            f'"{str(value).lower()}"><text:p>{value}</text:p></table:table-cell>'
        )
    if isinstance(value, date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
        "</table:table-cell>"
    )


def _write_ods(path: Path, sheets: dict[str, Sequence[Sequence[Any]]]) -> Path:
    """A minimal OpenDocument spreadsheet (mimetype, manifest, content.xml), as LibreOffice
    writes it; no ODS writer library is needed."""
    tables = "".join(
        f"<table:table table:name={quoteattr(title)}>"
        + "".join(
            "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
            for row in rows
        )
        + "</table:table>"
        for title, rows in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)  # fmt: skip
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


@pytest.fixture
def write_ods() -> Callable[[Path, dict[str, Sequence[Sequence[Any]]]], Path]:
    """write_ods(path, {"Hoja1": [[...header...], [...row...]]})"""
    return _write_ods


def _write_csv(
    path: Path, rows: Sequence[Sequence[str]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    lines = [delimiter.join(_quote(cell, delimiter) for cell in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _quote(cell: str, delimiter: str) -> str:
    if any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@pytest.fixture
def write_csv() -> Callable[..., Path]:
    """write_csv(path, rows, encoding="utf-8", delimiter=",")"""
    return _write_csv


@pytest.fixture
def messy_rows() -> list[list[str]]:
    return [["Listado de detenidos - actualizado al 31/08/2024"], [], MESSY_HEADER, *MESSY_ROWS]

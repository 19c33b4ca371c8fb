"""Files for the import tests, written by the tests into tmp_path, and a way to run the command."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

#: A messy Spanish list as an NGO keeps it: a title row, one full-name column written surnames
#: first, dates in mixed formats, place names with typos, free-text acts, an injection string.
HEADER = [
    "Apellidos y nombres",
    "C.I.",
    "Sexo",
    "Fecha de detención",
    "Estado",
    "Municipio",
    "Tipo de hecho",
    "Observaciones",
]
ROWS = [
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
TITLE = ["Listado de detenidos - actualizado al 31/08/2024"]

#: What a person writes once they have read the report: a value table for the act nobody's
#: vocabulary knows, the unresolved place decided, and the impossible date accepted (the
#: record keeps it in its raw row and lists it as a problem).
FIXED_MAPPING = """\
columns:
  Apellidos y nombres: full_name_surnames_first
  C.I.: national_id
  Sexo: sex
  Fecha de detención: event_date
  Estado: state
  Municipio: municipality
  Tipo de hecho:
    field: act
    values: {retenida en alcabala: arbitrary_detention}
places:
  Falcón / Ciudad Fantasma: VE-I/miranda
accept: [date_unreadable]
"""


def write_csv(
    path: Path, rows: Sequence[Sequence[str]], *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    def quote(cell: str) -> str:
        if any(ch in cell for ch in (delimiter, '"', "\n", "\r")):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    lines = [delimiter.join(quote(cell) for cell in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], title: str = "Hoja1") -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, as a spreadsheet stores '=...
            cells.append(cell)
        sheet.append(cells)
    book.save(path)
    return path


@pytest.fixture
def messy_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "lista.csv", [TITLE, [], HEADER, *ROWS], encoding="latin-1",
                     delimiter=";")  # fmt: skip


@pytest.fixture
def fixed_mapping(tmp_path: Path) -> Path:
    path = tmp_path / "foro.yaml"
    path.write_text(FIXED_MAPPING, encoding="utf-8")
    return path


@pytest.fixture
def run_import() -> Callable[..., tuple[int, str, str]]:
    """run_import(*args) → (exit status, stdout, stderr) of `testigo import`."""

    def run(*args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import", *args, stdout=out, stderr=err)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        except CommandError as exc:
            code = exc.returncode
            err.write(str(exc))
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def data_dir(settings, tmp_path) -> Path:
    """A data directory of the test's own, so that kept files can be counted."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


def kept_files(data_dir: Path) -> list[str]:
    folder = data_dir / "imports"
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file())

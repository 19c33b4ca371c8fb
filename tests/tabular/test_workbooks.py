"""XLSX and ODS workbooks: cells as the text a person sees, sheets, title rows, hashing."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest

from testigo.tabular import TabularError, open_table

SHEET = [
    ["Listado de presos políticos"],
    [],
    ["Nombre", "Cédula", "Fecha de detención", "Hora", "Menor", "Edad"],
    ["José Pérez", 12345678.0, date(2024, 8, 15), datetime(2024, 8, 15, 22, 30), False, 17],
    ["María Núñez", "V-13.456.789", "ago. 2024", None, True, 30.5],
]


def read_all(path, **options):
    with open_table(path, **options) as table:
        return table, list(table)


def test_xlsx_cells_become_the_text_a_person_sees(tmp_path, write_xlsx):
    path = write_xlsx(tmp_path / "lista.xlsx", {"Hoja1": SHEET})
    table, rows = read_all(path)
    assert table.format == "xlsx" and table.header_row == 3
    assert [r.number for r in rows] == [4, 5]
    assert rows[0].values == {
        "Nombre": "José Pérez",
        "Cédula": "12345678",  # not 12345678.0
        "Fecha de detención": "2024-08-15",
        "Hora": "2024-08-15T22:30:00",
        "Menor": "FALSE",
        "Edad": "17",
    }
    assert rows[1].values["Edad"] == "30.5"
    assert rows[1].values["Hora"] == ""


def test_an_ods_made_by_hand_reads_like_the_xlsx(tmp_path, write_ods):
    path = write_ods(tmp_path / "lista.ods", {"Hoja1": SHEET})
    table, rows = read_all(path)
    assert table.format == "ods" and table.header_row == 3
    assert [r.number for r in rows] == [4, 5]
    assert rows[0].values["Cédula"] == "12345678"
    assert rows[0].values["Fecha de detención"] == "2024-08-15"
    assert rows[1].values["Cédula"] == "V-13.456.789"


@pytest.mark.parametrize("suffix", ["xlsx", "ods"])
def test_only_one_sheet_is_read_and_the_others_are_reported(
    tmp_path, write_xlsx, write_ods, suffix
):
    writer = write_xlsx if suffix == "xlsx" else write_ods
    path = writer(tmp_path / f"libro.{suffix}", {"Hoja1": SHEET, "Hoja2": [["Otro"], ["dato"]]})
    table, _ = read_all(path)
    assert (table.sheet, table.sheets) == ("Hoja1", ["Hoja1", "Hoja2"])
    [problem] = [p for p in table.problems.items if p.code == "sheet_not_read"]
    assert (problem.sheet, problem.severity) == ("Hoja2", "warning")
    _, rows = read_all(path, sheet="Hoja2")
    assert [r.values for r in rows] == [{"Otro": "dato"}]
    with pytest.raises(TabularError, match="no sheet 'Hoja9'; the sheets are 'Hoja1', 'Hoja2'"):
        read_all(path, sheet="Hoja9")


def test_the_header_row_can_be_given(tmp_path, write_xlsx):
    path = write_xlsx(
        tmp_path / "h.xlsx", {"Hoja1": [["a", "b"], ["Nombre", "Cédula"], ["Ana", "1"]]}
    )
    table, rows = read_all(path, header_row=2)
    assert table.headers == ["Nombre", "Cédula"]
    assert [r.values for r in rows] == [{"Nombre": "Ana", "Cédula": "1"}]
    assert [p.row for p in table.problems.items if p.code == "title_row"] == [1]


def test_a_value_beyond_the_last_header_is_kept_and_reported(tmp_path, write_xlsx):
    path = write_xlsx(tmp_path / "x.xlsx", {"Hoja1": [["Nombre", "Estado"], ["Ana", None, "nota"]]})
    table, rows = read_all(path)
    assert rows[0].values == {"Nombre": "Ana", "Estado": "", "(column C)": "nota"}
    [problem] = table.problems.items
    assert (problem.row, problem.column, problem.code) == (2, "(column C)", "value_without_header")


def test_a_workbook_is_hashed_and_reports_progress(tmp_path, write_xlsx):
    rows = [["Nombre", "Estado"], *[[f"Persona {i}", "Lara"] for i in range(3_000)]]
    path = write_xlsx(tmp_path / "p.xlsx", {"Hoja1": rows})
    seen = []
    with open_table(path, on_progress=seen.append, progress_every=1_000) as table:
        assert table.rows_total in (None, 3_001)  # known when the file records its size
        assert sum(1 for _ in table) == 3_000
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [p.rows_read for p in seen] == [1_000, 2_000, 3_000, 3_000]
    assert seen[-1].bytes_read > 0 and seen[-1].bytes_total == path.stat().st_size


def test_a_workbook_can_come_from_an_open_file(tmp_path, write_xlsx):
    path = write_xlsx(tmp_path / "subida.xlsx", {"Hoja1": SHEET})
    with path.open("rb") as upload, open_table(upload) as table:
        assert table.name == "subida.xlsx"
        assert len(list(table)) == 2
        assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_rows_can_be_read_only_once(tmp_path, write_xlsx):
    path = write_xlsx(tmp_path / "o.xlsx", {"Hoja1": SHEET})
    with open_table(path) as table:
        list(table)
        with pytest.raises(TabularError, match="can be read only once"):
            list(table)

"""Exports: no cell can run as a formula in CSV or XLSX, and a file appears only when complete."""

from __future__ import annotations

import csv
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook

from testigo.tabular import TabularError, export_rows, looks_like_formula, neutralise, open_table

DANGEROUS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", " =1+1",
             "＝1+1"]  # fmt: skip
SAFE = ["José Pérez", "V-12.345.678", "", "it's", "'ya citado", "5 de agosto"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_is_prefixed_with_a_single_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", SAFE)
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


def test_signed_numbers_are_not_flagged_on_import_but_are_quoted_on_export():
    assert not looks_like_formula("-5") and not looks_like_formula("+58 412 555 1234")
    assert looks_like_formula("-2+3") and looks_like_formula("=1")
    assert neutralise("-5") == "'-5"


ROWS = [{"nombre": text, "n": i, "fecha": date(2024, 8, 15)} for i, text in enumerate(DANGEROUS)]


def test_a_csv_export_neutralises_every_formula(tmp_path):
    path = tmp_path / "salida.csv"
    assert export_rows(ROWS, path) == len(DANGEROUS)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        read = list(csv.reader(stream))
    assert read[0] == ["nombre", "n", "fecha"]
    assert [row[0] for row in read[1:]] == ["'" + text for text in DANGEROUS]
    assert read[1][1:] == ["0", "2024-08-15"]
    assert path.read_bytes().startswith(b'\xef\xbb\xbf"nombre"')  # BOM for Excel, quoted text


def test_an_xlsx_export_writes_text_cells_never_formulas(tmp_path):
    path = tmp_path / "salida.xlsx"
    rows = [*ROWS, {"nombre": "=SUM(1,1)", "n": 2.5, "fecha": None}]
    export_rows(rows, path, "xlsx", neutralise_formulas=False)
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml
    sheet = load_workbook(path).active
    assert sheet["A2"].value == DANGEROUS[0] and sheet["A2"].data_type == "s"
    assert sheet["B10"].value == 2.5


def test_an_xlsx_export_neutralises_by_default_and_reads_back_through_the_reader(tmp_path):
    path = tmp_path / "salida.xlsx"
    export_rows(ROWS, path, "xlsx")
    with open_table(path) as table:
        names = [row.values["nombre"] for row in table]
    # XML reads a bare carriage return back as a line feed; the quote is what matters.
    assert names == ["'" + text.replace("\r", "\n") for text in DANGEROUS]


def test_control_characters_that_xml_cannot_hold_do_not_break_an_xlsx_export(tmp_path):
    path = tmp_path / "c.xlsx"
    export_rows([{"nota": "línea\x0bvertical\x00"}], path, "xlsx")
    assert load_workbook(path).active["A2"].value == "línea\ufffdvertical\ufffd"


def test_a_row_with_an_unknown_column_fails_and_leaves_no_file(tmp_path):
    path = tmp_path / "x.csv"
    with pytest.raises(TabularError, match=r"export row 2: columns \['extra'\]"):
        export_rows([{"a": 1}, {"a": 2, "extra": 3}], path)
    assert list(tmp_path.iterdir()) == []


def test_text_longer_than_an_xlsx_cell_is_refused_not_cut(tmp_path):
    with pytest.raises(TabularError, match="more than an XLSX cell holds"):
        export_rows([{"nota": "x" * 40_000}], tmp_path / "l.xlsx", "xlsx")


def test_columns_can_be_given_and_missing_values_are_blank(tmp_path):
    path = tmp_path / "c.csv"
    export_rows([{"b": "2"}], path, columns=["a", "b"], encoding="utf-8")
    assert path.read_bytes() == b'"a","b"\r\n"","2"\r\n'

"""Bad input gets a clear error naming the problem (DESIGN.md §5), never a crash or a guess."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest

from testigo.tabular import (
    DuplicateColumnsError,
    EmptyFileError,
    MalformedFileError,
    RowLimitError,
    UnsafeFileError,
    UnsupportedFormatError,
    ZipLimits,
    open_table,
    validate,
)


def read_all(source, **options):
    with open_table(source, **options) as table:
        return table, list(table)


# Empty, header only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("vacio.csv", b"", "the file is empty (0 bytes)"),
        ("vacio.xlsx", b"", "the file is empty (0 bytes)"),
        ("blancos.csv", b"\r\n  \r\n,,\r\n", "the file is empty (no header row)"),
        ("bom.csv", b"\xef\xbb\xbf", "the file is empty (no header row)"),
    ],
)
def test_an_empty_file_is_refused_by_name(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(
        EmptyFileError, match=f"{name}: {message.replace('(', '.').replace(')', '.')}"
    ):
        read_all(path)


def test_a_header_only_file_reads_no_rows_and_does_not_validate(tmp_path, reported_context, today):
    path = tmp_path / "solo_encabezado.csv"
    path.write_text("Nombres,Apellidos,Cédula\r\n", encoding="utf-8")
    table, rows = read_all(path)
    assert (table.headers, rows) == (["Nombres", "Apellidos", "Cédula"], [])
    report = validate(path, context=reported_context, today=today)
    assert not report.valid
    assert report.fatal is None
    assert [(p.code, p.reason) for p in report.problems] == [
        ("no_rows", "the file has a header but no data rows")
    ]


# Duplicate column names -----------------------------------------------------------------------


def test_duplicate_column_names_are_refused_naming_them_and_their_columns(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("Nombre,Fecha,Estado,Fecha,Nombre,Fecha\r\nAna,1,2,3,4,5\r\n", encoding="utf-8")
    with pytest.raises(DuplicateColumnsError) as caught:
        read_all(path)
    assert caught.value.duplicates == {"Nombre": ["A", "E"], "Fecha": ["B", "D", "F"]}
    assert "'Nombre' in columns A, E; 'Fecha' in columns B, D, F" in str(caught.value)


def test_duplicate_column_names_in_a_workbook_are_refused_too(
    tmp_path, write_xlsx, reported_context, today
):
    path = write_xlsx(tmp_path / "dup.xlsx", {"Hoja1": [["Cédula", "Cédula "], ["1", "2"]]})
    with pytest.raises(DuplicateColumnsError, match="'Cédula' in columns A, B"):
        read_all(path)
    report = validate(path, context=reported_context, today=today)
    assert report.fatal is not None and report.fatal.code == "duplicate_columns"


# A 10-million-row file ------------------------------------------------------------------------


class TenMillionRows(io.RawIOBase):
    """A 10,000,000-row CSV made on demand: it never exists whole, in memory or on disk."""

    ROWS = 10_000_000

    def __init__(self) -> None:
        self._lines = (
            f"{i},José Gregorio Pérez {i},V-{10_000_000 + i},15/08/2024,Lara\n".encode()
            for i in range(self.ROWS)
        )
        self._buffer = "id,Nombre completo,Cédula,Fecha de detención,Estado\n".encode()
        self.bytes_made = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        parts = [self._buffer]
        size = len(self._buffer)
        for line in self._lines:
            parts.append(line)
            size += len(line)
            if size >= len(buffer):
                break
        data = b"".join(parts)
        chunk, self._buffer = data[: len(buffer)], data[len(buffer) :]
        buffer[: len(chunk)] = chunk
        self.bytes_made += len(chunk)
        return len(chunk)


def read_until_the_limit(max_rows: int) -> tuple[TenMillionRows, RowLimitError]:
    source = TenMillionRows()
    with (
        pytest.raises(RowLimitError) as caught,
        open_table(source, name="enorme.csv", max_rows=max_rows) as table,
    ):
        for _ in table:
            pass
    return source, caught.value


def test_a_ten_million_row_file_streams_and_stops_at_the_row_limit():
    source, error = read_until_the_limit(100_000)
    assert error.limit == 100_000
    assert str(error) == (
        "enorme.csv: more than 100,000 data rows; reading stopped at row 100,002. "
        "Split the file, or raise the row limit"
    )
    assert source.bytes_made < 10 << 20  # about 1% of the file was ever made


def test_memory_stays_flat_however_many_rows_are_read():
    peaks = []
    for rows in (20_000, 40_000):  # past the first chunk, where the buffers reach their size
        tracemalloc.start()
        try:
            read_until_the_limit(rows)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < 16 << 20
    assert peaks[1] - peaks[0] < 1 << 20  # twice the rows, no more memory


def test_the_dry_run_reports_the_row_limit_as_fatal_without_reading_further(
    reported_context, today
):
    source = TenMillionRows()
    report = validate(
        source, name="enorme.csv", context=reported_context, max_rows=500, today=today
    )
    assert report.fatal is not None and report.fatal.code == "row_limit"
    assert report.records == 500 and report.sha256 is None and not report.valid
    assert source.bytes_made < 2 << 20


# Malformed and hostile workbooks --------------------------------------------------------------


def test_a_text_file_named_xlsx_is_malformed_not_a_zip(tmp_path):
    path = tmp_path / "lista.xlsx"
    path.write_text("Nombre,Cédula\nAna,123\n", encoding="utf-8")
    with pytest.raises(
        MalformedFileError, match=r"lista.xlsx: not a valid XLSX workbook: it is not a zip"
    ):
        read_all(path)


def test_a_truncated_xlsx_is_malformed(tmp_path, write_xlsx):
    good = write_xlsx(
        tmp_path / "good.xlsx", {"Hoja1": [["Nombre"], *[[f"P{i}"] for i in range(500)]]}
    )
    path = tmp_path / "cortado.xlsx"
    path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(MalformedFileError, match=r"cortado.xlsx: .*damaged or truncated"):
        read_all(path)


def test_an_xlsx_with_broken_sheet_xml_is_malformed(tmp_path, write_xlsx):
    good = write_xlsx(tmp_path / "good.xlsx", {"Hoja1": [["Nombre"], ["Ana"]]})
    path = tmp_path / "roto.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    with pytest.raises(MalformedFileError, match=r"roto.xlsx: the (XLSX )?workbook is damaged"):
        read_all(path)


def test_a_zip_that_is_not_a_workbook_is_malformed(tmp_path):
    path = tmp_path / "fotos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("foto.jpg", b"\xff\xd8")
    with pytest.raises(MalformedFileError, match="a zip archive, but not an XLSX or ODS workbook"):
        read_all(path)


def _bomb(path, write_xlsx, tmp_path):
    good = write_xlsx(tmp_path / "base.xlsx", {"Hoja1": [["Nombre"], ["Ana"]]})
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                dst.writestr(item.filename, b" " * (40 << 20))  # 40 MiB of spaces, ~40 KiB zipped
            else:
                dst.writestr(item, src.read(item))
    return path


def test_a_zip_bomb_xlsx_is_refused_before_parsing(tmp_path, write_xlsx):
    path = _bomb(tmp_path / "bomba.xlsx", write_xlsx, tmp_path)
    expected = (
        r"bomba.xlsx: part 'xl/worksheets/sheet1.xml' is compressed 1,0\d\d:1 \(limit 200:1\)"
    )
    with pytest.raises(UnsafeFileError, match=expected + "; refused as a possible zip bomb"):
        read_all(path)


def test_a_workbook_that_unzips_past_the_size_limit_is_refused(tmp_path, write_xlsx):
    path = write_xlsx(tmp_path / "grande.xlsx", {"Hoja1": [["Nombre"], ["Ana"]]})
    with pytest.raises(UnsafeFileError, match=r"would unzip to .* bytes .limit 1,000.; refused"):
        read_all(path, zip_limits=ZipLimits(max_total_bytes=1_000))


def test_an_ods_whose_parts_lie_about_their_size_is_refused(tmp_path, write_ods):
    path = write_ods(tmp_path / "miente.ods", {"Hoja1": [["Nombre"], ["Ana"]]})
    data = bytearray(path.read_bytes())
    # Shrink the size that the central directory records for content.xml.
    at = data.find(b"PK\x01\x02", data.find(b"content.xml") - 60)
    while data[at + 46 : at + 57] != b"content.xml":
        at = data.find(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", data, at + 24, 10)
    path.write_bytes(bytes(data))
    with pytest.raises(MalformedFileError, match=r"miente.ods: the workbook is damaged"):
        read_all(path)


def test_a_legacy_xls_or_encrypted_workbook_is_unsupported_with_advice(tmp_path):
    path = tmp_path / "viejo.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    with pytest.raises(UnsupportedFormatError, match=r"save it as .xlsx"):
        read_all(path)


# Formula injection ----------------------------------------------------------------------------

INJECTIONS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
              "\t=1+1", "\r=1+1", "=HYPERLINK(\"http://evil\",\"clic\")"]  # fmt: skip


def test_formula_injection_strings_are_read_and_kept_as_plain_text(
    tmp_path, write_csv, reported_context, today
):
    names = ["Ana", "Luis", "José", "Carmen", "Pedro", "Rosa", "Juan"]
    rows = [["Nombre", "Observaciones"], *[[n, s] for n, s in zip(names, INJECTIONS, strict=True)]]
    path = write_csv(tmp_path / "inyeccion.csv", rows)
    _, read = read_all(path)
    assert [r.values["Observaciones"] for r in read] == INJECTIONS
    report = validate(path, context=reported_context, today=today)
    flagged = [p for p in report.problems if p.code == "formula_text"]
    assert [p.value for p in flagged] == INJECTIONS
    assert {p.severity for p in flagged} == {"warning"}
    assert report.valid  # text that looks like a formula is data, not an error

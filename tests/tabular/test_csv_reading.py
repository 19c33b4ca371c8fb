"""CSV files: encodings, delimiters, line ends, title rows, hashing and progress."""

from __future__ import annotations

import hashlib
import io

import pytest

from testigo.tabular import EncodingError, MalformedFileError, Progress, open_table

ROWS = [
    ["Nombre", "Cédula", "Fecha de detención", "Estado"],
    ["José Pérez", "V-12.345.678", "15/08/2024", "Mérida"],
    ["María Núñez", "13.456.789", "ago. 2024", "Táchira"],
]


def read_all(path, **options):
    with open_table(path, **options) as table:
        rows = list(table)
    return table, rows


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("latin-1", "latin-1"),
        ("utf-16", "utf-16-le"),  # Python writes a little-endian byte-order mark
        ("utf-16-be-bom", "utf-16-be"),
        ("utf-32", "utf-32-le"),
    ],
)
def test_it_detects_the_encoding_and_reads_accents(tmp_path, write_csv, encoding, detected):
    path = tmp_path / "lista.csv"
    if encoding == "utf-16-be-bom":
        path.write_bytes(b"\xfe\xff" + "\r\n".join(",".join(r) for r in ROWS).encode("utf-16-be"))
    else:
        write_csv(path, ROWS, encoding=encoding)
    table, rows = read_all(path)
    assert table.encoding == detected
    assert table.headers == ROWS[0]
    assert [r.values["Nombre"] for r in rows] == ["José Pérez", "María Núñez"]


def test_it_reads_windows_1252_punctuation_that_latin_1_lacks(tmp_path, write_csv):
    path = write_csv(tmp_path / "w.csv", [["Nombre", "Nota"], ["José", "“detenido” – 5€"]],
                     encoding="cp1252")  # fmt: skip
    table, rows = read_all(path)
    assert table.encoding == "windows-1252"
    assert rows[0].values["Nota"] == "“detenido” – 5€"


def test_it_decides_the_encoding_at_the_first_non_ascii_byte_even_far_into_the_file(tmp_path):
    lines = ["Nombre,Estado"] + [f"Persona {i},Lara" for i in range(60_000)] + ["José,Mérida"]
    path = tmp_path / "late.csv"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    table, rows = read_all(path)
    assert table.encoding == "latin-1"
    assert rows[-1].values == {"Nombre": "José", "Estado": "Mérida"}


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("Фамилия,Имя\nИванов,Иван\n".encode("koi8-r"), id="cyrillic-koi8-r"),
        pytest.param("氏名,住所\n山田,東京\n".encode("shift_jis"), id="japanese-shift-jis"),
        pytest.param("Nombre,Estado\nJosé,Mérida\n".encode("utf-16-le"), id="utf-16-without-bom"),
        pytest.param(b"\x00\x01\x02binary\xff\xfe\x00", id="binary"),
    ],
)
def test_it_refuses_an_unknown_encoding_with_a_clear_error(tmp_path, payload):
    path = tmp_path / "extraño.csv"
    path.write_bytes(payload)
    with pytest.raises(EncodingError, match=r"extraño\.csv.*(encoding|NUL byte).*UTF-8"):
        read_all(path)


def test_it_names_the_byte_where_a_utf8_file_turns_into_another_encoding(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("Nombre\nJosé\n".encode() + b"Mar\xeda\n")
    with pytest.raises(
        EncodingError, match=r"byte 16 \(0xED\) is not valid utf-8.*mixes encodings"
    ):
        read_all(path)


def test_an_explicit_encoding_overrides_detection_and_an_unknown_one_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("Nombre\nJosé\n".encode("cp850"))
    _, rows = read_all(path, encoding="cp850")
    assert rows[0].values == {"Nombre": "José"}
    with pytest.raises(EncodingError, match="unknown text encoding 'klingon'"):
        read_all(path, encoding="klingon")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_it_detects_the_delimiter(tmp_path, write_csv, delimiter):
    rows = [*ROWS, ["Luis, el mayor", "1.234.567", "2024", "Zulia"]]
    table, read = read_all(write_csv(tmp_path / "d.csv", rows, delimiter=delimiter))
    assert table.delimiter == delimiter
    assert read[-1].values["Nombre"] == "Luis, el mayor"


def test_a_semicolon_file_with_decimal_commas_is_read_as_semicolon_separated(tmp_path):
    path = tmp_path / "es.csv"
    path.write_text("Nombre;Edad;Monto\nAna;30;1,5\nLuis;41;2,75\n", encoding="utf-8")
    table, rows = read_all(path)
    assert table.delimiter == ";"
    assert rows[1].values == {"Nombre": "Luis", "Edad": "41", "Monto": "2,75"}


def test_it_follows_excels_sep_line(tmp_path):
    path = tmp_path / "sep.csv"
    path.write_text("sep=|\r\nNombre|Nota\r\nAna|a,b;c\r\n", encoding="utf-8")
    table, rows = read_all(path)
    assert (table.delimiter, table.header_row) == ("|", 1)
    assert rows[0].values == {"Nombre": "Ana", "Nota": "a,b;c"}


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_it_reads_every_line_ending_and_keeps_line_breaks_inside_quoted_cells(tmp_path, newline):
    text = newline.join(["Nombre,Nota", 'Ana,"línea 1\nlínea 2"', "Luis,ok", ""])
    path = tmp_path / "nl.csv"
    path.write_bytes(text.encode())
    _, rows = read_all(path)
    assert [r.values["Nota"] for r in rows] == ["línea 1\nlínea 2", "ok"]
    assert [r.number for r in rows] == [2, 3]


def test_title_rows_above_the_header_are_skipped_and_reported(tmp_path, write_csv, messy_rows):
    table, rows = read_all(write_csv(tmp_path / "m.csv", messy_rows, delimiter=";"))
    assert table.header_row == 3
    assert rows[0].number == 4
    [title] = table.problems.items
    assert (title.row, title.code, title.severity) == (1, "title_row", "warning")
    assert title.value.startswith("Listado de detenidos")


def test_blank_rows_are_skipped_but_row_numbers_stay_those_of_the_file(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("Nombre,Estado\nAna,Lara\n,\n\n   ,  \nLuis,Zulia\n", encoding="utf-8")
    table, rows = read_all(path)
    assert [(r.number, r.values["Nombre"]) for r in rows] == [(2, "Ana"), (6, "Luis")]
    assert table.blank_rows == 3


def test_short_rows_are_padded_and_long_rows_are_an_error_that_keeps_the_values(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("Nombre,Estado\nAna\nPérez, José,Lara\n", encoding="utf-8")
    table, rows = read_all(path)
    assert rows[0].values == {"Nombre": "Ana", "Estado": ""}
    assert rows[1].values == {"Nombre": "Pérez", "Estado": " José", "(column C)": "Lara"}
    [problem] = table.problems.items
    assert (problem.row, problem.code, problem.severity) == (3, "too_many_cells", "error")


def test_it_hashes_the_file_while_reading_it(tmp_path, write_csv):
    path = write_csv(tmp_path / "h.csv", ROWS)
    table, _ = read_all(path)
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_it_reads_from_a_one_way_stream_and_reports_progress(write_csv, tmp_path):
    body = "Nombre,Estado\n" + "".join(f"Persona {i},Lara\n" for i in range(25_000))
    data = body.encode()
    seen: list[Progress] = []

    class OneWay(io.RawIOBase):
        def __init__(self) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self._inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    with open_table(OneWay(), name="stream.csv", on_progress=seen.append,
                    progress_every=10_000) as table:  # fmt: skip
        assert sum(1 for _ in table) == 25_000
    assert [p.rows_read for p in seen] == [10_000, 20_000, 25_000]
    assert seen[-1].bytes_read == len(data) and seen[-1].bytes_total is None
    assert table.sha256 == hashlib.sha256(data).hexdigest()


def test_a_cell_larger_than_the_csv_field_limit_is_a_malformed_file(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text('Nombre,Nota\nAna,"' + "x" * 200_000 + '"\n', encoding="utf-8")
    with pytest.raises(MalformedFileError, match="row 2"):
        read_all(path)


def test_a_progress_bar_can_follow_the_bytes_read(tmp_path):
    from tqdm import tqdm

    path = tmp_path / "p.csv"
    path.write_text("Nombre\n" + "José\n" * 5_000, encoding="utf-8")
    with (
        open_table(path, progress_every=1_000) as table,
        tqdm(total=table.bytes_total, unit="B", file=io.StringIO()) as bar,
    ):
        table.on_progress = lambda p: bar.update(p.bytes_read - bar.n)
        assert sum(1 for _ in table) == 5_000
        assert bar.n == bar.total == path.stat().st_size

"""Opening a CSV, XLSX or ODS file (or a KoboToolbox export) and streaming its rows.

    >>> with open_table("lista.csv") as table:          # doctest: +SKIP
    ...     for row in table:
    ...         print(row.number, row.values["Cédula"])
    ...     print(table.sha256)

Nothing is loaded whole: a CSV is decoded and parsed chunk by chunk while its SHA-256 is
computed; an XLSX sheet is parsed as a stream (a workbook is hashed in one pass first, since a
zip is read out of order). Memory stays flat whatever the number of rows.
"""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

from testigo.tabular.cells import clean_header, column_letter
from testigo.tabular.csvfile import CsvRows
from testigo.tabular.errors import (
    DuplicateColumnsError,
    EmptyFileError,
    EncodingError,
    MalformedFileError,
    RowLimitError,
    TabularError,
    UnsupportedFormatError,
)
from testigo.tabular.kobo import (
    KoboLayout,
    group_children,
    inherit_parents,
    looks_like_kobo,
    merge_repeats,
)
from testigo.tabular.problems import Problem, ProblemLog
from testigo.tabular.rows import Progress, Row
from testigo.tabular.textio import ByteSource
from testigo.tabular.workbook import (
    WORKBOOK_ERRORS,
    CountingReader,
    OdsBook,
    XlsxBook,
    ZipLimits,
    check_zip,
    not_seekable,
    prove_sizes,
)

__all__ = ["DEFAULT_MAX_ROWS", "Format", "Source", "Table", "open_table", "sha256_file"]

#: Data rows read before stopping with `RowLimitError`, unless the caller says otherwise.
DEFAULT_MAX_ROWS = 1_000_000

Source = str | os.PathLike[str] | BinaryIO
Format = Literal["csv", "xlsx", "ods"]
Cells = Iterator[tuple[int, list[str]]]

_HEADER_SCAN = 20  # non-blank rows looked at to find the header under title rows
_KOBO_SAMPLE = 100  # data rows looked at to recognise 0/1 select_multiple columns
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def sha256_file(source: Source) -> str:
    """Hex SHA-256 of a file (or of a binary stream from its current position)."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            return ByteSource(stream).sha256()
    return ByteSource(source).sha256()


def _filled(cells: list[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


class _Sheet:
    """One sheet's rows as dicts: finds the header (under any title rows), names the columns,
    refuses duplicate names, applies the KoboToolbox layout, and skips blank rows."""

    def __init__(
        self,
        cells: Cells,
        *,
        file: str,
        sheet: str,
        header_row: int | None,
        kobo: bool | None,
        log: ProblemLog,
        strict_width: bool,
    ) -> None:
        self.file, self.sheet, self._log, self._strict_width = file, sheet, log, strict_width
        self.blank_rows = 0
        scan: list[tuple[int, list[str]]] = []
        filled = 0
        for number, row in cells:
            scan.append((number, row))
            filled += _filled(row) > 0
            if (header_row is not None and number >= header_row) or filled >= _HEADER_SCAN:
                break
            if header_row is None and len(scan) >= 50 * _HEADER_SCAN:
                break
        if header_row is not None:
            at = next((i for i, (n, _) in enumerate(scan) if n == header_row), None)
            if at is None:
                raise EmptyFileError(f"{file}: there is no row {header_row} to use as the header")
        else:
            at = self._find_header(scan)
        for number, row in scan[:at]:
            if _filled(row):
                self._note(
                    number,
                    None,
                    " | ".join(c.strip() for c in row if c.strip())[:200],
                    "taken as a title above the header row, not as data",
                    "title_row",
                )
        self.header_row, header_cells = scan[at]
        self.raw_headers = self._name_columns(header_cells)
        rest: Cells = itertools.chain(scan[at + 1 :], cells)
        self.kobo = looks_like_kobo(self.raw_headers) if kobo is None else kobo
        self.layout: KoboLayout | None = None
        if self.kobo:
            sample = list(itertools.islice(rest, _KOBO_SAMPLE))
            self.layout = KoboLayout.build(self.raw_headers, [c for _, c in sample])
            rest = itertools.chain(sample, rest)
        self._cells = rest
        self.headers = self.layout.headers if self.layout else list(self.raw_headers)
        self.select_multiple = self.layout.select_multiple if self.layout else frozenset()

    def first_value(self, header: str) -> str:
        """The value under a raw header in the first data row ("" if none), read ahead."""
        first = next(self._cells, None)
        if first is None:
            return ""
        self._cells = itertools.chain([first], self._cells)
        index = self.raw_headers.index(header) if header in self.raw_headers else len(first[1])
        return first[1][index].strip() if index < len(first[1]) else ""

    def _find_header(self, scan: list[tuple[int, list[str]]]) -> int:
        """The first row about as wide as the widest: title rows above a table are narrow."""
        widths = [_filled(cells) for _, cells in scan]
        if not scan or max(widths) == 0:
            raise EmptyFileError(f"{self.file}: the file is empty (no header row)")
        widest = max(widths)
        need = 1 if widest < 2 else max(2, -(-widest // 2))
        return next(i for i, width in enumerate(widths) if width >= need)

    def _note(
        self,
        row: int | None,
        column: str | None,
        value: str,
        reason: str,
        code: str,
        severity: Literal["error", "warning"] = "warning",
    ) -> None:
        self._log.add(
            Problem(self.file, row, column, value, reason, code, severity, self.sheet or None)
        )

    def _name_columns(self, cells: list[str]) -> list[str]:
        names = [clean_header(cell) for cell in cells]
        while names and not names[-1]:
            names.pop()  # trailing blank header cells: a value under one is reported per row
        names = [name or f"(column {column_letter(i)})" for i, name in enumerate(names)]
        positions: dict[str, list[str]] = {}
        for i, name in enumerate(names):
            positions.setdefault(name, []).append(column_letter(i))
        duplicates = {name: letters for name, letters in positions.items() if len(letters) > 1}
        if duplicates:
            listed = "; ".join(
                f"{name!r} in columns {', '.join(letters)}" for name, letters in duplicates.items()
            )
            raise DuplicateColumnsError(
                f"{self.file}: duplicate column names: {listed}. Each column needs its own "
                "name, or its values cannot be told apart; rename them and try again",
                duplicates,
            )
        return names

    def _overflow(self, number: int, cells: list[str]) -> dict[str, str]:
        width = len(self.raw_headers)
        extra = {
            f"(column {column_letter(width + i)})": value
            for i, value in enumerate(cells[width:])
            if value.strip()
        }
        if extra:
            if self._strict_width:
                reason = (
                    f"the row has {len(cells)} cells but the header has {width}: a delimiter "
                    "inside an unquoted value? The values may be in the wrong columns"
                )
                self._note(
                    number,
                    None,
                    " | ".join(extra.values())[:200],
                    reason,
                    "too_many_cells",
                    "error",
                )
            else:
                for column, value in extra.items():
                    self._note(
                        number,
                        column,
                        value[:200],
                        "a value in a column with no header; kept in the raw row only",
                        "value_without_header",
                    )
        return extra

    def rows(self) -> Iterator[Row]:
        headers, width, sheet, layout = (
            self.raw_headers,
            len(self.raw_headers),
            self.sheet,
            self.layout,
        )
        for number, cells in self._cells:
            extra = None
            if len(cells) != width:
                if len(cells) > width:
                    extra = self._overflow(number, cells)
                    cells = cells[:width]
                else:
                    cells = cells + [""] * (width - len(cells))
            if not extra and not "".join(cells).strip():
                self.blank_rows += 1
                continue
            values = dict(zip(headers, cells, strict=True))
            if extra:
                values.update(extra)
            if layout is None:
                yield Row(number, values, sheet)
            else:
                yield Row(number, layout.apply(values), sheet, None, values)


class Table:
    """An open file's header and its rows, read once. Use `open_table` to make one.

    Attributes:
        name: the file name used in messages and problems.
        format: "csv", "xlsx" or "ods".
        encoding, delimiter: what a CSV was read with (None for workbooks).
        sheet: the sheet read (None for CSV); `sheets` lists all of them.
        headers: the column names of `Row.values` (question names for KoboToolbox);
            `raw_headers` are the file's own.
        header_row: the row number of the header.
        kobo: True for a KoboToolbox/ODK export; `select_multiple` names its columns that hold
            space-separated choices; `repeat_sheets` maps each repeat sheet to its headers.
        problems: what the reader noticed (title rows, values beyond the last column, repeat
            rows without a parent, sheets not read); never raised, always reported.
        rows_read, blank_rows: data rows handed out so far, and blank rows skipped.
        on_progress: called with a `Progress` every `progress_every` rows and at the end;
            may be set after opening, once the size is known::

                with open_table(path) as table, tqdm(total=table.bytes_total, unit="B") as bar:
                    table.on_progress = lambda p: bar.update(p.bytes_read - bar.n)
                    for row in table: ...
    """

    def __init__(
        self,
        *,
        name: str,
        format: Format,
        main: _Sheet,
        sheets: list[str],
        repeats: dict[str, list[_Sheet]],
        max_rows: int,
        log: ProblemLog,
        bytes_read: Callable[[], int],
        bytes_total: int | None,
        rows_total: int | None,
        sha256: Callable[[], str],
        csv_rows: CsvRows | None,
        closers: list[Callable[[], Any]],
        on_progress: Callable[[Progress], None] | None,
        progress_every: int,
    ) -> None:
        self.name = name
        self.format: Format = format
        self._main = main
        self._repeats = repeats
        self._csv = csv_rows
        self.delimiter = csv_rows.delimiter if csv_rows else None
        self.sheet = main.sheet or None
        self.sheets = sheets
        self.headers = main.headers
        self.raw_headers = main.raw_headers
        self.header_row = main.header_row
        self.kobo = main.kobo
        self.select_multiple = main.select_multiple | frozenset(
            name for kids in repeats.values() for kid in kids for name in kid.select_multiple
        )
        self.repeat_sheets = {kid.sheet: kid.headers for kids in repeats.values() for kid in kids}
        self.problems = log
        self.max_rows = max_rows
        self.rows_read = 0
        self._bytes_read = bytes_read
        self.bytes_total = bytes_total
        self.rows_total = rows_total
        self._sha256 = sha256
        self._closers = closers
        self.on_progress = on_progress
        self._progress_every = max(progress_every, 1)
        self._started = False
        self.finished = False

    @property
    def encoding(self) -> str | None:
        return self._csv.encoding if self._csv else None

    @property
    def blank_rows(self) -> int:
        return self._main.blank_rows + sum(
            k.blank_rows for ks in self._repeats.values() for k in ks
        )

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the whole file (reads any part not yet read, without parsing it)."""
        return self._sha256()

    def progress(self) -> Progress:
        return Progress(self._bytes_read(), self.bytes_total, self.rows_read, self.rows_total)

    def _orphan(self, row: Row) -> None:
        self.problems.add(
            Problem(
                self.name,
                row.number,
                "_parent_index",
                row.payload.get("_parent_index", ""),
                "a repeat-group row whose parent row is not in the main sheet (or the sheet "
                "is not in _parent_index order); imported without its parent",
                "repeat_without_parent",
                "error",
                row.sheet or None,
            )
        )

    def _all_rows(self) -> Iterator[Row]:
        if not self._repeats:
            return self._main.rows()
        children = {parent: [kid.rows() for kid in kids] for parent, kids in self._repeats.items()}
        return merge_repeats(self._main.rows(), children, orphan=self._orphan)

    def __iter__(self) -> Iterator[Row]:
        if self._started:
            raise TabularError(f"{self.name}: the rows can be read only once; open it again")
        self._started = True
        limit, every, report = self.max_rows, self._progress_every, self.on_progress
        try:
            for row in self._all_rows():
                if self.rows_read >= limit:
                    raise RowLimitError(
                        f"{self.name}: more than {limit:,} data rows; reading stopped at row "
                        f"{row.number:,}. Split the file, or raise the row limit",
                        limit,
                    )
                self.rows_read += 1
                if report is not None and self.rows_read % every == 0:
                    report(self.progress())
                yield row
        except (EncodingError, MalformedFileError) as exc:
            raise type(exc)(f"{exc} (after {self.rows_read:,} data rows)") from None
        except WORKBOOK_ERRORS as exc:
            raise MalformedFileError(
                f"{self.name}: the workbook is damaged after {self.rows_read:,} data rows ({exc})"
            ) from None
        self.finished = True
        if report is not None:
            report(self.progress())

    def _parent_of(self) -> dict[str, str]:
        return {kid.sheet: parent for parent, kids in self._repeats.items() for kid in kids}

    def _path_to(self, sheet: str) -> list[str]:
        """The sheets above a repeat sheet, the main sheet first."""
        parents = self._parent_of()
        if sheet not in parents:
            known = ", ".join(repr(s) for s in parents) or "none"
            raise TabularError(f"{self.name}: {sheet!r} is not a repeat-group sheet ({known})")
        path: list[str] = []
        while sheet in parents and len(path) <= len(parents):
            sheet = parents[sheet]
            path.insert(0, sheet)
        return path

    def record_headers(self, records_sheet: str | None = None) -> list[str]:
        """The headers of the rows `records(records_sheet)` yields."""
        if records_sheet is None:
            return list(self.headers)
        sheets = [*self._path_to(records_sheet)[1:], records_sheet]
        headers = dict.fromkeys(self.headers)
        for sheet in sheets:
            headers.update(dict.fromkeys(self.repeat_sheets[sheet]))
        return list(headers)

    def records(self, records_sheet: str | None = None) -> Iterator[Row]:
        """The rows to import as records.

        Without repeat groups, the same as iterating the table. With them, by default each
        main-sheet row carries its repeat rows in `Row.children`; with `records_sheet`, each
        row of that repeat sheet is a record carrying its parents' values (see
        `testigo.tabular.kobo.inherit_parents`), and rows of other repeat sheets are reported.
        """
        if records_sheet is None:
            if not self._repeats:
                return iter(self)
            return group_children(iter(self), self._main.sheet)
        path = self._path_to(records_sheet)

        def skipped(row: Row) -> None:
            self.problems.add(
                Problem(
                    self.name,
                    row.number,
                    None,
                    "",
                    f"not imported: records come from sheet {records_sheet!r}",
                    "row_not_imported",
                    "warning",
                    row.sheet,
                )
            )

        return inherit_parents(iter(self), records_sheet, path=path, skipped=skipped)

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self._closers = []

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_table(
    source: Source,
    *,
    name: str | None = None,
    format: Format | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    header_row: int | None = None,
    kobo: bool | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    zip_limits: ZipLimits | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    progress_every: int = 10_000,
) -> Table:
    """Open a CSV, XLSX or ODS file and read its header; iterate the result for the rows.

    Args:
        source: a path, or a binary file object (an upload). Workbooks need a seekable one.
        name: the name used in messages (default: the file name).
        format: "csv", "xlsx" or "ods"; by default told from the content, then the extension.
        encoding: a CSV's encoding; by default detected (see `testigo.tabular.textio`).
        delimiter: a CSV's delimiter; by default detected among , ; tab and |.
        sheet: the sheet to read (default: the first visible one).
        header_row: the header's row number (default: the first row about as wide as the
            table, so title rows above it are skipped and reported).
        kobo: read as a KoboToolbox/ODK export (default: when its metadata columns are there).
        max_rows: stop with `RowLimitError` after this many data rows.
        zip_limits: what a workbook may unzip to (default `ZipLimits()`).
        on_progress: called every `progress_every` rows and at the end with a `Progress`.

    Raises:
        TabularError: one of its subclasses, naming the file and what is wrong with it.
    """
    closers: list[Callable[[], Any]] = []
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        name = name or path.name
        try:
            stream: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by Table.close
        except OSError as exc:
            raise TabularError(f"{name}: cannot be opened ({exc.strerror or exc})") from None
        closers.append(stream.close)
    else:
        stream = source
        name = name or Path(str(getattr(source, "name", "") or "upload")).name
    try:
        return _open(
            stream,
            name=name,
            format=format,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            header_row=header_row,
            kobo=kobo,
            max_rows=max_rows,
            zip_limits=zip_limits or ZipLimits(),
            on_progress=on_progress,
            progress_every=progress_every,
            closers=closers,
        )
    except BaseException:
        for close in reversed(closers):
            close()
        raise


def _size(stream: BinaryIO) -> int | None:
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end - here
    except (OSError, AttributeError, ValueError):
        return None


def _open(
    stream: BinaryIO,
    *,
    name: str,
    format: Format | None,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    header_row: int | None,
    kobo: bool | None,
    max_rows: int,
    zip_limits: ZipLimits,
    on_progress: Callable[[Progress], None] | None,
    progress_every: int,
    closers: list[Callable[[], Any]],
) -> Table:
    total = _size(stream)
    start = stream.tell() if total is not None else 0
    source = ByteSource(stream, total=total)
    head = source.peek(8)
    if not head:
        raise EmptyFileError(f"{name}: the file is empty (0 bytes)")
    suffix = Path(name).suffix.lower()
    log = ProblemLog()
    common: dict[str, Any] = {  # what every Table gets
        "name": name,
        "max_rows": max_rows,
        "log": log,
        "bytes_total": total,
        "closers": closers,
        "on_progress": on_progress,
        "progress_every": progress_every,
    }
    if head.startswith(_OLE_MAGIC):
        raise UnsupportedFormatError(
            f"{name}: a legacy Excel .xls file or a password-protected workbook; open it in a "
            "spreadsheet program and save it as .xlsx (or CSV UTF-8)"
        )
    is_zip = head.startswith(_ZIP_MAGIC)
    if format == "csv" or (
        format is None and not is_zip and suffix not in (".xlsx", ".xlsm", ".ods")
    ):
        rows = CsvRows(source, name=name, encoding=encoding, delimiter=delimiter)
        main = _Sheet(
            iter(rows),
            file=name,
            sheet="",
            header_row=header_row,
            kobo=kobo,
            log=log,
            strict_width=True,
        )
        return Table(
            format="csv",
            main=main,
            sheets=[],
            repeats={},
            csv_rows=rows,
            bytes_read=lambda: source.bytes_read,
            rows_total=None,
            sha256=source.sha256,
            **common,
        )
    if not is_zip:
        raise MalformedFileError(
            f"{name}: not a valid {(format or suffix.lstrip('.')).upper()} workbook: it is not "
            "a zip archive (damaged, or another kind of file renamed)"
        )
    if total is None:
        raise not_seekable(name)
    stream.seek(start)
    digest = ByteSource(stream).sha256()  # a zip is read out of order: hash it in one pass
    stream.seek(start)
    kind = check_zip(stream, name=name, limits=zip_limits)
    if format is not None and format != kind:
        raise MalformedFileError(f"{name}: expected an {format.upper()} file, found {kind.upper()}")
    stream.seek(start)
    counter = CountingReader(stream)
    book: XlsxBook | OdsBook
    if kind == "xlsx":
        book = XlsxBook(counter, name=name)
    else:
        prove_sizes(stream, name=name)
        stream.seek(start)
        book = OdsBook(io.BytesIO(counter.read()), name=name)  # calamine holds it all anyway
    closers.append(book.close)
    if not book.sheet_names:
        raise EmptyFileError(f"{name}: the workbook has no sheets")
    if sheet is not None and sheet not in book.sheet_names:
        raise TabularError(
            f"{name}: there is no sheet {sheet!r}; the sheets are "
            + ", ".join(repr(s) for s in book.sheet_names)
        )
    main_name = sheet or book.sheet_names[0]

    def read(sheet_name: str, *, header: int | None, is_kobo: bool | None) -> _Sheet:
        return _Sheet(
            book.rows(sheet_name),
            file=name,
            sheet=sheet_name,
            header_row=header,
            kobo=is_kobo,
            log=log,
            strict_width=False,
        )

    def sheets() -> tuple[_Sheet, dict[str, list[_Sheet]]]:
        main = read(main_name, header=header_row, is_kobo=kobo)
        repeats: dict[str, list[_Sheet]] = {}
        for other in book.sheet_names:
            if other == main_name:
                continue
            if not main.kobo:
                if book.has_data(other):
                    _unread(log, name, other)
                continue
            try:
                kid = read(other, header=None, is_kobo=True)
            except EmptyFileError:
                continue
            if "_parent_index" not in kid.raw_headers:
                _unread(log, name, other)
                continue
            repeats.setdefault(_parent_sheet(kid, book.sheet_names, main_name), []).append(kid)
        return main, repeats

    try:
        main, repeats = sheets()
    except WORKBOOK_ERRORS as exc:
        raise MalformedFileError(f"{name}: the workbook is damaged ({exc})") from None
    return Table(
        format=kind,
        main=main,
        sheets=list(book.sheet_names),
        repeats=repeats,
        csv_rows=None,
        bytes_read=lambda: counter.bytes_read,
        rows_total=book.estimated_rows(main_name),
        sha256=lambda: digest,
        **common,
    )


def _unread(log: ProblemLog, file: str, sheet: str) -> None:
    log.add(
        Problem(
            file,
            None,
            None,
            sheet,
            "this sheet was not read (only one sheet is imported "
            "at a time; choose it with the sheet option)",
            "sheet_not_read",
            "warning",
            sheet,
        )
    )


def _parent_sheet(kid: _Sheet, sheets: list[str], main: str) -> str:
    """The sheet a repeat sheet hangs from, from the ``_parent_table_name`` of its first row.

    Excel cuts sheet names to 31 characters, so a match on those is accepted.
    """
    parent = kid.first_value("_parent_table_name")
    for candidate in sheets:
        if parent and (candidate == parent or parent[:31] == candidate[:31]):
            return candidate
    return main

"""Exporting rows to CSV or XLSX so that no cell can run as a spreadsheet formula.

Following OWASP's advice on CSV injection, a text cell that starts with = + - @, a tab or a
carriage return is written with a leading single quote (`neutralise`), text cells in CSV are
quoted, and XLSX text cells are written as strings, never as formulas. The file appears only
when complete (written beside the target, then renamed).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from testigo.tabular.cells import neutralise
from testigo.tabular.errors import TabularError

__all__ = ["XLSX_CELL_LIMIT", "export_rows"]

XLSX_CELL_LIMIT = 32_767  # characters Excel keeps in one cell


def _text(value: Any) -> str | int | float | Decimal:
    """A cell value as text, or as a number when it is one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _rows(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None
) -> tuple[list[str], Iterator[Mapping[str, Any]]]:
    iterator = iter(rows)
    if columns is not None:
        return list(columns), iterator
    first = next(iterator, None)
    if first is None:
        return [], iterator
    return list(first), _chain(first, iterator)


def _chain(
    first: Mapping[str, Any], rest: Iterator[Mapping[str, Any]]
) -> Iterator[Mapping[str, Any]]:
    yield first
    yield from rest


def export_rows(
    rows: Iterable[Mapping[str, Any]],
    path: str | os.PathLike[str],
    format: Literal["csv", "xlsx"] = "csv",
    *,
    columns: Sequence[str] | None = None,
    neutralise_formulas: bool = True,
    encoding: str = "utf-8-sig",
    sheet_title: str = "Testigo",
) -> int:
    """Write rows (dicts) to a CSV or XLSX file; return how many rows were written.

    Args:
        rows: the rows; read once, streaming.
        columns: the columns in order (default: the keys of the first row). A row with a key
            outside them is an error, never silently dropped.
        neutralise_formulas: prefix formula-like text with a single quote (see `neutralise`).
        encoding: for CSV; the default has a byte-order mark so that Excel reads accents.

    Raises:
        TabularError: a row has an unknown column, or a text is too long for an XLSX cell.
    """
    if format not in ("csv", "xlsx"):
        raise ValueError(f"unknown export format {format!r}; use csv or xlsx")
    target = Path(path)
    header, iterator = _rows(rows, columns)
    clean = neutralise if neutralise_formulas else str
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            if format == "csv":
                count = _write_csv(stream, header, iterator, clean, encoding)
            else:
                count = _write_xlsx(stream, header, iterator, clean, sheet_title)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


def _values(
    number: int, header: list[str], row: Mapping[str, Any], clean: Any
) -> list[str | int | float | Decimal]:
    unknown = [key for key in row if key not in header]
    if unknown:
        raise TabularError(f"export row {number}: columns {unknown!r} are not in the header")
    values: list[str | int | float | Decimal] = []
    for column in header:
        value = _text(row.get(column))
        values.append(clean(value) if isinstance(value, str) else value)
    return values


def _write_csv(
    stream: io.BufferedIOBase | Any,
    header: list[str],
    rows: Iterator[Mapping[str, Any]],
    clean: Any,
    encoding: str,
) -> int:
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    writer = csv.writer(text, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([clean(column) for column in header])
    count = 0
    for count, row in enumerate(rows, start=1):
        writer.writerow(_values(count, header, row, clean))
    text.flush()
    text.detach()
    return count


def _write_xlsx(
    stream: Any,
    header: list[str],
    rows: Iterator[Mapping[str, Any]],
    clean: Any,
    title: str,
) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])

    def cell(number: int, column: str, value: str | int | float | Decimal) -> WriteOnlyCell:
        if not isinstance(value, str):
            return WriteOnlyCell(sheet, value=value)
        if len(value) > XLSX_CELL_LIMIT:
            raise TabularError(
                f"export row {number}, column {column!r}: {len(value):,} characters, more than "
                f"an XLSX cell holds ({XLSX_CELL_LIMIT:,}); export as CSV instead"
            )
        # Control characters XML cannot carry are shown as U+FFFD; CSV keeps them.
        result = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) or None)
        if result.value is not None:
            result.data_type = "s"  # text, even when it starts with "=": never a formula
        return result

    count = 0
    try:
        sheet.append([cell(0, c, clean(c)) for c in header])
        for count, row in enumerate(rows, start=1):
            values = _values(count, header, row, clean)
            sheet.append([cell(count, c, v) for c, v in zip(header, values, strict=True)])
    except BaseException:
        with contextlib.suppress(Exception):
            sheet.close()  # finish openpyxl's own temporary sheet file; ours is discarded
        raise
    book.save(stream)
    return count

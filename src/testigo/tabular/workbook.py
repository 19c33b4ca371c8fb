"""XLSX and ODS workbooks: zip-bomb checks before parsing, then rows as lists of text.

XLSX is read with openpyxl in read-only mode, which parses a sheet as a stream; its zip layer is
Python's `zipfile`, which never inflates a member past its declared size. ODS is read with
python-calamine, which holds one sheet in memory, so an ODS file is inflated once beforehand
through `zipfile` to prove its members are no larger than they claim.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal
from xml.etree.ElementTree import ParseError

from testigo.tabular.cells import cell_text
from testigo.tabular.errors import (
    MalformedFileError,
    TabularError,
    UnsafeFileError,
    UnsupportedFormatError,
)

__all__ = ["WORKBOOK_ERRORS", "OdsBook", "XlsxBook", "ZipLimits", "check_zip"]

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
#: What a damaged workbook raises while being parsed.
WORKBOOK_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ParseError,
    KeyError,
    OSError,
)


@dataclass(frozen=True)
class ZipLimits:
    """What a workbook may expand to. A real 1,000,000-row XLSX is about 0.5 GiB unzipped and
    compresses about 10:1; a zip bomb claims gigabytes or ratios in the hundreds."""

    max_members: int = 10_000
    max_total_bytes: int = 2 << 30
    max_ratio: float = 200.0
    ratio_applies_above: int = 1 << 20  # small members (styles, a tiny sheet) may compress well


def check_zip(stream: BinaryIO, *, name: str, limits: ZipLimits) -> Literal["xlsx", "ods"]:
    """Check a workbook's zip directory against `limits` and say which kind of workbook it is.

    Only the directory is read: nothing is inflated.

    Raises:
        MalformedFileError: not a zip, truncated, or a zip that is neither XLSX nor ODS.
        UnsafeFileError: too many members, too large unzipped, or too highly compressed.
        UnsupportedFormatError: encrypted members, or an XLSB workbook.
    """
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise MalformedFileError(
            f"{name}: not a valid XLSX or ODS workbook: the zip archive is damaged or "
            f"truncated ({exc})"
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise UnsafeFileError(
                f"{name}: the workbook has {len(members):,} parts (limit "
                f"{limits.max_members:,}); refused as a possible zip bomb"
            )
        total = sum(member.file_size for member in members)
        if total > limits.max_total_bytes:
            raise UnsafeFileError(
                f"{name}: the workbook would unzip to {total:,} bytes (limit "
                f"{limits.max_total_bytes:,}); refused as a possible zip bomb"
            )
        for member in members:
            if member.flag_bits & 0x1:
                raise UnsupportedFormatError(
                    f"{name}: the workbook is password-protected; save an unprotected copy"
                )
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > limits.ratio_applies_above and ratio > limits.max_ratio:
                raise UnsafeFileError(
                    f"{name}: part {member.filename!r} is compressed {ratio:,.0f}:1 (limit "
                    f"{limits.max_ratio:,.0f}:1); refused as a possible zip bomb"
                )
        names = {member.filename for member in members}
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            raise UnsupportedFormatError(f"{name}: an XLSB workbook; save it as XLSX")
        if "content.xml" in names:
            mimetype = archive.read("mimetype").strip() if "mimetype" in names else ODS_MIMETYPE
            if mimetype == ODS_MIMETYPE:
                return "ods"
            raise UnsupportedFormatError(
                f"{name}: an OpenDocument file of type {mimetype.decode(errors='replace')!r}, "
                "not a spreadsheet"
            )
    raise MalformedFileError(f"{name}: a zip archive, but not an XLSX or ODS workbook")


def prove_sizes(stream: BinaryIO, *, name: str) -> None:
    """Inflate every member through `zipfile`, which stops at the declared size and checks the
    CRC, so a member that lies about its size fails here rather than inside a parser."""
    try:
        with zipfile.ZipFile(stream) as archive:
            for member in archive.infolist():
                with archive.open(member) as part:
                    while part.read(1 << 20):
                        pass
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise MalformedFileError(f"{name}: the workbook is damaged ({exc})") from None


class CountingReader(io.RawIOBase):
    """A seekable binary stream that counts the bytes read through it (for progress)."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()


class XlsxBook:
    """An XLSX workbook read with openpyxl in read-only mode (one sheet row at a time)."""

    def __init__(self, stream: CountingReader, *, name: str) -> None:
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        self._name = name
        try:
            self._book = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
        except (*WORKBOOK_ERRORS, InvalidFileException, TypeError, ValueError) as exc:
            raise MalformedFileError(f"{name}: the XLSX workbook is damaged ({exc})") from None
        self.sheet_names: list[str] = [
            ws.title for ws in self._book.worksheets if ws.sheet_state == "visible"
        ] or list(self._book.sheetnames)

    def estimated_rows(self, sheet: str) -> int | None:
        """Rows the sheet claims to have (its <dimension> tag), or None."""
        rows = self._book[sheet].max_row
        return rows if isinstance(rows, int) else None

    def has_data(self, sheet: str) -> bool:
        ws = self._book[sheet]
        return bool((ws.max_row or 2) > 1 or (ws.max_column or 2) > 1)

    def rows(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        worksheet = self._book[sheet]
        worksheet.reset_dimensions()  # the stored <dimension> may be wrong; read what is there
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(value) for value in values]

    def close(self) -> None:
        self._book.close()


class OdsBook:
    """An ODS workbook read with python-calamine (one sheet in memory at a time)."""

    def __init__(self, stream: BinaryIO, *, name: str) -> None:
        import python_calamine

        self._name = name
        self._errors = (python_calamine.CalamineError, ValueError, OSError)
        try:
            self._book = python_calamine.CalamineWorkbook.from_filelike(stream)
        except self._errors as exc:
            raise MalformedFileError(f"{name}: the ODS workbook is damaged ({exc})") from None
        self.sheet_names: list[str] = list(self._book.sheet_names)

    def estimated_rows(self, sheet: str) -> int | None:
        return None

    def _sheet(self, sheet: str) -> Any:
        try:
            return self._book.get_sheet_by_name(sheet)
        except self._errors as exc:
            raise MalformedFileError(f"{self._name}: sheet {sheet!r} is damaged ({exc})") from None

    def has_data(self, sheet: str) -> bool:
        return bool(self._sheet(sheet).height)

    def rows(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        data = self._sheet(sheet)
        # calamine trims leading empty rows; `start` says where the first kept row was.
        first = (data.start[0] if data.start else 0) + 1
        for number, values in enumerate(data.iter_rows(), start=first):
            yield number, [cell_text(value) for value in values]

    def close(self) -> None:
        self._book.close()


def not_seekable(name: str) -> TabularError:
    return TabularError(f"{name}: a workbook must be read from a file, not a one-way stream")

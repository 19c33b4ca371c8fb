"""Why a file cannot be read. Every message names the file and the problem in plain words.

TabularError (ValueError)
├── EmptyFileError          nothing in the file, not even a header
├── EncodingError           the text encoding is unknown or the bytes do not decode
├── MalformedFileError      not the format it claims (not a zip, truncated, damaged XML, ...)
├── UnsafeFileError         refused before parsing (zip bomb: too large or too compressed)
├── UnsupportedFormatError  a format Testigo does not read (legacy .xls, encrypted workbooks)
├── DuplicateColumnsError   two columns share a name; `.duplicates` says which
├── RowLimitError           more data rows than the configured limit; `.limit`
└── MappingError            a mapping file is not valid; names the key at fault
"""

from __future__ import annotations

__all__ = [
    "DuplicateColumnsError",
    "EmptyFileError",
    "EncodingError",
    "MalformedFileError",
    "MappingError",
    "RowLimitError",
    "TabularError",
    "UnsafeFileError",
    "UnsupportedFormatError",
]


class TabularError(ValueError):
    """A file or a mapping cannot be used. `code` is a stable machine-readable name."""

    code = "unreadable"


class EmptyFileError(TabularError):
    code = "empty_file"


class EncodingError(TabularError):
    code = "unknown_encoding"


class MalformedFileError(TabularError):
    code = "malformed_file"


class UnsafeFileError(TabularError):
    code = "unsafe_file"


class UnsupportedFormatError(TabularError):
    code = "unsupported_format"


class MappingError(TabularError):
    code = "invalid_mapping"


class DuplicateColumnsError(TabularError):
    """Two or more columns have the same name, so a row cannot say which value is which."""

    code = "duplicate_columns"

    def __init__(self, message: str, duplicates: dict[str, list[str]]) -> None:
        super().__init__(message)
        #: header → the column letters where it appears, e.g. {"Fecha": ["C", "F"]}
        self.duplicates = duplicates


class RowLimitError(TabularError):
    """The file has more data rows than allowed; nothing after the limit was read."""

    code = "row_limit"

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit

"""The person-record table that linkage reads (DESIGN.md §6) and its validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "OPTIONAL_COLUMNS",
    "RECORD_COLUMNS",
    "REQUIRED_COLUMNS",
    "InputProblem",
    "LinkInputError",
    "validate_records",
]

#: The columns of a `testigo link` input file, in order (DESIGN.md §6).
RECORD_COLUMNS = (
    "record_id",
    "source",
    "given_names",
    "family_names",
    "sex",
    "birth_date",
    "national_id",
    "state",
    "municipality",
    "event_date",
)
#: Columns a file must have. The rest may be absent (treated as blank).
REQUIRED_COLUMNS = ("record_id", "given_names", "family_names")
#: Extra columns that linkage uses when present: the age stated at the event, in years.
OPTIONAL_COLUMNS = ("age",)


class LinkInputError(ValueError):
    """Person records that cannot be linked. The message names the file, row and column.

    ``row`` counts data rows from 1 (the header is not counted), as a spreadsheet user sees them
    below the header; ``None`` when the problem is not about one row.
    """

    def __init__(
        self, message: str, *, origin: str = "<data>", row: int | None = None, column: str = ""
    ):
        self.origin = origin
        self.row = row
        self.column = column
        where = origin
        if row is not None:
            where += f", row {row}"
        if column:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class InputProblem:
    """A value that linkage ignored (an unreadable date or identity number), for the report."""

    row: int
    column: str
    value: str
    reason: str

    def to_json_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


def validate_records(
    records: pd.DataFrame, *, origin: str = "<data>", required: Sequence[str] = REQUIRED_COLUMNS
) -> pd.DataFrame:
    """Check the columns and record ids; return a string-typed copy with every §6 column.

    Missing optional columns are added blank. Values are stripped; blanks become ``None``.

    Raises:
        LinkInputError: for a missing required column, a blank or duplicate ``record_id``.
    """
    columns = [str(c).strip() for c in records.columns]
    missing = [c for c in required if c not in columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        found = ", ".join(repr(c) for c in columns) or "none"
        raise LinkInputError(f"missing required column(s) {names}; found {found}", origin=origin)
    frame = records.copy()
    frame.columns = columns
    for column in (*RECORD_COLUMNS, *OPTIONAL_COLUMNS):
        if column not in frame.columns:
            frame[column] = None
        else:
            frame[column] = _clean_text(frame[column])
    ids = frame["record_id"]
    blank = ids.isna()
    if blank.any():
        row = int(blank.to_numpy().nonzero()[0][0]) + 1
        raise LinkInputError("record_id is blank", origin=origin, row=row, column="record_id")
    duplicated = ids.duplicated(keep="first")
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0])
        first = int((ids == ids.iloc[row]).to_numpy().nonzero()[0][0])
        raise LinkInputError(
            f"duplicate record_id {ids.iloc[row]!r} (first seen in row {first + 1})",
            origin=origin,
            row=row + 1,
            column="record_id",
        )
    return frame.reset_index(drop=True)


def _clean_text(values: pd.Series) -> pd.Series:
    """Stripped text, with blanks and missing values as None."""
    text = values.astype("string").str.strip()
    blank = (text.isna() | text.eq("")).fillna(True).to_numpy(dtype=bool)
    out = text.to_numpy(dtype=object, na_value=None)
    out[blank] = None
    return pd.Series(out, index=values.index, dtype=object)

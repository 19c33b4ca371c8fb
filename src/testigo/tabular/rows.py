"""The values readers hand out: rows, links between rows, and progress."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

__all__ = ["Progress", "Row", "RowRef"]


@dataclass(frozen=True, slots=True)
class RowRef:
    """Where a row is: its sheet ("" for CSV) and its row number there."""

    sheet: str
    number: int


@dataclass(slots=True)
class Row:
    """One data row.

    Attributes:
        number: the row number a spreadsheet program shows (the header is usually row 1).
        values: header → text, "" for a blank cell. For KoboToolbox exports the headers are
            question names ("nombres" for "grupo_victima/nombres").
        sheet: the sheet it comes from ("" for CSV).
        parent: for a repeat-group row, the row it belongs to.
        raw: the row under the file's own headers when `values` renamed them; else None.
        children: from `Table.records()`, the repeat-group rows of this record, depth first.
    """

    number: int
    values: dict[str, str]
    sheet: str = ""
    parent: RowRef | None = None
    raw: dict[str, str] | None = None
    children: list[Row] | None = None

    @property
    def payload(self) -> dict[str, str]:
        """The row exactly as the file has it (keep this as the record's raw payload)."""
        return self.values if self.raw is None else self.raw

    @property
    def ref(self) -> RowRef:
        return RowRef(self.sheet, self.number)

    def fingerprint(self) -> str:
        """SHA-256 of the raw row and its children: equal for an unchanged row on re-import."""
        content = [self.payload, [child.payload for child in self.children or ()]]
        text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a reader has got. Totals are None when unknown; `rows_total` is an estimate."""

    bytes_read: int
    bytes_total: int | None
    rows_read: int
    rows_total: int | None = None

    @property
    def fraction(self) -> float | None:
        """Share done, 0..1, from bytes when the size is known."""
        if self.bytes_total:
            return min(self.bytes_read / self.bytes_total, 1.0)
        if self.rows_total:
            return min(self.rows_read / self.rows_total, 1.0)
        return None

"""Problems found in a file: where (file, sheet, row, column), what value, and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["Problem", "ProblemLog", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem. `row` is the row number a spreadsheet shows (None for the whole file);
    `code` is a stable name for grouping ("date_unreadable"); errors block an import, warnings
    are for a person to read."""

    file: str
    row: int | None
    column: str | None
    value: str
    reason: str
    code: str
    severity: Severity = "error"
    sheet: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (for ``--json`` and the web wizard)."""
        return asdict(self)


class ProblemLog:
    """Problems in the order found, keeping at most `limit` but counting all of them."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.items: list[Problem] = []
        self.total = 0
        self.errors = 0
        self.by_code: Counter[str] = Counter()

    def add(self, problem: Problem) -> None:
        self.total += 1
        self.errors += problem.severity == "error"
        self.by_code[problem.code] += 1
        if len(self.items) < self.limit:
            self.items.append(problem)

    @property
    def warnings(self) -> int:
        return self.total - self.errors

    @property
    def truncated(self) -> bool:
        """True if some problems were counted but not kept."""
        return self.total > len(self.items)

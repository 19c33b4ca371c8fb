"""Capture histories: who was recorded by which list, as distinct patterns with counts.

Two CSV layouts are accepted (UTF-8, header row, comma or semicolon separated):

* tabular: one 0/1 column per list plus ``count`` (R's ``Freq`` is accepted too), one row per
  capture pattern; repeated patterns are summed;
* individual: one row per person with the 0/1 list columns and no ``count`` column.

Every problem raises :class:`HistoriesError` naming the file, the row and the column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

MIN_LISTS = 3
COUNT_COLUMNS = ("count", "freq")


class HistoriesError(ValueError):
    """Capture histories that cannot be read or cannot support an estimate."""


@dataclass(frozen=True, eq=False)
class CaptureHistories:
    """Distinct observed capture patterns and how many people share each.

    Attributes:
        lists: list (source) names, one per column of ``patterns``.
        patterns: (M, J) array of 0/1, distinct, never all zero, sorted with the first list as
            the most significant bit.
        counts: (M,) positive integer frequencies.
        origin: where the data came from (a file name), used in messages.
    """

    lists: tuple[str, ...]
    patterns: NDArray[np.uint8]
    counts: NDArray[np.int64]
    origin: str = "<data>"
    notes: tuple[str, ...] = field(default=())

    @property
    def n_lists(self) -> int:
        return len(self.lists)

    @property
    def n_patterns(self) -> int:
        return int(self.patterns.shape[0])

    @property
    def observed(self) -> int:
        """Number of distinct people recorded on at least one list."""
        return int(self.counts.sum())

    def list_totals(self) -> dict[str, int]:
        """People recorded by each list."""
        totals = (self.patterns.astype(np.int64) * self.counts[:, None]).sum(axis=0)
        return {name: int(t) for name, t in zip(self.lists, totals, strict=True)}

    def captures_per_person(self) -> NDArray[np.int64]:
        """f_k: people recorded on exactly k lists, for k = 0..J (f_0 is always 0)."""
        k = self.patterns.sum(axis=1).astype(np.int64)
        return np.bincount(k, weights=self.counts, minlength=self.n_lists + 1).astype(np.int64)

    def full_table(self) -> NDArray[np.int64]:
        """Counts for all 2^J − 1 non-empty patterns, index = pattern as a binary number."""
        table = np.zeros(2**self.n_lists, dtype=np.int64)
        table[pattern_codes(self.patterns)] = self.counts
        return table[1:]

    def drop_empty_lists(self) -> CaptureHistories:
        """A copy without the lists that recorded nobody (as HRDAG does per stratum)."""
        keep = self.patterns.sum(axis=0) > 0
        if keep.all():
            return self
        dropped = [name for name, k in zip(self.lists, keep, strict=True) if not k]
        return from_arrays(
            self.patterns[:, keep],
            self.counts,
            lists=[name for name, k in zip(self.lists, keep, strict=True) if k],
            origin=self.origin,
            notes=(*self.notes, f"dropped lists with no records: {', '.join(dropped)}"),
            min_lists=1,
        )


def pattern_codes(patterns: NDArray[np.integer]) -> NDArray[np.int64]:
    """Each pattern as an integer, first list = most significant bit."""
    j = patterns.shape[1]
    weights = 1 << np.arange(j - 1, -1, -1, dtype=np.int64)
    return patterns.astype(np.int64) @ weights


def from_arrays(
    patterns: Sequence[Sequence[int]] | NDArray[np.integer],
    counts: Sequence[int] | NDArray[np.integer] | None = None,
    *,
    lists: Sequence[str] | None = None,
    origin: str = "<data>",
    notes: Iterable[str] = (),
    min_lists: int = MIN_LISTS,
) -> CaptureHistories:
    """Build validated histories from a 0/1 matrix (rows = patterns or people) and counts.

    Rows with a zero count are dropped; repeated patterns are summed.
    """
    x = np.asarray(patterns)
    if x.ndim != 2:
        raise HistoriesError(f"{origin}: patterns must be a 2-D 0/1 array")
    if x.shape[0] == 0:
        raise HistoriesError(f"{origin}: no capture histories (no rows)")
    f = np.ones(x.shape[0], dtype=np.int64) if counts is None else np.asarray(counts)
    if f.shape != (x.shape[0],):
        raise HistoriesError(f"{origin}: {x.shape[0]} patterns but {f.size} counts")
    names = tuple(lists) if lists is not None else tuple(f"list{j + 1}" for j in range(x.shape[1]))
    if len(names) != x.shape[1]:
        raise HistoriesError(f"{origin}: {x.shape[1]} list columns but {len(names)} names")
    _check_list_count(names, origin, min_lists)
    if not np.isin(x, (0, 1)).all():
        r, c = np.argwhere(~np.isin(x, (0, 1)))[0]
        raise HistoriesError(
            f"{origin}, row {r + 1}, column {names[c]!r}: value {x[r, c]!r} is not 0 or 1"
        )
    if (f < 0).any():
        r = int(np.argmax(f < 0))
        raise HistoriesError(f"{origin}, row {r + 1}: negative count {f[r]}")
    x = x.astype(np.uint8)
    f = f.astype(np.int64)
    empty_rows = (x.sum(axis=1) == 0) & (f > 0)
    if empty_rows.any():
        r = int(np.argmax(empty_rows))
        raise HistoriesError(
            f"{origin}, row {r + 1}: the pattern has no list marked 1; a capture history must "
            "name at least one list (the number of people on no list is what is estimated)"
        )
    keep = f > 0
    x, f = x[keep], f[keep]
    if f.sum() == 0:
        raise HistoriesError(f"{origin}: all counts are zero; nobody was recorded")
    codes = pattern_codes(x)
    uniq, inverse = np.unique(codes, return_inverse=True)
    summed = np.bincount(inverse, weights=f).astype(np.int64)
    j = x.shape[1]
    bits = (uniq[:, None] >> np.arange(j - 1, -1, -1)) & 1
    return CaptureHistories(
        lists=names,
        patterns=bits.astype(np.uint8),
        counts=summed,
        origin=origin,
        notes=tuple(notes),
    )


def from_table(
    table: Mapping[tuple[int, ...], int], *, lists: Sequence[str], origin: str = "<data>"
) -> CaptureHistories:
    """Build histories from ``{pattern tuple: count}``."""
    keys = list(table)
    return from_arrays(
        np.array(keys, dtype=np.int64).reshape(len(keys), len(lists)),
        np.array([table[k] for k in keys], dtype=np.int64),
        lists=lists,
        origin=origin,
    )


def _check_list_count(names: Sequence[str], origin: str, min_lists: int) -> None:
    if len(names) == 0:
        raise HistoriesError(
            f"{origin}: no list columns found; expected one 0/1 column per list plus 'count'"
        )
    if len(names) < min_lists:
        raise HistoriesError(
            f"{origin}: only {len(names)} list(s) ({', '.join(names)}); multiple systems "
            f"estimation needs at least {min_lists}. With two lists the estimate rests entirely "
            "on the untestable assumption that the lists are independent, and people who are "
            "hard to record on one list are usually hard to record on the other, so the total "
            "would be biased low with no way to check it"
        )


def read_histories(
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    min_lists: int = MIN_LISTS,
) -> CaptureHistories:
    """Read capture histories from a CSV file.

    Args:
        path: the CSV file.
        columns: the list columns to use; by default every column except ``count``.
        min_lists: refuse data with fewer lists than this.
    """
    p = Path(path)
    origin = p.name
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise HistoriesError(f"{origin}: file not found ({p})") from None
    except UnicodeDecodeError as exc:
        raise HistoriesError(
            f"{origin}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV"
        ) from None
    return parse_histories(text, origin=origin, columns=columns, min_lists=min_lists)


def parse_histories(
    text: str,
    *,
    origin: str = "<data>",
    columns: Sequence[str] | None = None,
    min_lists: int = MIN_LISTS,
) -> CaptureHistories:
    """Parse CSV text in either layout (see the module docstring)."""
    if not text.strip():
        raise HistoriesError(f"{origin}: the file is empty")
    first_line = text.lstrip().splitlines()[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [
        (lineno, row) for lineno, row in enumerate(reader, start=1) if any(c.strip() for c in row)
    ]
    header = [h.strip() for h in rows[0][1]]
    data = rows[1:]
    _check_header(header, origin)
    count_idx = next((i for i, h in enumerate(header) if h.lower() in COUNT_COLUMNS), None)
    if columns is None:
        list_idx = [i for i in range(len(header)) if i != count_idx]
    else:
        missing = [c for c in columns if c not in header]
        if missing:
            raise HistoriesError(f"{origin}: no column named {', '.join(map(repr, missing))}")
        list_idx = [header.index(c) for c in columns]
    names = [header[i] for i in list_idx]
    _check_list_count(names, origin, min_lists)
    if not data:
        raise HistoriesError(f"{origin}: the file has a header but no data rows")

    x = np.zeros((len(data), len(names)), dtype=np.uint8)
    f = np.ones(len(data), dtype=np.int64)
    for r, (lineno, row) in enumerate(data):
        where = f"{origin}, row {r + 1} (line {lineno})"
        if len(row) != len(header):
            raise HistoriesError(f"{where}: {len(row)} fields, but the header has {len(header)}")
        for j, i in enumerate(list_idx):
            value = row[i].strip()
            if value not in ("0", "1"):
                raise HistoriesError(f"{where}, column {names[j]!r}: value {value!r} is not 0 or 1")
            x[r, j] = value == "1"
        if count_idx is not None:
            f[r] = _parse_count(row[count_idx].strip(), f"{where}, column {header[count_idx]!r}")
        if f[r] > 0 and not x[r].any():
            raise HistoriesError(
                f"{where}: the pattern has no list marked 1; a capture history must name at "
                "least one list (the number of people on no list is what is estimated)"
            )
    if f.sum() == 0:
        raise HistoriesError(f"{origin}: every count is zero; nobody was recorded")
    return from_arrays(x, f, lists=names, origin=origin, min_lists=min_lists)


def _check_header(header: list[str], origin: str) -> None:
    if any(h == "" for h in header):
        raise HistoriesError(f"{origin}, header: column {header.index('') + 1} has no name")
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise HistoriesError(f"{origin}, header: column {h!r} appears twice")
        seen.add(h)
    counts = [h for h in header if h.lower() in COUNT_COLUMNS]
    if len(counts) > 1:
        raise HistoriesError(f"{origin}, header: more than one count column ({counts})")


def _parse_count(value: str, where: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise HistoriesError(f"{where}: count {value!r} is not a whole number") from None
    if count < 0:
        raise HistoriesError(f"{where}: negative count {count}")
    return count


class InsufficientDataError(HistoriesError):
    """The histories are readable but cannot support an estimate."""


#: Refuse to estimate from fewer people than this; warn below ``FEW_OBSERVED``.
MIN_OBSERVED = 10
FEW_OBSERVED = 100


@dataclass(frozen=True)
class SupportCheck:
    """Histories fit for estimation, plus the caveats found while checking them."""

    histories: CaptureHistories
    caveats: tuple[tuple[str, str], ...]  # (code, message)


def check_support(histories: CaptureHistories, *, min_lists: int = MIN_LISTS) -> SupportCheck:
    """Refuse data that cannot support an estimate; list the caveats of data that can.

    Lists that recorded nobody are dropped (as HRDAG does per stratum). Raises
    :class:`InsufficientDataError` when fewer than ``min_lists`` lists remain, when nobody is
    on two lists or more (no overlap, so nothing links the lists), or when fewer than
    ``MIN_OBSERVED`` people were recorded.
    """
    h = histories
    caveats: list[tuple[str, str]] = []
    kept = h.drop_empty_lists()
    if kept is not h:
        empty = [name for name in h.lists if name not in kept.lists]
        caveats.append(
            ("dropped_lists", f"Lists with no records were left out: {', '.join(empty)}.")
        )
        if kept.n_lists < min_lists:
            raise InsufficientDataError(
                f"{h.origin}: only {kept.n_lists} list(s) recorded anyone "
                f"({', '.join(kept.lists)}; empty: {', '.join(empty)}); multiple systems "
                f"estimation needs at least {min_lists} lists with records"
            )
        h = kept
    if h.observed < MIN_OBSERVED:
        raise InsufficientDataError(
            f"{h.origin}: only {h.observed} people recorded; at least {MIN_OBSERVED} are "
            "needed before the overlaps between lists say anything about who is missing"
        )
    f = h.captures_per_person()
    if f[2:].sum() == 0:
        raise InsufficientDataError(
            f"{h.origin}: nobody appears on more than one list, so the lists do not overlap "
            "and the data carry no information about how many people were missed"
        )
    if h.observed < FEW_OBSERVED:
        caveats.append(
            (
                "few_observed",
                f"Only {h.observed} people were recorded; the estimate will be imprecise and "
                "sensitive to a few records.",
            )
        )
    x = h.patterns.astype(np.int64) * h.counts[:, None]
    co = h.patterns.astype(np.int64).T @ x  # co[a, b]: people on both list a and list b
    np.fill_diagonal(co, 0)
    isolated = [name for name, row in zip(h.lists, co, strict=True) if row.sum() == 0]
    if isolated:
        caveats.append(
            (
                "isolated_list",
                "Some lists share nobody with any other list: " + ", ".join(isolated) + ". "
                "They say nothing about who the other lists missed, and the estimate rests "
                "on the model's assumptions about them.",
            )
        )
    return SupportCheck(h, tuple(caveats))


def read_stratified_histories(
    path: str | Path, *, stratum_column: str, min_lists: int = MIN_LISTS
) -> dict[str, CaptureHistories]:
    """Read one CSV holding several strata (e.g. periods or regions), one column naming each
    row's stratum; returns ``{stratum: histories}`` in order of first appearance."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise HistoriesError(f"{p.name}: file not found ({p})") from None
    except UnicodeDecodeError as exc:
        raise HistoriesError(f"{p.name}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise HistoriesError(f"{p.name}: the file is empty")
    first_line = text.lstrip().splitlines()[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    rows = [
        r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)
    ]
    header = [h.strip() for h in rows[0]]
    if stratum_column not in header:
        raise HistoriesError(f"{p.name}: no stratum column named {stratum_column!r}")
    s_idx = header.index(stratum_column)
    groups: dict[str, list[list[str]]] = {}
    for r, row in enumerate(rows[1:], start=1):
        if len(row) != len(header):
            raise HistoriesError(
                f"{p.name}, row {r}: {len(row)} fields, but the header has {len(header)}"
            )
        groups.setdefault(row[s_idx].strip(), []).append(row[:s_idx] + row[s_idx + 1 :])
    if not groups:
        raise HistoriesError(f"{p.name}: the file has a header but no data rows")
    sub_header = header[:s_idx] + header[s_idx + 1 :]
    out: dict[str, CaptureHistories] = {}
    for name, group in groups.items():
        buf = io.StringIO()
        csv.writer(buf).writerows([sub_header, *group])
        out[name] = parse_histories(
            buf.getvalue(), origin=f"{p.name} [{stratum_column}={name}]", min_lists=min_lists
        )
    return out

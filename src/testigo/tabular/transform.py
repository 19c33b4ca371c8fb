"""Applying a mapping to rows: the fields of each row, its problems, and what needs a person.

`RowMapper` turns each `Row` into a `MappedRow`. It does the mapping's own work (which column
is which field, name order, day-first dates, value tables, hand-resolved places, several act
types in one cell) and hands the rest to the one normaliser,
`testigo.domain.reported.normalise_reported`, by passing it canonical text. What cannot be
read is kept in the raw row, reported as a `Problem` naming the column, and gathered for a
person: places not in the gazetteer (with candidates) and values with no vocabulary term.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from testigo.domain.dates import DateParseError, PartialDate, parse_partial_date
from testigo.domain.reported import (
    HEADER_ALIASES,
    ReportedContext,
    ReportedFields,
    normalise_reported,
)
from testigo.domain.terms import TermMatcher
from testigo.domain.text import fold
from testigo.tabular.cells import FORMULA_STARTS as _FORMULA_STARTS
from testigo.tabular.cells import looks_like_formula
from testigo.tabular.errors import MappingError
from testigo.tabular.mapping import IGNORE, ColumnRule, Mapping, place_key
from testigo.tabular.problems import Problem, Severity
from testigo.tabular.rows import Row

__all__ = [
    "PROBLEM_SEVERITY",
    "MappedRow",
    "PlaceCandidate",
    "RowMapper",
    "UnmatchedValue",
    "UnresolvedPlace",
]

#: A header the normaliser recognises for each field (its first alias).
_KEY: dict[str, str] = {name: alias for alias, name in reversed(list(HEADER_ALIASES.items()))}
_DATES = ("event_date", "birth_date")
_PLACES = ("state", "municipality", "parish")
_TERMS = ("act", "body", "facility", "affiliation")
_NAMES = ("full_name", "full_name_surnames_first", "given_names", "surnames")
_SPLIT = re.compile(r"\s*(?:[,;/+]|\s(?:y|e|and)\s)\s*")
_CACHE_LIMIT = 100_000

#: The fields `normalise_reported` reads independently of each other, in the order it reports
#: their problems, with the `ReportedFields` attributes each group sets. Names and ID numbers
#: are as many as the rows; the other groups' texts repeat across a file (a few sexes, states,
#: act types, event dates), so the mapper normalises each distinct text once.
_UNCACHED_GROUP = (*_NAMES, "national_id")
_CACHED_GROUPS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("sex",), ("sex",)),
    (("event_date", "birth_date", "age"), ("event_date", "birth_date", "age")),
    (_PLACES, ("place_code",)),
    (("act",), ("act_type",)),
    (("body",), ("body_code",)),
    (("facility",), ("facility_code",)),
    (("affiliation",), ("affiliation",)),
    (("status",), ("detention_status",)),
)
#: Problem field → its place in `normalise_reported`'s order.
_PROBLEM_ORDER = {
    name: index
    for index, name in enumerate(
        (
            *("full_name", "sex", "event_date", "birth_date", "age", "national_id", "state"),
            *("act", "body", "facility", "affiliation", "status"),
        )
    )
}

#: Problem code → severity. Errors make a file invalid (the import writes nothing); a mapping's
#: ``accept`` list turns chosen codes into warnings for its source.
PROBLEM_SEVERITY: dict[str, Severity] = {
    "name_unreadable": "error",
    "date_unreadable": "error",
    "date_ambiguous": "warning",
    "age_invalid": "error",
    "national_id_invalid": "error",
    "place_not_found": "error",
    "place_partly_found": "warning",
    "act_unmatched": "error",
    "term_unmatched": "warning",
    "sex_unknown": "warning",
    "status_unknown": "warning",
    "formula_text": "warning",
}
_CODE_OF_FIELD = {
    "full_name": "name_unreadable",
    "event_date": "date_unreadable",
    "birth_date": "date_unreadable",
    "age": "age_invalid",
    "national_id": "national_id_invalid",
    "act": "act_unmatched",
    "body": "term_unmatched",
    "facility": "term_unmatched",
    "affiliation": "term_unmatched",
    "sex": "sex_unknown",
    "status": "status_unknown",
}


@dataclass(frozen=True)
class PlaceCandidate:
    code: str
    name: str
    level: str
    score: float


@dataclass
class UnresolvedPlace:
    """A place text the gazetteer could not (fully) resolve, for a person to decide.

    `key` is what goes into the mapping's ``places`` table once decided; `resolved` is the
    code of the part that was found (the state, when only the municipality was not).
    """

    key: str
    text: str
    columns: tuple[str, ...]
    resolved: str | None
    candidates: list[PlaceCandidate]
    count: int = 0
    rows: list[int] = field(default_factory=list)


@dataclass
class UnmatchedValue:
    """A value no vocabulary term (or value table entry) matched: add it to a value table."""

    field: str
    column: str
    value: str
    count: int = 0
    rows: list[int] = field(default_factory=list)


@dataclass
class MappedRow:
    """One row, mapped: the normalised fields, every act type, and the row's problems."""

    row: Row
    fields: ReportedFields
    act_types: tuple[str, ...]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """True if no problem is an error."""
        return all(p.severity != "error" for p in self.problems)


class _MemoMatcher(TermMatcher):
    """A TermMatcher that remembers answers: sources repeat the same few texts a million times."""

    def __init__(self, inner: TermMatcher) -> None:  # the inner matcher does the work
        self._inner = inner
        self.min_score = inner.min_score
        self._memo: dict[str, str | None] = {}

    def resolve(self, text: str) -> str | None:
        try:
            return self._memo[text]
        except KeyError:
            if len(self._memo) >= _CACHE_LIMIT:
                self._memo.clear()
            code = self._memo[text] = self._inner.resolve(text)
            return code


def _memo(matcher: TermMatcher | None) -> TermMatcher | None:
    if matcher is None or isinstance(matcher, _MemoMatcher):
        return matcher
    return _MemoMatcher(matcher)


@dataclass(frozen=True)
class _DateReading:
    edtf: str | None
    error: str | None
    other: PartialDate | None  # how the other day/month order reads it, when that differs
    other_fails: bool  # the other order cannot read it ("15/08/2024" month first)


class RowMapper:
    """Maps rows with one mapping and one normalisation context; collects what needs a person.

    Args:
        mapping: the column mapping (see `Mapping`); `auto_mapping(headers)` without one.
        context: the vocabularies, gazetteer and ID format (`ReportedContext`).
        headers: the headers of the rows to be mapped (`Table.record_headers()`).
        file: the file name for problems.
        select_multiple: headers whose values are space-separated choices (KoboToolbox).
        today: dates after it are errors (default: today, UTC).

    Raises:
        MappingError: a value table or a hand-resolved place names an unknown code.
    """

    def __init__(
        self,
        mapping: Mapping,
        context: ReportedContext,
        *,
        headers: Sequence[str],
        file: str = "",
        select_multiple: Iterable[str] = (),
        today: date | None = None,
    ) -> None:
        self.mapping = mapping
        self.file = file
        self.today = today or datetime.now(UTC).date()
        self.context = replace(
            context,
            act_types=_memo(context.act_types),
            bodies=_memo(context.bodies),
            facilities=_memo(context.facilities),
            affiliations=_memo(context.affiliations),
        )
        self._accept = set(mapping.accept)
        acceptable = sorted(code for code, level in PROBLEM_SEVERITY.items() if level == "error")
        if unknown := sorted(self._accept - set(acceptable)):
            raise MappingError(
                f"mapping: accept names unknown problem codes {', '.join(unknown)}; "
                f"use {', '.join(acceptable)}"
            )
        self._places = mapping.folded_places()
        for key, code in self._places.items():
            if code not in context.gazetteer:
                raise MappingError(f"mapping: places[{key!r}] names {code!r}, not in the gazetteer")
        choices = set(select_multiple)
        self.rules: list[tuple[str, ColumnRule]] = []
        self._tables: dict[str, dict[str, str]] = {}
        self.unmapped: list[str] = []
        for header in headers:
            rule = mapping.rule_for(header)
            if rule is None:
                self.unmapped.append(header)
            elif rule.field != IGNORE:
                if header in choices and rule.field == "act":
                    rule = replace(rule, multiple=True)
                self.rules.append((header, rule))
                self._check_values(rule)
                self._tables[header] = {fold(k): v for k, v in rule.values.items()}
        self._choices = choices
        self.file_problems: list[Problem] = []
        for rule in mapping.columns:
            if all(fold(rule.column) != fold(h) for h in headers):
                self.file_problems.append(
                    self._problem(
                        None,
                        rule.column,
                        "",
                        "the mapping names this column, but the file does not have it",
                        "column_missing",
                        "warning",
                    )
                )
        self._dates: dict[tuple[str, bool], _DateReading] = {}
        self._normalised: dict[tuple[str, ...], ReportedFields] = {}
        self._place_keys: dict[tuple[str, ...], str] = {}
        self._date_orders: dict[str, Counter[str]] = {}
        self._unresolved: dict[str, UnresolvedPlace] = {}
        self._unmatched: dict[tuple[str, str], UnmatchedValue] = {}

    # Set-up -------------------------------------------------------------------------------

    def _matcher(self, name: str) -> TermMatcher | None:
        return {
            "act": self.context.act_types,
            "body": self.context.bodies,
            "facility": self.context.facilities,
            "affiliation": self.context.affiliations,
        }.get(name)

    def _check_values(self, rule: ColumnRule) -> None:
        matcher = self._matcher(rule.field)
        for text, code in rule.values.items():
            if matcher is not None and matcher.resolve(code) != code:
                raise MappingError(
                    f"mapping: columns[{rule.column!r}].values[{text!r}] names {code!r}, "
                    f"which is not a {rule.field} code"
                )

    # Problems -----------------------------------------------------------------------------

    def _problem(
        self,
        row: Row | None,
        column: str | None,
        value: str,
        reason: str,
        code: str,
        severity: Severity | None = None,
    ) -> Problem:
        severity = severity or PROBLEM_SEVERITY.get(code, "error")
        if code in self._accept:
            severity = "warning"
        return Problem(
            self.file,
            row.number if row else None,
            column,
            value,
            reason,
            code,
            severity,
            (row.sheet or None) if row else None,
        )

    # Dates --------------------------------------------------------------------------------

    def _read_date(self, text: str, dayfirst: bool) -> _DateReading:
        key = (text, dayfirst)
        reading = self._dates.get(key)
        if reading is None:
            if len(self._dates) >= _CACHE_LIMIT:
                self._dates.clear()
            try:
                value: PartialDate | None = parse_partial_date(
                    text, dayfirst=dayfirst, today=self.today
                )
                error = None
            except DateParseError as exc:
                value, error = None, exc.reason
            try:
                other: PartialDate | None = parse_partial_date(
                    text, dayfirst=not dayfirst, today=self.today
                )
            except DateParseError:
                other = None
            reading = self._dates[key] = _DateReading(
                value.to_edtf() if value else None,
                error,
                None if other == value else other,
                other is None,
            )
        return reading

    def _date(
        self, row: Row, column: str, text: str, rule: ColumnRule, problems: list[Problem]
    ) -> str | None:
        dayfirst = self.mapping.dayfirst if rule.dayfirst is None else rule.dayfirst
        reading = self._read_date(text, dayfirst)
        orders = self._date_orders.setdefault(column, Counter())
        order = "day first" if dayfirst else "month first"
        other_order = "month first" if dayfirst else "day first"
        if reading.edtf is not None and reading.other_fails:
            orders["this_order_only"] += 1
        if reading.edtf is not None and reading.other is not None:
            orders["ambiguous"] += 1
            problems.append(
                self._problem(
                    row,
                    column,
                    text,
                    f"ambiguous: read {order} as {reading.edtf}; "
                    f"{other_order} it would be {reading.other}",
                    "date_ambiguous",
                )
            )
        elif reading.edtf is None:
            reason = reading.error or "not a date"
            if reading.other is not None:
                orders["other_order_only"] += 1
                reason += f"; read {other_order} it would be {reading.other}"
            problems.append(self._problem(row, column, text, reason, "date_unreadable"))
        return reading.edtf

    # Terms --------------------------------------------------------------------------------

    def _terms(self, row: Row, column: str, text: str, rule: ColumnRule) -> list[str | None]:
        """Codes for each of several values in one cell (None where nothing matched)."""
        # A KoboToolbox select_multiple holds option names separated by spaces.
        parts = text.split() if column in self._choices else _SPLIT.split(text)
        table = self._tables.get(column, {})
        matcher = self._matcher(rule.field)
        codes: list[str | None] = []
        for part in filter(None, (p.strip() for p in parts)):
            code = table.get(fold(part))
            if code is None and matcher is not None:
                code = matcher.resolve(part)
            codes.append(code)
            if code is None:
                self._unmatched_value(row, rule.field, column, part)
        return codes

    def _unmatched_value(self, row: Row, name: str, column: str, value: str) -> None:
        key = (column, fold(value))
        entry = self._unmatched.get(key)
        if entry is None:
            if len(self._unmatched) >= _CACHE_LIMIT:
                return
            entry = self._unmatched[key] = UnmatchedValue(name, column, value)
        entry.count += 1
        if len(entry.rows) < 20:
            entry.rows.append(row.number)

    # Places -------------------------------------------------------------------------------

    def _unresolved_place(
        self, row: Row, parts: dict[str, tuple[str, str]], resolved: str | None
    ) -> UnresolvedPlace:
        texts = [parts.get(level, ("", ""))[1] for level in _PLACES]
        key = place_key(*texts)
        entry = self._unresolved.get(key)
        if entry is None:
            level = next(level for level in reversed(_PLACES) if level in parts)
            gazetteer = self.context.gazetteer
            found = gazetteer.candidates(parts[level][1], level=level, within=resolved)
            if not found and resolved is not None:
                found = gazetteer.candidates(parts[level][1], level=level)
            entry = UnresolvedPlace(
                key=key,
                text=" / ".join(texts).rstrip(" /"),
                columns=tuple(parts[level][0] for level in _PLACES if level in parts),
                resolved=resolved,
                candidates=[
                    PlaceCandidate(m.place.code, m.place.name, m.place.level, m.score)
                    for m in found
                ],
            )
            if len(self._unresolved) < _CACHE_LIMIT:
                self._unresolved[key] = entry
        entry.count += 1
        if len(entry.rows) < 20:
            entry.rows.append(row.number)
        return entry

    # Mapping ------------------------------------------------------------------------------

    def map(self, row: Row) -> MappedRow:
        """Map one row. Never raises for bad values: they become problems."""
        values = row.values
        problems: list[Problem] = []
        for header, value in values.items():
            if value[:1] in _FORMULA_STARTS and looks_like_formula(value):
                problems.append(
                    self._problem(
                        row,
                        header,
                        value,
                        "looks like a spreadsheet formula; stored as text, and exports "
                        "neutralise it",
                        "formula_text",
                    )
                )
        found: dict[str, tuple[str, str, ColumnRule]] = {}
        for header, rule in self.rules:
            text = values.get(header, "").strip()
            if text and rule.field not in found:
                found[rule.field] = (header, text, rule)
        reported: dict[str, str] = {}  # canonical field → text for the normaliser
        act_types: tuple[str, ...] | None = None
        places: dict[str, tuple[str, str]] = {}
        for name, (column, text, rule) in found.items():
            if name in _DATES:
                edtf = self._date(row, column, text, rule, problems)
                if edtf is not None:
                    reported[name] = edtf
            elif name == "full_name":
                order = rule.name_order or self.mapping.name_order
                key = "full_name_surnames_first" if order == "surnames_first" else "full_name"
                reported[key] = text
            elif name in _PLACES:
                places[name] = (column, text)
            elif rule.multiple and name in _TERMS:
                codes = self._terms(row, column, text, rule)
                known = list(dict.fromkeys(code for code in codes if code is not None))
                if name == "act":
                    act_types = tuple(known)
                if known:
                    reported[name] = known[0]
                if len(known) < len(codes) or not codes:
                    missing = sum(code is None for code in codes)
                    problems.append(
                        self._problem(
                            row,
                            column,
                            text,
                            f"no matching term for {missing} of {len(codes)} values",
                            _CODE_OF_FIELD.get(name, "term_unmatched"),
                        )
                    )
            else:
                table = self._tables.get(column)
                reported[name] = (table.get(fold(text)) if table else None) or text
        hand_resolved = None
        if places:
            if self._places:
                hand_resolved = self._places.get(self._place_key(places))
            if hand_resolved is None:
                for name, (_, text) in places.items():
                    reported[name] = text
        fields = self._normalise(reported)
        for problem in fields.problems:
            if problem.field == "state":
                continue  # places are checked below, with candidates
            column = self._column_of(problem.field, found)
            code = _CODE_OF_FIELD.get(problem.field, "invalid_value")
            if problem.field in ("act", "body", "facility", "affiliation", "sex", "status"):
                self._unmatched_value(row, problem.field, column or "", problem.value)
            problems.append(self._problem(row, column, problem.value, problem.reason, code))
        if hand_resolved is not None:
            fields.place_code = hand_resolved
        elif places:
            self._check_place(row, places, fields, problems)
        if act_types is None:
            act_types = (fields.act_type,) if fields.act_type else ()
        return MappedRow(row, fields, act_types, problems)

    def _place_key(self, places: dict[str, tuple[str, str]]) -> str:
        texts = tuple(places.get(level, ("", ""))[1] for level in _PLACES)
        key = self._place_keys.get(texts)
        if key is None:
            if len(self._place_keys) >= _CACHE_LIMIT:
                self._place_keys.clear()
            key = self._place_keys[texts] = place_key(*texts)
        return key

    def _normalise(self, reported: dict[str, str]) -> ReportedFields:
        """`normalise_reported` of the row's canonical texts, exactly, with each group of
        fields that repeat (`_CACHED_GROUPS`) normalised once per distinct text: the same
        fields and the same problems in the same order (tests/tabular/test_validate.py holds
        the two equal)."""
        alone = {_KEY[n]: reported[n] for n in _UNCACHED_GROUP if n in reported}
        fields = normalise_reported(alone, self.context)
        shuffled = False
        for names, attributes in _CACHED_GROUPS:
            key = tuple(reported.get(n, "") for n in names)
            if not any(key):
                continue
            part = self._normalised.get((*names, *key))
            if part is None:
                if len(self._normalised) >= _CACHE_LIMIT:
                    self._normalised.clear()
                texts = {_KEY[n]: text for n, text in zip(names, key, strict=True) if text}
                part = normalise_reported(texts, self.context)
                self._normalised[(*names, *key)] = part
            for attribute in attributes:
                setattr(fields, attribute, getattr(part, attribute))
            if part.problems:
                shuffled = shuffled or bool(fields.problems)
                fields.problems.extend(part.problems)
        if shuffled:
            fields.problems.sort(key=lambda p: _PROBLEM_ORDER.get(p.field, len(_PROBLEM_ORDER)))
        return fields

    def _check_place(
        self,
        row: Row,
        places: dict[str, tuple[str, str]],
        fields: ReportedFields,
        problems: list[Problem],
    ) -> None:
        deepest = next(level for level in reversed(_PLACES) if level in places)
        column, text = places[deepest]
        code = fields.place_code
        place = self.context.gazetteer.get(code) if code else None
        if place is not None and place.level == deepest:
            return
        entry = self._unresolved_place(row, places, code)
        hint = ", ".join(f"{c.name} ({c.code}, {c.score:.0f})" for c in entry.candidates[:3])
        if place is None:
            reason = "place not found in the gazetteer"
            problem_code = "place_not_found"
        else:
            reason = f"{deepest} not found in the gazetteer; only {place.name} was"
            problem_code = "place_partly_found"
        if hint:
            reason += f"; nearest: {hint}"
        problems.append(self._problem(row, column, text, reason, problem_code))

    @staticmethod
    def _column_of(name: str, found: dict[str, tuple[str, str, ColumnRule]]) -> str | None:
        candidates = _NAMES if name == "full_name" else (name,)
        return next((found[c][0] for c in candidates if c in found), None)

    def map_rows(self, rows: Iterable[Row]) -> Iterator[MappedRow]:
        for row in rows:
            yield self.map(row)

    # What needs a person ------------------------------------------------------------------

    def unresolved_places(self) -> list[UnresolvedPlace]:
        """Places to resolve by hand, most frequent first."""
        return sorted(self._unresolved.values(), key=lambda p: (-p.count, p.key))

    def unmatched_values(self) -> list[UnmatchedValue]:
        """Values with no vocabulary term, most frequent first."""
        return sorted(self._unmatched.values(), key=lambda v: (-v.count, v.field, v.value))

    def column_problems(self) -> list[Problem]:
        """File-level findings: mapped columns missing from the file, date columns whose
        values only make sense in the other day/month order."""
        found = list(self.file_problems)
        for column, orders in self._date_orders.items():
            if (
                orders["other_order_only"]
                and orders["other_order_only"] >= orders["ambiguous"] / 10
            ):
                rule = next(r for h, r in self.rules if h == column)
                dayfirst = self.mapping.dayfirst if rule.dayfirst is None else rule.dayfirst
                found.append(
                    self._problem(
                        None,
                        column,
                        "",
                        f"{orders['other_order_only']} dates in this "
                        f"column only read {'month' if dayfirst else 'day'} first; if "
                        f"the column is written that way, set dayfirst: "
                        f"{'false' if dayfirst else 'true'} for it in the mapping",
                        "date_order",
                        "warning",
                    )
                )
        return found

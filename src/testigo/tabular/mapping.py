"""Mappings: which column holds which field, and how to read it. Saved as YAML per source.

    version: 1
    source: Foro Penal, lista agosto 2024
    read: {encoding: latin-1, delimiter: ";", sheet: Hoja1, header_row: 3}
    dayfirst: true                  # "03/04/2024" is 3 April (per column: dayfirst: false)
    name_order: auto                # or surnames_first for lists written "PÉREZ JOSÉ"
    columns:
      Nombre y apellido: full_name
      C.I.: national_id
      Fecha detención: {field: event_date, dayfirst: false}
      Tipo de hecho:
        field: act
        multiple: true              # "detención y tortura" → two act types
        values: {detenido: arbitrary_detention, "desaparecido (48h)": enforced_disappearance}
      Observaciones: ignore
    places:                         # decisions a person made in the unresolved-places list
      "Lara / Iribaren": VE-K/iribarren
    accept: [place_not_found]       # problem codes that only warn for this source

Without a mapping, `auto_mapping` places the columns whose headers the normaliser recognises
(Spanish and English, `testigo.domain.reported.canonical_field`); `suggest_fields` scores every
header against every field for the web wizard.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from rapidfuzz import fuzz

from testigo.domain.dates import DateParseError, parse_partial_date
from testigo.domain.national_ids import NationalIdError, normalize_national_id
from testigo.domain.reported import HEADER_ALIASES, SEX_VALUES, STATUS_VALUES, canonical_field
from testigo.domain.text import fold
from testigo.tabular.errors import MappingError

__all__ = [
    "FIELDS",
    "IGNORE",
    "ColumnRule",
    "Mapping",
    "NameOrder",
    "Suggestion",
    "auto_mapping",
    "place_key",
    "suggest_fields",
]

#: The fields a column can be mapped to (those of `ReportedFields`, as the normaliser names them).
FIELDS: tuple[str, ...] = tuple(dict.fromkeys(HEADER_ALIASES.values()))
#: Map a column to this to leave it out of the fields (it stays in the raw row).
IGNORE = "ignore"
NameOrder = Literal["auto", "given_first", "surnames_first"]
_NAME_ORDERS = ("auto", "given_first", "surnames_first")
_RULE_KEYS = {"field", "name_order", "dayfirst", "values", "multiple"}
_READ_KEYS = {"encoding", "delimiter", "sheet", "header_row", "records_sheet"}
_TOP_KEYS = {"version", "source", "read", "dayfirst", "name_order", "columns", "places", "accept"}


def place_key(state: str, municipality: str = "", parish: str = "") -> str:
    """How a place is written, folded: "Lara / Iribaren" → "lara / iribaren"."""
    return " / ".join(fold(part) for part in (state, municipality, parish)).rstrip(" /")


@dataclass
class ColumnRule:
    """How to read one column.

    Attributes:
        column: the header as written in the file (matched exactly, else after folding).
        field: one of `FIELDS`, or `IGNORE`.
        name_order: for a full-name column, "surnames_first" if written "PÉREZ, JOSÉ"-style
            without the comma (default: the mapping's).
        dayfirst: for a date column, how to read "03/04/2024" (default: the mapping's).
        values: a value table, text as written → vocabulary code (or "M"/"F", a status code);
            checked before the fuzzy matcher.
        multiple: the cell may hold several values ("detención, tortura"); act type only.
    """

    column: str
    field: str
    name_order: NameOrder | None = None
    dayfirst: bool | None = None
    values: dict[str, str] = field(default_factory=dict)
    multiple: bool = False

    def to_yaml_value(self) -> str | dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.name_order is not None:
            extra["name_order"] = self.name_order
        if self.dayfirst is not None:
            extra["dayfirst"] = self.dayfirst
        if self.multiple:
            extra["multiple"] = True
        if self.values:
            extra["values"] = dict(self.values)
        return {"field": self.field, **extra} if extra else self.field


@dataclass
class Mapping:
    """A source's column mapping and reading options (see the module docstring for the YAML)."""

    columns: list[ColumnRule] = field(default_factory=list)
    source: str = ""
    dayfirst: bool = True
    name_order: NameOrder = "auto"
    places: dict[str, str] = field(default_factory=dict)
    accept: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int | None = None
    records_sheet: str | None = None

    def rule_for(self, header: str) -> ColumnRule | None:
        """The rule for a header: exact match first, then after folding (accents, case)."""
        for rule in self.columns:
            if rule.column == header:
                return rule
        folded = fold(header)
        return next((rule for rule in self.columns if fold(rule.column) == folded), None)

    def reader_options(self) -> dict[str, Any]:
        """Keyword arguments for `open_table` (only those that are set)."""
        options = {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "header_row": self.header_row,
        }
        return {key: value for key, value in options.items() if value is not None}

    def folded_places(self) -> dict[str, str]:
        """The hand-resolved places keyed by `place_key`."""
        return {
            place_key(*[*key.split("/"), "", ""][:3]): code for key, code in self.places.items()
        }

    # Serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        read = {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "records_sheet": self.records_sheet,
        }
        data: dict[str, Any] = {"version": 1}
        if self.source:
            data["source"] = self.source
        if any(value is not None for value in read.values()):
            data["read"] = {key: value for key, value in read.items() if value is not None}
        data["dayfirst"] = self.dayfirst
        data["name_order"] = self.name_order
        data["columns"] = {rule.column: rule.to_yaml_value() for rule in self.columns}
        if self.places:
            data["places"] = dict(self.places)
        if self.accept:
            data["accept"] = list(self.accept)
        return data

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def from_yaml(cls, text: str, *, where: str = "mapping") -> Mapping:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise MappingError(f"{where}: not valid YAML ({exc})") from None
        return cls.from_dict(data if data is not None else {}, where=where)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Mapping:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"{path}: cannot be read ({exc})") from None
        return cls.from_yaml(text, where=str(path))

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "mapping") -> Mapping:
        """Build and check a mapping; `MappingError` names the key at fault."""
        if not isinstance(data, dict):
            raise MappingError(f"{where}: the top level must be a mapping of keys to values")
        _no_unknown(data, _TOP_KEYS, where)
        if data.get("version", 1) != 1:
            raise MappingError(f"{where}: version {data['version']!r} is not supported (use 1)")
        read = data.get("read") or {}
        if not isinstance(read, dict):
            raise MappingError(f"{where}: 'read' must be a mapping")
        _no_unknown(read, _READ_KEYS, f"{where}: read")
        columns = data.get("columns") or {}
        if not isinstance(columns, dict):
            raise MappingError(f"{where}: 'columns' must map each header to a field")
        rules = [_rule(str(column), spec, where) for column, spec in columns.items()]
        places = data.get("places") or {}
        if not isinstance(places, dict) or not all(isinstance(v, str) for v in places.values()):
            raise MappingError(f"{where}: 'places' must map place texts to gazetteer codes")
        accept = data.get("accept") or []
        if not isinstance(accept, list):
            raise MappingError(f"{where}: 'accept' must be a list of problem codes")
        header_row = read.get("header_row")
        if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
            raise MappingError(f"{where}: read.header_row must be a row number (1 or more)")
        return cls(
            columns=rules,
            source=str(data.get("source") or ""),
            dayfirst=_bool(data.get("dayfirst", True), f"{where}: dayfirst"),
            name_order=_order(data.get("name_order", "auto"), f"{where}: name_order"),
            places={str(k): v for k, v in places.items()},
            accept=[str(code) for code in accept],
            encoding=_auto(read.get("encoding")),
            delimiter={"tab": "\t"}.get(str(read.get("delimiter")), _auto(read.get("delimiter"))),
            sheet=_opt_str(read.get("sheet")),
            header_row=header_row,
            records_sheet=_opt_str(read.get("records_sheet")),
        )


def _no_unknown(data: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise MappingError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"expected {', '.join(sorted(known))}"
        )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _auto(value: Any) -> str | None:
    """None for "detect it" (absent or "auto")."""
    return None if value is None or value == "auto" else str(value)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise MappingError(f"{where} must be true or false, not {value!r}")
    return value


def _order(value: Any, where: str) -> NameOrder:
    if value not in _NAME_ORDERS:
        raise MappingError(f"{where} must be one of {', '.join(_NAME_ORDERS)}, not {value!r}")
    return cast(NameOrder, value)


def _rule(column: str, spec: Any, where: str) -> ColumnRule:
    at = f"{where}: columns[{column!r}]"
    if isinstance(spec, str):
        spec = {"field": spec}
    if not isinstance(spec, dict) or "field" not in spec:
        raise MappingError(f"{at} must be a field name or a mapping with 'field'")
    _no_unknown(spec, _RULE_KEYS, at)
    name = str(spec["field"])
    if name not in FIELDS and name != IGNORE:
        raise MappingError(f"{at}: unknown field {name!r}; use one of {', '.join(FIELDS)}, ignore")
    values = spec.get("values") or {}
    if not isinstance(values, dict):
        raise MappingError(f"{at}: 'values' must map texts to codes")
    return ColumnRule(
        column=column,
        field=name,
        name_order=None if spec.get("name_order") is None else _order(spec["name_order"], at),
        dayfirst=None if spec.get("dayfirst") is None else _bool(spec["dayfirst"], at),
        values={str(k): str(v) for k, v in values.items()},
        multiple=_bool(spec.get("multiple", False), at),
    )


def auto_mapping(headers: Iterable[str], *, source: str = "") -> Mapping:
    """A mapping that places every header the normaliser recognises; the others stay unmapped
    (they are kept in each row's raw payload)."""
    rules = [
        ColumnRule(header, name)
        for header in headers
        if (name := canonical_field(header)) is not None
    ]
    return Mapping(columns=rules, source=source)


# Suggestions for the web wizard ---------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A field a column may hold, 0-100, and why: "header", "values" or both."""

    field: str
    score: float
    why: str


def _alias_score(header: str, alias: str) -> float:
    """How well a folded header matches a folded alias, 0-100.

    Whole-string similarity, or, when every word of the alias is in the header ("fecha de
    detencion" in "fecha de detencion del preso"), 85 plus up to 15 for how much of the header
    the alias covers. A header that is part of a longer alias ("hecho" of "fecha hecho") only
    gets its similarity, so short headers do not drift to long aliases.
    """
    score = max(fuzz.ratio(header, alias), fuzz.token_sort_ratio(header, alias))
    words, alias_words = header.split(), alias.split()
    if set(alias_words) <= set(words):
        score = max(score, 85.0 + 15.0 * len(alias) / max(len(header), 1))
    return float(score)


def _header_scores(header: str) -> dict[str, float]:
    folded = fold(header)
    if not folded:
        return {}
    scores: dict[str, float] = {}
    for alias, name in HEADER_ALIASES.items():
        score = _alias_score(folded, alias)
        if score > scores.get(name, 0.0):
            scores[name] = score
    return scores


def _value_scores(values: Sequence[str], today: date) -> dict[str, float]:
    """Fields that most (80%) of the sample values look like."""
    values = [v.strip() for v in values if v and v.strip()][:50]
    if len(values) < 3:
        return {}

    def share(test: Any) -> float:
        return sum(1 for v in values if test(v)) / len(values)

    def is_date(text: str) -> bool:
        try:
            parse_partial_date(text, today=today)
        except DateParseError:
            return False
        return not text.isdigit() or len(text) == 4

    def is_id(text: str) -> bool:
        try:
            return len(normalize_national_id(text).digits) >= 6
        except NationalIdError:
            return False

    scores: dict[str, float] = {}
    if share(lambda v: fold(v) in SEX_VALUES) >= 0.8:
        scores["sex"] = 75.0
    elif share(lambda v: fold(v) in STATUS_VALUES) >= 0.8:
        scores["status"] = 75.0
    elif share(is_date) >= 0.8:
        scores.update(event_date=70.0, birth_date=65.0)  # lists mostly date the events
    elif share(is_id) >= 0.8:
        scores["national_id"] = 70.0
    return scores


def suggest_fields(
    headers: Sequence[str],
    sample_rows: Iterable[AnyMapping[str, str]] = (),
    *,
    limit: int = 3,
    min_score: float = 65.0,
    today: date | None = None,
) -> dict[str, list[Suggestion]]:
    """For each header, the likeliest fields, best first (empty list: no idea).

    Headers are compared with every known alias (fuzzy, accents and case ignored; a recognised
    header scores 100); sample values add evidence for dates, IDs, sex and status columns.
    """
    today = today or datetime.now(UTC).date()
    samples: dict[str, list[str]] = {header: [] for header in headers}
    for row in sample_rows:
        for header in headers:
            samples[header].append(row.get(header, ""))
    result: dict[str, list[Suggestion]] = {}
    for header in headers:
        by_header = _header_scores(header)
        by_value = _value_scores(samples[header], today)
        merged: list[Suggestion] = []
        for name in set(by_header) | set(by_value):
            h, v = by_header.get(name, 0.0), by_value.get(name, 0.0)
            if max(h, v) < min_score:
                continue
            why = "header and values" if h >= min_score and v else "header" if h >= v else "values"
            score = min(100.0, max(h, v) + (10.0 if h >= min_score and v else 0.0))
            merged.append(Suggestion(name, round(score, 1), why))
        merged.sort(key=lambda s: (-s.score, FIELDS.index(s.field)))
        result[header] = merged[:limit]
    return result

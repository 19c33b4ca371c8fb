"""The per-row work of an import: map a row, read its key, and build what the database stores.

Pure Python (no Django), so that it runs in worker processes: normalising a row costs about a
tenth of a millisecond, and a million rows want both cores. Everything a worker needs comes in
one picklable `PrepareSettings`: the mapping, the normalisation context, the code → id tables
of the reference data and the `RecordLayout` (the record table's columns, worked out by
`testigo.imports.bulk` from the model).

For each row a `PreparedRow` carries the row's key, raw payload and problems and, for rows that
can be written, the INSERT parameters and the audit snapshot as canonical JSON. Three values
are only known when the row is written (its id, version and the record it supersedes): they
are left as slots in the parameters and as ``%(slot)s`` in the JSON (a %-format template, so
that the writer fills all three in one pass).
"""

from __future__ import annotations

import functools
import json
import secrets
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from testigo.domain.reported import ReportedContext
from testigo.domain.search import _id_digits, skeleton
from testigo.domain.text import fold
from testigo.tabular import MappedRow, Mapping, Problem, Row, RowMapper, UnmatchedValue
from testigo.tabular.transform import UnresolvedPlace

__all__ = [
    "ROW_FIELDS",
    "SLOTS",
    "ChunkResult",
    "Lookups",
    "MapperState",
    "PrepareSettings",
    "PreparedRow",
    "RecordLayout",
    "RowPreparer",
    "canonical_json",
    "worker_main",
]

#: Record fields a row decides; `SLOTS` are decided when it is written; the rest are constant.
ROW_FIELDS = (
    "external_key",
    "source_row",
    "raw",
    "given_names",
    "surnames",
    "sex",
    "birth_date",
    "age",
    "national_id",
    "affiliation_id",
    "act_type_id",
    "event_date",
    "place_id",
    "perpetrator_body_id",
    "facility_id",
    "detention_status",
    "problems",
    "search_text",
)
SLOTS = ("id", "version", "supersedes_id")
REPEATS_KEY = "_repeats"  # in `raw`: the repeat-group rows of a KoboToolbox submission


@functools.lru_cache(maxsize=200_000)
def _skeleton(word: str) -> str:
    return skeleton(word)


def search_text(*parts: str) -> str:
    """`testigo.domain.search.search_text`, with each word's skeleton remembered: names repeat
    ("José", "Pérez") and the skeleton's dozen substitutions are a quarter of a row's cost.
    tests/imports/test_bulk.py keeps the two equal."""
    words: list[str] = []
    for part in parts:
        words.extend(_id_digits(part or ""))
        for word in fold(part or "").split():
            if any(ch.isdigit() for ch in word):
                continue
            key = _skeleton(word)
            if key:
                words.append(key)
    return " " + " ".join(words) + " "


def canonical_json(data: Any) -> str:
    """The audit log's JSON form (`testigo.audit.services.canonical_json`, which a test keeps
    this equal to): sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class RecordLayout:
    """The record table as the writer inserts it.

    Attributes:
        columns: database columns, in INSERT order; `attnames` the model's names for them.
        json_fields: attnames stored as JSON (dumped as text; the SQL casts on PostgreSQL).
        constants: attname → (database value, audit snapshot value), the same for every row.
    """

    columns: tuple[str, ...]
    attnames: tuple[str, ...]
    json_fields: frozenset[str]
    constants: dict[str, tuple[Any, Any]]

    def slot_index(self, attname: str) -> int:
        return self.attnames.index(attname)


@dataclass(frozen=True)
class Lookups:
    """Reference codes → database ids (what a normalised row names → what a record stores)."""

    places: dict[str, int] = field(default_factory=dict)
    act_types: dict[str, int] = field(default_factory=dict)
    affiliations: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, int] = field(default_factory=dict)
    facilities: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PrepareSettings:
    """Everything a worker needs to prepare rows (picklable)."""

    mapping: dict[str, Any]  # `Mapping.to_dict()`
    context: ReportedContext
    headers: tuple[str, ...]
    file: str
    select_multiple: frozenset[str]
    today: date | None
    key_column: str | None  # a header of the file; None: the row number is the key
    layout: RecordLayout | None  # None: nothing will be written (a dry run)
    lookups: Lookups
    token: str = field(default_factory=lambda: secrets.token_hex(8))

    def placeholder(self, slot: str) -> str:
        """How a slot's placeholder appears in the snapshot JSON."""
        return canonical_json(f"\x00{self.token}:{slot}\x00")


class PreparedRow(NamedTuple):
    """A prepared row. `raw` is None when `params` holds it (as JSON): it travels once."""

    number: int
    sheet: str
    key: str
    raw: dict[str, Any] | None
    problems: list[Problem]
    ok: bool
    params: list[Any] | None  # INSERT parameters, SLOTS set to None
    after: str | None  # the audit snapshot: a %-template, after % {"id": '"12"', ...} for SLOTS


class ChunkResult(NamedTuple):
    seq: int
    rows: list[PreparedRow]
    unmapped_seen: set[str]


@dataclass
class MapperState:
    """What a worker's mapper gathered for a person, to be merged into the main mapper."""

    date_orders: dict[str, Counter[str]]
    unresolved: dict[str, UnresolvedPlace]
    unmatched: dict[tuple[str, str], UnmatchedValue]


class RowPreparer:
    """Prepares rows with one mapper. Used in each worker process, or in the importing process
    itself for small files."""

    def __init__(self, settings: PrepareSettings, mapper: RowMapper | None = None) -> None:
        self.settings = settings
        self.mapper = mapper or RowMapper(
            Mapping.from_dict(settings.mapping),
            settings.context,
            headers=list(settings.headers),
            file=settings.file,
            select_multiple=settings.select_multiple,
            today=settings.today,
        )
        self.field_of = {header: rule.field for header, rule in self.mapper.rules}
        self.act_column = next((h for h, f in self.field_of.items() if f == "act"), None)
        self.unmapped = list(self.mapper.unmapped)
        layout = settings.layout
        if layout is not None:
            self._template: list[Any] = [None] * len(layout.attnames)
            self._snapshot: dict[str, Any] = {}
            for index, name in enumerate(layout.attnames):
                if name in layout.constants:
                    self._template[index], self._snapshot[name] = layout.constants[name]
            for slot in SLOTS:
                self._snapshot[slot] = f"\x00{settings.token}:{slot}\x00"
            self._row_positions = [(layout.slot_index(n), n) for n in ROW_FIELDS]
            self._slot_marks = [
                (slot, settings.placeholder(slot).replace("%", "%%")) for slot in SLOTS
            ]

    # One row ------------------------------------------------------------------------------

    def key_of(self, row: Row, problems: list[Problem]) -> str:
        column = self.settings.key_column
        if column is None:
            return str(row.number)
        key = row.values.get(column, "").strip()
        if not key:
            problems.append(
                Problem(
                    self.settings.file,
                    row.number,
                    column,
                    "",
                    "the key column is empty here; every row needs its own key",
                    "key_missing",
                    "error",
                    row.sheet or None,
                )
            )
        return key

    @staticmethod
    def raw_of(row: Row) -> dict[str, Any]:
        """What the source said: the row as the file has it, with its repeat-group rows."""
        raw: dict[str, Any] = dict(row.payload)
        if row.children:
            raw[REPEATS_KEY] = [
                {"sheet": child.sheet, "row": child.number, "values": dict(child.payload)}
                for child in row.children
            ]
        return raw

    def prepare(self, row: Row) -> PreparedRow:
        mapped = self.mapper.map(row)
        problems = list(mapped.problems)
        key = self.key_of(row, problems)
        raw = self.raw_of(row)
        ok = all(p.severity != "error" for p in problems)
        params = after = None
        if ok and self.settings.layout is not None:
            params, after = self._record(mapped, key, raw, problems)
        kept = None if params is not None else raw
        return PreparedRow(row.number, row.sheet, key, kept, problems, ok, params, after)

    def _stored_problems(self, mapped: MappedRow, problems: list[Problem]) -> list[dict[str, Any]]:
        stored = [
            {
                "field": self.field_of.get(p.column or "", p.column or ""),
                "column": p.column,
                "value": p.value,
                "reason": p.reason,
                "code": p.code,
            }
            for p in problems
        ]
        if len(mapped.act_types) > 1:
            stored.append(
                {
                    "field": "act",
                    "column": self.act_column,
                    "value": ", ".join(mapped.act_types[1:]),
                    "reason": "the source also reports these act types; the record's act type "
                    "is the first one",
                    "code": "more_act_types",
                }
            )
        return stored

    def _record(
        self, mapped: MappedRow, key: str, raw: dict[str, Any], problems: list[Problem]
    ) -> tuple[list[Any], str]:
        fields, lookups = mapped.fields, self.settings.lookups
        name = fields.name
        given = " ".join(name.given_names) if name else ""
        surnames = " ".join(name.surnames) if name else ""
        values: dict[str, Any] = {
            "external_key": key,
            "source_row": mapped.row.number,
            "raw": raw,
            "given_names": given,
            "surnames": surnames,
            "sex": fields.sex,
            "birth_date": fields.birth_date.to_edtf() if fields.birth_date else None,
            "age": fields.age,
            "national_id": fields.national_id,
            "affiliation_id": lookups.affiliations.get(fields.affiliation or ""),
            "act_type_id": lookups.act_types.get(fields.act_type or ""),
            "event_date": fields.event_date.to_edtf() if fields.event_date else None,
            "place_id": lookups.places.get(fields.place_code or ""),
            "perpetrator_body_id": lookups.bodies.get(fields.body_code or ""),
            "facility_id": lookups.facilities.get(fields.facility_code or ""),
            "detention_status": fields.detention_status,
            "problems": self._stored_problems(mapped, problems),
            "search_text": search_text(given, surnames, fields.national_id),
        }
        layout = self.settings.layout
        assert layout is not None
        params = list(self._template)
        snapshot = dict(self._snapshot)
        json_fields = layout.json_fields
        for index, name_ in self._row_positions:
            value = values[name_]
            if name_ in json_fields:
                params[index] = json.dumps(value)
                snapshot[name_] = value
            else:
                params[index] = value
                snapshot[name_] = None if value is None else str(value)
        after = canonical_json(snapshot).replace("%", "%%")
        for slot, placeholder in self._slot_marks:
            after = after.replace(placeholder, f"%({slot})s", 1)
        return params, after

    # Chunks and state ---------------------------------------------------------------------

    def prepare_chunk(self, seq: int, rows: Iterable[Row]) -> ChunkResult:
        prepared: list[PreparedRow] = []
        seen: set[str] = set()
        unmapped = self.unmapped
        for row in rows:
            prepared.append(self.prepare(row))
            if unmapped and len(seen) < len(unmapped):
                values = row.values
                seen.update(h for h in unmapped if values.get(h, "").strip())
        return ChunkResult(seq, prepared, seen)

    def state(self) -> MapperState:
        # The mapper keeps what it gathers in private attributes; tests/imports compare a run
        # on worker processes with one in this process, so a change there is caught.
        mapper = self.mapper
        return MapperState(
            date_orders={k: Counter(v) for k, v in mapper._date_orders.items()},
            unresolved=dict(mapper._unresolved),
            unmatched=dict(mapper._unmatched),
        )


def merge_state(mapper: RowMapper, state: MapperState) -> None:
    """Add what a worker's mapper gathered to `mapper` (counts add up, rows are combined)."""
    for column, counter in state.date_orders.items():
        mapper._date_orders.setdefault(column, Counter()).update(counter)
    for key, place in state.unresolved.items():
        mine = mapper._unresolved.get(key)
        if mine is None:
            mapper._unresolved[key] = place
        else:
            mine.count += place.count
            mine.rows = sorted({*mine.rows, *place.rows})[:20]
    for value_key, value in state.unmatched.items():
        existing = mapper._unmatched.get(value_key)
        if existing is None:
            mapper._unmatched[value_key] = value
        else:
            existing.count += value.count
            existing.rows = sorted({*existing.rows, *value.rows})[:20]


def rows_to_wire(rows: Sequence[Row]) -> list[tuple[Any, ...]]:
    """Rows as plain tuples: cheaper to pickle than the dataclass."""
    return [
        (
            r.number,
            r.values,
            r.sheet,
            r.raw,
            None if r.children is None else rows_to_wire(r.children),
        )
        for r in rows
    ]


def rows_from_wire(items: Iterable[tuple[Any, ...]]) -> list[Row]:
    return [
        Row(
            number,
            values,
            sheet,
            None,
            raw,
            None if children is None else rows_from_wire(children),
        )
        for number, values, sheet, raw, children in items
    ]


def chunk_to_wire(chunk: ChunkResult) -> ChunkResult:
    """Problems as plain tuples: unpickling frozen dataclasses costs more than the rest."""
    rows = [
        row._replace(problems=[_problem_tuple(p) for p in row.problems]) if row.problems else row
        for row in chunk.rows
    ]
    return chunk._replace(rows=rows)


def chunk_from_wire(chunk: ChunkResult) -> ChunkResult:
    rows = [
        row._replace(problems=[Problem(*p) for p in row.problems]) if row.problems else row
        for row in chunk.rows
    ]
    return chunk._replace(rows=rows)


def _problem_tuple(p: Problem) -> tuple[Any, ...]:
    return (p.file, p.row, p.column, p.value, p.reason, p.code, p.severity, p.sheet)


def worker_main(settings: PrepareSettings, inbox: Any, outbox: Any) -> None:
    """A worker process: prepare chunks until told to stop (None), then send the mapper's state.

    Messages out: ("chunk", ChunkResult), ("state", MapperState) or ("error", traceback text).
    """
    try:
        preparer = RowPreparer(settings)
        while True:
            item = inbox.get()
            if item is None:
                break
            seq, wire = item
            chunk = preparer.prepare_chunk(seq, rows_from_wire(wire))
            outbox.put(("chunk", chunk_to_wire(chunk)))
        outbox.put(("state", preparer.state()))
    except BaseException:
        outbox.put(("error", traceback.format_exc()))

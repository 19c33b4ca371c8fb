"""Synthetic person records in the `testigo link` format, with the truth, for tests and benchmarks.

Two sources of data, both built on the project generator (`testigo.demo.generator.generate`):

* `demo_records` converts the generator's source rows as an importer would: full names split into
  given names and surnames, free-text dates read into ISO partial dates, the stated age kept in an
  ``age`` column, cédulas and places as written.
* `hard_records` keeps the generator's people, events and which source captured what, but gives
  people names from a much shorter list (so that different people share full names, as relatives
  and namesakes do), and re-writes every row with heavier noise (`HardNoise`): identity numbers
  missing in 40% of rows, birth dates missing or year-only in 45%, surnames swapped, dropped or
  misspelt, given names shortened to initials, nicknames, accents and case lost.

Both return a DataFrame with the §6 columns, ``age`` and ``true_person_key``.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import pandas as pd

from testigo.demo.generator import (
    FEMALE_GIVEN_NAMES,
    MALE_GIVEN_NAMES,
    SURNAMES,
    DemoDataset,
    generate,
)
from testigo.domain.dates import DateParseError, PartialDate, Precision, parse_partial_date
from testigo.domain.names import PARTICLES, NameParseError, parse_full_name

from .schema import RECORD_COLUMNS
from .variants import NICKNAMES

__all__ = ["HardNoise", "demo_records", "hard_records", "iso_partial"]

_REFERENCE_DAY = date(2025, 12, 31)


def iso_partial(value: PartialDate) -> str:
    """The §6 form of a date: "2024-08-15", "2024-08" or "2024"; a range becomes what it spans."""
    if value.precision in (Precision.DAY, Precision.MONTH, Precision.YEAR):
        return PartialDate(value.start, value.end, value.precision).to_edtf()
    start, end = value.start, value.end
    if start == end:
        return start.isoformat()
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.year:04d}-{start.month:02d}"
    return f"{start.year:04d}" if start.year == end.year else ""


def _iso(text: str) -> str:
    if not text:
        return ""
    try:
        return iso_partial(parse_partial_date(text, today=_REFERENCE_DAY))
    except DateParseError:
        return ""


def _split(full: str) -> tuple[str, str]:
    try:
        name = parse_full_name(full)
    except NameParseError:
        return "", ""
    return " ".join(name.given_names), " ".join(name.surnames)


def demo_records(dataset: DemoDataset) -> pd.DataFrame:
    """The generator's source rows in the §6 format, plus ``age`` and ``true_person_key``."""
    rows: list[dict[str, str]] = []
    for record in dataset.records:
        raw = record.raw
        if raw.get("nombres") or raw.get("apellidos"):
            given, family = raw.get("nombres", ""), raw.get("apellidos", "")
        else:
            given, family = _split(raw.get("nombre_completo", ""))
        rows.append(
            {
                "record_id": record.record_key,
                "source": record.source_key,
                "given_names": given,
                "family_names": family,
                "sex": raw.get("sexo", ""),
                "birth_date": _iso(raw.get("fecha_nacimiento", "")),
                "national_id": raw.get("cedula", ""),
                "state": raw.get("estado", ""),
                "municipality": raw.get("municipio", ""),
                "event_date": _iso(raw.get("fecha_hecho", "")),
                "age": raw.get("edad", ""),
                "true_person_key": record.true_person_key,
            }
        )
    return pd.DataFrame(rows, columns=[*RECORD_COLUMNS, "age", "true_person_key"])


@dataclass(frozen=True)
class HardNoise:
    """Per-row probabilities of each kind of damage in `hard_records`."""

    given_head: int = 1000  # given names drawn from the first N of each list (all by default)
    surname_head: int = 1000  # ... and surnames from the first N
    zipf: float = 0.85  # given names more concentrated than the demo generator's 0.75
    namesake: float = 0.08  # a person takes the full name of an earlier person in their state
    id_missing: float = 0.40
    id_typo: float = 0.03
    id_transposed: float = 0.015
    birth_missing: float = 0.30
    birth_year_only: float = 0.15
    birth_day_month_swap: float = 0.04
    birth_typo: float = 0.02
    age_when_no_birth: float = 0.5
    age_off_by_one: float = 0.15
    given2_dropped: float = 0.30
    given2_initial: float = 0.10
    given1_dropped: float = 0.04
    nickname: float = 0.05
    given_misspelt: float = 0.08
    surnames_swapped: float = 0.10
    surname2_dropped: float = 0.25
    surname1_dropped: float = 0.05
    surname_misspelt: float = 0.12
    married: float = 0.05
    accents_lost: float = 0.5
    upper_case: float = 0.3
    sex_missing: float = 0.2
    municipality_missing: float = 0.4
    state_alias: float = 0.2
    event_shifted: float = 0.05
    event_month_only: float = 0.15


_CONFUSIONS = (("b", "v"), ("v", "b"), ("s", "z"), ("z", "s"), ("ll", "y"), ("y", "ll"),
               ("y", "i"), ("i", "y"), ("c", "s"), ("j", "y"), ("h", ""))  # fmt: skip
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_NICKNAMES_OF: dict[str, list[str]] = {}
for _nick, _canonical in NICKNAMES.items():
    if _nick != _canonical and " " not in _canonical:
        _NICKNAMES_OF.setdefault(_canonical, []).append(_nick)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _misspell(rng: random.Random, word: str) -> str:
    """One letter confusion (b/v, s/z, y/ll, ...) or, failing that, one keyboard edit."""
    lower = word.lower()
    options = [(i, old, new) for old, new in _CONFUSIONS for i in range(1, len(lower))
               if lower.startswith(old, i)]  # fmt: skip
    if options and rng.random() < 0.6:
        i, old, new = rng.choice(options)
        return word[:i] + new + word[i + len(old) :]
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word))
    op = rng.randrange(4)
    letter = rng.choice(_LETTERS)
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + letter + word[i:]
    if op == 2:
        return word[:i] + letter + word[i + 1 :]
    if i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i]


def _units(name: str) -> list[str]:
    """Split a name into units, a particle going with the word after it ("del Valle")."""
    units: list[str] = []
    pending: list[str] = []
    for word in name.split():
        pending.append(word)
        if word.lower() not in PARTICLES:
            units.append(" ".join(pending))
            pending = []
    return units + ([" ".join(pending)] if pending else [])


@lru_cache(maxsize=64)
def _zipf_weights(n: int, exponent: float) -> tuple[float, ...]:
    return tuple(itertools.accumulate(1.0 / (rank + 1) ** exponent for rank in range(n)))


def _zipf_pick(rng: random.Random, items: Sequence[str], head: int, exponent: float) -> str:
    items = items[:head]
    return rng.choices(items, cum_weights=_zipf_weights(len(items), exponent))[0]


class _HardRenderer:
    def __init__(
        self, noise: HardNoise, places: Sequence[Mapping[str, Any]], rng: random.Random
    ) -> None:
        self.noise = noise
        self.rng = rng
        self.places = {p["code"]: p for p in places}
        self.names: dict[str, tuple[list[str], list[str]]] = {}
        self.by_state: dict[str, list[tuple[list[str], list[str]]]] = {}

    def name_of(self, person: Any) -> tuple[list[str], list[str]]:
        found = self.names.get(person.person_key)
        if found is not None:
            return found
        rng, noise = self.rng, self.noise
        earlier = self.by_state.get(person.state_code, [])
        if earlier and rng.random() < noise.namesake:
            given, surnames = rng.choice(earlier)
            given, surnames = list(given), list(surnames)
        else:
            pool = FEMALE_GIVEN_NAMES if person.sex == "F" else MALE_GIVEN_NAMES
            given = _units(_zipf_pick(rng, pool, noise.given_head, noise.zipf))
            if len(given) == 1 and rng.random() < 0.7:
                second = _units(_zipf_pick(rng, pool, noise.given_head, noise.zipf))
                if len(second) == 1 and second != given:
                    given += second
            surnames = [_zipf_pick(rng, SURNAMES, noise.surname_head, noise.zipf)
                        for _ in range(2)]  # fmt: skip
        self.names[person.person_key] = (given, surnames)
        self.by_state.setdefault(person.state_code, []).append((given, surnames))
        return given, surnames

    def _text(self, text: str, plain: bool, upper: bool) -> str:
        if plain:
            text = _strip_accents(text)
        return text.upper() if upper else text

    def given(self, units: list[str]) -> list[str]:
        rng, noise = self.rng, self.noise
        units = list(units)
        if len(units) > 1 and rng.random() < noise.given1_dropped:
            units = units[1:]
        elif len(units) > 1 and rng.random() < noise.given2_dropped:
            units = units[:1]
        elif len(units) > 1 and rng.random() < noise.given2_initial:
            units = [units[0], units[1][0] + "."]
        key = _strip_accents(units[0]).lower()
        if key in _NICKNAMES_OF and rng.random() < noise.nickname:
            units[0] = rng.choice(_NICKNAMES_OF[key]).capitalize()
        if rng.random() < noise.given_misspelt:
            i = rng.randrange(len(units))
            units[i] = _misspell(rng, units[i])
        return units

    def surnames(self, units: list[str], female: bool, spouse: list[str]) -> list[str]:
        rng, noise = self.rng, self.noise
        units = list(units)
        if rng.random() < noise.surnames_swapped:
            units.reverse()
        if rng.random() < noise.surname2_dropped:
            units = units[:1]
        elif rng.random() < noise.surname1_dropped:
            units = units[1:]
        if rng.random() < noise.surname_misspelt:
            i = rng.randrange(len(units))
            units[i] = _misspell(rng, units[i])
        if female and rng.random() < noise.married:
            units.append("de " + spouse[0])
        return units

    def national_id(self, true_id: str | None) -> str:
        rng, noise = self.rng, self.noise
        if not true_id or rng.random() < noise.id_missing:
            return ""
        prefix = true_id.rstrip("0123456789")
        digits = true_id[len(prefix) :]
        if rng.random() < noise.id_typo:
            i = rng.randrange(1, len(digits))
            digits = (
                digits[:i]
                + rng.choice([d for d in "0123456789" if d != digits[i]])
                + (digits[i + 1 :])
            )
        elif rng.random() < noise.id_transposed and len(digits) > 2:
            i = rng.randrange(len(digits) - 1)
            if digits[i] != digits[i + 1] and not (i == 0 and digits[1] == "0"):
                digits = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        dotted = f"{int(digits):,}".replace(",", ".")
        form = rng.random()
        if form < 0.35:
            return digits
        if form < 0.65:
            return f"{prefix}-{dotted}"
        if form < 0.8:
            return f"{prefix}{digits}"
        if form < 0.9:
            return dotted
        return f"C.I. {prefix.lower()}-{digits}"

    def birth(self, born: date | None, event_day: date) -> tuple[str, str]:
        rng, noise = self.rng, self.noise
        if born is None:
            return "", ""
        u = rng.random()
        if u < noise.birth_missing:
            if rng.random() < noise.age_when_no_birth:
                age = (
                    event_day.year
                    - born.year
                    - ((event_day.month, event_day.day) < (born.month, born.day))
                )
                if rng.random() < noise.age_off_by_one:
                    age += rng.choice((-1, 1))
                return "", str(max(age, 0))
            return "", ""
        if u < noise.birth_missing + noise.birth_year_only:
            return str(born.year), ""
        year, month, day = born.year, born.month, born.day
        if day <= 12 and day != month and rng.random() < noise.birth_day_month_swap:
            month, day = day, month
        elif rng.random() < noise.birth_typo:
            day = min(28, max(1, day + rng.choice((-10, -1, 1, 10))))
        return f"{year:04d}-{month:02d}-{day:02d}", ""

    def place(self, code: str) -> tuple[str, str]:
        rng, noise = self.rng, self.noise
        place = self.places.get(code)
        if place is None:
            return "", ""
        municipality = ""
        if place["level"] == "municipality":
            if rng.random() >= noise.municipality_missing:
                municipality = place["name"]
            place = self.places.get(place.get("parent") or "", place)
        aliases = place.get("aliases") or []
        state = place["name"]
        if aliases and rng.random() < noise.state_alias:
            state = rng.choice(aliases)
        elif rng.random() < 0.15:
            state = "Edo. " + state
        return state, municipality

    def event(self, day: date) -> str:
        rng, noise = self.rng, self.noise
        if rng.random() < noise.event_shifted:
            day += timedelta(days=rng.choice((-3, -2, -1, 1, 2, 3)))
        if rng.random() < noise.event_month_only:
            return f"{day.year:04d}-{day.month:02d}"
        return day.isoformat()


def hard_records(
    *,
    pack: Mapping[str, Any],
    gazetteer_places: Sequence[Mapping[str, Any]],
    n_records: int,
    seed: int,
    noise: HardNoise | None = None,
) -> pd.DataFrame:
    """Harder records than `demo_records`: common shared names and heavy noise (`HardNoise`).

    The people, events and captures come from `generate` with the same arguments; only names and
    the way each row is written change. Same arguments give equal output.
    """
    noise = noise or HardNoise()
    dataset = generate(pack=pack, gazetteer_places=gazetteer_places, n_records=n_records, seed=seed)
    rng = random.Random(seed * 7919 + 17)
    renderer = _HardRenderer(noise, gazetteer_places, rng)
    persons = {p.person_key: p for p in dataset.persons}
    events = {e.event_key: e for e in dataset.events}
    rows: list[dict[str, str]] = []
    for record in dataset.records:
        person = persons[record.true_person_key]
        event = events[record.event_key]
        given, surnames = renderer.name_of(person)
        female = person.sex == "F"
        spouse = [rng.choice(SURNAMES[: noise.surname_head])]
        plain = rng.random() < noise.accents_lost
        upper = rng.random() < noise.upper_case
        birth, age = renderer.birth(person.birth_date, event.date)
        state, municipality = renderer.place(event.place_code)
        sex = "" if rng.random() < noise.sex_missing else person.sex
        rows.append(
            {
                "record_id": record.record_key,
                "source": record.source_key,
                "given_names": renderer._text(" ".join(renderer.given(given)), plain, upper),
                "family_names": renderer._text(
                    " ".join(renderer.surnames(surnames, female, spouse)), plain, upper
                ),
                "sex": sex,
                "birth_date": birth,
                "national_id": renderer.national_id(person.national_id),
                "state": state,
                "municipality": municipality,
                "event_date": renderer.event(event.date),
                "age": age,
                "true_person_key": person.person_key,
            }
        )
    return pd.DataFrame(rows, columns=[*RECORD_COLUMNS, "age", "true_person_key"])

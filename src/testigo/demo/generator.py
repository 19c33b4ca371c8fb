"""Seeded, reproducible synthetic data: true persons and events, and messy source records.

The scenario is a post-election crackdown documented by Spanish-language sources, calibrated on
DOMAIN.md §3.6. It starts on election day, 28 Jul 2024. Arrests peak from 29 Jul to mid-August;
targeted arrests of poll witnesses, journalists and defenders follow, with a smaller spike around
10 Jan 2025. Killings are concentrated in the protests of 28–30 Jul. The country data (places,
ID format, bodies, facilities and the demo weights) comes only from the pack, so any pack works.

The truth is kept next to the records:

* ``persons`` and ``events`` hold *every* true person and event, including those that no source
  captured. The number of undocumented events is the quantity that multiple-systems estimation
  tries to recover.
* Each ``DemoRecord`` is one source's row about one event, with the strings as that source wrote
  them in ``raw``. ``true_person_key`` and ``event_key`` point back to the truth.

Pure Python and standard library only; never imports Django. Same arguments and seed give equal
output.

Example:
    >>> ds = generate(pack=pack, gazetteer_places=places, n_records=1000, seed=1)  # doctest: +SKIP
    >>> ds.summary()["records"]  # doctest: +SKIP
    1000
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Generic, TypeVar

__all__ = [
    "ACT_TYPES",
    "AFFILIATIONS",
    "DATE_FORMATS",
    "DETENTION_STATUSES",
    "FEMALE_GIVEN_NAMES",
    "MALE_GIVEN_NAMES",
    "MAX_SOURCES_PER_EVENT",
    "RAW_COLUMNS",
    "SURNAMES",
    "DemoDataset",
    "DemoEvent",
    "DemoRecord",
    "DemoSource",
    "TruePerson",
    "format_date",
    "generate",
]

ACT_TYPES = (
    "killing",
    "arbitrary_detention",
    "torture",
    "enforced_disappearance",
    "sexual_violence",
    "persecution",
    "ill_treatment",
    "threat",
)
DETENTION_STATUSES = (
    "held",
    "disappeared",
    "conditionally_released",
    "released",
    "died_in_custody",
)
AFFILIATIONS = (
    "journalist",
    "opponent",
    "defender",
    "poll_witness",
    "student",
    "military",
    "minor",
)
RAW_COLUMNS = (
    "nombre_completo",
    "nombres",
    "apellidos",
    "sexo",
    "fecha_nacimiento",
    "edad",
    "cedula",
    "estado",
    "municipio",
    "hecho",
    "fecha_hecho",
    "cuerpo",
    "centro_reclusion",
    "situacion",
    "observaciones",
)
#: Date formats the generator writes (name → example). The parser reads exactly these.
DATE_FORMATS: dict[str, str] = {
    "dmy_slash": "15/08/2024",
    "dmy_dash": "15-08-2024",
    "iso": "2024-08-15",
    "month_es": "agosto 2024",
    "month_abbr_es": "ago. 2024",
    "long_es": "15 de agosto de 2024",
    "part_es": "mediados de agosto de 2024",
    "my_slash": "08/2024",
    "year": "2024",
    "long_en": "August 15, 2024",
    "mid_en": "mid August 2024",
}

ELECTION_DAY = date(2024, 7, 28)
INAUGURATION_DAY = date(2025, 1, 10)
SNAPSHOT_DAY = date(2025, 8, 31)
#: Share of true persons killed in the protests (about 25 per 20,000 records).
KILLING_RATE = 0.0024
#: No event is documented by more than this many sources.
MAX_SOURCES_PER_EVENT = 4

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Public data classes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TruePerson:
    """A real (synthetic) victim. Given names and surnames are name *units* ("del Valle")."""

    person_key: str
    given_names: tuple[str, ...]
    surnames: tuple[str, ...]
    sex: str
    birth_date: date | None
    national_id: str | None
    affiliation: str | None
    state_code: str
    municipality_code: str | None


@dataclass(frozen=True, slots=True)
class DemoSource:
    """A documenting source, with Admiralty reliability (A–F) and credibility (1–6)."""

    key: str
    name: str
    kind: str
    reliability: str
    credibility: int
    obtained: date


@dataclass(frozen=True, slots=True)
class DemoEvent:
    """One act against one person. ``place_code`` is a gazetteer code."""

    event_key: str
    person_key: str
    act_type: str
    date: date
    place_code: str
    perpetrator_body: str
    facility: str | None
    detention_status: str | None


@dataclass(frozen=True, slots=True)
class DemoRecord:
    """One source row about one event; ``raw`` holds the strings as the source wrote them."""

    record_key: str
    source_key: str
    row: int
    true_person_key: str
    event_key: str
    raw: dict[str, str]


@dataclass(frozen=True)
class DemoDataset:
    """The generated truth and records. ``persons``/``events`` include undocumented ones."""

    sources: tuple[DemoSource, ...]
    persons: tuple[TruePerson, ...]
    events: tuple[DemoEvent, ...]
    records: tuple[DemoRecord, ...]

    def to_truth_rows(self) -> list[tuple[str, str]]:
        """``(record_key, true person_key)`` for every record, in record order."""
        return [(r.record_key, r.true_person_key) for r in self.records]

    def documented_event_keys(self) -> frozenset[str]:
        """Keys of the events at least one record describes."""
        return frozenset(r.event_key for r in self.records)

    def summary(self) -> dict[str, Any]:
        """Small JSON-ready counts: records, persons, events (documented and total), by type."""
        documented = self.documented_event_keys()
        persons_documented = {r.true_person_key for r in self.records}
        by_act = dict.fromkeys(ACT_TYPES, 0)
        by_act_total = dict.fromkeys(ACT_TYPES, 0)
        for event in self.events:
            by_act_total[event.act_type] += 1
            if event.event_key in documented:
                by_act[event.act_type] += 1
        by_source = {s.key: 0 for s in self.sources}
        for record in self.records:
            by_source[record.source_key] += 1
        detained = _detained_persons(self)
        n_detained = len(detained) or 1
        return {
            "records": len(self.records),
            "sources": len(self.sources),
            "persons": len(persons_documented),
            "persons_total": len(self.persons),
            "events": len(documented),
            "events_total": len(self.events),
            "events_by_act_type": by_act,
            "events_total_by_act_type": by_act_total,
            "records_by_source": by_source,
            "detained_persons": len(detained),
            "detained_share_men": round(sum(p.sex == "M" for p in detained) / n_detained, 4),
            "detained_share_minors": round(
                sum(p.affiliation == "minor" for p in detained) / n_detained, 4
            ),
            "detained_share_military": round(
                sum(p.affiliation == "military" for p in detained) / n_detained, 4
            ),
        }


def _detained_persons(dataset: DemoDataset) -> list[TruePerson]:
    """Documented persons with a documented arbitrary detention."""
    documented = dataset.documented_event_keys()
    keys = {
        e.person_key
        for e in dataset.events
        if e.act_type == "arbitrary_detention" and e.event_key in documented
    }
    return [p for p in dataset.persons if p.person_key in keys]


# ---------------------------------------------------------------------------------------------
# Names (Venezuelan usage; ordered from most to least frequent)
# ---------------------------------------------------------------------------------------------

_MALE_GIVEN = """
José|Luis|Carlos|Juan|Jesús|José Gregorio|Miguel|José Luis|Juan Carlos|Rafael|Pedro|Francisco
|Antonio|Manuel|Jorge|Alejandro|Daniel|Ángel|Luis Alberto|David|Andrés|Eduardo|Fernando|Ricardo
|Víctor|Roberto|Héctor|Óscar|Javier|Julio|César|Gabriel|Diego|Gustavo|Leonardo|Alexander|Jhonny
|Jonathan|Yeferson|Wilmer|Kelvin|Kevin|Brayan|Anderson|Richard|Freddy|Edgar|Nelson|Ramón
|Reinaldo|Samuel|Miguel Ángel|José Ángel|Jesús Alberto|José Antonio|Juan José|Carlos Eduardo
|Luis Miguel|José Rafael|Jean Carlos|Yorman|Wilfredo|Deivis|Frank|Edwin|Elvis|Orlando|Omar
|Rubén|Santiago|Sergio|Simón|Tomás|Yonathan|Yohan|Jhon|Johan|Pedro Luis|Rafael Antonio|Alí
|Gregorio|Argenis|Arturo|Darwin|Douglas|Enrique|Ernesto|Félix|Germán|Henry|Hugo|Iván|Jairo
|Leonel|Marcos|Mario|Nicolás|Pablo|Raúl|Rigoberto|Roger|Ronald|Yender|Yoel|Yonder|Eleazar
|Eliécer|Abraham|Adrián|José de Jesús|Juan de Dios|Keiner|Yusnel
"""
_FEMALE_GIVEN = """
María|Carmen|Ana|María José|María Alejandra|Luisa|María del Valle|Rosa|Yusmary|María Gabriela
|Gabriela|Daniela|Andrea|Carolina|Alejandra|María Fernanda|Ana Karina|Milagros|Marisol|Mariela
|Yelitza|Yajaira|Adriana|Dayana|María de los Ángeles|Patricia|Valentina|Victoria|Elizabeth
|Beatriz|Mercedes|Isabel|Carmen Elena|Rosa María|Ana María|Yuleisy|Yusleidy|Yolimar|Yorgelis
|Yenny|Yasmín|Yaneth|Maritza|Mayerling|Nelly|Nancy|Norma|Nohemí|Olga|Paola|Rosangela|Sandra
|Silvia|Sofía|Teresa|Verónica|Wendy|Zuleima|Andreína|Ángela|Claudia|Desirée|Deisy|Génesis
|Gladys|Johana|Josefina|Karla|Karina|Katherine|Laura|Leidy|Lisbeth|Lorena|Luz Marina|Marbella
|Mónica|Nathaly|Oriana|Raquel|Rebeca|Ruth|Stephanie|Susana|Yessica|Yohana|Yuraima|Zoraida
|Ingrid|Betzabeth|Jackeline|Lilibeth|Marianela|Migdalia|Arelis|Luisana|Fabiola|María del Carmen
|Ana Victoria|Yurimar|Yoselin|Dubraska|Francis|Elena|Ramona|Antonia
"""
_SURNAMES = """
González|Rodríguez|Pérez|Hernández|García|Martínez|López|Sánchez|Ramírez|Díaz|Torres|Rojas
|Morales|Gómez|Flores|Suárez|Castillo|Herrera|Medina|Romero|Gutiérrez|Marcano|Moreno|Rivas
|Álvarez|Fernández|Jiménez|Contreras|Mendoza|Ramos|Chacón|Colmenares|Guerrero|Blanco|Briceño
|Villarroel|Salazar|Zambrano|Parra|Delgado|Acosta|Aguilar|Silva|Vargas|Mora|Molina|Rincón|Gil
|Ortega|Peña|Ruiz|Bello|Campos|Quintero|Figueroa|Márquez|Carrillo|Carrasco|Valera|Linares|Ochoa
|Sosa|Urdaneta|Montilla|Piñango|Bastidas|Lugo|Perdomo|Yépez|Zerpa|Yánez|Mujica|Alvarado
|Escalona|Pacheco|Chirinos|Camacho|Farías|Liendo|Arteaga|Betancourt|Bracho|Cedeño|Cordero
|Duarte|Espinoza|Fuenmayor|Graterol|Hidalgo|Infante|Jaimes|Lozada|Machado|Meléndez|Nava|Noguera
|Ojeda|Palacios|Pineda|Quiroz|Rangel|Requena|Salas|Sequera|Soto|Tovar|Uzcátegui|Valero
|Velásquez|Villegas|Zapata|Zurita|Abreu|Araujo|Barrios|Belisario|Bermúdez|Brito|Calderón
|Caraballo|Cárdenas|Castro|Colina|Coronado|Echenique|Escobar|Freites|Gallardo|Gamboa|Guanipa
|Guevara|Hurtado|Istúriz|Lara|León|Lozano|Maldonado|Manrique|Marín|Mata|Monsalve|Montero
|Mosquera|Navas|Núñez|Osorio|Oviedo|Padrón|Paredes|Pereira|Primera|Quevedo|Rivero|Salcedo
|Sanabria|Tirado|Toro|Ugas|Vásquez|Vielma|Zamora|De La Cruz|De Freitas|De Sousa|Da Silva
|Di Marco|Rodrigues|Dos Santos|Fermín|Gouveia|D'Angelo|Del Castillo|De Abreu
"""
_PARTICLES = frozenset({"de", "del", "la", "las", "los", "di", "da", "do", "dos", "das"})


def _split_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.replace("\n", "").split("|") if item.strip())


def _units(name: str) -> tuple[str, ...]:
    """Group words into name units; a particle belongs to the word after it."""
    units: list[str] = []
    pending: list[str] = []
    for word in name.split():
        if word.lower() in _PARTICLES:
            pending.append(word)
            continue
        units.append(" ".join([*pending, word]))
        pending = []
    if pending:
        units.append(" ".join(pending))
    return tuple(units)


MALE_GIVEN_NAMES = _split_list(_MALE_GIVEN)
FEMALE_GIVEN_NAMES = _split_list(_FEMALE_GIVEN)
SURNAMES = _split_list(_SURNAMES)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


class _Pick(Generic[T]):
    """A fixed weighted choice; faster than ``random.choices`` for repeated draws."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Iterable[T], weights: Iterable[float]) -> None:
        pairs = [(item, float(w)) for item, w in zip(items, weights, strict=True) if w > 0]
        if not pairs:
            raise ValueError("a weighted choice needs at least one positive weight")
        self.items = [item for item, _ in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    @classmethod
    def of(cls, weighted: Mapping[T, float]) -> _Pick[T]:
        return cls(weighted.keys(), weighted.values())

    def __call__(self, rng: random.Random) -> T:
        index = bisect.bisect_right(self.cum, rng.random() * self.total)
        return self.items[min(index, len(self.items) - 1)]


def _zipf(n: int, exponent: float) -> list[float]:
    return [1.0 / (rank + 1) ** exponent for rank in range(n)]


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@lru_cache(maxsize=65536)
def _strip_accents(text: str, keep_enye: bool = True) -> str:
    """Remove accents; keep ñ/Ñ unless asked not to."""
    out = []
    for ch in text:
        if keep_enye and ch in "ñÑ":
            out.append(ch)
            continue
        decomposed = unicodedata.normalize("NFD", ch)
        out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out)


_KEYBOARD_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _typo(rng: random.Random, text: str) -> str:
    """Apply one edit (delete, insert, substitute or transpose) to a letter of ``text``."""
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(positions) < 3:
        return text
    i = positions[rng.randrange(1, len(positions))]  # keep the first letter
    op = rng.randrange(4)
    letter = rng.choice(_KEYBOARD_LETTERS)
    if text[i].isupper():
        letter = letter.upper()
    if op == 0:
        return text[:i] + text[i + 1 :]
    if op == 1:
        return text[:i] + letter + text[i:]
    if op == 2:
        return text[:i] + letter + text[i + 1 :]
    if i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


_SWAPS = (("b", "v"), ("v", "b"), ("s", "z"), ("z", "s"), ("ll", "y"), ("y", "ll"))


def _letter_swap(rng: random.Random, text: str) -> str:
    """Swap one of b/v, s/z, y/ll, as people mishear or misspell Spanish names."""
    lower = text.lower()
    options = [
        (i, old, new)
        for old, new in _SWAPS
        for i in range(1, len(lower))
        if lower.startswith(old, i)
    ]
    if not options:
        return text
    i, old, new = options[rng.randrange(len(options))]
    if text[i].isupper():
        new = new.upper()
    return text[:i] + new + text[i + len(old) :]


_MONTHS_ES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
_MONTHS_ABBR_ES = (
    "ene.",
    "feb.",
    "mar.",
    "abr.",
    "may.",
    "jun.",
    "jul.",
    "ago.",
    "sep.",
    "oct.",
    "nov.",
    "dic.",
)
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_date(d: date, fmt: str) -> str:
    """Write ``d`` in one of `DATE_FORMATS`; "mid_en" needs a day from 11 to 20."""
    if fmt == "dmy_slash":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if fmt == "dmy_dash":
        return f"{d.day:02d}-{d.month:02d}-{d.year}"
    if fmt == "iso":
        return d.isoformat()
    if fmt == "month_es":
        return f"{_MONTHS_ES[d.month - 1]} {d.year}"
    if fmt == "month_abbr_es":
        return f"{_MONTHS_ABBR_ES[d.month - 1]} {d.year}"
    if fmt == "long_es":
        return f"{d.day} de {_MONTHS_ES[d.month - 1]} de {d.year}"
    if fmt == "part_es":
        part = "principios" if d.day <= 10 else "mediados" if d.day <= 20 else "finales"
        return f"{part} de {_MONTHS_ES[d.month - 1]} de {d.year}"
    if fmt == "my_slash":
        return f"{d.month:02d}/{d.year}"
    if fmt == "year":
        return str(d.year)
    if fmt == "long_en":
        return f"{_MONTHS_EN[d.month - 1]} {d.day}, {d.year}"
    if fmt == "mid_en":
        if not 11 <= d.day <= 20:
            raise ValueError("mid_en needs a day from 11 to 20")
        return f"mid {_MONTHS_EN[d.month - 1]} {d.year}"
    raise ValueError(f"unknown date format {fmt!r}")


def _age_at(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# ---------------------------------------------------------------------------------------------
# Pack-derived context: places, bodies, facilities, IDs
# ---------------------------------------------------------------------------------------------


class _Geo:
    """Places from the gazetteer, with the demo weights of the pack."""

    def __init__(self, pack: Mapping[str, Any], places: Sequence[Mapping[str, Any]]) -> None:
        self.name: dict[str, str] = {}
        self.aliases: dict[str, tuple[str, ...]] = {}
        self.parent: dict[str, str | None] = {}
        self.level: dict[str, str] = {}
        capital: dict[str, str] = {}
        for place in places:
            code = place["code"]
            self.name[code] = place["name"]
            self.aliases[code] = tuple(place.get("aliases") or ())
            self.parent[code] = place.get("parent")
            self.level[code] = place["level"]
            capital[code] = (place.get("attributes") or {}).get("capital", "")
        states = [c for c, level in self.level.items() if level == "state"]
        if not states:
            raise ValueError("the gazetteer has no state-level places")
        children: dict[str, list[str]] = {c: [] for c in self.name}
        for code, parent in self.parent.items():
            if parent is not None and parent in children:
                children[parent].append(code)
        weights = (pack.get("demo") or {}).get("state_weights") or {}
        state_w = [float(weights.get(c, 1.0)) if weights else 1.0 for c in states]
        if not any(w > 0 for w in state_w):
            state_w = [1.0] * len(states)
        self.state_pick: _Pick[str] = _Pick(states, state_w)
        self.muni_pick: dict[str, _Pick[str] | None] = {}
        for state in states:
            munis = [c for c in children[state] if self.level[c] == "municipality"]
            if not munis:
                self.muni_pick[state] = None
                continue
            mw = [
                (len(children[m]) + 1.0)
                * (4.0 if capital[m] and capital[m] == capital[state] else 1.0)
                for m in munis
            ]
            self.muni_pick[state] = _Pick(munis, mw)

    def pick(self, rng: random.Random, state: str | None = None) -> tuple[str, str | None]:
        """A (state, municipality-or-None) pair, weighted by the pack's demo weights."""
        state = state or self.state_pick(rng)
        munis = self.muni_pick[state]
        return state, (munis(rng) if munis is not None else None)

    def state_of(self, code: str) -> str:
        while self.level.get(code) != "state":
            parent = self.parent.get(code)
            if parent is None:
                return code
            code = parent
        return code


# Which kinds of body commit which acts (scenario weights, by body kind).
_KIND_WEIGHTS: dict[str, dict[str, float]] = {
    "arbitrary_detention": {"police": 45, "military": 30, "intelligence": 22, "armed_group": 3},
    "military_detainee": {"intelligence": 85, "military": 15},
    "killing": {"armed_group": 40, "military": 35, "police": 25},
    "protest": {"military": 45, "police": 35, "armed_group": 20},
    "threat": {"armed_group": 35, "intelligence": 30, "police": 20, "prosecution": 15},
    "persecution": {"prosecution": 45, "judicial": 30, "intelligence": 25},
}


class _Bodies:
    """Perpetrator bodies from the pack, drawn by kind with the pack's demo weights."""

    def __init__(self, pack: Mapping[str, Any]) -> None:
        bodies = list(pack.get("perpetrator_bodies") or [])
        if not bodies:
            raise ValueError("the pack lists no perpetrator bodies")
        weights = (pack.get("demo") or {}).get("body_weights") or {}
        self.kind: dict[str, str] = {}
        self.labels: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        by_kind: dict[str, dict[str, float]] = {}
        for body in bodies:
            code = body["code"]
            self.kind[code] = body.get("kind", "")
            name = body.get("name") or {}
            label = (
                name.get("es") or name.get("en") or code if isinstance(name, dict) else str(name)
            )
            self.labels[code] = (code, label, tuple(body.get("aliases") or ()))
            by_kind.setdefault(self.kind[code], {})[code] = float(weights.get(code, 1.0))
        self.by_kind = {
            k: _Pick.of(v) for k, v in by_kind.items() if any(w > 0 for w in v.values())
        }
        every = _Pick(self.kind.keys(), [1.0] * len(self.kind))
        self.for_act: dict[str, tuple[_Pick[str] | None, _Pick[str]]] = {}
        for act, kinds in _KIND_WEIGHTS.items():
            present = {k: w for k, w in kinds.items() if k in self.by_kind}
            self.for_act[act] = (_Pick.of(present) if present else None, every)

    def pick(self, rng: random.Random, act: str) -> str:
        kinds, every = self.for_act[act]
        if kinds is None:
            return every(rng)
        return self.by_kind[kinds(rng)](rng)


class _Facilities:
    """Detention facilities from the pack, chosen by operator, state and population held."""

    def __init__(self, pack: Mapping[str, Any], geo: _Geo, bodies: _Bodies) -> None:
        self.items: list[dict[str, Any]] = []
        for facility in pack.get("detention_facilities") or []:
            place = facility.get("place")
            self.items.append(
                {
                    "code": facility["code"],
                    "operator": facility.get("operator"),
                    "state": geo.state_of(place) if place else None,
                    "place": place,
                    "kind": facility.get("kind", ""),
                    "holds": facility.get("holds"),
                    "receives_from": frozenset(facility.get("receives_from") or ()),
                    "labels": (facility["name"], *tuple(facility.get("aliases") or ())),
                }
            )
        self.by_code = {f["code"]: f for f in self.items}
        self.bodies = bodies

    def pick(
        self, rng: random.Random, *, body: str, state: str, sex: str, military: bool
    ) -> str | None:
        """A plausible last-known facility, or None (unknown or not a listed site)."""
        if not self.items or rng.random() < 0.25:
            return None
        weights = []
        local = 0.0
        for f in self.items:
            w = 1.0
            if f["holds"] == "women":
                w = 0.0 if sex != "F" else 8.0
            elif f["holds"] == "military":
                w = 0.0 if not military else 15.0
            if f["operator"] == body:
                w *= 6.0
            if f["state"] == state:
                w *= 5.0
                local += w
            elif state in f["receives_from"]:
                w *= 2.0
                local += w
            elif self.bodies.kind.get(f["operator"] or "") == "intelligence":
                w *= 0.6  # national intelligence sites take people from everywhere
            else:
                w *= 0.1
            if f["kind"] == "prison":
                w *= 2.0
            weights.append(w)
        if not any(w > 0 for w in weights) or (local == 0.0 and rng.random() < 0.7):
            return None  # a local cell or station that the pack does not list
        return _Pick([f["code"] for f in self.items], weights)(rng)


class _Ids:
    """National ID numbers plausible for a birth year, unique across persons."""

    def __init__(self, pack: Mapping[str, Any]) -> None:
        spec = pack.get("national_id") or {}
        self.prefixes: tuple[str, ...] = tuple(spec.get("prefixes") or ("",))
        self.min_digits = int(spec.get("min_digits", 1))
        self.max_digits = int(spec.get("max_digits", 8))
        self.low = 10 ** (self.min_digits - 1)
        self.high = 10**self.max_digits - 1
        demo = pack.get("demo") or {}
        curve = demo.get("national_id_by_birth_year")
        if curve:
            self.curve = [(float(y), float(n)) for y, n in curve]
        else:  # generic: the range filled linearly from 1930 to 2015
            self.curve = [(1930.0, self.low), (2015.0, self.low + 0.5 * (self.high - self.low))]
        foreign = demo.get("foreign_id_range")
        if foreign:
            self.foreign = (int(foreign[0]), int(foreign[1]))
        else:
            self.foreign = (int(self.low + 0.8 * (self.high - self.low)), self.high)
        self.used: set[int] = set()

    def _by_year(self, year: float) -> float:
        curve = self.curve
        if year <= curve[0][0]:
            return curve[0][1]
        for (y0, n0), (y1, n1) in itertools.pairwise(curve):
            if year <= y1:
                return n0 + (n1 - n0) * (year - y0) / (y1 - y0)
        (y0, n0), (y1, n1) = curve[-2], curve[-1]
        return n1 + (n1 - n0) * (year - y1) / (y1 - y0)

    def new(self, rng: random.Random, birth: date, foreign: bool) -> str:
        if foreign and len(self.prefixes) > 1:
            prefix = self.prefixes[1]
            number = rng.randint(*self.foreign)
        else:
            prefix = self.prefixes[0]
            centre = self._by_year(birth.year + birth.timetuple().tm_yday / 366.0)
            number = int(centre * (1.0 + rng.gauss(0.0, 0.04)) + rng.gauss(0.0, 250_000))
        number = min(max(number, self.low), self.high)
        while number in self.used:
            number = min(max(number + rng.randint(-999, 999), self.low), self.high)
        self.used.add(number)
        return f"{prefix}{number}"


# ---------------------------------------------------------------------------------------------
# Sources: who captures what, and how they write it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    """How a source writes its rows. Probabilities are per record."""

    columns: tuple[str, ...]
    name_layout: str  # "surnames_first" (with a comma) | "given_first" | "split" | "short"
    upper: bool = False
    accent_loss: float = 0.3
    drop_given2: float = 0.25
    drop_surname2: float = 0.2
    swap_surnames: float = 0.03
    typo: float = 0.05
    letter_swap: float = 0.04
    married: float = 0.0
    cedula: float = 0.6
    cedula_formats: tuple[tuple[str, float], ...] = (("plain", 1.0),)
    birth: float = 0.5
    birth_year_only: float = 0.15
    birth_formats: tuple[tuple[str, float], ...] = (("dmy_slash", 1.0),)
    age: float = 0.5
    sex_words: tuple[str, str] = ("M", "F")
    sex: float = 0.9
    date_formats: tuple[tuple[str, float], ...] = (("dmy_slash", 1.0),)
    date_error: float = 0.03
    state_prefix: float = 0.2
    state_alias: float = 0.25
    state_typo: float = 0.02
    municipality: float = 0.7
    body_forms: tuple[float, float, float] = (0.45, 0.25, 0.30)  # code, name, alias
    facility: float = 0.85
    notes: float = 0.5


@dataclass(frozen=True)
class _SourceSpec:
    source: DemoSource
    style: _Style
    capture: dict[str, float]  # act type → capture probability for an average event
    slope: float  # how strongly capture depends on an event's visibility
    focus: dict[str, float] = field(default_factory=dict)  # affiliation → logit boost


def _capture(values: Sequence[float]) -> dict[str, float]:
    return dict(zip(ACT_TYPES, values, strict=True))


_SOURCE_SPECS: tuple[_SourceSpec, ...] = (
    _SourceSpec(
        DemoSource(
            "SRC-01",
            "Lista de presos políticos (ONG, ficticia)",
            "ngo_list",
            "B",
            2,
            date(2025, 8, 31),
        ),
        _Style(
            columns=(
                "nombres",
                "apellidos",
                "cedula",
                "sexo",
                "edad",
                "estado",
                "municipio",
                "hecho",
                "fecha_hecho",
                "cuerpo",
                "centro_reclusion",
                "situacion",
                "observaciones",
            ),
            name_layout="split",
            accent_loss=0.5,
            cedula=0.62,
            cedula_formats=(("plain", 0.6), ("dotted", 0.4)),
            age=0.55,
            sex_words=("Masculino", "Femenino"),
            date_formats=(
                ("dmy_slash", 0.7),
                ("dmy_dash", 0.2),
                ("my_slash", 0.05),
                ("month_es", 0.05),
            ),
            municipality=0.7,
        ),
        _capture((0.55, 0.62, 0.30, 0.50, 0.10, 0.25, 0.12, 0.05)),
        0.6,
    ),
    _SourceSpec(
        DemoSource(
            "SRC-02",
            "Listado oficial de aprehendidos (ficticio)",
            "official",
            "C",
            3,
            date(2024, 12, 23),
        ),
        _Style(
            columns=(
                "nombre_completo",
                "cedula",
                "sexo",
                "fecha_nacimiento",
                "estado",
                "hecho",
                "fecha_hecho",
                "cuerpo",
                "centro_reclusion",
                "situacion",
            ),
            name_layout="surnames_first",
            upper=True,
            accent_loss=1.0,
            drop_given2=0.12,
            drop_surname2=0.05,
            typo=0.04,
            letter_swap=0.02,
            cedula=0.88,
            cedula_formats=(("dotted", 0.5), ("plain", 0.5)),
            birth=0.6,
            birth_year_only=0.15,
            birth_formats=(("iso", 1.0),),
            sex=1.0,
            date_formats=(("iso", 0.6), ("dmy_slash", 0.4)),
            date_error=0.02,
            state_prefix=0.5,
            state_alias=0.1,
            body_forms=(0.9, 0.1, 0.0),
            notes=0.0,
        ),
        _capture((0.70, 0.50, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
        0.2,
    ),
    _SourceSpec(
        DemoSource(
            "SRC-03",
            "Expedientes de abogados defensores (ficticio)",
            "lawyer_dossier",
            "A",
            2,
            date(2025, 6, 30),
        ),
        _Style(
            columns=(
                "nombres",
                "apellidos",
                "cedula",
                "fecha_nacimiento",
                "sexo",
                "estado",
                "municipio",
                "hecho",
                "fecha_hecho",
                "cuerpo",
                "centro_reclusion",
                "situacion",
                "observaciones",
            ),
            name_layout="split",
            accent_loss=0.02,
            drop_given2=0.05,
            drop_surname2=0.04,
            swap_surnames=0.01,
            typo=0.02,
            letter_swap=0.01,
            married=0.05,
            cedula=0.92,
            cedula_formats=(("dotted", 0.9), ("ci", 0.1)),
            birth=0.85,
            birth_year_only=0.05,
            birth_formats=(("dmy_slash", 0.7), ("long_es", 0.3)),
            age=0.0,
            sex_words=("Masculino", "Femenino"),
            date_formats=(("long_es", 0.6), ("dmy_slash", 0.4)),
            date_error=0.01,
            state_prefix=0.3,
            municipality=0.9,
            body_forms=(0.3, 0.6, 0.1),
            notes=0.7,
        ),
        _capture((0.05, 0.14, 0.35, 0.25, 0.35, 0.20, 0.15, 0.03)),
        0.4,
    ),
    _SourceSpec(
        DemoSource(
            "SRC-04",
            "Testimonios recogidos en campo (ficticio)",
            "testimony",
            "B",
            3,
            date(2025, 5, 15),
        ),
        _Style(
            columns=(
                "nombre_completo",
                "sexo",
                "edad",
                "estado",
                "municipio",
                "hecho",
                "fecha_hecho",
                "cuerpo",
                "centro_reclusion",
                "observaciones",
            ),
            name_layout="given_first",
            accent_loss=0.4,
            drop_given2=0.5,
            drop_surname2=0.45,
            typo=0.08,
            letter_swap=0.08,
            cedula=0.0,
            age=0.6,
            sex=0.5,
            sex_words=("masculino", "femenino"),
            date_formats=(
                ("part_es", 0.35),
                ("month_es", 0.15),
                ("month_abbr_es", 0.1),
                ("long_es", 0.3),
                ("year", 0.05),
                ("dmy_slash", 0.05),
            ),
            date_error=0.08,
            state_prefix=0.1,
            state_alias=0.35,
            municipality=0.5,
            body_forms=(0.2, 0.2, 0.6),
            facility=0.6,
            notes=0.8,
        ),
        _capture((0.30, 0.08, 0.30, 0.20, 0.40, 0.10, 0.35, 0.30)),
        0.5,
    ),
    _SourceSpec(
        DemoSource(
            "SRC-05", "Monitoreo de prensa nacional (ficticio)", "media", "D", 4, date(2025, 8, 31)
        ),
        _Style(
            columns=("nombre_completo", "edad", "estado", "municipio"),
            name_layout="short",
            accent_loss=0.2,
            drop_given2=0.6,
            drop_surname2=0.7,
            typo=0.05,
            cedula=0.0,
            age=0.8,
            sex=0.0,
            state_prefix=0.05,
            state_alias=0.3,
            municipality=0.7,
        ),
        _capture((0.85, 0.10, 0.05, 0.15, 0.03, 0.08, 0.15, 0.10)),
        1.2,
    ),
    _SourceSpec(
        DemoSource(
            "SRC-06",
            "Registro de agresiones a periodistas y defensores (ficticio)",
            "ngo_list",
            "B",
            2,
            date(2025, 8, 1),
        ),
        _Style(
            columns=(
                "nombres",
                "apellidos",
                "cedula",
                "sexo",
                "estado",
                "hecho",
                "fecha_hecho",
                "cuerpo",
                "observaciones",
            ),
            name_layout="split",
            accent_loss=0.3,
            drop_given2=0.3,
            drop_surname2=0.3,
            cedula=0.3,
            cedula_formats=(("dotted", 0.5), ("plain", 0.5)),
            date_formats=(("dmy_dash", 0.5), ("dmy_slash", 0.3), ("my_slash", 0.2)),
            notes=0.9,
        ),
        _capture((0.10, 0.03, 0.05, 0.05, 0.02, 0.20, 0.10, 0.18)),
        0.8,
        {"journalist": 2.5, "defender": 2.0, "opponent": 0.3},
    ),
    _SourceSpec(
        DemoSource(
            "SRC-07",
            "Comité de familiares de detenidos (ficticio)",
            "ngo_list",
            "C",
            3,
            date(2025, 3, 1),
        ),
        _Style(
            columns=(
                "nombre_completo",
                "cedula",
                "fecha_nacimiento",
                "edad",
                "estado",
                "municipio",
                "fecha_hecho",
                "centro_reclusion",
                "situacion",
                "observaciones",
            ),
            name_layout="given_first",
            accent_loss=0.6,
            drop_given2=0.2,
            drop_surname2=0.2,
            typo=0.06,
            married=0.05,
            cedula=0.7,
            cedula_formats=(("ci", 0.4), ("lower", 0.3), ("plain", 0.3)),
            birth=0.4,
            birth_year_only=0.3,
            birth_formats=(("dmy_slash", 1.0),),
            age=0.5,
            date_formats=(
                ("month_es", 0.25),
                ("month_abbr_es", 0.15),
                ("dmy_slash", 0.5),
                ("iso", 0.1),
            ),
            date_error=0.05,
            municipality=0.6,
            facility=0.95,
            notes=0.6,
        ),
        _capture((0.20, 0.25, 0.10, 0.35, 0.02, 0.05, 0.05, 0.0)),
        0.5,
    ),
    _SourceSpec(
        DemoSource(
            "SRC-08",
            "Medios internacionales y redes sociales (ficticio)",
            "media",
            "E",
            4,
            date(2025, 8, 31),
        ),
        _Style(
            columns=("nombre_completo", "edad", "estado", "hecho", "fecha_hecho", "observaciones"),
            name_layout="short",
            accent_loss=0.7,
            drop_given2=0.6,
            drop_surname2=0.6,
            typo=0.1,
            letter_swap=0.05,
            cedula=0.0,
            age=0.6,
            sex=0.0,
            date_formats=(("long_en", 0.5), ("mid_en", 0.3), ("long_es", 0.2)),
            date_error=0.05,
            state_prefix=0.0,
            state_alias=0.3,
            body_forms=(0.6, 0.1, 0.3),
            notes=0.5,
        ),
        _capture((0.70, 0.05, 0.03, 0.08, 0.02, 0.05, 0.12, 0.08)),
        1.4,
    ),
)

# How sources word acts, statuses, sexes and affiliations.
_HECHO = {
    "killing": ("asesinato", "asesinado", "homicidio", "muerte en protesta",
                "ejecución extrajudicial", "fallecido por arma de fuego"),
    "arbitrary_detention": ("detención arbitraria", "detención", "detenido", "privado de libertad",
                            "aprehensión", "arresto"),
    "torture": ("tortura", "torturas", "tortura (asfixia, golpes)", "torturado"),
    "enforced_disappearance": ("desaparición forzada", "desaparecido", "paradero desconocido"),
    "sexual_violence": ("violencia sexual", "abuso sexual", "violencia sexual (desnudez forzada)"),
    "persecution": ("persecución política", "persecución", "perseguido político",
                    "persecución (imputado por terrorismo)",
                    "persecución (anulación de pasaporte)"),
    "ill_treatment": ("malos tratos", "golpeado", "trato cruel", "malos tratos (perdigones)"),
    "threat": ("amenaza", "amenazas de muerte", "hostigamiento", "amenazado"),
}  # fmt: skip
_FEMININE = {
    "detenido": "detenida", "asesinado": "asesinada", "torturado": "torturada",
    "desaparecido": "desaparecida", "golpeado": "golpeada", "amenazado": "amenazada",
    "privado": "privada", "perseguido": "perseguida", "fallecido": "fallecida",
    "imputado": "imputada", "excarcelado": "excarcelada", "liberado": "liberada",
    "político": "política",
}  # fmt: skip
_STATUS = {
    "held": ("detenido", "privado de libertad", "en custodia"),
    "disappeared": ("desaparecido", "paradero desconocido"),
    "conditionally_released": ("excarcelado", "medidas cautelares", "libertad condicional"),
    "released": ("liberado", "en libertad", "libre"),
    "died_in_custody": ("fallecido en custodia", "murió en custodia"),
}
_AFFILIATION_NOTES = {
    "journalist": ("periodista", "reportero gráfico", "trabaja en un medio digital"),
    "opponent": ("dirigente de oposición", "activista de oposición", "coordinador de campaña"),
    "defender": ("defensor de DD.HH.", "activista de derechos humanos"),
    "poll_witness": ("testigo de mesa", "testigo electoral"),
    "student": ("estudiante", "estudiante universitario"),
    "military": ("militar activo", "funcionario militar", "sargento"),
    "minor": ("menor de edad", "adolescente"),
}
_CONTEXT_NOTES = {
    "killing": ("herido de bala durante protesta", "murió en el hospital", "disparo en el tórax"),
    "arbitrary_detention": ("detenido en protesta", "allanamiento de vivienda sin orden",
                            "detenido en la calle", "acusado de terrorismo"),
    "torture": ("denuncia golpes y asfixia", "descargas eléctricas"),
    "enforced_disappearance": ("familia sin información", "negaron tenerlo detenido"),
    "sexual_violence": ("reservado", "desnudez forzada"),
    "persecution": ("imputado por incitación al odio", "pasaporte anulado"),
    "ill_treatment": ("golpeado al ser aprehendido", "perdigones"),
    "threat": ("amenazas por redes sociales", "visita de funcionarios a su casa"),
}  # fmt: skip


def _feminine(text: str) -> str:
    words = text.split(" ")
    return " ".join(_FEMININE.get(w, w) for w in words)


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


@dataclass
class _Case:
    person: TruePerson
    events: list[DemoEvent]
    foreign: bool


class _Generator:
    """Holds the pack context and the random stream for one ``generate`` call."""

    def __init__(self, pack: Mapping[str, Any], places: Sequence[Mapping[str, Any]], seed: int):
        self.rng = random.Random(seed)
        self.geo = _Geo(pack, places)
        self.bodies = _Bodies(pack)
        self.facilities = _Facilities(pack, self.geo, self.bodies)
        self.ids = _Ids(pack)
        self.male = _Pick(MALE_GIVEN_NAMES, _zipf(len(MALE_GIVEN_NAMES), 0.75))
        self.female = _Pick(FEMALE_GIVEN_NAMES, _zipf(len(FEMALE_GIVEN_NAMES), 0.75))
        self.surname = _Pick(SURNAMES, _zipf(len(SURNAMES), 0.85))
        self.n_persons = 0
        self.n_events = 0
        self.case_pick = _Pick.of(
            {"detained": 0.26, "threatened": 0.29, "protest": 0.21, "persecuted": 0.2}
        )
        # Protest killings are rare but must not swing wildly between seeds: one is due every
        # 1/KILLING_RATE persons, starting from a random phase.
        self.kill_credit = self.rng.random()

    # -- people ------------------------------------------------------------------------------

    def _given(self, female: bool) -> tuple[str, ...]:
        pick = self.female if female else self.male
        units = _units(pick(self.rng))
        if len(units) == 1 and self.rng.random() < 0.75:
            for _ in range(3):
                second = _units(pick(self.rng))
                if len(second) == 1 and second != units:
                    return units + second
        return units

    def _surnames(self) -> tuple[str, ...]:
        first = self.surname(self.rng)
        second = self.surname(self.rng)
        if second == first and self.rng.random() < 0.9:
            second = self.surname(self.rng)
        return (first, second)

    def _person(
        self,
        *,
        at: date,
        p_male: float,
        age: int,
        affiliation: str | None,
        place: tuple[str, str | None],
        foreign: bool = False,
    ) -> TruePerson:
        rng = self.rng
        self.n_persons += 1
        female = rng.random() >= p_male
        birth = at - timedelta(days=int(age * 365.25) + rng.randrange(365))
        state, muni = place
        if rng.random() < 0.1:  # lives elsewhere in the state
            state, muni = self.geo.pick(rng, state)
        return TruePerson(
            person_key=f"P{self.n_persons:06d}",
            given_names=self._given(female),
            surnames=self._surnames(),
            sex="F" if female else "M",
            birth_date=birth,
            national_id=self.ids.new(rng, birth, foreign),
            affiliation=affiliation,
            state_code=state,
            municipality_code=muni,
        )

    def _adult_age(self, young: bool = False) -> int:
        rng = self.rng
        bands = ((18, 24, 0.38), (25, 34, 0.34), (35, 44, 0.16), (45, 54, 0.08), (55, 70, 0.04))
        if not young:
            bands = ((18, 24, 0.22), (25, 34, 0.3), (35, 44, 0.24), (45, 54, 0.15), (55, 72, 0.09))
        u = rng.random()
        for low, high, p in bands:
            if u < p:
                return rng.randint(low, high)
            u -= p
        return rng.randint(18, 60)

    def _event(
        self,
        person: TruePerson,
        act: str,
        when: date,
        place: str,
        body: str,
        facility: str | None = None,
        status: str | None = None,
    ) -> DemoEvent:
        self.n_events += 1
        return DemoEvent(
            event_key=f"E{self.n_events:06d}",
            person_key=person.person_key,
            act_type=act,
            date=min(when, SNAPSHOT_DAY),
            place_code=place,
            perpetrator_body=body,
            facility=facility,
            detention_status=status,
        )

    # -- dates -------------------------------------------------------------------------------

    def _detention_date(self) -> tuple[date, str]:
        rng = self.rng
        u = rng.random()
        if u < 0.70:
            if rng.random() < 0.02:
                return ELECTION_DAY, "wave"
            offset = min(int(rng.expovariate(1 / 5.5)), 20)
            return ELECTION_DAY + timedelta(days=1 + offset), "wave"
        if u < 0.88:
            return date(2024, 8, 16) + timedelta(days=int(rng.triangular(0, 138, 0))), "targeted"
        if u < 0.95:
            offset = max(-8, min(8, round(rng.gauss(-1.0, 3.0))))
            return INAUGURATION_DAY + timedelta(days=offset), "targeted"
        return date(2025, 1, 20) + timedelta(days=rng.randrange(223)), "targeted"

    def _later_date(self, low: int, high: int, mode: int) -> date:
        return ELECTION_DAY + timedelta(days=int(self.rng.triangular(low, high, mode)))

    # -- cases -------------------------------------------------------------------------------

    def case(self) -> _Case:
        self.kill_credit += KILLING_RATE
        if self.kill_credit >= 1.0:
            self.kill_credit -= 1.0
            return self._killed()
        kind = self.case_pick(self.rng)
        if kind == "detained":
            return self._detained()
        return self._other(kind)

    def _detained(self) -> _Case:
        rng = self.rng
        when, phase = self._detention_date()
        u = rng.random()
        if u < 0.035:
            affiliation, age, p_male = "minor", rng.randint(14, 17), 0.9
        elif u < 0.035 + 0.09:
            affiliation, age, p_male = "military", rng.randint(20, 52), 0.96
        else:
            mix = (
                {None: 0.68, "student": 0.1, "opponent": 0.1, "poll_witness": 0.09,
                 "journalist": 0.02, "defender": 0.01}
                if phase == "wave"
                else {None: 0.2, "poll_witness": 0.3, "opponent": 0.3, "journalist": 0.08,
                      "defender": 0.05, "student": 0.07}
            )  # fmt: skip
            affiliation = _Pick.of(mix)(rng)
            age = self._adult_age(young=affiliation in (None, "student"))
            p_male = 0.885
        foreign = rng.random() < 0.04
        place = self.geo.pick(rng)
        person = self._person(
            at=when, p_male=p_male, age=age, affiliation=affiliation, place=place, foreign=foreign
        )
        site = place[1] or place[0]
        military = affiliation == "military"
        body = self.bodies.pick(rng, "military_detainee" if military else "arbitrary_detention")
        facility = self.facilities.pick(
            rng, body=body, state=place[0], sex=person.sex, military=military
        )
        disappeared = rng.random() < 0.12
        still_missing = disappeared and rng.random() < 0.13
        died = rng.random() < 0.0015
        if died:
            status = "died_in_custody"
        elif still_missing:
            status = "disappeared"
        else:
            held = 0.62 if when.year >= 2025 else 0.40
            status = _Pick.of(
                {"held": held, "conditionally_released": 0.86 - held + 0.02, "released": 0.12}
            )(rng)
        events = [self._event(person, "arbitrary_detention", when, site, body, facility, status)]
        custody_body = body
        if facility is not None:
            custody_body = self.facilities.by_code[facility]["operator"] or body
        if disappeared:
            events.append(
                self._event(
                    person, "enforced_disappearance", when, site, body, facility,
                    "disappeared" if still_missing else status,
                )
            )  # fmt: skip
        p_torture = 0.45 if military or self.bodies.kind.get(body) == "intelligence" else 0.2
        if rng.random() < p_torture:
            days = timedelta(days=rng.randrange(4))
            events.append(self._event(person, "torture", when + days, site, custody_body, facility))
        if rng.random() < 0.45:  # at arrest
            events.append(self._event(person, "ill_treatment", when, site, body))
        if rng.random() < (0.08 if person.sex == "F" else 0.012):
            days = timedelta(days=rng.randrange(3))
            events.append(
                self._event(person, "sexual_violence", when + days, site, custody_body, facility)
            )
        targeted = affiliation in ("journalist", "defender", "opponent", "poll_witness")
        if rng.random() < (0.7 if targeted else 0.15):
            days = timedelta(days=rng.randrange(1, 6))
            body_p = self.bodies.pick(rng, "persecution")
            events.append(self._event(person, "persecution", when + days, site, body_p))
        if died:
            days = timedelta(days=rng.randint(3, 150))
            events.append(self._event(person, "killing", when + days, site, custody_body, facility))
        return _Case(person, events, foreign)

    def _killed(self) -> _Case:
        rng = self.rng
        when = ELECTION_DAY + timedelta(days=_Pick([0, 1, 2], [0.15, 0.55, 0.3])(rng))
        young = rng.random() < 0.08
        age = rng.randint(15, 17) if young else self._adult_age(young=True)
        place = self.geo.pick(rng)
        person = self._person(
            at=when, p_male=0.93, age=age, affiliation="minor" if young else None, place=place
        )
        body = self.bodies.pick(rng, "killing")
        event = self._event(person, "killing", when, place[1] or place[0], body)
        return _Case(person, [event], False)

    def _other(self, kind: str) -> _Case:
        rng = self.rng
        place = self.geo.pick(rng)
        site = place[1] or place[0]
        if kind == "protest":
            protest = rng.random() < 0.8
            when = (
                ELECTION_DAY + timedelta(days=rng.randrange(4))
                if protest
                else INAUGURATION_DAY + timedelta(days=rng.randint(-2, 1))
            )
            affiliation = _Pick.of({None: 0.8, "student": 0.2})(rng)
            person = self._person(
                at=when, p_male=0.85, age=self._adult_age(young=True), affiliation=affiliation,
                place=place,
            )  # fmt: skip
            body = self.bodies.pick(rng, "protest")
            return _Case(person, [self._event(person, "ill_treatment", when, site, body)], False)
        if kind == "threatened":
            mix = {"journalist": 0.25, "defender": 0.15, "opponent": 0.3, "poll_witness": 0.22,
                   "student": 0.08}  # fmt: skip
            act, body_act = "threat", "threat"
        else:
            mix = {"opponent": 0.35, "poll_witness": 0.25, "journalist": 0.12, "defender": 0.1,
                   None: 0.18}  # fmt: skip
            act, body_act = "persecution", "persecution"
        affiliation = _Pick.of(mix)(rng)
        when = self._later_date(2, 240, 15)
        person = self._person(
            at=when, p_male=0.6, age=self._adult_age(), affiliation=affiliation, place=place
        )
        events = [self._event(person, act, when, site, self.bodies.pick(rng, body_act))]
        if rng.random() < 0.2:
            other = "persecution" if act == "threat" else "threat"
            later = when + timedelta(days=rng.randint(5, 90))
            events.append(self._event(person, other, later, site, self.bodies.pick(rng, other)))
        return _Case(person, events, False)

    # -- capture -----------------------------------------------------------------------------

    def captures(self, case: _Case) -> list[tuple[int, DemoEvent]]:
        """Which sources record which events of a case (heterogeneous, person-correlated)."""
        rng = self.rng
        person_z = rng.gauss(0.0, 0.7)
        boost = {"journalist": 0.6, "defender": 0.6, "opponent": 0.3, "minor": 0.5,
                 "military": -0.3}.get(case.person.affiliation or "", 0.0)  # fmt: skip
        if case.foreign:
            boost += 0.2
        out: list[tuple[int, DemoEvent]] = []
        for event in case.events:
            z = person_z + rng.gauss(0.0, 0.7) + boost + (0.5 if event.act_type == "killing" else 0)
            hits: list[int] = []
            for index, spec in enumerate(_SOURCE_SPECS):
                base = spec.capture[event.act_type]
                if base <= 0.0 or event.date > spec.source.obtained:
                    continue
                logit = _logit(base) + spec.slope * z
                logit += spec.focus.get(case.person.affiliation or "", 0.0)
                if rng.random() < _sigmoid(logit):
                    hits.append(index)
            if len(hits) > MAX_SOURCES_PER_EVENT:
                hits = sorted(rng.sample(hits, MAX_SOURCES_PER_EVENT))
            for index in hits:
                out.append((index, event))
                if rng.random() < 0.02:  # the same source lists it twice
                    out.append((index, event))
        return out

    # -- rendering ---------------------------------------------------------------------------

    def _foreign(self, person: TruePerson) -> bool:
        prefixes = self.ids.prefixes
        return (
            bool(person.national_id)
            and len(prefixes) > 1
            and (person.national_id or "").startswith(prefixes[1:])
        )

    def _text(self, text: str, style: _Style) -> str:
        rng = self.rng
        if style.upper:
            text = _strip_accents(text, keep_enye=rng.random() < 0.5).upper()
        elif rng.random() < style.accent_loss:
            text = _strip_accents(text, keep_enye=rng.random() < 0.7)
        return text

    def _name_parts(self, person: TruePerson, style: _Style) -> tuple[list[str], list[str]]:
        rng = self.rng
        given = list(person.given_names)
        surnames = list(person.surnames)
        if len(given) > 1 and rng.random() < style.drop_given2:
            given = given[:1]
        if rng.random() < style.drop_surname2:
            surnames = surnames[:1]
        elif rng.random() < style.swap_surnames:
            surnames.reverse()
        if person.sex == "F" and rng.random() < style.married:
            surnames.append("de " + self.surname(rng))
        if rng.random() < style.letter_swap:
            i = rng.randrange(len(given) + len(surnames))
            if i < len(given):
                given[i] = _letter_swap(rng, given[i])
            else:
                surnames[i - len(given)] = _letter_swap(rng, surnames[i - len(given)])
        if rng.random() < style.typo:
            i = rng.randrange(len(given) + len(surnames))
            if i < len(given):
                given[i] = _typo(rng, given[i])
            else:
                surnames[i - len(given)] = _typo(rng, surnames[i - len(given)])
        return given, surnames

    def _cedula(self, person: TruePerson, style: _Style) -> str:
        rng = self.rng
        if person.national_id is None or rng.random() >= style.cedula:
            return ""
        prefix = person.national_id.rstrip("0123456789")
        digits = person.national_id[len(prefix) :]
        if rng.random() < 0.03:  # one digit mistyped
            i = rng.randrange(len(digits))
            wrong = rng.choice([d for d in "0123456789" if d != digits[i]])
            if i == 0 and wrong == "0":
                wrong = "1" if digits[0] != "1" else "2"
            digits = digits[:i] + wrong + digits[i + 1 :]
        fmt = _Pick.of(dict(style.cedula_formats))(rng)
        dotted = f"{int(digits):,}".replace(",", ".")
        if fmt == "dotted":
            return f"{prefix}-{dotted}" if prefix else dotted
        if fmt == "ci":
            return f"C.I. {dotted}"
        if fmt == "lower":
            return f"{prefix.lower()}{digits}"
        return digits

    def _date(self, when: date, style: _Style) -> str:
        rng = self.rng
        if rng.random() < style.date_error:
            when = when + timedelta(days=rng.choice((-3, -2, -1, 1, 2, 3)))
        fmt = _Pick.of(dict(style.date_formats))(rng)
        if fmt == "mid_en" and not 11 <= when.day <= 20:
            fmt = "long_en"
        return format_date(when, fmt)

    def _state(self, code: str, style: _Style) -> str:
        rng = self.rng
        aliases = self.geo.aliases.get(code, ())
        if aliases and rng.random() < style.state_alias:
            text = aliases[rng.randrange(len(aliases))]
        else:
            text = self.geo.name[code]
            first = text.split(" ", 1)[0]
            if first not in ("Distrito", "Dependencias") and rng.random() < style.state_prefix:
                text = ("Edo. " if rng.random() < 0.5 else "Estado ") + text
        if rng.random() < style.state_typo:
            text = _typo(rng, text)
        return self._text(text, style)

    def _body(self, code: str, style: _Style) -> str:
        rng = self.rng
        code_text, name, aliases = self.bodies.labels[code]
        form = _Pick(("code", "name", "alias"), style.body_forms)(rng)
        if form == "code" and not code_text.isalpha():  # "POLICIA-ESTADAL" is not an acronym
            form = "name"
        if form == "alias" and aliases:
            text = aliases[rng.randrange(len(aliases))]
        elif form == "name" or (form == "alias" and not aliases):
            text = name
        else:
            text = code_text
        return self._text(text, style)

    def render(self, person: TruePerson, event: DemoEvent, style: _Style) -> dict[str, str]:
        """One source row about ``event``, as the source would write it."""
        rng = self.rng
        columns = style.columns
        row = dict.fromkeys(columns, "")
        given, surnames = self._name_parts(person, style)
        female = person.sex == "F"
        if style.name_layout == "split":
            row["nombres"] = self._text(" ".join(given), style)
            row["apellidos"] = self._text(" ".join(surnames), style)
        elif style.name_layout == "surnames_first":
            # "APELLIDOS, NOMBRES": the comma is what lets a reader tell the order.
            text = f"{' '.join(surnames)}, {' '.join(given)}"
            row["nombre_completo"] = self._text(text, style)
        elif style.name_layout == "short":
            row["nombre_completo"] = self._text(f"{given[0]} {surnames[0]}", style)
        else:
            row["nombre_completo"] = self._text(" ".join(given + surnames), style)
        if "sexo" in row and rng.random() < style.sex:
            row["sexo"] = style.sex_words[1] if female else style.sex_words[0]
        if "cedula" in row:
            row["cedula"] = self._cedula(person, style)
        birth = person.birth_date
        has_birth = False
        if "fecha_nacimiento" in row and birth is not None and rng.random() < style.birth:
            has_birth = True
            if rng.random() < style.birth_year_only:
                row["fecha_nacimiento"] = str(birth.year)
            else:
                row["fecha_nacimiento"] = format_date(
                    birth, _Pick.of(dict(style.birth_formats))(rng)
                )
        if "edad" in row and birth is not None and not has_birth and rng.random() < style.age:
            age = _age_at(birth, event.date)
            if rng.random() < 0.1:
                age += rng.choice((-1, 1, 1, 2))
            row["edad"] = str(max(age, 1))
        state = self.geo.state_of(event.place_code)
        if "estado" in row:
            row["estado"] = self._state(state, style)
        if "municipio" in row and event.place_code != state and rng.random() < style.municipality:
            aliases = self.geo.aliases.get(event.place_code, ())
            muni = self.geo.name[event.place_code]
            if aliases and rng.random() < 0.3:
                muni = aliases[rng.randrange(len(aliases))]
            row["municipio"] = self._text(muni, style)
        if "hecho" in row:
            options = _HECHO[event.act_type]
            text = options[rng.randrange(len(options))]
            row["hecho"] = self._text(_feminine(text) if female else text, style)
        if "fecha_hecho" in row:
            row["fecha_hecho"] = self._date(event.date, style)
        if "cuerpo" in row and rng.random() < 0.92:
            row["cuerpo"] = self._body(event.perpetrator_body, style)
        if "centro_reclusion" in row and event.facility and rng.random() < style.facility:
            labels = self.facilities.by_code[event.facility]["labels"]
            row["centro_reclusion"] = self._text(labels[rng.randrange(len(labels))], style)
        if "situacion" in row:
            status = event.detention_status
            if event.act_type == "killing" and status is None:
                row["situacion"] = self._text("fallecida" if female else "fallecido", style)
            elif status is not None and rng.random() < 0.9:
                options = _STATUS[status]
                text = options[rng.randrange(len(options))]
                row["situacion"] = self._text(_feminine(text) if female else text, style)
        if "observaciones" in row and rng.random() < style.notes:
            notes = []
            if person.affiliation and rng.random() < 0.6:
                options = _AFFILIATION_NOTES[person.affiliation]
                notes.append(options[rng.randrange(len(options))])
            if rng.random() < 0.5:
                options = _CONTEXT_NOTES[event.act_type]
                notes.append(options[rng.randrange(len(options))])
            if person.national_id and self._foreign(person) and rng.random() < 0.5:
                notes.append("extranjero" if not female else "extranjera")
            row["observaciones"] = self._text("; ".join(notes), style) if notes else ""
        return row


def generate(
    *,
    pack: Mapping[str, Any],
    gazetteer_places: Sequence[Mapping[str, Any]],
    n_records: int = 20_000,
    seed: int = 2024,
) -> DemoDataset:
    """Generate a synthetic data set of exactly ``n_records`` source records.

    Args:
        pack: the parsed ``pack.json`` of a country pack (bodies, facilities, ID format, and the
            optional ``demo`` weights).
        gazetteer_places: the ``places`` list of the pack's gazetteer.
        n_records: how many records to produce.
        seed: the seed of the one ``random.Random`` stream; same arguments give equal output.
    """
    if n_records < 0:
        raise ValueError("n_records must not be negative")
    gen = _Generator(pack, gazetteer_places, seed)
    persons: list[TruePerson] = []
    events: list[DemoEvent] = []
    pending: list[tuple[int, TruePerson, DemoEvent]] = []
    while len(pending) < n_records:
        case = gen.case()
        persons.append(case.person)
        events.extend(case.events)
        for index, event in gen.captures(case):
            pending.append((index, case.person, event))
    del pending[n_records:]

    by_source: list[list[tuple[TruePerson, DemoEvent]]] = [[] for _ in _SOURCE_SPECS]
    for index, person, event in pending:
        by_source[index].append((person, event))
    records: list[DemoRecord] = []
    render: Callable[[TruePerson, DemoEvent, _Style], dict[str, str]] = gen.render
    for index, rows in enumerate(by_source):
        spec = _SOURCE_SPECS[index]
        gen.rng.shuffle(rows)
        for row_number, (person, event) in enumerate(rows, start=1):
            records.append(
                DemoRecord(
                    record_key=f"R{len(records) + 1:07d}",
                    source_key=spec.source.key,
                    row=row_number,
                    true_person_key=person.person_key,
                    event_key=event.event_key,
                    raw=render(person, event, spec.style),
                )
            )
    return DemoDataset(
        sources=tuple(spec.source for spec in _SOURCE_SPECS),
        persons=tuple(persons),
        events=tuple(events),
        records=tuple(records),
    )

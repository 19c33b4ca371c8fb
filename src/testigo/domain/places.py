"""Administrative places (country, state, municipality, parish) and fuzzy lookup by name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from testigo.domain.text import fold

__all__ = ["LEVELS", "Gazetteer", "Place", "PlaceMatch"]

LEVELS = ("country", "state", "municipality", "parish")

# Folded prefixes (and a few suffixes) that name the level rather than the place. Longest first so
# "municipio autonomo" wins over "municipio".
_LEVEL_WORDS: tuple[tuple[str, str], ...] = (
    ("state of", "state"),
    ("estado", "state"),
    ("edo", "state"),
    ("municipality of", "municipality"),
    ("municipio autonomo", "municipality"),
    ("municipio", "municipality"),
    ("mcpio", "municipality"),
    ("mpio", "municipality"),
    ("mun", "municipality"),
    ("parish of", "parish"),
    ("parroquia", "parish"),
    ("parr", "parish"),
    ("pq", "parish"),
)
_PREFIX = re.compile(
    r"^(?P<word>" + "|".join(re.escape(w) for w, _ in _LEVEL_WORDS) + r")\s+(?P<rest>.+)$"
)
_SUFFIX = re.compile(r"^(?P<rest>.+)\s+(?P<word>state|municipality|parish)$")
_LEVEL_OF_WORD = dict(_LEVEL_WORDS) | {
    "state": "state",
    "municipality": "municipality",
    "parish": "parish",
}


def _key(text: str) -> tuple[str, str | None]:
    """Fold a place text and strip a level word from it; return (key, level the word implies)."""
    folded = fold(text)
    match = _PREFIX.match(folded) or _SUFFIX.match(folded)
    if match is None:
        return folded, None
    return match["rest"], _LEVEL_OF_WORD[match["word"]]


@dataclass(frozen=True)
class Place:
    """One administrative unit. `parent_code` is None only for the top of the hierarchy."""

    code: str
    name: str
    level: str
    parent_code: str | None
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown place level {self.level!r}; expected one of {LEVELS}")
        if not self.code or not self.name.strip():
            raise ValueError(f"a place needs a code and a name: {self!r}")
        object.__setattr__(self, "aliases", tuple(self.aliases))


@dataclass(frozen=True)
class PlaceMatch:
    """A gazetteer place proposed for a text, with a 0-100 similarity score."""

    place: Place
    score: float
    exact: bool


class Gazetteer:
    """An in-memory hierarchy of places with fuzzy name lookup.

    >>> g = Gazetteer([Place("VE", "Venezuela", "country", None),
    ...                Place("VE-M", "Miranda", "state", "VE")])
    >>> g.resolve("Edo. Miranda").place.code
    'VE-M'
    """

    def __init__(self, places: Iterable[Place]) -> None:
        self._places: dict[str, Place] = {}
        for place in places:
            if place.code in self._places:
                raise ValueError(f"duplicate place code {place.code!r}")
            self._places[place.code] = place
        self._children: dict[str, list[Place]] = {code: [] for code in self._places}
        for place in self._places.values():
            if place.parent_code is not None:
                if place.parent_code not in self._places:
                    raise ValueError(f"{place.code!r} has an unknown parent {place.parent_code!r}")
                self._children[place.parent_code].append(place)
        for siblings in self._children.values():
            siblings.sort(key=lambda p: p.code)
        for code in self._places:
            self.ancestors(code)  # fails on cycles
        self._index()

    def _index(self) -> None:
        """Lay names out as arrays so that one query scores every place in a few vector calls."""
        # Places in tie-break order: higher administrative level, then folded name, then code.
        self._ranked = sorted(
            self._places.values(), key=lambda p: (LEVELS.index(p.level), fold(p.name), p.code)
        )
        self._position = {place.code: i for i, place in enumerate(self._ranked)}
        self._levels = np.array([place.level for place in self._ranked])
        # One row per distinct (place, folded name or alias), grouped by place in ranked order.
        keys: list[str] = []
        starts: list[int] = []
        for place in self._ranked:
            starts.append(len(keys))
            keys.extend(dict.fromkeys(_key(text)[0] for text in (place.name, *place.aliases)))
        self._row_keys = keys
        self._row_starts = np.array(starts, dtype=np.intp)
        self._exact_rows: dict[str, list[int]] = {}
        for row, key in enumerate(keys):
            self._exact_rows.setdefault(key, []).append(row)

    def __len__(self) -> int:
        return len(self._places)

    def __iter__(self) -> Iterator[Place]:
        return iter(self._places.values())

    def __contains__(self, code: object) -> bool:
        return code in self._places

    def get(self, code: str) -> Place | None:
        """The place with this code, or None."""
        return self._places.get(code)

    def _require(self, code: str) -> Place:
        try:
            return self._places[code]
        except KeyError:
            raise KeyError(f"no place with code {code!r}") from None

    def children(self, code: str) -> list[Place]:
        """Direct children of a place, ordered by code."""
        self._require(code)
        return list(self._children[code])

    def ancestors(self, code: str) -> list[Place]:
        """Parent, grandparent, ... up to the top of the hierarchy (nearest first)."""
        place = self._require(code)
        found: list[Place] = []
        while place.parent_code is not None:
            place = self._places[place.parent_code]
            if place.code == code or len(found) > len(self._places):
                raise ValueError(f"the place hierarchy has a cycle through {code!r}")
            found.append(place)
        return found

    def descendants(self, code: str) -> list[Place]:
        """Every place below this one, depth first, ordered by code within each level."""
        self._require(code)
        found: list[Place] = []
        stack = list(reversed(self._children[code]))
        while stack:
            place = stack.pop()
            found.append(place)
            stack.extend(reversed(self._children[place.code]))
        return found

    def candidates(
        self,
        text: str,
        *,
        level: str | None = None,
        within: str | None = None,
        limit: int = 5,
    ) -> list[PlaceMatch]:
        """The best-scoring places for a text, best first, for a human to choose from.

        A level word in the text ("Edo.", "Municipio", "Pq.", "State of") is removed and, unless
        `level` is given, limits the search to that level. `within` limits it to the places below
        that code. Exact matches of a name or alias (after folding) come first with score 100;
        ties go to the higher administrative level, then the name, then the code.
        """
        if level is not None and level not in LEVELS:
            raise ValueError(f"unknown place level {level!r}; expected one of {LEVELS}")
        query, implied_level = _key(text)
        if not query:
            return []
        level = level or implied_level
        if not self._ranked or limit <= 0:
            return []
        row_scores = np.maximum(
            process.cdist([query], self._row_keys, scorer=fuzz.ratio, dtype=np.float32)[0],
            process.cdist([query], self._row_keys, scorer=fuzz.token_sort_ratio, dtype=np.float32)[
                0
            ],
        )
        row_exact = np.zeros(len(self._row_keys), dtype=bool)
        row_exact[self._exact_rows.get(query, [])] = True
        scores = np.maximum.reduceat(row_scores, self._row_starts)
        exact = np.logical_or.reduceat(row_exact, self._row_starts)
        eligible = np.ones(len(self._ranked), dtype=bool)
        if level is not None:
            eligible &= self._levels == level
        if within is not None:
            inside = np.zeros(len(self._ranked), dtype=bool)
            inside[[self._position[p.code] for p in self.descendants(within)]] = True
            eligible &= inside
        (positions,) = np.nonzero(eligible)
        # Stable sort on (not exact, -score) keeps the ranked (tie-break) order within ties.
        order = np.lexsort((-scores[positions], ~exact[positions]))[:limit]
        return [
            PlaceMatch(
                self._ranked[i],
                100.0 if exact[i] else round(float(scores[i]), 1),
                bool(exact[i]),
            )
            for i in positions[order]
        ]

    def resolve(
        self,
        text: str,
        *,
        level: str | None = None,
        within: str | None = None,
        min_score: float = 85,
    ) -> PlaceMatch | None:
        """The single best place for a text if it scores at least `min_score`, else None.

        See `candidates` for how the text is read and ties are broken.
        """
        best = self.candidates(text, level=level, within=within, limit=1)
        if best and best[0].score >= min_score:
            return best[0]
        return None

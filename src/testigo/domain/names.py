"""Personal names as Venezuelan (and other Hispanic) sources write them.

A name is split into *units*: a given name ("José", "del Valle") or a surname ("Pérez",
"de la Cruz"). A particle ("de", "del", "de la", "van", ...) always belongs to the word that follows
it, so "María del Valle de la Cruz" has the units María / del Valle / de la Cruz.

How `parse_full_name` splits units it cannot tell apart by position:

* A comma means "SURNAMES, GIVEN NAMES" ("PÉREZ RODRÍGUEZ, JOSÉ GREGORIO"), whatever `order` says.
* Otherwise `order="auto"` means given names first. Official lists written surnames first must
  pass `order="surnames_first"`.
* 2 units: one given name and one surname. 4 or more: two surnames, the rest given names.
* 3 units: two given names and one surname when the middle unit is a common given name
  ("José Gregorio Pérez"), else one given name and two surnames ("Juan Pérez Rodríguez").
* A final "de X" after the person's own surname(s) ("María Pérez de González") is kept as the last
  surname and flagged `married_surname` when the first given name is a common female name or two
  surnames precede it. "José Pérez de Freitas" keeps "de Freitas" as an ordinary surname.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from testigo.domain.text import fold

__all__ = [
    "NameParseError",
    "PersonName",
    "normalize_name_text",
    "parse_full_name",
    "split_names",
]

NameOrder = Literal["given_first", "surnames_first", "auto"]

PARTICLES = frozenset(
    {"de", "del", "la", "las", "los", "di", "da", "do", "dos", "das", "van", "von", "der", "den"}
)

# Common Venezuelan given names, folded. Used only to split three-unit names, so the list need not
# be complete; it must avoid names that are also common surnames (Cruz, Santos, León, Martín, ...).
# fmt: off
_FEMALE_GIVEN = frozenset({
    "maria", "ana", "alejandra", "carmen", "rosa", "luisa", "isabel", "elena", "teresa",
    "josefina", "gabriela", "daniela", "andrea", "carolina", "fernanda", "valentina",
    "victoria", "eugenia", "milagros", "beatriz", "mercedes", "antonia", "cristina", "patricia",
    "virginia", "ramona", "yolanda", "marisol", "mariela", "adriana", "angela", "dayana",
    "yusmary", "yelitza", "yajaira", "zoraida", "ines", "lucia", "paola", "sofia", "veronica",
    "monica", "laura", "claudia", "silvia", "susana", "gladys", "nelly", "norma", "elizabeth",
})
_COMMON_GIVEN = _FEMALE_GIVEN | frozenset({
    "jose", "gregorio", "luis", "carlos", "juan", "antonio", "manuel", "francisco", "jesus",
    "miguel", "angel", "rafael", "alejandro", "andres", "pedro", "daniel", "david", "eduardo",
    "enrique", "fernando", "javier", "jorge", "ramon", "ricardo", "roberto", "victor",
    "alberto", "ignacio", "alfredo", "armando", "arturo", "cesar", "ernesto", "felix",
    "gustavo", "hector", "hugo", "julio", "leonardo", "nelson", "oscar", "pablo", "raul",
    "simon", "william", "yeferson", "jhon", "jonathan", "kevin",
    # compound given-name parts
    "del valle", "del carmen", "de jesus", "de los angeles", "de la paz", "del pilar",
    "del rosario", "de lourdes",
})
# fmt: on

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u00b4`", "'"))
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014", "-"))
# Anything but letters, combining marks, spaces and . , ' - is noise in a name.
_NOISE = re.compile(r"[^\w\s.,'-]|_")


class NameParseError(ValueError):
    """A text cannot be read as a person's name."""


def _capitalise(word: str) -> str:
    """'PÉREZ' -> 'Pérez', "D'ANGELO" -> "D'Angelo", 'maría-josé' -> 'María-José'."""
    return re.sub(r"[^\W\d_]+", lambda m: m[0][:1].upper() + m[0][1:].lower(), word)


@lru_cache(maxsize=1 << 16)  # the same name words repeat across a list
def _fix_case(word: str) -> str:
    if fold(word) in PARTICLES:
        return word.lower()
    letters = [ch for ch in word if ch.isalpha()]
    # Keep deliberate mixed case ("McDonald", "DeFreitas"); fix all-upper and all-lower words.
    if all(ch.isupper() for ch in letters) or all(ch.islower() for ch in letters):
        return _capitalise(word)
    return word


@lru_cache(maxsize=1 << 16)
def normalize_name_text(text: str) -> str:
    """Trim, collapse spaces, drop stray symbols and fix case.

    >>> normalize_name_text("  JOSÉ  DE LA CRUZ ")
    'José de la Cruz'

    Raises:
        NameParseError: if the text is empty, has digits or has no letters.
    """
    if not isinstance(text, str):
        raise NameParseError(f"a name must be text, got {text!r}")
    cleaned = unicodedata.normalize("NFC", text).translate(_APOSTROPHES).translate(_DASHES)
    if any(ch.isdigit() for ch in cleaned):
        raise NameParseError(f"a name cannot contain digits: {text!r}")
    cleaned = _NOISE.sub(" ", cleaned)
    cleaned = re.sub(r"\s*,\s*", ", ", cleaned)
    cleaned = " ".join(cleaned.split()).strip(" ,")
    if not any(ch.isalpha() for ch in cleaned):
        raise NameParseError(f"a name needs letters, got {text!r}")
    return " ".join(_fix_case(word) for word in cleaned.split(" "))


def _units(text: str) -> tuple[str, ...]:
    """Group normalised words into name units, attaching particles to the word after them."""
    units: list[str] = []
    pending: list[str] = []
    for word in text.replace(",", " ").split():
        pending.append(word)
        if fold(word) not in PARTICLES:
            units.append(" ".join(pending))
            pending = []
    if pending:  # trailing particles ("María de") have nothing to attach to
        units.append(" ".join(pending))
    return tuple(units)


def _is_married_form(unit: str) -> bool:
    """'de González' (but not 'de la Cruz' or 'del Valle')."""
    words = fold(unit).split()
    return len(words) == 2 and words[0] == "de" and words[1] not in PARTICLES


def _looks_married(given: tuple[str, ...], own_surnames: tuple[str, ...]) -> bool:
    if not own_surnames:
        return False
    return len(own_surnames) >= 2 or bool(given and fold(given[0]) in _FEMALE_GIVEN)


def _is_common_given(unit: str) -> bool:
    return fold(unit) in _COMMON_GIVEN


@dataclass(frozen=True)
class PersonName:
    """A person's given names and surnames, each unit with its particles ("de la Cruz")."""

    given_names: tuple[str, ...]
    surnames: tuple[str, ...]
    married_surname: bool = False  # the last surname is a married "de X"

    def __post_init__(self) -> None:
        object.__setattr__(self, "given_names", tuple(self.given_names))
        object.__setattr__(self, "surnames", tuple(self.surnames))
        if not any(unit.strip() for unit in self.given_names + self.surnames):
            raise NameParseError("a name needs at least one given name or surname")
        if self.married_surname and not self.surnames:
            raise ValueError("married_surname is set but there is no surname")

    @property
    def display(self) -> str:
        """Properly cased, given names first: "María del Valle Pérez de González"."""
        return " ".join(
            _fix_case(word) for unit in self.given_names + self.surnames for word in unit.split()
        )

    @property
    def key(self) -> str:
        """Folded given names then surnames, space-separated, for matching: "jose perez"."""
        return fold(" ".join(self.given_names + self.surnames))

    @property
    def given_key(self) -> str:
        """Folded given names."""
        return fold(" ".join(self.given_names))

    @property
    def surname_key(self) -> str:
        """Folded surnames (particles included)."""
        return fold(" ".join(self.surnames))

    def __str__(self) -> str:
        return self.display


def _from_parts(given: tuple[str, ...], surnames: tuple[str, ...]) -> PersonName:
    married = (
        len(surnames) >= 2
        and _is_married_form(surnames[-1])
        and _looks_married(given, surnames[:-1])
    )
    return PersonName(given, surnames, married_surname=married)


def _split_given_first(units: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    n = len(units)
    if n <= 1:
        return units, ()
    if n == 2:
        return units[:1], units[1:]
    if n == 3:
        return (units[:2], units[2:]) if _is_common_given(units[1]) else (units[:1], units[1:])
    return units[:-2], units[-2:]


def _split_surnames_first(units: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (given, surnames) for units written surnames first."""
    n = len(units)
    if n <= 1:
        return (), units
    if n == 2:
        return units[1:], units[:1]
    if n == 3:
        return (units[1:], units[:1]) if _is_common_given(units[1]) else (units[2:], units[:2])
    # "PÉREZ RODRÍGUEZ DE GONZÁLEZ MARÍA": a married surname follows the own surnames.
    cut = 3 if _is_married_form(units[2]) and n > 3 else 2
    return units[cut:], units[:cut]


@lru_cache(maxsize=1 << 16)
def parse_full_name(text: str, *, order: NameOrder = "auto") -> PersonName:
    """Split a full name written in one field into given names and surnames.

    See the module docstring for the rules.

    >>> parse_full_name("PÉREZ RODRÍGUEZ, JOSÉ GREGORIO").display
    'José Gregorio Pérez Rodríguez'
    >>> parse_full_name("María del Valle Pérez de González").surnames
    ('Pérez', 'de González')

    Raises:
        NameParseError: if the text is empty, has digits or more than one comma.
    """
    if order not in ("given_first", "surnames_first", "auto"):
        raise ValueError(f"unknown name order {order!r}")
    normalised = normalize_name_text(text)
    if "," in normalised:
        parts = normalised.split(",")
        if len(parts) > 2:
            raise NameParseError(f"a name can have at most one comma: {text!r}")
        return _from_parts(_units(parts[1]), _units(parts[0]))
    units = _units(normalised)
    if order == "surnames_first":
        return _from_parts(*_split_surnames_first(units))
    if len(units) >= 3 and _is_married_form(units[-1]):
        given, own = _split_given_first(units[:-1])
        if _looks_married(given, own):
            return PersonName(given, (*own, units[-1]), married_surname=True)
    return PersonName(*_split_given_first(units))


@lru_cache(maxsize=1 << 16)
def split_names(given: str, surnames: str) -> PersonName:
    """Build a name from separate given-name and surname fields; either may be blank, not both.

    >>> split_names("MARIA DEL VALLE", "PEREZ DE GONZALEZ").married_surname
    True
    """
    given_units = _units(normalize_name_text(given)) if given and given.strip() else ()
    surname_units = _units(normalize_name_text(surnames)) if surnames and surnames.strip() else ()
    if not given_units and not surname_units:
        raise NameParseError("both the given names and the surnames are empty")
    return _from_parts(given_units, surname_units)

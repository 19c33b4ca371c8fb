"""National identity numbers (for Venezuela, the cédula de identidad: V-12.345.678)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from testigo.domain.text import fold, strip_accents

__all__ = [
    "NationalId",
    "NationalIdError",
    "NationalIdFormat",
    "is_missing_marker",
    "normalize_national_id",
]


class NationalIdError(ValueError):
    """A text is not a valid national identity number for the given format."""


@dataclass(frozen=True)
class NationalIdFormat:
    """What a country's identity numbers look like; a country pack supplies it."""

    prefixes: tuple[str, ...] = ("V", "E")
    min_digits: int = 1
    max_digits: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "prefixes", tuple(p.upper() for p in self.prefixes))
        if not all(p.isascii() and p.isalpha() for p in self.prefixes):
            raise ValueError(f"prefixes must be ASCII letters, got {self.prefixes!r}")
        if not 1 <= self.min_digits <= self.max_digits:
            raise ValueError(f"need 1 <= min_digits <= max_digits, got {self}")


@dataclass(frozen=True)
class NationalId:
    """A normalised identity number: an optional letter prefix and digits without leading zeros."""

    prefix: str | None
    digits: str

    def __post_init__(self) -> None:
        if not (self.digits.isascii() and self.digits.isdigit()) or self.digits.startswith("0"):
            raise ValueError(f"digits must be ASCII digits without leading zeros: {self.digits!r}")
        if self.prefix is not None and not (self.prefix.isascii() and self.prefix.isupper()):
            raise ValueError(f"prefix must be upper-case ASCII letters or None: {self.prefix!r}")

    def __str__(self) -> str:
        return f"{self.prefix or ''}{self.digits}"


VENEZUELA = NationalIdFormat()

# Compact folded forms (no spaces, hyphens or apostrophes) that mean "no number was recorded".
# fmt: off
_MISSING = frozenset({
    "na", "nd", "ns", "nr", "sc", "sn", "sd", "sf", "x", "xx", "xxx", "none", "null", "nil",
    "nan", "unknown", "missing", "ninguna", "ninguno", "desconocida", "desconocido",
    "indocumentado", "indocumentada",
})
# fmt: on
_MISSING_STARTS = ("sin", "no", "desconoc", "ningun", "unknown")

_LABEL = re.compile(
    r"^(?:(?:C\.?\s*I\.?|CEDULA(?:\s+DE\s+IDENTIDAD)?|CED\.?|DOCUMENTO|DOC\.?|ID)"
    r"(?=[\s.:#\-]|[0-9]|$)\s*)?"
    r"(?:(?:N[O°]|NRO|NUM(?:ERO)?)(?=[\s.:#]|[0-9])\.?\s*)?[:#]?\s*"
)
_SHAPE = re.compile(r"([A-Z]*)([0-9]+)")
_SEPARATORS = re.compile(r"[\s.,\-_/]+")
_GROUPED = re.compile(r"[0-9]+(?:[.,][0-9]+)+")
# An integer that went through a spreadsheet as a float: "12345678.0". Three zeros ("1.000") are a
# thousands group, not a fraction.
_SPREADSHEET_FLOAT = re.compile(r"([A-Z\s\-]*[0-9]+)\.0{1,2}")


def is_missing_marker(text: str | None) -> bool:
    """True for blanks and for markers such as "N/A", "no posee", "sin cédula", "S/C", "0".

    Importers should treat these as "no number recorded", not as an invalid number.
    """
    if text is None:
        return True
    compact = re.sub(r"[\s'\-]", "", fold(text))
    if not compact or re.fullmatch(r"[a-z]?0+", compact):
        return True
    if any(ch.isdigit() for ch in compact):
        return False
    return compact in _MISSING or compact.startswith(_MISSING_STARTS)


def normalize_national_id(text: str, fmt: NationalIdFormat = VENEZUELA) -> NationalId:
    """Normalise an identity number as written in lists and forms.

    Dots, spaces and hyphens go, the letter is upper-cased, labels such as "C.I." or "CI:" and
    leading zeros are dropped.

    >>> str(normalize_national_id("C.I. v-12.345.678"))
    'V12345678'
    >>> str(normalize_national_id("12.345.678"))
    '12345678'

    Raises:
        NationalIdError: for blanks and missing markers (check `is_missing_marker` first), unknown
            letters, and too few or too many digits.
    """
    if not isinstance(text, str):
        raise NationalIdError(f"an identity number must be text, got {text!r}")
    if is_missing_marker(text):
        raise NationalIdError(f"{text!r} is blank or a missing-value marker, not a number")
    cleaned = strip_accents(text).strip().upper()
    cleaned = cleaned.translate(str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014", "-")))
    cleaned = _LABEL.sub("", cleaned)
    if float_match := _SPREADSHEET_FLOAT.fullmatch(cleaned):
        cleaned = float_match[1]
    for grouped in _GROUPED.finditer(cleaned):
        # Dots and commas are thousands separators: "12.345.678". Anything else ("1234567.5") is a
        # typo or a spreadsheet artefact, and deleting the separator would invent a number.
        first, *rest = re.split(r"[.,]", grouped[0])
        if len(first.lstrip("0")) > 3 or any(len(group) != 3 for group in rest):
            raise NationalIdError(
                f"{text!r} has digits grouped as {grouped[0]!r}, not in thousands"
            )
    match = _SHAPE.fullmatch(_SEPARATORS.sub("", cleaned))
    if match is None:
        raise NationalIdError(f"{text!r} is not an identity number (letters then digits)")
    letters, digits = match.groups()
    if letters and letters not in fmt.prefixes:
        allowed = ", ".join(fmt.prefixes)
        raise NationalIdError(f"{text!r} has the prefix {letters!r}; expected one of {allowed}")
    digits = digits.lstrip("0")
    if not fmt.min_digits <= len(digits) <= fmt.max_digits:
        raise NationalIdError(
            f"{text!r} has {len(digits)} significant digits; "
            f"expected {fmt.min_digits} to {fmt.max_digits}"
        )
    return NationalId(letters or None, digits)

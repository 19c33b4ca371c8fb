"""Dates known to a given precision, and a parser for the ways NGO spreadsheets write them.

`PartialDate` is the one value type for dates in Testigo: an inclusive interval of calendar days
plus how it was stated (a day, a month, a year or an explicit range) and whether the source said it
was approximate. Its canonical text form is a subset of EDTF (Extended Date/Time Format):

    2024-08-15   2024-08   2024   2024-08-10/2024-08-20   and any of these with a final "~"

Ordering: `PartialDate` objects compare by (start, end, precision, approximate). The EDTF strings of
exact values sort by start date too; the one exception is the "~" suffix, which sorts after "-", so
"2024~" sorts after "2024-03-05". Order by the `start`/`end` fields, not the string, when values
may be approximate.
"""

from __future__ import annotations

import builtins
import calendar
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Self

from testigo.domain.text import strip_accents

__all__ = [
    "DateParseError",
    "PartialDate",
    "Precision",
    "age_to_birth_range",
    "parse_partial_date",
]

MIN_YEAR = 1900


class Precision(StrEnum):
    """How a `PartialDate` was stated."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    RANGE = "range"


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@dataclass(frozen=True, order=True)
class PartialDate:
    """An inclusive interval of days, the precision it was stated with, and an approximate flag."""

    start: date
    end: date
    precision: Precision
    approximate: bool = False

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise TypeError(f"PartialDate.{name} must be a datetime.date, got {value!r}")
        object.__setattr__(self, "precision", Precision(self.precision))
        start, end = self.start, self.end
        if start > end:
            raise ValueError(f"PartialDate starts after it ends: {start} > {end}")
        if self.precision is Precision.DAY and start != end:
            raise ValueError(f"a DAY PartialDate needs start == end, got {start} and {end}")
        if self.precision is Precision.MONTH and not (
            start.day == 1
            and (end.year, end.month) == (start.year, start.month)
            and end.day == _last_day(end.year, end.month)
        ):
            raise ValueError(f"a MONTH PartialDate must cover one whole month, got {start}/{end}")
        if self.precision is Precision.YEAR and not (
            (start.month, start.day) == (1, 1)
            and (end.year, end.month, end.day) == (start.year, 12, 31)
        ):
            raise ValueError(f"a YEAR PartialDate must cover one whole year, got {start}/{end}")

    # Constructors -------------------------------------------------------------------------

    @classmethod
    def day(cls, year: int, month: int, day: int, *, approximate: bool = False) -> Self:
        """One calendar day."""
        value = date(year, month, day)
        return cls(value, value, Precision.DAY, approximate)

    @classmethod
    def month(cls, year: int, month: int, *, approximate: bool = False) -> Self:
        """A whole calendar month."""
        start = date(year, month, 1)
        return cls(start, date(year, month, _last_day(year, month)), Precision.MONTH, approximate)

    @classmethod
    def year(cls, year: int, *, approximate: bool = False) -> Self:
        """A whole calendar year."""
        return cls(date(year, 1, 1), date(year, 12, 31), Precision.YEAR, approximate)

    @classmethod
    def range(cls, start: date, end: date, approximate: bool = False) -> Self:
        """Any inclusive interval of days (the event happened on one of them)."""
        return cls(start, end, Precision.RANGE, approximate)

    # EDTF -------------------------------------------------------------------------------

    def to_edtf(self) -> str:
        """Canonical EDTF: "2024-08-15", "2024-08", "2024", "2024-08-10/2024-08-20", "2024~"."""
        if self.precision is Precision.DAY:
            text = self.start.isoformat()
        elif self.precision is Precision.MONTH:
            text = f"{self.start.year:04d}-{self.start.month:02d}"
        elif self.precision is Precision.YEAR:
            text = f"{self.start.year:04d}"
        else:
            text = f"{self.start.isoformat()}/{self.end.isoformat()}"
        return text + "~" if self.approximate else text

    @classmethod
    def from_edtf(cls, text: str) -> Self:
        """Read exactly the strings `to_edtf` writes; raise ValueError on anything else."""
        match = _EDTF.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not a canonical Testigo EDTF date: {text!r}")
        approximate = match["approx"] is not None
        try:
            if match["range_start"] is not None:
                value = cls.range(
                    date.fromisoformat(match["range_start"]),
                    date.fromisoformat(match["range_end"]),
                    approximate,
                )
            elif match["day"] is not None:
                value = cls.day(
                    int(match["y"]), int(match["m"]), int(match["day"]), approximate=approximate
                )
            elif match["m"] is not None:
                value = cls.month(int(match["y"]), int(match["m"]), approximate=approximate)
            else:
                value = cls.year(int(match["y"]), approximate=approximate)
        except ValueError as exc:
            raise ValueError(f"not a valid EDTF date: {text!r} ({exc})") from None
        if value.to_edtf() != text:  # e.g. a non-padded or out-of-range component
            raise ValueError(f"not a canonical Testigo EDTF date: {text!r}")
        return value

    def __str__(self) -> str:
        return self.to_edtf()

    # Queries ----------------------------------------------------------------------------

    def contains(self, d: date) -> bool:
        """True if the day `d` lies inside this interval."""
        return self.start <= d <= self.end

    def overlaps(self, other: PartialDate) -> bool:
        """True if the two intervals share at least one day (so they may be the same event)."""
        return self.start <= other.end and other.start <= self.end

    def years(self) -> builtins.range:
        """The calendar years this date may fall in."""
        return builtins.range(self.start.year, self.end.year + 1)


_ISO_DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_EDTF = re.compile(
    rf"(?:(?P<range_start>{_ISO_DAY})/(?P<range_end>{_ISO_DAY})"
    r"|(?P<y>[0-9]{4})(?:-(?P<m>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?)"
    r"(?P<approx>~)?"
)


# Ages ---------------------------------------------------------------------------------------


def _minus_years(d: date, years: int) -> date:
    """`d` moved back `years` years; 29 February becomes 28 February in common years."""
    year = d.year - years
    return date(year, d.month, min(d.day, _last_day(year, d.month)))


def age_to_birth_range(age: int, at: PartialDate) -> PartialDate:
    """All birth dates of someone who was `age` years old at some day of `at`.

    Ages count completed years; someone born on 29 February has a birthday on 1 March in common
    years.

    >>> str(age_to_birth_range(30, PartialDate.day(2024, 8, 15)))
    '1993-08-16/1994-08-15'
    """
    if isinstance(age, bool) or not isinstance(age, int):
        raise TypeError(f"age must be an int, got {age!r}")
    if not 0 <= age <= 150:
        raise ValueError(f"age must be between 0 and 150, got {age}")
    # Born after the day that would make them age+1 by `at.start` ...
    earliest = _minus_years(at.start, age + 1) + timedelta(days=1)
    # ... and no later than the day that makes them `age` by `at.end`.
    latest = _minus_years(at.end, age)
    return PartialDate.range(earliest, latest, approximate=False)


# Free-text parsing --------------------------------------------------------------------------


class DateParseError(ValueError):
    """A text could not be read as a date. `value` is the text, `reason` says why."""

    def __init__(self, value: object, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"cannot read {value!r} as a date: {reason}")


_MONTHS: dict[str, int] = {
    **dict.fromkeys(("enero", "ene", "january", "jan"), 1),
    **dict.fromkeys(("febrero", "feb", "february"), 2),
    **dict.fromkeys(("marzo", "mar", "march"), 3),
    **dict.fromkeys(("abril", "abr", "april", "apr"), 4),
    **dict.fromkeys(("mayo", "may"), 5),
    **dict.fromkeys(("junio", "jun", "june"), 6),
    **dict.fromkeys(("julio", "jul", "july"), 7),
    **dict.fromkeys(("agosto", "ago", "august", "aug"), 8),
    **dict.fromkeys(("septiembre", "setiembre", "sept", "sep", "set", "september"), 9),
    **dict.fromkeys(("octubre", "oct", "october"), 10),
    **dict.fromkeys(("noviembre", "nov", "november"), 11),
    **dict.fromkeys(("diciembre", "dic", "december", "dec"), 12),
}
_MONTH_NAMES_ES = (
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

_MONTH = "(?P<m>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b"
_DAY = r"(?P<d>[0-9]{1,2})(?:st|nd|rd|th|ro|er|o)?"
_YEAR = r"(?P<y>[0-9]{4})"
_JOIN = r"(?:\s*[-/]\s*|\s+)"  # between text components: "15 agosto", "15-ago-2024"
_OF = r"(?:(?:de|del|of)\s+)?"

# Parts of a month / a year, as (first day, last day) and (first month, last month).
_PERIODS = (
    ("early", r"principios|inicios|comienzos|primeros\s+dias|early|beginning|start"),
    ("mid", r"mediados|mid|middle"),
    ("late", r"finales|fines|fin|ultimos\s+dias|late|end"),
)
_PERIOD = "(?P<p>" + "|".join(f"(?P<{key}>{words})" for key, words in _PERIODS) + ")"
_PERIOD_MONTHS = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}

_SINGLE_PATTERNS = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("ymd", r"(?P<y>[0-9]{4})(?P<s>[-/.])(?P<m>[0-9]{1,2})(?P=s)(?P<d>[0-9]{1,2})"),
        ("dmy", r"(?P<a>[0-9]{1,2})(?P<s>[-/.])(?P<b>[0-9]{1,2})(?P=s)(?P<y>[0-9]{4}|[0-9]{2})"),
        ("ym", r"(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})"),
        ("my", r"(?P<m>[0-9]{1,2})[-/.](?P<y>[0-9]{4})"),
        ("y", _YEAR),
        ("day_name", rf"{_DAY}{_JOIN}(?:(?:de|of)\s+)?{_MONTH}\.?{_JOIN}{_OF}{_YEAR}"),
        ("name_day", rf"{_MONTH}\s+{_DAY}\s+{_YEAR}"),
        ("name", rf"{_MONTH}{_JOIN}{_OF}{_YEAR}"),
        ("period_name", rf"{_PERIOD}\s+{_OF}(?:(?:el\s+)?mes\s+de\s+)?{_MONTH}\s+{_OF}{_YEAR}"),
        ("period_year", rf"{_PERIOD}\s+{_OF}(?:(?:el\s+)?ano\s+)?{_YEAR}"),
    )
)

_FILLER = re.compile(
    r"^(?:el\s+dia|el|dia|en|a|at|in|on|the|por|durante|during|"
    r"lunes|martes|miercoles|jueves|viernes|sabado|domingo|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s+"
)
_APPROX_WORDS = (
    r"aprox|aproximadamente|approx|approximately|circa|ca|c|around|about|hacia|"
    r"cerca\s+del?|alrededor\s+del?"
)
_APPROX_LEADING = re.compile(rf"^(?:~\s*|(?:{_APPROX_WORDS})\s+)")
_APPROX_TRAILING = re.compile(r"(?:\s*~|\s+(?:aprox|aproximadamente|approx|circa|ca))$")

_RANGE_PATTERNS = (
    # "entre el 10 y el 20 de agosto de 2024", "del 10 al 20 de agosto", "between 10 and 20 August"
    re.compile(
        r"(?:entre|between|desde|from|del|de)\s+(?:el\s+|the\s+|los\s+dias\s+)?(?P<a>.+?)"
        r"\s+(?:y|and|al|a|hasta(?:\s+el)?|to|until|till|through)\s+(?:el\s+|the\s+)?(?P<b>.+)"
    ),
    # "10 - 20 de agosto de 2024", "mayo a agosto de 2024", "15/08/2024 - 20/08/2024"
    re.compile(r"(?P<a>.+?)\s+(?:-|al|a|hasta|to|until|through)\s+(?P<b>.+)"),
    # "10-20 de agosto de 2024"
    re.compile(r"(?P<a>[0-9]{1,2})-(?P<b>[0-9]{1,2}\s.+)"),
    # "2019-2020"
    re.compile(r"(?P<a>[0-9]{4})-(?P<b>[0-9]{4})"),
)
# "August 10-20, 2024", "between August 10 and 20, 2024"
_RANGE_NAME_DAYS = re.compile(
    rf"(?:between\s+)?{_MONTH}\s+(?P<d1>[0-9]{{1,2}})\s*(?:-|and|to|through)\s*"
    rf"(?P<d2>[0-9]{{1,2}})\s+{_YEAR}"
)


def _clean(text: str) -> str:
    text = strip_accents(text.replace("º", "").replace("°", "")).casefold()
    text = text.translate(str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014", "-")))
    text = re.sub(r"[,;()\[\]\"]", " ", text)
    text = re.sub(r"(?<=[a-z])\.", " ", text)  # abbreviation dots: "ago. 2024", "aprox."
    text = re.sub(r"(?<=[0-9])\s*([/.])\s*(?=[0-9])", r"\1", text)  # "15 / 08 / 2024"
    text = re.sub(r"[ t][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?$", "", text.strip())
    text = re.sub(r"\bmid-", "mid ", text)
    return " ".join(text.split()).strip(" .")


class _Invalid(Exception):
    """A text matched a pattern but names no real date (e.g. 31 February)."""


def _make_day(year: int, month: int, day: int, hint: str = "") -> PartialDate:
    try:
        return PartialDate.day(year, month, day)
    except ValueError:
        raise _Invalid(f"there is no day {day} in month {month} of {year}{hint}") from None


def _make_month(year: int, month: int) -> PartialDate:
    if not 1 <= month <= 12:
        raise _Invalid(f"there is no month {month}")
    return PartialDate.month(year, month)


def _check_year(year: int) -> int:
    # Checked as soon as a year is read, so that e.g. "0000" never reaches the date constructors.
    if year < MIN_YEAR:
        raise _Invalid(f"years before {MIN_YEAR} are not accepted")
    return year


def _pivot(two_digits: int, reference: date) -> int:
    """Put a 2-digit year in the century that keeps it from being after `reference`'s year."""
    year = reference.year - reference.year % 100 + two_digits
    return year - 100 if year > reference.year else year


def _single(text: str, *, dayfirst: bool, reference: date) -> PartialDate | None:
    while (stripped := _FILLER.sub("", text)) != text:
        text = stripped
    for kind, pattern in _SINGLE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        groups = match.groupdict()
        year = int(groups["y"])
        if kind == "dmy" and len(groups["y"]) == 2:
            year = _pivot(year, reference)
        _check_year(year)
        if kind == "dmy":
            first, second = int(groups["a"]), int(groups["b"])
            day, month = (first, second) if dayfirst else (second, first)
            hint = " (read as day first)" if dayfirst else " (read as month first)"
            return _make_day(year, month, day, hint)
        if kind in ("ymd", "day_name", "name_day"):
            month = _MONTHS.get(groups["m"]) or int(groups["m"])
            return _make_day(year, month, int(groups["d"]))
        if kind in ("ym", "my", "name"):
            return _make_month(year, _MONTHS.get(groups["m"]) or int(groups["m"]))
        if kind == "y":
            return PartialDate.year(year)
        part = next(key for key, _ in _PERIODS if groups[key] is not None)
        if kind == "period_name":
            month = _MONTHS[groups["m"]]
            first, last = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}[part]
            last = min(last, _last_day(year, month))
            return PartialDate.range(date(year, month, first), date(year, month, last), True)
        first_month, last_month = _PERIOD_MONTHS[part]
        return PartialDate.range(
            date(year, first_month, 1), date(year, last_month, _last_day(year, last_month)), True
        )
    return None


def _range(text: str, *, dayfirst: bool, reference: date) -> PartialDate | None:
    match = _RANGE_NAME_DAYS.fullmatch(text)
    if match is not None:
        year, month = _check_year(int(match["y"])), _MONTHS[match["m"]]
        first = _make_day(year, month, int(match["d1"]))
        last = _make_day(year, month, int(match["d2"]))
        return _span(first, last)
    for pattern in _RANGE_PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        last = _single(match["b"], dayfirst=dayfirst, reference=reference)
        if last is None:
            continue
        first = _single(match["a"], dayfirst=dayfirst, reference=reference)
        # The first end may leave out what it shares with the second: "del 10 al 20 de agosto".
        if first is None:
            first = _single(f"{match['a']} {last.end.year}", dayfirst=dayfirst, reference=reference)
        if (
            first is None
            and last.precision is not Precision.YEAR
            and ((last.start.year, last.start.month) == (last.end.year, last.end.month))
        ):
            month_name = _MONTH_NAMES_ES[last.end.month - 1]
            first = _single(
                f"{match['a']} {month_name} {last.end.year}", dayfirst=dayfirst, reference=reference
            )
        if first is not None:
            return _span(first, last)
    return None


def _span(first: PartialDate, last: PartialDate) -> PartialDate:
    if first.start > last.end:
        raise _Invalid(f"the range ends ({last}) before it starts ({first})")
    return PartialDate.range(first.start, last.end, first.approximate or last.approximate)


def _today() -> date:
    return datetime.now(UTC).date()


def parse_partial_date(
    text: str, *, dayfirst: bool = True, today: date | None = None
) -> PartialDate:
    """Read a date written in Spanish or English free text, as found in NGO spreadsheets.

    Accepts numeric dates ("15/08/2024", "2024-08-15", "15/8/24", "08/2024", "2024"), month
    names in full or abbreviated ("15 de agosto de 2024", "ago. 2024", "August 15, 2024"), parts
    of a month or year ("mediados de agosto de 2024" is 11-20 August, approximate), ranges
    ("entre el 10 y el 20 de agosto de 2024", "between 10 and 20 August 2024"), approximate
    markers ("aprox. 2024", "circa 1985", "~1985") and canonical EDTF. Accents and case do not
    matter.

    Args:
        text: the text to read.
        dayfirst: how to read "03/04/2024": True (the default) is 3 April, False is 4 March.
            A reading that gives an impossible date is rejected, never swapped.
        today: if given, dates starting after it are rejected. It is also the reference for
            2-digit years (which are placed so that their year is not in the future);
            without it the current date is used for that.

    Raises:
        DateParseError: for empty text, impossible dates, unknown wording, years before 1900
            and dates after `today`.

    >>> str(parse_partial_date("mediados de agosto de 2024"))
    '2024-08-11/2024-08-20~'
    """
    if not isinstance(text, str):
        raise DateParseError(text, "it is not text")
    cleaned = _clean(text)
    if not cleaned:
        raise DateParseError(text, "it is empty")
    reference = today or _today()
    try:
        result: PartialDate | None = PartialDate.from_edtf(cleaned)
    except ValueError:
        try:
            result = _parse_cleaned(cleaned, dayfirst=dayfirst, reference=reference)
        except _Invalid as exc:
            raise DateParseError(text, str(exc)) from None
    if result is None:
        raise DateParseError(text, "the wording is not a date format Testigo knows")
    if result.start.year < MIN_YEAR:
        raise DateParseError(text, f"years before {MIN_YEAR} are not accepted")
    if today is not None and result.start > today:
        raise DateParseError(text, f"it is after today ({today.isoformat()})")
    return result


def _parse_cleaned(text: str, *, dayfirst: bool, reference: date) -> PartialDate | None:
    approximate = False
    while True:
        stripped = _APPROX_TRAILING.sub("", _APPROX_LEADING.sub("", text))
        if stripped == text:
            break
        approximate, text = True, stripped
    result = _single(text, dayfirst=dayfirst, reference=reference) or _range(
        text, dayfirst=dayfirst, reference=reference
    )
    if result is not None and approximate:
        result = replace(result, approximate=True)
    return result

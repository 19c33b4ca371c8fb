"""Partial dates: the value type, its EDTF form, and the free-text parser."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testigo.domain.dates import (
    DateParseError,
    PartialDate,
    Precision,
    age_to_birth_range,
    parse_partial_date,
)

TODAY = date(2025, 1, 15)

D = PartialDate.day
M = PartialDate.month
Y = PartialDate.year


def R(start: str, end: str, approximate: bool = False) -> PartialDate:
    return PartialDate.range(date.fromisoformat(start), date.fromisoformat(end), approximate)


# The value type ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "start", "end", "precision"),
    [
        (D(2024, 8, 15), "2024-08-15", "2024-08-15", Precision.DAY),
        (M(2024, 2), "2024-02-01", "2024-02-29", Precision.MONTH),
        (M(2023, 2), "2023-02-01", "2023-02-28", Precision.MONTH),
        (Y(1985), "1985-01-01", "1985-12-31", Precision.YEAR),
        (R("2024-08-10", "2024-08-20"), "2024-08-10", "2024-08-20", Precision.RANGE),
    ],
)
def test_its_constructors_cover_the_right_days(
    value: PartialDate, start: str, end: str, precision: Precision
) -> None:
    assert value.start == date.fromisoformat(start)
    assert value.end == date.fromisoformat(end)
    assert value.precision is precision
    assert value.approximate is False


@pytest.mark.parametrize(
    ("start", "end", "precision"),
    [
        ("2024-08-20", "2024-08-10", Precision.RANGE),
        ("2024-08-15", "2024-08-16", Precision.DAY),
        ("2024-08-02", "2024-08-31", Precision.MONTH),
        ("2024-08-01", "2024-09-30", Precision.MONTH),
        ("2024-02-01", "2024-02-28", Precision.MONTH),
        ("2024-01-01", "2024-12-30", Precision.YEAR),
        ("2024-01-01", "2025-12-31", Precision.YEAR),
    ],
)
def test_it_refuses_intervals_that_contradict_their_precision(
    start: str, end: str, precision: Precision
) -> None:
    with pytest.raises(ValueError):
        PartialDate(date.fromisoformat(start), date.fromisoformat(end), precision)


def test_it_accepts_a_precision_given_as_its_string_value() -> None:
    value = PartialDate(date(2024, 8, 15), date(2024, 8, 15), "day")  # type: ignore[arg-type]
    assert value.precision is Precision.DAY


@pytest.mark.parametrize(
    ("value", "edtf"),
    [
        (D(2024, 8, 15), "2024-08-15"),
        (M(2024, 8), "2024-08"),
        (Y(2024), "2024"),
        (R("2024-08-10", "2024-08-20"), "2024-08-10/2024-08-20"),
        (D(2024, 8, 15, approximate=True), "2024-08-15~"),
        (M(2024, 8, approximate=True), "2024-08~"),
        (Y(1985, approximate=True), "1985~"),
        (R("2024-08-11", "2024-08-20", approximate=True), "2024-08-11/2024-08-20~"),
    ],
)
def test_it_writes_and_reads_canonical_edtf(value: PartialDate, edtf: str) -> None:
    assert value.to_edtf() == edtf
    assert str(value) == edtf
    assert PartialDate.from_edtf(edtf) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 2024",
        "2024 ",
        "2024-8",
        "2024-8-15",
        "24",
        "2024-13",
        "2024-02-30",
        "2024-08-20/2024-08-10",
        "2024-08-10 / 2024-08-20",
        "2024/08/15",
        "~2024",
        "2024?",
        "2024~~",
        "2024-08-15T00:00",
        "١٩٨٥",  # Arabic-Indic digits
        "0000",
        "2024\n",
    ],
)
def test_it_reads_only_canonical_edtf(text: str) -> None:
    with pytest.raises(ValueError):
        PartialDate.from_edtf(text)


def test_it_checks_containment_and_overlap() -> None:
    august = M(2024, 8)
    assert august.contains(date(2024, 8, 31))
    assert not august.contains(date(2024, 9, 1))
    assert august.overlaps(R("2024-07-25", "2024-08-01"))
    assert not august.overlaps(R("2024-09-01", "2024-09-05"))
    assert Y(2024).overlaps(D(2024, 12, 31))


@pytest.mark.parametrize(
    ("value", "years"),
    [
        (D(2024, 8, 15), [2024]),
        (Y(1985), [1985]),
        (R("2023-12-20", "2025-01-05"), [2023, 2024, 2025]),
    ],
)
def test_it_lists_the_possible_years(value: PartialDate, years: list[int]) -> None:
    assert list(value.years()) == years


def test_it_orders_values_by_start_then_end() -> None:
    values = [D(2024, 8, 15), Y(2024), M(2024, 8), R("2024-08-01", "2024-08-05")]
    assert sorted(values) == [Y(2024), R("2024-08-01", "2024-08-05"), M(2024, 8), D(2024, 8, 15)]


def test_it_is_hashable_and_immutable() -> None:
    assert len({D(2024, 8, 15), D(2024, 8, 15)}) == 1
    with pytest.raises(AttributeError):
        D(2024, 8, 15).approximate = True  # type: ignore[misc]


# Property tests ------------------------------------------------------------------------------

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def partial_dates(
    draw: st.DrawFn, approximate: st.SearchStrategy[bool] | None = None
) -> PartialDate:
    start = draw(days)
    approx = draw(approximate if approximate is not None else st.booleans())
    precision = draw(st.sampled_from(Precision))
    if precision is Precision.DAY:
        return D(start.year, start.month, start.day, approximate=approx)
    if precision is Precision.MONTH:
        return M(start.year, start.month, approximate=approx)
    if precision is Precision.YEAR:
        return Y(start.year, approximate=approx)
    end = start + timedelta(days=draw(st.integers(min_value=0, max_value=800)))
    return PartialDate.range(start, end, approx)


@given(partial_dates())
def test_edtf_round_trips(value: PartialDate) -> None:
    assert PartialDate.from_edtf(value.to_edtf()) == value


@given(partial_dates())
def test_the_parser_reads_every_edtf_string(value: PartialDate) -> None:
    assert parse_partial_date(value.to_edtf()) == value


@given(st.lists(partial_dates(approximate=st.just(False)), min_size=2))
def test_edtf_strings_of_exact_values_sort_by_start_date(values: list[PartialDate]) -> None:
    by_text = sorted(values, key=PartialDate.to_edtf)
    starts = [value.start for value in by_text]
    assert starts == sorted(starts)


@given(partial_dates(), partial_dates())
def test_only_an_approximate_year_or_month_sorts_after_the_dates_inside_it(
    a: PartialDate, b: PartialDate
) -> None:
    # The "~" suffix sorts after "-": "2024~" > "2024-03". This is the single, documented exception.
    if a.to_edtf() < b.to_edtf() and a.start > b.start:
        assert b.approximate
        assert b.precision in (Precision.YEAR, Precision.MONTH)
        assert a.to_edtf().startswith(b.to_edtf()[:-1])


# Free text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # numeric
        ("15/08/2024", D(2024, 8, 15)),
        ("15-08-2024", D(2024, 8, 15)),
        ("15.08.2024", D(2024, 8, 15)),
        ("2024-08-15", D(2024, 8, 15)),
        ("2024/08/15", D(2024, 8, 15)),
        ("15/8/24", D(2024, 8, 15)),
        ("1/2/2024", D(2024, 2, 1)),
        ("15 / 08 / 2024", D(2024, 8, 15)),
        ("2024-08-15 00:00:00", D(2024, 8, 15)),
        ("2024-08-15T13:45", D(2024, 8, 15)),
        ("08/2024", M(2024, 8)),
        ("8-2024", M(2024, 8)),
        ("2024-08", M(2024, 8)),
        ("2024", Y(2024)),
        ("1985", Y(1985)),
        ("1900", Y(1900)),
        # month names, Spanish
        ("agosto 2024", M(2024, 8)),
        ("ago 2024", M(2024, 8)),
        ("ago. 2024", M(2024, 8)),
        ("Agosto de 2024", M(2024, 8)),
        ("agosto del 2024", M(2024, 8)),
        ("AGOSTO, 2024", M(2024, 8)),
        ("setiembre 2024", M(2024, 9)),
        ("septiembre 2024", M(2024, 9)),
        ("SÉTIEMBRE DE 2024", M(2024, 9)),
        ("dic. 2023", M(2023, 12)),
        ("15 de agosto de 2024", D(2024, 8, 15)),
        ("15 agosto 2024", D(2024, 8, 15)),
        ("15 de agosto del 2024", D(2024, 8, 15)),
        ("15-ago-2024", D(2024, 8, 15)),
        ("lunes 15 de agosto de 2024", D(2024, 8, 15)),
        ("Miércoles, 14 de febrero de 2024", D(2024, 2, 14)),
        ("el 15 de agosto de 2024", D(2024, 8, 15)),
        ("el día 15 de agosto de 2024", D(2024, 8, 15)),
        ("1º de agosto de 2024", D(2024, 8, 1)),
        ("1ro de agosto de 2024", D(2024, 8, 1)),
        ("en agosto de 2024", M(2024, 8)),
        # month names, English
        ("August 2024", M(2024, 8)),
        ("Aug 2024", M(2024, 8)),
        ("Sept. 2024", M(2024, 9)),
        ("August 15, 2024", D(2024, 8, 15)),
        ("Aug. 15th, 2024", D(2024, 8, 15)),
        ("15 August 2024", D(2024, 8, 15)),
        ("15th of August 2024", D(2024, 8, 15)),
        ("Thursday, August 15, 2024", D(2024, 8, 15)),
        ("15-Aug-2024", D(2024, 8, 15)),
        # years
        ("aprox. 2024", Y(2024, approximate=True)),
        ("circa 1985", Y(1985, approximate=True)),
        ("ca. 1985", Y(1985, approximate=True)),
        ("~1985", Y(1985, approximate=True)),
        ("1985~", Y(1985, approximate=True)),
        ("aproximadamente en 1985", Y(1985, approximate=True)),
        ("alrededor de 1985", Y(1985, approximate=True)),
        ("around 1985", Y(1985, approximate=True)),
        ("2024 (aprox.)", Y(2024, approximate=True)),
        ("aprox. agosto 2024", M(2024, 8, approximate=True)),
        # canonical EDTF
        ("2024-08-10/2024-08-20", R("2024-08-10", "2024-08-20")),
        ("2024-08-11/2024-08-20~", R("2024-08-11", "2024-08-20", approximate=True)),
    ],
)
def test_it_reads_spanish_and_english_dates(text: str, expected: PartialDate) -> None:
    assert parse_partial_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("principios de agosto de 2024", R("2024-08-01", "2024-08-10", True)),
        ("inicios de agosto de 2024", R("2024-08-01", "2024-08-10", True)),
        ("comienzos de agosto de 2024", R("2024-08-01", "2024-08-10", True)),
        ("a principios del mes de agosto de 2024", R("2024-08-01", "2024-08-10", True)),
        ("mediados de agosto de 2024", R("2024-08-11", "2024-08-20", True)),
        ("a mediados de Agosto 2024", R("2024-08-11", "2024-08-20", True)),
        ("finales de agosto de 2024", R("2024-08-21", "2024-08-31", True)),
        ("fines de agosto de 2024", R("2024-08-21", "2024-08-31", True)),
        ("finales de febrero de 2023", R("2023-02-21", "2023-02-28", True)),
        ("early August 2024", R("2024-08-01", "2024-08-10", True)),
        ("mid August 2024", R("2024-08-11", "2024-08-20", True)),
        ("mid-August 2024", R("2024-08-11", "2024-08-20", True)),
        ("late August 2024", R("2024-08-21", "2024-08-31", True)),
        ("late February 2024", R("2024-02-21", "2024-02-29", True)),
        ("the end of August 2024", R("2024-08-21", "2024-08-31", True)),
        ("principios de 2019", R("2019-01-01", "2019-04-30", True)),
        ("mediados de 2019", R("2019-05-01", "2019-08-31", True)),
        ("finales del año 2019", R("2019-09-01", "2019-12-31", True)),
        ("late 2019", R("2019-09-01", "2019-12-31", True)),
    ],
)
def test_it_reads_parts_of_a_month_or_year_as_approximate_ranges(
    text: str, expected: PartialDate
) -> None:
    assert parse_partial_date(text, today=TODAY) == expected


def test_it_reads_mid_august_as_an_approximate_range() -> None:
    value = parse_partial_date("mediados de agosto de 2024")
    assert value.precision is Precision.RANGE
    assert value.approximate
    assert value.to_edtf() == "2024-08-11/2024-08-20~"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entre el 10 y el 20 de agosto de 2024", R("2024-08-10", "2024-08-20")),
        ("del 10 al 20 de agosto de 2024", R("2024-08-10", "2024-08-20")),
        ("desde el 10 hasta el 20 de agosto de 2024", R("2024-08-10", "2024-08-20")),
        ("10-20 de agosto de 2024", R("2024-08-10", "2024-08-20")),
        ("10 - 20 de agosto de 2024", R("2024-08-10", "2024-08-20")),
        ("entre el 28 de julio y el 2 de agosto de 2024", R("2024-07-28", "2024-08-02")),
        ("entre julio y agosto de 2024", R("2024-07-01", "2024-08-31")),
        ("de mayo a agosto de 2024", R("2024-05-01", "2024-08-31")),
        ("entre 2019 y 2020", R("2019-01-01", "2020-12-31")),
        ("2019-2020", R("2019-01-01", "2020-12-31")),
        ("15/08/2024 - 20/08/2024", R("2024-08-15", "2024-08-20")),
        ("between 10 and 20 August 2024", R("2024-08-10", "2024-08-20")),
        ("from 10 to 20 August 2024", R("2024-08-10", "2024-08-20")),
        ("August 10-20, 2024", R("2024-08-10", "2024-08-20")),
        ("between August 10 and 20, 2024", R("2024-08-10", "2024-08-20")),
        (
            "entre mediados de julio y finales de agosto de 2024",
            R("2024-07-11", "2024-08-31", True),
        ),
        ("aprox. entre el 10 y el 20 de agosto de 2024", R("2024-08-10", "2024-08-20", True)),
    ],
)
def test_it_reads_ranges(text: str, expected: PartialDate) -> None:
    assert parse_partial_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "dayfirst", "expected"),
    [
        ("03/04/2024", True, D(2024, 4, 3)),
        ("03/04/2024", False, D(2024, 3, 4)),
        ("12/15/2024", False, D(2024, 12, 15)),
        ("2024-03-04", False, D(2024, 3, 4)),
    ],
)
def test_it_reads_ambiguous_numeric_dates_by_dayfirst(
    text: str, dayfirst: bool, expected: PartialDate
) -> None:
    assert parse_partial_date(text, dayfirst=dayfirst, today=TODAY) == expected


def test_a_two_digit_year_of_this_year_that_is_after_today_is_rejected_not_moved_back() -> None:
    # The pivot works on the year, so a typo in the current year is not silently read as 1925.
    with pytest.raises(DateParseError, match="after today"):
        parse_partial_date("15/8/25", today=date(2025, 1, 1))


def test_it_never_swaps_day_and_month_silently() -> None:
    with pytest.raises(DateParseError, match="day first"):
        parse_partial_date("12/15/2024", today=TODAY)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("15/8/24", date(2025, 1, 1), D(2024, 8, 15)),
        ("15/8/26", date(2025, 1, 1), D(1926, 8, 15)),
        ("15/8/25", date(2025, 9, 1), D(2025, 8, 15)),
        ("15/8/99", date(2025, 1, 1), D(1999, 8, 15)),
        ("15/8/00", date(2025, 1, 1), D(2000, 8, 15)),
        ("1/1/25", date(2025, 1, 1), D(2025, 1, 1)),
    ],
)
def test_it_puts_two_digit_years_in_the_past(text: str, today: date, expected: PartialDate) -> None:
    assert parse_partial_date(text, today=today) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("32/08/2024", "no day 32"),
        ("31/02/2024", "no day 31 in month 2"),
        ("29/02/2023", "no day 29"),
        ("2024-13", "no month 13"),
        ("13/2024", "no month 13"),
        ("ayer", "not a date format"),
        ("hoy", "not a date format"),
        ("sin fecha", "not a date format"),
        ("asdf qwerty", "not a date format"),
        ("agosto", "not a date format"),
        ("15 de agosto", "not a date format"),
        ("2024?", "not a date format"),
        ("1899", "before 1900"),
        ("0000", "before 1900"),
        ("1/1/0001", "before 1900"),
        ("15/08/1850", "before 1900"),
        ("circa 1850", "before 1900"),
        ("15/08/2025", "after today"),
        ("2026", "after today"),
        ("del 20 al 10 de agosto de 2024", "ends"),
    ],
)
def test_it_rejects_what_is_not_a_usable_date(text: str, reason: str) -> None:
    with pytest.raises(DateParseError, match=reason) as caught:
        parse_partial_date(text, today=TODAY)
    assert caught.value.value == text
    assert repr(text) in str(caught.value)


def test_it_accepts_a_month_that_includes_today() -> None:
    assert parse_partial_date("enero 2025", today=TODAY) == M(2025, 1)


def test_it_accepts_future_dates_when_today_is_not_given() -> None:
    assert parse_partial_date("2099") == Y(2099)


def test_a_parse_error_is_a_value_error() -> None:
    assert issubclass(DateParseError, ValueError)


@given(days.filter(lambda d: d <= TODAY), st.booleans())
def test_it_reads_back_any_day_it_formats(day: date, dayfirst: bool) -> None:
    numeric = (
        f"{day.day}/{day.month}/{day.year}" if dayfirst else f"{day.month}/{day.day}/{day.year}"
    )
    assert parse_partial_date(numeric, dayfirst=dayfirst, today=TODAY) == D(
        day.year, day.month, day.day
    )


# Ages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "at", "expected"),
    [
        (30, D(2024, 8, 15), R("1993-08-16", "1994-08-15")),
        (0, D(2024, 8, 15), R("2023-08-16", "2024-08-15")),
        (30, Y(2024), R("1993-01-02", "1994-12-31")),
        (30, M(2024, 8), R("1993-08-02", "1994-08-31")),
        (10, D(2024, 2, 29), R("2013-03-01", "2014-02-28")),
    ],
)
def test_it_turns_an_age_into_a_range_of_birth_dates(
    age: int, at: PartialDate, expected: PartialDate
) -> None:
    assert age_to_birth_range(age, at) == expected


@pytest.mark.parametrize("age", [-1, 151])
def test_it_rejects_impossible_ages(age: int) -> None:
    with pytest.raises(ValueError):
        age_to_birth_range(age, Y(2024))


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@given(days, st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=400))
def test_the_birth_range_holds_exactly_the_births_of_that_age(
    on: date, age: int, width: int
) -> None:
    at = PartialDate.range(on, on + timedelta(days=width))
    births = age_to_birth_range(age, at)
    # Both ends are possible births; one day outside either end is not.
    assert _age(births.start, at.start) <= age <= _age(births.start, at.end)
    assert _age(births.end, at.start) <= age <= _age(births.end, at.end)
    assert _age(births.start - timedelta(days=1), at.start) > age
    assert _age(births.end + timedelta(days=1), at.end) < age

"""National identity numbers (cédula de identidad)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testigo.domain.national_ids import (
    NationalId,
    NationalIdError,
    NationalIdFormat,
    is_missing_marker,
    normalize_national_id,
)

VE = NationalIdFormat()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v 12.345.678", "V12345678"),
        ("V-12.345.678", "V12345678"),
        ("V12345678", "V12345678"),
        ("V–12.345.678", "V12345678"),
        ("12.345.678", "12345678"),
        ("12345678", "12345678"),
        (" 12 345 678 ", "12345678"),
        ("C.I. V-12345678", "V12345678"),
        ("CI: 12345678", "12345678"),
        ("C.I.: E-81.234.567", "E81234567"),
        ("Cédula de identidad: V-1", "V1"),
        ("CI N° 1.234", "1234"),
        ("Nro. 123", "123"),
        ("e-84.123.456", "E84123456"),
        ("V-012.345.678", "V12345678"),
        ("V 00001", "V1"),
        ("1.000", "1000"),
        ("12345678.0", "12345678"),
        ("V12345678.00", "V12345678"),
        ("１２３４５", "12345"),
        ("12,345,678", "12345678"),
        ("0.012.345", "12345"),
    ],
)
def test_it_normalises_cedulas_as_written_in_lists(text: str, expected: str) -> None:
    assert str(normalize_national_id(text, VE)) == expected


def test_it_keeps_an_unknown_prefix_as_none() -> None:
    assert normalize_national_id("12.345.678", VE) == NationalId(None, "12345678")
    assert normalize_national_id("v-1", VE) == NationalId("V", "1")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("J-12345678", "prefix 'J'"),
        ("X12", "prefix 'X'"),
        ("VE12345", "prefix 'VE'"),
        ("123456789", "9 significant digits"),
        ("V-123.456.789", "9 significant digits"),
        ("12345678V", "not an identity number"),
        ("V", "not an identity number"),
        ("abc", "not an identity number"),
        ("1.2345678E7", "not in thousands"),
        ("12345678.5", "not in thousands"),
        ("1234567.5", "not in thousands"),
        ("12.34.567", "not in thousands"),
        ("1234.567", "not in thousands"),
        ("", "missing-value marker"),
        ("N/A", "missing-value marker"),
        ("no posee", "missing-value marker"),
        ("sin cédula", "missing-value marker"),
        ("V-00000000", "missing-value marker"),
    ],
)
def test_it_rejects_what_is_not_a_cedula(text: str, reason: str) -> None:
    with pytest.raises(NationalIdError, match=reason):
        normalize_national_id(text, VE)


def test_the_format_comes_from_the_country_pack() -> None:
    rif_like = NationalIdFormat(prefixes=("v", "e", "j", "g"), min_digits=6, max_digits=9)
    assert str(normalize_national_id("J-123.456.789", rif_like)) == "J123456789"
    with pytest.raises(NationalIdError, match="expected 6 to 9"):
        normalize_national_id("V-12345", rif_like)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "N/A",
        "n/a",
        "NA",
        "S/C",
        "s/n",
        "no posee",
        "NO POSEE",
        "No tiene",
        "sin cédula",
        "SIN CEDULA",
        "Sin C.I.",
        "desconocida",
        "Ninguna",
        "indocumentado",
        "-",
        "--",
        "0",
        "V-0",
        "00000000",
        "?",
        "unknown",
        "none",
    ],
)
def test_it_recognises_missing_value_markers(text: str) -> None:
    assert is_missing_marker(text)


@pytest.mark.parametrize("text", ["V-12.345.678", "12345678", "No. 1234", "X12", "abc", "V"])
def test_it_does_not_take_numbers_or_junk_for_missing_markers(text: str) -> None:
    assert not is_missing_marker(text)


def test_none_counts_as_missing() -> None:
    assert is_missing_marker(None)


@pytest.mark.parametrize(
    ("prefix", "digits"), [("V", "012"), ("V", ""), ("V", "12a"), ("v", "12"), ("", "12")]
)
def test_a_national_id_refuses_unnormalised_parts(prefix: str, digits: str) -> None:
    with pytest.raises(ValueError):
        NationalId(prefix, digits)


def test_a_national_id_error_is_a_value_error() -> None:
    assert issubclass(NationalIdError, ValueError)


@st.composite
def written_cedulas(draw: st.DrawFn) -> tuple[str, str]:
    """A cédula written in one of the ways lists write it, and its canonical form."""
    number = draw(st.integers(min_value=1, max_value=99_999_999))
    prefix = draw(st.sampled_from(["", "V", "E", "v", "e"]))
    grouped = draw(st.booleans())
    digits = f"{number:,}".replace(",", ".") if grouped else str(number)
    zeros = "0" * draw(st.integers(min_value=0, max_value=2))
    separator = draw(st.sampled_from(["", "-", " ", "- "]))
    label = draw(st.sampled_from(["", "C.I. ", "CI: ", "c.i.", "Cédula "]))
    text = f"{label}{prefix}{separator if prefix else ''}{zeros}{digits}"
    return text, f"{prefix.upper()}{number}"


@given(written_cedulas())
def test_every_way_of_writing_a_cedula_gives_the_same_value(case: tuple[str, str]) -> None:
    text, canonical = case
    assert str(normalize_national_id(text, VE)) == canonical


@given(written_cedulas())
def test_normalising_is_idempotent(case: tuple[str, str]) -> None:
    once = normalize_national_id(case[0], VE)
    assert normalize_national_id(str(once), VE) == once


@given(st.text(max_size=20))
def test_any_text_is_either_normalised_or_rejected_with_a_national_id_error(text: str) -> None:
    try:
        value = normalize_national_id(text, VE)
    except NationalIdError:
        return
    assert normalize_national_id(str(value), VE) == value
    assert not is_missing_marker(text)

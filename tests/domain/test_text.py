"""Folding text for comparison."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testigo.domain.text import fold, strip_accents


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mérida", "merida"),
        ("PEÑA", "pena"),
        ("  José   Gregorio\tPérez \n", "jose gregorio perez"),
        ("Edo. Miranda", "edo miranda"),
        ("Pq. «El Llano»", "pq el llano"),
        ("D’Ángelo", "d'angelo"),
        ("D´Angelo", "d'angelo"),
        ("María-José", "maria-jose"),
        ("María – José", "maria jose"),
        ("'quoted'", "quoted"),
        ("Straße", "strasse"),
        ("ÇAĞLAR Ünal", "caglar unal"),
        ("San Cristóbal, Táchira", "san cristobal tachira"),
        ("under_score", "under score"),
        ("", ""),
        ("¿?¡!", ""),
    ],
)
def test_it_folds_text_for_comparison(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Mérida, Peña", "Merida, Pena"), ("Ñandú", "Nandu"), ("plain", "plain")],
)
def test_it_strips_accents_but_keeps_case_and_punctuation(text: str, expected: str) -> None:
    assert strip_accents(text) == expected


@given(st.text())
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_folded_text_has_no_leading_trailing_or_double_spaces(text: str) -> None:
    folded = fold(text)
    assert folded == folded.strip()
    assert "  " not in folded

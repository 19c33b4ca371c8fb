"""Comparison levels on tricky Venezuelan record pairs, evaluated with the SQL Splink runs."""

from __future__ import annotations

import pytest

from testigo.linkage.comparisons import (
    birth_comparison,
    birth_days_compatible,
    event_date_comparison,
    given_names_comparison,
    national_id_comparison,
    national_ids_compatible,
    place_comparison,
    surnames_comparison,
)
from testigo.linkage.variants import canonical_unit, phonetic_key

from .conftest import level_probe, record

given_level = level_probe(given_names_comparison())
surname_level = level_probe(surnames_comparison())
id_level = level_probe(national_id_comparison())
birth_level = level_probe(birth_comparison())
event_level = level_probe(event_date_comparison())
place_level = level_probe(place_comparison())


@pytest.mark.parametrize(
    ("unit", "canonical"),
    [
        ("Chepe", "jose"),
        ("Pepe", "jose"),
        ("JOSÉ", "jose"),
        ("Pancho", "francisco"),
        ("Fco.", "francisco"),
        ("Ma.", "maria"),
        ("Mª", "maria"),
        ("Memo", "guillermo"),
        ("de la Cruz", "cruz"),
        ("D'Angelo", "dangelo"),
    ],
)
def test_canonical_unit_maps_nicknames_abbreviations_and_particles(unit, canonical):
    assert canonical_unit(unit) == canonical


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Velásquez", "Velázquez"),  # s/z
        ("Bolívar", "Volivar"),  # b/v
        ("Yépez", "Llepez"),  # y/ll
        ("Leidy", "Leydi"),  # i/y
        ("Yeferson", "Jefferson"),  # invented spellings
        ("Jhonny", "Johnny"),
        ("Rodríguez", "Rodrigues"),
        ("Quintero", "Kintero"),
        ("Hernández", "Ernandez"),  # silent h
    ],
)
def test_phonetic_key_is_shared_by_common_spanish_confusions(a, b):
    assert phonetic_key(a) == phonetic_key(b)


@pytest.mark.parametrize(("a", "b"), [("Miguel", "Mijel"), ("Carla", "Carlos"), ("Ana", "Anna ")])
def test_phonetic_key_keeps_different_names_apart(a, b):
    if a.strip().lower() == "ana":
        assert phonetic_key(a) == phonetic_key(b)  # doubled letters collapse
    else:
        assert phonetic_key(a) != phonetic_key(b)


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("José Gregorio", "JOSE GREGORIO", "All given names equal"),
        ("Chepe", "José", "All given names equal"),
        ("Francisco", "Pancho", "All given names equal"),
        ("José Gregorio", "JOSE G.", "First given name equal, second compatible"),
        ("María Alejandra", "María", "First given name equal, second compatible"),
        ("Yeferson", "Jefferson", "First given name sounds the same, second compatible"),
        ("Guillermo", "Guiyermo", "First given name sounds the same, second compatible"),
        ("Alejandro", "Alejadnro", "First given name similar (typo), second compatible"),
        ("José Luis", "José Gregorio", "First given name equal, second differs"),
        ("Gregorio", "José Gregorio", "A given name appears in both (first dropped or reordered)"),
        ("J.", "José", "Initial compatible"),
        ("Pedro", "Carmen", "All other comparisons"),
    ],
)
def test_given_name_levels(left, right, level):
    assert given_level(record(given_names=left), record(given_names=right)) == level


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("Pérez Rodríguez", "PEREZ RODRIGUEZ", "Both surnames equal (any order)"),
        ("Pérez Rodríguez", "Rodríguez Pérez", "Both surnames equal (any order)"),
        ("Pérez Rodríguez", "Pérez", "First surname equal, the other side has only one"),
        ("Velásquez Yépez", "Velazquez Llepez", "Both surnames sound the same"),
        ("De La Cruz Pérez", "Cruz Peres", "Both surnames sound the same"),
        (
            "Hernández Marcano",
            "Hernandes Marcaon",
            "One surname sounds the same, the other is similar",
        ),
        ("Pérez Rodríguez", "Rodríguez", "A surname shared, the other side has only one"),
        ("Pérez Rodríguez", "Pérez Gómez", "A surname shared, the others differ"),
        ("Gonzalez", "Gonzalo", "A surname similar"),
        ("Pérez Rodríguez", "Martínez Silva", "All other comparisons"),
    ],
)
def test_surname_levels_allow_any_order_one_missing_and_misspellings(left, right, level):
    assert surname_level(record(family_names=left), record(family_names=right)) == level


def test_a_married_name_is_not_compared_as_a_surname():
    married = record(given_names="María", family_names="Pérez de González", sex="F")
    single = record(given_names="María", family_names="Pérez")
    assert surname_level(married, single) == "First surname equal, the other side has only one"


def test_surnames_written_with_the_given_names_in_one_field_are_split():
    whole = record(given_names="José Gregorio Pérez Rodríguez")
    split = record(given_names="José Gregorio", family_names="Pérez Rodríguez")
    assert surname_level(whole, split) == "Both surnames equal (any order)"
    assert given_level(whole, split) == "All given names equal"


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("V-12.345.678", "12345678", "Same number"),  # a missing prefix matches either
        ("E-12.345.678", "12345678", "Same number"),
        ("C.I. v12345678", "V-12.345.678", "Same number"),
        ("V-12.345.678", "E-12.345.678", "Same digits, different V/E prefix"),
        ("12345678", "12345679", "One digit added, dropped or changed"),
        ("12345678", "1234567", "One digit added, dropped or changed"),
        ("12345678", "12345687", "Two adjacent digits swapped"),
        ("12345678", "87654321", "All other comparisons"),
    ],
)
def test_national_id_levels(left, right, level):
    assert id_level(record(national_id=left), record(national_id=right)) == level


def test_a_missing_or_unreadable_id_is_the_null_level():
    assert id_level(record(national_id="S/C"), record(national_id="12345678")) == "nid missing"
    assert id_level(record(national_id="no posee"), record(national_id="")) == "nid missing"


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ({"birth_date": "1985-03-04"}, {"birth_date": "1985-03-04"}, "Same day"),
        ({"birth_date": "1985-03-04"}, {"birth_date": "1985-04-03"}, "Day and month swapped"),
        (
            {"birth_date": "1985-03-04"},
            {"birth_date": "1985-03-14"},
            "One part of the date differs",
        ),
        ({"birth_date": "1985-03"}, {"birth_date": "1985-03-04"}, "Consistent to the month"),
        (
            {"birth_date": "1985"},
            {"birth_date": "1985-03-04"},
            "Consistent to the year (a partial date)",
        ),
        (
            {"age": "39", "event_date": "2024-08-01"},
            {"birth_date": "1985-03-04"},
            "Consistent with an age at the event",
        ),
        ({"birth_date": "1986-01-10"}, {"birth_date": "1985"}, "Within a year"),
        ({"birth_date": "1960-01-10"}, {"birth_date": "1985"}, "All other comparisons"),
        ({"birth_date": "15/08/1985"}, {"birth_date": "1985-08-15"}, "Same day"),
    ],
)
def test_birth_levels_use_partial_dates_swaps_and_ages(left, right, level):
    assert birth_level(record(**left), record(**right)) == level


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("2024-08-01", "2024-08-01", "Same day"),
        ("2024-08", "2024-08-01", "Same period (a date known to the month or year)"),
        ("2024-08-01", "2024-08-05", "Within a week"),
        ("2024-08-01", "2024-09-15", "Within two months"),
        ("2024-08-01", "2025-01-10", "All other comparisons"),
    ],
)
def test_event_date_levels(left, right, level):
    assert event_level(record(event_date=left), record(event_date=right)) == level


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        (("Zulia", "Maracaibo"), ("ZULIA", "maracaibo"), "Same municipality"),
        (("Edo. Zulia", ""), ("Zulia", "Maracaibo"), "Same state, a municipality missing"),
        (("Zulia", "Cabimas"), ("Zulia", "Maracaibo"), "Same state, different municipality"),
        (("Zulia", ""), ("Lara", ""), "All other comparisons"),
    ],
)
def test_place_levels_follow_the_hierarchy(left, right, level):
    a = record(state=left[0], municipality=left[1])
    b = record(state=right[0], municipality=right[1])
    assert place_level(a, b) == level


def test_exclusive_fields_tolerate_typos_but_not_different_values():
    assert national_ids_compatible("12345678", "12345687")
    assert national_ids_compatible("12345678", "1234567")
    assert not national_ids_compatible("12345678", "23456789")
    assert birth_days_compatible((1985, 3, 4), (1985, 4, 3))
    assert birth_days_compatible((1985, 3, 4), (1985, 3, 14))
    assert not birth_days_compatible((1985, 3, 4), (1990, 7, 4))

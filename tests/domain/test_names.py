"""Personal names: normalising, splitting into given names and surnames, matching keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testigo.domain.names import (
    NameParseError,
    PersonName,
    normalize_name_text,
    parse_full_name,
    split_names,
)
from testigo.domain.text import fold


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  josé   pérez  ", "José Pérez"),
        ("JOSÉ GREGORIO PÉREZ RODRÍGUEZ", "José Gregorio Pérez Rodríguez"),
        ("MARIA DE LA CRUZ", "Maria de la Cruz"),
        ("María De La Cruz", "María de la Cruz"),
        ("LUIS DEL VALLE", "Luis del Valle"),
        ("marco di marco", "Marco di Marco"),
        ("D’ANGELO", "D'Angelo"),
        ("MARÍA-JOSÉ", "María-José"),
        ("McDonald", "McDonald"),
        ("PÉREZ , JOSÉ", "Pérez, José"),
        ("José (Chuo) Pérez", "José Chuo Pérez"),
        ("J. G. PÉREZ", "J. G. Pérez"),
    ],
)
def test_it_normalises_name_text(text: str, expected: str) -> None:
    assert normalize_name_text(text) == expected


@pytest.mark.parametrize(
    ("text", "given", "surnames"),
    [
        ("José Gregorio Pérez Rodríguez", ("José", "Gregorio"), ("Pérez", "Rodríguez")),
        ("JOSÉ GREGORIO PÉREZ RODRÍGUEZ", ("José", "Gregorio"), ("Pérez", "Rodríguez")),
        ("PÉREZ RODRÍGUEZ, JOSÉ GREGORIO", ("José", "Gregorio"), ("Pérez", "Rodríguez")),
        ("Pérez, José", ("José",), ("Pérez",)),
        ("José Pérez", ("José",), ("Pérez",)),
        ("Yusmary Pérez", ("Yusmary",), ("Pérez",)),
        ("Juan Pérez Rodríguez", ("Juan",), ("Pérez", "Rodríguez")),
        ("José Gregorio Pérez", ("José", "Gregorio"), ("Pérez",)),
        ("María Alejandra Pérez", ("María", "Alejandra"), ("Pérez",)),
        ("María del Valle Pérez", ("María", "del Valle"), ("Pérez",)),
        ("María del Valle Pérez Rodríguez", ("María", "del Valle"), ("Pérez", "Rodríguez")),
        ("María de la Cruz", ("María",), ("de la Cruz",)),
        ("MARÍA DE LA CRUZ", ("María",), ("de la Cruz",)),
        ("Luis De Freitas", ("Luis",), ("de Freitas",)),
        ("Pedro De Los Ríos Pérez", ("Pedro",), ("de los Ríos", "Pérez")),
        ("Marco Di Marco", ("Marco",), ("di Marco",)),
        ("Ana María van der Berg", ("Ana", "María"), ("van der Berg",)),
        ("Yeferson José da Silva dos Santos", ("Yeferson", "José"), ("da Silva", "dos Santos")),
        ("Ana Luisa María Pérez Rodríguez", ("Ana", "Luisa", "María"), ("Pérez", "Rodríguez")),
        ("Pérez", ("Pérez",), ()),
    ],
)
def test_it_splits_a_full_name_given_names_first(
    text: str, given: tuple[str, ...], surnames: tuple[str, ...]
) -> None:
    name = parse_full_name(text)
    assert (name.given_names, name.surnames) == (given, surnames)
    assert name.married_surname is False


@pytest.mark.parametrize(
    ("text", "given", "surnames"),
    [
        ("PEREZ RODRIGUEZ JOSE GREGORIO", ("Jose", "Gregorio"), ("Perez", "Rodriguez")),
        ("PEREZ RODRIGUEZ JOSE", ("Jose",), ("Perez", "Rodriguez")),
        ("PEREZ JOSE GREGORIO", ("Jose", "Gregorio"), ("Perez",)),
        ("PEREZ JOSE", ("Jose",), ("Perez",)),
        ("DE LA CRUZ PEREZ MARIA", ("Maria",), ("de la Cruz", "Perez")),
        ("PEREZ", (), ("Perez",)),
    ],
)
def test_it_splits_an_official_list_name_surnames_first(
    text: str, given: tuple[str, ...], surnames: tuple[str, ...]
) -> None:
    name = parse_full_name(text, order="surnames_first")
    assert (name.given_names, name.surnames) == (given, surnames)


@pytest.mark.parametrize(
    ("text", "order", "given", "surnames"),
    [
        ("María Pérez de González", "auto", ("María",), ("Pérez", "de González")),
        (
            "María Alejandra Pérez Rodríguez de González",
            "auto",
            ("María", "Alejandra"),
            ("Pérez", "Rodríguez", "de González"),
        ),
        (
            "Yusmary Pérez Rodríguez de González",
            "auto",
            ("Yusmary",),
            ("Pérez", "Rodríguez", "de González"),
        ),
        ("PÉREZ DE GONZÁLEZ, MARÍA", "auto", ("María",), ("Pérez", "de González")),
        ("PEREZ DE GONZALEZ MARIA", "surnames_first", ("Maria",), ("Perez", "de Gonzalez")),
        (
            "PEREZ RODRIGUEZ DE GONZALEZ MARIA ALEJANDRA",
            "surnames_first",
            ("Maria", "Alejandra"),
            ("Perez", "Rodriguez", "de Gonzalez"),
        ),
    ],
)
def test_it_keeps_and_flags_a_married_surname(
    text: str, order: str, given: tuple[str, ...], surnames: tuple[str, ...]
) -> None:
    name = parse_full_name(text, order=order)  # type: ignore[arg-type]
    assert (name.given_names, name.surnames) == (given, surnames)
    assert name.married_surname is True


@pytest.mark.parametrize(
    ("text", "surnames"),
    [
        ("José Pérez de Freitas", ("Pérez", "de Freitas")),
        ("Luis de Freitas", ("de Freitas",)),
        ("María de la Cruz", ("de la Cruz",)),
        ("María Pérez de la Cruz", ("Pérez", "de la Cruz")),
    ],
)
def test_it_does_not_flag_an_ordinary_de_surname_as_married(
    text: str, surnames: tuple[str, ...]
) -> None:
    name = parse_full_name(text)
    assert name.surnames == surnames
    assert name.married_surname is False


@pytest.mark.parametrize(
    ("name", "display"),
    [
        (PersonName(("JOSÉ", "GREGORIO"), ("PÉREZ", "RODRÍGUEZ")), "José Gregorio Pérez Rodríguez"),
        (PersonName(("María",), ("De La Cruz",)), "María de la Cruz"),
        (PersonName(("MARIA", "DEL VALLE"), ("PEREZ",)), "Maria del Valle Perez"),
        (PersonName((), ("De Freitas",)), "de Freitas"),
    ],
)
def test_it_displays_names_properly_cased_with_lower_case_particles(
    name: PersonName, display: str
) -> None:
    assert name.display == display
    assert str(name) == display


def test_it_builds_folded_keys_for_matching() -> None:
    name = parse_full_name("PÉREZ RODRÍGUEZ, JOSÉ GREGORIO")
    assert name.key == "jose gregorio perez rodriguez"
    assert name.given_key == "jose gregorio"
    assert name.surname_key == "perez rodriguez"


def test_the_same_person_written_two_ways_has_the_same_key() -> None:
    official = parse_full_name("PEREZ RODRIGUEZ JOSE GREGORIO", order="surnames_first")
    informal = parse_full_name("José Gregorio Pérez Rodríguez")
    assert official.key == informal.key


@pytest.mark.parametrize(
    ("given", "surnames", "expected"),
    [
        (
            "JOSÉ GREGORIO",
            "PÉREZ RODRÍGUEZ",
            PersonName(("José", "Gregorio"), ("Pérez", "Rodríguez")),
        ),
        ("María del Valle", "de la Cruz", PersonName(("María", "del Valle"), ("de la Cruz",))),
        ("José", "", PersonName(("José",), ())),
        ("", "Pérez", PersonName((), ("Pérez",))),
        (
            "MARIA DEL VALLE",
            "PEREZ DE GONZALEZ",
            PersonName(("Maria", "del Valle"), ("Perez", "de Gonzalez"), married_surname=True),
        ),
        ("José", "Pérez de Freitas", PersonName(("José",), ("Pérez", "de Freitas"))),
    ],
)
def test_it_builds_a_name_from_separate_columns(
    given: str, surnames: str, expected: PersonName
) -> None:
    assert split_names(given, surnames) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "Juan 2", "12345", "José Pérez 3ro", "---", ".,", "a, b, c"]
)
def test_it_rejects_empty_or_numeric_names(text: str) -> None:
    with pytest.raises(NameParseError):
        parse_full_name(text)


@pytest.mark.parametrize(("given", "surnames"), [("", ""), ("  ", " "), ("Juan", "Pérez 2")])
def test_it_rejects_empty_or_numeric_columns(given: str, surnames: str) -> None:
    with pytest.raises(NameParseError):
        split_names(given, surnames)


def test_it_rejects_an_unknown_order() -> None:
    with pytest.raises(ValueError, match="order"):
        parse_full_name("José Pérez", order="backwards")  # type: ignore[arg-type]


def test_a_name_parse_error_is_a_value_error() -> None:
    assert issubclass(NameParseError, ValueError)


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíóúñ", min_size=2, max_size=10)


@given(st.lists(words, min_size=1, max_size=6))
def test_parsing_keeps_every_word_in_order(tokens: list[str]) -> None:
    text = " ".join(tokens)
    name = parse_full_name(text)
    assert name.key == fold(text)
    assert parse_full_name(name.display) == name

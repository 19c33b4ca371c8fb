"""The gazetteer: place hierarchy and fuzzy lookup of place names."""

from __future__ import annotations

import pytest

from testigo.domain.places import Gazetteer, Place, PlaceMatch

PLACES = [
    Place("VE", "Venezuela", "country", None),
    Place("VE-A", "Distrito Capital", "state", "VE", ("Distrito Federal",)),
    Place("VE-A/libertador", "Libertador", "municipality", "VE-A", ("Caracas",)),
    Place("VE-A/libertador/catedral", "Catedral", "parish", "VE-A/libertador"),
    Place("VE-M", "Miranda", "state", "VE"),
    Place("VE-M/baruta", "Baruta", "municipality", "VE-M"),
    Place("VE-M/chacao", "Chacao", "municipality", "VE-M"),
    Place("VE-M/sucre", "Sucre", "municipality", "VE-M"),
    Place("VE-M/sucre/petare", "Petare", "parish", "VE-M/sucre"),
    Place("VE-R", "Sucre", "state", "VE"),
    Place("VE-R/sucre", "Sucre", "municipality", "VE-R", ("Cumaná",)),
    Place("VE-K", "Lara", "state", "VE"),
    Place("VE-K/iribarren", "Iribarren", "municipality", "VE-K", ("Barquisimeto",)),
    Place("VE-L", "Mérida", "state", "VE"),
    Place("VE-L/libertador", "Libertador", "municipality", "VE-L"),
    Place("VE-S", "Táchira", "state", "VE"),
    Place("VE-S/san-cristobal", "San Cristóbal", "municipality", "VE-S"),
]


@pytest.fixture
def gazetteer() -> Gazetteer:
    return Gazetteer(PLACES)


def test_it_looks_places_up_by_code(gazetteer: Gazetteer) -> None:
    assert gazetteer.get("VE-M") == PLACES[4]
    assert gazetteer.get("VE-?") is None
    assert "VE-M" in gazetteer
    assert len(gazetteer) == len(PLACES)
    assert list(gazetteer) == PLACES


def test_it_lists_children_by_code(gazetteer: Gazetteer) -> None:
    assert [p.code for p in gazetteer.children("VE-M")] == [
        "VE-M/baruta",
        "VE-M/chacao",
        "VE-M/sucre",
    ]
    assert gazetteer.children("VE-M/sucre/petare") == []


def test_it_lists_ancestors_nearest_first(gazetteer: Gazetteer) -> None:
    assert [p.code for p in gazetteer.ancestors("VE-M/sucre/petare")] == [
        "VE-M/sucre",
        "VE-M",
        "VE",
    ]
    assert gazetteer.ancestors("VE") == []


def test_it_lists_descendants(gazetteer: Gazetteer) -> None:
    assert [p.code for p in gazetteer.descendants("VE-M")] == [
        "VE-M/baruta",
        "VE-M/chacao",
        "VE-M/sucre",
        "VE-M/sucre/petare",
    ]


@pytest.mark.parametrize("method", ["children", "ancestors", "descendants"])
def test_it_raises_key_error_for_an_unknown_code(gazetteer: Gazetteer, method: str) -> None:
    with pytest.raises(KeyError, match="VE-Q"):
        getattr(gazetteer, method)("VE-Q")


@pytest.mark.parametrize(
    ("text", "kwargs", "code", "exact"),
    [
        ("Miranda", {}, "VE-M", True),
        ("MIRANDA", {}, "VE-M", True),
        ("Edo. Miranda", {}, "VE-M", True),
        ("Estado Miranda", {}, "VE-M", True),
        ("edo miranda", {}, "VE-M", True),
        ("State of Miranda", {}, "VE-M", True),
        ("Miranda State", {}, "VE-M", True),
        ("merida", {}, "VE-L", True),
        ("Edo. Tachira", {}, "VE-S", True),
        ("san cristobal", {}, "VE-S/san-cristobal", True),
        ("Distrito Federal", {}, "VE-A", True),
        ("Caracas", {}, "VE-A/libertador", True),
        ("Cumana", {}, "VE-R/sucre", True),
        ("Pq. Petare", {}, "VE-M/sucre/petare", True),
        ("Parroquia Catedral", {}, "VE-A/libertador/catedral", True),
        ("Barquisimetp", {}, "VE-K/iribarren", False),
        ("Mirandaa", {}, "VE-M", False),
        ("Sna Cristobal", {}, "VE-S/san-cristobal", False),
        ("Cristóbal San", {}, "VE-S/san-cristobal", False),
        # The state Sucre and two municipalities are all called Sucre.
        ("Sucre", {}, "VE-R", True),
        ("Sucre", {"within": "VE-M"}, "VE-M/sucre", True),
        ("Sucre", {"within": "VE-R"}, "VE-R/sucre", True),
        ("Sucre", {"level": "municipality", "within": "VE-M"}, "VE-M/sucre", True),
        ("Municipio Sucre", {"within": "VE-M"}, "VE-M/sucre", True),
        ("Mcpio. Sucre", {"within": "VE-R"}, "VE-R/sucre", True),
        ("Mun. Sucre", {}, "VE-M/sucre", True),
        ("Libertador", {"within": "VE-L"}, "VE-L/libertador", True),
        ("Libertador", {"within": "VE-A"}, "VE-A/libertador", True),
    ],
)
def test_it_resolves_place_names(
    gazetteer: Gazetteer, text: str, kwargs: dict[str, str], code: str, exact: bool
) -> None:
    match = gazetteer.resolve(text, **kwargs)  # type: ignore[arg-type]
    assert match is not None
    assert match.place.code == code
    assert match.exact is exact
    assert match.score >= 85
    if exact:
        assert match.score == 100


@pytest.mark.parametrize(
    ("text", "kwargs"),
    [
        ("Zulia", {}),
        ("Maracaibo", {}),
        ("", {}),
        ("Estado", {}),
        ("Petare", {"level": "state"}),
        ("Baruta", {"within": "VE-R"}),
        ("Barquisimetp", {"min_score": 95}),
    ],
)
def test_it_resolves_nothing_rather_than_a_poor_guess(
    gazetteer: Gazetteer, text: str, kwargs: dict[str, object]
) -> None:
    assert gazetteer.resolve(text, **kwargs) is None  # type: ignore[arg-type]


def test_an_exact_match_beats_a_fuzzy_match_with_a_higher_level(gazetteer: Gazetteer) -> None:
    # "Chacao" is exact for the municipality; nothing else should come first.
    best = gazetteer.candidates("Chacao")[0]
    assert best == PlaceMatch(gazetteer.get("VE-M/chacao"), 100.0, True)  # type: ignore[arg-type]


def test_candidates_are_ranked_and_ties_broken_deterministically(gazetteer: Gazetteer) -> None:
    found = gazetteer.candidates("Sucre", limit=3)
    # Equal exact matches: the higher administrative level first, then by code.
    assert [m.place.code for m in found] == ["VE-R", "VE-M/sucre", "VE-R/sucre"]
    assert all(m.exact and m.score == 100 for m in found)
    assert gazetteer.candidates("Sucre", limit=3) == found
    assert Gazetteer(reversed(PLACES)).candidates("Sucre", limit=3) == found


def test_candidates_offer_near_misses_for_review(gazetteer: Gazetteer) -> None:
    found = gazetteer.candidates("Barquisimeto Lara", limit=5)
    assert len(found) == 5
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert gazetteer.candidates("Baruta", limit=0) == []


def test_candidates_respect_the_level_filter(gazetteer: Gazetteer) -> None:
    found = gazetteer.candidates("Sucre", level="state", limit=10)
    assert {m.place.level for m in found} == {"state"}


@pytest.mark.parametrize(
    "places",
    [
        [Place("VE", "Venezuela", "country", None), Place("VE", "Venezuela", "country", None)],
        [Place("VE-M", "Miranda", "state", "VE")],
        [Place("A", "A", "state", "B"), Place("B", "B", "state", "A")],
    ],
)
def test_it_refuses_an_inconsistent_hierarchy(places: list[Place]) -> None:
    with pytest.raises(ValueError):
        Gazetteer(places)


@pytest.mark.parametrize(
    ("code", "name", "level"),
    [("VE-M", "Miranda", "province"), ("", "Miranda", "state"), ("VE-M", "  ", "state")],
)
def test_a_place_refuses_bad_fields(code: str, name: str, level: str) -> None:
    with pytest.raises(ValueError):
        Place(code, name, level, None)


def test_it_refuses_an_unknown_level_filter(gazetteer: Gazetteer) -> None:
    with pytest.raises(ValueError, match="level"):
        gazetteer.resolve("Miranda", level="province")

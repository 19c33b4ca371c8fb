"""The shipped Venezuela pack and the Xlandia test pack: their data, checked without a database."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
VE_DIR = REPO / "src" / "testigo" / "countrypacks" / "packs" / "ve"
XX_DIR = REPO / "tests" / "fixtures" / "packs" / "xx"
PACK_DIRS = {"ve": VE_DIR, "xx": XX_DIR}
SHARED_SOURCE = Path("/work/shared/data/ven/estados_municipios_parroquias.json")

BODY_KINDS = {
    "military", "intelligence", "police", "armed_group", "prosecution", "judicial", "penitentiary",
}  # fmt: skip
# DOMAIN.md §3.3: INE code, ISO code, entity, number of municipalities.
VE_ENTITIES = [
    ("01", "VE-A", "Distrito Capital", 1), ("02", "VE-Z", "Amazonas", 7),
    ("03", "VE-B", "Anzoátegui", 21), ("04", "VE-C", "Apure", 7), ("05", "VE-D", "Aragua", 18),
    ("06", "VE-E", "Barinas", 12), ("07", "VE-F", "Bolívar", 11), ("08", "VE-G", "Carabobo", 14),
    ("09", "VE-H", "Cojedes", 9), ("10", "VE-Y", "Delta Amacuro", 4), ("11", "VE-I", "Falcón", 25),
    ("12", "VE-J", "Guárico", 15), ("13", "VE-K", "Lara", 9), ("14", "VE-L", "Mérida", 23),
    ("15", "VE-M", "Miranda", 21), ("16", "VE-N", "Monagas", 13),
    ("17", "VE-O", "Nueva Esparta", 11), ("18", "VE-P", "Portuguesa", 14),
    ("19", "VE-R", "Sucre", 15), ("20", "VE-S", "Táchira", 29), ("21", "VE-T", "Trujillo", 20),
    ("22", "VE-U", "Yaracuy", 14), ("23", "VE-V", "Zulia", 21), ("24", "VE-X", "La Guaira", 1),
    ("25", "VE-W", "Dependencias Federales", 0),
]  # fmt: skip


def _load(directory: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    pack = json.loads((directory / "pack.json").read_text(encoding="utf-8"))
    gazetteer = json.loads((directory / pack["gazetteer"]).read_text(encoding="utf-8"))
    return pack, gazetteer


@pytest.fixture(scope="module", params=sorted(PACK_DIRS))
def any_pack(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    return _load(PACK_DIRS[request.param])


@pytest.fixture(scope="module")
def ve() -> tuple[dict[str, Any], dict[str, Any]]:
    return _load(VE_DIR)


@pytest.fixture(scope="module")
def ve_places(ve: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {place["code"]: place for place in ve[1]["places"]}


# Every pack -----------------------------------------------------------------------------------


def test_a_pack_has_every_required_key(any_pack: tuple[dict[str, Any], dict[str, Any]]) -> None:
    pack, gazetteer = any_pack
    for key in ("code", "name", "languages", "national_id", "gazetteer", "perpetrator_bodies",
                "detention_facilities", "name_conventions", "sources"):  # fmt: skip
        assert key in pack, key
    assert set(pack["name"]) >= {"es", "en"}
    assert set(pack["national_id"]) >= {"label", "prefixes", "min_digits", "max_digits"}
    assert 1 <= pack["national_id"]["min_digits"] <= pack["national_id"]["max_digits"]
    assert gazetteer["country"]["code"] == pack["code"]
    assert gazetteer["places"]


def test_every_place_has_the_generic_fields_and_a_unique_code(
    any_pack: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    places = any_pack[1]["places"]
    for place in places:
        assert set(place) == {"code", "name", "level", "parent", "aliases", "attributes"}, place
        assert place["level"] in {"state", "municipality", "parish"}
        assert isinstance(place["aliases"], list)
        assert isinstance(place["attributes"], dict)
    codes = [place["code"] for place in places]
    assert len(codes) == len(set(codes))


def test_every_parent_code_resolves_and_comes_before_its_children(
    any_pack: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    seen: dict[str, str] = {}
    expected_parent_level = {"state": None, "municipality": "state", "parish": "municipality"}
    for place in any_pack[1]["places"]:
        parent = place["parent"]
        if place["level"] == "state":
            assert parent is None
        else:
            assert parent in seen, f"{place['code']}: parent {parent!r} missing or later"
            assert seen[parent] == expected_parent_level[place["level"]]
        seen[place["code"]] = place["level"]


def test_facilities_reference_existing_places_and_bodies(
    any_pack: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    pack, gazetteer = any_pack
    places = {place["code"]: place for place in gazetteer["places"]}
    bodies = {body["code"] for body in pack["perpetrator_bodies"]}
    facilities = {facility["code"] for facility in pack["detention_facilities"]}
    for facility in pack["detention_facilities"]:
        assert places[facility["place"]]["level"] in {"state", "municipality"}
        assert facility["operator"] is None or facility["operator"] in bodies
        assert facility.get("parent") is None or facility["parent"] in facilities
        for state in facility.get("receives_from", []):
            assert places[state]["level"] == "state"


def test_bodies_have_a_known_kind_and_their_parents_resolve(
    any_pack: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    bodies = any_pack[0]["perpetrator_bodies"]
    codes = [body["code"] for body in bodies]
    assert len(codes) == len(set(codes))
    for body in bodies:
        assert body["kind"] in BODY_KINDS
        assert body["parent"] is None or body["parent"] in codes
        assert set(body["name"]) >= {"es", "en"}
        assert body["mt24"]


def test_demo_weights_name_only_existing_states_and_bodies(
    any_pack: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    pack, gazetteer = any_pack
    demo = pack.get("demo", {})
    states = {p["code"] for p in gazetteer["places"] if p["level"] == "state"}
    bodies = {body["code"] for body in pack["perpetrator_bodies"]}
    assert set(demo.get("state_weights", {})) <= states
    assert set(demo.get("body_weights", {})) <= bodies


# Venezuela ------------------------------------------------------------------------------------


def test_the_ve_gazetteer_has_25_state_level_entities_335_municipalities_and_1139_parishes(
    ve: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    levels = Counter(place["level"] for place in ve[1]["places"])
    assert levels == {"state": 25, "municipality": 335, "parish": 1139}


def test_iso_codes_are_corrected_for_amazonas_la_guaira_and_dependencias_federales(
    ve_places: dict[str, dict[str, Any]],
) -> None:
    assert ve_places["VE-Z"]["name"] == "Amazonas"
    assert ve_places["VE-X"]["name"] == "La Guaira"
    assert "Vargas" in ve_places["VE-X"]["aliases"]
    assert ve_places["VE-W"]["name"] == "Dependencias Federales"
    assert not [p for p in ve_places.values() if p["parent"] == "VE-W"]


def test_states_carry_their_ine_and_iso_codes_and_municipality_counts_from_domain(
    ve_places: dict[str, dict[str, Any]],
) -> None:
    children = Counter(p["parent"] for p in ve_places.values() if p["level"] == "municipality")
    for ine, iso, name, n_municipalities in VE_ENTITIES:
        state = ve_places[iso]
        assert state["name"] == name
        assert state["attributes"]["ine"] == ine
        assert state["attributes"]["iso"] == iso
        assert children[iso] == n_municipalities, name


def test_states_are_listed_in_ine_order(ve: tuple[dict[str, Any], dict[str, Any]]) -> None:
    order = [p["attributes"]["ine"] for p in ve[1]["places"] if p["level"] == "state"]
    assert order == [f"{n:02d}" for n in range(1, 26)]


def test_municipalities_and_parishes_have_slug_codes_under_their_parent_and_no_ine_code(
    ve_places: dict[str, dict[str, Any]],
) -> None:
    for place in ve_places.values():
        if place["level"] == "state":
            continue
        parent, _, slug = place["code"].rpartition("/")
        assert parent == place["parent"]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug), place["code"]
        assert "ine" not in place["attributes"]
    assert ve_places["VE-M/sucre/petare"]["name"] == "Petare"


def test_amazonas_parishes_are_split_and_keep_the_source_string_as_an_alias(
    ve_places: dict[str, dict[str, Any]],
) -> None:
    alto_orinoco = ve_places["VE-Z/alto-orinoco/alto-orinoco"]
    assert alto_orinoco["name"] == "Alto Orinoco"
    assert "Alto Orinoco La Esmeralda" in alto_orinoco["aliases"]
    assert alto_orinoco["attributes"]["capital"] == "La Esmeralda"
    assert ve_places["VE-Z/atabapo/ucata"]["attributes"]["capital"] == "Laja Lisa"
    amazonas_parishes = [
        p for p in ve_places.values() if p["level"] == "parish" and p["code"].startswith("VE-Z/")
    ]
    assert len(amazonas_parishes) == 25
    for parish in amazonas_parishes:
        capital = parish["attributes"].get("capital")
        if capital:  # a split name: the source string "<parish> <capital>" stays an alias
            assert any(alias.endswith(f" {capital}") for alias in parish["aliases"]), parish
        assert not any(ch.isspace() for ch in parish["name"]) or parish["name"] in {
            "Alto Orinoco", "Sierra Parima", "Alto Ventuari", "Medio Ventuari", "Bajo Ventuari",
            "Fernando Girón Tovar", "Luis Alberto Gómez", "San Carlos de Río Negro",
        }  # fmt: skip


def test_caracas_is_an_alias_of_the_distrito_capital_and_its_municipality(
    ve_places: dict[str, dict[str, Any]],
) -> None:
    assert "Caracas" in ve_places["VE-A"]["aliases"]
    assert "Caracas" in ve_places["VE-A/libertador"]["aliases"]


def test_no_place_name_keeps_a_stray_trailing_dot(ve_places: dict[str, dict[str, Any]]) -> None:
    assert not [p["name"] for p in ve_places.values() if p["name"].endswith(".")]


def test_ve_national_id_is_a_v_or_e_cedula_of_up_to_8_digits(
    ve: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    spec = ve[0]["national_id"]
    assert spec["prefixes"] == ["V", "E"]
    assert (spec["min_digits"], spec["max_digits"]) == (1, 8)


def test_the_bodies_and_facilities_named_in_domain_are_present(
    ve: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    pack = ve[0]
    bodies = {body["code"]: body for body in pack["perpetrator_bodies"]}
    for code in ("FANB", "GNB", "EJB", "ARB", "AMB", "MB", "SEBIN", "DGCIM", "PNB", "FAES",
                 "DAET", "CICPC", "POLICIA-ESTADAL", "POLICIA-MUNICIPAL", "COLECTIVOS",
                 "FISCALIA", "TRIBUNALES-TERRORISMO"):  # fmt: skip
        assert code in bodies, code
    assert bodies["GNB"]["parent"] == "FANB"
    assert bodies["DAET"]["parent"] == "PNB"
    assert bodies["COLECTIVOS"]["kind"] == "armed_group"
    facilities = {facility["code"]: facility for facility in pack["detention_facilities"]}
    assert set(facilities) >= {
        "EL-HELICOIDE", "LA-TUMBA", "DGCIM-BOLEITA", "ZONA-7", "TOCORON", "TOCUYITO",
        "EL-LIBERTADOR", "YARE-III", "RODEO-I", "FUERTE-PARAMACAY", "RETEN-MACUTO", "INOF",
        "RAMO-VERDE",
    }  # fmt: skip
    assert facilities["EL-HELICOIDE"]["operator"] == "SEBIN"
    assert facilities["EL-LIBERTADOR"]["parent"] == "TOCUYITO"


def test_what_domain_calls_unverified_is_flagged_unverified(
    ve: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    pack = ve[0]
    bodies = {body["code"]: body for body in pack["perpetrator_bodies"]}
    facilities = {facility["code"]: facility for facility in pack["detention_facilities"]}
    for code in ("FAES", "DAET"):
        assert bodies[code].get("unverified") is True
    for code in ("EL-HELICOIDE", "LA-TUMBA", "DGCIM-BOLEITA", "ZONA-7", "INOF", "RAMO-VERDE"):
        assert facilities[code].get("unverified") is True


def test_the_readme_carries_the_mit_notice_of_the_gazetteer_source() -> None:
    readme = (VE_DIR / "README.md").read_text(encoding="utf-8")
    assert "Copyright (c) 2018 Jobsamuel Núñez" in readme
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in readme
    assert "add1180a1f7fcf124fb2bf275f58e85b6bc7b3c58f479ec9c4eafbfc67ca0f49" in readme


@pytest.mark.skipif(not SHARED_SOURCE.exists(), reason="shared source file not available")
def test_the_build_script_reproduces_the_committed_gazetteer(tmp_path: Path) -> None:
    script = REPO / "scripts" / "build_gazetteer.py"
    check = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for out in (first, second):
        subprocess.run([sys.executable, str(script), "--out", str(out)], check=True,
                       capture_output=True)  # fmt: skip
    assert first.read_bytes() == second.read_bytes() == (VE_DIR / "gazetteer.json").read_bytes()


# Xlandia --------------------------------------------------------------------------------------


def test_the_xlandia_pack_is_small_and_complete() -> None:
    pack, gazetteer = _load(XX_DIR)
    levels = Counter(place["level"] for place in gazetteer["places"])
    assert levels == {"state": 2, "municipality": 3}
    assert pack["national_id"]["prefixes"] == ["X"]
    assert (pack["national_id"]["min_digits"], pack["national_id"]["max_digits"]) == (6, 9)
    assert len(pack["perpetrator_bodies"]) == 2
    assert len(pack["detention_facilities"]) == 1

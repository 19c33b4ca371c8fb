"""Reading and checking a country pack directory (``pack.json`` + its gazetteer).

A pack is data only; see docs/country-packs.md for the format. Every problem is reported with
the file and the field that holds it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from testigo.domain.national_ids import NationalIdFormat
from testigo.domain.places import Place as GazetteerPlace

PLACE_LEVELS = ("country", "state", "municipality", "parish")


class PackError(ValueError):
    """A country pack is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class CountryPack:
    directory: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    places: list[dict[str, Any]]
    gazetteer_sha256: str

    @property
    def code(self) -> str:
        return str(self.manifest["code"])

    def national_id_format(self) -> NationalIdFormat:
        spec = self.manifest["national_id"]
        return NationalIdFormat(
            prefixes=tuple(spec["prefixes"]),
            min_digits=int(spec["min_digits"]),
            max_digits=int(spec["max_digits"]),
        )

    def gazetteer_places(self) -> list[GazetteerPlace]:
        return [
            GazetteerPlace(
                code=p["code"],
                name=p["name"],
                level=p["level"],
                parent_code=p.get("parent"),
                aliases=_place_aliases(p),
            )
            for p in self.places
        ]


def _place_aliases(place: dict[str, Any]) -> tuple[str, ...]:
    """A municipality's capital is also how sources name it ("Barquisimeto" for Iribarren)."""
    aliases = list(place.get("aliases") or ())
    capital = (place.get("attributes") or {}).get("capital")
    if place.get("level") == "municipality" and capital and capital not in aliases:
        aliases.append(capital)
    return tuple(aliases)


def builtin_pack_dir(code: str) -> Path:
    """The directory of a pack shipped with Testigo, e.g. ``ve``."""
    return Path(str(resources.files("testigo.countrypacks").joinpath("packs", code.lower())))


def _read_json(path: Path) -> tuple[Any, str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PackError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        return json.loads(data.decode("utf-8")), hashlib.sha256(data).hexdigest()
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackError(f"{path}: not valid UTF-8 JSON ({exc})") from exc


def _require(obj: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in obj:
        raise PackError(f"{where}: missing field {key!r}")
    if not isinstance(obj[key], kind):
        raise PackError(f"{where}: field {key!r} has the wrong type")
    return obj[key]


def pack_read(location: str | Path) -> CountryPack:
    """Read and check a pack from a directory, or a built-in pack by its code."""
    directory = Path(location)
    if not directory.is_dir():
        directory = builtin_pack_dir(str(location))
    manifest_path = directory / "pack.json"
    if not manifest_path.is_file():
        raise PackError(f"{location}: no country pack there (expected {manifest_path})")
    manifest, manifest_sha = _read_json(manifest_path)
    where = str(manifest_path)
    if not isinstance(manifest, dict):
        raise PackError(f"{where}: the top level must be an object")
    _require(manifest, "code", where, str)
    _require(manifest, "name", where, dict)
    national_id = _require(manifest, "national_id", where, dict)
    for key in ("prefixes", "min_digits", "max_digits"):
        _require(national_id, key, f"{where} national_id", (list, int))
    gazetteer_name = _require(manifest, "gazetteer", where, str)
    gazetteer_path = (directory / gazetteer_name).resolve()
    if directory.resolve() not in gazetteer_path.parents:
        raise PackError(f"{where}: field 'gazetteer' points outside the pack")
    gazetteer, gazetteer_sha = _read_json(gazetteer_path)
    places = _check_places(gazetteer, str(gazetteer_path))
    codes = {p["code"] for p in places}
    bodies = manifest.get("perpetrator_bodies", [])
    body_codes = {b.get("code") for b in bodies if isinstance(b, dict)}
    for index, body in enumerate(bodies):
        at = f"{where} perpetrator_bodies[{index}]"
        _require(body, "code", at, str)
        _require(body, "name", at, dict)
        if body.get("parent") and body["parent"] not in body_codes:
            raise PackError(f"{at}: parent {body['parent']!r} is not a body of this pack")
    for index, facility in enumerate(manifest.get("detention_facilities", [])):
        at = f"{where} detention_facilities[{index}]"
        _require(facility, "code", at, str)
        _require(facility, "name", at, str)
        if facility.get("place") and facility["place"] not in codes:
            raise PackError(f"{at}: place {facility['place']!r} is not in the gazetteer")
        if facility.get("operator") and facility["operator"] not in body_codes:
            raise PackError(f"{at}: operator {facility['operator']!r} is not a body of this pack")
    return CountryPack(directory, manifest, manifest_sha, places, gazetteer_sha)


def _check_places(gazetteer: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(gazetteer, dict) or not isinstance(gazetteer.get("places"), list):
        raise PackError(f"{where}: expected an object with a 'places' list")
    places: list[dict[str, Any]] = gazetteer["places"]
    seen: set[str] = set()
    for index, place in enumerate(places):
        at = f"{where} places[{index}]"
        if not isinstance(place, dict):
            raise PackError(f"{at}: must be an object")
        code = _require(place, "code", at, str)
        _require(place, "name", at, str)
        level = _require(place, "level", at, str)
        if level not in PLACE_LEVELS:
            raise PackError(f"{at}: level {level!r} is not one of {', '.join(PLACE_LEVELS)}")
        if code in seen:
            raise PackError(f"{at}: code {code!r} appears twice")
        seen.add(code)
    for index, place in enumerate(places):
        parent = place.get("parent")
        if parent is not None and parent not in seen:
            raise PackError(f"{where} places[{index}]: parent {parent!r} is not in the gazetteer")
    return places

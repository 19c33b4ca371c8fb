"""Loading a country pack into the database: idempotent, one transaction, audited."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from testigo.audit.services import audit_record_created
from testigo.core.models import DetentionFacility, PerpetratorBody, Place
from testigo.countrypacks.models import LoadedPack
from testigo.countrypacks.packfile import PLACE_LEVELS, CountryPack, pack_read


@dataclass(frozen=True)
class PackLoadReport:
    code: str
    places_created: int
    bodies_created: int
    facilities_created: int
    updated: int


def _name(value: Any, language: str) -> str:
    if isinstance(value, dict):
        return str(value.get(language) or value.get("es") or value.get("en") or "")
    return str(value)


def _update(obj: Any, values: dict[str, Any]) -> bool:
    changed = [key for key, value in values.items() if getattr(obj, key) != value]
    for key in changed:
        setattr(obj, key, values[key])
    if changed:
        obj.save()
    return bool(changed)


def pack_load(location: str | Path) -> PackLoadReport:
    """Create or update the pack's places, bodies and facilities; a second run changes nothing."""
    pack = pack_read(location)
    with transaction.atomic():
        places_created, updated = _load_places(pack)
        bodies_created, bodies_updated = _load_bodies(pack)
        facilities_created, facilities_updated = _load_facilities(pack)
        updated += bodies_updated + facilities_updated
        record = LoadedPack.all_objects.filter(code=pack.code).first()
        values = {
            "manifest": pack.manifest,
            "manifest_sha256": pack.manifest_sha256,
            "gazetteer_sha256": pack.gazetteer_sha256,
            "deleted_at": None,
        }
        if record is None:
            LoadedPack.objects.create(code=pack.code, **values)
        else:
            _update(record, values)
    return PackLoadReport(pack.code, places_created, bodies_created, facilities_created, updated)


def _load_places(pack: CountryPack) -> tuple[int, int]:
    existing = {p.code: p for p in Place.all_objects.filter(pack=pack.code)}
    country_name = _name(pack.manifest["name"], "es")
    wanted: list[dict[str, Any]] = [
        {"code": pack.code, "name": country_name, "level": "country", "parent": None}
    ]
    for place in sorted(pack.places, key=lambda p: PLACE_LEVELS.index(p["level"])):
        wanted.append({**place, "parent": place.get("parent") or pack.code})
    created: list[Place] = []
    updated = 0
    for spec in wanted:
        parent = existing.get(spec["parent"]) if spec["parent"] else None
        values = {
            "name": spec["name"],
            "level": spec["level"],
            "parent": parent,
            "aliases": list(spec.get("aliases") or []),
            "attributes": dict(spec.get("attributes") or {}),
            "pack": pack.code,
        }
        obj = existing.get(spec["code"])
        if obj is None:
            obj = Place(code=spec["code"], **values)
            created.append(obj)
            existing[obj.code] = obj
        elif _update(obj, values):
            updated += 1
    # Children need their parents' ids: create level by level.
    for level in PLACE_LEVELS:
        batch = [p for p in created if p.level == level]
        for place in batch:
            place.parent_id = place.parent.pk if place.parent else None
        Place.objects.bulk_create(batch, batch_size=1000)
        audit_record_created(batch)
    return len(created), updated


def _load_bodies(pack: CountryPack) -> tuple[int, int]:
    existing = {b.code: b for b in PerpetratorBody.all_objects.all()}
    specs = pack.manifest.get("perpetrator_bodies", [])
    created = updated = 0
    pending = list(specs)
    while pending:  # parents before children, whatever order the pack lists them in
        progress = False
        for spec in list(pending):
            if spec.get("parent") and spec["parent"] not in existing:
                continue
            values = {
                "name_es": _name(spec["name"], "es"),
                "name_en": _name(spec["name"], "en"),
                "kind": spec.get("kind", "other"),
                "parent": existing.get(spec["parent"]) if spec.get("parent") else None,
                "attributes": {
                    k: v for k, v in spec.items() if k not in {"code", "name", "kind", "parent"}
                },
                "pack": pack.code,
            }
            obj = existing.get(spec["code"])
            if obj is None:
                existing[spec["code"]] = PerpetratorBody.objects.create(code=spec["code"], **values)
                created += 1
            elif _update(obj, values):
                updated += 1
            pending.remove(spec)
            progress = True
        if not progress:
            raise ValueError(f"perpetrator bodies with a parent cycle: {pending}")
    return created, updated


def _load_facilities(pack: CountryPack) -> tuple[int, int]:
    places = {p.code: p for p in Place.all_objects.filter(pack=pack.code)}
    bodies = {b.code: b for b in PerpetratorBody.all_objects.all()}
    existing = {f.code: f for f in DetentionFacility.all_objects.all()}
    created = updated = 0
    for spec in pack.manifest.get("detention_facilities", []):
        values = {
            "name": spec["name"],
            "place": places.get(spec.get("place") or ""),
            "operator": bodies.get(spec.get("operator") or ""),
            "attributes": {
                k: v for k, v in spec.items() if k not in {"code", "name", "place", "operator"}
            },
            "pack": pack.code,
        }
        obj = existing.get(spec["code"])
        if obj is None:
            DetentionFacility.objects.create(code=spec["code"], **values)
            created += 1
        elif _update(obj, values):
            updated += 1
    return created, updated

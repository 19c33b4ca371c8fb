"""Build the Venezuela gazetteer of the VE country pack from the shared source file.

The source (``shared/data/ven/estados_municipios_parroquias.json``, MIT, see its SOURCE.md) is
read as-is, checked against its recorded SHA-256, corrected, and written in Testigo's generic
gazetteer format to ``src/testigo/countrypacks/packs/ve/gazetteer.json``.

Corrections (SOURCE.md "known defects", plus the small clean-ups listed in the pack README):

1. ISO 3166-2 codes: Amazonas is VE-Z; Vargas is VE-X and is renamed "La Guaira" ("Vargas"
   stays as an alias). VE-W belongs to the Dependencias Federales.
2. The Dependencias Federales (VE-W) are added as a 25th entity without children.
3. INE *entidad* codes 01..25 are recorded as the ``ine`` attribute of each state. Municipalities
   and parishes get internal slug codes ("VE-M/sucre/petare"), never invented official codes.
4. Amazonas parish names that concatenate parish and capital are split with an explicit,
   reviewed table; the concatenated string is kept as an alias and the capital as an attribute.

The build is deterministic: running it twice yields byte-identical output.

Usage::

    python scripts/build_gazetteer.py [--source PATH] [--out PATH] [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/work/shared/data/ven/estados_municipios_parroquias.json")
DEFAULT_OUT = REPO / "src" / "testigo" / "countrypacks" / "packs" / "ve" / "gazetteer.json"
SOURCE_SHA256 = "add1180a1f7fcf124fb2bf275f58e85b6bc7b3c58f479ec9c4eafbfc67ca0f49"

# Source state name -> (corrected name, ISO 3166-2 code, INE entidad code, aliases).
# INE: 01 Distrito Capital, 02..23 the states alphabetically (Vargas excluded), 24 La Guaira
# (formerly Vargas), 25 Dependencias Federales. The municipality counts come from DOMAIN.md §3.3
# and are checked against the data.
STATES: dict[str, tuple[str, str, str, tuple[str, ...], int]] = {
    "Distrito Capital": (
        "Distrito Capital",
        "VE-A",
        "01",
        ("Caracas", "DC", "Distrito Federal"),
        1,
    ),
    "Amazonas": ("Amazonas", "VE-Z", "02", (), 7),
    "Anzoátegui": ("Anzoátegui", "VE-B", "03", (), 21),
    "Apure": ("Apure", "VE-C", "04", (), 7),
    "Aragua": ("Aragua", "VE-D", "05", (), 18),
    "Barinas": ("Barinas", "VE-E", "06", (), 12),
    "Bolívar": ("Bolívar", "VE-F", "07", (), 11),
    "Carabobo": ("Carabobo", "VE-G", "08", (), 14),
    "Cojedes": ("Cojedes", "VE-H", "09", (), 9),
    "Delta Amacuro": ("Delta Amacuro", "VE-Y", "10", (), 4),
    "Falcón": ("Falcón", "VE-I", "11", (), 25),
    "Guárico": ("Guárico", "VE-J", "12", (), 15),
    "Lara": ("Lara", "VE-K", "13", (), 9),
    "Mérida": ("Mérida", "VE-L", "14", (), 23),
    "Miranda": ("Miranda", "VE-M", "15", (), 21),
    "Monagas": ("Monagas", "VE-N", "16", (), 13),
    "Nueva Esparta": ("Nueva Esparta", "VE-O", "17", (), 11),
    "Portuguesa": ("Portuguesa", "VE-P", "18", (), 14),
    "Sucre": ("Sucre", "VE-R", "19", (), 15),
    "Táchira": ("Táchira", "VE-S", "20", (), 29),
    "Trujillo": ("Trujillo", "VE-T", "21", (), 20),
    "Yaracuy": ("Yaracuy", "VE-U", "22", (), 14),
    "Zulia": ("Zulia", "VE-V", "23", (), 21),
    "Vargas": ("La Guaira", "VE-X", "24", ("Vargas",), 1),
}
DEPENDENCIAS_FEDERALES = {
    "code": "VE-W",
    "name": "Dependencias Federales",
    "level": "state",
    "parent": None,
    "aliases": [],
    "attributes": {"ine": "25", "iso": "VE-W", "note": "islands; no municipalities or parishes"},
}

# Amazonas parishes whose source name is "<parish> <parish capital>", split by hand from the data
# (the parallel names Alto/Medio/Bajo Ventuari, repeated words such as "Mavaka Mavaka", and the
# municipality capitals). Source string -> (parish name, parish capital).
AMAZONAS_SPLITS: dict[str, tuple[str, str]] = {
    "Alto Orinoco La Esmeralda": ("Alto Orinoco", "La Esmeralda"),
    "Huachamacare Acanaña": ("Huachamacare", "Acanaña"),
    "Marawaka Toky Shamanaña": ("Marawaka", "Toky Shamanaña"),
    "Mavaka Mavaka": ("Mavaka", "Mavaka"),
    "Sierra Parima Parimabé": ("Sierra Parima", "Parimabé"),
    "Ucata Laja Lisa": ("Ucata", "Laja Lisa"),
    "Yapacana Macuruco": ("Yapacana", "Macuruco"),
    "Caname Guarinuma": ("Caname", "Guarinuma"),
    "Pahueña Limón de Parhueña": ("Parhueña", "Limón de Parhueña"),
    "Platanillal Platanillal": ("Platanillal", "Platanillal"),
    "Samariapo Samariapo": ("Samariapo", "Samariapo"),
    "Sipapo Pendare": ("Sipapo", "Pendare"),
    "Munduapo Munduapo": ("Munduapo", "Munduapo"),
    "Guayapo San Pedro del Orinoco": ("Guayapo", "San Pedro del Orinoco"),
    "Alto Ventuari Cacurí": ("Alto Ventuari", "Cacurí"),
    "Medio Ventuari Manami": ("Medio Ventuari", "Manami"),
    "Bajo Ventuari Marueta": ("Bajo Ventuari", "Marueta"),
    "Casiquiare Curimacare": ("Casiquiare", "Curimacare"),
    "Solano Solano": ("Solano", "Solano"),
}
# Amazonas parish names that are already plain (people's names or a single place name).
AMAZONAS_PLAIN = frozenset(
    {
        "Fernando Girón Tovar",
        "Luis Alberto Gómez",
        "Victorino",
        "Comunidad",
        "Cocuy",
        "San Carlos de Río Negro",
    }
)
# Extra aliases for single places: (state ISO, municipality, parish or None) -> aliases.
EXTRA_ALIASES: dict[tuple[str, str, str | None], tuple[str, ...]] = {
    ("VE-A", "Libertador", None): ("Caracas",),
    ("VE-X", "Vargas", "Caruao Chuspa"): ("Caruao",),
    ("VE-Z", "Atures", "Pahueña Limón de Parhueña"): ("Pahueña",),
}
# Attribute fixes that are not in SOURCE.md's list; each is documented in the pack README.
MUNICIPALITY_CAPITAL_FIXES: dict[tuple[str, str], str] = {
    ("VE-X", "Vargas"): "La Guaira",  # the source gives "Vargas", which is not a town
}


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def slugify(text: str) -> str:
    """Fold to ASCII lowercase; spaces and punctuation become single hyphens."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def unique_code(parent: str, name: str, taken: set[str]) -> str:
    """Return ``parent/slug``, suffixed ``-2``, ``-3``… if a sibling already took it."""
    base = f"{parent}/{slugify(name)}"
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    taken.add(code)
    return code


def clean_name(raw: str) -> tuple[str, list[str]]:
    """Strip stray trailing dots; names with a parenthesis also get both parts as aliases."""
    name = raw.strip().rstrip(".").strip()
    aliases: list[str] = []
    match = re.fullmatch(r"(.+?)\s*\((.+)\)", name)
    if match:
        aliases = [match.group(1).strip(), match.group(2).strip()]
    return name, aliases


def parish_entry(state_iso: str, raw: str) -> tuple[str, list[str], dict[str, str]]:
    """Return (name, aliases, attributes) for one source parish string."""
    if state_iso == "VE-Z":
        if raw in AMAZONAS_SPLITS:
            name, capital = AMAZONAS_SPLITS[raw]
            return name, [raw], {"capital": capital}
        if raw not in AMAZONAS_PLAIN:
            raise SystemExit(f"Amazonas parish not reviewed: {raw!r}")
    name, aliases = clean_name(raw)
    return name, aliases, {}


def build(source: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the corrected gazetteer document for the parsed source list."""
    by_name = {entry["estado"]: entry for entry in source}
    if set(by_name) != set(STATES):
        raise SystemExit(f"unexpected state list: {sorted(set(by_name) ^ set(STATES))}")
    ordered = sorted(STATES.items(), key=lambda item: item[1][2])
    places: list[dict[str, Any]] = []
    taken: set[str] = set()
    used_splits: set[str] = set()
    for source_name, (name, iso, ine, aliases, n_munis) in ordered:
        entry = by_name[source_name]
        if len(entry["municipios"]) != n_munis:
            raise SystemExit(f"{name}: {len(entry['municipios'])} municipalities, want {n_munis}")
        state_aliases = list(aliases)
        places.append(
            {
                "code": iso,
                "name": name,
                "level": "state",
                "parent": None,
                "aliases": state_aliases,
                "attributes": {"ine": ine, "iso": iso, "capital": entry["capital"]},
            }
        )
        taken.add(iso)
        for muni in entry["municipios"]:
            muni_name, muni_aliases = clean_name(muni["municipio"])
            muni_aliases += EXTRA_ALIASES.get((iso, muni["municipio"], None), ())
            capital = MUNICIPALITY_CAPITAL_FIXES.get((iso, muni["municipio"]), muni["capital"])
            muni_code = unique_code(iso, muni_name, taken)
            places.append(
                {
                    "code": muni_code,
                    "name": muni_name,
                    "level": "municipality",
                    "parent": iso,
                    "aliases": muni_aliases,
                    "attributes": {"capital": capital},
                }
            )
            for raw in muni["parroquias"]:
                par_name, par_aliases, attributes = parish_entry(iso, raw)
                if raw in AMAZONAS_SPLITS:
                    used_splits.add(raw)
                par_aliases += EXTRA_ALIASES.get((iso, muni["municipio"], raw), ())
                places.append(
                    {
                        "code": unique_code(muni_code, par_name, taken),
                        "name": par_name,
                        "level": "parish",
                        "parent": muni_code,
                        "aliases": par_aliases,
                        "attributes": attributes,
                    }
                )
    if used_splits != set(AMAZONAS_SPLITS):
        raise SystemExit(f"split table entries not in data: {set(AMAZONAS_SPLITS) - used_splits}")
    places.append(dict(DEPENDENCIAS_FEDERALES))
    return {
        "country": {"code": "VE", "name": "Venezuela"},
        "meta": {
            "generated_by": "scripts/build_gazetteer.py",
            "source": "jobsamuel/venezuela-js@75503be (MIT); see README.md",
            "source_sha256": SOURCE_SHA256,
            "codes": "states: ISO 3166-2; municipalities, parishes: internal slugs, not official",
        },
        "places": places,
    }


def render(document: dict[str, Any]) -> str:
    """Serialise with one place per line, so diffs stay readable."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    lines = [
        "{",
        f' "country": {dump(document["country"])},',
        f' "meta": {dump(document["meta"])},',
    ]
    lines.append(' "places": [')
    rows = [f"  {dump(place)}" for place in document["places"]]
    lines.append(",\n".join(rows))
    lines.append(" ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="fail if the output is stale")
    args = parser.parse_args(argv)
    digest = sha256_of(args.source)
    if digest != SOURCE_SHA256:
        print(f"sha256 mismatch for {args.source}: {digest}", file=sys.stderr)
        return 2
    document = build(json.loads(args.source.read_text(encoding="utf-8")))
    text = render(document)
    json.loads(text)  # the custom renderer must still produce strict JSON
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale; rerun scripts/build_gazetteer.py", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    counts: dict[str, int] = {}
    for place in document["places"]:
        counts[place["level"]] = counts.get(place["level"], 0) + 1
    print(f"wrote {args.out}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

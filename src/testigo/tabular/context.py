"""A normalisation context from files alone: a country pack and the built-in vocabularies.

The web app builds its context from the database (`testigo.core.selectors.reported_context`);
this one serves file-mode commands, tests and benchmarks, and never touches Django.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from typing import Any

from testigo.countrypacks.packfile import pack_read
from testigo.domain.places import Gazetteer
from testigo.domain.reported import ReportedContext
from testigo.domain.terms import TermLabels, TermMatcher

__all__ = ["context_from_pack"]


def _vocabulary(filename: str) -> TermMatcher:
    data: dict[str, Any] = json.loads(
        resources.files("testigo.core").joinpath("vocabularies", filename).read_text("utf-8")
    )
    return TermMatcher(
        TermLabels(t["code"], (t["name_es"], t["name_en"], *t.get("synonyms", [])))
        for t in data["terms"]
    )


def context_from_pack(pack: str | os.PathLike[str] = "ve") -> ReportedContext:
    """The context for a country pack (a directory, or the code of a built-in pack)."""
    country = pack_read(pack)
    manifest = country.manifest
    return ReportedContext(
        id_format=country.national_id_format(),
        gazetteer=Gazetteer(country.gazetteer_places()),
        act_types=_vocabulary("act_types.json"),
        bodies=TermMatcher(
            TermLabels(b["code"], (b["name"]["es"], b["name"]["en"], *b.get("aliases", [])))
            for b in manifest.get("perpetrator_bodies", [])
        ),
        facilities=TermMatcher(
            TermLabels(f["code"], (f["name"], *f.get("aliases", [])))
            for f in manifest.get("detention_facilities", [])
        ),
        affiliations=_vocabulary("affiliations.json"),
    )

"""Writes across core models. Each takes the acting user implicitly from the audit context,
runs in one transaction, and leaves audit entries (through signals or explicitly for bulk)."""

from __future__ import annotations

import json
from importlib import resources

from django.db import transaction

from testigo.core.models import Person, VocabularyTerm

VOCABULARY_FILES = ("act_types.json", "affiliations.json")


def vocabularies_load() -> int:
    """Create or update the built-in vocabularies; returns how many terms changed."""
    changed = 0
    with transaction.atomic():
        for filename in VOCABULARY_FILES:
            text = (
                resources.files("testigo.core")
                .joinpath("vocabularies", filename)
                .read_text(encoding="utf-8")
            )
            payload = json.loads(text)
            for term in payload["terms"]:
                values = {k: v for k, v in term.items() if k not in {"code", "synonyms"}}
                values["synonyms"] = term.get("synonyms", [])
                obj = VocabularyTerm.all_objects.filter(
                    vocabulary=payload["vocabulary"], code=term["code"]
                ).first()
                if obj is None:
                    VocabularyTerm.objects.create(
                        vocabulary=payload["vocabulary"], code=term["code"], **values
                    )
                    changed += 1
                elif any(getattr(obj, k) != v for k, v in values.items()):
                    for key, value in values.items():
                        setattr(obj, key, value)
                    obj.save()
                    changed += 1
    return changed


def person_next_pseudonym(prefix: str = "V") -> str:
    """The next free pseudonym code, e.g. ``V-00042``."""
    codes = Person.all_objects.filter(pseudonym_code__startswith=f"{prefix}-").values_list(
        "pseudonym_code", flat=True
    )
    highest = max((int(code.split("-", 1)[1]) for code in codes), default=0)
    return f"{prefix}-{highest + 1:05d}"

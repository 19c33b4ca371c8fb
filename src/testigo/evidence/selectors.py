"""Reads of evidence: who may see which items, and whose names an export must hide."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from testigo.accounts.permissions import Capability, can
from testigo.core.models import Case, Person
from testigo.core.selectors import cases_visible_to
from testigo.evidence.models import CustodyEvent, EvidenceItem


def evidence_visible_to(user: Any) -> QuerySet[EvidenceItem]:
    """Every item for roles that see everything; for a lawyer, the items linked to their cases.

    An item counts as linked to a case when it is attached to the case itself or to one of the
    case's violations; a stripped copy follows its original.
    """
    if not can(user, Capability.VIEW_RECORD):
        return EvidenceItem.objects.none()
    if can(user, Capability.VIEW_ALL):
        return EvidenceItem.objects.all()
    cases = cases_visible_to(user)
    linked = EvidenceItem.objects.filter(
        Q(cases__in=cases) | Q(violations__cases__in=cases)
    ).values("pk")
    return EvidenceItem.objects.filter(Q(pk__in=linked) | Q(derived_from__in=linked))


def evidence_get(user: Any, pk: int) -> EvidenceItem | None:
    return evidence_visible_to(user).filter(pk=pk).first()


def custody_events_of(item: EvidenceItem) -> QuerySet[CustodyEvent]:
    return item.custody_events.select_related("actor").order_by("at", "id")


def name_variants(person: Person) -> list[str]:
    """The ways a person's name is commonly written: full, surnames first, first + first."""
    given, surnames = person.given_names.split(), person.surnames.split()
    variants = {
        " ".join(given + surnames),
        " ".join(surnames + given),
    }
    if given and surnames:
        variants.add(f"{given[0]} {surnames[0]}")
        variants.add(f"{surnames[0]} {given[0]}")
    return sorted(v for v in variants if v)


def protected_names_for(items: Iterable[EvidenceItem], case: Case | None = None) -> dict[str, str]:
    """Name → pseudonym code for every protected person tied to these items (or the case)."""
    originals = {item.derived_from_id or item.pk for item in items}
    condition = (
        Q(evidence__in=originals)
        | Q(evidence_provided__in=originals)
        | Q(violations__evidence__in=originals)
    )
    if case is not None:
        condition |= Q(cases=case) | Q(violations__cases=case)
    persons = Person.all_objects.filter(condition, protected=True).distinct()
    names: dict[str, str] = {}
    for person in persons:
        for variant in name_variants(person):
            names[variant] = person.pseudonym_code
    return names

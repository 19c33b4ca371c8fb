"""Reads shared by commands and views."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from rapidfuzz import fuzz

from testigo.accounts.permissions import Capability, can
from testigo.core.models import (
    Case,
    Detention,
    DetentionFacility,
    Incident,
    PerpetratorBody,
    Person,
    Record,
    Source,
    Violation,
    VocabularyTerm,
)
from testigo.countrypacks.packfile import CountryPack
from testigo.domain.places import Gazetteer
from testigo.domain.reported import ReportedContext
from testigo.domain.search import query_keys
from testigo.domain.terms import TermLabels, TermMatcher


def vocabulary_matcher(vocabulary: str) -> TermMatcher:
    return TermMatcher(
        TermLabels(t.code, (t.name_es, t.name_en, *t.synonyms))
        for t in VocabularyTerm.objects.filter(vocabulary=vocabulary)
    )


def reported_context(pack: CountryPack) -> ReportedContext:
    """Everything the row normaliser needs, from the pack and the database."""
    bodies = TermMatcher(
        TermLabels(b.code, (b.name_es, b.name_en, *b.attributes.get("aliases", [])))
        for b in PerpetratorBody.objects.all()
    )
    facilities = TermMatcher(
        TermLabels(f.code, (f.name, *f.attributes.get("aliases", [])))
        for f in DetentionFacility.objects.all()
    )
    return ReportedContext(
        id_format=pack.national_id_format(),
        gazetteer=Gazetteer(pack.gazetteer_places()),
        act_types=vocabulary_matcher(VocabularyTerm.Vocabulary.ACT_TYPE),
        bodies=bodies,
        facilities=facilities,
        affiliations=vocabulary_matcher(VocabularyTerm.Vocabulary.AFFILIATION),
    )


# ---------------------------------------------------------------------------- compartments


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Lawyers see the cases they are assigned to; roles with VIEW_ALL see every case."""
    if not can(user, Capability.VIEW_CASES):
        return Case.objects.none()
    if can(user, Capability.VIEW_ALL):
        return Case.objects.all()
    return Case.objects.filter(lawyers=user)


def violations_visible_to(user: Any) -> QuerySet[Violation]:
    if not can(user, Capability.VIEW_RECORD):
        return Violation.objects.none()
    if can(user, Capability.VIEW_ALL):
        return Violation.objects.all()
    return Violation.objects.filter(cases__in=cases_visible_to(user)).distinct()


def persons_visible_to(user: Any) -> QuerySet[Person]:
    """A lawyer's compartment: the clients of their cases and the victims of its violations."""
    if not can(user, Capability.VIEW_RECORD):
        return Person.objects.none()
    if can(user, Capability.VIEW_ALL):
        return Person.objects.all()
    cases = cases_visible_to(user)
    return Person.objects.filter(Q(cases__in=cases) | Q(violations__cases__in=cases)).distinct()


def records_visible_to(user: Any) -> QuerySet[Record]:
    if not can(user, Capability.VIEW_RECORD):
        return Record.objects.none()
    if can(user, Capability.VIEW_ALL):
        return Record.objects.all()
    return Record.objects.filter(person__in=persons_visible_to(user))


def detentions_visible_to(user: Any) -> QuerySet[Detention]:
    if can(user, Capability.VIEW_ALL) and can(user, Capability.VIEW_RECORD):
        return Detention.objects.all()
    return Detention.objects.filter(person__in=persons_visible_to(user))


def incidents_visible_to(user: Any) -> QuerySet[Incident]:
    if can(user, Capability.VIEW_ALL) and can(user, Capability.VIEW_RECORD):
        return Incident.objects.all()
    return Incident.objects.filter(violations__in=violations_visible_to(user)).distinct()


def sources_visible_to(user: Any) -> QuerySet[Source]:
    if can(user, Capability.VIEW_ALL) and can(user, Capability.VIEW_RECORD):
        return Source.objects.all()
    return Source.objects.filter(records__in=records_visible_to(user)).distinct()


# ---------------------------------------------------------------------------- search


def search_filter(queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Rows whose search key holds every query word, forgiving accents and misspellings.

    Each word is reduced to its sound-alike skeleton and matched on its first letters, so
    "Jose Peres" finds "José Gregorio Pérez Rodríguez" and "Rodrigez" finds "Rodríguez".
    """
    for key in query_keys(query):
        fragment = key if key.isdigit() else key[: max(3, min(len(key), 4))]
        queryset = queryset.filter(search_text__contains=f" {fragment}")
    return queryset


def rank_by_similarity(rows: list[Any], query: str, text_of: Any) -> list[Any]:
    """Order a page of candidates by how closely their name matches the query."""
    folded = " ".join(query_keys(query))
    return sorted(rows, key=lambda row: -fuzz.token_set_ratio(folded, text_of(row).strip()))

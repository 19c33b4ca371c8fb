"""Reads shared by commands and views."""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from rapidfuzz import fuzz

from testigo.accounts.permissions import Capability, can
from testigo.core import search_index
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
    """A lawyer's compartment as ``id IN (the case links)``: no join, no DISTINCT, so filters
    and ordering stay on the violation table and its indexes."""
    if not can(user, Capability.VIEW_RECORD):
        return Violation.objects.none()
    if can(user, Capability.VIEW_ALL):
        return Violation.objects.all()
    links = Case.violations.through.objects.filter(case__in=cases_visible_to(user))
    return Violation.objects.filter(pk__in=links.values("violation_id"))


def persons_visible_to(user: Any) -> QuerySet[Person]:
    """A lawyer's compartment: the clients of their cases and the victims of its violations,
    as one ``id IN (clients UNION victims)`` (an OR across two join chains read every person)."""
    if not can(user, Capability.VIEW_RECORD):
        return Person.objects.none()
    if can(user, Capability.VIEW_ALL):
        return Person.objects.all()
    cases = cases_visible_to(user)
    clients = Case.clients.through.objects.filter(case__in=cases).values("person_id")
    victims = Case.violations.through.objects.filter(case__in=cases).values("violation__victim_id")
    return Person.objects.filter(pk__in=clients.union(victims))


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
    fragments = [
        key if key.isdigit() else key[: max(3, min(len(key), 4))] for key in query_keys(query)
    ]
    if not fragments:
        return queryset
    connection = connections[queryset.db]
    if search_index.uses_fts(connection, queryset.model):
        fts = search_index.fts_table(queryset.model._meta.db_table)
        matching = RawSQL(  # noqa: S611 - the table name is ours, the query a parameter
            f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s",  # noqa: S608
            (search_index.match_expression(fragments),),
        )
        return queryset.filter(pk__in=matching)
    for fragment in fragments:
        queryset = queryset.filter(search_text__contains=f" {fragment}")
    return queryset


def rank_by_similarity(rows: list[Any], query: str, text_of: Any) -> list[Any]:
    """Order a page of candidates by how closely their name matches the query."""
    folded = " ".join(query_keys(query))
    return sorted(rows, key=lambda row: -fuzz.token_set_ratio(folded, text_of(row).strip()))

"""Reads shared by commands and views."""

from __future__ import annotations

from testigo.core.models import DetentionFacility, PerpetratorBody, VocabularyTerm
from testigo.countrypacks.packfile import CountryPack
from testigo.domain.places import Gazetteer
from testigo.domain.reported import ReportedContext
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

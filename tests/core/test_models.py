"""The domain model's invariants, on a real database."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from testigo.core.models import (
    Detention,
    Person,
    Record,
    Source,
    Violation,
    VocabularyTerm,
)
from testigo.core.services import person_next_pseudonym, vocabularies_load
from testigo.domain.dates import PartialDate

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(actor):
    return Source.objects.create(name="Lista ONG", kind="ngo_list")


@pytest.fixture
def vocab(actor):
    vocabularies_load()


def test_a_partial_date_keeps_its_precision_through_the_database(source):
    for value in (
        PartialDate.day(2024, 8, 15),
        PartialDate.month(2024, 8),
        PartialDate.year(1985),
        PartialDate.range(date(2024, 8, 11), date(2024, 8, 20), approximate=True),
    ):
        record = Record.objects.create(source=source, external_key=str(value), event_date=value)
        assert Record.objects.get(pk=record.pk).event_date == value


def test_records_sort_and_filter_by_partial_dates(source):
    for key, value in [
        ("late", PartialDate.day(2024, 9, 2)),
        ("month", PartialDate.month(2024, 8)),
        ("early", PartialDate.day(2024, 7, 29)),
        ("year", PartialDate.year(2023)),
    ]:
        Record.objects.create(source=source, external_key=key, event_date=value)
    ordered = list(Record.objects.order_by("event_date").values_list("external_key", flat=True))
    assert ordered == ["year", "early", "month", "late"]
    in_august = Record.objects.filter(event_date__gte="2024-08", event_date__lt="2024-09")
    assert list(in_august.values_list("external_key", flat=True)) == ["month"]


def test_a_source_grade_outside_the_admiralty_scale_is_refused(actor):
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(name="Bad", kind="media", credibility=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(name="Bad", kind="media", reliability="G")


def test_a_pseudonym_must_look_like_one(actor):
    Person.objects.create(pseudonym_code="V-00001")
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(pseudonym_code="José Pérez")


def test_a_source_row_version_is_unique(source):
    Record.objects.create(source=source, external_key="17", version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.create(source=source, external_key="17", version=1)
    newer = Record.objects.create(
        source=source, external_key="17", version=2, supersedes=Record.objects.get(version=1)
    )
    assert newer.supersedes.superseded_by == newer


def test_link_confidence_is_a_probability(source):
    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.create(source=source, external_key="x", link_confidence=1.5)


def test_a_detention_cannot_end_before_it_starts(actor):
    person = Person.objects.create(pseudonym_code="V-00001")
    detention = Detention(
        person=person,
        start=PartialDate.day(2024, 8, 2),
        end=PartialDate.day(2024, 7, 30),
        status="released",
    )
    with pytest.raises(ValidationError) as info:
        detention.full_clean()
    assert "end" in info.value.message_dict


def test_a_detention_duration_respects_both_precisions(actor):
    person = Person.objects.create(pseudonym_code="V-00001")
    detention = Detention(
        person=person,
        start=PartialDate.day(2024, 8, 2),
        end=PartialDate.month(2024, 12),
        status="released",
    )
    assert detention.duration_days() == (121, 151)


def test_an_alleged_perpetrator_cannot_be_the_victim(vocab):
    perpetrator = Person.objects.create(pseudonym_code="P-00001", role="perpetrator")
    act = VocabularyTerm.objects.get(vocabulary="act_type", code="killing")
    with pytest.raises(ValidationError):
        Violation(victim=perpetrator, act_type=act).full_clean()


def test_every_rome_statute_article_7_act_has_a_term(vocab):
    articles = set(
        VocabularyTerm.objects.filter(vocabulary="act_type").values_list("rome_statute", flat=True)
    )
    for letter in "abcdefghijk":
        assert f"7(1)({letter})" in articles


def test_loading_vocabularies_twice_changes_nothing(vocab):
    assert vocabularies_load() == 0


def test_terms_show_in_the_users_language(vocab):
    term = VocabularyTerm.objects.get(vocabulary="act_type", code="enforced_disappearance")
    with translation.override("es"):
        assert term.label == "Desaparición forzada"
    with translation.override("en"):
        assert term.label == "Enforced disappearance"


def test_pseudonyms_are_issued_in_sequence(actor):
    assert person_next_pseudonym() == "V-00001"
    Person.objects.create(pseudonym_code="V-00041")
    assert person_next_pseudonym() == "V-00042"


def test_a_deleted_person_stays_in_the_database_and_can_be_restored(actor):
    person = Person.objects.create(pseudonym_code="V-00007")
    person.delete()
    assert not Person.objects.filter(pk=person.pk).exists()
    person.restore()
    assert Person.objects.filter(pk=person.pk).exists()

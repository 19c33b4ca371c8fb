"""Linkage over the database: persons from clusters, violations, the review queue, merges."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from testigo.audit.services import audit_verify
from testigo.core.models import Detention, Person, Record, Violation
from testigo.demo.models import TruthLink
from testigo.demo.services import demo_load
from testigo.linkage import LinkSettings
from testigo.matching.models import MatchDecision, PersonMerge, ReviewPair
from testigo.matching.services import (
    linkage_run,
    person_merge,
    person_merge_undo,
    review_decide,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def linked(django_db_setup, django_db_blocker):
    """One demo data set of 1,500 records, linked once for the whole module."""
    from testigo.audit.context import acting_as

    with django_db_blocker.unblock(), acting_as("test:linkage"):
        demo_load(n_records=1_500, seed=11)
        run = linkage_run(settings=LinkSettings(threads=2))
    yield run
    with django_db_blocker.unblock():
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)


def pairs_of(assignment: dict[int, object]) -> set[tuple[int, int]]:
    groups = defaultdict(list)
    for record, key in assignment.items():
        groups[key].append(record)
    return {
        pair for members in groups.values() for pair in itertools.combinations(sorted(members), 2)
    }


def test_every_record_is_linked_to_a_person(linked):
    assert not Record.objects.filter(person__isnull=True).exists()
    assert linked.persons == Person.objects.count()
    assert 300 < linked.persons < 1_500


def test_linkage_recovers_the_true_persons(linked):
    truth = dict(TruthLink.objects.values_list("record_id", "true_person_key"))
    found = dict(Record.objects.values_list("id", "person_id"))
    true_pairs, found_pairs = pairs_of(truth), pairs_of(found)
    hits = len(true_pairs & found_pairs)
    precision, recall = hits / len(found_pairs), hits / len(true_pairs)
    f1 = 2 * precision * recall / (precision + recall)
    print(f"pairwise precision {precision:.3f} recall {recall:.3f} F1 {f1:.3f}")
    assert precision > 0.95
    assert f1 >= 0.85  # the 0.95 is measured by bench/linkage; see docs/benchmarks.md


def test_violations_and_detentions_come_from_the_records(linked):
    assert Violation.objects.exists()
    assert Detention.objects.filter(violation__act_type__code="arbitrary_detention").exists()
    violation = Violation.objects.filter(records__isnull=False).first()
    assert all(r.person_id == violation.victim_id for r in violation.records.all())


def test_the_audit_chain_holds_after_a_run(linked):
    assert audit_verify().intact


def test_uncertain_pairs_wait_for_review_in_priority_order(linked):
    pairs = list(ReviewPair.objects.filter(status="open")[:20])
    priorities = [p.priority for p in pairs]
    assert priorities == sorted(priorities, reverse=True)


def test_a_merge_moves_everything_and_undo_puts_it_back(linked):
    a, b = Person.objects.filter(records__isnull=False).distinct()[:2]
    a_records = set(a.records.values_list("pk", flat=True))
    merge = person_merge(kept=b, absorbed=a)
    assert not Person.objects.filter(pk=a.pk).exists()
    assert a_records <= set(b.records.values_list("pk", flat=True))
    person_merge_undo(merge)
    assert Person.objects.filter(pk=a.pk).exists()
    assert set(Person.objects.get(pk=a.pk).records.values_list("pk", flat=True)) == a_records
    assert PersonMerge.objects.get(pk=merge.pk).undone_at is not None


def test_deciding_not_the_same_person_splits_the_record_off(linked):
    user = get_user_model().objects.create_user("ana", password=None)
    person = next(p for p in Person.objects.all() if p.records.count() >= 2)
    first, second = person.records.all()[:2]
    pair = ReviewPair.objects.create(
        run=linked, record_a=first, record_b=second, probability=0.5, priority=1.0
    )
    review_decide(pair=pair, decision="non_match", user=user)
    second.refresh_from_db()
    assert second.person_id != person.pk
    assert MatchDecision.objects.filter(record_a=first, record_b=second).exists()


def test_deciding_the_same_person_merges_two_persons(linked):
    user = get_user_model().objects.create_user("luis", password=None)
    a, b = Person.objects.filter(records__isnull=False).distinct()[2:4]
    pair = ReviewPair.objects.create(
        run=linked,
        record_a=a.records.first(),
        record_b=b.records.first(),
        probability=0.5,
        priority=1.0,
    )
    before = Person.objects.count()
    review_decide(pair=pair, decision="match", user=user)
    assert Person.objects.count() == before - 1


def test_the_review_page_shows_two_records_and_records_a_decision(client, linked):
    user = get_user_model().objects.create_user("rev", password=None)
    user.groups.add(Group.objects.get_or_create(name="analyst")[0])
    user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    client.force_login(user)
    pair = ReviewPair.objects.filter(status="open").first()
    page = client.get(f"/review/pairs/{pair.pk}/").content.decode()
    assert f"#{pair.record_a_id}" in page and f"#{pair.record_b_id}" in page
    response = client.post(f"/review/pairs/{pair.pk}/", {"decision": "unsure"})
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == "decided"


def test_an_uncleared_analyst_cannot_review(client, linked):
    user = get_user_model().objects.create_user("nope", password=None)
    user.groups.add(Group.objects.get_or_create(name="analyst")[0])
    client.force_login(user)
    assert client.get("/review/").status_code == 403

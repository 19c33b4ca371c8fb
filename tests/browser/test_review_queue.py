"""An analyst works through the linkage review queue with the keyboard and sees the count of
distinct victims change, then undoes a merge."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from testigo.audit.context import acting_as
from testigo.audit.models import AuditEntry
from testigo.core.models import Person, Record, Source
from testigo.domain.dates import PartialDate
from testigo.matching.models import LinkageRun, MatchDecision, ReviewPair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long demo passphrase 42"


@pytest.fixture
def queue(db):
    """Three persons from two lists; two uncertain pairs waiting for a decision."""
    with acting_as("test"):
        foro = Source.objects.create(name="Foro list", kind="ngo_list")
        official = Source.objects.create(name="Official list", kind="ngo_list")
        records = {}
        for code, source, key, given, surnames, born in (
            ("V-00001", foro, "1", "José Gregorio", "Pérez Rodríguez", PartialDate.year(1990)),
            ("V-00002", official, "9", "JOSE G", "PEREZ", PartialDate.day(1990, 3, 4)),
            ("V-00003", official, "10", "María", "González", None),
        ):
            person = Person.objects.create(
                pseudonym_code=code, given_names=given, surnames=surnames
            )
            records[code] = Record.objects.create(
                source=source,
                external_key=key,
                person=person,
                given_names=given,
                surnames=surnames,
                birth_date=born,
            )
        run = LinkageRun.objects.create(records=3, persons=3)
        same = ReviewPair.objects.create(
            run=run,
            record_a=records["V-00001"],
            record_b=records["V-00002"],
            probability=0.6,
            priority=2.0,
        )
        different = ReviewPair.objects.create(
            run=run,
            record_a=records["V-00001"],
            record_b=records["V-00003"],
            probability=0.4,
            priority=1.0,
        )
        user = get_user_model().objects.create_user("ana", password=PASSWORD)
        user.groups.add(Group.objects.get_or_create(name="analyst")[0])
        user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return {"same": same, "different": different, "user": user}


def test_an_analyst_decides_pairs_with_the_keyboard_and_the_count_of_victims_changes(
    page, live_server, queue, log_in
):
    log_in(page, "ana", PASSWORD)

    page.goto(f"{live_server.url}/review/")
    expect(page.locator("#distinct-victims")).to_have_text("3")
    page.get_by_role("link", name=re.compile("Start reviewing")).click()

    # The most useful pair comes first, side by side, with the disagreeing cells marked.
    page.wait_for_url(re.compile(rf"/review/pairs/{queue['same'].pk}/$"))
    expect(page.get_by_role("heading", name="Same person?")).to_be_visible()
    expect(page.locator("td.differs").first).to_be_visible()
    page.keyboard.press("m")

    # Merged: the next pair opens and the count of distinct persons has dropped.
    page.wait_for_url(re.compile(rf"/review/pairs/{queue['different'].pk}/$"))
    expect(page.locator("#distinct-victims")).to_have_text("2")
    page.keyboard.press("n")

    page.wait_for_url(re.compile(r"/review/$"))
    expect(page.locator("#distinct-victims")).to_have_text("2")
    expect(page.get_by_text("Nothing to review.")).to_be_visible()
    decisions = MatchDecision.objects.order_by("id")
    assert [d.decision for d in decisions] == ["match", "non_match"]
    assert all(d.decided_by_id == queue["user"].pk for d in decisions)
    assert (
        AuditEntry.objects.filter(
            object_type="matching.matchdecision", actor__startswith=f"user:{queue['user'].pk}:"
        ).count()
        == 2
    )

    # A merge is undone from the queue page, and the victim counts as two persons again.
    page.get_by_role("button", name="Undo").click()
    page.wait_for_url(re.compile(r"/review/$"))
    expect(page.locator("#distinct-victims")).to_have_text("3")

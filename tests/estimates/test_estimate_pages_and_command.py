"""`testigo estimate` in file mode, and estimates from the database through the web page."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import override_settings

from testigo.audit.context import acting_as
from testigo.core.models import Person, Record, Source, VocabularyTerm
from testigo.core.services import vocabularies_load
from testigo.estimates.models import EstimateRun

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "mse"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_the_command_prints_the_json_contract(tmp_path):
    histories = tmp_path / "h.csv"
    histories.write_text(
        "A,B,C,count\n1,0,0,60\n0,1,0,50\n0,0,1,40\n1,1,0,20\n1,0,1,15\n0,1,1,12\n1,1,1,6\n"
    )
    out = StringIO()
    call_command(
        "estimate", "--input", str(histories), "--method", "loglinear", "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert result["method"] == "loglinear"
    assert result["observed"] == 203
    assert result["interval"] == 0.95
    assert result["lower"] <= result["estimate"] <= result["upper"]


@pytest.mark.skipif(not SHARED.exists(), reason="shared reference data not beside the repo")
def test_lcmcr_on_kosovo_lands_near_the_published_figure():
    out = StringIO()
    call_command(
        "estimate",
        "--input",
        str(SHARED / "kosovo.csv"),
        "--seed",
        "3",
        "--samples",
        "1000",
        "--thinning",
        "10",
        "--json",
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert result["observed"] == 4400
    assert 9_500 < result["estimate"] < 11_500  # Ball et al. 2002: 10,356


def test_two_lists_are_refused_with_the_reason(tmp_path):
    histories = tmp_path / "two.csv"
    histories.write_text("A,B,count\n1,0,10\n0,1,12\n1,1,3\n")
    with pytest.raises(CommandError, match="3"):
        call_command("estimate", "--input", str(histories))


@pytest.fixture
def analyst(db):
    user = get_user_model().objects.create_user("ana", password=None)
    user.groups.add(Group.objects.get_or_create(name="analyst")[0])
    return user


def documented(n_sources: int, patterns: list[tuple[int, ...]]) -> None:
    """Linked persons, each documented by the sources its pattern names."""
    with acting_as("test"):
        vocabularies_load()
        killing = VocabularyTerm.objects.get(code="killing")
        sources = [Source.objects.create(name=f"S{i}", kind="ngo_list") for i in range(n_sources)]
        for number, pattern in enumerate(patterns, start=1):
            person = Person.objects.create(pseudonym_code=f"V-{number:05d}")
            for source, captured in zip(sources, pattern, strict=True):
                if captured:
                    Record.objects.create(
                        source=source, external_key=str(number), person=person, act_type=killing
                    )


@override_settings(TASKS=IMMEDIATE)
def test_the_web_page_runs_an_estimate_of_killings_with_its_interval(client, analyst):
    patterns = (
        [(1, 0, 0)] * 30
        + [(0, 1, 0)] * 25
        + [(0, 0, 1)] * 20
        + [(1, 1, 0)] * 10
        + [(1, 0, 1)] * 8
        + [(0, 1, 1)] * 6
        + [(1, 1, 1)] * 4
    )
    documented(3, patterns)
    client.force_login(analyst)
    response = client.post("/estimates/", {"act_type": "killing", "method": "loglinear"})
    run = EstimateRun.objects.get()
    assert response["Location"] == f"/estimates/{run.pk}/"
    assert run.status == "done", run.message
    assert run.result["observed"] == len(patterns)
    page = client.get(f"/estimates/{run.pk}/").content.decode()
    assert 'id="estimate"' in page
    assert "assum" in page.lower() or "supone" in page.lower()


@override_settings(TASKS=IMMEDIATE)
def test_an_estimate_the_data_cannot_support_is_refused_saying_why(client, analyst):
    documented(2, [(1, 0), (0, 1), (1, 1)])
    client.force_login(analyst)
    client.post("/estimates/", {"act_type": "killing", "method": "lcmcr"})
    run = EstimateRun.objects.get()
    assert run.status == "refused"
    assert run.message
    assert run.message in client.get(f"/estimates/{run.pk}/").content.decode()


def test_viewers_cannot_run_estimates(client, db):
    user = get_user_model().objects.create_user("v", password=None)
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client.force_login(user)
    assert client.get("/estimates/").status_code == 403

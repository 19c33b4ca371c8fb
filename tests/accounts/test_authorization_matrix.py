"""Every page × every role, checked against the documented matrix in docs/permissions.md."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import get_resolver, reverse

from testigo.audit.context import acting_as
from testigo.blobstore import MasterKey, recovery_file_write
from testigo.core.models import (
    Case,
    Detention,
    Incident,
    Person,
    Record,
    Source,
    Violation,
    VocabularyTerm,
)
from testigo.core.services import vocabularies_load
from testigo.estimates.models import EstimateRun
from testigo.evidence.services import evidence_add
from testigo.evidence.store import keys_init, store_cache_clear
from testigo.imports.mapfile import SourceMapping
from testigo.imports.services import batch_upload, mapping_save
from testigo.imports.storage import file_keep
from testigo.matching.models import LinkageRun, ReviewPair
from testigo.matching.services import person_merge

MATRIX_DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLES = ["anonymous", "administrator", "analyst", "documenter", "lawyer", "viewer"]
CLEARED = {"administrator", "analyst", "documenter", "lawyer"}
PUBLIC = {"accounts:login", "accounts:logout", "set_language"}


def documented_matrix() -> dict[tuple[str, str], dict[str, str]]:
    rows = {}
    for line in MATRIX_DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| ([a-z]+:\w+) \| (GET|POST) \| (.+) \|$", line)
        if match:
            cells = [c.strip() for c in match.group(3).split("|")]
            rows[(match.group(1), match.group(2))] = dict(zip(ROLES, cells, strict=True))
    return rows


MATRIX = documented_matrix()


def test_every_page_is_in_the_documented_matrix():
    names = set()
    for namespace in ("core", "accounts", "evidence", "imports", "matching", "estimates"):
        resolver = get_resolver().namespace_dict[namespace][1]
        names |= {f"{namespace}:{name}" for name in resolver.reverse_dict if isinstance(name, str)}
    documented = {name for name, _ in MATRIX}
    assert names - PUBLIC == documented


@pytest.fixture
def evidence_store_for_test(settings, tmp_path, monkeypatch):
    """A fresh evidence store in this test's data directory, its raw key kept outside it."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    recovery_file_write(tmp_path / "master-key.txt", MasterKey.generate())
    monkeypatch.setenv("TESTIGO_EVIDENCE_KEY_FILE", str(tmp_path / "master-key.txt"))
    store_cache_clear()
    keys_init()
    yield
    store_cache_clear()


@pytest.fixture
def world(db, evidence_store_for_test):
    """Two lawyers' compartments (A and B) and one user per role."""
    with acting_as("test"):
        vocabularies_load()
        act = VocabularyTerm.objects.get(vocabulary="act_type", code="arbitrary_detention")
        users = {}
        reveal = Permission.objects.get(codename="reveal_identity")
        for role in ROLES[1:]:
            user = get_user_model().objects.create_user(role, password=None)
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            if role in CLEARED:
                user.user_permissions.add(reveal)
            users[role] = user
        other_lawyer = get_user_model().objects.create_user("lawyer-b", password=None)
        other_lawyer.groups.add(Group.objects.get(name="lawyer"))
        objects = {}
        for side, lawyer in (("A", users["lawyer"]), ("B", other_lawyer)):
            source = Source.objects.create(name=f"Source {side}", kind="ngo_list")
            person = Person.objects.create(
                pseudonym_code=f"V-0000{1 if side == 'A' else 2}",
                given_names="Ana",
                surnames="Pérez",
                protected=False,
            )
            record = Record.objects.create(source=source, external_key=side, person=person)
            incident = Incident.objects.create(title=f"Incident {side}")
            violation = Violation.objects.create(victim=person, act_type=act, incident=incident)
            detention = Detention.objects.create(person=person, violation=violation)
            case = Case.objects.create(reference=f"C-{side}", title=side, target_body="icc_otp")
            case.lawyers.add(lawyer)
            case.clients.add(person)
            case.violations.add(violation)
            item = evidence_add(
                actor=None, fileobj=io.BytesIO(f"evidence {side}".encode()), filename="a.txt"
            )
            item.cases.add(case)
            objects[side] = {
                "person": person,
                "record": record,
                "incident": incident,
                "violation": violation,
                "detention": detention,
                "source": source,
                "case": case,
                "item": item,
            }
            # Imports: a batch with its kept file, and the source's saved mapping; the
            # batch_* and mapping_* names resolve through these keys in url_for.
            kept = file_keep(io.BytesIO(f"Nombre,Estado\nAna Pérez {side},Lara\n".encode()))
            objects[side]["batch"] = batch_upload(
                actor=None, kept=kept, file_name="a.csv", source_name=source.name
            )
            objects[side]["mapping"] = mapping_save(
                actor=None, source=source, mapping=SourceMapping()
            )
            # Linkage review and estimates: review_*, merge_* and run_* names resolve here.
            second = Record.objects.create(source=source, external_key=f"{side}2", person=person)
            linkage = LinkageRun.objects.create()
            objects[side]["review"] = ReviewPair.objects.create(
                run=linkage, record_a=record, record_b=second, probability=0.5, priority=1
            )
            absorbed = Person.objects.create(pseudonym_code=f"V-0009{1 if side == 'A' else 2}")
            objects[side]["merge"] = person_merge(kept=person, absorbed=absorbed)
            objects[side]["run"] = EstimateRun.objects.create(
                requested_by=users["analyst"], parameters={"act_type": "killing"}
            )
    return users, objects


def url_for(name: str, side: dict) -> str:
    model = name.split(":")[1].split("_")[0]
    try:
        return reverse(name)
    except Exception:
        pass
    if name.startswith("accounts:"):
        return reverse(name, args=[get_user_model().objects.first().pk])
    return reverse(name, args=[side[model].pk])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", sorted(MATRIX), ids=lambda p: f"{p[0]}-{p[1]}")
def test_each_role_gets_exactly_what_the_matrix_says(client, world, role, page):
    users, objects = world
    name, method = page
    expected = MATRIX[page][role]
    if role != "anonymous":
        client.force_login(users[role])
    send = client.post if method == "POST" else client.get
    data = {"reason": "matrix test"} if method == "POST" else None

    response = send(url_for(name, objects["A"]), data)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif expected == "no":
        assert response.status_code == 403
    else:
        assert response.status_code in ({302} if method == "POST" else {200}), response.status_code

    if expected == "own" or (
        role == "lawyer" and expected == "yes" and ":" in name and name.endswith("_detail")
    ):
        other = send(url_for(name, objects["B"]), data)
        assert other.status_code == 404

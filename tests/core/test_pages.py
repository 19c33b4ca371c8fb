"""The staff pages as a documenter, lawyer or analyst uses them (server side)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from testigo.audit.context import acting_as
from testigo.audit.models import AuditEntry
from testigo.core.models import Person, Record, Source, Violation, VocabularyTerm
from testigo.core.services import vocabularies_load
from testigo.domain.dates import PartialDate

pytestmark = pytest.mark.django_db


def make_user(name: str, role: str, cleared: bool) -> object:
    user = get_user_model().objects.create_user(name, password=None)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if cleared:
        user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return user


@pytest.fixture
def victim(db):
    with acting_as("test"):
        vocabularies_load()
        person = Person.objects.create(
            pseudonym_code="V-00042", given_names="José Gregorio", surnames="Pérez Rodríguez"
        )
        for name, surnames, born in (
            ("NGO list", "Pérez Rodríguez", PartialDate.year(1990)),
            ("Lawyer dossier", "Pérez Rodríguez", PartialDate.day(1990, 3, 4)),
            ("Media", "Perez", None),
        ):
            source = Source.objects.create(name=name, kind="ngo_list")
            Record.objects.create(
                source=source,
                external_key="1",
                person=person,
                given_names="José",
                surnames=surnames,
                birth_date=born,
            )
        Violation.objects.create(
            victim=person,
            act_type=VocabularyTerm.objects.get(code="arbitrary_detention"),
            date=PartialDate.month(2024, 8),
        )
    return person


def test_a_cleared_analyst_finds_a_victim_by_a_misspelled_name(client, victim):
    client.force_login(make_user("ana", "analyst", cleared=True))
    page = client.get("/persons/", {"q": "Jose Peres Rodrigez"}).content.decode()
    assert "V-00042" in page


def test_an_uncleared_viewer_cannot_search_by_name_only_by_pseudonym(client, victim):
    client.force_login(make_user("vera", "viewer", cleared=False))
    assert "V-00042" not in client.get("/persons/", {"q": "Jose Perez"}).content.decode()
    assert "V-00042" in client.get("/persons/", {"q": "v-00042"}).content.decode()


def test_a_protected_person_shows_only_the_pseudonym_until_revealed(client, victim):
    client.force_login(make_user("ana", "analyst", cleared=True))
    page = client.get(f"/persons/{victim.pk}/").content.decode()
    assert "Pérez Rodríguez" not in page
    assert "Reveal identity" in page or "Revelar identidad" in page

    refused = client.post(f"/persons/{victim.pk}/reveal/", {"reason": ""})
    assert refused.status_code == 302
    assert not AuditEntry.objects.filter(action="reveal").exists()

    client.post(f"/persons/{victim.pk}/reveal/", {"reason": "preparing the ICC submission"})
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.object_id == str(victim.pk)
    assert "preparing the ICC submission" in entry.after
    assert entry.actor.endswith(":ana")
    assert "Pérez Rodríguez" in client.get(f"/persons/{victim.pk}/").content.decode()


def test_opening_a_person_is_logged_as_a_read(client, victim):
    user = make_user("vera", "viewer", cleared=False)
    client.force_login(user)
    client.get(f"/persons/{victim.pk}/")
    assert AuditEntry.objects.filter(
        action="read", object_type="core.person", object_id=str(victim.pk), actor__contains="vera"
    ).exists()


def test_the_person_page_shows_each_source_side_by_side_and_marks_disagreement(client, victim):
    client.force_login(make_user("ana", "analyst", cleared=True))
    client.post(f"/persons/{victim.pk}/reveal/", {"reason": "linkage review"})
    page = client.get(f"/persons/{victim.pk}/").content.decode()
    for source in ("NGO list", "Lawyer dossier", "Media"):
        assert source in page
    assert 'class="differs">4 de marzo de 1990' in page  # the birth dates disagree
    assert "agosto de 2024" in page  # the timeline, in the default language


def test_correcting_a_violation_is_audited_with_the_user(client, victim):
    user = make_user("doc", "documenter", cleared=True)
    client.force_login(user)
    violation = victim.violations.get()
    response = client.post(
        f"/violations/{violation.pk}/edit/",
        {
            "victim": "V-00042",
            "act_type": violation.act_type_id,
            "date": "mediados de agosto de 2024",
            "status": "corroborated",
            "description": "two sources agree",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    violation.refresh_from_db()
    assert violation.date.to_edtf() == "2024-08-11/2024-08-20~"
    assert violation.status == "corroborated"
    entry = AuditEntry.objects.filter(object_type="core.violation").order_by("-seq").first()
    assert entry.action == "update" and entry.actor == f"user:{user.pk}:doc"


def test_a_bad_date_is_explained_next_to_the_field(client, victim):
    client.force_login(make_user("doc", "documenter", cleared=True))
    violation = victim.violations.get()
    response = client.post(
        f"/violations/{violation.pk}/edit/",
        {
            "victim": "V-00042",
            "act_type": violation.act_type_id,
            "date": "32/08/2024",
            "status": "alleged",
        },
    )
    assert response.status_code == 200
    assert "32/08/2024" in response.content.decode()
    assert 'class="errorlist"' in response.content.decode()


def test_pages_switch_to_spanish(client, victim):
    client.force_login(make_user("ana", "analyst", cleared=True))
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    page = client.get("/violations/").content.decode()
    assert 'lang="es"' in page
    assert "Detención arbitraria" in page
    assert "<h1>Violaciones</h1>" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Arbitrary detention" in client.get("/violations/").content.decode()


def test_htmx_filtering_returns_only_the_results_table(client, victim):
    client.force_login(make_user("ana", "analyst", cleared=True))
    partial = client.get("/violations/", {"status": "alleged"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert "<table>" in partial.content.decode()


def test_logins_are_throttled_after_five_failures(client, db):
    get_user_model().objects.create_user("ana", password="correct horse battery")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "ana", "password": "wrong"})
    blocked = client.post(
        "/accounts/login/", {"username": "ana", "password": "correct horse battery"}
    )
    assert blocked.status_code == 200
    assert (
        "Too many failed attempts" in blocked.content.decode()
        or "Demasiados" in blocked.content.decode()
    )


def test_passwords_are_hashed_with_argon2id(db):
    user = get_user_model().objects.create_user("ana", password="a long passphrase 1")
    assert user.password.startswith("argon2$argon2id$")


def test_logout_ends_the_session(client, db):
    client.force_login(make_user("ana", "analyst", cleared=False))
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302

"""A documenter's and a lawyer's day, in a real browser against a live server."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from testigo.audit.context import acting_as
from testigo.audit.models import AuditEntry
from testigo.core.models import Case, Person, Record, Source, Violation, VocabularyTerm
from testigo.core.services import vocabularies_load
from testigo.domain.dates import PartialDate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long demo passphrase 42"


def make_user(name: str, role: str, cleared: bool) -> object:
    user = get_user_model().objects.create_user(name, password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if cleared:
        user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return user


@pytest.fixture
def data(db):
    with acting_as("test"):
        vocabularies_load()
        detention = VocabularyTerm.objects.get(code="arbitrary_detention")
        person = Person.objects.create(
            pseudonym_code="V-00042", given_names="José Gregorio", surnames="Pérez Rodríguez"
        )
        other = Person.objects.create(
            pseudonym_code="V-00043", given_names="María", surnames="González"
        )
        for source_name, given, surnames in (
            ("Foro list", "José Gregorio", "Pérez Rodríguez"),
            ("Official list", "JOSE G", "PEREZ"),
        ):
            source = Source.objects.create(name=source_name, kind="ngo_list")
            Record.objects.create(
                source=source,
                external_key="7",
                person=person,
                given_names=given,
                surnames=surnames,
                event_date=PartialDate.day(2024, 7, 30),
            )
        violation = Violation.objects.create(
            victim=person, act_type=detention, date=PartialDate.month(2024, 8)
        )
        ours = Case.objects.create(reference="CASE-A", title="Ours", target_body="icc_otp")
        theirs = Case.objects.create(reference="CASE-B", title="Theirs", target_body="iachr")
        ours.clients.add(person)
        ours.violations.add(violation)
        theirs.clients.add(other)
        users = {
            "analyst": make_user("ana", "analyst", cleared=True),
            "lawyer": make_user("luisa", "lawyer", cleared=True),
            "other_lawyer": make_user("pedro", "lawyer", cleared=True),
        }
        ours.lawyers.add(users["lawyer"])
        theirs.lawyers.add(users["other_lawyer"])
    return {"person": person, "violation": violation, "theirs": theirs, "users": users}


def test_an_analyst_finds_a_victim_by_a_misspelled_name_and_corrects_a_violation(
    page, live_server, data, log_in
):
    log_in(page, "ana", PASSWORD)
    page.get_by_role("link", name=re.compile("^(Persons|Personas)$")).click()
    page.get_by_label(re.compile("Search|Buscar")).fill("Jose Peres Rodrigez")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="V-00042").click()

    # Protected: only the pseudonym until an explicit, logged reveal.
    assert "Pérez Rodríguez" not in page.content()
    page.get_by_label(re.compile("Reason for revealing|Motivo")).fill("case preparation")
    page.get_by_role("button", name=re.compile("Reveal identity|Revelar identidad")).click()
    page.get_by_role("heading", name=re.compile("José Gregorio Pérez Rodríguez")).wait_for()
    assert "Foro list" in page.content() and "Official list" in page.content()
    assert page.locator("td.differs").count() > 0  # the sources disagree on the name
    page.screenshot(path="/tmp/testigo-person.png", full_page=True)

    page.get_by_role("link", name=re.compile(r"#\d+ Arbitrary detention")).click()
    page.get_by_role("link", name=re.compile("^(Edit|Editar)$")).click()
    page.get_by_label(re.compile("^(date|fecha)$", re.I)).fill("mediados de agosto de 2024")
    page.get_by_label(re.compile("^(status|estado)$", re.I)).select_option("corroborated")
    page.get_by_role("button", name=re.compile("^(Save|Guardar)$")).click()
    page.get_by_text(re.compile("Saved|Guardado")).wait_for()

    data["violation"].refresh_from_db()
    assert data["violation"].date.to_edtf() == "2024-08-11/2024-08-20~"
    assert AuditEntry.objects.filter(
        object_type="core.violation", action="update", actor__endswith=":ana"
    ).exists()
    assert AuditEntry.objects.filter(action="reveal", actor__endswith=":ana").exists()


def test_the_pages_switch_to_spanish(page, live_server, data, log_in):
    log_in(page, "ana", PASSWORD)
    page.get_by_label(re.compile("Language|Idioma")).select_option("es")
    page.wait_for_load_state()
    page.get_by_role("link", name="Violaciones").click()
    page.get_by_role("heading", name="Violaciones").wait_for()
    assert "Detención arbitraria" in page.content()
    assert page.locator("html").get_attribute("lang") == "es"
    page.screenshot(path="/tmp/testigo-violations-es.png", full_page=True)


def test_a_lawyer_cannot_open_another_lawyers_case(page, live_server, data, log_in):
    log_in(page, "luisa", PASSWORD)
    page.get_by_role("link", name=re.compile("^(Cases|Casos)$")).click()
    assert page.get_by_role("link", name="CASE-A").count() == 1
    assert page.get_by_role("link", name="CASE-B").count() == 0
    response = page.goto(f"{live_server.url}/cases/{data['theirs'].pk}/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/persons/{data['theirs'].clients.get().pk}/")
    assert response.status == 404


def test_pages_work_on_a_phone_sized_screen(browser, live_server, data, log_in):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    log_in(page, "ana", PASSWORD)
    page.goto(f"{live_server.url}/violations/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1, f"the page scrolls sideways ({width}px)"
    page.screenshot(path="/tmp/testigo-phone.png", full_page=True)
    context.close()

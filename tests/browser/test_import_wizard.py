"""A documenter imports a messy Spanish list in a real browser: upload, map, see the rows that
are wrong and why, fix the mapping, import, and find the records with their provenance."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from testigo.audit.context import acting_as
from testigo.core.models import Record
from testigo.core.services import vocabularies_load
from testigo.countrypacks.services import pack_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long demo passphrase 42"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

MESSY = (
    "Listado de detenidos - actualizado al 31/08/2024\r\n"
    "\r\n"
    "Apellidos y nombres;C.I.;Sexo;Fecha de detención;Estado;Municipio;Tipo de hecho;"
    "Observaciones\r\n"
    "PÉREZ RODRÍGUEZ JOSÉ GREGORIO;V-12.345.678;M;15/08/2024;Lara;Iribaren;detenido;\r\n"
    "GONZÁLEZ DE MÉNDEZ MARÍA DEL VALLE;13456789;F;2024-08-03;Miranda;Sucre;desaparecida;\r\n"
    "MORA PEDRO LUIS;V 9.876.543;Masculino;agosto 2024;Zulai;Maracaibo;detenido;\r\n"
    "NÚÑEZ ANA;no posee;F;mediados de agosto de 2024;Carabobo;Valencia;detenida;\r\n"
    "ROJAS CARMEN;15.666.777;F;30/02/2024;Falcón;Ciudad Fantasma;retenida en alcabala;\r\n"
)


@pytest.fixture
def documenter(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.TASKS = IMMEDIATE
    with acting_as("test"):
        vocabularies_load()
        pack_load("ve")
        user = get_user_model().objects.create_user("dora", password=PASSWORD)
        user.groups.add(Group.objects.get_or_create(name="documenter")[0])
        user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return user


def test_a_documenter_maps_a_messy_list_fixes_it_and_finds_the_records(
    page, live_server, documenter, tmp_path, log_in
):
    path = tmp_path / "lista.csv"
    path.write_bytes(MESSY.encode("latin-1"))
    log_in(page, "dora", PASSWORD)
    page.goto(f"{live_server.url}/imports/new/")
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_label("Source").fill("Foro Penal")
    page.get_by_role("button", name="Upload").click()

    # The first rows, and a field for each column (suggested from the Spanish headers).
    page.get_by_role("heading", name="Map the columns").wait_for()
    assert "PÉREZ RODRÍGUEZ JOSÉ GREGORIO" in page.content()
    assert page.get_by_label("Apellidos y nombres").input_value() == "full_name_surnames_first"
    assert page.get_by_label("Tipo de hecho").input_value() == "act"
    page.get_by_role("button", name="Check the whole file").click()

    # Exactly which rows are wrong and why.
    page.get_by_text("2 errors stop this file from being imported.").wait_for()
    problems = page.locator("table.problems")
    date_row = problems.locator("tr", has_text="30/02/2024")
    assert "Not a date, or a date that does not exist." in date_row.inner_text()
    assert date_row.locator("td").first.inner_text() == "8"
    assert problems.locator("tr", has_text="retenida en alcabala").count() == 1
    assert Record.objects.count() == 0

    # The unresolved place and the unknown act, decided once for this source.
    page.get_by_role("link", name=re.compile("Decide 2 places and values")).click()
    page.get_by_label("Sucre (VE-I/sucre)").check()
    page.get_by_label("retenida en alcabala").select_option("arbitrary_detention")
    page.get_by_role("button", name="Save and check again").click()
    page.get_by_text("1 error stops this file from being imported.").wait_for()

    # The impossible date stays as the source wrote it: accept it as a warning.
    page.get_by_role("link", name="Change the mapping").click()
    page.get_by_label("Not a date, or a date that does not exist.").check()
    page.get_by_role("button", name="Check the whole file").click()
    page.get_by_text("The whole file was checked: no errors.").wait_for()
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported: 5 records created").wait_for()
    page.screenshot(path="/tmp/testigo-import-done.png", full_page=True)

    page.get_by_role("link", name=re.compile("All records of")).click()
    page.get_by_role("link", name="Carmen Rojas").click()
    content = page.content()
    assert "Foro Penal" in content and "row 8" in content.lower()
    assert "30/02/2024" in content  # what the source said, kept
    record = Record.objects.get(given_names="Carmen")
    assert record.place.code == "VE-I/sucre" and record.source_file_sha256[:16] in content

"""The "done when" story of the import, in a real browser, with the real task queue.

A documenter uploads a messy Spanish workbook (dates as date cells and as text in several
formats, one full-name column written surnames first, a place with a typo, a place the
gazetteer does not have, one bad row: an impossible date and an act no term matches), sees the
first rows and the suggested mapping, sees which rows are wrong and why, decides the unknown
place and act, fixes the mapping, imports, and finds a record with its provenance (the file's
SHA-256 and the row number).

Unlike tests/browser/test_import_wizard.py (a CSV, tasks run at once inside the request), the
checks and the import go through django-tasks' database backend: the page shows the progress
while the task waits, and a worker (`testigo db_worker`'s, run here in the test's own thread so
that it shares the test database) runs the queued tasks.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from testigo.audit.context import acting_as
from testigo.core.models import Record
from testigo.core.services import vocabularies_load
from testigo.countrypacks.services import pack_load
from testigo.imports.models import ImportBatch

from .conftest import write_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Playwright's sync API runs an event loop in this thread; the ORM calls here are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "a long demo passphrase 42"
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

HEADER = ["Apellidos y nombres", "Cédula", "Sexo", "Fecha de detención", "Estado", "Municipio",
          "Hecho", "Observaciones"]  # fmt: skip
ROWS = [
    ["PÉREZ RODRÍGUEZ JOSÉ GREGORIO", "V-12.345.678", "M", datetime(2024, 8, 15), "Lara",
     "Iribaren", "detenido", ""],
    ["GONZÁLEZ DE MÉNDEZ MARÍA DEL VALLE", "13456789", "F", "03/08/2024", "Miranda", "Sucre",
     "desaparecida", "sin contacto"],
    ["MORA PEDRO LUIS", "V 9.876.543", "Masculino", "agosto 2024", "Zulia", "Maracaibo",
     "detenido", ""],
    ["ROJAS CARMEN", "15.666.777", "F", "30/02/2024", "Falcón", "Ciudad Fantasma",
     "retenida en alcabala", ""],
]  # fmt: skip


@pytest.fixture
def documenter(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.TASKS = DATABASE_QUEUE
    with acting_as("test"):
        vocabularies_load()
        pack_load("ve")
        user = get_user_model().objects.create_user("dora", password=PASSWORD)
        user.groups.add(Group.objects.get_or_create(name="documenter")[0])
        user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return user


def run_queued_tasks() -> int:
    """What `testigo db_worker --batch` does: run every queued task, then stop."""
    queued = DBTaskResult.objects.ready().count()
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test",
        excluded_queue_names=[],
    )
    # Run it in its own thread, as the command runs in its own process, with its own database
    # connection (closed when it is done, so that the test database can be dropped).
    thread = threading.Thread(target=_run_and_close, args=(worker,))
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return queued


def _run_and_close(worker: Worker) -> None:
    try:
        worker.run()
    finally:
        connections.close_all()


def wait_for_the_task(page) -> None:
    """The page shows the batch waiting in the queue; a worker runs it; the page moves on."""
    page.locator("#progress progress").wait_for()
    assert run_queued_tasks() == 1
    page.locator("#progress").wait_for(state="detached")


def test_a_documenter_imports_a_messy_workbook_through_the_task_queue_and_finds_its_provenance(
    page, live_server, documenter, tmp_path, log_in
):
    path = write_xlsx(tmp_path / "detenidos agosto.xlsx", [HEADER, *ROWS])
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    log_in(page, "dora", PASSWORD)
    page.goto(f"{live_server.url}/imports/new/")
    page.get_by_label("File").set_input_files(str(path))
    page.get_by_label("Source").fill("Lista de agosto")
    page.get_by_role("button", name="Upload").click()

    # The first rows, and the mapping suggested from the Spanish headers.
    page.get_by_role("heading", name="Map the columns").wait_for()
    content = page.content()
    assert "GONZÁLEZ DE MÉNDEZ MARÍA DEL VALLE" in content and "agosto 2024" in content
    assert page.get_by_label("Apellidos y nombres").input_value() == "full_name_surnames_first"
    assert page.get_by_label("Fecha de detención").input_value() == "event_date"
    assert page.get_by_label("Municipio").input_value() == "municipality"
    assert page.get_by_label("Observaciones").input_value() == ""  # kept in the raw row
    page.get_by_role("button", name="Check the whole file").click()
    wait_for_the_task(page)

    # Exactly which rows are wrong and why: row 5 of the sheet (the header is row 1).
    page.get_by_text("2 errors stop this file from being imported.").wait_for()
    problems = page.locator("table.problems")
    date_row = problems.locator("tr", has_text="30/02/2024")
    assert "Not a date, or a date that does not exist." in date_row.inner_text()
    assert date_row.locator("td").first.inner_text() == "Hoja1: 5"
    assert (
        problems.locator("tr", has_text="Ciudad Fantasma").locator("td").first.inner_text()
        == "Hoja1: 5"
    )
    assert "Iribaren" not in problems.inner_text()  # the typo was resolved on its own
    assert Record.objects.count() == 0

    # Decide the unknown place (the queue offers the nearest) and the unknown act, then fix
    # the mapping.
    page.get_by_role("link", name=re.compile("Decide 2 places and values")).click()
    page.get_by_label("Sucre (VE-I/sucre)").check()
    page.get_by_label("retenida en alcabala").select_option("arbitrary_detention")
    page.get_by_role("button", name="Save and check again").click()
    wait_for_the_task(page)
    page.get_by_text("1 error stops this file from being imported.").wait_for()
    page.get_by_role("link", name="Change the mapping").click()
    page.get_by_label("Not a date, or a date that does not exist.").check()
    page.get_by_role("button", name="Check the whole file").click()
    wait_for_the_task(page)
    page.get_by_text("The whole file was checked: no errors.").wait_for()
    assert Record.objects.count() == 0  # checking never writes

    page.get_by_role("button", name="Import").click()
    wait_for_the_task(page)
    page.get_by_text("Imported: 4 records created").wait_for()
    batch = ImportBatch.objects.get()
    assert batch.status == "done" and batch.sha256 == sha256

    # Every row is a record; one of them, opened, shows where it came from.
    page.get_by_role("link", name=re.compile("All records of")).click()
    page.get_by_role("link", name="Carmen Rojas").click()
    content = page.content()
    assert "Lista de agosto" in content and "row 5" in content.lower()
    assert sha256[:16] in content and "30/02/2024" in content
    records = Record.objects.filter(source__name="Lista de agosto").order_by("source_row")
    assert [r.source_row for r in records] == [2, 3, 4, 5]
    assert {r.source_file_sha256 for r in records} == {sha256}
    first = records.first()
    assert first.raw["Apellidos y nombres"] == "PÉREZ RODRÍGUEZ JOSÉ GREGORIO"
    assert first.event_date.to_edtf() == "2024-08-15" and first.place.code.startswith("VE-K/")
    assert records.last().place.code == "VE-I/sucre"

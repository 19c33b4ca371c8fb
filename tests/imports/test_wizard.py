"""The web wizard through the Django test client: upload, map, see the problems, decide, fix,
import, find the records. Background tasks run immediately in these tests."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import override_settings
from django.urls import reverse

from testigo.core.models import Record
from testigo.imports.models import ImportBatch, ImportMapping

from .conftest import HEADER, ROWS, TITLE, kept_files, write_csv

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("data_dir"),
]
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def documenter(client):
    user = get_user_model().objects.create_user("doc", password=None)
    user.groups.add(Group.objects.get_or_create(name="documenter")[0])
    user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


def form_data(form) -> dict:
    """What a browser would post for a form as the page shows it."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, False):
            continue
        data[name] = "on" if value is True else value
    return data


def upload(client, path, source="Foro Penal"):
    with open(path, "rb") as stream:
        return client.post(reverse("imports:upload"), {"file": stream, "source": source})


@override_settings(TASKS=IMMEDIATE)
def test_a_new_user_maps_a_messy_list_sees_the_bad_rows_fixes_them_and_imports(
    client, documenter, tmp_path
):
    path = write_csv(
        tmp_path / "lista.csv", [TITLE, [], HEADER, *ROWS], encoding="latin-1", delimiter=";"
    )
    assert client.get(reverse("imports:upload")).status_code == 200
    response = upload(client, path)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:batch_mapping", args=[batch.pk])
    assert batch.status == "uploaded" and batch.file_name == "lista.csv"

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "PÉREZ RODRÍGUEZ JOSÉ GREGORIO" in html  # the preview
    assert "full name (surnames first) (100)" in html  # a suggestion from the header
    form = page.context["form"]
    data = form_data(form)
    assert data["col_0"] == "full_name_surnames_first" and data["col_3"] == "event_date"
    assert data.get("col_7", "") == ""  # Observaciones: kept in the raw row only

    # Check as suggested: the report names the bad rows and columns.
    response = client.post(reverse("imports:batch_mapping", args=[batch.pk]), data)
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "invalid" and batch.error_count == 2 and batch.invalid_count == 1
    report = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "2 errors stop this file from being imported." in report
    assert "30/02/2024" in report and "Not a date, or a date that does not exist." in report
    assert "retenida en alcabala" in report and "No act type matches this text." in report
    assert not Record.objects.exists()

    # The unresolved places queue and the unmatched values.
    page = client.get(reverse("imports:batch_decisions", args=[batch.pk]))
    html = page.content.decode()
    assert "Falcón / Ciudad Fantasma" in html and "VE-I/sucre" in html
    decisions = {"place_0": "", "place_0_other": "VE-I/miranda", "value_0": "arbitrary_detention"}
    response = client.post(reverse("imports:batch_decisions", args=[batch.pk]), decisions)
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.mapping["places"] == {"Falcón / Ciudad Fantasma": "VE-I/miranda"}
    assert batch.status == "invalid" and batch.error_count == 1  # the impossible date remains

    # Fix the mapping: accept the unreadable date as a warning (it stays in the raw row).
    page = client.get(reverse("imports:batch_mapping", args=[batch.pk]))
    data = form_data(page.context["form"])
    data["accept"] = ["date_unreadable"]
    client.post(reverse("imports:batch_mapping", args=[batch.pk]), data)
    batch.refresh_from_db()
    assert batch.status == "checked", batch.report["problems"]
    assert batch.created_count == 6  # the dry run's count

    response = client.post(reverse("imports:batch_confirm", args=[batch.pk]), {"save_mapping": "1"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "done" and batch.created_count == 6
    records = Record.objects.filter(source__name="Foro Penal").order_by("source_row")
    assert records.count() == 6
    assert records.last().place.code == "VE-I/miranda"
    assert {r.source_file_sha256 for r in records} == {batch.sha256}
    assert kept_files(tmp_path / "data") == [batch.sha256]
    saved = ImportMapping.objects.get(source__name="Foro Penal")
    assert saved.mapping["accept"] == ["date_unreadable"]

    done = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert "Imported: 6 records created" in done
    assert reverse("core:record_detail", args=[records.first().pk]) in done
    assert f"?source={records.first().source_id}" in done
    record_page = client.get(reverse("core:record_detail", args=[records.first().pk]))
    assert batch.sha256[:16] in record_page.content.decode()


@override_settings(TASKS=IMMEDIATE)
def test_the_problem_list_downloads_as_csv_with_formulas_neutralised(client, documenter, tmp_path):
    path = write_csv(tmp_path / "x.csv", [["Nombre", "Fecha"], ["Ana Pérez", "=1+1"]])
    upload(client, path)
    batch = ImportBatch.objects.get()
    page = client.get(reverse("imports:batch_mapping", args=[batch.pk]))
    client.post(reverse("imports:batch_mapping", args=[batch.pk]), form_data(page.context["form"]))
    response = client.get(reverse("imports:batch_problems", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="x.csv.problems.csv"'
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    values = {row["code"]: row["value"] for row in rows}
    assert values["date_unreadable"] == "'=1+1"


@override_settings(TASKS=IMMEDIATE)
def test_a_file_that_cannot_be_read_shows_why_and_lets_the_encoding_be_chosen(
    client, documenter, tmp_path
):
    path = tmp_path / "dos.csv"
    path.write_bytes("Nombre,Estado\nJosé,Mérida\n".encode("utf-16-le"))
    upload(client, path)
    batch = ImportBatch.objects.get()
    page = client.get(reverse("imports:batch_mapping", args=[batch.pk]))
    html = page.content.decode()
    assert "This file cannot be read." in html and "The text encoding is unknown" in html
    client.post(
        reverse("imports:batch_mapping", args=[batch.pk]),
        {"encoding": "utf-16-le", "name_order": "auto"},
    )
    page = client.get(reverse("imports:batch_mapping", args=[batch.pk]))
    assert page.context["preview"].rows == [{"Nombre": "José", "Estado": "Mérida"}]


def test_an_upload_over_the_size_limit_is_refused_and_not_kept(
    client, documenter, tmp_path, monkeypatch
):
    from testigo.imports import views

    monkeypatch.setattr(views, "MAX_UPLOAD_BYTES", 100)
    path = write_csv(tmp_path / "big.csv", [["Nombre"], *[[f"Persona {i}"] for i in range(50)]])
    response = upload(client, path)
    assert response.status_code == 400
    assert "The file is larger than 0 MB" in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert kept_files(tmp_path / "data") == []


def test_an_empty_upload_is_refused(client, documenter, tmp_path):
    path = tmp_path / "vacio.csv"
    path.write_bytes(b"")
    response = upload(client, path)
    assert response.status_code == 400 and not ImportBatch.objects.exists()


def test_an_upload_without_the_csrf_token_is_refused_and_not_kept(documenter, tmp_path):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(documenter)
    path = write_csv(tmp_path / "a.csv", [["Nombre"], ["Ana"]])
    response = upload(strict, path)
    assert response.status_code == 403
    assert kept_files(tmp_path / "data") == []


@override_settings(TASKS=IMMEDIATE)
def test_a_discarded_file_is_removed_and_nothing_imported(
    client, documenter, tmp_path, django_capture_on_commit_callbacks
):
    upload(client, write_csv(tmp_path / "a.csv", [["Nombre"], ["Ana Pérez"]]))
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:batch_discard", args=[batch.pk]))
    assert response.status_code == 302
    assert not ImportBatch.objects.exists() and ImportBatch.all_objects.get().status == "discarded"
    assert kept_files(tmp_path / "data") == []


def test_the_progress_fragment_sends_htmx_to_the_report_once_the_task_is_done(
    client, documenter, tmp_path
):
    upload(client, write_csv(tmp_path / "a.csv", [["Nombre"], ["Ana Pérez"]]))
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(status="checking")
    url = reverse("imports:batch_progress", args=[batch.pk])
    running = client.get(url, HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert "HX-Redirect" not in running
    detail = client.get(reverse("imports:batch_detail", args=[batch.pk])).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in detail
    ImportBatch.objects.filter(pk=batch.pk).update(status="checked")
    finished = client.get(url, HTTP_HX_REQUEST="true")
    assert finished["HX-Redirect"] == reverse("imports:batch_detail", args=[batch.pk])

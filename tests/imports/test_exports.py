"""Exports of the record and violation lists: the list's filters, CSV or XLSX, and no cell a
spreadsheet could run as a formula."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.template.loader import render_to_string
from django.urls import reverse
from openpyxl import load_workbook

from testigo.audit.context import acting_as
from testigo.audit.models import AuditEntry
from testigo.core.models import Case, Person, Source, Violation, VocabularyTerm
from testigo.imports.mapfile import SourceMapping
from testigo.imports.services import import_file

from .conftest import FIXED_MAPPING, HEADER, ROWS, write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("data_dir")]


def login(client, role: str, cleared: bool = True):
    user = get_user_model().objects.create_user(f"u-{role}", password=None)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if cleared:
        user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return user


@pytest.fixture
def imported(tmp_path):
    path = write_csv(tmp_path / "lista.csv", [HEADER, *ROWS])
    mapping = SourceMapping.from_yaml(FIXED_MAPPING)
    report = import_file(actor="test", path_or_file=path, source_name="Foro", mapping=mapping)
    assert report.written
    other = write_csv(tmp_path / "otra.csv", [["Nombre", "Estado"], ["Eva Paz", "Lara"]])
    import_file(actor="test", path_or_file=other, source_name="Otra")
    return Source.objects.get(name="Foro")


def csv_rows(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_records_of_one_source_export_with_their_provenance_and_formulas_neutralised(
    client, imported
):
    login(client, "analyst")
    url = reverse("imports:record_export") + f"?source={imported.pk}&format=csv"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="testigo-records.csv"'
    rows = csv_rows(response)
    assert len(rows) == 6 and {r["source"] for r in rows} == {"Foro"}
    by_row = {r["row in the source"]: r for r in rows}
    assert by_row["5"]["as reported: Observaciones"] == '\'=HYPERLINK("http://x")'
    assert by_row["2"]["as reported: Apellidos y nombres"] == "PÉREZ RODRÍGUEZ JOSÉ GREGORIO"
    assert by_row["2"]["Record"] == "José Gregorio Pérez Rodríguez"
    assert len({r["source file SHA-256"] for r in rows}) == 1
    entry = AuditEntry.objects.filter(action="export").get()
    assert entry.object_type == "core.record" and '"rows":6' in entry.after


def test_an_xlsx_export_holds_text_never_formulas(client, imported):
    login(client, "analyst")
    response = client.get(reverse("imports:record_export") + f"?source={imported.pk}&format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    column = header.index("as reported: Observaciones") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    injected = [c for c in cells if c.value and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in injected] == [('\'=HYPERLINK("http://x")', "s")]


def test_a_viewer_not_cleared_gets_the_rows_without_the_identities(client, imported):
    login(client, "viewer", cleared=False)
    rows = csv_rows(client.get(reverse("imports:record_export") + f"?source={imported.pk}"))
    assert {r["as reported: Apellidos y nombres"] for r in rows} == {"•••"}
    assert all(r["Record"].startswith("record ") for r in rows)


def test_the_violations_export_follows_the_list_filters_and_the_lawyers_compartment(client):
    with acting_as("test"):
        from testigo.core.services import vocabularies_load

        vocabularies_load()
        detention = VocabularyTerm.objects.get(code="arbitrary_detention")
        torture = VocabularyTerm.objects.get(code="torture")
        ours = Person.objects.create(
            pseudonym_code="V-00001", given_names="=cmd|' /C calc'!A0", protected=False
        )
        theirs = Person.objects.create(pseudonym_code="V-00002")
        kept = Violation.objects.create(victim=ours, act_type=detention)
        Violation.objects.create(victim=ours, act_type=torture)
        Violation.objects.create(victim=theirs, act_type=detention)
        case = Case.objects.create(reference="C-1", title="x", target_body="icc_otp")
        case.violations.add(kept)
        case.clients.add(ours)
    lawyer = login(client, "lawyer")
    case.lawyers.add(lawyer)
    rows = csv_rows(client.get(reverse("imports:violation_export")))
    assert [r["id"] for r in rows] == [str(kept.pk)]
    client.logout()
    login(client, "analyst")
    url = reverse("imports:violation_export") + "?act_type=arbitrary_detention"
    rows = csv_rows(client.get(url))
    assert sorted(r["id"] for r in rows) == sorted(
        str(v.pk) for v in Violation.objects.filter(act_type=detention)
    )
    assert {r["victim"] for r in rows} >= {"'=cmd|' /C calc'!A0 (V-00001)"}


def test_an_unknown_export_format_is_not_found(client):
    login(client, "analyst")
    assert client.get(reverse("imports:record_export") + "?format=pdf").status_code == 404


def test_the_list_pages_export_links_carry_the_filters(client, imported):
    login(client, "analyst")
    response = client.get(reverse("core:record_list") + f"?source={imported.pk}")
    html = render_to_string(
        "imports/_export_links.html", {"query": f"source={imported.pk}"}, response.wsgi_request
    )
    export = reverse("imports:record_export")
    assert f'href="{export}?source={imported.pk}&amp;format=xlsx"' in html
    response = client.get(reverse("core:source_list"))
    assert render_to_string("imports/_export_links.html", {}, response.wsgi_request).strip() == ""

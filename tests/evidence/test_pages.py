"""The evidence pages: streaming upload, compartments, preview headers, custody of every read."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import Client

from testigo.evidence import services
from testigo.evidence.models import CustodyEvent, EvidenceItem
from testigo.evidence.store import get_store

from .conftest import PROTECTED_NAME, marker_bytes

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


def add(data: bytes, name: str, **links):
    item = services.evidence_add(actor=None, fileobj=io.BytesIO(data), filename=name)
    if links:
        services.evidence_link(actor=None, item=item, **links)
    return item


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def no_default_upload_handlers(monkeypatch):
    """Fail the test if Django's own handlers (memory or a temporary file) see a byte."""

    def refuse(*args, **kwargs):
        raise AssertionError("the upload went through a default handler")

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", refuse)
    monkeypatch.setattr(MemoryFileUploadHandler, "new_file", refuse)


# -- upload ------------------------------------------------------------------------------------


def test_an_upload_streams_into_the_store_and_opens_the_item(
    client, world, no_default_upload_handlers
):
    users, _sides = world
    login(client, users["documenter"])
    data = marker_bytes("upload", 3 * 1024 * 1024 + 5)

    response = client.post(
        "/evidence/upload/",
        {
            "file": SimpleUploadedFile("testimonio.txt", data, "text/plain"),
            "description": "Testimonio",
            "acquisition_method": "messaging",
            "confidentiality": "confidential",
            "device": "Android phone",
        },
    )

    item = EvidenceItem.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/evidence/{item.pk}/"
    assert item.size == len(data) and item.acquisition_method == "messaging"
    assert item.acquired_by == users["documenter"]
    event = item.custody_events.get()
    assert event.action == "acquired" and event.actor_label.endswith(":documenter")
    with get_store().open(item.sha256) as fp:
        assert fp.read() == data


def test_an_upload_asked_for_json_answers_with_the_id_and_sha256(client, world):
    users, sides = world
    login(client, users["analyst"])
    response = client.post(
        "/evidence/upload/",
        {
            "file": SimpleUploadedFile("a.txt", b"json please"),
            "acquisition_method": "upload",
            "confidentiality": "public",
            "case": "C-A",
        },
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201
    (entry,) = response.json()["items"]
    item = EvidenceItem.objects.get(code=entry["id"])
    assert entry["sha256"] == item.sha256 and entry["duplicate"] is False
    assert list(item.cases.all()) == [sides["A"]["case"]]


def test_uploading_the_same_file_again_reports_the_existing_item(client, world):
    users, _sides = world
    login(client, users["analyst"])
    fields = {"acquisition_method": "upload", "confidentiality": "public"}
    accept = {"Accept": "application/json"}
    first = client.post(
        "/evidence/upload/", {"file": SimpleUploadedFile("a.txt", b"x"), **fields}, headers=accept
    )
    second = client.post(
        "/evidence/upload/", {"file": SimpleUploadedFile("b.txt", b"x"), **fields}, headers=accept
    )
    assert first.json()["items"][0]["id"] == second.json()["items"][0]["id"]
    assert second.json()["items"][0]["duplicate"] is True


def test_a_lawyer_cannot_upload_and_nothing_reaches_the_store(client, world, data_dir):
    users, _sides = world
    login(client, users["lawyer"])
    response = client.post("/evidence/upload/", {"file": SimpleUploadedFile("a.txt", b"x")})
    assert response.status_code == 403
    assert list(data_dir.iterdir()) == []


def test_a_forged_upload_is_refused_before_the_body_is_read(world, data_dir):
    users, _sides = world
    client = login(Client(enforce_csrf_checks=True), users["documenter"])
    client.get("/evidence/upload/")
    forged = client.post(
        "/evidence/upload/",
        {"file": SimpleUploadedFile("a.txt", b"forged")},
        headers={"X-CSRFToken": "x" * 64},
    )
    assert forged.status_code == 403
    assert not (data_dir / "evidence").exists()

    token = client.cookies["csrftoken"].value
    genuine = client.post(
        "/evidence/upload/",
        {
            "file": SimpleUploadedFile("a.txt", b"genuine"),
            "acquisition_method": "upload",
            "confidentiality": "confidential",
        },
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert genuine.status_code == 201


def test_an_upload_with_bad_fields_records_nothing(client, world):
    users, _sides = world
    login(client, users["analyst"])
    response = client.post(
        "/evidence/upload/",
        {"file": SimpleUploadedFile("a.txt", b"x"), "case": "NO-SUCH-CASE"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "case" in response.json()["fields"]
    assert not EvidenceItem.objects.exists()


def test_an_upload_without_a_file_is_refused(client, world):
    users, _sides = world
    login(client, users["analyst"])
    response = client.post("/evidence/upload/", {"description": "no file"})
    assert response.status_code == 400
    assert b"Choose a file" in response.content or b"Elija un archivo" in response.content


# -- compartments ------------------------------------------------------------------------------


def test_a_lawyer_sees_only_evidence_linked_to_their_cases(client, world):
    users, sides = world
    own = add(b"case A", "a.txt", case=sides["A"]["case"])
    via_violation = add(b"violation A", "v.txt", violation=sides["A"]["violation"])
    theirs = add(b"case B", "b.txt", case=sides["B"]["case"])
    unlinked = add(b"nobody's", "n.txt")
    login(client, users["lawyer"])

    listing = client.get("/evidence/").content.decode()
    assert own.code in listing and via_violation.code in listing
    assert theirs.code not in listing and unlinked.code not in listing
    for item in (own, via_violation):
        assert client.get(f"/evidence/{item.pk}/").status_code == 200
    for item in (theirs, unlinked):
        for suffix in ("", "content/", "download/"):
            assert client.get(f"/evidence/{item.pk}/{suffix}").status_code == 404
    assert not theirs.custody_events.exclude(action="acquired").exists()


def test_a_stripped_copy_follows_its_original_into_the_compartment(client, world, jpeg_with_gps):
    users, sides = world
    original = add(jpeg_with_gps, "foto.jpg", case=sides["A"]["case"])
    copy = services.evidence_derive_stripped(actor=None, item=original)
    login(client, users["lawyer"])
    assert client.get(f"/evidence/{copy.pk}/").status_code == 200
    login(client, users["other_lawyer"])
    assert client.get(f"/evidence/{copy.pk}/").status_code == 404


# -- preview and download ----------------------------------------------------------------------


def test_an_image_preview_is_served_inline_with_safe_headers(client, world, jpeg_with_gps):
    users, _sides = world
    item = add(jpeg_with_gps, "foto.jpg")
    login(client, users["viewer"])

    response = client.get(f"/evidence/{item.pk}/content/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Accept-Ranges"] == "bytes"
    assert int(response["Content-Length"]) == len(jpeg_with_gps)
    assert body(response) == jpeg_with_gps
    viewed = item.custody_events.get(action="viewed")
    assert viewed.actor == users["viewer"] and viewed.purpose == "preview in the browser"


def test_a_pdf_preview_may_be_framed_by_our_own_pages_only(client, world, pdf_bytes):
    users, _sides = world
    item = add(pdf_bytes, "declaracion.pdf")
    login(client, users["analyst"])
    response = client.get(f"/evidence/{item.pk}/content/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize(("data", "name"), [(SVG, "mapa.svg"), (HTML, "pagina.html")])
def test_svg_and_html_are_never_rendered_inline(client, world, data, name):
    users, _sides = world
    item = add(data, name)
    login(client, users["analyst"])
    response = client.get(f"/evidence/{item.pk}/content/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_audio_is_served_in_byte_ranges_and_the_view_recorded_once(client, world, wav_bytes):
    users, _sides = world
    item = add(wav_bytes, "audio.wav")
    login(client, users["analyst"])
    url = f"/evidence/{item.pk}/content/"

    first = client.get(url, headers={"Range": "bytes=0-99"})
    middle = client.get(url, headers={"Range": "bytes=100-1199"})
    tail = client.get(url, headers={"Range": "bytes=-10"})

    assert first.status_code == 206 and first["Content-Type"] == "audio/wav"
    assert first["Content-Range"] == f"bytes 0-99/{len(wav_bytes)}"
    assert body(first) == wav_bytes[:100]
    assert body(middle) == wav_bytes[100:1200] and middle["Content-Length"] == "1100"
    assert body(tail) == wav_bytes[-10:]
    assert item.custody_events.filter(action="viewed").count() == 1


def test_a_range_outside_the_item_is_not_satisfiable(client, world):
    users, _sides = world
    item = add(b"short", "a.txt")
    login(client, users["analyst"])
    response = client.get(f"/evidence/{item.pk}/content/", headers={"Range": "bytes=99-"})
    assert response.status_code == 416 and response["Content-Range"] == "bytes */5"


def test_a_download_is_an_attachment_and_a_custody_event(client, world, jpeg_with_gps):
    users, _sides = world
    item = add(jpeg_with_gps, "foto.jpg")
    login(client, users["documenter"])
    response = client.get(f"/evidence/{item.pk}/download/", {"purpose": "share with counsel"})
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="foto.jpg"'
    assert body(response) == jpeg_with_gps
    event = item.custody_events.get(action="downloaded")
    assert event.purpose == "share with counsel" and event.actor == users["documenter"]


def test_every_view_and_download_is_a_custody_event(client, world):
    users, _sides = world
    item = add(b"counted", "a.txt")
    login(client, users["analyst"])
    for _ in range(3):
        body(client.get(f"/evidence/{item.pk}/content/"))
    for _ in range(2):
        body(client.get(f"/evidence/{item.pk}/download/"))
    counts = {
        action: item.custody_events.filter(action=action).count()
        for action in ("viewed", "downloaded")
    }
    assert counts == {"viewed": 3, "downloaded": 2}


def test_an_item_whose_record_disagrees_with_the_store_is_not_served(client, world):
    users, _sides = world
    item = add(b"trust but verify", "a.txt")
    EvidenceItem.objects.filter(pk=item.pk).update(sha512="0" * 128)
    login(client, users["analyst"])
    response = client.get(f"/evidence/{item.pk}/content/")
    assert response.status_code == 500
    assert "integrity" in response.content.decode() or "integridad" in response.content.decode()
    assert not CustodyEvent.objects.filter(action="viewed").exists()


# -- detail, links, working copies, transfers --------------------------------------------------


def test_the_detail_page_shows_the_custody_timeline(client, world, jpeg_with_gps):
    users, _sides = world
    item = add(jpeg_with_gps, "foto.jpg")
    login(client, users["analyst"])
    page = client.get(f"/evidence/{item.pk}/").content.decode()
    assert item.sha256 in page and "Canon" in page
    assert 'class="timeline custody"' in page and "evidence store" in page
    page = client.get(f"/evidence/{item.pk}/", {"preview": "1"}).content.decode()
    assert f'<img class="preview" src="/evidence/{item.pk}/content/"' in page


def test_protected_names_in_file_names_are_shown_as_pseudonyms(client, world):
    users, sides = world
    given, surnames = PROTECTED_NAME
    person = sides["A"]["person"]
    accented = add(b"x", f"declaración {given} {surnames}.txt", person=person)
    plain = add(b"y", "foto_juan_perez.jpg", person=person)
    login(client, users["viewer"])
    listing = client.get("/evidence/").content.decode()
    for item in (accented, plain):
        page = client.get(f"/evidence/{item.pk}/").content.decode()
        for text in (page, listing):
            assert "Pérez" not in text and "perez" not in text.lower()
            assert "V-00001" in text


def test_an_analyst_links_an_item_to_a_case_and_a_person(client, world):
    users, sides = world
    item = add(b"x", "a.txt")
    login(client, users["analyst"])
    response = client.post(
        f"/evidence/{item.pk}/link/",
        {"case": "C-B", "person": "V-00002", "violation": sides["B"]["violation"].pk},
    )
    assert response.status_code == 302
    assert list(item.cases.all()) == [sides["B"]["case"]]
    assert list(item.persons.all()) == [sides["B"]["person"]]
    assert list(item.violations.all()) == [sides["B"]["violation"]]


def test_a_documenter_cannot_link_to_cases_they_cannot_see(client, world):
    users, _sides = world
    item = add(b"x", "a.txt")
    login(client, users["documenter"])
    client.post(f"/evidence/{item.pk}/link/", {"case": "C-A"})
    assert not item.cases.exists()


def test_stripping_from_the_page_opens_the_new_working_copy(client, world, jpeg_with_gps):
    users, _sides = world
    item = add(jpeg_with_gps, "foto.jpg")
    login(client, users["documenter"])
    response = client.post(f"/evidence/{item.pk}/strip/")
    copy = EvidenceItem.objects.get(derived_from=item)
    assert response["Location"] == f"/evidence/{copy.pk}/"
    assert "gps" not in copy.metadata


def test_a_transfer_is_recorded_from_the_page(client, world):
    users, _sides = world
    item = add(b"x", "a.txt")
    login(client, users["analyst"])
    client.post(
        f"/evidence/{item.pk}/transfer/",
        {"to_party": "Fiscalía de la CPI", "purpose": "Article 15 communication"},
    )
    event = item.custody_events.get(action="transferred")
    assert event.to_party == "Fiscalía de la CPI" and event.actor == users["analyst"]


def test_an_upload_cut_off_midway_leaves_nothing_behind(client, world, data_dir):
    users, _sides = world
    login(client, users["documenter"])
    boundary = "testigo-boundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="cut.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    truncated = head + marker_bytes("cut", 2 * 1024 * 1024)  # no closing boundary: cut off

    response = client.generic(
        "POST",
        "/evidence/upload/",
        truncated,
        content_type=f"multipart/form-data; boundary={boundary}",
    )

    assert response.status_code == 400
    assert not EvidenceItem.objects.exists()
    stored = [p for p in (data_dir / "evidence").rglob("*") if p.is_file()]
    assert [p.name for p in stored] == ["store.json"]  # no blob, no envelope, no temporary file

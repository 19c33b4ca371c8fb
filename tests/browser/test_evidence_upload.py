"""Uploading evidence through the page in a real browser, then following its chain of custody.

A few megabytes here; the 2 GB upload is a bench run (see the evidence report), not a test.
"""

from __future__ import annotations

import io
import os
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from testigo.audit.context import acting_as
from testigo.blobstore import KdfParams
from testigo.evidence import store as evidence_store
from testigo.evidence.models import CustodyEvent, EvidenceItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long demo passphrase 42"


@pytest.fixture
def evidence_dirs(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    for name in list(os.environ):
        if name.startswith("TESTIGO_EVIDENCE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(evidence_store, "KEYFILE_KDF", KdfParams.fast_for_tests())
    evidence_store.store_cache_clear()
    yield settings.DATA_DIR
    evidence_store.store_cache_clear()


@pytest.fixture
def documenter(db):
    with acting_as("test"):
        user = get_user_model().objects.create_user("dora", password=PASSWORD)
        user.groups.add(Group.objects.get_or_create(name="documenter")[0])
        user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return user


def noisy_png(width: int = 1100, height: int = 1000) -> bytes:
    """About 3 MB of PNG that does not compress."""
    from PIL import Image

    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_documenter_uploads_a_photo_and_sees_it_in_the_custody_timeline(
    page, live_server, documenter, evidence_dirs, log_in
):
    photo = noisy_png()
    assert len(photo) > 3_000_000
    log_in(page, "dora", PASSWORD)

    page.goto(f"{live_server.url}/evidence/upload/")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "foto-marcha.png", "mimeType": "image/png", "buffer": photo}],
    )
    page.get_by_label(re.compile("^(description|descripción)$", re.I)).fill(
        "Marcha del 29 de julio"
    )
    page.get_by_label(re.compile("^device|^dispositivo", re.I)).fill("Android phone")
    page.get_by_role("button", name=re.compile("^(Upload|Subir)$")).click()

    link = page.locator("#upload-progress a", has_text="EV-000001")
    link.wait_for(timeout=60_000)
    page.screenshot(path="/tmp/testigo-evidence-upload.png", full_page=True)
    item = EvidenceItem.objects.get()
    assert item.size == len(photo) and item.media_type == "image/png"
    assert item.description == "Marcha del 29 de julio" and item.device == "Android phone"
    link.click()

    page.get_by_role("heading", name=re.compile("EV-000001")).wait_for()
    timeline = page.locator("ol.custody")
    assert re.search("acquired|adquirido", timeline.inner_text(), re.I)
    assert ":dora" in timeline.inner_text()

    # The preview is decrypted on the fly and shown by the browser, and the view is recorded.
    page.get_by_role("link", name=re.compile("Show preview|Mostrar vista previa")).click()
    image = page.locator("img.preview")
    image.wait_for()
    page.wait_for_function("document.querySelector('img.preview').naturalWidth > 0")
    assert image.evaluate("img => img.naturalWidth") == 1100
    page.goto(page.url.split("?")[0])  # the page without the preview: no second view
    assert re.search("viewed|visto", page.locator("ol.custody").inner_text(), re.I)
    assert CustodyEvent.objects.filter(item=item, action="viewed").count() == 1
    page.screenshot(path="/tmp/testigo-evidence.png", full_page=True)

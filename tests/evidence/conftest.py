"""Fixtures for evidence: a fresh data directory, keys and store per test, real crypto and files.

Key files are created with weak key-derivation parameters (``KdfParams.fast_for_tests``) to keep
the suite quick; everything else is what runs in production.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from testigo.audit.context import acting_as
from testigo.blobstore import KdfParams
from testigo.core.models import Case, Incident, Person, Source, Violation, VocabularyTerm
from testigo.core.services import vocabularies_load
from testigo.evidence import store as evidence_store

PROTECTED_NAME = ("Juan Carlos", "Pérez Rodríguez")


@pytest.fixture(autouse=True)
def evidence_env(settings, tmp_path, monkeypatch):
    """Each test gets its own data directory, config directory and key; nothing is shared."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings.DATA_DIR = data_dir
    for name in list(os.environ):
        if name.startswith("TESTIGO_EVIDENCE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(evidence_store, "KEYFILE_KDF", KdfParams.fast_for_tests())
    evidence_store.store_cache_clear()
    yield data_dir
    evidence_store.store_cache_clear()


@pytest.fixture
def data_dir(evidence_env) -> Path:
    return evidence_env


def make_user(name: str, role: str, *, cleared: bool = True):
    user = get_user_model().objects.create_user(name, password=None)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if cleared:
        user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    return user


@pytest.fixture
def world(db):
    """Two compartments (cases A and B, one lawyer each), users per role, a protected person."""
    with acting_as("test"):
        vocabularies_load()
        act = VocabularyTerm.objects.get(vocabulary="act_type", code="arbitrary_detention")
        users = {
            role: make_user(role, role, cleared=role != "viewer")
            for role in ("administrator", "analyst", "documenter", "lawyer", "viewer")
        }
        users["other_lawyer"] = make_user("lawyer-b", "lawyer")
        sides = {}
        for side, lawyer, number in (("A", users["lawyer"], 1), ("B", users["other_lawyer"], 2)):
            person = Person.objects.create(
                pseudonym_code=f"V-0000{number}",
                given_names=PROTECTED_NAME[0] if side == "A" else "María",
                surnames=PROTECTED_NAME[1] if side == "A" else "González",
                protected=True,
            )
            incident = Incident.objects.create(title=f"Incident {side}")
            violation = Violation.objects.create(victim=person, act_type=act, incident=incident)
            case = Case.objects.create(reference=f"C-{side}", title=side, target_body="icc_otp")
            case.lawyers.add(lawyer)
            case.clients.add(person)
            case.violations.add(violation)
            source = Source.objects.create(name=f"Source {side}", kind="testimony")
            sides[side] = {
                "person": person,
                "incident": incident,
                "violation": violation,
                "case": case,
                "source": source,
            }
    return users, sides


# -- small media files, generated on the spot ------------------------------------------------


@pytest.fixture
def jpeg_with_gps() -> bytes:
    """A JPEG with camera, capture time, GPS in Caracas and the photographer's name."""
    from PIL import ExifTags, Image, TiffImagePlugin

    rational = TiffImagePlugin.IFDRational
    image = Image.new("RGB", (32, 16), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS Test"
    exif[0x013B] = "Juan Carlos Perez"  # Artist
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[0x9003] = "2024:07:29 21:15:03"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1] = "N"
    gps[2] = (rational(10), rational(30), rational(1234, 100))
    gps[3] = "W"
    gps[4] = (rational(66), rational(55), rational(0))
    gps[6] = rational(900)  # the engine drops all EXIF of a GPS block without altitude (bug)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


@pytest.fixture
def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": "Juan Carlos Pérez Rodríguez", "/Title": "Testimonio"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def wav_bytes() -> bytes:
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(bytes(range(256)) * 125)
    return out.getvalue()


def marker_bytes(label: str, size: int = 3 * 1024 * 1024 + 17) -> bytes:
    """Distinctive, incompressible-looking text that spans several encryption chunks."""
    line = f"TESTIGO-PLAINTEXT-MARKER {label} ".encode()
    body = bytearray()
    n = 0
    while len(body) < size:
        body += line + str(n).encode() + b"\n"
        n += 1
    return bytes(body[:size])

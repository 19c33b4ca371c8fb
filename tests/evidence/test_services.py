"""Adding, reading, linking and deriving evidence through the services, with the real store."""

from __future__ import annotations

import hashlib
import io

import pytest

from testigo.audit.models import AuditEntry
from testigo.blobstore import HashMismatchError, UnsupportedMediaError
from testigo.evidence import services
from testigo.evidence.models import CustodyEvent, EvidenceItem
from testigo.evidence.store import get_store

pytestmark = pytest.mark.django_db


def add(data: bytes, name: str = "file.bin", **kwargs):
    return services.evidence_add(actor=None, fileobj=io.BytesIO(data), filename=name, **kwargs)


def test_it_stores_a_file_with_both_hashes_and_an_acquisition_event():
    item = add(b"testimonio de la familia", "testimonio.txt", acquired_from="la madre")

    assert item.is_new
    assert item.code == "EV-000001"
    assert item.sha256 == hashlib.sha256(b"testimonio de la familia").hexdigest()
    assert len(item.sha512) == 128 and item.size == 24
    assert item.media_type == "text/plain"
    (event,) = item.custody_events.all()
    assert event.action == CustodyEvent.Action.ACQUIRED
    assert event.from_party == "la madre" and event.to_party == "evidence store"
    assert event.hash_after == f"sha256:{item.sha256}"
    with get_store().open(item.sha256) as fp:
        assert fp.read() == b"testimonio de la familia"


def test_the_same_bytes_twice_give_the_same_item_and_a_second_custody_event():
    first = add(b"same bytes", "a.txt")
    second = add(b"same bytes", "copy-of-a.txt", acquired_from="a second witness")

    assert second.pk == first.pk and not second.is_new
    assert EvidenceItem.objects.count() == 1
    events = list(first.custody_events.order_by("id"))
    assert [e.action for e in events] == ["acquired", "acquired"]
    assert "copy-of-a.txt" in events[1].note and events[1].from_party == "a second witness"
    assert first.original_name == "a.txt"  # the first acquisition record is kept as it was


def test_every_custody_event_is_also_an_audit_entry():
    item = add(b"audited", "a.txt")
    services.evidence_open(actor=None, item=item, purpose="review").close()

    for event in item.custody_events.all():
        entry = AuditEntry.objects.get(object_type="evidence.custodyevent", object_id=str(event.pk))
        assert entry.action == "create" and event.action in entry.after


def test_custody_events_are_never_changed_or_deleted():
    item = add(b"append only", "a.txt")
    event = item.custody_events.get()
    event.note = "rewritten"
    with pytest.raises(ValueError, match="never changed"):
        event.save()
    with pytest.raises(ValueError, match="never deleted"):
        event.delete()
    with pytest.raises(ValueError):
        CustodyEvent.objects.all().delete()


def test_images_keep_their_exif_gps_and_capture_time_as_data(jpeg_with_gps):
    item = add(jpeg_with_gps, "foto.jpg")

    assert item.media_type == "image/jpeg"
    assert item.metadata["gps"]["latitude"] == pytest.approx(10.5034, abs=1e-3)
    assert item.metadata["gps"]["longitude"] == pytest.approx(-66.9167, abs=1e-3)
    assert item.metadata["captured_at"].startswith("2024-07-29T21:15:03")
    assert item.metadata["exif"]["Make"] == "Canon"


def test_opening_an_item_records_a_view_or_a_download():
    item = add(b"to be read", "a.txt")

    with services.evidence_open(actor=None, item=item, purpose="case review") as fp:
        assert fp.read() == b"to be read"
    services.evidence_open(actor=None, item=item, download=True).close()

    actions = list(item.custody_events.order_by("id").values_list("action", "purpose"))
    assert actions == [("acquired", "acquisition"), ("viewed", "case review"), ("downloaded", "")]


def test_opening_refuses_an_item_whose_recorded_hash_was_changed():
    item = add(b"recorded", "a.txt")
    EvidenceItem.objects.filter(pk=item.pk).update(sha512="0" * 128)
    item.refresh_from_db()

    with pytest.raises(HashMismatchError, match=item.code):
        services.evidence_open(actor=None, item=item)
    assert not item.custody_events.filter(action="viewed").exists()


def test_a_stripped_copy_is_a_new_item_linked_to_the_untouched_original(jpeg_with_gps):
    original = add(jpeg_with_gps, "foto.jpg")

    copy = services.evidence_derive_stripped(actor=None, item=original)

    original.refresh_from_db()
    assert copy.derived_from == original and copy.pk != original.pk
    assert copy.transformation == "strip-metadata"
    assert copy.derivation["tool"] == "Pillow" and copy.derivation["tool_version"]
    assert "gps" not in copy.metadata and "exif" not in copy.metadata
    assert original.metadata["gps"]  # the original's record is unchanged
    with get_store().open(original.sha256) as fp:
        assert fp.read() == jpeg_with_gps  # and so are its bytes
    # custody parties are sealed in the database: compared after loading
    derived = original.custody_events.filter(action="derived")
    assert any(event.to_party == copy.code for event in derived)
    assert any(e.from_party == original.code for e in copy.custody_events.filter(action="derived"))
    assert services.evidence_derive_stripped(actor=None, item=original) == copy  # idempotent


def test_stripping_refuses_media_it_cannot_clean():
    item = add(b"PK\x03\x04" + bytes(60), "archivo.zip")  # WAV was the example until it could be
    with pytest.raises(UnsupportedMediaError):
        services.evidence_derive_stripped(actor=None, item=item)
    assert EvidenceItem.objects.count() == 1


def test_links_go_to_the_original_and_are_audited(world, jpeg_with_gps):
    _users, sides = world
    a = sides["A"]
    original = add(jpeg_with_gps, "foto.jpg")
    copy = services.evidence_derive_stripped(actor=None, item=original)

    services.evidence_link(
        actor=None,
        item=copy,
        case=a["case"],
        person=a["person"],
        violation=a["violation"],
        incident=a["incident"],
        source=a["source"],
    )

    assert list(original.cases.all()) == [a["case"]]
    assert list(original.persons.all()) == [a["person"]]
    assert not copy.cases.exists()
    assert (
        AuditEntry.objects.filter(
            object_type="evidence.evidenceitem", object_id=str(original.pk), action="m2m_add"
        ).count()
        == 5
    )


def test_a_transfer_is_a_custody_event_naming_the_recipient():
    item = add(b"for the prosecutor", "a.txt")
    event = services.evidence_transfer(
        actor=None, item=item, to_party="ICC OTP", purpose="Article 15 communication"
    )
    assert event.action == "transferred" and event.to_party == "ICC OTP"
    assert event.hash_before == event.hash_after == item.checksum


def test_adding_with_a_case_links_the_item_to_it(world):
    _users, sides = world
    item = add(b"case file", "a.txt", case=sides["A"]["case"])
    assert list(item.cases.all()) == [sides["A"]["case"]]


def test_hostile_file_names_are_reduced_to_a_plain_name():
    item = add(b"x", "../../etc/\x00passwd\r\n")
    assert item.original_name == "passwd"


def test_a_voice_note_gets_a_stripped_copy_in_its_own_format(wav_bytes, client, world):
    from mutagen.id3 import TPE1
    from mutagen.wave import WAVE

    tagged = io.BytesIO(wav_bytes)
    wav = WAVE(tagged)
    wav.add_tags()
    wav.tags.add(TPE1(encoding=3, text="Juan Carlos Pérez"))
    tagged.seek(0)
    wav.save(tagged)
    original = add(tagged.getvalue(), "nota de voz.wav")
    assert original.metadata["av"]["tags"]["TPE1"] == ["Juan Carlos Pérez"]
    assert original.metadata["av"]["duration_seconds"] == pytest.approx(2.0)

    copy = services.evidence_derive_stripped(actor=None, item=original)

    assert copy.original_name == "nota de voz-stripped.wav" and copy.media_type == "audio/wav"
    assert "tags" not in copy.metadata["av"] and copy.derivation["tool"] == "testigo.blobstore"
    with get_store().open(copy.sha256) as fp:
        assert "Pérez".encode() not in fp.read()
    client.force_login(world[0]["analyst"])
    page = client.get(f"/evidence/{original.pk}/").content.decode()
    assert "2.0" in page  # the duration, among the technical metadata


def test_a_video_is_refused_a_stripped_copy_with_the_reason():
    data = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2" + b"\0\0\0\x08free"
    item = add(data, "video.mp4")
    assert item.media_type == "video/mp4"
    with pytest.raises(UnsupportedMediaError, match="recording times or location"):
        services.evidence_derive_stripped(actor=None, item=item)
    assert not item.derivatives.exists()

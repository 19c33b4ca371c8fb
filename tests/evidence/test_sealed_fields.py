"""A seized database reveals no original file name, provider, device or GPS position.

The identifying acquisition and custody fields are sealed with the store's record key
(``testigo.evidence.fields``); the pages, exports and services still see plain values.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import FieldError
from django.db import connection

from testigo.blobstore import TamperedError
from testigo.evidence import services
from testigo.evidence import store as evidence_store
from testigo.evidence.models import CustodyEvent, EvidenceItem
from testigo.evidence.store import get_store

pytestmark = pytest.mark.django_db

NAME = "CANARYNAME-foto-comisaria-Petare.jpg"
PROVIDER = "CANARYFROM María Testigo, cédula V-9.876.543"
DEVICE = "CANARYDEVICE Xiaomi Redmi Note 8 IMEI 356789012345678"
NOTES = "CANARYNOTES handed over at the parish church"
LATITUDE = "10.5034"  # 10° 30' 12.34" N, from the photo's EXIF
LONGITUDE = "-66.9166"


def _acquire(jpeg: bytes) -> EvidenceItem:
    item = services.evidence_add(
        actor=None,
        fileobj=io.BytesIO(jpeg),
        filename=NAME,
        acquired_from=PROVIDER,
        device=DEVICE,
        acquisition_notes=NOTES,
    )
    # The same content again: the custody note names the second submission's file name.
    services.evidence_add(actor=None, fileobj=io.BytesIO(jpeg), filename=NAME, device=DEVICE)
    services.evidence_open(actor=None, item=item, purpose="review").close()
    services.evidence_transfer(actor=None, item=item, to_party=PROVIDER, purpose="return")
    services.evidence_derive_stripped(actor=None, item=item)
    return item


def _database_text() -> str:
    """Every value of every row of every table, as the database returns it (no decryption)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def _database_files(scratch: Path) -> list[Path]:
    """The SQLite database's pages as a file (free pages included), with its WAL if on disk."""
    if connection.vendor != "sqlite":
        return []
    connection.ensure_connection()
    copy = scratch / "seized.sqlite3"
    copy.write_bytes(connection.connection.serialize())  # the pages, as the file holds them
    name = str(connection.settings_dict["NAME"])
    extra = [Path(f"{name}-wal"), Path(f"{name}-journal")] if not name.startswith("file:") else []
    return [copy, *(p for p in extra if p.exists())]


def _needles() -> list[str]:
    return [
        "CANARYNAME",
        "Petare",
        "CANARYFROM",
        "9.876.543",
        "CANARYDEVICE",
        "356789012345678",
        "CANARYNOTES",
        LATITUDE,
        LONGITUDE,
        "EOS Test",  # the camera model in the EXIF
        "Juan Carlos Perez",  # the EXIF artist
    ]


def test_the_database_holds_no_identifying_acquisition_value_in_clear(
    jpeg_with_gps, data_dir, tmp_path
):
    item = _acquire(jpeg_with_gps)

    # The application sees the plain values.
    item = EvidenceItem.objects.get(pk=item.pk)
    assert item.original_name == NAME and item.acquired_from == PROVIDER
    assert item.device == DEVICE and item.acquisition_notes == NOTES
    assert str(item.metadata["gps"]["latitude"]).startswith(LATITUDE)
    assert str(item.metadata["gps"]["longitude"]).startswith(LONGITUDE)
    notes = [event.note for event in item.custody_events.all()]
    assert any(NAME in note for note in notes)
    assert any(event.to_party == PROVIDER for event in item.custody_events.all())

    # The database does not, in any table (the audit log included).
    text = _database_text()
    assert "tg1:" in text  # the values are there, sealed
    for needle in _needles():
        assert needle not in text, needle

    # Nor do the database's files on disk, nor anything else in the data directory.
    files = _database_files(tmp_path) + [p for p in data_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        raw = path.read_bytes()
        for needle in _needles():
            for encoded in {needle.encode("utf-8"), needle.encode("utf-16-le")}:
                assert encoded not in raw, (needle, path)


def test_a_sealed_value_moved_to_another_field_or_altered_no_longer_opens(jpeg_with_gps):
    item = services.evidence_add(
        actor=None, fileobj=io.BytesIO(jpeg_with_gps), filename=NAME, device=DEVICE
    )
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(EvidenceItem._meta.db_table)
        cursor.execute(f"SELECT device FROM {table} WHERE id = %s", [item.pk])
        sealed_device = cursor.fetchone()[0]
        cursor.execute(
            f"UPDATE {table} SET acquired_from = %s WHERE id = %s", [sealed_device, item.pk]
        )
    with pytest.raises(TamperedError):
        EvidenceItem.objects.get(pk=item.pk)

    flipped = sealed_device[:-4] + ("AAAA" if not sealed_device.endswith("AAAA") else "BBBB")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET acquired_from = '', device = %s WHERE id = %s",
            [flipped, item.pk],
        )
    with pytest.raises(TamperedError):
        EvidenceItem.objects.get(pk=item.pk)


def test_sealed_values_survive_a_master_key_rotation(jpeg_with_gps, tmp_path):
    item = services.evidence_add(
        actor=None, fileobj=io.BytesIO(jpeg_with_gps), filename=NAME, acquired_from=PROVIDER
    )
    old_key = get_store().keyring.current.key_id

    result = services.evidence_keys_rotate(recovery_file=tmp_path / "new-recovery.key")
    evidence_store.store_cache_clear()

    assert result.old_key_id == old_key and get_store().keyring.current.key_id != old_key
    item = EvidenceItem.objects.get(pk=item.pk)
    assert item.original_name == NAME and item.acquired_from == PROVIDER
    assert item.metadata["gps"]["latitude"] == pytest.approx(10.5034278, abs=1e-6)


def test_a_lookup_on_a_sealed_field_is_refused_rather_than_matching_nothing():
    with pytest.raises(FieldError, match="sealed"):
        list(EvidenceItem.objects.filter(original_name=NAME))
    with pytest.raises(FieldError, match="sealed"):
        list(CustodyEvent.objects.filter(to_party__icontains="x"))
    assert not EvidenceItem.objects.filter(device__isnull=True).exists()


def test_the_audit_log_shows_that_a_sealed_field_changed_without_its_value(jpeg_with_gps):
    from testigo.audit.models import AuditEntry

    item = services.evidence_add(
        actor=None, fileobj=io.BytesIO(jpeg_with_gps), filename=NAME, device=DEVICE
    )
    item.device = "CANARYDEVICE2 another phone"
    item.save()

    entry = AuditEntry.objects.filter(action="update", object_id=str(item.pk)).latest("id")
    assert "CANARYDEVICE" not in entry.before + entry.after
    before, after = json.loads(entry.before)["device"], json.loads(entry.after)["device"]
    assert before.startswith("sealed:") and after.startswith("sealed:")
    assert before != after


def test_rows_written_before_sealing_are_read_and_then_sealed_by_the_migration(jpeg_with_gps):
    import importlib

    from django.apps import apps

    item = services.evidence_add(actor=None, fileobj=io.BytesIO(jpeg_with_gps), filename="x.jpg")
    table = connection.ops.quote_name(EvidenceItem._meta.db_table)
    with connection.cursor() as cursor:  # as a database from before migration 0002 holds it
        cursor.execute(
            f"UPDATE {table} SET original_name = %s, device = %s, metadata = %s WHERE id = %s",
            [NAME, DEVICE, '{"gps": {"latitude": 10.5034278}}', item.pk],
        )
    legacy = EvidenceItem.objects.get(pk=item.pk)
    assert legacy.original_name == NAME and legacy.device == DEVICE
    assert legacy.metadata == {"gps": {"latitude": 10.5034278}}

    migration = importlib.import_module("testigo.evidence.migrations.0002_seal_identifying_fields")
    migration.seal_existing_rows(apps, None)

    assert "CANARY" not in _database_text() and LATITUDE not in _database_text()
    sealed = EvidenceItem.objects.get(pk=item.pk)
    assert sealed.original_name == NAME and sealed.device == DEVICE
    assert sealed.metadata == {"gps": {"latitude": 10.5034278}}

"""`testigo evidence add|verify|export|keys`: the command-line contract (DESIGN.md §6)."""

from __future__ import annotations

import csv
import hashlib
import json
from io import StringIO
from pathlib import Path

import bagit
import pytest
from django.core.management import CommandError, call_command

from testigo.blobstore import master_key_from_recovery
from testigo.evidence.models import CustodyEvent, EvidenceItem
from testigo.evidence.store import evidence_config, get_store, master_key

from .conftest import PROTECTED_NAME

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("evidence", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_with_status(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("evidence", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- add ---------------------------------------------------------------------------------------


def test_add_prints_the_id_and_sha256_as_json(tmp_path):
    source = write(tmp_path / "video.bin", b"\x00\x01 evidence bytes")

    out, _ = run("add", str(source), "--json")

    data = json.loads(out)
    assert set(data) == {"id", "sha256"}
    assert data["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert EvidenceItem.objects.get(code=data["id"]).original_name == "video.bin"


def test_add_never_changes_the_file_it_reads(tmp_path, jpeg_with_gps):
    source = write(tmp_path / "foto.jpg", jpeg_with_gps)
    before = (source.read_bytes(), source.stat().st_mtime_ns)
    run("add", str(source))
    assert (source.read_bytes(), source.stat().st_mtime_ns) == before


def test_add_links_to_a_case_by_its_reference(tmp_path, world):
    source = write(tmp_path / "a.txt", b"for case A")
    out, _ = run("add", str(source), "--case", "c-a", "--json")
    item = EvidenceItem.objects.get(code=json.loads(out)["id"])
    assert list(item.cases.values_list("reference", flat=True)) == ["C-A"]


def test_adding_the_same_file_twice_reports_the_existing_item(tmp_path):
    source = write(tmp_path / "a.txt", b"twice")
    first = json.loads(run("add", str(source), "--json")[0])
    out, _ = run("add", str(source))
    assert first["id"] in out and "already stored" in out
    assert CustodyEvent.objects.filter(action="acquired").count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "{tmp}/missing.txt"), "no such file"),
        (("add", "{tmp}"), "not a regular file"),
        (("add", "{tmp}/a.txt", "--case", "NO-SUCH-CASE"), "no case has the reference"),
        (("add", "{tmp}/a.txt", "--from-person", "V-99999"), "no person has the pseudonym"),
    ],
)
def test_add_refuses_bad_input_and_writes_nothing(tmp_path, data_dir, args, message):
    write(tmp_path / "a.txt", b"x")
    with pytest.raises(CommandError, match=message):
        run(*(a.format(tmp=tmp_path) for a in args))
    assert not EvidenceItem.objects.exists()
    assert list(data_dir.iterdir()) == []  # no store, no key file


def test_add_says_the_keys_are_not_initialised_when_auto_init_is_off(
    tmp_path, data_dir, monkeypatch
):
    monkeypatch.setenv("TESTIGO_EVIDENCE_AUTO_INIT", "false")
    source = write(tmp_path / "a.txt", b"x")
    with pytest.raises(CommandError, match="keys init"):
        run("add", str(source))
    assert not EvidenceItem.objects.exists()
    assert list(data_dir.iterdir()) == []


# -- verify ------------------------------------------------------------------------------------


def test_verify_exits_0_when_everything_is_intact(tmp_path):
    for n in range(3):
        run("add", str(write(tmp_path / f"{n}.txt", f"item {n}".encode())))
    out, err = run("verify")
    assert "intact: 3 items" in out and err == ""


def test_verify_catches_altered_bytes_on_disk_and_an_altered_hash_in_the_database(
    tmp_path, data_dir
):
    codes = []
    for n in range(3):
        source = write(tmp_path / f"{n}.txt", f"item {n} ".encode() * 999)
        codes.append(json.loads(run("add", str(source), "--json")[0])["id"])
    damaged, rehashed, intact = codes
    # 1. Flip one bit of the first item's ciphertext on disk (its blob is the oldest).
    blobs = [p for p in (data_dir / "evidence" / "blobs").rglob("*") if p.is_file()]
    target = min(blobs, key=lambda p: p.stat().st_mtime_ns)
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    target.write_bytes(bytes(raw))
    # 2. Change the second item's SHA-256 as recorded in the database.
    EvidenceItem.objects.filter(code=rehashed).update(sha256="f" * 64)

    status, _out, err = run_with_status("verify")

    assert status == 1
    lines = err.splitlines()
    assert any(line.startswith(f"MISMATCH {damaged}") and "tampered" in line for line in lines)
    assert any(line.startswith(f"MISMATCH {rehashed}") and "missing" in line for line in lines)
    assert not any(intact in line for line in lines)
    assert "FAILED" in err


def test_verify_reports_as_json(tmp_path):
    run("add", str(write(tmp_path / "a.txt", b"a")))
    out, _ = run("verify", "--json")
    assert json.loads(out) == {
        "intact": True,
        "checked": 1,
        "bytes": 1,
        "problems": [],
        "notices": [],
    }


def test_verify_can_record_a_fixity_check_per_item(tmp_path):
    run("add", str(write(tmp_path / "a.txt", b"a")))
    run("verify", "--record")
    event = CustodyEvent.objects.get(action="verified")
    assert event.purpose == "fixity check" and event.hash_after == event.item.checksum


# -- export ------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_writes_a_bag_that_validates_with_the_bagit_tool(tmp_path, world):
    run("add", str(write(tmp_path / "a.txt", b"for A")), "--case", "C-A")
    run("add", str(write(tmp_path / "b.txt", b"for B")), "--case", "C-B")
    bag_dir = tmp_path / "out" / "bag-a"
    bag_dir.parent.mkdir()

    out, _ = run("export", "--bag", str(bag_dir), "--case", "C-A")

    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert bag.info["External-Identifier"] == "C-A"
    assert set(bag.algorithms) >= {"sha256", "sha512"}
    assert list(bag.payload_files()) == ["data/EV-000001/a.txt"]
    assert (bag_dir / "data" / "EV-000001" / "a.txt").read_bytes() == b"for A"
    assert "1 items" in out


def test_the_custody_report_in_the_bag_matches_the_database(tmp_path, world):
    source = write(tmp_path / "a.txt", b"for A")
    run("add", str(source), "--case", "C-A")
    run("add", str(source))  # a second acquisition of the same content
    item = EvidenceItem.objects.get()
    from testigo.evidence import services

    services.evidence_open(actor=world[0]["analyst"], item=item, purpose="review").close()
    bag_dir = tmp_path / "bag"

    run("export", "--bag", str(bag_dir), "--case", "C-A")

    rows = read_csv(bag_dir / "custody" / "events.csv")
    recorded = [
        {
            "item_id": e.item.code,
            "at_utc": e.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "actor": e.actor_label,
            "action": e.action,
            "from": e.from_party,
            "to": e.to_party,
            "purpose": e.purpose,
            "hash_before": e.hash_before,
            "hash_after": e.hash_after,
            "note": e.note,
        }
        for e in CustodyEvent.objects.order_by("item__code", "at", "id")
    ]
    assert rows == recorded
    assert [r["action"] for r in rows] == ["acquired", "acquired", "viewed", "exported"]
    items = read_csv(bag_dir / "custody" / "items.csv")
    assert items[0]["sha256"] == item.sha256 and items[0]["sha512"] == item.sha512
    assert items[0]["acquisition_by_whom"] == item.acquired_by_label
    report = (bag_dir / "custody" / "report.md").read_text(encoding="utf-8")
    assert "EV-000001" in report and "exported" in report


def test_export_without_a_case_takes_all_originals(tmp_path, world):
    for n in range(2):
        run("add", str(write(tmp_path / f"{n}.txt", f"{n}".encode())))
    run("export", "--bag", str(tmp_path / "bag"))
    bag = bagit.Bag(str(tmp_path / "bag"))
    bag.validate()
    assert len(list(bag.payload_files())) == 2
    assert CustodyEvent.objects.filter(action="exported").count() == 2


def test_export_redacts_protected_names_by_default(tmp_path, world, jpeg_with_gps):
    _users, sides = world
    given, surnames = PROTECTED_NAME
    source = write(tmp_path / "juan_carlos_perez_rodriguez.jpg", jpeg_with_gps)
    run("add", str(source), "--case", "C-A", "--from", f"{given} {surnames}")
    person = sides["A"]["person"]

    run("export", "--bag", str(tmp_path / "redacted"), "--case", "C-A")
    run("export", "--bag", str(tmp_path / "plain"), "--case", "C-A", "--no-redact")

    redacted = tmp_path / "redacted"
    bagit.Bag(str(redacted)).validate()
    texts = " ".join(
        p.read_text(encoding="utf-8") for p in (redacted / "custody").iterdir()
    ) + " ".join(p.name for p in (redacted / "data").rglob("*"))
    assert "Pérez" not in texts and "perez" not in texts.lower()
    assert person.pseudonym_code in texts
    assert "Testigo-Redacted: yes" in (redacted / "bag-info.txt").read_text()
    plain = (tmp_path / "plain" / "custody" / "items.csv").read_text(encoding="utf-8")
    assert f"{given} {surnames}" in plain


def test_a_stripped_export_holds_the_clean_copies_and_names_what_it_left_out(
    tmp_path, world, jpeg_with_gps
):
    video = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2" + b"\0\0\0\x08free"  # no safe method
    run("add", str(write(tmp_path / "foto.jpg", jpeg_with_gps)), "--case", "C-A")
    run("add", str(write(tmp_path / "video.mp4", video)), "--case", "C-A")

    _out, err = run("export", "--bag", str(tmp_path / "bag"), "--case", "C-A", "--stripped")

    bag = bagit.Bag(str(tmp_path / "bag"))
    bag.validate()
    copy = EvidenceItem.objects.get(derived_from__isnull=False)
    assert list(bag.payload_files()) == [f"data/{copy.code}/foto-stripped.jpg"]
    assert (
        b"Canon" not in (tmp_path / "bag" / "data" / copy.code / "foto-stripped.jpg").read_bytes()
    )
    items = read_csv(tmp_path / "bag" / "custody" / "items.csv")
    assert items[0]["copy"] == "derived"
    assert items[0]["derived_from_sha256"] == copy.derived_from.sha256
    assert (
        "EV-000002" in err
        and "Testigo-Omitted-Items" in (tmp_path / "bag" / "bag-info.txt").read_text()
    )


def test_export_refuses_an_existing_directory_and_writes_no_custody_event(tmp_path):
    run("add", str(write(tmp_path / "a.txt", b"a")))
    (tmp_path / "bag").mkdir()
    with pytest.raises(CommandError, match="already exists"):
        run("export", "--bag", str(tmp_path / "bag"))
    assert not CustodyEvent.objects.filter(action="exported").exists()


def test_export_names_an_unknown_case(tmp_path):
    with pytest.raises(CommandError, match="no case has the reference"):
        run("export", "--bag", str(tmp_path / "bag"), "--case", "NOPE")
    assert not (tmp_path / "bag").exists()


# -- keys --------------------------------------------------------------------------------------


def test_keys_init_prints_a_passphrase_once_and_keeps_it_outside_the_data_dir(tmp_path, data_dir):
    out, _ = run("keys", "init")

    config = evidence_config()
    passphrase = config.demo_passphrase_file.read_text().strip()
    assert passphrase in out and passphrase.startswith("TGP-")
    assert not config.demo_passphrase_file.resolve().is_relative_to(data_dir)
    assert config.demo_passphrase_file.stat().st_mode & 0o777 == 0o600
    assert (data_dir / "evidence-master.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(CommandError, match="already initialised"):
        run("keys", "init")


def test_keys_init_with_a_configured_passphrase_prints_none(tmp_path, monkeypatch):
    secret = tmp_path / "secrets" / "passphrase"
    secret.parent.mkdir()
    secret.write_text("a passphrase on separate media\n")
    monkeypatch.setenv("TESTIGO_EVIDENCE_PASSPHRASE_FILE", str(secret))
    out, _ = run("keys", "init")
    assert "Passphrase" not in out
    assert not evidence_config().demo_passphrase_file.exists()
    assert master_key(evidence_config()).key_id in out


def test_export_recovery_gives_a_phrase_that_recreates_the_master_key(tmp_path, data_dir):
    run("keys", "init")
    out, _ = run("keys", "export-recovery")
    assert master_key_from_recovery(out.strip()) == master_key(evidence_config())

    target = tmp_path / "usb" / "recovery.txt"
    target.parent.mkdir()
    run("keys", "export-recovery", "--output", str(target))
    assert master_key_from_recovery(target.read_text()) == master_key(evidence_config())
    with pytest.raises(CommandError, match="inside the data directory"):
        run("keys", "export-recovery", "--output", str(data_dir / "recovery.txt"))


def test_rotation_gives_a_new_key_and_every_item_still_opens(tmp_path):
    run("add", str(write(tmp_path / "a.txt", b"before rotation")))
    old = master_key(evidence_config())
    blob_files = sorted(
        p for p in (evidence_config().store.root / "blobs").rglob("*") if p.is_file()
    )
    blob_bytes = [p.read_bytes() for p in blob_files]

    out, _ = run("keys", "rotate", "--recovery-file", str(tmp_path / "new-recovery.txt"))

    new = master_key(evidence_config())
    assert new != old and new.key_id in out and old.key_id in out
    assert master_key_from_recovery((tmp_path / "new-recovery.txt").read_text()) == new
    assert [p.read_bytes() for p in blob_files] == blob_bytes  # items are not re-encrypted
    with get_store().open(EvidenceItem.objects.get().sha256) as fp:
        assert fp.read() == b"before rotation"
    assert "intact: 1 items" in run("verify")[0]


def test_rotation_in_raw_key_mode_writes_the_new_key_where_told(tmp_path, monkeypatch):
    keys = tmp_path / "usb"
    keys.mkdir()
    monkeypatch.setenv("TESTIGO_EVIDENCE_KEY_FILE", str(keys / "master.txt"))
    run("keys", "init")
    run("add", str(write(tmp_path / "a.txt", b"raw key mode")))

    with pytest.raises(CommandError, match="--recovery-file"):
        run("keys", "rotate")
    run("keys", "rotate", "--recovery-file", str(keys / "master-2.txt"))
    monkeypatch.setenv("TESTIGO_EVIDENCE_KEY_FILE", str(keys / "master-2.txt"))

    assert "intact: 1 items" in run("verify")[0]


def test_keys_status_names_the_store_and_the_key(tmp_path):
    run("keys", "init")
    out, _ = run("keys", "status")
    assert "Initialised: yes" in out and "demo file" in out

"""The store as configured from the environment: key modes, the demo default, refusals."""

from __future__ import annotations

import base64
import io
import os

import pytest

from testigo.blobstore import ConfigurationError, MasterKey, WrongKeyError, recovery_file_write
from testigo.evidence import services
from testigo.evidence import store as evidence_store
from testigo.evidence.models import EvidenceItem
from testigo.evidence.store import KeyNotInitialisedError, evidence_config, get_store, master_key

from .conftest import marker_bytes

pytestmark = pytest.mark.django_db


def add(data: bytes, name: str):
    return services.evidence_add(actor=None, fileobj=io.BytesIO(data), filename=name)


def every_file(directory):
    return [p for p in directory.rglob("*") if p.is_file()]


def test_nothing_in_the_data_directory_reveals_an_items_content(data_dir, jpeg_with_gps, pdf_bytes):
    contents = {
        "testimonio-de-la-madre.txt": marker_bytes("alpha"),
        "small.txt": b"TESTIGO-PLAINTEXT-MARKER short",
        "foto.jpg": jpeg_with_gps,
        "declaracion.pdf": pdf_bytes,
    }
    items = [add(data, name) for name, data in contents.items()]
    master = master_key(evidence_config())
    passphrase = evidence_config().passphrase
    assert passphrase

    needles = [b"TESTIGO-PLAINTEXT-MARKER", b"Canon", b"Testimonio", b"%PDF-", b"JFIF"]
    for data in contents.values():  # windows from the start, middle and end of each file
        for start in (0, len(data) // 2, max(0, len(data) - 32)):
            needles.append(data[start : start + 32])
    for name in contents:
        needles.append(name.encode())
    for item in items:
        needles += [item.sha256.encode(), bytes.fromhex(item.sha256), item.sha512.encode()]
    secret = master.secret_bytes()
    needles += [secret, secret.hex().encode(), base64.b64encode(secret), passphrase.encode()]

    files = every_file(data_dir)
    assert len(files) >= 2 * len(items)  # blobs and envelopes are there, and were scanned
    for path in files:
        raw = path.read_bytes()
        for needle in needles:
            assert needle not in raw, f"{path.relative_to(data_dir)} reveals {needle[:24]!r}"


def test_the_demo_default_keeps_the_passphrase_outside_the_data_directory(data_dir):
    add(b"first use", "a.txt")

    config = evidence_config()
    assert config.uses_demo_passphrase
    assert config.keyfile == data_dir / "evidence-master.key"
    assert not config.demo_passphrase_file.resolve().is_relative_to(data_dir)
    assert config.demo_passphrase_file.stat().st_mode & 0o777 == 0o600


def test_the_store_is_opened_once_per_process():
    add(b"x", "a.txt")
    assert get_store() is get_store()


def test_a_passphrase_file_inside_the_data_directory_is_refused(data_dir, monkeypatch):
    (data_dir / "passphrase").write_text("a passphrase in the wrong place")
    monkeypatch.setenv("TESTIGO_EVIDENCE_PASSPHRASE_FILE", str(data_dir / "passphrase"))
    with pytest.raises(ConfigurationError, match="inside the data directory"):
        get_store()


def test_a_raw_key_inside_the_data_directory_is_refused(data_dir, monkeypatch):
    recovery_file_write(data_dir / "master.txt", MasterKey.generate())
    monkeypatch.setenv("TESTIGO_EVIDENCE_KEY_FILE", str(data_dir / "master.txt"))
    with pytest.raises(ConfigurationError, match="inside the data directory"):
        evidence_store.keys_init()
    with pytest.raises(ConfigurationError, match="inside"):
        master_key(evidence_config())


def test_a_raw_key_on_separate_media_opens_the_store(tmp_path, monkeypatch):
    usb = tmp_path / "usb"
    usb.mkdir()
    monkeypatch.setenv("TESTIGO_EVIDENCE_KEY_FILE", str(usb / "master.txt"))
    with pytest.raises(KeyNotInitialisedError, match="does not exist"):
        add(b"raw key", "a.txt")  # a chosen key mode is never set up behind the operator's back
    evidence_store.keys_init()
    item = add(b"raw key", "a.txt")
    assert (usb / "master.txt").stat().st_mode & 0o777 == 0o600
    evidence_store.store_cache_clear()
    with get_store().open(item.sha256) as fp:
        assert fp.read() == b"raw key"


def test_a_store_whose_key_file_is_gone_is_not_silently_replaced(data_dir):
    add(b"x", "a.txt")
    (data_dir / "evidence-master.key").unlink()
    evidence_store.store_cache_clear()
    with pytest.raises(KeyNotInitialisedError, match="exists but its key file"):
        get_store()
    assert not (data_dir / "evidence-master.key").exists()


def test_a_wrong_passphrase_is_refused(monkeypatch):
    add(b"x", "a.txt")
    evidence_store.store_cache_clear()
    monkeypatch.setenv("TESTIGO_EVIDENCE_PASSPHRASE", "not the right passphrase")
    with pytest.raises(WrongKeyError):
        get_store()


def test_a_key_file_without_its_passphrase_names_the_setting(monkeypatch):
    add(b"x", "a.txt")
    evidence_config().demo_passphrase_file.unlink()
    evidence_store.store_cache_clear()
    with pytest.raises(ConfigurationError, match="TESTIGO_EVIDENCE_PASSPHRASE_FILE"):
        get_store()


def test_without_auto_init_the_first_use_asks_for_keys_init(data_dir, monkeypatch):
    monkeypatch.setenv("TESTIGO_EVIDENCE_AUTO_INIT", "false")
    with pytest.raises(KeyNotInitialisedError, match="keys init"):
        add(b"x", "a.txt")
    assert list(data_dir.iterdir()) == []
    assert not EvidenceItem.objects.exists()


def test_an_unknown_backend_is_refused(monkeypatch):
    monkeypatch.setenv("TESTIGO_EVIDENCE_BACKEND", "ftp")
    with pytest.raises(ConfigurationError, match="use local or s3"):
        get_store()


def test_the_s3_backend_needs_a_bucket(monkeypatch):
    monkeypatch.setenv("TESTIGO_EVIDENCE_BACKEND", "s3")
    with pytest.raises(ConfigurationError, match="TESTIGO_EVIDENCE_S3_BUCKET"):
        get_store()


def test_evidence_goes_to_an_s3_compatible_store_when_configured(monkeypatch, data_dir):
    moto = pytest.importorskip("moto")
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TESTIGO_EVIDENCE_BACKEND": "s3",
        "TESTIGO_EVIDENCE_S3_BUCKET": "evidence-test",
        "TESTIGO_EVIDENCE_S3_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="evidence-test")
        item = add(marker_bytes("s3", 2 * 1024 * 1024), "a.txt")
        report = services.evidence_verify()
        keys = [
            o["Key"]
            for o in boto3.client("s3", region_name="us-east-1").list_objects_v2(
                Bucket="evidence-test"
            )["Contents"]
        ]
    assert report.ok and report.checked == 1
    assert any(key.startswith("evidence/blobs/") for key in keys)
    assert not (data_dir / "evidence").exists()
    assert item.size == 2 * 1024 * 1024
    assert os.environ["TESTIGO_EVIDENCE_BACKEND"] == "s3"


def test_the_deployment_check_warns_while_the_demo_passphrase_is_in_use():
    from django.core.checks import run_checks

    assert not [m for m in run_checks(include_deployment_checks=True) if "evidence" in m.id]
    add(b"x", "a.txt")
    ids = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "testigo.evidence.W002" in ids

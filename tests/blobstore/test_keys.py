"""Master keys: the passphrase-protected key file, recovery copies, loading, and rotation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from testigo.blobstore import (
    BlobStore,
    ConfigurationError,
    KdfParams,
    KeyfileError,
    KeyringError,
    MasterKey,
    RecoveryPhraseError,
    WeakPassphraseError,
    WrongKeyError,
    keyfile_change_passphrase,
    keyfile_create,
    keyfile_key_id,
    keyfile_open,
    load_master_key,
    master_key_from_recovery,
    recovery_file_write,
    recovery_phrase,
    rotate_keyfile,
    rotate_master_key,
)
from testigo.blobstore.backends.local import LocalBackend
from testigo.blobstore.keys import Keyring
from testigo.blobstore.rotation import pending_keyfile

FAST = KdfParams.fast_for_tests()
PASSPHRASE = "correct horse battery staple"


# -- key file -------------------------------------------------------------------------------


def test_a_key_file_opens_with_its_passphrase(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    assert keyfile_open(path, PASSPHRASE) == master
    assert keyfile_key_id(path) == master.key_id
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_key_file_refuses_the_wrong_passphrase(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    with pytest.raises(WrongKeyError):
        keyfile_open(path, PASSPHRASE + "!")


def test_a_key_file_holds_no_trace_of_the_key(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    content = path.read_bytes()
    assert master.secret_bytes() not in content
    assert master.secret_bytes().hex().encode() not in content
    assert PASSPHRASE.encode() not in content


def test_a_key_file_uses_argon2id_with_strong_defaults(tmp_path: Path, master: MasterKey) -> None:
    defaults = KdfParams()
    assert (defaults.name, defaults.memory_kib, defaults.iterations) == ("argon2id", 262144, 3)
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    assert json.loads(path.read_text())["kdf"]["name"] == "argon2id"


@pytest.mark.parametrize(
    ("field", "value"),
    [("key_id", "0" * 16), ("kdf", None), ("nonce", "AAAAAAAAAAAAAAAA"), ("ciphertext", "AA==")],
)
def test_a_key_file_refuses_an_altered_field(
    tmp_path: Path, master: MasterKey, field: str, value: object
) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    record = json.loads(path.read_text())
    if field == "kdf":
        record["kdf"]["iterations"] = 2
    else:
        record[field] = value
    path.write_text(json.dumps(record))
    with pytest.raises((WrongKeyError, KeyfileError)):
        keyfile_open(path, PASSPHRASE)


def test_a_key_file_refuses_absurd_kdf_parameters(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    record = json.loads(path.read_text())
    record["kdf"]["memory_kib"] = 1 << 30  # 1 TiB: a hostile file must not exhaust memory
    path.write_text(json.dumps(record))
    with pytest.raises(KeyfileError):
        keyfile_open(path, PASSPHRASE)


def test_a_key_file_is_never_overwritten_by_accident(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    with pytest.raises(KeyfileError):
        keyfile_create(path, MasterKey.generate(), PASSPHRASE, kdf=FAST)
    assert keyfile_open(path, PASSPHRASE) == master


def test_a_key_file_refuses_a_short_passphrase(tmp_path: Path, master: MasterKey) -> None:
    with pytest.raises(WeakPassphraseError):
        keyfile_create(tmp_path / "master.key", master, "short", kdf=FAST)


def test_a_missing_or_foreign_key_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(KeyfileError):
        keyfile_open(tmp_path / "absent.key", PASSPHRASE)
    (tmp_path / "other.json").write_text('{"hello": "world"}')
    with pytest.raises(KeyfileError):
        keyfile_open(tmp_path / "other.json", PASSPHRASE)


def test_the_passphrase_can_be_changed(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    keyfile_change_passphrase(path, PASSPHRASE, "a brand new passphrase", kdf=FAST)
    assert keyfile_open(path, "a brand new passphrase") == master
    with pytest.raises(WrongKeyError):
        keyfile_open(path, PASSPHRASE)


def test_passphrases_are_compared_after_unicode_normalisation(
    tmp_path: Path, master: MasterKey
) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, "contraseña segura 2024", kdf=FAST)  # composed ñ
    assert keyfile_open(path, "contrasen\u0303a segura 2024") == master  # decomposed ñ


# -- recovery copies ------------------------------------------------------------------------


def test_a_recovery_phrase_gives_back_the_same_key(master: MasterKey) -> None:
    phrase = recovery_phrase(master)
    assert phrase.startswith("TGK1-")
    assert len(phrase.split("-")) == 12
    assert master_key_from_recovery(phrase) == master


def test_a_recovery_phrase_forgives_case_spacing_and_confusable_letters(master: MasterKey) -> None:
    phrase = recovery_phrase(master)
    sloppy = phrase.lower().replace("-", "  ").replace("0", "o").replace("1", "l")
    assert master_key_from_recovery(sloppy) == master


def test_a_recovery_phrase_with_a_typo_is_rejected(master: MasterKey) -> None:
    phrase = recovery_phrase(master)
    position = phrase.index("-", 10) + 1
    replacement = "A" if phrase[position] != "A" else "B"
    typo = phrase[:position] + replacement + phrase[position + 1 :]
    with pytest.raises(RecoveryPhraseError):
        master_key_from_recovery(typo)


@pytest.mark.parametrize("text", ["", "TGK1-ABC", "TGK1-" + "U" * 55, "not a phrase at all"])
def test_malformed_recovery_text_is_rejected(text: str) -> None:
    with pytest.raises(RecoveryPhraseError):
        master_key_from_recovery(text)


def test_a_recovery_file_restores_the_key(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "usb" / "testigo-recovery.txt"
    path.parent.mkdir()
    recovery_file_write(path, master)
    assert path.stat().st_mode & 0o777 == 0o600
    assert master.key_id in path.read_text()
    assert master_key_from_recovery(path.read_text()) == master
    with pytest.raises(KeyfileError):
        recovery_file_write(path, master)


# -- loading --------------------------------------------------------------------------------


def test_a_raw_key_may_come_from_the_environment(master: MasterKey) -> None:
    env = {"TESTIGO_EVIDENCE_KEY": recovery_phrase(master)}
    assert load_master_key(key_text=env["TESTIGO_EVIDENCE_KEY"]) == master


def test_a_raw_key_file_inside_the_data_directory_is_refused(
    tmp_path: Path, master: MasterKey
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "keys").mkdir(parents=True)
    inside = data_dir / "keys" / "master.txt"
    recovery_file_write(inside, master)
    with pytest.raises(ConfigurationError, match="inside"):
        load_master_key(key_path=inside, forbidden_dirs=[data_dir])
    outside = tmp_path / "media" / "master.txt"
    outside.parent.mkdir()
    recovery_file_write(outside, master)
    assert load_master_key(key_path=outside, forbidden_dirs=[data_dir]) == master


def test_a_raw_key_file_reached_through_a_symlink_into_the_data_directory_is_refused(
    tmp_path: Path, master: MasterKey
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    recovery_file_write(data_dir / "master.txt", master)
    link = tmp_path / "looks-outside.txt"
    link.symlink_to(data_dir / "master.txt")
    with pytest.raises(ConfigurationError):
        load_master_key(key_path=link, forbidden_dirs=[data_dir])


def test_a_key_file_needs_its_passphrase(tmp_path: Path, master: MasterKey) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    with pytest.raises(ConfigurationError):
        load_master_key(keyfile=path)
    assert load_master_key(keyfile=path, passphrase=PASSPHRASE) == master
    with pytest.raises(ConfigurationError):
        load_master_key()


def test_a_master_key_never_shows_its_secret_in_its_repr(master: MasterKey) -> None:
    assert master.secret_bytes().hex() not in repr(master)
    assert master.key_id in repr(master)


# -- rotation -------------------------------------------------------------------------------


def _blob_bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (root / "blobs").rglob("*") if p.is_file()}


def test_rotation_rewraps_every_data_key_without_touching_the_items(
    store: BlobStore, store_root: Path, master: MasterKey
) -> None:
    contents = [os.urandom(n) for n in (0, 100, 2 << 20)]
    items = [store.put(c) for c in contents]
    blobs_before = _blob_bytes(store_root)
    envelopes_before = {p.name: p.read_bytes() for p in (store_root / "envelopes").rglob("*/*")}

    new = MasterKey.generate()
    report = rotate_master_key(store.backend, master, new)

    assert (report.rewrapped, report.already_current, report.complete) == (3, 0, True)
    assert _blob_bytes(store_root) == blobs_before  # items are not re-encrypted
    envelopes_after = {p.name: p.read_bytes() for p in (store_root / "envelopes").rglob("*/*")}
    assert envelopes_after.keys() == envelopes_before.keys()
    assert all(envelopes_after[k] != envelopes_before[k] for k in envelopes_before)
    rotated = BlobStore(LocalBackend(store_root), Keyring(new))
    for item, content in zip(items, contents, strict=True):
        assert rotated.open(item.sha256).read() == content
    assert rotated.verify().ok
    with pytest.raises(WrongKeyError):
        BlobStore(LocalBackend(store_root), Keyring(master))


def test_an_interrupted_rotation_resumes_where_it_stopped(
    store: BlobStore, store_root: Path, master: MasterKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(6):
        store.put(f"item {i}".encode())
    new = MasterKey.generate()
    backend = LocalBackend(store_root)
    real_write = backend.write_record
    calls = {"n": 0}

    def write_then_crash(name: str, data: bytes, *, overwrite: bool) -> bool:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the process dies part-way through
        return real_write(name, data, overwrite=overwrite)

    monkeypatch.setattr(backend, "write_record", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        rotate_master_key(backend, master, new)
    monkeypatch.undo()

    report = rotate_master_key(LocalBackend(store_root), master, new)
    assert (report.rewrapped, report.already_current) == (3, 3)
    assert BlobStore(LocalBackend(store_root), Keyring(new)).verify().ok


def test_rotating_the_key_file_replaces_the_key_and_writes_a_recovery_copy(
    tmp_path: Path, master: MasterKey
) -> None:
    keyfile = tmp_path / "master.key"
    keyfile_create(keyfile, master, PASSPHRASE, kdf=FAST)
    backend = LocalBackend(tmp_path / "store")
    store = BlobStore.initialise(backend, master)
    item = store.put(b"kept across the rotation")

    result = rotate_keyfile(
        backend,
        keyfile,
        PASSPHRASE,
        new_passphrase="the next passphrase",
        recovery_path=tmp_path / "recovery.txt",
        kdf=FAST,
    )

    new = keyfile_open(keyfile, "the next passphrase")
    assert new == result.new_key != master
    assert result.old_key_id == master.key_id
    assert master_key_from_recovery((tmp_path / "recovery.txt").read_text()) == new
    assert not pending_keyfile(keyfile).exists()
    assert BlobStore(backend, Keyring(new)).open(item.sha256).read() == b"kept across the rotation"


def test_a_failed_key_file_rotation_keeps_the_old_key_file_and_resumes(
    tmp_path: Path, master: MasterKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyfile = tmp_path / "master.key"
    keyfile_create(keyfile, master, PASSPHRASE, kdf=FAST)
    backend = LocalBackend(tmp_path / "store")
    store = BlobStore.initialise(backend, master)
    item = store.put(b"still readable")
    [envelope] = (tmp_path / "store" / "envelopes").rglob("*/*")
    good = envelope.read_bytes()
    envelope.write_text("{damaged}")

    with pytest.raises(KeyringError, match="run the rotation again"):
        rotate_keyfile(backend, keyfile, PASSPHRASE, kdf=FAST)
    assert keyfile_open(keyfile, PASSPHRASE) == master
    waiting = keyfile_open(pending_keyfile(keyfile), PASSPHRASE)

    envelope.write_bytes(good)  # restored from backup
    result = rotate_keyfile(backend, keyfile, PASSPHRASE, kdf=FAST)
    assert result.resumed
    assert result.new_key == waiting == keyfile_open(keyfile, PASSPHRASE)
    assert BlobStore(backend, Keyring(waiting)).open(item.sha256).read() == b"still readable"


def test_a_recovery_copy_can_be_written_where_hard_links_are_not_supported(
    tmp_path: Path, master: MasterKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAT-formatted USB sticks refuse os.link; the copy is still written, never overwritten."""
    import errno

    def no_links(source: object, target: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "recovery.txt"
    recovery_file_write(path, master)
    assert master_key_from_recovery(path.read_text()) == master
    with pytest.raises(KeyfileError):
        recovery_file_write(path, MasterKey.generate())
    assert [p.name for p in tmp_path.iterdir()] == ["recovery.txt"]


def test_a_key_file_with_non_numeric_kdf_parameters_is_refused(
    tmp_path: Path, master: MasterKey
) -> None:
    path = tmp_path / "master.key"
    keyfile_create(path, master, PASSPHRASE, kdf=FAST)
    record = json.loads(path.read_text())
    record["kdf"]["iterations"] = "3"
    path.write_text(json.dumps(record))
    with pytest.raises(KeyfileError):
        keyfile_open(path, PASSPHRASE)

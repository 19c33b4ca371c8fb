"""Storing, reading, de-duplicating and verifying items in the local store."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from testigo.blobstore import (
    BlobStore,
    ConfigurationError,
    HashMismatchError,
    ItemNotFoundError,
    Keyring,
    MasterKey,
    RecordedItem,
    TamperedError,
    WrongKeyError,
)
from testigo.blobstore.backends.local import LocalBackend

MIB = 1 << 20


def _blob_paths(root: Path) -> list[Path]:
    return sorted(p for p in (root / "blobs").rglob("*") if p.is_file())


def _envelope_paths(root: Path) -> list[Path]:
    return sorted(p for p in (root / "envelopes").rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "size",
    [0, 1, 4095, MIB - 1, MIB, MIB + 1, 3 * MIB + 17],
    ids=["empty", "one-byte", "small", "chunk-minus-one", "one-chunk", "chunk-plus-one", "multi"],
)
def test_it_returns_exactly_the_bytes_it_stored(store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    item = store.put(data)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.sha512 == hashlib.sha512(data).hexdigest()
    assert item.size == size
    assert item.created
    with store.open(item.sha256) as fp:
        assert fp.read() == data


def test_it_accepts_files_iterables_and_streamed_writes(store: BlobStore) -> None:
    data = os.urandom(2 * MIB + 5)
    from_file = store.put(io.BytesIO(data))
    from_chunks = store.put(data[i : i + 1000] for i in range(0, len(data), 1000))
    with store.writer() as pending:
        for i in range(0, len(data), 65536):
            pending.write(data[i : i + 65536])
        from_writer = pending.commit()
    assert from_file.sha256 == from_chunks.sha256 == from_writer.sha256
    assert (from_file.created, from_chunks.created, from_writer.created) == (True, False, False)


def test_it_stores_identical_content_once(store: BlobStore, store_root: Path) -> None:
    first = store.put(b"the same testimony")
    second = store.put(b"the same testimony")
    assert first.sha256 == second.sha256
    assert not second.created
    assert len(_blob_paths(store_root)) == 1
    assert len(_envelope_paths(store_root)) == 1
    assert list((store_root / "tmp").iterdir()) == []


def test_it_sniffs_the_media_type_while_storing(store: BlobStore) -> None:
    item = store.put(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"x" * 100)
    assert item.media_type == "application/pdf"
    assert store.info(item.sha256).media_type == "application/pdf"
    assert item.checksum == f"sha256:{item.sha256}"


def test_it_reads_any_range_of_an_item(small_chunk_store: BlobStore) -> None:
    data = os.urandom(50_000)
    item = small_chunk_store.put(data)
    with small_chunk_store.open(item.sha256) as fp:
        for offset, length in [(0, 10), (4090, 20), (49_990, 100), (12_288, 4096), (7, 0)]:
            fp.seek(offset)
            assert fp.read(length) == data[offset : offset + length]
        fp.seek(-5, io.SEEK_END)
        assert fp.read() == data[-5:]


def test_it_accepts_a_sha256_prefix_and_capitals(store: BlobStore) -> None:
    item = store.put(b"abc")
    assert store.exists("sha256:" + item.sha256.upper())
    assert store.info("SHA256:" + item.sha256).size == 3


def test_it_reports_an_unknown_item_as_not_found(store: BlobStore) -> None:
    with pytest.raises(ItemNotFoundError):
        store.open(hashlib.sha256(b"never stored").hexdigest())
    assert not store.exists(hashlib.sha256(b"never stored").hexdigest())


def test_it_rejects_a_malformed_hash(store: BlobStore) -> None:
    with pytest.raises(ValueError):
        store.open("../../etc/passwd")


def test_it_refuses_to_initialise_a_store_twice(store_root: Path, store: BlobStore) -> None:
    with pytest.raises(ConfigurationError):
        BlobStore.initialise(LocalBackend(store_root), MasterKey.generate())


def test_it_refuses_to_open_a_directory_that_holds_no_store(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        BlobStore(LocalBackend(tmp_path / "empty"), Keyring(MasterKey.generate()))


def test_it_refuses_a_store_sealed_under_another_master_key(
    store_root: Path, store: BlobStore
) -> None:
    with pytest.raises(WrongKeyError):
        BlobStore(LocalBackend(store_root), Keyring(MasterKey.generate()))


def test_it_lists_every_stored_item(store: BlobStore) -> None:
    hashes = {store.put(f"item {i}".encode()).sha256 for i in range(5)}
    assert set(store.iter_sha256()) == hashes


# -- verify --------------------------------------------------------------------------------


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_verify_passes_an_untouched_store(store: BlobStore) -> None:
    items = [store.put(os.urandom(n)) for n in (0, 10, MIB + 3)]
    recorded = [
        RecordedItem(f"EV-{i}", it.sha256, it.sha512, it.size) for i, it in enumerate(items)
    ]
    report = store.verify(recorded)
    assert report.ok, report.problems
    assert report.checked == 3
    assert report.bytes_checked == MIB + 13
    assert report.notices == []


def test_verify_catches_a_corrupted_ciphertext(store: BlobStore, store_root: Path) -> None:
    good = store.put(b"untouched evidence")
    bad = store.put(os.urandom(5000))
    target = next(
        p for p in _blob_paths(store_root) if p.stat().st_size == 5000 + 20 + 16
    )  # header + one chunk's tag
    _flip_byte(target, 2500)
    report = store.verify([RecordedItem("EV-1", good.sha256), RecordedItem("EV-2", bad.sha256)])
    assert not report.ok
    kinds = {(p.subject, p.kind) for p in report.problems}
    assert (f"sha256:{bad.sha256}", "tampered") in kinds
    assert ("EV-2", "stored_copy_damaged") in kinds
    assert all(good.sha256 not in p.subject for p in report.problems)


def test_verify_catches_a_corrupted_recorded_hash(store: BlobStore) -> None:
    item = store.put(b"a witness statement")
    altered_sha256 = "0" * 63 + "1"
    altered_sha512 = "f" * 128
    report = store.verify(
        [
            RecordedItem("EV-1", altered_sha256, item.sha512),
            RecordedItem("EV-2", item.sha256, altered_sha512),
        ]
    )
    problems = {(p.subject, p.kind) for p in report.problems}
    assert ("EV-1", "missing") in problems
    assert ("EV-2", "hash_mismatch") in problems
    assert not report.ok


def test_verify_catches_a_recorded_size_that_differs(store: BlobStore) -> None:
    item = store.put(b"12345")
    report = store.verify([RecordedItem("EV-1", item.sha256, item.sha512, size=6)])
    assert [(p.subject, p.kind) for p in report.problems] == [("EV-1", "size_mismatch")]


def test_verify_catches_a_missing_blob(store: BlobStore, store_root: Path) -> None:
    item = store.put(b"soon gone")
    _blob_paths(store_root)[0].unlink()
    report = store.verify()
    assert [(p.subject, p.kind) for p in report.problems] == [
        (f"sha256:{item.sha256}", "blob_missing")
    ]


def test_verify_catches_an_envelope_moved_to_another_item(
    store: BlobStore, store_root: Path
) -> None:
    store.put(b"first item")
    store.put(b"second item")
    first, second = _envelope_paths(store_root)
    first.write_bytes(second.read_bytes())
    report = store.verify()
    assert [p.kind for p in report.problems] == ["envelope_damaged"]


def test_verify_notices_stored_items_nobody_recorded(store: BlobStore) -> None:
    kept = store.put(b"recorded")
    stray = store.put(b"not recorded")
    report = store.verify([RecordedItem("EV-1", kept.sha256)])
    assert report.ok
    assert [(p.subject, p.kind) for p in report.notices] == [
        (f"sha256:{stray.sha256}", "unreferenced")
    ]


def test_reading_a_tampered_item_raises_instead_of_returning_bad_bytes(
    store: BlobStore, store_root: Path
) -> None:
    item = store.put(os.urandom(3 * MIB))
    _flip_byte(_blob_paths(store_root)[0], 2 * MIB + 100)
    with store.open(item.sha256) as fp, pytest.raises(TamperedError):
        fp.read()


def test_reading_checks_both_hashes_at_the_end(store: BlobStore, store_root: Path) -> None:
    """An envelope re-sealed with wrong hashes (only possible with the master key) is caught."""
    item = store.put(b"content")
    env = store._envelope(item.sha256)
    forged = type(env)(**{**env.__dict__, "sha512": "0" * 128})
    path = _envelope_paths(store_root)[0]
    path.write_bytes(store._seal_envelope(forged, store.keyring.current))
    with store.open(item.sha256) as fp, pytest.raises(HashMismatchError):
        fp.read()
    assert [p.kind for p in store.verify().problems] == ["hash_mismatch"]


def test_envelopes_are_padded_so_their_length_reveals_nothing(
    store: BlobStore, store_root: Path
) -> None:
    store.put(b"%PDF-1.4 a short pdf")
    store.put(os.urandom(123_456))
    store.put(b"")
    sizes = {p.stat().st_size for p in _envelope_paths(store_root)}
    assert len(sizes) == 1


def test_store_files_are_private_to_their_owner(store: BlobStore, store_root: Path) -> None:
    store.put(b"private")
    for path in [store_root, *store_root.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_store_json_names_its_master_key(store: BlobStore, store_root: Path, master) -> None:
    record = json.loads((store_root / "store.json").read_text())
    assert record["kek"] == master.key_id
    assert "locator_key" not in json.dumps(record)


def test_the_store_works_where_hard_links_are_not_supported(
    store: BlobStore, store_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    def no_links(source: object, target: object) -> None:
        raise OSError(errno.EOPNOTSUPP, "Operation not supported")

    monkeypatch.setattr(os, "link", no_links)
    item = store.put(b"on a filesystem without hard links")
    assert not store.put(b"on a filesystem without hard links").created
    assert store.open(item.sha256).read() == b"on a filesystem without hard links"
    assert list((store_root / "tmp").iterdir()) == []

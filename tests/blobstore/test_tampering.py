"""Any change to a stored item's ciphertext or envelope is caught, never returned as content."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from testigo.blobstore import (
    BlobStore,
    IntegrityError,
    Keyring,
    MasterKey,
    TamperedError,
    WrongKeyError,
)
from testigo.blobstore.aead import HEADER_SIZE, TAG_SIZE
from testigo.blobstore.backends.local import LocalBackend

CHUNK = 4096
STRIDE = CHUNK + TAG_SIZE


def _only_blob(store: BlobStore) -> Path:
    root = store.backend.root  # type: ignore[attr-defined]
    [path] = [p for p in (root / "blobs").rglob("*") if p.is_file()]
    return path


def _flip(data: bytes, offset: int) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 0x80
    return bytes(changed)


def _swap_chunks(data: bytes) -> bytes:
    first = data[HEADER_SIZE : HEADER_SIZE + STRIDE]
    second = data[HEADER_SIZE + STRIDE : HEADER_SIZE + 2 * STRIDE]
    return data[:HEADER_SIZE] + second + first + data[HEADER_SIZE + 2 * STRIDE :]


def _drop_second_chunk(data: bytes) -> bytes:
    return data[: HEADER_SIZE + STRIDE] + data[HEADER_SIZE + 2 * STRIDE :]


TAMPERINGS: dict[str, Callable[[bytes], bytes]] = {
    "bit flip in the first chunk": lambda d: _flip(d, HEADER_SIZE + 10),
    "bit flip in the final tag": lambda d: _flip(d, len(d) - 1),
    "bit flip in the header's chunk size": lambda d: _flip(d, 10),
    "bit flip in the nonce prefix": lambda d: _flip(d, HEADER_SIZE - 1),
    "truncated at a chunk boundary": lambda d: d[: HEADER_SIZE + 2 * STRIDE],
    "truncated inside a chunk": lambda d: d[: HEADER_SIZE + STRIDE + 100],
    "truncated inside the header": lambda d: d[:10],
    "final chunk dropped": lambda d: d[: HEADER_SIZE + 3 * STRIDE],
    "two chunks swapped": _swap_chunks,
    "a middle chunk dropped": _drop_second_chunk,
    "a chunk duplicated": lambda d: d[: HEADER_SIZE + STRIDE] + d[HEADER_SIZE:],
    "bytes appended": lambda d: d + b"\x00" * 32,
    "emptied": lambda d: b"",
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_it_detects_tampering_with_the_ciphertext(
    small_chunk_store: BlobStore, tamper: Callable[[bytes], bytes]
) -> None:
    data = os.urandom(3 * CHUNK + 123)  # three full chunks and a short final one
    item = small_chunk_store.put(data)
    blob = _only_blob(small_chunk_store)
    blob.write_bytes(tamper(blob.read_bytes()))

    with pytest.raises(IntegrityError), small_chunk_store.open(item.sha256) as fp:
        fp.read()
    report = small_chunk_store.verify()
    assert not report.ok
    assert report.problems[0].subject == f"sha256:{item.sha256}"


def test_it_detects_an_empty_item_turned_into_a_non_empty_one(small_chunk_store: BlobStore) -> None:
    item = small_chunk_store.put(b"")
    blob = _only_blob(small_chunk_store)
    blob.write_bytes(blob.read_bytes() + os.urandom(TAG_SIZE + 5))
    with pytest.raises(IntegrityError):
        small_chunk_store.open(item.sha256).read()


def test_it_detects_a_chunk_exactly_full_then_cut(small_chunk_store: BlobStore) -> None:
    """A length that is a multiple of the chunk size ends with an empty final chunk; drop it."""
    item = small_chunk_store.put(os.urandom(2 * CHUNK))
    blob = _only_blob(small_chunk_store)
    data = blob.read_bytes()
    assert len(data) == HEADER_SIZE + 2 * STRIDE + TAG_SIZE
    blob.write_bytes(data[: HEADER_SIZE + 2 * STRIDE])
    with pytest.raises(TamperedError):
        small_chunk_store.open(item.sha256).read()


def test_it_detects_a_blob_swapped_with_another_items_blob(small_chunk_store: BlobStore) -> None:
    first = small_chunk_store.put(b"A" * 5000)
    small_chunk_store.put(b"B" * 5000)
    root = small_chunk_store.backend.root  # type: ignore[attr-defined]
    blob_a, blob_b = sorted(p for p in (root / "blobs").rglob("*") if p.is_file())
    content_a, content_b = blob_a.read_bytes(), blob_b.read_bytes()
    blob_a.write_bytes(content_b)
    blob_b.write_bytes(content_a)
    with pytest.raises(TamperedError):
        small_chunk_store.open(first.sha256).read()
    assert {p.kind for p in small_chunk_store.verify().problems} == {"tampered"}


def test_it_refuses_to_decrypt_with_the_wrong_master_key(tmp_path: Path, master: MasterKey) -> None:
    root = tmp_path / "store"
    item = BlobStore.initialise(LocalBackend(root), master).put(b"sealed")
    with pytest.raises(WrongKeyError):
        BlobStore(LocalBackend(root), Keyring(MasterKey.generate())).open(item.sha256)


def test_it_refuses_an_envelope_whose_key_id_was_relabelled(
    small_chunk_store: BlobStore, master: MasterKey
) -> None:
    item = small_chunk_store.put(b"relabelled")
    root = small_chunk_store.backend.root  # type: ignore[attr-defined]
    [path] = [p for p in (root / "envelopes").rglob("*") if p.is_file()]
    other = MasterKey.generate()
    record = json.loads(path.read_bytes())
    record["kek"] = other.key_id
    path.write_text(json.dumps(record))
    store = BlobStore(small_chunk_store.backend, Keyring(master, previous=[other]))
    with pytest.raises(TamperedError):
        store.open(item.sha256)


def test_it_refuses_an_altered_store_record(
    small_chunk_store: BlobStore, master: MasterKey
) -> None:
    root = small_chunk_store.backend.root  # type: ignore[attr-defined]
    record = json.loads((root / "store.json").read_text())
    record["store_id"] = "0" * 32
    (root / "store.json").write_text(json.dumps(record))
    with pytest.raises(TamperedError):
        BlobStore(LocalBackend(root), Keyring(master))


def test_reads_after_a_seek_are_still_authenticated(small_chunk_store: BlobStore) -> None:
    item = small_chunk_store.put(os.urandom(4 * CHUNK))
    blob = _only_blob(small_chunk_store)
    blob.write_bytes(_flip(blob.read_bytes(), HEADER_SIZE + 2 * STRIDE + 7))
    with small_chunk_store.open(item.sha256) as fp:
        fp.seek(CHUNK)
        assert len(fp.read(CHUNK)) == CHUNK  # chunk 1 is intact
        with pytest.raises(TamperedError):
            fp.read(CHUNK)  # chunk 2 is not

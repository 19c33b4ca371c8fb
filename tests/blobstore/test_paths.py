"""Every path goes through one function that refuses escapes from the store and symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from testigo.blobstore import BlobStore, ItemNotFoundError, UnsafePathError
from testigo.blobstore.backends.local import LocalBackend


@pytest.mark.parametrize(
    "relative",
    [
        "../outside",
        "blobs/../../outside",
        "/etc/passwd",
        "blobs//x",
        "",
        "blobs/./x",
        ".hidden",
        "blobs/a\x00b",
        "blobs\\..\\x",
        "envelopes/ab/..",
    ],
)
def test_it_rejects_a_path_outside_the_store(store_root: Path, relative: str) -> None:
    backend = LocalBackend(store_root)
    with pytest.raises(UnsafePathError):
        backend.resolve(relative)


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABCDEF", "0" * 31, "g" * 32, "0" * 33])
def test_it_rejects_a_malformed_blob_name(store_root: Path, name: str) -> None:
    with pytest.raises(UnsafePathError):
        LocalBackend(store_root).open_blob(name)


@pytest.mark.parametrize("name", ["envelopes/../store.json", "keys/x", "envelopes/" + "0" * 63])
def test_it_rejects_a_malformed_record_name(store_root: Path, name: str) -> None:
    with pytest.raises(UnsafePathError):
        LocalBackend(store_root).read_record(name)


def test_it_resolves_a_well_formed_path_inside_the_root(store_root: Path) -> None:
    backend = LocalBackend(store_root)
    assert backend.resolve("blobs/ab") == store_root.resolve() / "blobs" / "ab"


def _blob_path(store: BlobStore) -> Path:
    root: Path = store.backend.root  # type: ignore[attr-defined]
    [path] = [p for p in (root / "blobs").rglob("*") if p.is_file()]
    return path


def test_it_refuses_a_blob_replaced_by_a_symlink(store: BlobStore, tmp_path: Path) -> None:
    item = store.put(b"evidence")
    blob = _blob_path(store)
    outside = tmp_path / "outside"
    outside.write_bytes(blob.read_bytes())
    blob.unlink()
    blob.symlink_to(outside)
    with pytest.raises(UnsafePathError):
        store.open(item.sha256)
    report = store.verify()
    kinds = {(p.subject, p.kind) for p in report.problems}
    assert (f"blobs/{blob.parent.name}/{blob.name}", "unsafe_layout") in kinds
    assert (f"sha256:{item.sha256}", "blob_unreadable") in kinds


def test_it_refuses_a_shard_directory_replaced_by_a_symlink(
    store: BlobStore, tmp_path: Path
) -> None:
    item = store.put(b"evidence")
    shard = _blob_path(store).parent
    moved = tmp_path / "elsewhere"
    shard.rename(moved)
    shard.symlink_to(moved, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        store.open(item.sha256)
    assert any(p.kind == "unsafe_layout" for p in store.verify().problems)


def test_it_refuses_an_envelope_replaced_by_a_symlink(store: BlobStore, tmp_path: Path) -> None:
    item = store.put(b"evidence")
    root: Path = store.backend.root  # type: ignore[attr-defined]
    [envelope] = [p for p in (root / "envelopes").rglob("*") if p.is_file()]
    outside = tmp_path / "envelope"
    outside.write_bytes(envelope.read_bytes())
    envelope.unlink()
    envelope.symlink_to(outside)
    with pytest.raises(UnsafePathError):
        store.open(item.sha256)


def test_it_does_not_write_through_a_symlinked_temporary_directory(
    store: BlobStore, store_root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside-tmp"
    outside.mkdir()
    (store_root / "tmp").rmdir()
    (store_root / "tmp").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        store.put(b"must not land outside")
    assert list(outside.iterdir()) == []


def test_verify_reports_stray_files_in_the_store(store: BlobStore, store_root: Path) -> None:
    store.put(b"evidence")
    (store_root / "blobs" / "notes.txt").write_text("left here by someone")
    problems = store.verify().problems
    assert [(p.subject, p.kind) for p in problems] == [("blobs/notes.txt", "unsafe_layout")]


def test_a_root_that_is_itself_a_symlink_is_allowed(tmp_path: Path, master) -> None:
    real = tmp_path / "volume"
    real.mkdir()
    link = tmp_path / "evidence"
    link.symlink_to(real, target_is_directory=True)
    store = BlobStore.initialise(LocalBackend(link), master)
    item = store.put(b"on a mounted volume")
    assert store.open(item.sha256).read() == b"on a mounted volume"
    assert (real / "store.json").exists()


def test_a_deleted_blob_is_reported_as_missing(store: BlobStore) -> None:
    item = store.put(b"evidence")
    os.unlink(_blob_path(store))
    with pytest.raises(ItemNotFoundError):
        store.open(item.sha256)

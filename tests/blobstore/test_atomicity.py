"""A write that fails or crashes half-way leaves nothing referenced, and its leftovers are swept."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from testigo.blobstore import BlobStore, MasterKey, StorageError, recovery_phrase
from testigo.blobstore.backends.local import LocalBackend

MIB = 1 << 20


def _files(root: Path, top: str) -> list[Path]:
    return sorted(p for p in (root / top).rglob("*") if p.is_file())


class SourceFailed(Exception):
    pass


def _failing_source(after: int) -> Iterator[bytes]:
    sent = 0
    while True:
        if sent >= after:
            raise SourceFailed("the upload connection dropped")
        yield os.urandom(256 * 1024)
        sent += 256 * 1024


def test_an_error_from_the_source_stores_nothing_and_cleans_up(
    store: BlobStore, store_root: Path
) -> None:
    with pytest.raises(SourceFailed):
        store.put(_failing_source(after=3 * MIB))
    assert _files(store_root, "blobs") == []
    assert _files(store_root, "envelopes") == []
    assert list((store_root / "tmp").iterdir()) == []
    assert list(store.iter_sha256()) == []
    assert store.verify().ok


def test_an_error_in_a_file_like_source_stores_nothing(store: BlobStore, store_root: Path) -> None:
    class BrokenFile:
        def __init__(self) -> None:
            self.calls = 0

        def readinto(self, buffer: memoryview) -> int:
            self.calls += 1
            if self.calls > 5:
                raise OSError("disk read error")
            buffer[:1000] = b"x" * 1000
            return 1000

    with pytest.raises(OSError, match="disk read error"):
        store.put(BrokenFile())  # type: ignore[arg-type]
    assert list((store_root / "tmp").iterdir()) == []
    assert _files(store_root, "blobs") == []


def test_a_writer_left_without_commit_discards_its_item(store: BlobStore, store_root: Path) -> None:
    with store.writer() as pending:
        pending.write(os.urandom(2 * MIB))
    assert list((store_root / "tmp").iterdir()) == []
    assert _files(store_root, "blobs") == []


def test_a_failure_writing_the_envelope_leaves_no_item_and_no_blob(
    store: BlobStore, store_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(name: str, data: bytes, *, overwrite: bool) -> bool:
        raise StorageError("disk full")

    monkeypatch.setattr(store.backend, "write_record", refuse)
    with pytest.raises(StorageError):
        store.put(os.urandom(MIB + 1))
    monkeypatch.undo()
    assert _files(store_root, "envelopes") == []
    assert _files(store_root, "blobs") == []
    assert list((store_root / "tmp").iterdir()) == []


def test_a_crash_between_blob_and_envelope_leaves_only_an_orphan_that_sweep_removes(
    store: BlobStore, store_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = store.put(b"an item stored before the crash")

    def crash(name: str, data: bytes, *, overwrite: bool) -> bool:
        raise SystemExit("power cut")  # nothing after this runs, not even cleanup

    monkeypatch.setattr(store.backend, "write_record", crash)
    monkeypatch.setattr(store.backend, "delete_blob", lambda name: None)
    with pytest.raises(SystemExit):
        store.put(b"an item being stored during the crash")
    monkeypatch.undo()

    assert list(store.iter_sha256()) == [kept.sha256]
    report = store.verify()
    assert report.ok
    assert [n.kind for n in report.notices] == ["orphan_blob"]
    assert store.sweep(older_than=3600).orphan_blobs == 0  # too recent: might be in flight
    assert store.sweep(older_than=0).orphan_blobs == 1
    assert len(_files(store_root, "blobs")) == 1
    assert store.verify().notices == []
    assert store.open(kept.sha256).read() == b"an item stored before the crash"


def test_a_process_killed_mid_write_leaves_nothing_referenced(
    tmp_path: Path, master: MasterKey
) -> None:
    root = tmp_path / "store"
    store = BlobStore.initialise(LocalBackend(root), master)
    before = store.put(b"stored before the crash")
    script = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from testigo.blobstore import BlobStore, Keyring, master_key_from_recovery
        from testigo.blobstore.backends.local import LocalBackend

        master = master_key_from_recovery(sys.argv[2])
        store = BlobStore(LocalBackend(Path(sys.argv[1])), Keyring(master))

        def source():
            for i in range(64):
                if i == 10:
                    os._exit(9)  # killed: no exception handlers, no cleanup
                yield os.urandom(256 * 1024)

        store.put(source())
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(root), recovery_phrase(master)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 9, result.stderr.decode()

    leftovers = list((root / "tmp").iterdir())
    assert len(leftovers) == 1  # the crash really happened mid-write
    assert list(store.iter_sha256()) == [before.sha256]
    assert len(_files(root, "blobs")) == 1  # only the item stored before
    assert store.verify().ok
    assert store.sweep(older_than=0).temporary_files == 1
    assert list((root / "tmp").iterdir()) == []


def test_a_disk_failure_while_writing_chunks_stores_nothing(
    store: BlobStore, store_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from testigo.blobstore.backends.local import LocalBlobSink

    real_write = LocalBlobSink.write
    calls = {"n": 0}

    def write_until_full(self: LocalBlobSink, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > 3:
            raise StorageError("No space left on device")
        real_write(self, data)

    monkeypatch.setattr(LocalBlobSink, "write", write_until_full)
    with pytest.raises(StorageError, match="No space left"):
        store.put(os.urandom(8 * MIB))
    monkeypatch.undo()
    assert list((store_root / "tmp").iterdir()) == []
    assert _files(store_root, "blobs") == []
    assert store.verify().ok

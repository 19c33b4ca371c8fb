"""The evidence store: content-addressed, encrypted at rest, written atomically, verifiable.

Each item is two objects in a backend:

* a **blob**: the content encrypted in authenticated chunks (:mod:`testigo.blobstore.aead`)
  under a fresh random 256-bit data key, stored under a random name;
* an **envelope**: the data key, the item's SHA-256, SHA-512, size and media type, sealed
  (AES-256-GCM) under the master key and bound to the item's locator and blob name.

Items are addressed by the SHA-256 of their content, but nothing on disk is named by it: the
envelope's name is the *locator*, HMAC-SHA-256 of that hash under a random locator key that is
itself sealed under the master key in ``store.json``. Whoever seizes the disk cannot even test
whether a known file is in the store. Rotating the master key re-seals envelopes and
``store.json``; blobs are never rewritten.

Write order: blob (temporary, synced, then published), then envelope (the commit point). A crash
leaves at most a temporary file or an unreferenced blob, which :meth:`BlobStore.sweep` removes.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import os
import queue
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag

from testigo.blobstore.aead import DEFAULT_CHUNK_SIZE, KEY_SIZE, ChunkSealer, DecryptingReader
from testigo.blobstore.backends import ENVELOPE_PREFIX, STORE_RECORD, Backend, BlobSink
from testigo.blobstore.errors import (
    BlobStoreError,
    ConfigurationError,
    ItemNotFoundError,
    TamperedError,
    UnsafePathError,
    WrongKeyError,
)
from testigo.blobstore.keys import Keyring, MasterKey
from testigo.blobstore.records import RecordCipher
from testigo.blobstore.sniff import SNIFF_BYTES, sniff_media_type

STORE_FORMAT = "testigo-blobstore"
ENVELOPE_FORMAT = "testigo-envelope"
_HEX = frozenset("0123456789abcdef")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ValueError("expected base64 text")
    return base64.b64decode(value, validate=True)


def normalise_sha256(sha256: str) -> str:
    """Return ``sha256`` as 64 lowercase hex digits (a ``sha256:`` prefix is accepted).

    Raises:
        ValueError: it is not a SHA-256 digest.
    """
    value = sha256.strip().lower().removeprefix("sha256:")
    if len(value) != 64 or not set(value) <= _HEX:
        raise ValueError(f"{sha256!r} is not a SHA-256 hex digest")
    return value


@dataclass(frozen=True)
class StoredItem:
    """What the store knows of one item. ``created`` is false when the content was already there."""

    sha256: str
    sha512: str
    size: int
    media_type: str
    created: bool = True

    @property
    def checksum(self) -> str:
        """The SHA-256 in the ``sha256:<hex>`` form used in records and audit entries."""
        return f"sha256:{self.sha256}"


@dataclass(frozen=True)
class RecordedItem:
    """An item as the caller recorded it (e.g. a database row), for :meth:`BlobStore.verify`."""

    ref: str
    sha256: str
    sha512: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Problem:
    """One thing :meth:`BlobStore.verify` found wrong. ``subject`` names the item or path."""

    subject: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.kind}: {self.detail}"


@dataclass
class VerifyReport:
    """The outcome of :meth:`BlobStore.verify`: problems fail it, notices do not."""

    checked: int = 0
    bytes_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class RotationReport:
    """The outcome of :meth:`BlobStore.rewrap`."""

    new_key_id: str
    rewrapped: int = 0
    already_current: int = 0
    failures: list[Problem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class SweepReport:
    """What :meth:`BlobStore.sweep` removed."""

    temporary_files: int
    orphan_blobs: int


@dataclass(frozen=True)
class _Envelope:
    locator: str
    blob: str
    key_id: str
    data_key: bytes
    sha256: str
    sha512: str
    size: int
    media_type: str


def _envelope_aad(locator: str, blob: str, key_id: str) -> bytes:
    return b"\0".join([b"testigo-envelope-v1", locator.encode(), blob.encode(), key_id.encode()])


def _store_aad(store_id: str, key_id: str) -> bytes:
    return b"\0".join([b"testigo-store-v1", store_id.encode(), key_id.encode()])


def _store_record(store_id: str, locator_key: bytes, master: MasterKey) -> bytes:
    """``store.json``: the store's id, and its locator key sealed under ``master``."""
    payload = json.dumps({"locator_key": _b64(locator_key)}).encode()
    nonce, sealed = master.seal(payload, _store_aad(store_id, master.key_id))
    record = {
        "format": STORE_FORMAT,
        "version": 1,
        "store_id": store_id,
        "kek": master.key_id,
        "nonce": _b64(nonce),
        "sealed": _b64(sealed),
    }
    return (json.dumps(record, indent=2) + "\n").encode()


class BlobStore:
    """Encrypted, content-addressed items in a :class:`~testigo.blobstore.backends.Backend`.

    Example:
        >>> store = BlobStore.initialise(LocalBackend(root), master)  # doctest: +SKIP
        >>> item = store.put(open("photo.jpg", "rb"))  # doctest: +SKIP
        >>> with store.open(item.sha256) as fp:  # doctest: +SKIP
        ...     data = fp.read()
    """

    def __init__(
        self, backend: Backend, keyring: Keyring, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> None:
        """Open an initialised store.

        Raises:
            ConfigurationError: the backend holds no store (see :meth:`initialise`).
            WrongKeyError: none of the keyring's master keys opens it.
        """
        self.backend = backend
        self.keyring = keyring
        self.chunk_size = chunk_size
        raw = backend.read_record(STORE_RECORD)
        if raw is None:
            raise ConfigurationError(f"no evidence store at {backend.description}")
        try:
            record = json.loads(raw)
            if record.get("format") != STORE_FORMAT or record.get("version") != 1:
                raise ValueError("unknown format")
            self.store_id = str(record["store_id"])
            self.key_id = str(record["kek"])
            nonce, sealed = _unb64(record["nonce"]), _unb64(record["sealed"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ConfigurationError(f"{backend.description}/store.json is malformed") from None
        master = self._master_for(self.key_id, "the store")
        try:
            payload = json.loads(
                master.unseal(nonce, sealed, _store_aad(self.store_id, self.key_id))
            )
        except InvalidTag:
            raise TamperedError("store.json was altered") from None
        self._locator_key = _unb64(payload["locator_key"])
        self.records = RecordCipher(self._locator_key)
        """Seals small sensitive values kept outside the store (see :mod:`.records`)."""

    def _master_for(self, key_id: str, what: str) -> MasterKey:
        try:
            return self.keyring.get(key_id)
        except WrongKeyError:
            loaded = ", ".join(sorted(self.keyring.key_ids))
            raise WrongKeyError(
                f"{what} is sealed under master key {key_id}; the key loaded is {loaded}"
            ) from None

    @classmethod
    def initialise(
        cls, backend: Backend, master: MasterKey, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> BlobStore:
        """Create a new, empty store in ``backend`` under ``master``.

        Raises:
            ConfigurationError: the backend already holds a store.
        """
        data = _store_record(secrets.token_hex(16), os.urandom(KEY_SIZE), master)
        if not backend.write_record(STORE_RECORD, data, overwrite=False):
            raise ConfigurationError(f"{backend.description} already holds an evidence store")
        return cls(backend, Keyring(master), chunk_size=chunk_size)

    # -- addressing -------------------------------------------------------------------------

    def locator(self, sha256: str) -> str:
        """Return the name under which the item with this SHA-256 is stored."""
        digest = bytes.fromhex(normalise_sha256(sha256))
        return hmac.new(self._locator_key, digest, hashlib.sha256).hexdigest()

    def _seal_envelope(self, env: _Envelope, master: MasterKey) -> bytes:
        payload = {
            "data_key": _b64(env.data_key),
            "sha256": env.sha256,
            "sha512": env.sha512,
            "size": env.size,
            "media_type": env.media_type,
        }
        aad = _envelope_aad(env.locator, env.blob, master.key_id)
        plain = json.dumps(payload).encode()
        # Pad so the envelope's length does not hint at the media type or size.
        plain += b" " * (-len(plain) % 256)
        nonce, sealed = master.seal(plain, aad)
        record = {
            "format": ENVELOPE_FORMAT,
            "version": 1,
            "blob": env.blob,
            "kek": master.key_id,
            "nonce": _b64(nonce),
            "sealed": _b64(sealed),
        }
        return json.dumps(record).encode()

    def _load_envelope(self, locator: str) -> _Envelope | None:
        raw = self.backend.read_record(ENVELOPE_PREFIX + locator)
        if raw is None:
            return None
        try:
            record = json.loads(raw)
            if record.get("format") != ENVELOPE_FORMAT or record.get("version") != 1:
                raise ValueError("unknown format")
            blob, key_id = str(record["blob"]), str(record["kek"])
            nonce, sealed = _unb64(record["nonce"]), _unb64(record["sealed"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise TamperedError(f"the envelope {locator[:16]}… is malformed") from None
        master = self._master_for(key_id, f"the envelope {locator[:16]}…")
        try:
            payload = json.loads(master.unseal(nonce, sealed, _envelope_aad(locator, blob, key_id)))
            return _Envelope(
                locator=locator,
                blob=blob,
                key_id=key_id,
                data_key=_unb64(payload["data_key"]),
                sha256=str(payload["sha256"]),
                sha512=str(payload["sha512"]),
                size=int(payload["size"]),
                media_type=str(payload["media_type"]),
            )
        except InvalidTag:
            raise TamperedError(
                f"the envelope {locator[:16]}… was altered or moved from another item"
            ) from None
        except (ValueError, KeyError, TypeError):
            raise TamperedError(f"the envelope {locator[:16]}… holds a malformed record") from None

    def _envelope(self, sha256: str) -> _Envelope:
        sha256 = normalise_sha256(sha256)
        env = self._load_envelope(self.locator(sha256))
        if env is None:
            raise ItemNotFoundError(f"no stored item has SHA-256 {sha256}")
        if env.sha256 != sha256:
            raise TamperedError(f"the envelope for {sha256} describes other content")
        return env

    # -- writing ----------------------------------------------------------------------------

    def writer(self) -> PendingItem:
        """Start a new item fed by :meth:`PendingItem.write`; finish with ``commit()``.

        Leaving the ``with`` block without committing discards what was written, so a Django
        upload handler can stream request chunks straight in and plaintext never touches disk.
        """
        return PendingItem(self)

    def put(self, source: BinaryIO | bytes | Iterable[bytes]) -> StoredItem:
        """Store the content of a binary file, a bytes object or an iterable of byte chunks.

        Memory holds one chunk whatever the size. If reading the source fails, nothing is
        stored and the exception propagates.
        """
        with self.writer() as pending:
            if isinstance(source, bytes | bytearray | memoryview):
                pending.write(source)
            elif hasattr(source, "readinto"):
                pending.ingest(source)  # type: ignore[arg-type]
            elif hasattr(source, "read"):
                for chunk in iter(lambda: source.read(self.chunk_size), b""):  # type: ignore[union-attr]
                    pending.write(chunk)
            else:
                for chunk in source:  # type: ignore[union-attr]
                    pending.write(chunk)
            return pending.commit()

    # -- reading ----------------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        """Whether an item with this SHA-256 is stored."""
        return self.backend.read_record(ENVELOPE_PREFIX + self.locator(sha256)) is not None

    def info(self, sha256: str) -> StoredItem:
        """Return what the envelope records of an item, without reading its content."""
        env = self._envelope(sha256)
        return StoredItem(env.sha256, env.sha512, env.size, env.media_type, created=False)

    def open(self, sha256: str, *, verify: bool = True) -> io.BufferedReader:
        """Return a seekable binary file of the item's plaintext, decrypted as it is read.

        Every chunk is authenticated as it is read (:class:`TamperedError` otherwise). With
        ``verify``, reading the whole file in order also re-checks both hashes, and a difference
        raises :class:`HashMismatchError` before the last chunk is returned.

        Raises:
            ItemNotFoundError: no item has that SHA-256.
        """
        env = self._envelope(sha256)
        source = self.backend.open_blob(env.blob)
        try:
            reader = DecryptingReader(
                source, env.data_key, expected=(env.sha256, env.sha512) if verify else None
            )
        except BaseException:
            source.close()
            raise
        if reader.plaintext_size != env.size:
            reader.close()
            raise TamperedError(f"the stored blob of {env.sha256} has the wrong length")
        return io.BufferedReader(reader, buffer_size=64 * 1024)

    def iter_sha256(self) -> Iterator[str]:
        """Yield the SHA-256 of every item (unsealing each envelope; needs the master key)."""
        for name in self.backend.iter_records(ENVELOPE_PREFIX):
            env = self._load_envelope(name[len(ENVELOPE_PREFIX) :])
            if env is not None:
                yield env.sha256

    # -- checking ---------------------------------------------------------------------------

    def verify(
        self,
        recorded: Iterable[RecordedItem] | None = None,
        *,
        progress: Callable[[str], None] | None = None,
    ) -> VerifyReport:
        """Decrypt and re-hash every stored item; compare with the envelopes and ``recorded``.

        Problems (any one fails the check): altered, truncated or moved ciphertext; content
        whose hashes differ from its envelope or from ``recorded``; a recorded item missing
        from the store; symlinks or stray files in the store. Notices (not failures): stored
        items absent from ``recorded``, and blobs no envelope refers to.
        """
        report = VerifyReport()
        for anomaly in self.backend.anomalies():
            report.problems.append(Problem(anomaly.location, "unsafe_layout", anomaly.reason))
        actual: dict[str, tuple[str, int] | None] = {}
        referenced_blobs: set[str] = set()
        for name in self.backend.iter_records(ENVELOPE_PREFIX):
            locator = name[len(ENVELOPE_PREFIX) :]
            subject = f"item {locator[:16]}…"
            try:
                env = self._load_envelope(locator)
            except BlobStoreError as exc:
                report.problems.append(Problem(subject, "envelope_damaged", str(exc)))
                continue
            if env is None:
                continue
            referenced_blobs.add(env.blob)
            subject = f"sha256:{env.sha256}"
            if progress:
                progress(env.sha256)
            result = self._rehash(env, report)
            actual[env.sha256] = result
            report.checked += 1
            if result is not None and self.locator(env.sha256) != locator:
                report.problems.append(
                    Problem(subject, "misfiled", "the envelope is filed under another locator")
                )
        if recorded is not None:
            seen: set[str] = set()
            for rec in recorded:
                self._compare_recorded(rec, actual, report)
                seen.add(rec.sha256.strip().lower().removeprefix("sha256:"))
            for sha256 in sorted(set(actual) - seen):
                report.notices.append(
                    Problem(f"sha256:{sha256}", "unreferenced", "stored but not in the records")
                )
        for blob, _age in self.backend.iter_blobs():
            if blob not in referenced_blobs:
                report.notices.append(
                    Problem(f"blob {blob}", "orphan_blob", "left by an interrupted write")
                )
        return report

    def _rehash(self, env: _Envelope, report: VerifyReport) -> tuple[str, int] | None:
        """Return ``(sha512, size)`` of the decrypted content, or ``None`` after a problem."""
        subject = f"sha256:{env.sha256}"
        try:
            source = self.backend.open_blob(env.blob)
        except ItemNotFoundError:
            report.problems.append(Problem(subject, "blob_missing", f"blob {env.blob} is gone"))
            return None
        except (UnsafePathError, BlobStoreError) as exc:
            report.problems.append(Problem(subject, "blob_unreadable", str(exc)))
            return None
        sha256, sha512, size = hashlib.sha256(), hashlib.sha512(), 0
        try:
            with DecryptingReader(source, env.data_key) as reader:
                buffer = bytearray(1 << 20)
                view = memoryview(buffer)
                while count := reader.readinto(view):
                    sha256.update(view[:count])
                    sha512.update(view[:count])
                    size += count
        except TamperedError as exc:
            report.problems.append(Problem(subject, "tampered", str(exc)))
            return None
        except BlobStoreError as exc:
            report.problems.append(Problem(subject, "blob_unreadable", str(exc)))
            return None
        finally:
            source.close()
        report.bytes_checked += size
        if (sha256.hexdigest(), sha512.hexdigest(), size) != (env.sha256, env.sha512, env.size):
            report.problems.append(
                Problem(subject, "hash_mismatch", "the content no longer matches its hashes")
            )
            return None
        return sha512.hexdigest(), size

    @staticmethod
    def _compare_recorded(
        rec: RecordedItem, actual: dict[str, tuple[str, int] | None], report: VerifyReport
    ) -> None:
        subject = rec.ref
        try:
            sha256 = normalise_sha256(rec.sha256)
        except ValueError:
            report.problems.append(Problem(subject, "recorded_hash_invalid", rec.sha256[:80]))
            return
        if sha256 not in actual:
            report.problems.append(
                Problem(subject, "missing", f"no stored item has the recorded SHA-256 {sha256}")
            )
            return
        found = actual[sha256]
        if found is None:
            report.problems.append(
                Problem(subject, "stored_copy_damaged", f"see sha256:{sha256} above")
            )
            return
        sha512, size = found
        if rec.sha512 is not None and rec.sha512.lower().removeprefix("sha512:") != sha512:
            report.problems.append(
                Problem(subject, "hash_mismatch", "the recorded SHA-512 differs from the content")
            )
        if rec.size is not None and rec.size != size:
            report.problems.append(
                Problem(subject, "size_mismatch", f"recorded {rec.size} bytes, stored {size}")
            )

    # -- keys and housekeeping --------------------------------------------------------------

    def rewrap(self) -> RotationReport:
        """Re-seal ``store.json`` and every envelope under the keyring's current master key.

        Open the store with ``Keyring(new, previous=[old])``. Blobs are not touched. Safe to run
        again after an interruption: what is already under the new key is skipped.
        """
        current = self.keyring.current
        report = RotationReport(new_key_id=current.key_id)
        for name in self.backend.iter_records(ENVELOPE_PREFIX):
            locator = name[len(ENVELOPE_PREFIX) :]
            try:
                env = self._load_envelope(locator)
                if env is None:
                    continue
                if env.key_id == current.key_id:
                    report.already_current += 1
                    continue
                self.backend.write_record(name, self._seal_envelope(env, current), overwrite=True)
                report.rewrapped += 1
            except BlobStoreError as exc:
                report.failures.append(Problem(f"item {locator[:16]}…", "not_rewrapped", str(exc)))
        if self.key_id != current.key_id:
            data = _store_record(self.store_id, self._locator_key, current)
            self.backend.write_record(STORE_RECORD, data, overwrite=True)
            self.key_id = current.key_id
        return report

    def sweep(self, *, older_than: float = 24 * 3600) -> SweepReport:
        """Remove temporary files and unreferenced blobs older than ``older_than`` seconds.

        The age threshold keeps writes in progress (blob published, envelope not yet) safe.
        """
        temporary = self.backend.sweep_temporary(older_than)
        referenced = set()
        for name in self.backend.iter_records(ENVELOPE_PREFIX):
            raw = self.backend.read_record(name)
            try:
                referenced.add(str(json.loads(raw or b"{}")["blob"]))
            except (ValueError, KeyError, TypeError):
                continue
        orphans = 0
        for blob, age in self.backend.iter_blobs():
            if blob not in referenced and age >= older_than:
                self.backend.delete_blob(blob)
                orphans += 1
        return SweepReport(temporary_files=temporary, orphan_blobs=orphans)


class _WriteBehind:
    """A second thread that hashes (SHA-512) and writes each full chunk, in order.

    SHA-256, encryption and backend writes then overlap on two cores; hashlib and file
    writes release the GIL. Chunk buffers come from a small pool, so memory stays bounded.
    """

    def __init__(self, sink: BlobSink, sha512: Any, chunk_size: int, depth: int = 3) -> None:
        self._sink = sink
        self._sha512 = sha512
        self._jobs: queue.Queue[tuple[bytearray, bytes] | None] = queue.Queue()
        self.free: queue.Queue[bytearray] = queue.Queue()
        for _ in range(depth):
            self.free.put(bytearray(chunk_size))
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="blobstore-write", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            plain, ciphertext = job
            if self.error is None:
                try:
                    self._sha512.update(plain)
                    self._sink.write(ciphertext)
                except BaseException as exc:
                    self.error = exc
            self.free.put(plain)

    def submit(self, plain: bytearray, ciphertext: bytes) -> None:
        if self.error is not None:
            raise self.error
        self._jobs.put((plain, ciphertext))

    def finish(self) -> None:
        """Wait for every submitted chunk; re-raise the first failure."""
        self._jobs.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error


class PendingItem(io.RawIOBase):
    """An item being written: hashed and encrypted chunk by chunk as bytes arrive.

    A write-only binary file, so libraries that save to a file object (Pillow, pypdf) can write
    a derived copy straight into the store. Closing it without :meth:`commit` discards it.
    """

    def __init__(self, store: BlobStore) -> None:
        super().__init__()
        self._store = store
        self._data_key = os.urandom(KEY_SIZE)
        self._sealer = ChunkSealer(self._data_key, store.chunk_size)
        self._blob = secrets.token_hex(16)
        self._sink: BlobSink | None = store.backend.new_blob(self._blob)
        self._sha256 = hashlib.sha256()
        self._sha512 = hashlib.sha512()
        self._buffer = bytearray(store.chunk_size)
        self._view = memoryview(self._buffer)
        self._fill = 0
        self._size = 0
        self._head = b""
        self._behind: _WriteBehind | None = None  # started by the first full chunk
        self._sink.write(self._sealer.header)

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._size

    def _sink_or_fail(self) -> BlobSink:
        if self._sink is None or self.closed:
            raise ValueError("the item is already committed or discarded")
        return self._sink

    def _filled(self, count: int) -> None:
        """Account for ``count`` new bytes at the end of the buffer; seal it once full."""
        new = self._view[self._fill : self._fill + count]
        self._sha256.update(new)
        if len(self._head) < SNIFF_BYTES:
            self._head += bytes(new[: SNIFF_BYTES - len(self._head)])
        self._fill += count
        self._size += count
        if self._fill < len(self._buffer):
            return
        if self._behind is None:
            self._behind = _WriteBehind(self._sink_or_fail(), self._sha512, len(self._buffer))
        ciphertext = self._sealer.seal(self._view, final=False)
        self._view.release()
        self._behind.submit(self._buffer, ciphertext)
        self._buffer = self._behind.free.get()
        self._view = memoryview(self._buffer)
        self._fill = 0

    def write(self, data: Any) -> int:
        """Add bytes to the item; returns how many were taken (all of them)."""
        self._sink_or_fail()
        view = memoryview(data).cast("B")
        offset, total = 0, len(view)
        while offset < total:
            take = min(len(self._buffer) - self._fill, total - offset)
            self._view[self._fill : self._fill + take] = view[offset : offset + take]
            offset += take
            self._filled(take)
        return total

    def ingest(self, source: BinaryIO) -> None:
        """Read ``source`` to its end straight into the chunk buffer (no extra copy)."""
        self._sink_or_fail()
        while True:
            count = source.readinto(self._view[self._fill :])  # type: ignore[attr-defined]
            if count is None:
                raise BlockingIOError("the source has no data yet (non-blocking stream)")
            if not count:
                return
            self._filled(count)

    def commit(self) -> StoredItem:
        """Finish the item, store it if its content is new, and return what was stored."""
        sink = self._sink_or_fail()
        store = self._store
        try:
            if self._behind is not None:
                self._behind.finish()
                self._behind = None
            last = self._view[: self._fill]
            self._sha512.update(last)
            sink.write(self._sealer.seal(last, final=True))
            sha256, sha512 = self._sha256.hexdigest(), self._sha512.hexdigest()
            media_type = sniff_media_type(self._head)
            locator = store.locator(sha256)
            existing = store._load_envelope(locator)
            if existing is not None:
                sink.abort()
                self._sink = None
                return StoredItem(sha256, sha512, existing.size, existing.media_type, False)
            sink.commit()
            self._sink = None
            env = _Envelope(
                locator, self._blob, "", self._data_key, sha256, sha512, self._size, media_type
            )
            data = store._seal_envelope(env, store.keyring.current)
            try:
                written = store.backend.write_record(
                    ENVELOPE_PREFIX + locator, data, overwrite=False
                )
            except BaseException:
                store.backend.delete_blob(self._blob)
                raise
            if not written:
                # Another writer stored the same content first; ours is a duplicate.
                store.backend.delete_blob(self._blob)
            return StoredItem(sha256, sha512, self._size, media_type, created=written)
        finally:
            self.close()

    def abort(self) -> None:
        """Discard the item."""
        if self._behind is not None:
            with contextlib.suppress(BaseException):
                self._behind.finish()
            self._behind = None
        if self._sink is not None:
            self._sink.abort()
            self._sink = None

    def close(self) -> None:
        if not self.closed:
            self.abort()
        super().close()

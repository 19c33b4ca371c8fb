"""Where ciphertext lives: the interface every backend implements, and the names it accepts.

A backend knows nothing about keys or content. It stores two kinds of object under strictly
formed names:

* **blobs** (``blob_name``: 32 hex digits, random): the encrypted content, written once through a
  :class:`BlobSink` that becomes visible under its name only on :meth:`BlobSink.commit`;
* **records** (``store.json`` or ``envelopes/<64 hex digits>``): small files replaced atomically.

An item exists once its envelope record exists; the envelope is written after its blob is
committed, so a crash leaves at most an unreferenced blob or temporary file, never a referenced
half-written one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from testigo.blobstore.aead import RandomAccessSource
from testigo.blobstore.errors import UnsafePathError

BLOB_NAME = re.compile(r"[0-9a-f]{32}")
RECORD_NAME = re.compile(r"store\.json|envelopes/[0-9a-f]{64}")
ENVELOPE_PREFIX = "envelopes/"
STORE_RECORD = "store.json"


def check_blob_name(name: str) -> str:
    """Return ``name`` if it is a well-formed blob name."""
    if not BLOB_NAME.fullmatch(name):
        raise UnsafePathError(f"{name!r} is not a blob name")
    return name


def check_record_name(name: str) -> str:
    """Return ``name`` if it is a well-formed record name."""
    if not RECORD_NAME.fullmatch(name):
        raise UnsafePathError(f"{name!r} is not a record name")
    return name


@dataclass(frozen=True)
class Anomaly:
    """Something in the store that should not be there (a symlink, a stray file)."""

    location: str
    reason: str


class BlobSink(Protocol):
    """A blob being written. Invisible under its name until :meth:`commit`."""

    def write(self, data: bytes) -> None:
        """Append ciphertext."""
        ...

    def commit(self) -> None:
        """Make the blob durable and visible under its name."""
        ...

    def abort(self) -> None:
        """Discard everything written; safe to call more than once."""
        ...


class Backend(Protocol):
    """The operations the store needs from a place that holds bytes."""

    description: str

    def new_blob(self, name: str) -> BlobSink:
        """Start writing the blob ``name``."""
        ...

    def open_blob(self, name: str) -> RandomAccessSource:
        """Open the blob ``name`` for reading; raise :class:`ItemNotFoundError` if absent."""
        ...

    def delete_blob(self, name: str) -> None:
        """Remove an unreferenced blob (used only to sweep leftovers of crashed writes)."""
        ...

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        """Yield ``(name, age in seconds)`` of every committed blob."""
        ...

    def read_record(self, name: str) -> bytes | None:
        """Return the record ``name``, or ``None`` if it does not exist."""
        ...

    def write_record(self, name: str, data: bytes, *, overwrite: bool) -> bool:
        """Write a record atomically; with ``overwrite=False`` return ``False`` if it exists."""
        ...

    def iter_records(self, prefix: str) -> Iterator[str]:
        """Yield the names of the records starting with ``prefix``."""
        ...

    def sweep_temporary(self, older_than: float) -> int:
        """Remove leftovers of interrupted writes older than ``older_than`` seconds."""
        ...

    def anomalies(self) -> Iterator[Anomaly]:
        """Yield everything in the store that does not belong to its layout."""
        ...

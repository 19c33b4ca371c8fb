"""Rotating the master key of a store kept in a passphrase-protected key file.

Order matters, because a crash must never leave items sealed under a key nobody holds:

1. the new key is written to ``<key file>.next`` (and its recovery copy, if asked) *before*
   anything is re-sealed;
2. ``store.json`` and every envelope are re-sealed under the new key (blobs are untouched);
3. only when every envelope is done does ``.next`` replace the key file.

Run again after an interruption and it resumes with the key in ``.next``. Run it with the
application stopped: a process that still holds the old key would seal new items under it.
Backups taken before the rotation need the old key's recovery copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from testigo.blobstore._fsutil import fsync_dir
from testigo.blobstore.backends import Backend
from testigo.blobstore.errors import KeyringError
from testigo.blobstore.keys import (
    KdfParams,
    Keyring,
    MasterKey,
    keyfile_create,
    keyfile_open,
    recovery_file_write,
)
from testigo.blobstore.store import BlobStore, RotationReport


@dataclass(frozen=True)
class KeyfileRotation:
    """The outcome of :func:`rotate_keyfile`."""

    old_key_id: str
    new_key: MasterKey
    report: RotationReport
    resumed: bool


def pending_keyfile(keyfile: Path) -> Path:
    """Where the next key waits while a rotation is under way."""
    return keyfile.with_name(keyfile.name + ".next")


def rotate_master_key(backend: Backend, old: MasterKey, new: MasterKey) -> RotationReport:
    """Re-seal every envelope and ``store.json`` in ``backend`` from ``old`` to ``new``."""
    return BlobStore(backend, Keyring(new, previous=[old])).rewrap()


def rotate_keyfile(
    backend: Backend,
    keyfile: Path,
    passphrase: str,
    *,
    new_passphrase: str | None = None,
    recovery_path: Path | None = None,
    kdf: KdfParams | None = None,
) -> KeyfileRotation:
    """Replace the master key in ``keyfile`` with a new one and re-seal the store under it.

    Args:
        backend: the store's backend.
        keyfile: the current key file; it is replaced at the end.
        passphrase: its passphrase.
        new_passphrase: the new key file's passphrase (default: unchanged).
        recovery_path: where to write the new key's recovery copy before re-sealing.
        kdf: key derivation parameters for the new key file.

    Raises:
        KeyringError: some envelopes could not be re-sealed; the key file is left unchanged
            and a second run resumes.
    """
    new_passphrase = new_passphrase or passphrase
    old = keyfile_open(keyfile, passphrase)
    pending = pending_keyfile(keyfile)
    resumed = pending.exists()
    if resumed:
        new = keyfile_open(pending, new_passphrase)
    else:
        new = MasterKey.generate()
        keyfile_create(pending, new, new_passphrase, kdf=kdf)
        if recovery_path is not None:
            recovery_file_write(recovery_path, new)
    report = rotate_master_key(backend, old, new)
    if not report.complete:
        listed = "; ".join(str(p) for p in report.failures[:5])
        raise KeyringError(
            f"{len(report.failures)} envelopes were not re-sealed ({listed}); the key file is "
            f"unchanged and {pending.name} holds the new key: fix and run the rotation again"
        )
    os.replace(pending, keyfile)
    fsync_dir(keyfile.parent)
    return KeyfileRotation(old_key_id=old.key_id, new_key=new, report=report, resumed=resumed)

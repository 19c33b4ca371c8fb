"""Small filesystem helpers: durable, atomic replacement of a file."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

#: errno values of ``os.link`` on filesystems that have no hard links.
NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK})


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file_atomic(path: Path, data: bytes, *, overwrite: bool, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory.

    Readers see the old file or the new one, never a mix. With ``overwrite=False`` an existing
    file is left alone and :class:`FileExistsError` is raised.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)  # fails if ``path`` exists, unlike rename
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno not in NO_HARD_LINKS:
                    raise
                # FAT-formatted USB sticks and some network filesystems have no hard links.
                if os.path.lexists(path):
                    raise FileExistsError(path) from None
                os.rename(temp, path)
        fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)

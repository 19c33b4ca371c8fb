"""The default backend: a directory on the local filesystem.

Layout under the store root (directories 0700, files 0600)::

    store.json                 the store record (its locator key, wrapped by the master key)
    envelopes/ab/ab12…         one envelope per item, named by the item's locator
    blobs/3f/3f2a…             one encrypted blob per item, named at random
    tmp/                       files being written; renamed into place once complete and synced

Every path is built by :meth:`LocalBackend.resolve`, which refuses anything outside the root and
any path that passes through a symbolic link; files are also opened with ``O_NOFOLLOW``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from testigo.blobstore._fsutil import NO_HARD_LINKS, fsync_dir
from testigo.blobstore.backends import (
    BLOB_NAME,
    ENVELOPE_PREFIX,
    STORE_RECORD,
    Anomaly,
    check_blob_name,
    check_record_name,
)
from testigo.blobstore.errors import ItemNotFoundError, StorageError, UnsafePathError

_SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TEMP_NAME = re.compile(r"[0-9a-f]{32}\.part")
_DIR_MODE = 0o700
_FILE_MODE = 0o600


class LocalBackend:
    """Blobs and records in a directory tree rooted at ``root``."""

    def __init__(self, root: Path) -> None:
        root = Path(root)
        root.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        # The root may itself be a symlink (e.g. to a mounted volume); nothing inside may.
        self.root = root.resolve(strict=True)
        self.description = f"local:{self.root}"
        for directory in ("blobs", "envelopes", "tmp"):
            self.resolve(directory).mkdir(mode=_DIR_MODE, exist_ok=True)

    # -- the one path function -------------------------------------------------------------

    def resolve(self, relative: str) -> Path:
        """Return the absolute path of ``relative`` inside the store.

        Raises:
            UnsafePathError: ``relative`` is absolute, contains ``..`` or odd characters, or any
                existing component of the path is a symbolic link.
        """
        parts = relative.split("/")
        if not relative or any(not _SAFE_PART.fullmatch(part) for part in parts):
            raise UnsafePathError(f"{relative!r} is not a path inside the store")
        path = self.root
        for part in parts:
            path = path / part
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(mode):
                raise UnsafePathError(f"{relative!r} passes through a symbolic link")
        if not path.parent.resolve().is_relative_to(self.root):
            raise UnsafePathError(f"{relative!r} resolves outside the store")
        return path

    def _blob_relative(self, name: str) -> str:
        check_blob_name(name)
        return f"blobs/{name[:2]}/{name}"

    def _record_relative(self, name: str) -> str:
        check_record_name(name)
        if name.startswith(ENVELOPE_PREFIX):
            digest = name[len(ENVELOPE_PREFIX) :]
            return f"envelopes/{digest[:2]}/{digest}"
        return name

    def _ensure_parent(self, relative: str) -> Path:
        path = self.resolve(relative)
        parent = path.parent
        if not parent.is_dir():
            with contextlib.suppress(FileExistsError):
                parent.mkdir(mode=_DIR_MODE)
            fsync_dir(parent.parent)
        return path

    def _new_temp(self) -> tuple[Path, int]:
        path = self.resolve(f"tmp/{secrets.token_hex(16)}.part")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        return path, os.open(path, flags, _FILE_MODE)

    def _publish(self, temp: Path, relative: str, *, overwrite: bool) -> bool:
        """Move a complete, synced temporary file to ``relative``; the commit point of a write."""
        target = self._ensure_parent(relative)
        if overwrite:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)  # unlike rename, refuses to replace an existing file
            except FileExistsError:
                return False
            except OSError as exc:
                if exc.errno not in NO_HARD_LINKS:
                    raise
                # Filesystems without hard links: check, then rename (a small race remains).
                if os.path.lexists(target):
                    return False
                os.rename(temp, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
        fsync_dir(target.parent)
        return True

    # -- blobs ------------------------------------------------------------------------------

    def new_blob(self, name: str) -> LocalBlobSink:
        relative = self._blob_relative(name)
        temp, fd = self._new_temp()
        return LocalBlobSink(self, relative, temp, fd)

    def open_blob(self, name: str) -> LocalSource:
        path = self.resolve(self._blob_relative(name))
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise ItemNotFoundError(f"blob {name} is missing") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePathError(f"blob {name} is a symbolic link") from None
            raise StorageError(f"blob {name} cannot be opened: {exc.strerror}") from None
        return LocalSource(fd, name)

    def delete_blob(self, name: str) -> None:
        path = self.resolve(self._blob_relative(name))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            fsync_dir(path.parent)

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        now = time.time()
        for path in self._regular_files("blobs"):
            if _is_blob_name(path.name):
                yield path.name, now - path.lstat().st_mtime

    # -- records ----------------------------------------------------------------------------

    def read_record(self, name: str) -> bytes | None:
        path = self.resolve(self._record_relative(name))
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePathError(f"record {name} is a symbolic link") from None
            raise StorageError(f"record {name} cannot be opened: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as handle:
            return handle.read(1 << 20)

    def write_record(self, name: str, data: bytes, *, overwrite: bool) -> bool:
        relative = self._record_relative(name)
        temp, fd = self._new_temp()
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            return self._publish(temp, relative, overwrite=overwrite)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)

    def iter_records(self, prefix: str) -> Iterator[str]:
        if prefix == ENVELOPE_PREFIX:
            for path in self._regular_files("envelopes"):
                name = ENVELOPE_PREFIX + path.name
                with contextlib.suppress(UnsafePathError):
                    yield check_record_name(name)
        elif STORE_RECORD.startswith(prefix) and self.read_record(STORE_RECORD) is not None:
            yield STORE_RECORD

    # -- housekeeping -----------------------------------------------------------------------

    def _regular_files(self, top: str) -> Iterator[Path]:
        """Regular files two levels under ``top``; symlinks are skipped (see :meth:`anomalies`)."""
        base = self.resolve(top)
        with os.scandir(base) as shards:
            for shard in sorted(shards, key=lambda entry: entry.name):
                if not shard.is_dir(follow_symlinks=False):
                    continue
                with os.scandir(shard.path) as entries:
                    for entry in sorted(entries, key=lambda e: e.name):
                        if entry.is_file(follow_symlinks=False):
                            yield Path(entry.path)

    def sweep_temporary(self, older_than: float) -> int:
        removed = 0
        now = time.time()
        with os.scandir(self.resolve("tmp")) as entries:
            for entry in entries:
                if not entry.is_file(follow_symlinks=False) or not _TEMP_NAME.fullmatch(entry.name):
                    continue
                if now - entry.stat(follow_symlinks=False).st_mtime >= older_than:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                        removed += 1
        return removed

    def anomalies(self) -> Iterator[Anomaly]:
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            rel_dir = os.path.relpath(dirpath, self.root)
            depth = 0 if rel_dir == "." else rel_dir.count(os.sep) + 1
            top = rel_dir.split(os.sep)[0]
            for name in dirnames + filenames:
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                st = os.lstat(os.path.join(dirpath, name))
                if stat.S_ISLNK(st.st_mode):
                    yield Anomaly(rel, "symbolic link")
                elif not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
                    yield Anomaly(rel, "not a regular file")
                elif not _expected(depth, top if depth else name, name, stat.S_ISDIR(st.st_mode)):
                    yield Anomaly(rel, "not part of the store layout")


def _is_blob_name(name: str) -> bool:
    return BLOB_NAME.fullmatch(name) is not None


def _expected(depth: int, top: str, name: str, is_dir: bool) -> bool:
    if depth == 0:
        return (is_dir and name in {"blobs", "envelopes", "tmp"}) or (
            not is_dir and name == STORE_RECORD
        )
    if top == "tmp":
        return depth == 1 and not is_dir and bool(_TEMP_NAME.fullmatch(name))
    width = 32 if top == "blobs" else 64
    if depth == 1:
        return is_dir and bool(re.fullmatch(r"[0-9a-f]{2}", name))
    return depth == 2 and not is_dir and bool(re.fullmatch(rf"[0-9a-f]{{{width}}}", name))


class LocalBlobSink:
    """A blob written to ``tmp/`` and renamed into ``blobs/`` once complete and synced."""

    def __init__(self, backend: LocalBackend, relative: str, temp: Path, fd: int) -> None:
        self._backend = backend
        self._relative = relative
        self._temp = temp
        self._fd: int | None = fd

    def write(self, data: bytes) -> None:
        if self._fd is None:
            raise StorageError("the blob is no longer open for writing")
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as exc:
            raise StorageError(f"cannot write to the store: {exc.strerror}") from None

    def commit(self) -> None:
        if self._fd is None:
            raise StorageError("the blob is no longer open for writing")
        try:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            if not self._backend._publish(self._temp, self._relative, overwrite=False):
                raise StorageError(f"{self._relative} already exists")
        except OSError as exc:
            self.abort()
            raise StorageError(f"cannot commit to the store: {exc.strerror}") from None

    def abort(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._temp)


class LocalSource:
    """A committed blob opened for positional reads."""

    def __init__(self, fd: int, name: str) -> None:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise UnsafePathError(f"blob {name} is not a regular file")
        self._fd: int | None = fd
        self.size = st.st_size

    def read_at(self, offset: int, length: int) -> bytes:
        if self._fd is None:
            raise ValueError("read from a closed blob")
        parts = []
        while length > 0:
            data = os.pread(self._fd, length, offset)
            if not data:
                break
            parts.append(data)
            offset += len(data)
            length -= len(data)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

"""Where imported files are kept: ``<data dir>/imports/<sha256>``, mode 0600, in a 0700 folder.

A source file is witness data in plain text, so it is written here and nowhere else: uploads
stream straight into this folder (no temporary file elsewhere), and the command copies the file
it imports here before reading it. Files are named by their SHA-256, so the same file kept twice
is one file, and a record's ``source_file_sha256`` names the file it came from.

The folder also holds the live progress of running imports (``progress/<batch id>``): an import
writes its records in one transaction, which other connections cannot see into, so its progress
is kept outside the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.http import HttpRequest

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class StorageError(OSError):
    """A kept file is missing, or a name is not one of ours."""


def imports_dir() -> Path:
    """The folder, created 0700 on first use."""
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def kept_path(sha256: str) -> Path:
    """The path of a kept file. Refuses anything but a SHA-256, so no name can leave the folder."""
    if not _SHA256.fullmatch(sha256 or ""):
        raise StorageError(f"not a SHA-256: {sha256!r}")
    return imports_dir() / sha256


def is_kept(sha256: str) -> bool:
    return kept_path(sha256).is_file()


@dataclass(frozen=True)
class KeptFile:
    sha256: str
    size: int
    path: Path
    new: bool  # False when the same content was already kept


class _Incoming:
    """A file being written into the folder under a random name, hashed as it is written."""

    def __init__(self) -> None:
        folder = imports_dir()
        fd, name = tempfile.mkstemp(prefix=".incoming-", dir=folder)  # mode 0600
        self.path = Path(name)
        self.stream = os.fdopen(fd, "wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.digest.update(data)
        self.size += len(data)

    def commit(self) -> KeptFile:
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        sha256 = self.digest.hexdigest()
        target = kept_path(sha256)
        if target.exists():
            self.path.unlink(missing_ok=True)
            return KeptFile(sha256, self.size, target, new=False)
        os.replace(self.path, target)
        return KeptFile(sha256, self.size, target, new=True)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()
        self.path.unlink(missing_ok=True)


def file_keep(source: str | os.PathLike[str] | BinaryIO) -> KeptFile:
    """Copy a file (a path or a binary stream, from its current position) into the folder."""
    incoming = _Incoming()
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as stream:
                _copy(stream, incoming)
        else:
            _copy(source, incoming)
        return incoming.commit()
    except BaseException:
        incoming.abort()
        raise


def _copy(stream: BinaryIO, incoming: _Incoming) -> None:
    while chunk := stream.read(_CHUNK):
        incoming.write(chunk)


def file_discard(sha256: str) -> None:
    """Remove a kept file (callers check first that nothing refers to it)."""
    kept_path(sha256).unlink(missing_ok=True)


def file_open(sha256: str) -> BinaryIO:
    try:
        return open(kept_path(sha256), "rb")
    except FileNotFoundError:
        raise StorageError(f"the imported file sha256:{sha256} is no longer kept") from None


# ---------------------------------------------------------------------------- uploads


class KeptUpload(UploadedFile):
    """An uploaded file already kept in the folder; ``kept`` says where."""

    def __init__(self, kept: KeptFile, name: str, content_type: str) -> None:
        # An empty stand-in: the request closes its files when it ends.
        super().__init__(None, name=name, content_type=content_type, size=kept.size)
        self.kept = kept

    def close(self) -> None:  # nothing open
        return None


class UploadTooLarge(Exception):
    """The upload is larger than `max_bytes`."""


class KeepingUploadHandler(FileUploadHandler):
    """Streams the ``field`` file of a request into the folder; skips other file fields.

    Django's default handlers would put a large upload in a temporary file under /tmp, in plain
    text, outside the data directory: this one writes the bytes only where they are kept.
    """

    chunk_size = 1 << 20

    def __init__(self, request: HttpRequest, *, field: str, max_bytes: int) -> None:
        super().__init__(request)
        self.field = field
        self.max_bytes = max_bytes
        self.incoming: _Incoming | None = None
        self.too_large = False

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != self.field or self.incoming is not None:
            raise SkipFile
        self.incoming = _Incoming()
        raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.incoming is None:
            return raw_data
        if self.incoming.size + len(raw_data) > self.max_bytes:
            self.too_large = True
            self.abort()
            raise SkipFile
        self.incoming.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> KeptUpload | None:
        if self.incoming is None:
            return None
        kept = self.incoming.commit()
        self.incoming = None
        return KeptUpload(kept, self.file_name or "upload", self.content_type or "")

    def upload_interrupted(self) -> None:
        self.abort()

    def abort(self) -> None:
        if self.incoming is not None:
            self.incoming.abort()
            self.incoming = None


# ---------------------------------------------------------------------------- live progress


def _progress_path(batch_id: int) -> Path:
    folder = imports_dir() / "progress"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / str(int(batch_id))


def progress_write(batch_id: int, *, fraction: float | None, rows: int, phase: str) -> None:
    """Record how far a batch's task has got (atomically: readers never see half a file)."""
    path = _progress_path(batch_id)
    data = {"fraction": fraction, "rows": rows, "phase": phase, "at": time.time()}
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    temp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temp, path)


def progress_read(batch_id: int) -> dict[str, Any] | None:
    try:
        data = json.loads(_progress_path(batch_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def progress_clear(batch_id: int) -> None:
    _progress_path(batch_id).unlink(missing_ok=True)


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A private folder inside the imports folder for files being built (exports), removed after."""
    path = Path(tempfile.mkdtemp(prefix=".scratch-", dir=imports_dir()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)

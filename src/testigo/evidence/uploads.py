"""Uploads streamed straight into the encrypted store: plaintext never touches the disk.

Django's multipart parser hands each file to its upload handlers in chunks as the request body
is read from the socket. :class:`EncryptingUploadHandler` feeds those chunks to
:meth:`BlobStore.writer`, which hashes and encrypts them chunk by chunk, so memory holds a few
MiB whatever the size of the file, and no temporary file exists.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.http import HttpRequest

from testigo.blobstore import BlobStore, PendingItem, StoredItem

UPLOAD_FIELD = "file"


class StoredUpload(UploadedFile):
    """An uploaded file that is already in the store; ``stored`` says what it became."""

    def __init__(self, stored: StoredItem, name: str, content_type: str, size: int) -> None:
        # An empty stand-in: the request closes its files when it ends.
        super().__init__(io.BytesIO(), name=name, content_type=content_type, size=size)
        self.stored = stored


class EncryptingUploadHandler(FileUploadHandler):
    """Streams every file of the ``file`` field into the store; other file fields are skipped."""

    chunk_size = 1024 * 1024

    def __init__(self, request: HttpRequest, store: BlobStore) -> None:
        super().__init__(request)
        self.store = store
        self.pending: PendingItem | None = None

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != UPLOAD_FIELD:
            raise SkipFile
        self.pending = self.store.writer()
        raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.pending is None:
            return raw_data
        self.pending.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> StoredUpload | None:
        if self.pending is None:
            return None
        stored = self.pending.commit()
        self.pending = None
        return StoredUpload(stored, self.file_name or "file", self.content_type or "", file_size)

    def upload_interrupted(self) -> None:
        self.abort()

    def abort(self) -> None:
        """Discard a file being written (the client went away, or the request failed)."""
        if self.pending is not None:
            self.pending.close()
            self.pending = None

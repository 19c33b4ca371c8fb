"""A backend on any S3-compatible object store (AWS S3, MinIO, Garage, Ceph RGW, ...).

Keys under ``prefix``: ``store.json``, ``envelopes/<locator>``, ``blobs/<name>``. A blob is sent
as a multipart upload straight to its final key; S3 shows an object only once the upload is
completed, so an interrupted upload leaves nothing visible (and :meth:`S3Backend.sweep_temporary`
aborts the stale upload). Memory holds one part (8 MiB by default) whatever the blob's size.
The content is encrypted before it leaves the process, so the object store sees only ciphertext.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from testigo.blobstore.backends import (
    BLOB_NAME,
    ENVELOPE_PREFIX,
    STORE_RECORD,
    Anomaly,
    check_blob_name,
    check_record_name,
)
from testigo.blobstore.errors import ConfigurationError, ItemNotFoundError, StorageError

MIN_PART_SIZE = 5 << 20
DEFAULT_PART_SIZE = 8 << 20


def _client_error() -> tuple[type[Exception], ...]:
    """The exceptions boto3 raises for service and connection failures."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


class S3Backend:
    """Blobs and records as objects in ``bucket`` under ``prefix``."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        client: Any = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        if not bucket:
            raise ConfigurationError("the S3 backend needs a bucket name")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        if part_size < MIN_PART_SIZE:
            raise ConfigurationError("S3 multipart parts must be at least 5 MiB")
        if client is None:
            try:
                import boto3
            except ImportError:
                raise ConfigurationError(
                    "the S3 backend needs boto3 (install testigo[s3])"
                ) from None
            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
            )
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self.description = f"s3://{bucket}/{prefix}"
        self._errors = _client_error()

    def _blob_key(self, name: str) -> str:
        return f"{self.prefix}blobs/{check_blob_name(name)}"

    def _record_key(self, name: str) -> str:
        return self.prefix + check_record_name(name)

    # -- blobs ------------------------------------------------------------------------------

    def new_blob(self, name: str) -> S3BlobSink:
        return S3BlobSink(self, self._blob_key(name))

    def open_blob(self, name: str) -> S3Source:
        key = self._blob_key(name)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except self._errors as exc:
            if _code(exc) in {"404", "NoSuchKey", "NotFound"}:
                raise ItemNotFoundError(f"blob {name} is missing") from None
            raise StorageError(f"blob {name} cannot be opened: {exc}") from None
        return S3Source(self, key, int(head["ContentLength"]))

    def delete_blob(self, name: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._blob_key(name))
        except self._errors as exc:
            raise StorageError(f"blob {name} cannot be deleted: {exc}") from None

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                yield from page.get("Contents", [])
        except self._errors as exc:
            raise StorageError(f"cannot list {self.description}: {exc}") from None

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        now = datetime.now(UTC)
        for obj in self._list("blobs/"):
            name = obj["Key"][len(self.prefix) + len("blobs/") :]
            if BLOB_NAME.fullmatch(name):
                yield name, (now - obj["LastModified"]).total_seconds()

    # -- records ----------------------------------------------------------------------------

    def read_record(self, name: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._record_key(name))
            return bytes(response["Body"].read())
        except self._errors as exc:
            if _code(exc) in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise StorageError(f"record {name} cannot be read: {exc}") from None

    def write_record(self, name: str, data: bytes, *, overwrite: bool) -> bool:
        key = self._record_key(name)
        try:
            if overwrite:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=data)
                return True
            # A conditional write refuses to replace an existing object; services without
            # conditional writes still get the check above it, with a small race window.
            if self.read_record(name) is not None:
                return False
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*")
            return True
        except self._errors as exc:
            if _code(exc) in {"PreconditionFailed", "412", "ConditionalRequestConflict"}:
                return False
            raise StorageError(f"record {name} cannot be written: {exc}") from None

    def iter_records(self, prefix: str) -> Iterator[str]:
        for obj in self._list(prefix):
            name = obj["Key"][len(self.prefix) :]
            with contextlib.suppress(Exception):
                yield check_record_name(name)

    # -- housekeeping -----------------------------------------------------------------------

    def sweep_temporary(self, older_than: float) -> int:
        removed = 0
        now = datetime.now(UTC)
        try:
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + "blobs/"):
                for upload in page.get("Uploads", []):
                    if (now - upload["Initiated"]).total_seconds() >= older_than:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        removed += 1
        except self._errors as exc:
            raise StorageError(f"cannot sweep {self.description}: {exc}") from None
        return removed

    def anomalies(self) -> Iterator[Anomaly]:
        for obj in self._list(""):
            name = obj["Key"][len(self.prefix) :]
            expected = name == STORE_RECORD or (
                name.startswith(ENVELOPE_PREFIX) or name.startswith("blobs/")
            )
            if expected and name != STORE_RECORD:
                kind, _, rest = name.partition("/")
                width = 64 if kind == "envelopes" else 32
                expected = len(rest) == width and all(c in "0123456789abcdef" for c in rest)
            if not expected:
                yield Anomaly(name, "not part of the store layout")


class S3BlobSink:
    """A multipart upload that becomes an object only on :meth:`commit`."""

    def __init__(self, backend: S3Backend, key: str) -> None:
        self._backend = backend
        self._key = key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._done = False

    def _send_part(self, data: bytes) -> None:
        client, bucket = self._backend.client, self._backend.bucket
        if self._upload_id is None:
            self._upload_id = client.create_multipart_upload(Bucket=bucket, Key=self._key)[
                "UploadId"
            ]
        number = len(self._parts) + 1
        response = client.upload_part(
            Bucket=bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=data
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def write(self, data: bytes) -> None:
        if self._done:
            raise StorageError("the blob is no longer open for writing")
        self._buffer += data
        try:
            while len(self._buffer) >= self._backend.part_size:
                part = bytes(self._buffer[: self._backend.part_size])
                del self._buffer[: self._backend.part_size]
                self._send_part(part)
        except self._backend._errors as exc:
            self.abort()
            raise StorageError(f"cannot upload to {self._backend.description}: {exc}") from None

    def commit(self) -> None:
        if self._done:
            raise StorageError("the blob is no longer open for writing")
        client, bucket = self._backend.client, self._backend.bucket
        try:
            if self._upload_id is None:
                client.put_object(Bucket=bucket, Key=self._key, Body=bytes(self._buffer))
            else:
                if self._buffer:
                    self._send_part(bytes(self._buffer))
                client.complete_multipart_upload(
                    Bucket=bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except self._backend._errors as exc:
            self.abort()
            raise StorageError(f"cannot upload to {self._backend.description}: {exc}") from None
        self._done = True
        self._buffer = bytearray()

    def abort(self) -> None:
        self._buffer = bytearray()
        if self._upload_id is not None and not self._done:
            with contextlib.suppress(Exception):
                self._backend.client.abort_multipart_upload(
                    Bucket=self._backend.bucket, Key=self._key, UploadId=self._upload_id
                )
            self._upload_id = None
        self._done = True


class S3Source:
    """A blob read with ranged GETs; sequential reads share one streaming response."""

    def __init__(self, backend: S3Backend, key: str, size: int) -> None:
        self._backend = backend
        self._key = key
        self.size = size
        self._body: Any = None
        self._body_pos = -1

    def read_at(self, offset: int, length: int) -> bytes:
        if offset >= self.size or length <= 0:
            return b""
        if self._body is None or offset != self._body_pos:
            self._close_body()
            try:
                response = self._backend.client.get_object(
                    Bucket=self._backend.bucket, Key=self._key, Range=f"bytes={offset}-"
                )
            except self._backend._errors as exc:
                raise StorageError(f"cannot read {self._key}: {exc}") from None
            self._body, self._body_pos = response["Body"], offset
        parts = []
        remaining = min(length, self.size - offset)
        while remaining > 0:
            data = self._body.read(remaining)
            if not data:
                break
            parts.append(data)
            remaining -= len(data)
        result = b"".join(parts)
        self._body_pos += len(result)
        return result

    def _close_body(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None

    def close(self) -> None:
        self._close_body()

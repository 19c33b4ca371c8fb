"""Choosing and opening a store from settings (plain data, so Django settings can hold it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from testigo.blobstore.aead import DEFAULT_CHUNK_SIZE
from testigo.blobstore.backends import Backend
from testigo.blobstore.errors import ConfigurationError
from testigo.blobstore.keys import Keyring, MasterKey
from testigo.blobstore.store import BlobStore


@dataclass(frozen=True)
class StoreSettings:
    """Where the store lives.

    ``backend`` is ``"local"`` (``root`` is a directory, by default ``<data dir>/evidence``) or
    ``"s3"`` (``s3_bucket`` and optional ``s3_prefix``, ``s3_endpoint_url`` for MinIO and other
    S3-compatible services, ``s3_region``; credentials from these fields or boto3's usual
    environment variables and files).
    """

    backend: str = "local"
    root: Path | None = None
    s3_bucket: str = ""
    s3_prefix: str = "evidence/"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> StoreSettings:
        """Build settings from a dict with the field names as keys (unknown keys refused)."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigurationError(f"unknown evidence store settings: {sorted(unknown)}")
        data = dict(values)
        if data.get("root") is not None:
            data["root"] = Path(data["root"])
        return cls(**data)

    def make_backend(self) -> Backend:
        """Return the configured backend (creating the local directory if needed)."""
        if self.backend == "local":
            if self.root is None:
                raise ConfigurationError("the local evidence store needs a root directory")
            from testigo.blobstore.backends.local import LocalBackend

            return LocalBackend(self.root)
        if self.backend == "s3":
            from testigo.blobstore.backends.s3 import S3Backend

            return S3Backend(
                bucket=self.s3_bucket,
                prefix=self.s3_prefix,
                endpoint_url=self.s3_endpoint_url,
                region=self.s3_region,
                access_key_id=self.s3_access_key_id,
                secret_access_key=self.s3_secret_access_key,
            )
        raise ConfigurationError(f"unknown evidence store backend {self.backend!r}")


def open_store(settings: StoreSettings, keyring: Keyring | MasterKey) -> BlobStore:
    """Open the configured store with ``keyring`` (or a single master key)."""
    ring = keyring if isinstance(keyring, Keyring) else Keyring(keyring)
    return BlobStore(settings.make_backend(), ring, chunk_size=settings.chunk_size)


def initialise_store(settings: StoreSettings, master: MasterKey) -> BlobStore:
    """Create the configured store under ``master``; refuses if one exists already."""
    return BlobStore.initialise(settings.make_backend(), master, chunk_size=settings.chunk_size)

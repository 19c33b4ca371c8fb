"""Every error the blob store raises, in one tree.

::

    BlobStoreError                  anything this package raises on purpose
    ├── ConfigurationError          settings or a store layout it cannot use
    ├── StorageError                the backend failed (disk full, S3 refused, ...)
    ├── UnsafePathError             a path outside the store, or one that passes through a symlink
    ├── ItemNotFoundError           no stored item has that SHA-256
    ├── KeyringError                master keys, key files and recovery phrases
    │   ├── WrongKeyError           the key or passphrase does not open this key file, store or item
    │   ├── KeyfileError            a key file is missing, malformed or already exists
    │   ├── WeakPassphraseError     a new passphrase is too short to protect a master key
    │   └── RecoveryPhraseError     a recovery phrase is malformed or fails its checksum
    ├── IntegrityError              stored bytes are not the bytes that were stored
    │   ├── TamperedError           authenticated decryption failed: ciphertext altered,
    │   │                           truncated, reordered, or the envelope does not match its item
    │   └── HashMismatchError       decrypted content hashes differently from the record
    ├── MediaError                  a file cannot be processed as its media type
    │   └── UnsupportedMediaError   no metadata-stripping method exists for this media type
    └── ExportError                 a BagIt package cannot be written

Callers turn these into exit codes or HTTP responses; the messages name the problem and never
contain item content or key material.
"""

from __future__ import annotations


class BlobStoreError(Exception):
    """Base class of every error raised on purpose by :mod:`testigo.blobstore`."""


class ConfigurationError(BlobStoreError):
    """Settings, or the layout found in a store, cannot be used."""


class StorageError(BlobStoreError):
    """The backend failed to read or write."""


class UnsafePathError(BlobStoreError):
    """A path resolves outside the store, or passes through a symbolic link."""


class ItemNotFoundError(BlobStoreError):
    """No stored item has the requested SHA-256."""


class KeyringError(BlobStoreError):
    """A problem with master keys, key files or recovery phrases."""


class WrongKeyError(KeyringError):
    """The key or passphrase does not open this key file, store or item."""


class KeyfileError(KeyringError):
    """A key file is missing, malformed, or would overwrite an existing one."""


class WeakPassphraseError(KeyringError):
    """A new passphrase is too short to protect a master key."""


class RecoveryPhraseError(KeyringError):
    """A recovery phrase is malformed or fails its checksum."""


class IntegrityError(BlobStoreError):
    """Stored bytes are not the bytes that were stored."""


class TamperedError(IntegrityError):
    """Authenticated decryption failed (altered, truncated or reordered ciphertext)."""


class HashMismatchError(IntegrityError):
    """Decrypted content hashes differently from the recorded hash."""


class MediaError(BlobStoreError):
    """A file cannot be processed as its media type."""


class UnsupportedMediaError(MediaError):
    """No metadata-stripping method exists for this media type."""


class ExportError(BlobStoreError):
    """A BagIt package cannot be written."""

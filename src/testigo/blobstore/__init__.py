"""Testigo's evidence store: encrypted, content-addressed, verifiable. Never imports Django.

The public surface, by task:

* keys: :class:`MasterKey`, :class:`Keyring`, :func:`keyfile_create`, :func:`keyfile_open`,
  :func:`recovery_phrase`, :func:`recovery_file_write`, :func:`master_key_from_recovery`,
  :func:`load_master_key`, :func:`rotate_keyfile`, :func:`rotate_master_key`;
* the store: :class:`StoreSettings`, :func:`open_store`, :func:`initialise_store`,
  :class:`BlobStore` (``put``, ``writer``, ``open``, ``info``, ``exists``, ``verify``,
  ``rewrap``, ``sweep``, ``records``), :class:`StoredItem`, :class:`RecordedItem`,
  :class:`VerifyReport`;
* sealed record fields: :class:`RecordCipher`, :func:`is_sealed`;
* media: :func:`sniff_media_type`, :func:`extract_metadata`, :func:`derive_stripped_copy`,
  :func:`refusal_reason`,
  :class:`Derivation`;
* export: :func:`export_bag`, :class:`BagItem`, :class:`CustodyRow`, :class:`Redactor`.

Errors form one tree, drawn in :mod:`testigo.blobstore.errors`. Design and threat model:
``docs/decisions/0005-envelope-encryption.md``.
"""

from __future__ import annotations

from testigo.blobstore.bag import BagItem, BagResult, CustodyRow, Redactor, export_bag
from testigo.blobstore.derive import (
    Derivation,
    can_strip,
    derive_stripped_copy,
    refusal_reason,
    strip_metadata,
)
from testigo.blobstore.errors import (
    BlobStoreError,
    ConfigurationError,
    ExportError,
    HashMismatchError,
    IntegrityError,
    ItemNotFoundError,
    KeyfileError,
    KeyringError,
    MediaError,
    RecoveryPhraseError,
    StorageError,
    TamperedError,
    UnsafePathError,
    UnsupportedMediaError,
    WeakPassphraseError,
    WrongKeyError,
)
from testigo.blobstore.keys import (
    KdfParams,
    Keyring,
    MasterKey,
    keyfile_change_passphrase,
    keyfile_create,
    keyfile_key_id,
    keyfile_open,
    load_master_key,
    master_key_from_recovery,
    recovery_file_write,
    recovery_phrase,
)
from testigo.blobstore.metadata import extract_metadata
from testigo.blobstore.records import RecordCipher, is_sealed
from testigo.blobstore.rotation import KeyfileRotation, rotate_keyfile, rotate_master_key
from testigo.blobstore.settings import StoreSettings, initialise_store, open_store
from testigo.blobstore.sniff import extension_matches, sniff_media_type
from testigo.blobstore.store import (
    BlobStore,
    PendingItem,
    Problem,
    RecordedItem,
    RotationReport,
    StoredItem,
    SweepReport,
    VerifyReport,
    normalise_sha256,
)

__all__ = [
    "BagItem",
    "BagResult",
    "BlobStore",
    "BlobStoreError",
    "ConfigurationError",
    "CustodyRow",
    "Derivation",
    "ExportError",
    "HashMismatchError",
    "IntegrityError",
    "ItemNotFoundError",
    "KdfParams",
    "KeyfileError",
    "KeyfileRotation",
    "Keyring",
    "KeyringError",
    "MasterKey",
    "MediaError",
    "PendingItem",
    "Problem",
    "RecordCipher",
    "RecordedItem",
    "RecoveryPhraseError",
    "Redactor",
    "RotationReport",
    "StorageError",
    "StoreSettings",
    "StoredItem",
    "SweepReport",
    "TamperedError",
    "UnsafePathError",
    "UnsupportedMediaError",
    "VerifyReport",
    "WeakPassphraseError",
    "WrongKeyError",
    "can_strip",
    "derive_stripped_copy",
    "export_bag",
    "extension_matches",
    "extract_metadata",
    "initialise_store",
    "is_sealed",
    "keyfile_change_passphrase",
    "keyfile_create",
    "keyfile_key_id",
    "keyfile_open",
    "load_master_key",
    "master_key_from_recovery",
    "normalise_sha256",
    "open_store",
    "recovery_file_write",
    "recovery_phrase",
    "refusal_reason",
    "rotate_keyfile",
    "rotate_master_key",
    "sniff_media_type",
    "strip_metadata",
]

"""Sealed record fields: values kept outside the store, opened only with the store's key."""

from __future__ import annotations

import pytest

from testigo.blobstore import BlobStore, Keyring, MasterKey, RecordCipher, TamperedError, is_sealed
from testigo.blobstore.backends.local import LocalBackend

NAME = "foto-comisaría-Petare.jpg"


def test_a_sealed_value_opens_only_for_its_own_field(store: BlobStore) -> None:
    token = store.records.seal(NAME, context="evidence.original_name")

    assert is_sealed(token) and "Petare" not in token
    assert store.records.open(token, context="evidence.original_name") == NAME
    with pytest.raises(TamperedError):
        store.records.open(token, context="evidence.device")


def test_two_seals_of_one_value_differ_but_share_a_fingerprint(store: BlobStore) -> None:
    first = store.records.seal(NAME, context="f")
    second = store.records.seal(NAME, context="f")

    assert first != second
    assert store.records.fingerprint(NAME, context="f") == store.records.fingerprint(
        NAME, context="f"
    )
    assert store.records.fingerprint(NAME, context="f") != store.records.fingerprint(
        NAME + ".", context="f"
    )


@pytest.mark.parametrize("position", [5, 20, -2])
def test_an_altered_sealed_value_is_caught(store: BlobStore, position: int) -> None:
    token = store.records.seal(NAME, context="f")
    swapped = "A" if token[position] != "A" else "B"
    altered = token[:position] + swapped + token[position + 1 :]  # nonce, ciphertext, tag
    with pytest.raises(TamperedError):
        store.records.open(altered, context="f")


def test_another_store_cannot_open_the_value(store: BlobStore, tmp_path) -> None:
    other = BlobStore.initialise(LocalBackend(tmp_path / "other"), MasterKey.generate())
    token = store.records.seal(NAME, context="f")
    with pytest.raises(TamperedError):
        other.records.open(token, context="f")


def test_values_sealed_before_a_master_key_rotation_still_open(
    store_root, master: MasterKey, store: BlobStore
) -> None:
    token = store.records.seal(NAME, context="f")
    new = MasterKey.generate()
    BlobStore(LocalBackend(store_root), Keyring(new, previous=[master])).rewrap()

    reopened = BlobStore(LocalBackend(store_root), Keyring(new))

    assert reopened.records.open(token, context="f") == NAME


def test_the_cipher_never_shows_its_key() -> None:
    assert repr(RecordCipher(bytes(32))) == "RecordCipher()"
    with pytest.raises(ValueError):
        RecordCipher(b"short")

"""The S3 backend, against a local moto server started by the ``moto_endpoint`` fixture."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest

from testigo.blobstore import (
    BlobStore,
    ConfigurationError,
    ItemNotFoundError,
    Keyring,
    MasterKey,
    RecordedItem,
    StoreSettings,
    TamperedError,
    initialise_store,
    open_store,
    rotate_master_key,
)
from testigo.blobstore.backends.s3 import MIN_PART_SIZE, S3Backend

pytestmark = pytest.mark.s3
MIB = 1 << 20


@pytest.fixture
def settings(moto_endpoint: str, s3_bucket: str) -> StoreSettings:
    return StoreSettings.from_mapping(
        {
            "backend": "s3",
            "s3_bucket": s3_bucket,
            "s3_prefix": "testigo/evidence",
            "s3_endpoint_url": moto_endpoint,
            "s3_region": "us-east-1",
            "s3_access_key_id": "testing",
            "s3_secret_access_key": "testing",
        }
    )


@pytest.fixture
def client(moto_endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def s3_store(settings: StoreSettings, master: MasterKey) -> BlobStore:
    store = initialise_store(settings, master)
    backend = store.backend
    assert isinstance(backend, S3Backend)
    backend.part_size = MIN_PART_SIZE  # multipart from 5 MiB, to exercise it cheaply
    return store


def _keys(client, bucket: str) -> list[str]:  # type: ignore[no-untyped-def]
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


@pytest.mark.parametrize("size", [0, 1000, 12 * MIB + 3], ids=["empty", "small", "multipart"])
def test_it_round_trips_items_through_s3(s3_store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    item = s3_store.put(data)
    with s3_store.open(item.sha256) as fp:
        assert fp.read() == data
    assert s3_store.verify([RecordedItem("EV-1", item.sha256, item.sha512, size)]).ok


def test_it_seeks_within_an_s3_item(s3_store: BlobStore) -> None:
    data = os.urandom(3 * MIB + 5)
    item = s3_store.put(data)
    with s3_store.open(item.sha256) as fp:
        fp.seek(2 * MIB + 7)
        assert fp.read(100) == data[2 * MIB + 7 : 2 * MIB + 107]
        fp.seek(10)
        assert fp.read(10) == data[10:20]


def test_it_keeps_only_ciphertext_and_blinded_names_in_the_bucket(
    s3_store: BlobStore, client, s3_bucket: str
) -> None:
    data = b"CANARY-S3 testimony of a witness " * 100
    item = s3_store.put(data)
    keys = _keys(client, s3_bucket)
    assert all(key.startswith("testigo/evidence/") for key in keys)
    assert len(keys) == 3  # store.json, one envelope, one blob
    for key in keys:
        assert item.sha256 not in key
        body = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
        assert b"CANARY-S3" not in body
        assert item.sha256.encode() not in body


def test_it_detects_a_tampered_object_in_s3(s3_store: BlobStore, client, s3_bucket: str) -> None:
    item = s3_store.put(os.urandom(2 * MIB))
    [blob_key] = [k for k in _keys(client, s3_bucket) if "/blobs/" in k]
    body = bytearray(client.get_object(Bucket=s3_bucket, Key=blob_key)["Body"].read())
    body[MIB] ^= 1
    client.put_object(Bucket=s3_bucket, Key=blob_key, Body=bytes(body))
    with pytest.raises(TamperedError):
        s3_store.open(item.sha256).read()
    assert [p.kind for p in s3_store.verify().problems] == ["tampered"]


def test_an_interrupted_upload_leaves_nothing_in_the_bucket(
    s3_store: BlobStore, client, s3_bucket: str
) -> None:
    def source() -> Iterator[bytes]:
        for _ in range(3):
            yield os.urandom(4 * MIB)  # enough for two multipart parts
        raise ConnectionError("the browser went away")

    keys_before = _keys(client, s3_bucket)
    with pytest.raises(ConnectionError):
        s3_store.put(source())
    assert _keys(client, s3_bucket) == keys_before
    uploads = client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
    assert uploads == []


def test_it_deduplicates_and_reports_unknown_items_on_s3(s3_store: BlobStore) -> None:
    first = s3_store.put(b"same")
    assert not s3_store.put(b"same").created
    assert s3_store.exists(first.sha256)
    with pytest.raises(ItemNotFoundError):
        s3_store.open("ab" * 32)


def test_settings_reopen_an_s3_store_and_rotation_rewraps_it(
    settings: StoreSettings, s3_store: BlobStore, master: MasterKey
) -> None:
    item = s3_store.put(b"rotated on s3")
    new = MasterKey.generate()
    report = rotate_master_key(s3_store.backend, master, new)
    assert report.rewrapped == 1
    reopened = open_store(settings, Keyring(new))
    assert reopened.open(item.sha256).read() == b"rotated on s3"


def test_it_refuses_to_initialise_an_s3_store_twice(
    settings: StoreSettings, s3_store: BlobStore
) -> None:
    with pytest.raises(ConfigurationError):
        initialise_store(settings, MasterKey.generate())

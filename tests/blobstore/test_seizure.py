"""A seized store directory reveals nothing about its items: no content, no hashes, no types."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from pathlib import Path

from PIL import Image

from testigo.blobstore import (
    BlobStore,
    KdfParams,
    MasterKey,
    keyfile_create,
    recovery_phrase,
)
from testigo.blobstore.backends.local import LocalBackend

CANARY = "TESTIGO-CANARY José Pérez Rodríguez, cédula V-12.345.678"


def _items() -> dict[str, bytes]:
    image = io.BytesIO()
    exif = Image.Exif()
    exif[0x013B] = "CANARY-ARTIST"  # EXIF Artist
    exif[0x010E] = CANARY.encode("ascii", "replace").decode()  # ImageDescription
    Image.new("RGB", (64, 64), (10, 200, 30)).save(image, "JPEG", exif=exif)
    repetitive = (CANARY + "\n").encode() * 50_000  # ~2.9 MB, several chunks of the same text
    return {
        "testimony.txt": (CANARY + " was detained on 29 July 2024.").encode(),
        "photo.jpg": image.getvalue(),
        "repetitive.txt": repetitive,
        "random.bin": os.urandom(100_000),
        "tiny": b"si",
    }


def _needles(data: bytes) -> list[bytes]:
    """Fragments whose presence anywhere would reveal the item."""
    sha256, sha512 = hashlib.sha256(data), hashlib.sha512(data)
    needles = [
        sha256.hexdigest().encode(),
        sha512.hexdigest().encode(),
        sha256.digest(),
        sha512.digest()[:32],
        base64.b64encode(sha256.digest()).rstrip(b"="),
        base64.b64encode(sha512.digest()).rstrip(b"=")[:40],
    ]
    if len(data) >= 16:
        for start in (0, len(data) // 3, len(data) // 2, len(data) - 16):
            needles.append(data[start : start + 16])
    return needles


def test_nothing_in_the_store_directory_reveals_an_items_content_or_hash(tmp_path: Path) -> None:
    root = tmp_path / "data" / "evidence"
    master = MasterKey.generate()
    keyfile_create(
        tmp_path / "data" / "master.key",
        master,
        "a long enough passphrase",
        kdf=KdfParams.fast_for_tests(),
    )
    store = BlobStore.initialise(LocalBackend(root), master)
    items = _items()
    for data in items.values():
        store.put(data)
    # a write that failed half-way must leave nothing readable either
    pending = store.writer()
    pending.write(items["repetitive.txt"][: 1 << 20])
    pending.abort()

    needles: list[bytes] = [CANARY.encode(), b"CANARY", b"image/jpeg", b"text/plain", b"JFIF"]
    for data in items.values():
        needles += _needles(data)
    key_material = [
        master.secret_bytes(),
        master.secret_bytes().hex().encode(),
        base64.b64encode(master.secret_bytes()),
        recovery_phrase(master).encode(),
    ]

    scanned = 0
    for path in (tmp_path / "data").rglob("*"):
        name = path.name.encode()
        for needle in needles + key_material:
            if len(needle) >= 8:
                assert needle.lower() not in name.lower(), f"{path} is named after content"
        if not path.is_file():
            continue
        content = path.read_bytes()
        scanned += 1
        for needle in needles + key_material:
            assert needle not in content, f"{path} contains {needle[:24]!r}"
    assert scanned >= 2 * len(items) + 2  # blobs, envelopes, store.json, key file


def test_the_same_content_in_two_stores_looks_unrelated(tmp_path: Path) -> None:
    data = b"the same photograph" * 100
    stores = [
        BlobStore.initialise(LocalBackend(tmp_path / name), MasterKey.generate())
        for name in ("a", "b")
    ]
    for store in stores:
        store.put(data)
    names = [{p.name for p in (tmp_path / name).rglob("*") if p.is_file()} for name in ("a", "b")]
    assert names[0] & names[1] == {"store.json"}
    blobs = [next((tmp_path / name / "blobs").rglob("*/*")).read_bytes() for name in ("a", "b")]
    assert blobs[0] != blobs[1]

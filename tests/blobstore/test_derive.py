"""Stripped copies for sharing are new items linked to an untouched original."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from testigo.blobstore import (
    BlobStore,
    UnsupportedMediaError,
    can_strip,
    derive_stripped_copy,
    extract_metadata,
    strip_metadata,
)
from testigo.blobstore.errors import MediaError


def test_a_stripped_image_has_no_exif_gps_or_names(store: BlobStore, jpeg_with_exif: bytes) -> None:
    original = store.put(jpeg_with_exif)
    derivation = derive_stripped_copy(store, original.sha256)

    copy = derivation.item
    assert copy.created and copy.sha256 != original.sha256
    assert copy.media_type == "image/jpeg"
    with store.open(copy.sha256) as fp:
        data = fp.read()
    meta = extract_metadata(io.BytesIO(data))
    assert "exif" not in meta and "gps" not in meta and "captured_at" not in meta
    assert b"Canon" not in data and b"Juan" not in data and b"Exif" not in data


def test_a_stripped_image_keeps_its_displayed_orientation(
    store: BlobStore, jpeg_with_exif: bytes
) -> None:
    original = store.put(jpeg_with_exif)
    copy = derive_stripped_copy(store, original.sha256).item
    with store.open(copy.sha256) as fp, Image.open(fp) as image:
        assert image.size == (20, 40)  # orientation 6 applied: 40×20 stored, shown rotated
        top, bottom = image.getpixel((10, 5)), image.getpixel((10, 35))
    assert top[2] > 150 > top[0]  # the blue half now on top
    assert bottom[0] > 150 > bottom[2]


def test_the_original_is_left_untouched(store: BlobStore, jpeg_with_exif: bytes) -> None:
    original = store.put(jpeg_with_exif)
    derive_stripped_copy(store, original.sha256)
    with store.open(original.sha256) as fp:
        assert fp.read() == jpeg_with_exif
    assert store.verify().ok


def test_the_derivation_records_tool_version_and_original(
    store: BlobStore, jpeg_with_exif: bytes
) -> None:
    original = store.put(jpeg_with_exif)
    derivation = derive_stripped_copy(store, original.sha256)
    record = derivation.as_dict()
    assert record["original_sha256"] == original.sha256
    assert record["transformation"] == "strip-metadata"
    assert record["tool"] == "Pillow"
    assert record["tool_version"] == Image.__version__
    assert "re-encoded" in record["method"]
    assert record["item"]["sha256"] == derivation.item.sha256
    assert record["performed_at"].endswith("Z")


def test_a_png_loses_its_text_chunks_but_not_its_pixels(
    store: BlobStore, png_with_text: bytes
) -> None:
    original = store.put(png_with_text)
    copy = derive_stripped_copy(store, original.sha256).item
    with store.open(copy.sha256) as fp:
        data = fp.read()
    assert b"Juan" not in data and b"Author" not in data
    with Image.open(io.BytesIO(data)) as stripped, Image.open(io.BytesIO(png_with_text)) as orig:
        assert stripped.tobytes() == orig.tobytes()
        assert stripped.mode == orig.mode


def test_a_stripped_pdf_has_no_author_xmp_id_or_annotation_author(
    store: BlobStore, pdf_with_metadata: bytes
) -> None:
    original = store.put(pdf_with_metadata)
    derivation = derive_stripped_copy(store, original.sha256)
    assert derivation.tool == "pypdf"
    with store.open(derivation.item.sha256) as fp:
        data = fp.read()
    for secret in (b"Juan", b"P\xe9rez", b"Testimonio", b"/ID", b"/Metadata", b"Word"):
        assert secret not in data, secret
    meta = extract_metadata(io.BytesIO(data))
    assert meta["pdf"]["pages"] == 1
    assert meta["pdf"]["info"] == {}
    assert "xmp" not in meta["pdf"]


def test_an_encrypted_pdf_is_refused(store: BlobStore) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(10, 10)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(UnsupportedMediaError):
        strip_metadata(io.BytesIO(out.getvalue()), io.BytesIO())


def test_types_without_a_stripping_method_are_refused(store: BlobStore, mp4_with_tags) -> None:
    item = store.put(mp4_with_tags)  # WAV was the example here until WAV could be stripped
    assert not can_strip(item.media_type)
    with pytest.raises(UnsupportedMediaError, match="safely"):
        derive_stripped_copy(store, item.sha256)
    assert list(store.iter_sha256()) == [item.sha256]  # nothing half-stored


def test_an_undecodable_image_raises_a_media_error() -> None:
    with pytest.raises(MediaError):
        strip_metadata(io.BytesIO(b"\xff\xd8\xff\xe0 not really a jpeg"), io.BytesIO())

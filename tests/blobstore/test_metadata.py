"""Technical metadata comes out as plain data, from the decrypting reader, without raising."""

from __future__ import annotations

import io
import json

import pytest

from testigo.blobstore import BlobStore, extension_matches, extract_metadata, sniff_media_type


def test_it_extracts_camera_capture_time_and_gps_from_a_jpeg(jpeg_with_exif: bytes) -> None:
    meta = extract_metadata(io.BytesIO(jpeg_with_exif), filename="IMG_0001.JPG")
    assert meta["media_type"] == "image/jpeg"
    assert meta["extension_matches"] is True
    assert meta["image"] == {
        "format": "JPEG",
        "width": 40,
        "height": 20,
        "mode": "RGB",
        "frames": 1,
        "icc_profile": False,
    }
    assert meta["exif"]["Make"] == "Canon"
    assert meta["exif"]["Orientation"] == 6
    assert meta["captured_at"] == "2024-07-29T21:15:03-04:00"
    assert meta["captured_at_source"] == "exif:DateTimeOriginal"
    assert meta["gps"]["latitude"] == pytest.approx(10.5034278)
    assert meta["gps"]["longitude"] == pytest.approx(-66.9166667)
    assert meta["gps"]["altitude_m"] == 900.0
    assert meta["errors"] == []
    json.dumps(meta)  # plain data, ready for a JSON field


def test_it_extracts_metadata_through_the_decrypting_reader(
    store: BlobStore, jpeg_with_exif: bytes
) -> None:
    item = store.put(jpeg_with_exif)
    with store.open(item.sha256) as fp:
        meta = extract_metadata(fp, filename="foto.jpg", media_type=item.media_type)
    assert meta["gps"]["latitude"] == pytest.approx(10.5034278)


def test_it_extracts_png_text_chunks(png_with_text: bytes) -> None:
    meta = extract_metadata(io.BytesIO(png_with_text), filename="x.png")
    assert meta["image"]["text"] == {"Author": "Juan Perez", "Comment": "tomada en la comisaría"}


def test_it_extracts_pdf_document_information(pdf_with_metadata: bytes) -> None:
    meta = extract_metadata(io.BytesIO(pdf_with_metadata), filename="testimonio.pdf")
    pdf = meta["pdf"]
    assert pdf["pages"] == 1
    assert pdf["encrypted"] is False
    assert pdf["info"]["Author"] == "Juan Pérez"
    assert pdf["info"]["Title"] == "Testimonio"
    assert pdf["info"]["CreationDate"] == "2024-07-29T21:15:03-04:00"
    assert "Juan Perez XMP" in pdf["xmp"]
    assert pdf["document_id"][0] == b"0123456789abcdef".hex()


def test_it_extracts_audio_duration_and_tags(wav_with_tags: bytes) -> None:
    meta = extract_metadata(io.BytesIO(wav_with_tags), filename="nota de voz.wav")
    assert meta["media_type"] == "audio/wav"
    av = meta["av"]
    assert av["duration_seconds"] == pytest.approx(1.0)
    assert av["sample_rate"] == 8000
    assert av["channels"] == 1
    assert av["tags"]["TPE1"] == ["Juan Pérez"]
    assert meta["captured_at"] == "2024-07-29"


def test_it_extracts_video_container_metadata(mp4_with_tags: bytes) -> None:
    meta = extract_metadata(io.BytesIO(mp4_with_tags), filename="video.mp4")
    assert meta["media_type"] == "video/mp4"
    assert meta["av"]["container"] == "MP4"
    assert meta["av"]["duration_seconds"] == pytest.approx(5.0)
    assert meta["av"]["tags"]["©too"] == ["Lavf60.3.100"]
    assert meta["captured_at"] == "2024-07-29T21:15:00Z"


def test_it_flags_a_name_whose_extension_disagrees_with_the_content(
    pdf_with_metadata: bytes,
) -> None:
    meta = extract_metadata(io.BytesIO(pdf_with_metadata), filename="holiday.jpg")
    assert meta["media_type"] == "application/pdf"
    assert meta["extension_matches"] is False


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xd8\xff\xe0 truncated jpeg",
        b"%PDF-1.7\n garbage with no xref",
        b"RIFF\x10\x00\x00\x00WAVEjunk",
        b"\x00\x00\x00\x18ftypisom" + b"\xff" * 40,
    ],
    ids=["jpeg", "pdf", "wav", "mp4"],
)
def test_a_malformed_file_is_reported_not_raised(content: bytes) -> None:
    meta = extract_metadata(io.BytesIO(content))
    assert meta["errors"], meta


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe1", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"\0\0\0\x18ftypheic", "image/heic"),
        (b"\0\0\0\x14ftypqt  ", "video/quicktime"),
        (b"\0\0\0\x20ftypisom", "video/mp4"),
        (b"\0\0\0\x20ftypM4A ", "audio/mp4"),
        (b"ID3\x04\0", "audio/mpeg"),
        (b"\xff\xfb\x90\x00", "audio/mpeg"),
        (b"OggS\0\x02" + b"\0" * 22 + b"\x01vorbis", "audio/ogg"),
        (b"OggS\0\x02" + b"\0" * 22 + b"OpusHead", "audio/ogg"),
        (
            b"\x1aE\xdf\xa3\x9fB\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\xf3\x81\x08B\x82\x84webm",
            "video/webm",
        ),
        (b"%PDF-1.4", "application/pdf"),
        (
            b"PK\x03\x04" + b"\0" * 26 + b"mimetypeapplication/vnd.oasis.opendocument.textPK",
            "application/vnd.oasis.opendocument.text",
        ),
        (
            b"PK\x03\x04" + b"\0" * 26 + b"[Content_Types].xml....word/document.xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (b"PK\x03\x04" + b"\0" * 26 + b"photo.jpg", "application/zip"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'>", "image/svg+xml"),
        (b"<!DOCTYPE html><html>", "text/html"),
        ("Declaración de la víctima".encode(), "text/plain"),
        (b"", "application/x-empty"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
    ],
)
def test_it_sniffs_the_media_type_from_content(head: bytes, expected: str) -> None:
    assert sniff_media_type(head) == expected


@pytest.mark.parametrize(
    ("media_type", "name", "expected"),
    [
        ("image/jpeg", "foto.JPG", True),
        ("image/jpeg", "foto.jpeg", True),
        ("application/pdf", "foto.jpg", False),
        ("audio/mp4", "nota.m4a", True),
        ("image/jpeg", "no-extension", None),
        ("image/jpeg", None, None),
    ],
)
def test_it_compares_the_extension_with_the_content_type(
    media_type: str, name: str | None, expected: bool | None
) -> None:
    assert extension_matches(media_type, name) is expected

"""Fixtures for the blob store: no database, no Django; S3 tests run against a local moto server."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from testigo.blobstore import BlobStore, MasterKey
from testigo.blobstore.backends.local import LocalBackend


@pytest.fixture
def master() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(store_root: Path, master: MasterKey) -> BlobStore:
    return BlobStore.initialise(LocalBackend(store_root), master)


@pytest.fixture
def small_chunk_store(tmp_path: Path, master: MasterKey) -> BlobStore:
    """A store with the smallest chunk size, so a few kilobytes span many chunks."""
    return BlobStore.initialise(LocalBackend(tmp_path / "small"), master, chunk_size=4096)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 for the whole session."""
    executable = Path(sys.executable).with_name("moto_server")
    if not executable.exists():
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    port = _free_port()
    process = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the moto server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3_bucket(moto_endpoint: str) -> str:
    """A fresh, empty bucket on the moto server."""
    import boto3

    name = f"evidence-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=name)
    return name


# -- small media files, generated on the spot ------------------------------------------------

WITNESS = "Juan Pérez"


@pytest.fixture
def jpeg_with_exif() -> bytes:
    """A 40×20 JPEG taken in Caracas, with camera, capture time, GPS and orientation 6."""
    import io

    from PIL import ExifTags, Image, TiffImagePlugin

    rational = TiffImagePlugin.IFDRational
    image = Image.new("RGB", (40, 20), (200, 10, 10))
    image.paste((10, 10, 200), (0, 0, 20, 20))  # left half blue, to check rotation
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS Test"
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x013B] = "Juan Perez"  # Artist
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[0x9003] = "2024:07:29 21:15:03"
    sub[0x9011] = "-04:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1] = "N"
    gps[2] = (rational(10), rational(30), rational(1234, 100))
    gps[3] = "W"
    gps[4] = (rational(66), rational(55), rational(0))
    gps[6] = rational(900)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


@pytest.fixture
def png_with_text() -> bytes:
    import io

    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Juan Perez")
    info.add_text("Comment", "tomada en la comisaría")
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 0, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.fixture
def pdf_with_metadata() -> bytes:
    """A one-page PDF with document info, XMP, a trailer ID and an annotation by its author."""
    import io

    from pypdf import PdfWriter
    from pypdf.annotations import Text
    from pypdf.generic import (
        ArrayObject,
        ByteStringObject,
        DecodedStreamObject,
        NameObject,
        TextStringObject,
    )

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata(
        {
            "/Author": WITNESS,
            "/Title": "Testimonio",
            "/Creator": "Word",
            "/CreationDate": "D:20240729211503-04'00'",
        }
    )
    xmp = DecodedStreamObject()
    xmp.set_data(b"<x:xmpmeta><dc:creator>Juan Perez XMP</dc:creator></x:xmpmeta>")
    xmp[NameObject("/Type")] = NameObject("/Metadata")
    xmp[NameObject("/Subtype")] = NameObject("/XML")
    writer._root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    writer.add_annotation(0, Text(rect=(10, 10, 30, 30), text="nota"))
    annotation = writer.pages[0]["/Annots"][0].get_object()
    annotation[NameObject("/T")] = TextStringObject("Juan Perez Annot")
    writer._ID = ArrayObject([ByteStringObject(b"0123456789abcdef")] * 2)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def wav_with_tags() -> bytes:
    """One second of silence as WAV, with ID3 title, artist and date."""
    import io
    import wave

    from mutagen.id3 import TDRC, TIT2, TPE1
    from mutagen.wave import WAVE

    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x00" * 8000)
    out.seek(0)
    tagged = WAVE(out)
    tagged.add_tags()
    tagged.tags.add(TIT2(encoding=3, text="Testimonio"))
    tagged.tags.add(TPE1(encoding=3, text=WITNESS))
    tagged.tags.add(TDRC(encoding=3, text="2024-07-29"))
    out.seek(0)
    tagged.save(out)
    return out.getvalue()


@pytest.fixture
def mp4_with_tags() -> bytes:
    """A minimal MP4 container (five seconds long) with creation date and encoder tags."""
    import io
    import struct

    from mutagen.mp4 import MP4

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = box(
        b"mvhd",
        b"\0\0\0\0"
        + struct.pack(">IIII", 0, 0, 1000, 5000)
        + struct.pack(">IH", 0x00010000, 0x0100)
        + b"\0" * 10
        + matrix
        + b"\0" * 24
        + struct.pack(">I", 2),
    )
    out = io.BytesIO(box(b"ftyp", b"isom\0\0\x02\0isomiso2mp41") + box(b"moov", mvhd))
    video = MP4(out)
    video.add_tags()
    video.tags["\xa9day"] = ["2024-07-29T21:15:00Z"]
    video.tags["\xa9too"] = ["Lavf60.3.100"]
    out.seek(0)
    video.save(out)
    return out.getvalue()


# -- audio in the containers a phone or recorder produces, built byte by byte ---------------

MP3_FRAME = b"\xff\xfb\x90\x00" + bytes(413)  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, silent


def _riff_chunk(kind: bytes, payload: bytes) -> bytes:
    import struct

    return kind + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")


@pytest.fixture
def wav_from_a_recorder(wav_with_tags: bytes) -> bytes:
    """The tagged WAV plus what field recorders add: LIST/INFO, a bext chunk and iXML."""
    import struct

    body = wav_with_tags[12:]
    info = b"INFO" + _riff_chunk(b"IART", b"Juan Perez\0") + _riff_chunk(b"ICMT", b"Petare\0")
    extra = (
        _riff_chunk(b"LIST", info)
        + _riff_chunk(b"bext", b"Juan Perez recorder".ljust(256, b"\0") + b"2024-07-29" * 3)
        + _riff_chunk(b"iXML", b"<BWFXML><NOTE>Juan Perez</NOTE></BWFXML>")
    )
    body = extra + body
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


@pytest.fixture
def mp3_with_tags() -> bytes:
    """Forty silent MP3 frames with ID3v2 and ID3v1 tags naming the witness."""
    import io

    from mutagen.id3 import ID3, TDRC, TPE1

    out = io.BytesIO(MP3_FRAME * 40)
    tags = ID3()
    tags.add(TPE1(encoding=3, text=WITNESS))
    tags.add(TDRC(encoding=3, text="2024-07-29"))
    tags.save(out, v1=2)
    return out.getvalue()


@pytest.fixture
def opus_with_tags() -> bytes:
    """An Ogg Opus voice note (the format of messaging apps) with artist and location comments."""
    import struct

    from mutagen.ogg import OggPage

    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    comments = [f"ARTIST={WITNESS}".encode(), b"LOCATION=10.5034,-66.9166"]
    tags = b"OpusTags" + struct.pack("<I", 7) + b"testigo" + struct.pack("<I", len(comments))
    for comment in comments:
        tags += struct.pack("<I", len(comment)) + comment
    pages = []
    for sequence, (packets, position) in enumerate(
        [([head], 0), ([tags], 0), ([b"\xf8\xff\xfe"] * 50, 312 + 48000)]
    ):
        page = OggPage()
        page.packets, page.serial, page.sequence, page.position = packets, 7, sequence, position
        page.first, page.last = sequence == 0, sequence == 2
        pages.append(page.write())
    return b"".join(pages)


@pytest.fixture
def flac_with_tags() -> bytes:
    """A FLAC stream header (48 kHz, mono) with Vorbis comments and a cover picture."""
    import io

    from mutagen.flac import FLAC, Picture

    streaminfo = (
        b"\x10\x00\x10\x00"
        + bytes(6)
        + bytes([0x0B, 0xB8, 0x00, 0xF0, 0x00, 0x00, 0x1F, 0x40])
        + bytes(16)
    )
    out = io.BytesIO(b"fLaC\x80" + len(streaminfo).to_bytes(3, "big") + streaminfo)
    flac = FLAC(out)
    flac.add_tags()
    flac.tags["ARTIST"] = WITNESS
    picture = Picture()
    picture.data = b"\x89PNG\r\n\x1a\n" + bytes(32)
    picture.mime = "image/png"
    flac.add_picture(picture)
    out.seek(0)
    flac.save(out)
    return out.getvalue()

"""Where and when a phone video was recorded: MP4/QuickTime boxes that mutagen's tags leave out."""

from __future__ import annotations

import datetime as dt
import io
import struct

import pytest

from testigo.blobstore import extract_metadata

MP4_EPOCH = dt.datetime(1904, 1, 1, tzinfo=dt.UTC)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mvhd(created: int, duration: int = 5000, version: int = 0) -> bytes:
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    times = (
        struct.pack(">QQIQ", created, created, 1000, duration)
        if version
        else struct.pack(">IIII", created, created, 1000, duration)
    )
    rest = struct.pack(">IH", 0x00010000, 0x0100) + bytes(10) + matrix + bytes(24)
    return box(b"mvhd", bytes([version, 0, 0, 0]) + times + rest + struct.pack(">I", 2))


# 2024-07-29T21:15:03Z in seconds since 1904-01-01, the MP4 epoch
CREATED = int((dt.datetime(2024, 7, 29, 21, 15, 3, tzinfo=dt.UTC) - MP4_EPOCH).total_seconds())


def android_video(version: int = 0) -> bytes:
    """What Android's camera writes: the location as ISO 6709 text in ``udta/©xyz``."""
    location = b"+10.5034-066.9166/"
    xyz = box(b"\xa9xyz", struct.pack(">HH", len(location), 0x15C7) + location)
    moov = box(b"moov", mvhd(CREATED, version=version) + box(b"udta", xyz))
    return box(b"ftyp", b"isom\0\0\x02\0isomiso2mp41") + moov


def iphone_video() -> bytes:
    """What an iPhone writes: QuickTime ``mdta`` keys in ``moov/meta``, location among them."""
    names = [b"com.apple.quicktime.make", b"com.apple.quicktime.location.ISO6709"]
    keys = box(
        b"keys",
        bytes(4) + struct.pack(">I", len(names)) + b"".join(box(b"mdta", n) for n in names),
    )
    values = [b"Apple", b"+10.5034-066.9166+900.000/"]
    ilst = box(
        b"ilst",
        b"".join(
            box(struct.pack(">I", i + 1), box(b"data", b"\0\0\0\x01" + bytes(4) + v))
            for i, v in enumerate(values)
        ),
    )
    hdlr = box(b"hdlr", bytes(8) + b"mdta" + bytes(13))
    meta = box(b"meta", hdlr + keys + ilst)
    return box(b"ftyp", b"qt  \0\0\x02\0qt  ") + box(b"moov", mvhd(CREATED) + meta)


@pytest.mark.parametrize("version", [0, 1])
def test_an_android_video_gives_its_recording_time_and_place(version: int) -> None:
    meta = extract_metadata(io.BytesIO(android_video(version)), filename="VID_20240729.mp4")

    assert meta["media_type"] == "video/mp4" and meta["errors"] == []
    assert meta["gps"] == {"latitude": 10.5034, "longitude": -66.9166}
    assert meta["captured_at"] == "2024-07-29T21:15:03Z"
    assert meta["captured_at_source"] == "mp4:mvhd"
    assert meta["mp4"]["duration_seconds"] == 5.0
    assert meta["mp4"]["location_source"] == "udta/\u00a9xyz"


def test_an_iphone_video_gives_its_location_from_the_quicktime_keys() -> None:
    meta = extract_metadata(io.BytesIO(iphone_video()), filename="IMG_0042.MOV")

    assert meta["media_type"] == "video/quicktime"
    assert meta["gps"] == {"latitude": 10.5034, "longitude": -66.9166, "altitude_m": 900.0}
    assert meta["mp4"]["quicktime_keys"]["com.apple.quicktime.make"] == "Apple"
    assert meta["captured_at"] == "2024-07-29T21:15:03Z"


def test_a_date_tag_wins_over_the_mvhd_time(mp4_with_tags: bytes) -> None:
    meta = extract_metadata(io.BytesIO(mp4_with_tags))
    assert meta["captured_at"] == "2024-07-29T21:15:00Z" and "gps" not in meta


@pytest.mark.parametrize(
    "data",
    [
        box(b"ftyp", b"isom") + box(b"moov", box(b"mvhd", b"\0")),
        box(b"ftyp", b"isom") + struct.pack(">I", 3) + b"moov",
        box(b"ftyp", b"isom") + box(b"moov", box(b"udta", box(b"\xa9xyz", b"\xff\xff+9"))),
        box(b"ftyp", b"isom") + box(b"moov", box(b"meta", box(b"keys", b"\0" * 3))),
    ],
    ids=["short-mvhd", "bad-size", "truncated-xyz", "short-keys"],
)
def test_malformed_boxes_never_raise(data: bytes) -> None:
    meta = extract_metadata(io.BytesIO(data), filename="x.mp4")
    assert meta["media_type"] == "video/mp4" and "gps" not in meta

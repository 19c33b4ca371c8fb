"""Stripped copies of audio: the sound untouched, every tag gone; video refused, with the reason."""

from __future__ import annotations

import io
import wave

import pytest

from testigo.blobstore import (
    BlobStore,
    UnsupportedMediaError,
    can_strip,
    derive_stripped_copy,
    extract_metadata,
    refusal_reason,
    strip_metadata,
)

from .conftest import MP3_FRAME, WITNESS


def _strip(data: bytes) -> bytes:
    out = io.BytesIO()
    strip_metadata(io.BytesIO(data), out)
    return out.getvalue()


def test_a_stripped_wav_keeps_the_sound_and_loses_info_bext_ixml_and_id3(
    wav_from_a_recorder: bytes,
) -> None:
    assert b"Juan Perez" in wav_from_a_recorder and WITNESS.encode() in wav_from_a_recorder

    clean = _strip(wav_from_a_recorder)

    for marker in (b"Juan Perez", WITNESS.encode(), b"Petare", b"LIST", b"bext", b"iXML"):
        assert marker not in clean
    assert "tags" not in extract_metadata(io.BytesIO(clean)).get("av", {})
    with wave.open(io.BytesIO(clean)) as before, wave.open(io.BytesIO(wav_from_a_recorder)) as w:
        assert before.getparams() == w.getparams()
        assert before.readframes(before.getnframes()) == w.readframes(w.getnframes())


def test_a_stripped_mp3_has_no_id3_tags_and_the_same_frames(mp3_with_tags: bytes) -> None:
    meta = extract_metadata(io.BytesIO(mp3_with_tags), filename="nota.mp3")
    assert meta["av"]["tags"]["TPE1"] == [WITNESS]

    clean = _strip(mp3_with_tags)

    assert clean == MP3_FRAME * 40  # exactly the audio frames, nothing before or after
    assert "tags" not in extract_metadata(io.BytesIO(clean)).get("av", {})


def test_a_stripped_opus_voice_note_has_no_comments(opus_with_tags: bytes) -> None:
    meta = extract_metadata(io.BytesIO(opus_with_tags), filename="PTT-20240729.opus")
    assert meta["media_type"] == "audio/ogg" and meta["av"]["container"] == "OggOpus"
    assert meta["av"]["duration_seconds"] == pytest.approx(1.0)
    assert meta["av"]["tags"]["location"] == ["10.5034,-66.9166"]

    clean = _strip(opus_with_tags)

    assert WITNESS.encode() not in clean and b"10.5034" not in clean
    assert b"\xf8\xff\xfe" * 50 in clean  # the audio packets are untouched
    after = extract_metadata(io.BytesIO(clean))
    assert after["av"]["container"] == "OggOpus" and "tags" not in after["av"]


def test_a_stripped_flac_has_no_comments_or_pictures(flac_with_tags: bytes) -> None:
    assert extract_metadata(io.BytesIO(flac_with_tags))["av"]["tags"]["artist"] == [WITNESS]

    clean = _strip(flac_with_tags)

    assert WITNESS.encode() not in clean and b"\x89PNG" not in clean
    assert extract_metadata(io.BytesIO(clean))["av"]["sample_rate"] == 48000


def test_an_audio_copy_is_a_new_item_and_the_original_is_unchanged(
    store: BlobStore, opus_with_tags: bytes
) -> None:
    original = store.put(opus_with_tags)
    derivation = derive_stripped_copy(store, original.sha256)

    assert derivation.tool == "mutagen" and derivation.tool_version
    assert derivation.item.sha256 != original.sha256
    with store.open(original.sha256) as fp:
        assert fp.read() == opus_with_tags


def test_video_and_mp4_audio_are_refused_with_the_reason(mp4_with_tags: bytes) -> None:
    for media_type in ("video/mp4", "audio/mp4", "video/quicktime", "video/webm"):
        assert not can_strip(media_type)
        assert "safely" in (refusal_reason(media_type) or "")
    assert refusal_reason("application/zip") is None  # simply no method, nothing to explain
    with pytest.raises(UnsupportedMediaError, match="recording times or location"):
        strip_metadata(io.BytesIO(mp4_with_tags), io.BytesIO())

"""Working copies with metadata stripped, for sharing; the original is never touched.

A stripped copy is a separate item in the store. :func:`derive_stripped_copy` returns a
:class:`Derivation` that records what was done, with which tool and version, and the original's
SHA-256, for the caller to keep beside the new item (Berkeley Protocol: every working copy is
linked to the untouched evidentiary copy).

What is removed:

* **images**: everything but the pixels. The image is decoded and re-encoded (JPEG stays JPEG at
  quality 95; every other format becomes PNG, losslessly), so EXIF (camera, GPS, times), XMP,
  IPTC, ICC profiles, comments and PNG text chunks are gone. The EXIF orientation is applied to
  the pixels first, so the copy displays the same way. Multi-frame images are refused.
* **PDFs**: the document information dictionary, XMP streams (document and page level),
  ``/PieceInfo`` application data, the trailer ``/ID`` (a fingerprint shared with the original),
  and author names and dates on markup annotations. Page content is not rewritten: a name typed
  into the text stays there. Encrypted PDFs are refused.
* **audio**: the sound is copied untouched; the tags go. WAV is rebuilt with only its ``fmt ``,
  ``fact`` and ``data`` chunks (so ``LIST/INFO``, ``bext`` with its originator and recording
  time, ``iXML`` and ``id3 `` chunks are gone), streamed. MP3 loses its ID3v2, ID3v1 and APEv2
  tags; Ogg (Opus, Vorbis, FLAC, Speex) its comments; FLAC its comments and pictures (mutagen).
  These are rewritten in memory, up to :data:`MAX_IN_MEMORY_AUDIO` bytes. The copy is read back
  and refused if any tag remains.
* **video, and audio in MP4/M4A, AMR, AAC, WebM or Matroska**: refused. No library here rewrites
  these containers safely: mutagen removes an MP4's tag list but not the creation times in its
  ``mvhd``/``tkhd``/``mdhd`` boxes or the QuickTime location (``©xyz``, ``mdta`` keys), so a
  "stripped" copy would still say when and where it was recorded.
"""

from __future__ import annotations

import dataclasses
import io
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

from testigo.blobstore.errors import MediaError, UnsupportedMediaError
from testigo.blobstore.metadata import library_versions
from testigo.blobstore.sniff import SNIFF_BYTES, sniff_media_type
from testigo.blobstore.store import BlobStore, StoredItem

TRANSFORMATION = "strip-metadata"
_IMAGE_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/tiff",
    "image/webp",
    "image/bmp",
}


@dataclass(frozen=True)
class StripResult:
    """How a stripped copy was produced."""

    media_type: str
    method: str
    tool: str
    tool_version: str


@dataclass(frozen=True)
class Derivation:
    """A derived item and its provenance, ready to be recorded by the caller."""

    item: StoredItem
    original_sha256: str
    transformation: str
    method: str
    tool: str
    tool_version: str
    performed_at: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data, e.g. for a JSON field."""
        data = dataclasses.asdict(self)
        data["item"] = dataclasses.asdict(self.item)
        return data


#: Audio types stripped with mutagen, in memory.
_MUTAGEN_AUDIO = {"audio/mpeg", "audio/ogg", "audio/flac"}
#: The largest MP3, Ogg or FLAC file stripped (it is held in memory while rewritten).
MAX_IN_MEMORY_AUDIO = 256 * 1024 * 1024
_WAV_KEPT_CHUNKS = {b"fmt ", b"fact", b"data"}


def can_strip(media_type: str) -> bool:
    """Whether :func:`strip_metadata` handles this media type."""
    return (
        media_type in _IMAGE_TYPES
        or media_type == "application/pdf"
        or media_type == "audio/wav"
        or media_type in _MUTAGEN_AUDIO
    )


def refusal_reason(media_type: str) -> str | None:
    """Why no stripped copy is made of this type, for the types refused on purpose."""
    family = media_type.split("/", 1)[0]
    if can_strip(media_type) or family not in {"audio", "video"}:
        return None
    return (
        f"metadata cannot be stripped safely from {media_type} files: no library here "
        "rewrites this container without leaving its recording times or location behind"
    )


def strip_metadata(
    source: BinaryIO, sink: BinaryIO, *, media_type: str | None = None
) -> StripResult:
    """Write a copy of ``source`` without metadata to ``sink``.

    Raises:
        UnsupportedMediaError: no method exists for this media type (or the file is encrypted,
            or has several frames).
        MediaError: the file cannot be decoded.
    """
    source.seek(0)
    if media_type is None:
        media_type = sniff_media_type(source.read(SNIFF_BYTES))
        source.seek(0)
    if media_type in _IMAGE_TYPES:
        return _strip_image(source, sink)
    if media_type == "application/pdf":
        return _strip_pdf(source, sink)
    if media_type == "audio/wav":
        return _strip_wav(source, sink)
    if media_type in _MUTAGEN_AUDIO:
        return _strip_tagged_audio(source, sink, media_type)
    raise UnsupportedMediaError(
        refusal_reason(media_type) or f"metadata cannot be stripped from {media_type} files"
    )


def _strip_wav(source: BinaryIO, sink: BinaryIO) -> StripResult:
    """Copy a RIFF/WAVE file keeping only the chunks that describe and hold the sound."""
    header = source.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        raise MediaError("the WAV file has no RIFF/WAVE header")
    kept: list[tuple[bytes, int, int]] = []  # (id, offset of its payload, size)
    file_size = source.seek(0, io.SEEK_END)
    declared = 8 + struct.unpack("<I", header[4:8])[0]
    end = declared if 12 < declared <= file_size else file_size  # streamed WAVs lie
    offset = 12
    while offset + 8 <= end:
        source.seek(offset)
        chunk = source.read(8)
        kind, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        size = min(size, end - offset - 8)  # a truncated recording keeps what it has
        if kind in _WAV_KEPT_CHUNKS and not any(kind == k for k, _o, _s in kept):
            kept.append((kind, offset + 8, size))
        offset += 8 + size + (size & 1)
    kinds = [kind for kind, _o, _s in kept]
    if b"fmt " not in kinds or b"data" not in kinds:
        raise MediaError("the WAV file has no fmt or data chunk")
    total = 4 + sum(8 + size + (size & 1) for _k, _o, size in kept)
    sink.write(b"RIFF" + struct.pack("<I", total) + b"WAVE")
    for kind, start, size in kept:
        sink.write(kind + struct.pack("<I", size))
        source.seek(start)
        remaining = size
        while remaining:
            block = source.read(min(remaining, 1024 * 1024))
            if not block:
                raise MediaError("the WAV file ends inside a chunk")
            sink.write(block)
            remaining -= len(block)
        if size & 1:
            sink.write(b"\0")
    method = "rebuilt with only the fmt, fact and data chunks; sound data copied unchanged"
    return StripResult("audio/wav", method, "testigo.blobstore", "1")


def _strip_tagged_audio(source: BinaryIO, sink: BinaryIO, media_type: str) -> StripResult:
    import mutagen
    from mutagen import MutagenError

    source.seek(0, io.SEEK_END)
    if source.tell() > MAX_IN_MEMORY_AUDIO:
        raise UnsupportedMediaError(
            f"audio files over {MAX_IN_MEMORY_AUDIO // (1024 * 1024)} MiB are not stripped"
        )
    source.seek(0)
    buffer = io.BytesIO(source.read())
    try:
        parsed = mutagen.File(buffer)
        if parsed is None:
            raise MediaError(f"the {media_type} file cannot be parsed")
        if media_type == "audio/mpeg":
            from mutagen.apev2 import delete as delete_ape
            from mutagen.id3 import delete as delete_id3

            buffer.seek(0)
            delete_id3(buffer, delete_v1=True, delete_v2=True)
            buffer.seek(0)
            delete_ape(buffer)
            method = "removed ID3v2, ID3v1 and APEv2 tags; audio frames copied unchanged"
        elif media_type == "audio/flac":
            parsed.clear_pictures()
            buffer.seek(0)
            parsed.save(buffer, deleteid3=True)
            buffer.seek(0)
            parsed.delete(buffer)
            method = "removed Vorbis comments, pictures and ID3 tags; audio frames unchanged"
        else:
            buffer.seek(0)
            parsed.delete(buffer)
            method = "removed the Ogg stream's comments; audio packets copied unchanged"
        buffer.seek(0)
        check = mutagen.File(buffer)
    except MutagenError as exc:
        raise MediaError(f"the {media_type} file cannot be rewritten: {exc}") from None
    if check is None or check.tags:
        raise MediaError(f"tags remained in the {media_type} copy; no copy was made")
    if getattr(check, "pictures", None):
        raise MediaError(f"pictures remained in the {media_type} copy; no copy was made")
    sink.write(buffer.getbuffer())
    return StripResult(media_type, method, "mutagen", library_versions()["mutagen"])


def _strip_image(source: BinaryIO, sink: BinaryIO) -> StripResult:
    from PIL import Image, ImageOps

    try:
        with Image.open(source) as im:
            if getattr(im, "n_frames", 1) > 1:
                raise UnsupportedMediaError("multi-frame images are not stripped")
            was_jpeg = im.format == "JPEG"
            upright = ImageOps.exif_transpose(im)
            # A fresh image carries pixels only: no info dict, no EXIF, no ICC profile.
            if was_jpeg:
                mode = upright.mode if upright.mode in {"L", "RGB", "CMYK"} else "RGB"
            else:
                lossless = {"1", "L", "LA", "I;16", "RGB", "RGBA"}
                mode = upright.mode if upright.mode in lossless else "RGBA"
            pixels = upright.convert(mode) if upright.mode != mode else upright
            clean = Image.new(mode, pixels.size)
            clean.paste(pixels)
    except UnsupportedMediaError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"the image cannot be decoded: {exc}") from None
    if was_jpeg:
        clean.save(sink, format="JPEG", quality=95, exif=b"", icc_profile=None)
        method = "decoded and re-encoded as JPEG (quality 95) from pixels only; orientation applied"
        out_type = "image/jpeg"
    else:
        clean.save(sink, format="PNG", exif=b"", icc_profile=None)
        method = "decoded and re-encoded as PNG (lossless) from pixels only; orientation applied"
        out_type = "image/png"
    return StripResult(out_type, method, "Pillow", library_versions()["Pillow"])


def _strip_pdf(source: BinaryIO, sink: BinaryIO) -> StripResult:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError
    from pypdf.generic import NameObject

    try:
        reader = PdfReader(source, strict=False)
        if reader.is_encrypted:
            raise UnsupportedMediaError("encrypted PDFs are not stripped")
        writer = PdfWriter(clone_from=reader)
    except UnsupportedMediaError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise MediaError(f"the PDF cannot be read: {exc}") from None
    writer.metadata = None
    root = writer._root_object
    for key in ("/Metadata", "/PieceInfo"):
        root.pop(NameObject(key), None)
    for page in writer.pages:
        for key in ("/Metadata", "/PieceInfo"):
            page.pop(NameObject(key), None)
        for annotation_ref in page.get("/Annots", None) or []:
            annotation = annotation_ref.get_object()
            if annotation.get("/Subtype") in {"/Widget", "/Link"}:
                continue  # form fields are named by /T; links carry no author
            for key in ("/T", "/M", "/CreationDate", "/NM"):
                annotation.pop(NameObject(key), None)
    writer._ID = None
    # The removed streams are still in the object table; drop every unreferenced object.
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    writer.write(sink)
    method = (
        "removed document information, XMP (document and pages), /PieceInfo, trailer /ID "
        "and markup-annotation authors and dates; page content unchanged"
    )
    return StripResult("application/pdf", method, "pypdf", library_versions()["pypdf"])


def derive_stripped_copy(store: BlobStore, original_sha256: str) -> Derivation:
    """Store a metadata-stripped copy of a stored item as a new item; return its provenance.

    The copy is decrypted, stripped and re-encrypted in memory: no plaintext reaches the disk.
    Memory holds the decoded image (or parsed PDF, or the MP3/Ogg/FLAC file); WAV is streamed.
    """
    info = store.info(original_sha256)
    with store.open(info.sha256) as original, store.writer() as pending:
        result = strip_metadata(original, pending, media_type=info.media_type)  # type: ignore[arg-type]
        item = pending.commit()
    return Derivation(
        item=item,
        original_sha256=info.sha256,
        transformation=TRANSFORMATION,
        method=result.method,
        tool=result.tool,
        tool_version=result.tool_version,
        performed_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )

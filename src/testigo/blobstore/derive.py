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
"""

from __future__ import annotations

import dataclasses
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


def can_strip(media_type: str) -> bool:
    """Whether :func:`strip_metadata` handles this media type."""
    return media_type in _IMAGE_TYPES or media_type == "application/pdf"


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
    raise UnsupportedMediaError(f"metadata cannot be stripped from {media_type} files")


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
    Memory holds the decoded image (or parsed PDF), so very large files need matching memory.
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

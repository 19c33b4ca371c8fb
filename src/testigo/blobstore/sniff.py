"""Media type from a file's first bytes, and whether its name's extension agrees.

The type comes from the content, never from the name or from what a browser declared: a file
named ``photo.jpg`` that starts with ``%PDF-`` is a PDF, and the mismatch is worth recording.
"""

from __future__ import annotations

import mimetypes

#: How many leading bytes :func:`sniff_media_type` looks at.
SNIFF_BYTES = 4096

_OCTET_STREAM = "application/octet-stream"

_SIMPLE: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"%PDF-", "application/pdf"),
    (b"ID3", "audio/mpeg"),
    (b"fLaC", "audio/flac"),
    (b"#!AMR", "audio/amr"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"{\\rtf", "application/rtf"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"\x1f\x8b", "application/gzip"),
)

_FTYP_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heif",
    b"avif": "image/avif",
    b"qt  ": "video/quicktime",
    b"M4A ": "audio/mp4",
    b"M4B ": "audio/mp4",
    b"3gp4": "video/3gpp",
    b"3gp5": "video/3gpp",
    b"3g2a": "video/3gpp2",
}

_OOXML = (
    (b"word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (b"xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)

# Types whose usual extensions the standard library does not know, or knows differently.
_EXTRA_EXTENSIONS = {
    "audio/mp4": {".m4a", ".mp4", ".m4b"},
    "video/mp4": {".mp4", ".m4v"},
    "audio/mpeg": {".mp3"},
    "audio/ogg": {".ogg", ".oga", ".opus"},
    "video/ogg": {".ogv", ".ogg"},
    "audio/wav": {".wav"},
    "audio/flac": {".flac"},
    "audio/amr": {".amr"},
    "image/heic": {".heic"},
    "image/heif": {".heif", ".heic"},
    "image/webp": {".webp"},
    "image/avif": {".avif"},
    "video/webm": {".webm"},
    "video/x-matroska": {".mkv"},
    "video/3gpp": {".3gp"},
    "application/x-ole-storage": {".doc", ".xls", ".ppt", ".msg"},
    "text/plain": {".txt", ".text", ".log", ".csv", ".md"},
}


def sniff_media_type(head: bytes) -> str:
    """Return the media type that the leading bytes of a file reveal.

    >>> sniff_media_type(b"%PDF-1.7 ...")
    'application/pdf'
    """
    for magic, media_type in _SIMPLE:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(
            head[8:12], _OCTET_STREAM
        )
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12], "video/mp4")
    if head.startswith(b"OggS"):
        return "video/ogg" if b"\x80theora" in head[:512] else "audio/ogg"
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "video/webm" if b"webm" in head[:64] else "video/x-matroska"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(head)
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"  # ADTS frame sync
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"
    if b"%PDF-" in head[:1024]:
        return "application/pdf"  # readers accept junk before the header, and so must we
    if head[:2] == b"BM" and len(head) >= 14:
        return "image/bmp"
    return _text_type(head)


def _zip_type(head: bytes) -> str:
    if head[30:38] == b"mimetype":
        end = head.find(b"PK", 38)
        declared = head[38 : end if end > 0 else 38 + 80].decode("ascii", "replace")
        if declared.startswith("application/vnd.oasis.opendocument."):
            return declared
        if declared == "application/epub+zip":
            return declared
    for marker, media_type in _OOXML:
        if marker in head:
            return media_type
    return "application/zip"


def _text_type(head: bytes) -> str:
    if not head or b"\x00" in head:
        return _OCTET_STREAM if head else "application/x-empty"
    try:
        # a multi-byte character may be cut at the end of the sample
        text = head.decode("utf-8") if len(head) < SNIFF_BYTES else head[:-3].decode("utf-8")
    except UnicodeDecodeError:
        return _OCTET_STREAM
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if lowered.startswith("<svg") or ("<svg" in lowered[:1024] and lowered.startswith("<?xml")):
        return "image/svg+xml"
    if lowered.startswith(("<!doctype html", "<html")):
        return "text/html"
    return "text/plain"


def extension_matches(media_type: str, filename: str | None) -> bool | None:
    """Whether ``filename``'s extension is usual for ``media_type``; ``None`` if there is none."""
    if not filename or "." not in filename.rsplit("/", 1)[-1]:
        return None
    extension = "." + filename.rsplit(".", 1)[-1].lower()
    known = set(mimetypes.guess_all_extensions(media_type, strict=False))
    known |= _EXTRA_EXTENSIONS.get(media_type, set())
    if not known:
        return None
    return extension in known

"""Serving decrypted evidence over HTTP: byte ranges, and which types may render in the page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

#: Types a browser renders itself without running anything in our origin. SVG and HTML (which
#: can carry script), and everything not listed, are only ever served as attachments.
INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/avif",
        "application/pdf",
    }
)
_SAFE_FAMILIES = frozenset({"audio", "video"})
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """The Range header asks for bytes the item does not have."""


def renders_inline(media_type: str) -> bool:
    """Whether a preview may be served ``inline`` with its own media type."""
    return media_type in INLINE_TYPES or media_type.split("/", 1)[0] in _SAFE_FAMILIES


def preview_kind(media_type: str) -> str:
    """``image``, ``pdf``, ``audio``, ``video`` or ``""`` (no preview)."""
    if not renders_inline(media_type):
        return ""
    if media_type == "application/pdf":
        return "pdf"
    return media_type.split("/", 1)[0]


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte asked for by a single-range ``Range`` header, or ``None``.

    Multiple ranges and other units are ignored (the whole item is sent), as RFC 9110 allows.

    Raises:
        RangeNotSatisfiable: the range lies outside the item.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        raise RangeNotSatisfiable
    return first, min(last, size - 1)


def open_range(
    stream: BinaryIO, start: int, length: int, block: int = 256 * 1024
) -> Iterator[bytes]:
    """Read the first block of ``length`` bytes from ``start`` now, the rest as it is iterated.

    Reading the first block before the response starts lets a damaged item be refused with a
    clean error rather than a connection cut after the headers. The stream is closed at the end.
    """
    try:
        stream.seek(start)
        first = stream.read(min(block, length))
    except BaseException:
        stream.close()
        raise
    return _rest(stream, first, length - len(first), block)


def _rest(stream: BinaryIO, first: bytes, remaining: int, block: int) -> Iterator[bytes]:
    try:
        if first:
            yield first
        while remaining > 0:
            data = stream.read(min(block, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        stream.close()

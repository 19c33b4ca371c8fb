"""Bytes in, lines of text out: hashing, encoding detection and line splitting, all streaming.

Encodings are told apart without reading the whole file first:

* a byte-order mark names the encoding (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
* otherwise the file is taken as ASCII until the first chunk holding a non-ASCII byte, and that
  chunk decides: valid UTF-8 → UTF-8, else Western European text → Windows-1252 (reported as
  "latin-1" when no byte in 0x80-0x9F shows, where the two differ);
* anything else (NUL bytes, Cyrillic or Asian code pages, binary data) is refused with a message
  that says how to fix the file, because a wrong guess would silently corrupt every name.

A file that starts as valid UTF-8 and later is not fails at the first bad byte, naming it.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterator
from typing import BinaryIO

from testigo.tabular.errors import EncodingError, MalformedFileError

__all__ = ["ByteSource", "TextStream", "split_lines"]

CHUNK = 1 << 20
NUL = b"\0"
MAX_LINE = 64 << 20  # a "line" this long means the file is not line-based text

_BOMS = (  # UTF-32 first: its LE mark starts with the UTF-16 LE mark
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_FIX = "Save it as “CSV UTF-8” (or XLSX) and try again, or name its encoding explicitly."
# Non-ASCII characters that Spanish, Portuguese, English (and French) text in Latin-1 or
# Windows-1252 plausibly holds. Letters such as "Ž", "‡" or "œ" are what Mac Roman or other
# code pages look like when misread as Windows-1252, so they count against the guess.
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ"
    "¡¿«»°ºª·´¨‘’“”–—…€•©®§¶£¢¥½¼¾¹²³µ×÷\u00a0\u00ad"
)


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


class ByteSource:
    """A binary stream read once, front to back, hashing and counting every byte it hands out."""

    def __init__(self, stream: BinaryIO, *, total: int | None = None) -> None:
        self._stream = stream
        self._sha256 = hashlib.sha256()
        self._pushback = b""
        self.bytes_read = 0
        self.total = total
        self.eof = False

    def read(self, size: int = CHUNK) -> bytes:
        """Up to `size` bytes (more if bytes were peeked); b"" at the end."""
        if self._pushback:
            data, self._pushback = self._pushback, b""
            return data
        if self.eof:
            return b""
        data = self._stream.read(size)
        if not data:
            self.eof = True
            return b""
        self._sha256.update(data)
        self.bytes_read += len(data)
        return data

    def peek(self, size: int) -> bytes:
        """The next `size` bytes (fewer at the end), left in place for `read`."""
        while len(self._pushback) < size and not self.eof:
            data = self._stream.read(max(size - len(self._pushback), CHUNK))
            if not data:
                self.eof = True
                break
            self._sha256.update(data)
            self.bytes_read += len(data)
            self._pushback += data
        return self._pushback[:size]

    def skip(self, size: int) -> None:
        """Drop the next `size` bytes (they stay in the hash)."""
        self.peek(size)
        self._pushback = self._pushback[size:]

    def sha256(self) -> str:
        """Hex SHA-256 of the whole stream; reads (without parsing) whatever is left."""
        while not self.eof:
            self._pushback = b""
            self.read()
        self._pushback = b""
        return self._sha256.hexdigest()


def _lookup(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise EncodingError(f"unknown text encoding {encoding!r}") from None


def _plausibly_western(text: str) -> bool:
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True
    expected = sum(ch in _WESTERN for ch in non_ascii)
    letters = sum(ch.isalpha() for ch in text)
    foreign_letters = sum(ch.isalpha() for ch in non_ascii)
    return expected >= 0.9 * len(non_ascii) and foreign_letters <= 0.4 * max(letters, 1)


class TextStream:
    """Decoded text chunks of a `ByteSource`; `encoding` says which encoding was used."""

    def __init__(self, source: ByteSource, *, name: str, encoding: str | None = None) -> None:
        self._source = source
        self._name = name
        self._decoder: codecs.IncrementalDecoder | None = None
        self.encoding = "utf-8"  # until a non-ASCII byte says otherwise
        self._offset = 0
        head = source.peek(4)
        if encoding is not None:
            codec = _lookup(encoding)
            self.encoding = codec
            for bom, bom_codec in _BOMS:
                if head.startswith(bom) and _lookup(bom_codec).replace("-sig", "") == codec:
                    self._skip(len(bom))
                    break
            self._decoder = codecs.getincrementaldecoder(codec)("strict")
            return
        for bom, codec in _BOMS:
            if head.startswith(bom):
                self.encoding = codec
                self._skip(len(bom))
                self._decoder = codecs.getincrementaldecoder(codec.replace("-sig", ""))("strict")
                return

    def _skip(self, size: int) -> None:
        self._source.skip(size)
        self._offset += size

    def _where(self, position: int) -> str:
        return f"{self._name}: byte {position:,}"

    def _decide(self, data: bytes) -> None:
        """Choose the encoding from the first chunk that holds a non-ASCII byte."""
        try:
            codecs.getincrementaldecoder("utf-8")("strict").decode(data, False)
        except UnicodeDecodeError:
            pass
        else:
            self.encoding = "utf-8"
            self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
            return
        good = sum(len(m) for m in _UTF8_SEQUENCE.findall(data))
        bad = sum(1 for byte in data if byte > 127) - good
        if good > bad:  # mostly UTF-8 with a few stray bytes: say where, rather than guess
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise EncodingError(
                    f"{self._where(self._offset + exc.start)} (0x{data[exc.start]:02X}) is not "
                    f"valid utf-8, though the text around it is: the file mixes encodings or is "
                    f"damaged. {_FIX}"
                ) from None
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"{self._where(self._offset + exc.start)} (0x{data[exc.start]:02X}) is neither "
                f"UTF-8 nor Latin-1/Windows-1252 text; the file's encoding is unknown. {_FIX}"
            ) from None
        if not _plausibly_western(text):
            raise EncodingError(
                f"{self._name}: the text is neither UTF-8 nor Western European "
                f"(Latin-1/Windows-1252); the file's encoding is unknown. {_FIX}"
            )
        self.encoding = "windows-1252" if re.search(rb"[\x80-\x9f]", data) else "latin-1"
        self._decoder = codecs.getincrementaldecoder("cp1252")("strict")

    def chunks(self) -> Iterator[str]:
        """Decoded text, chunk by chunk."""
        while True:
            data = self._source.read()
            final = not data
            wide = self.encoding.startswith(("utf-16", "utf-32"))
            if not wide and NUL in data:
                raise EncodingError(
                    f"{self._where(self._offset + data.index(NUL))} is a NUL byte: this is a "
                    f"binary file, or UTF-16/UTF-32 text without a byte-order mark. {_FIX}"
                )
            if self._decoder is None:
                if final:
                    return
                if data.isascii():
                    self._offset += len(data)
                    yield data.decode("ascii")
                    continue
                self._decide(data)
            assert self._decoder is not None
            try:
                text = self._decoder.decode(data, final)
            except UnicodeDecodeError as exc:
                bad = data[exc.start : exc.start + 1].hex().upper() or "end of file"
                raise EncodingError(
                    f"{self._where(self._offset + exc.start)} (0x{bad}) is not valid "
                    f"{self.encoding}: the file mixes encodings or is damaged. {_FIX}"
                ) from None
            self._offset += len(data)
            if text:
                yield text
            if final:
                return


def split_lines(chunks: Iterator[str], *, name: str) -> Iterator[str]:
    """Lines with their line ends kept (as the csv module needs), for \\n, \\r\\n or \\r files.

    Only these three end a line: the other separators `str.splitlines` knows (\\x0b, \\x1c,
    \\u2028, ...) can sit inside a cell.
    """
    pending = ""
    sep: str | None = None
    for chunk in chunks:
        text = pending + chunk
        if sep is None:
            if "\r\n" in text or ("\n" in text and text.count("\n") >= text.count("\r")):
                sep = "\n"
            elif "\r" in text[:-1]:
                sep = "\r"  # classic Mac line ends (a "\n" may sit inside a quoted cell)
            else:
                pending = text
                if len(pending) > MAX_LINE:
                    raise MalformedFileError(f"{name}: no line break in the first 64 MiB")
                continue
        parts = text.split(sep)
        pending = parts.pop()
        if len(pending) > MAX_LINE:
            raise MalformedFileError(f"{name}: a line is longer than 64 MiB")
        for part in parts:
            yield part + sep
    if pending:
        yield pending

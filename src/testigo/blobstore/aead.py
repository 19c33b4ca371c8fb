"""Streaming authenticated encryption in fixed-size chunks (AES-256-GCM).

A blob is a 20-byte header followed by chunks::

    header  = "TGOB" | version (1) | algorithm (1) | reserved (2) | chunk size (4) | prefix (8)
    chunk i = AES-256-GCM(data key, nonce = prefix | i as 4 bytes, aad = header | final flag)

Every chunk but the last holds exactly ``chunk size`` bytes of plaintext; the last holds fewer
(possibly none), so a stream whose length is a multiple of the chunk size ends with an empty final
chunk. The counter in the nonce catches reordered or dropped chunks, the final flag in the
associated data catches a stream cut at a chunk boundary, and the header in the associated data
binds the chunk size. Because every chunk has a fixed place, a reader can seek: chunk ``i`` starts
at ``20 + i * (chunk size + 16)``.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from testigo.blobstore.errors import HashMismatchError, TamperedError

MAGIC = b"TGOB"
FORMAT_VERSION = 1
ALGORITHM_AES_256_GCM = 1
HEADER = struct.Struct(">4sBBHI8s")
HEADER_SIZE = HEADER.size
TAG_SIZE = 16
KEY_SIZE = 32
DEFAULT_CHUNK_SIZE = 1 << 20
MIN_CHUNK_SIZE = 1 << 12
MAX_CHUNK_SIZE = 1 << 24
_MAX_CHUNKS = 1 << 32


def make_header(chunk_size: int, nonce_prefix: bytes) -> bytes:
    """Return the header of a new blob."""
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size {chunk_size} is outside {MIN_CHUNK_SIZE}..{MAX_CHUNK_SIZE}")
    return HEADER.pack(MAGIC, FORMAT_VERSION, ALGORITHM_AES_256_GCM, 0, chunk_size, nonce_prefix)


def parse_header(header: bytes) -> tuple[int, bytes]:
    """Return ``(chunk_size, nonce_prefix)`` of a blob header, refusing anything unknown."""
    if len(header) != HEADER_SIZE:
        raise TamperedError("the blob is shorter than its header")
    magic, version, algorithm, reserved, chunk_size, prefix = HEADER.unpack(header)
    if magic != MAGIC or version != FORMAT_VERSION or algorithm != ALGORITHM_AES_256_GCM:
        raise TamperedError("the blob header is not a Testigo blob header")
    if reserved != 0 or not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise TamperedError("the blob header holds an impossible chunk size")
    return chunk_size, prefix


def layout(blob_size: int, chunk_size: int) -> tuple[int, int]:
    """Return ``(number of chunks, plaintext size)`` of a blob of ``blob_size`` bytes.

    Raises:
        TamperedError: the size cannot be that of a complete blob (it was cut short).
    """
    body = blob_size - HEADER_SIZE
    stride = chunk_size + TAG_SIZE
    full, last = divmod(body, stride)
    if body < TAG_SIZE or last < TAG_SIZE:
        raise TamperedError("the blob is truncated (its final chunk is missing)")
    return full + 1, full * chunk_size + (last - TAG_SIZE)


class ChunkSealer:
    """Encrypts one blob, chunk by chunk, under a fresh nonce prefix."""

    def __init__(self, data_key: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        self._aead = AESGCM(data_key)
        self._prefix = os.urandom(8)
        self.chunk_size = chunk_size
        self.header = make_header(chunk_size, self._prefix)
        self._aad = (self.header + b"\x00", self.header + b"\x01")
        self._index = 0
        self._finished = False

    def seal(self, plaintext: bytes | bytearray | memoryview, *, final: bool) -> bytes:
        """Encrypt the next chunk; a non-final chunk must be exactly ``chunk_size`` long."""
        if self._finished:
            raise RuntimeError("the final chunk has already been sealed")
        if final:
            if len(plaintext) >= self.chunk_size:
                raise ValueError("a final chunk must be shorter than the chunk size")
            self._finished = True
        elif len(plaintext) != self.chunk_size:
            raise ValueError("a non-final chunk must be exactly the chunk size")
        if self._index >= _MAX_CHUNKS:
            raise ValueError("the blob has too many chunks")
        nonce = self._prefix + self._index.to_bytes(4, "big")
        self._index += 1
        return self._aead.encrypt(nonce, plaintext, self._aad[final])


class ChunkOpener:
    """Decrypts the chunks of one blob, given its header."""

    def __init__(self, data_key: bytes, header: bytes) -> None:
        self.chunk_size, self._prefix = parse_header(header)
        self._aead = AESGCM(data_key)
        self._aad = (header + b"\x00", header + b"\x01")

    def open(self, index: int, ciphertext: bytes, *, final: bool) -> bytes:
        """Return chunk ``index`` decrypted, or raise :class:`TamperedError`."""
        nonce = self._prefix + index.to_bytes(4, "big")
        try:
            return self._aead.decrypt(nonce, ciphertext, self._aad[final])
        except InvalidTag:
            raise TamperedError(f"chunk {index} fails authentication") from None


class RandomAccessSource(Protocol):
    """Ciphertext a reader can fetch by offset (a local file or an S3 object)."""

    size: int

    def read_at(self, offset: int, length: int) -> bytes:
        """Return up to ``length`` bytes starting at ``offset``."""
        ...

    def close(self) -> None:
        """Release the underlying file or connection."""
        ...


class DecryptingReader(io.RawIOBase):
    """A seekable, read-only file of a blob's plaintext, decrypted one chunk at a time.

    Memory holds one chunk. When the blob is read from start to end in order, its SHA-256 and
    SHA-512 are recomputed and compared with ``expected`` at the end of the stream, where a
    difference raises :class:`HashMismatchError`; every chunk is authenticated whatever the
    order of reads.
    """

    def __init__(
        self,
        source: RandomAccessSource,
        data_key: bytes,
        *,
        expected: tuple[str, str] | None = None,
    ) -> None:
        super().__init__()
        self._source = source
        self._opener = ChunkOpener(data_key, source.read_at(0, HEADER_SIZE))
        self._stride = self._opener.chunk_size + TAG_SIZE
        self._chunks, self.plaintext_size = layout(source.size, self._opener.chunk_size)
        self._pos = 0
        self._cached_index = -1
        self._cached = b""
        self._expected = expected
        self._hashers = (hashlib.sha256(), hashlib.sha512()) if expected else None
        self._next_to_hash = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self.plaintext_size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise ValueError("negative seek position")
        self._pos = target
        return target

    def _chunk(self, index: int) -> bytes:
        if index != self._cached_index:
            start = HEADER_SIZE + index * self._stride
            ciphertext = self._source.read_at(start, self._stride)
            final = index == self._chunks - 1
            expected_len = self._stride if not final else self._source.size - start
            if len(ciphertext) != expected_len:
                raise TamperedError(f"chunk {index} could not be read in full")
            self._cached = self._opener.open(index, ciphertext, final=final)
            self._cached_index = index
            self._hash(index, self._cached)
        return self._cached

    def _hash(self, index: int, plaintext: bytes) -> None:
        if self._hashers is None or index < self._next_to_hash:
            return  # not hashing, or a chunk read again after the cache moved on
        if index > self._next_to_hash:
            self._hashers = None  # a chunk was skipped: the content is no longer hashed in order
            return
        for hasher in self._hashers:
            hasher.update(plaintext)
        self._next_to_hash += 1
        if self._next_to_hash == self._chunks and self._expected is not None:
            got = (self._hashers[0].hexdigest(), self._hashers[1].hexdigest())
            self._hashers = None
            if got != self._expected:
                raise HashMismatchError("the decrypted content does not match its recorded hashes")

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._pos >= self.plaintext_size:
            # an empty blob is one empty final chunk; opening it authenticates and hashes it
            if self.plaintext_size == 0 and self._cached_index < 0:
                self._chunk(0)
            return 0
        index, within = divmod(self._pos, self._opener.chunk_size)
        chunk = self._chunk(index)
        count = min(len(buffer), len(chunk) - within)
        memoryview(buffer)[:count] = memoryview(chunk)[within : within + count]
        self._pos += count
        if self._pos == self.plaintext_size and index != self._chunks - 1:
            self._chunk(self._chunks - 1)  # the empty final chunk still has to authenticate
        return count

    def close(self) -> None:
        if not self.closed:
            self._source.close()
            self._cached = b""
        super().close()

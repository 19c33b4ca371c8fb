"""Small sensitive values kept outside the store (a file's original name, who handed it over,
GPS positions in its metadata), sealed so that a seized database reveals nothing.

The key is derived (HKDF-SHA256) from the store's locator key, which ``store.json`` keeps sealed
under the master key: no new secret to keep, the same master key unlocks both, and a master-key
rotation (which re-seals ``store.json`` with the same locator key) leaves every sealed value
readable without rewriting a row.

A sealed value is text, ``tg1:<base64url(nonce ‖ AES-256-GCM ciphertext)>``. The associated data
names the field it belongs to, so a value moved to another column no longer opens. Two seals of
the same value differ (random nonce); :meth:`RecordCipher.fingerprint` gives a keyed digest for
telling whether a value changed without revealing it (audit snapshots).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from testigo.blobstore.errors import TamperedError

PREFIX = "tg1:"
_SEAL_INFO = b"testigo/blobstore/v1/record-fields/seal"
_DIGEST_INFO = b"testigo/blobstore/v1/record-fields/digest"
_NONCE = 12


def is_sealed(value: object) -> bool:
    """Whether ``value`` looks like the output of :meth:`RecordCipher.seal`."""
    return isinstance(value, str) and value.startswith(PREFIX)


class RecordCipher:
    """Seals and opens short text values with a key derived from ``secret`` (32 bytes).

    Example:
        >>> cipher = RecordCipher(bytes(32))
        >>> token = cipher.seal("foto-marcha.jpg", context="evidence.original_name")
        >>> cipher.open(token, context="evidence.original_name")
        'foto-marcha.jpg'
    """

    __slots__ = ("_aead", "_digest_key")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise ValueError("a record key is derived from exactly 32 bytes")
        seal_key = HKDF(hashes.SHA256(), 32, salt=None, info=_SEAL_INFO).derive(secret)
        self._digest_key = HKDF(hashes.SHA256(), 32, salt=None, info=_DIGEST_INFO).derive(secret)
        self._aead = AESGCM(seal_key)

    def __repr__(self) -> str:
        return "RecordCipher()"

    def seal(self, value: str, *, context: str) -> str:
        """Encrypt ``value`` for the field named ``context``."""
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), context.encode("utf-8"))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str, *, context: str) -> str:
        """Decrypt what :meth:`seal` produced for the same ``context``.

        Raises:
            TamperedError: the value was altered, is malformed, or belongs to another field.
        """
        if not is_sealed(token):
            raise TamperedError(f"a sealed value of {context} is malformed")
        try:
            raw = base64.urlsafe_b64decode(token[len(PREFIX) :].encode("ascii"))
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode("utf-8"))
        except (InvalidTag, ValueError, UnicodeError):
            raise TamperedError(f"a sealed value of {context} was altered or moved") from None
        return plain.decode("utf-8")

    def fingerprint(self, value: str, *, context: str) -> str:
        """A keyed digest of ``value``: equal values match, nothing is revealed without the key."""
        message = context.encode("utf-8") + b"\0" + value.encode("utf-8")
        return hmac.new(self._digest_key, message, hashlib.sha256).hexdigest()[:24]

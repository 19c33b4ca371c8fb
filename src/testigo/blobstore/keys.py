"""Master keys: creation, the passphrase-protected key file, recovery copies, loading.

The master key (32 random bytes) never encrypts evidence itself. It wraps the per-item data keys
and the store's locator key (see :mod:`testigo.blobstore.store`), through a subkey derived with
HKDF so the raw secret is used for nothing else. It reaches a running process in one of two ways:

* a **key file** holding the master key encrypted (AES-256-GCM) under a key derived from a
  passphrase with Argon2id (scrypt where the OpenSSL build lacks Argon2id); the file may sit in
  the data directory because it is useless without the passphrase, which must not;
* the **recovery text** (``TGK1-…``, see :func:`recovery_phrase`) given directly, e.g. from an
  environment variable or a file on separate media; :func:`load_master_key` refuses such a file
  inside the data directory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from testigo.blobstore._fsutil import write_file_atomic
from testigo.blobstore.errors import (
    ConfigurationError,
    KeyfileError,
    RecoveryPhraseError,
    WeakPassphraseError,
    WrongKeyError,
)

KEY_SIZE = 32
MIN_PASSPHRASE_LENGTH = 12
KEYFILE_FORMAT = "testigo-master-key"
RECOVERY_PREFIX = "TGK1"
_KEY_ID_INFO = b"testigo/blobstore/v1/key-id"
_WRAP_INFO = b"testigo/blobstore/v1/wrap"
_CHECKSUM_INFO = b"testigo/blobstore/v1/recovery-checksum"
# Crockford's base32: no I, L, O or U, so a phrase read aloud or copied by hand survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {c: i for i, c in enumerate(_ALPHABET)} | {"O": 0, "I": 1, "L": 1}


class MasterKey:
    """A 256-bit master key. Its ``key_id`` names it without revealing anything about it."""

    __slots__ = ("_secret", "_wrap", "key_id")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_SIZE:
            raise ValueError("a master key is exactly 32 bytes")
        self._secret = bytes(secret)
        self.key_id = hmac.new(self._secret, _KEY_ID_INFO, hashlib.sha256).hexdigest()[:16]
        wrap_key = HKDF(hashes.SHA256(), KEY_SIZE, salt=None, info=_WRAP_INFO).derive(secret)
        self._wrap = AESGCM(wrap_key)

    @classmethod
    def generate(cls) -> MasterKey:
        """Return a new random master key."""
        return cls(os.urandom(KEY_SIZE))

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MasterKey) and hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.key_id)

    def seal(self, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
        """Encrypt a small secret (a data key and its record); return ``(nonce, ciphertext)``."""
        nonce = os.urandom(12)
        return nonce, self._wrap.encrypt(nonce, plaintext, aad)

    def unseal(self, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        """Decrypt what :meth:`seal` produced; raise :class:`InvalidTag` if it was altered."""
        return self._wrap.decrypt(nonce, ciphertext, aad)

    def secret_bytes(self) -> bytes:
        """The raw key, for recovery copies only."""
        return self._secret


class Keyring:
    """The current master key, plus earlier ones still able to open items during a rotation."""

    def __init__(self, current: MasterKey, previous: Iterable[MasterKey] = ()) -> None:
        self.current = current
        self._by_id = {key.key_id: key for key in previous}
        self._by_id[current.key_id] = current

    def get(self, key_id: str) -> MasterKey:
        """Return the master key named ``key_id``."""
        try:
            return self._by_id[key_id]
        except KeyError:
            raise WrongKeyError(f"no loaded master key has id {key_id!r}") from None

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._by_id)


@dataclass(frozen=True)
class KdfParams:
    """How a key file derives its wrapping key from the passphrase.

    The default (Argon2id, 256 MiB, 3 passes, 4 lanes) takes well under a second here and makes
    each guess at a stolen key file cost the same.
    """

    name: str = "argon2id"
    iterations: int = 3
    memory_kib: int = 256 * 1024
    lanes: int = 4
    scrypt_log2_n: int = 17
    scrypt_r: int = 8

    @classmethod
    def fast_for_tests(cls) -> KdfParams:
        """Weak parameters that keep test suites quick. Never use them for a real key."""
        return cls(iterations=1, memory_kib=8 * 1024, lanes=1, scrypt_log2_n=12)

    def check(self) -> None:
        """Refuse parameters a hostile or damaged key file could use to exhaust memory."""
        if self.name not in {"argon2id", "scrypt"}:
            raise KeyfileError(f"unknown key derivation function {self.name!r}")
        numbers = (self.iterations, self.memory_kib, self.lanes, self.scrypt_log2_n, self.scrypt_r)
        if not all(type(n) is int for n in numbers):
            raise KeyfileError("key derivation parameters must be whole numbers")
        if not (1 <= self.iterations <= 64 and 1 <= self.lanes <= 64):
            raise KeyfileError("key derivation parameters are out of range")
        if not (1024 <= self.memory_kib <= 4 * 1024 * 1024 and 10 <= self.scrypt_log2_n <= 22):
            raise KeyfileError("key derivation memory is out of range")
        if not 1 <= self.scrypt_r <= 32:
            raise KeyfileError("key derivation parameters are out of range")

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        """Return the 32-byte key that wraps the master key."""
        secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        if self.name == "argon2id":
            kdf: Argon2id | Scrypt = Argon2id(
                salt=salt,
                length=KEY_SIZE,
                iterations=self.iterations,
                lanes=self.lanes,
                memory_cost=self.memory_kib,
            )
        else:
            kdf = Scrypt(salt=salt, length=KEY_SIZE, n=2**self.scrypt_log2_n, r=self.scrypt_r, p=1)
        return kdf.derive(secret)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise KeyfileError("the key file is malformed")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise KeyfileError("the key file is malformed") from None


def _keyfile_aad(record: dict[str, Any]) -> bytes:
    covered = {k: v for k, v in record.items() if k not in {"nonce", "ciphertext"}}
    return json.dumps(covered, sort_keys=True, separators=(",", ":")).encode("utf-8")


def keyfile_create(
    path: Path,
    master: MasterKey,
    passphrase: str,
    *,
    kdf: KdfParams | None = None,
    overwrite: bool = False,
) -> None:
    """Write ``master`` to ``path`` (mode 0600) encrypted under ``passphrase``.

    Raises:
        WeakPassphraseError: the passphrase is shorter than 12 characters.
        KeyfileError: ``path`` exists and ``overwrite`` is false.
    """
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise WeakPassphraseError(
            f"the passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters"
        )
    params = kdf or KdfParams()
    salt = os.urandom(16)
    try:
        wrapping_key = params.derive(passphrase, salt)
    except UnsupportedAlgorithm:
        # OpenSSL builds before 3.2 lack Argon2id; scrypt is the memory-hard fallback.
        params = KdfParams(name="scrypt", scrypt_log2_n=params.scrypt_log2_n)
        wrapping_key = params.derive(passphrase, salt)
    record: dict[str, Any] = {
        "format": KEYFILE_FORMAT,
        "version": 1,
        "key_id": master.key_id,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kdf": asdict(params) | {"salt": _b64(salt)},
        "cipher": "AES-256-GCM",
    }
    nonce = os.urandom(12)
    ciphertext = AESGCM(wrapping_key).encrypt(nonce, master.secret_bytes(), _keyfile_aad(record))
    record |= {"nonce": _b64(nonce), "ciphertext": _b64(ciphertext)}
    data = (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        write_file_atomic(path, data, overwrite=overwrite)
    except FileExistsError:
        raise KeyfileError(f"a key file already exists at {path}") from None


def keyfile_key_id(path: Path) -> str:
    """Return the id of the master key in a key file, without the passphrase."""
    return str(_read_keyfile(path)["key_id"])


def _read_keyfile(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise KeyfileError(f"no key file at {path}") from None
    except (OSError, ValueError) as exc:
        raise KeyfileError(f"the key file {path} cannot be read: {exc}") from None
    if not isinstance(record, dict) or record.get("format") != KEYFILE_FORMAT:
        raise KeyfileError(f"{path} is not a Testigo master key file")
    if record.get("version") != 1 or record.get("cipher") != "AES-256-GCM":
        raise KeyfileError(f"{path} has an unsupported key file version")
    return record


def keyfile_open(path: Path, passphrase: str) -> MasterKey:
    """Return the master key in the key file at ``path``.

    Raises:
        KeyfileError: no key file there, or it is malformed.
        WrongKeyError: the passphrase is wrong or the file was altered.
    """
    record = _read_keyfile(path)
    kdf_fields = dict(record.get("kdf") or {})
    salt = _unb64(kdf_fields.pop("salt", None))
    try:
        params = KdfParams(**kdf_fields)
    except TypeError:
        raise KeyfileError(f"{path} holds unknown key derivation parameters") from None
    params.check()
    wrapping_key = params.derive(passphrase, salt)
    try:
        secret = AESGCM(wrapping_key).decrypt(
            _unb64(record.get("nonce")), _unb64(record.get("ciphertext")), _keyfile_aad(record)
        )
    except InvalidTag:
        raise WrongKeyError(f"wrong passphrase for {path}, or the key file was altered") from None
    master = MasterKey(secret)
    if master.key_id != record["key_id"]:
        raise KeyfileError(f"{path} names a different key than it holds")
    return master


def keyfile_change_passphrase(
    path: Path, old: str, new: str, *, kdf: KdfParams | None = None
) -> None:
    """Re-encrypt the key file at ``path`` under a new passphrase."""
    keyfile_create(path, keyfile_open(path, old), new, kdf=kdf, overwrite=True)


def _checksum(secret: bytes) -> bytes:
    return hashlib.sha256(_CHECKSUM_INFO + secret).digest()[:2]


def recovery_phrase(master: MasterKey) -> str:
    """Return the master key as printable text: ``TGK1-`` and eleven groups of five characters.

    The text is Crockford base32 of the key and a 16-bit checksum, so a mistyped character is
    caught on entry. Whoever holds it can decrypt every item: print it, store it offline.
    """
    data = master.secret_bytes() + _checksum(master.secret_bytes())
    value = int.from_bytes(data, "big") << 3  # 272 bits padded to 275 = 55 characters
    chars = [_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(55))]
    groups = ["".join(chars[i : i + 5]) for i in range(0, 55, 5)]
    return "-".join([RECOVERY_PREFIX, *groups])


def master_key_from_recovery(text: str) -> MasterKey:
    """Read a master key from its recovery phrase, or from a recovery file's text.

    Case, spaces, hyphens and lines starting with ``#`` are ignored; ``O``, ``I`` and ``L`` are
    read as ``0``, ``1`` and ``1``.

    Raises:
        RecoveryPhraseError: the text is malformed or its checksum does not match.
    """
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    compact = "".join("".join(lines).split()).replace("-", "").upper()
    compact = compact.translate(str.maketrans("OIL", "011"))
    if compact.startswith(RECOVERY_PREFIX):
        compact = compact[len(RECOVERY_PREFIX) :]
    if len(compact) != 55:
        raise RecoveryPhraseError("a recovery phrase has 55 characters after its TGK1 prefix")
    value = 0
    for char in compact:
        if char not in _DECODE:
            raise RecoveryPhraseError(f"{char!r} cannot appear in a recovery phrase")
        value = (value << 5) | _DECODE[char]
    if value & 0b111:
        raise RecoveryPhraseError("the recovery phrase is malformed")
    data = (value >> 3).to_bytes(KEY_SIZE + 2, "big")
    secret, checksum = data[:KEY_SIZE], data[KEY_SIZE:]
    if not hmac.compare_digest(checksum, _checksum(secret)):
        raise RecoveryPhraseError("the recovery phrase has a typing error (checksum mismatch)")
    return MasterKey(secret)


def recovery_file_write(path: Path, master: MasterKey) -> None:
    """Write a recovery copy of ``master`` to a new file (mode 0600) with instructions."""
    text = (
        "# Testigo evidence master key: recovery copy\n"
        f"# Key id: {master.key_id}\n"
        f"# Written: {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        "# Whoever holds this file can decrypt every evidence item. Keep it offline, on\n"
        "# separate media, never in the data directory. The last line is the recovery phrase.\n"
        f"{recovery_phrase(master)}\n"
    )
    try:
        write_file_atomic(path, text.encode("ascii"), overwrite=False)
    except FileExistsError:
        raise KeyfileError(f"a file already exists at {path}") from None


def _is_within(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


def load_master_key(
    *,
    key_text: str | None = None,
    key_path: Path | None = None,
    keyfile: Path | None = None,
    passphrase: str | None = None,
    forbidden_dirs: Sequence[Path] = (),
) -> MasterKey:
    """Return the master key from the first source given, in this order of precedence.

    Args:
        key_text: recovery text, e.g. from an environment variable.
        key_path: a file holding recovery text; refused inside any of ``forbidden_dirs``
            (pass the data directory), since a raw key beside the data protects nothing.
        keyfile: a passphrase-protected key file, opened with ``passphrase``.
        passphrase: the key file's passphrase.
        forbidden_dirs: directories a raw key must not live in.

    Raises:
        ConfigurationError: no source given, or a raw key file inside a forbidden directory.
    """
    if key_text:
        return master_key_from_recovery(key_text)
    if key_path is not None:
        for directory in forbidden_dirs:
            if _is_within(key_path, directory):
                raise ConfigurationError(
                    f"the raw master key file {key_path} is inside {directory}; keep it on "
                    "separate media, or use a passphrase-protected key file"
                )
        try:
            return master_key_from_recovery(key_path.read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"the master key file {key_path} cannot be read: {exc}"
            ) from None
    if keyfile is not None:
        if passphrase is None:
            raise ConfigurationError(f"the key file {keyfile} needs its passphrase")
        return keyfile_open(keyfile, passphrase)
    raise ConfigurationError("no master key configured (a key file, or a raw key)")

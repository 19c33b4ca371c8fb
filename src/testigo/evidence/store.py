"""Where the evidence store lives and how its master key is unlocked, read from the environment.

The engine (:mod:`testigo.blobstore`) knows nothing of Django; this module turns environment
variables and ``settings.DATA_DIR`` into an open :class:`~testigo.blobstore.BlobStore`, once per
process (the key file's Argon2id costs about half a second on purpose).

Variables (each ``…_FILE`` form reads the value from a file; see ``testigo.config.env``):

========================================  ==========================================================
``TESTIGO_EVIDENCE_BACKEND``               ``local`` (default) or ``s3``
``TESTIGO_EVIDENCE_ROOT``                  the local store (default ``<data dir>/evidence``)
``TESTIGO_EVIDENCE_S3_BUCKET``             bucket; also ``…_S3_PREFIX`` (``evidence/``),
                                           ``…_S3_ENDPOINT_URL`` (MinIO etc.), ``…_S3_REGION``,
                                           ``…_S3_ACCESS_KEY_ID``, ``…_S3_SECRET_ACCESS_KEY``
                                           (or boto3's usual environment and files)
``TESTIGO_EVIDENCE_PASSPHRASE``            passphrase of ``<data dir>/evidence-master.key``
``TESTIGO_EVIDENCE_KEY_FILE``              instead: a raw key (recovery file) on separate media;
                                           refused inside the data directory
``TESTIGO_EVIDENCE_AUTO_INIT``             ``true`` (default): first use sets up demo keys
========================================  ==========================================================

**Key modes** (decision record 0005):

* *Key file + passphrase* (default). The master key sits in ``<data dir>/evidence-master.key``,
  encrypted under a passphrase (Argon2id). The passphrase comes from
  ``TESTIGO_EVIDENCE_PASSPHRASE`` or, better, ``TESTIGO_EVIDENCE_PASSPHRASE_FILE`` pointing at
  separate media or a secrets mount. A passphrase file inside the data directory is refused.
* *Raw key*: ``TESTIGO_EVIDENCE_KEY_FILE`` names a recovery file outside the data directory.

**The demo default.** With nothing configured, ``testigo evidence keys init`` (or the first use
of the store, unless ``TESTIGO_EVIDENCE_AUTO_INIT=false``) generates a master key and a random
passphrase, prints the passphrase once and keeps it in a 0600 file *outside* the data directory:
``$XDG_CONFIG_HOME/testigo/evidence-passphrase-<data dir digest>`` (``~/.config/testigo/…``). A
copied or backed-up data directory then opens nothing without that file, but a seized disk that
holds both does: for real use, move the passphrase to separate media and point
``TESTIGO_EVIDENCE_PASSPHRASE_FILE`` at it (``testigo check --deploy`` warns until then).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from testigo.blobstore import (
    BlobStore,
    ConfigurationError,
    KdfParams,
    KeyringError,
    MasterKey,
    StoreSettings,
    initialise_store,
    keyfile_create,
    keyfile_key_id,
    keyfile_open,
    load_master_key,
    open_store,
    recovery_file_write,
)
from testigo.config.env import env_bool, env_str

logger = logging.getLogger(__name__)

KEYFILE_NAME = "evidence-master.key"
_PASSPHRASE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # noqa: S105  (Crockford base32)

#: Key derivation for new key files; ``None`` is the engine's strong default. Tests set it to
#: ``KdfParams.fast_for_tests()``; nothing else should.
KEYFILE_KDF: KdfParams | None = None


class KeyNotInitialisedError(ConfigurationError):
    """No master key is available for the evidence store."""


@dataclass(frozen=True)
class EvidenceConfig:
    """The evidence store's configuration as read from the environment at one moment."""

    data_dir: Path
    store: StoreSettings
    keyfile: Path
    raw_key_file: Path | None
    passphrase: str | None = field(repr=False)
    passphrase_origin: str
    demo_passphrase_file: Path
    auto_init: bool

    @property
    def mode(self) -> str:
        """``raw-key`` or ``keyfile``."""
        return "raw-key" if self.raw_key_file is not None else "keyfile"

    @property
    def uses_demo_passphrase(self) -> bool:
        return self.passphrase_origin.startswith("demo")

    def describe_store(self) -> str:
        if self.store.backend == "s3":
            return f"s3://{self.store.s3_bucket}/{self.store.s3_prefix}"
        return str(self.store.root)


def _within(path: Path, directory: Path) -> bool:
    return path.resolve().is_relative_to(directory.resolve())


def demo_passphrase_path(data_dir: Path) -> Path:
    """Where the demo passphrase of ``data_dir`` is kept: the user's config directory."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return Path(base).expanduser() / "testigo" / f"evidence-passphrase-{digest}"


def _store_settings(data_dir: Path) -> StoreSettings:
    backend = env_str("TESTIGO_EVIDENCE_BACKEND", "local") or "local"
    if backend not in {"local", "s3"}:
        raise ConfigurationError(f"TESTIGO_EVIDENCE_BACKEND={backend!r}: use local or s3")
    if backend == "s3":
        bucket = env_str("TESTIGO_EVIDENCE_S3_BUCKET")
        if not bucket:
            raise ConfigurationError("TESTIGO_EVIDENCE_BACKEND=s3 needs TESTIGO_EVIDENCE_S3_BUCKET")
        return StoreSettings(
            backend="s3",
            s3_bucket=bucket,
            s3_prefix=env_str("TESTIGO_EVIDENCE_S3_PREFIX", "evidence/") or "evidence/",
            s3_endpoint_url=env_str("TESTIGO_EVIDENCE_S3_ENDPOINT_URL"),
            s3_region=env_str("TESTIGO_EVIDENCE_S3_REGION"),
            s3_access_key_id=env_str("TESTIGO_EVIDENCE_S3_ACCESS_KEY_ID"),
            s3_secret_access_key=env_str("TESTIGO_EVIDENCE_S3_SECRET_ACCESS_KEY"),
        )
    root = env_str("TESTIGO_EVIDENCE_ROOT")
    return StoreSettings(
        backend="local",
        root=Path(root).expanduser().resolve() if root else data_dir / "evidence",
    )


def _passphrase(data_dir: Path) -> tuple[str | None, str]:
    """The key file's passphrase and where it came from."""
    path_text = os.environ.get("TESTIGO_EVIDENCE_PASSPHRASE_FILE")
    if path_text:
        path = Path(path_text).expanduser()
        if _within(path, data_dir):
            raise ConfigurationError(
                f"TESTIGO_EVIDENCE_PASSPHRASE_FILE={path} is inside the data directory, beside "
                "the key it protects; keep it on separate media"
            )
        try:
            return path.read_text(encoding="utf-8").strip(), f"file {path}"
        except OSError as exc:
            raise ConfigurationError(f"the passphrase file {path} cannot be read: {exc}") from None
    value = os.environ.get("TESTIGO_EVIDENCE_PASSPHRASE")
    if value:
        return value, "environment"
    demo = demo_passphrase_path(data_dir)
    if demo.is_file():
        return demo.read_text(encoding="utf-8").strip(), f"demo file {demo}"
    return None, "none"


def evidence_config() -> EvidenceConfig:
    """Read the configuration now (tests change the environment and ``DATA_DIR`` freely)."""
    data_dir = Path(settings.DATA_DIR).resolve()
    raw = env_str("TESTIGO_EVIDENCE_KEY_FILE")  # env_str also reads …_KEY_FILE_FILE: harmless
    raw_key_file = Path(raw).expanduser() if raw else None
    passphrase, origin = (None, "none") if raw_key_file else _passphrase(data_dir)
    return EvidenceConfig(
        data_dir=data_dir,
        store=_store_settings(data_dir),
        keyfile=data_dir / KEYFILE_NAME,
        raw_key_file=raw_key_file,
        passphrase=passphrase,
        passphrase_origin=origin,
        demo_passphrase_file=demo_passphrase_path(data_dir),
        auto_init=env_bool("TESTIGO_EVIDENCE_AUTO_INIT", True),
    )


def store_exists(config: EvidenceConfig) -> bool:
    """Whether the configured store has been initialised (writes nothing to find out)."""
    if config.store.backend == "local":
        assert config.store.root is not None
        return (config.store.root / "store.json").is_file()
    from testigo.blobstore.backends import STORE_RECORD

    return config.store.make_backend().read_record(STORE_RECORD) is not None


def master_key(config: EvidenceConfig) -> MasterKey:
    """Unlock the master key as configured.

    Raises:
        KeyNotInitialisedError: there is no key yet, or the store exists but its key is gone.
        ConfigurationError: the key file has no passphrase, or a raw key is misplaced.
        WrongKeyError: the passphrase does not open the key file.
    """
    if config.raw_key_file is not None:
        if not config.raw_key_file.exists():
            raise KeyNotInitialisedError(
                f"TESTIGO_EVIDENCE_KEY_FILE={config.raw_key_file} does not exist; run "
                "`testigo evidence keys init` to create a key there"
            )
        return load_master_key(key_path=config.raw_key_file, forbidden_dirs=[config.data_dir])
    if not config.keyfile.exists():
        if store_exists(config):
            raise KeyNotInitialisedError(
                f"the evidence store at {config.describe_store()} exists but its key file "
                f"{config.keyfile} is missing: restore it, or set TESTIGO_EVIDENCE_KEY_FILE to "
                "the recovery file"
            )
        raise KeyNotInitialisedError(
            "the evidence keys are not initialised: run `testigo evidence keys init`"
        )
    if config.passphrase is None:
        raise ConfigurationError(
            f"the key file {config.keyfile} needs its passphrase: set "
            "TESTIGO_EVIDENCE_PASSPHRASE_FILE (or TESTIGO_EVIDENCE_PASSPHRASE)"
        )
    return keyfile_open(config.keyfile, config.passphrase)


# ---------------------------------------------------------------------------- initialising


@dataclass(frozen=True)
class KeysInitResult:
    """What ``keys init`` did. ``generated_passphrase`` is shown once, then never again."""

    key_id: str
    mode: str
    keyfile: Path | None
    generated_passphrase: str | None = field(repr=False)
    passphrase_file: Path | None
    store: str


def generate_passphrase() -> str:
    """A random passphrase of 125 bits: ``TGP-`` and five groups of five characters."""
    groups = ["".join(secrets.choice(_PASSPHRASE_ALPHABET) for _ in range(5)) for _ in range(5)]
    return "-".join(["TGP", *groups])


def _write_secret(path: Path, text: str) -> None:
    """Write a new 0600 file in a 0700 directory; refuses to overwrite."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def keys_init(*, store_passphrase: bool = True) -> KeysInitResult:
    """Create the master key and the empty store, as configured.

    In key file mode without a configured passphrase, a passphrase is generated and, with
    ``store_passphrase``, kept in the demo passphrase file (outside the data directory). Order
    matters for a crash: the passphrase first, then the key file, then the store, so a key file
    never exists without its passphrase; a second run resumes.

    Raises:
        ConfigurationError: the store exists already, or a key would land in the data directory.
    """
    config = evidence_config()
    if store_exists(config):
        raise ConfigurationError(
            f"the evidence store at {config.describe_store()} is already initialised"
        )
    if config.raw_key_file is not None:
        if _within(config.raw_key_file, config.data_dir):
            raise ConfigurationError(
                f"TESTIGO_EVIDENCE_KEY_FILE={config.raw_key_file} is inside the data directory; "
                "keep a raw key on separate media"
            )
        if config.raw_key_file.exists():
            master = master_key(config)
        else:
            master = MasterKey.generate()
            config.raw_key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            recovery_file_write(config.raw_key_file, master)
        initialise_store(config.store, master)
        store_cache_clear()
        return KeysInitResult(master.key_id, "raw-key", None, None, None, config.describe_store())

    generated: str | None = None
    passphrase_file: Path | None = None
    if config.keyfile.exists():
        master = master_key(config)  # an earlier run stopped before creating the store
    else:
        passphrase = config.passphrase
        if passphrase is None:
            generated = passphrase = generate_passphrase()
            if store_passphrase:
                passphrase_file = config.demo_passphrase_file
                if _within(passphrase_file, config.data_dir):
                    raise ConfigurationError(
                        f"the demo passphrase file {passphrase_file} would be inside the data "
                        "directory; set XDG_CONFIG_HOME elsewhere, or "
                        "TESTIGO_EVIDENCE_PASSPHRASE_FILE"
                    )
                _write_secret(passphrase_file, passphrase)
        master = MasterKey.generate()
        config.data_dir.mkdir(parents=True, exist_ok=True)
        keyfile_create(config.keyfile, master, passphrase, kdf=KEYFILE_KDF)
    initialise_store(config.store, master)
    store_cache_clear()
    return KeysInitResult(
        master.key_id,
        "keyfile",
        config.keyfile,
        generated,
        passphrase_file,
        config.describe_store(),
    )


# ---------------------------------------------------------------------------- the open store

_cache: dict[tuple[object, ...], BlobStore] = {}
_lock = threading.RLock()  # held while a first use sets up keys, so only one thread does


def _cache_key(config: EvidenceConfig) -> tuple[object, ...]:
    try:
        stamp = (config.raw_key_file or config.keyfile).stat().st_mtime_ns
    except OSError:
        stamp = None
    secret = hashlib.sha256((config.passphrase or "").encode()).hexdigest()
    # The key file's mtime reopens the store after a rotation by another process.
    return (config.data_dir, config.store, config.keyfile, config.raw_key_file, stamp, secret)


def store_cache_clear() -> None:
    """Forget opened stores (after a key change)."""
    with _lock:
        _cache.clear()


def get_store() -> BlobStore:
    """The configured store, opened once per process and configuration.

    On first use with nothing set up (no store, no key) and ``TESTIGO_EVIDENCE_AUTO_INIT`` not
    false, this sets up the demo keys (see the module docstring) and logs a warning.

    Raises:
        KeyNotInitialisedError, ConfigurationError, WrongKeyError: see :func:`master_key`.
    """
    config = evidence_config()
    key = _cache_key(config)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        config = evidence_config()
        if (
            config.auto_init
            and config.raw_key_file is None
            and not config.keyfile.exists()
            and not store_exists(config)
        ):
            result = keys_init()
            logger.warning(
                "Evidence store initialised with a new master key (id %s). Its passphrase is in "
                "%s, outside the data directory; for real use move it to separate media and set "
                "TESTIGO_EVIDENCE_PASSPHRASE_FILE. Export a recovery copy with `testigo evidence "
                "keys export-recovery`.",
                result.key_id,
                result.passphrase_file or "the environment",
            )
            config = evidence_config()
        key = _cache_key(config)
        if key not in _cache:
            _cache[key] = open_store(config.store, master_key(config))
        return _cache[key]


def keyfile_key_id_or_none(path: Path) -> str | None:
    """The id of the key in a key file, or ``None`` if there is no readable key file."""
    try:
        return keyfile_key_id(path)
    except KeyringError:
        return None

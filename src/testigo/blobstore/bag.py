"""BagIt (RFC 8493, version 1.0) packages of stored items, with a custody report.

The caller (the Django layer) supplies the items and custody events as plain data; this module
decrypts each item straight into the bag, checks both hashes against the caller's record while
writing, writes SHA-256 and SHA-512 manifests and tag manifests, and finally has the standard
``bagit`` library validate the whole bag before it appears under its final name. Layout::

    bagit.txt  bag-info.txt  manifest-sha256.txt  manifest-sha512.txt
    tagmanifest-sha256.txt  tagmanifest-sha512.txt
    custody/items.csv       one row per file: item, path, hashes, acquisition, derivation
    custody/events.csv      one row per custody event
    custody/report.md       the same, for people
    data/<item id>/<original file name>

The bag holds decrypted evidence: write it only to media that is itself protected.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from testigo.blobstore._fsutil import fsync_dir
from testigo.blobstore.errors import ExportError, HashMismatchError
from testigo.blobstore.store import BlobStore, normalise_sha256

REDACTED = "[redacted]"
_ACQUISITION_FIELDS = ("from_whom", "by_whom", "when", "how", "device", "original_name")
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class BagItem:
    """One file to put in the bag, as the caller recorded it.

    ``sha256`` names the content to include: the original, or a derived copy (then set
    ``derived_from`` to the original's SHA-256 and describe the ``transformation``).
    ``acquisition`` holds the acquisition record (keys such as ``from_whom``, ``by_whom``,
    ``when``, ``how``, ``device``, ``original_name``).
    """

    item_id: str
    sha256: str
    sha512: str
    filename: str
    size: int | None = None
    media_type: str = ""
    derived_from: str | None = None
    transformation: str = ""
    acquisition: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class CustodyRow:
    """One custody event (acquisition, view, download, export, transfer, ...)."""

    item_id: str
    at: datetime | str
    actor: str
    action: str
    from_party: str = ""
    to_party: str = ""
    purpose: str = ""
    hash_before: str = ""
    hash_after: str = ""
    note: str = ""

    def when(self) -> str:
        """The time in UTC, ISO 8601."""
        if isinstance(self.at, datetime):
            if self.at.tzinfo is None:
                raise ExportError(f"custody event of {self.item_id} has a naive timestamp")
            return self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return str(self.at)


@dataclass(frozen=True)
class BagResult:
    """A written, validated bag."""

    path: Path
    files: list[str]
    payload_bytes: int
    redacted: bool


class Redactor:
    """Replaces protected names in text, ignoring case, accents and separators.

    Names match as whole words (``Ana`` is not found in ``Banana``); the words of a name may be
    separated by spaces, underscores, dots or hyphens, so ``juan_perez.jpg`` matches ``Juan
    Pérez``. Give a mapping to replace each name with a pseudonym code instead of
    ``[redacted]``. Variants of a name (``Pérez, Juan``) must be listed separately.
    """

    def __init__(self, names: Collection[str] | Mapping[str, str] = ()) -> None:
        replacements = dict(names) if isinstance(names, Mapping) else dict.fromkeys(names, REDACTED)
        patterns = []
        for name, replacement in sorted(replacements.items(), key=lambda kv: -len(kv[0])):
            words = _fold(name)[0].split()
            if not words:
                continue
            body = r"[\W_]+".join(re.escape(word) for word in words)
            patterns.append((re.compile(rf"(?<![^\W_]){body}(?![^\W_])"), replacement))
        self._patterns = patterns

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def __call__(self, text: str) -> str:
        if not self._patterns or not text:
            return text
        folded, index = _fold(text)
        spans: list[tuple[int, int, str]] = []
        for pattern, replacement in self._patterns:
            for match in pattern.finditer(folded):
                start, end = index[match.start()], index[match.end() - 1] + 1
                if all(end <= s or start >= e for s, e, _ in spans):
                    spans.append((start, end, replacement))
        for start, end, replacement in sorted(spans, reverse=True):
            text = text[:start] + replacement + text[end:]
        return text


def _fold(text: str) -> tuple[str, list[int]]:
    """Case- and accent-folded ``text``, and the index in ``text`` of each folded character."""
    out: list[str] = []
    index: list[int] = []
    for position, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            for folded in part.casefold():
                out.append(folded)
                index.append(position)
    return "".join(out), index


def safe_component(name: str, *, fallback: str = "file") -> str:
    """A file or directory name safe on every common filesystem and in a BagIt manifest."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_" if (unicodedata.category(c)[0] == "C" or c in '<>:"|?*%') else c for c in name
    )
    name = name.strip(" .")
    if name.upper().split(".")[0] in {"CON", "PRN", "AUX", "NUL"} | {
        f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)
    }:
        name = f"_{name}"
    while len(name.encode("utf-8")) > 180:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[:-1]}.{ext}" if dot and len(ext) <= 10 and stem else name[:-1]
    return name or fallback


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell that starts like a formula is run by spreadsheet programs (CSV injection).
    return "'" + text if text.startswith(_CSV_FORMULA_START) else text


def _md_cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _tag_value(value: str) -> str:
    return " ".join(value.split())


def _agent() -> str:
    try:
        return f"Testigo {version('testigo')}"
    except PackageNotFoundError:
        return "Testigo"


def export_bag(
    store: BlobStore,
    dest: Path,
    items: Sequence[BagItem],
    *,
    custody: Iterable[CustodyRow] = (),
    case_reference: str | None = None,
    organization: str = "",
    exported_by: str = "",
    protected_names: Collection[str] | Mapping[str, str] = (),
    bag_info: Mapping[str, str] | None = None,
    validate: bool = True,
    now: datetime | None = None,
) -> BagResult:
    """Write a BagIt bag of ``items`` at ``dest`` (which must not exist yet).

    The bag is built beside ``dest`` under a temporary name and renamed into place only when
    complete (and, with ``validate``, accepted by the ``bagit`` library); on any failure the
    partial bag is removed.

    Args:
        store: where the items' content is.
        dest: the bag directory to create.
        items: the files, in report order.
        custody: the custody events of those items, as recorded (events of other items
            are left out).
        case_reference: goes to ``External-Identifier`` and ``Testigo-Case-Reference``.
        organization: ``Source-Organization``.
        exported_by: who exports, for the report.
        protected_names: names to redact from the report, file names and bag-info (a mapping
            gives each its replacement, e.g. a pseudonym code).
        bag_info: further bag-info.txt fields.
        validate: validate the finished bag with ``bagit``.
        now: the export time (tests).

    Raises:
        ExportError: ``dest`` exists, or the finished bag does not validate.
        HashMismatchError: an item's content differs from the hashes the caller recorded.
        ItemNotFoundError: an item is not in the store.
    """
    dest = Path(dest)
    if dest.exists() or dest.is_symlink():
        raise ExportError(f"{dest} already exists; choose a new directory for the bag")
    if not dest.parent.is_dir():
        raise ExportError(f"{dest.parent} is not a directory")
    redact = Redactor(protected_names)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    work = dest.parent / f".{dest.name}.partial-{secrets.token_hex(6)}"
    work.mkdir(mode=0o700)
    try:
        rows, payload_bytes = _write_payload(store, work, items, redact)
        included = {item.item_id for item in items}
        events = sorted(
            (row for row in custody if row.item_id in included),
            key=lambda row: (row.item_id, row.when()),
        )
        kind = _payload_kind(items)
        _write_custody(work, rows, events, redact, case_reference, exported_by, moment, kind)
        info = {
            "Source-Organization": organization,
            "Bagging-Date": moment.strftime("%Y-%m-%d"),
            "Bag-Software-Agent": _agent(),
            "Payload-Oxum": f"{payload_bytes}.{len(rows)}",
            "External-Identifier": case_reference or "",
            "External-Description": f"Evidence of case {case_reference}: {kind}"
            if case_reference
            else f"Evidence: {kind}",
            "Testigo-Case-Reference": case_reference or "",
            "Testigo-Payload-Kind": kind,
            "Testigo-Exported-At": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Testigo-Redacted": "yes" if redact else "no",
        }
        info |= dict(bag_info or {})
        _write_tag_files(work, rows, info, redact)
        if validate:
            _validate(work)
        fsync_dir(work)
        os.rename(work, dest)
        fsync_dir(dest.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BagResult(dest, [row["path"] for row in rows], payload_bytes, bool(redact))


def _payload_kind(items: Sequence[BagItem]) -> str:
    derived = sum(1 for item in items if item.derived_from)
    if derived == 0:
        return "originals"
    if derived == len(items):
        return "metadata-stripped copies"
    return "originals and metadata-stripped copies"


def _write_payload(
    store: BlobStore, work: Path, items: Sequence[BagItem], redact: Redactor
) -> tuple[list[dict[str, str]], int]:
    rows: list[dict[str, str]] = []
    used: set[str] = set()
    total = 0
    data_dir = work / "data"
    data_dir.mkdir(mode=0o700)
    for item in items:
        folder = safe_component(item.item_id, fallback="item")
        name = safe_component(redact(item.filename))
        relative = f"{folder}/{name}"
        counter = 1
        while relative.casefold() in used:  # the same item twice, or names equal but for case
            counter += 1
            relative = f"{folder}-{counter}/{name}"
        used.add(relative.casefold())
        target = data_dir / relative
        target.parent.mkdir(mode=0o700, exist_ok=True)
        sha256, sha512, size = _copy_out(store, item, target)
        total += size
        rows.append(
            {
                "item_id": item.item_id,
                "path": f"data/{relative}",
                "sha256": sha256,
                "sha512": sha512,
                "size": str(size),
                "media_type": item.media_type,
                "copy": "derived" if item.derived_from else "original",
                "derived_from_sha256": item.derived_from or "",
                "transformation": item.transformation,
                "original_name": item.filename,
                "description": item.description,
                **{
                    f"acquisition_{key}": str(item.acquisition.get(key, ""))
                    for key in _ACQUISITION_FIELDS
                },
            }
        )
    return rows, total


def _copy_out(store: BlobStore, item: BagItem, target: Path) -> tuple[str, str, int]:
    """Decrypt one item into the bag, checking it against the caller's recorded hashes."""
    sha256, sha512, size = hashlib.sha256(), hashlib.sha512(), 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with store.open(item.sha256) as source, os.fdopen(fd, "wb") as out:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            sha256.update(chunk)
            sha512.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    got = (sha256.hexdigest(), sha512.hexdigest())
    recorded = (normalise_sha256(item.sha256), item.sha512.lower().removeprefix("sha512:"))
    if got != recorded:
        raise HashMismatchError(f"{item.item_id}: the stored content differs from its record")
    if item.size is not None and item.size != size:
        raise HashMismatchError(f"{item.item_id}: recorded {item.size} bytes, stored {size}")
    return got[0], got[1], size


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue()


_ITEM_COLUMNS = (
    "item_id",
    "path",
    "sha256",
    "sha512",
    "size",
    "media_type",
    "copy",
    "derived_from_sha256",
    "transformation",
    "original_name",
    "description",
    *(f"acquisition_{key}" for key in _ACQUISITION_FIELDS),
)
_EVENT_COLUMNS = (
    "item_id",
    "at_utc",
    "actor",
    "action",
    "from",
    "to",
    "purpose",
    "hash_before",
    "hash_after",
    "note",
)
_REDACTED_ITEM_COLUMNS = {"original_name", "description"} | {
    f"acquisition_{key}" for key in _ACQUISITION_FIELDS
}


def _event_values(row: CustodyRow, redact: Redactor) -> list[str]:
    return [
        row.item_id,
        row.when(),
        redact(row.actor),
        row.action,
        redact(row.from_party),
        redact(row.to_party),
        redact(row.purpose),
        row.hash_before,
        row.hash_after,
        redact(row.note),
    ]


def _write_custody(
    work: Path,
    rows: list[dict[str, str]],
    events: Sequence[CustodyRow],
    redact: Redactor,
    case_reference: str | None,
    exported_by: str,
    moment: datetime,
    kind: str,
) -> None:
    for row in rows:
        for column in _REDACTED_ITEM_COLUMNS:
            row[column] = redact(row[column])
    custody = work / "custody"
    _write_text(
        custody / "items.csv", _csv(_ITEM_COLUMNS, ([r[c] for c in _ITEM_COLUMNS] for r in rows))
    )
    event_rows = [_event_values(event, redact) for event in events]
    _write_text(custody / "events.csv", _csv(_EVENT_COLUMNS, event_rows))

    case = redact(case_reference) if case_reference else "(all evidence)"
    lines = [
        f"# Custody report: {_md_cell(case)}",
        "",
        f"- Exported at (UTC): {moment.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"- Exported by: {_md_cell(redact(exported_by)) or 'not given'}",
        f"- Software: {_agent()}",
        f"- Payload: {kind}, {len(rows)} files",
        "- Names of protected persons: "
        + ("redacted" if redact else "shown (no names were marked protected)"),
        "",
        "Every file under `data/` is listed in `manifest-sha256.txt` and `manifest-sha512.txt`;",
        "check the bag with `bagit.py --validate <bag>`. The same facts are in `custody/*.csv`.",
    ]
    by_item: dict[str, list[list[str]]] = {}
    for event in event_rows:
        by_item.setdefault(event[0], []).append(event)
    for row in rows:
        lines += [
            "",
            f"## {_md_cell(row['item_id'])}: `{_md_cell(row['path'])}`",
            "",
            f"- SHA-256: `{row['sha256']}`",
            f"- SHA-512: `{row['sha512']}`",
            f"- Size: {row['size']} bytes; media type: {_md_cell(row['media_type']) or 'unknown'}",
            f"- Original file name: {_md_cell(row['original_name'])}",
        ]
        if row["copy"] == "derived":
            lines.append(
                f"- Derived copy of SHA-256 `{row['derived_from_sha256']}` "
                f"({_md_cell(row['transformation']) or 'transformation not recorded'})"
            )
        acquisition = [
            f"{key.replace('_', ' ')}: {_md_cell(row[f'acquisition_{key}'])}"
            for key in _ACQUISITION_FIELDS
            if row[f"acquisition_{key}"] and key != "original_name"
        ]
        if acquisition:
            lines.append("- Acquisition: " + "; ".join(acquisition))
        if row["description"]:
            lines.append(f"- Description: {_md_cell(row['description'])}")
        lines += ["", "| # | When (UTC) | Actor | Action | From | To | Purpose | Hash after |"]
        lines.append("|---|---|---|---|---|---|---|---|")
        for number, event in enumerate(by_item.get(row["item_id"], []), start=1):
            cells = [event[1], event[2], event[3], event[4], event[5], event[6], event[8]]
            lines.append(f"| {number} | " + " | ".join(_md_cell(c) for c in cells) + " |")
        if row["item_id"] not in by_item:
            lines.append("| | no custody events recorded | | | | | | |")
    _write_text(custody / "report.md", "\n".join(lines) + "\n")


def _write_tag_files(
    work: Path, rows: list[dict[str, str]], info: Mapping[str, str], redact: Redactor
) -> None:
    _write_text(work / "bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    info_lines = []
    for label, value in info.items():
        if value:
            clean = _tag_value(redact(str(value)))
            info_lines.append(f"{_tag_value(label).replace(':', '')}: {clean}")
    _write_text(work / "bag-info.txt", "\n".join(info_lines) + "\n")
    for algorithm in ("sha256", "sha512"):
        manifest = "".join(f"{row[algorithm]}  {row['path']}\n" for row in rows)
        _write_text(work / f"manifest-{algorithm}.txt", manifest)
    tag_files = sorted(
        p.relative_to(work).as_posix()
        for p in work.rglob("*")
        if p.is_file() and not p.relative_to(work).as_posix().startswith("data/")
    )
    for algorithm in ("sha256", "sha512"):
        lines = []
        for name in tag_files:
            digest = hashlib.new(algorithm, (work / name).read_bytes()).hexdigest()
            lines.append(f"{digest}  {name}\n")
        _write_text(work / f"tagmanifest-{algorithm}.txt", "".join(lines))


def _validate(path: Path) -> None:
    import bagit

    try:
        bagit.Bag(str(path)).validate(processes=1)
    except bagit.BagError as exc:
        details = getattr(exc, "details", None) or []
        listed = "; ".join(str(d) for d in details[:5])
        raise ExportError(f"the bag does not validate: {exc} {listed}".strip()) from None

"""Writes to the evidence record. Each takes the acting user (``None`` for a command run, which
is then attributed to the audit context's actor), runs in one transaction and leaves custody
events, each of which is also an audit entry (through the audit signals).

Bytes go to the store before the row is written: a failure in between leaves an item in the
store that no row refers to, which ``evidence verify`` lists as a notice and a later add of the
same content reuses. It never leaves a row without its bytes.
"""

from __future__ import annotations

import io
import logging
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from testigo.audit.context import acting_as, current_actor, user_label
from testigo.audit.services import audit_record
from testigo.blobstore import (
    BagItem,
    BlobStore,
    ConfigurationError,
    CustodyRow,
    HashMismatchError,
    MasterKey,
    MediaError,
    RecordedItem,
    StoredItem,
    UnsupportedMediaError,
    can_strip,
    derive_stripped_copy,
    export_bag,
    extract_metadata,
    recovery_file_write,
    recovery_phrase,
    refusal_reason,
    rotate_keyfile,
    rotate_master_key,
)
from testigo.blobstore.derive import TRANSFORMATION as STRIP_TRANSFORMATION
from testigo.core.models import Case, Incident, Person, Source, Violation
from testigo.evidence import store as evidence_store
from testigo.evidence.models import (
    AcquisitionMethod,
    Confidentiality,
    CustodyEvent,
    EvidenceItem,
)
from testigo.evidence.selectors import protected_names_for

logger = logging.getLogger(__name__)

STORE_PARTY = "evidence store"
_STRIPPED_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
    "audio/wav": ".wav",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
}


def _label(actor: Any) -> str:
    return user_label(actor) if actor is not None else current_actor()


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


def clean_filename(name: str) -> str:
    """The last path component, without control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 254 - len(ext)]}.{ext}" if dot and len(ext) <= 16 else name[:255]
    return name or "file"


def _without_nul(value: Any) -> Any:
    """PostgreSQL's JSON cannot hold NUL characters, which EXIF strings sometimes carry."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _metadata_of(store: BlobStore, sha256: str, filename: str, media_type: str) -> dict[str, Any]:
    try:
        with store.open(sha256, verify=False) as fp:
            data = extract_metadata(fp, filename=filename, media_type=media_type)
    except Exception as exc:  # a hostile file must not stop the acquisition record
        logger.warning("metadata extraction failed for sha256:%s: %s", sha256, exc)
        data = {"media_type": media_type, "errors": [f"extraction failed: {type(exc).__name__}"]}
    return _without_nul(data)


def _next_code() -> str:
    last = EvidenceItem.all_objects.order_by("-id").values_list("code", flat=True).first()
    number = int(last.split("-", 1)[1]) + 1 if last else 1
    return f"EV-{number:06d}"


class _AlreadyStored(Exception):
    """Another transaction recorded the same content first."""


def _insert(item: EvidenceItem) -> EvidenceItem:
    """Save a new item under the next free code (retrying if a concurrent add took it)."""
    for _attempt in range(8):
        item.code = _next_code()
        try:
            with transaction.atomic():
                item.save()
            return item
        except IntegrityError:
            if EvidenceItem.all_objects.filter(sha256=item.sha256).exists():
                raise _AlreadyStored from None
    raise IntegrityError("could not allocate an evidence ID")


def custody_record(
    item: EvidenceItem,
    *,
    actor: Any,
    action: str,
    from_party: str = "",
    to_party: str = "",
    purpose: str = "",
    hash_before: str = "",
    hash_after: str = "",
    note: str = "",
    at: datetime | None = None,
) -> CustodyEvent:
    """Append one custody event (its audit entry is written by the audit signals)."""
    return CustodyEvent.objects.create(
        item=item,
        actor=_user(actor),
        actor_label=_label(actor),
        at=at or timezone.now(),
        action=action,
        from_party=from_party[:300],
        to_party=to_party[:300],
        purpose=purpose[:500],
        hash_before=hash_before,
        hash_after=hash_after,
        note=note,
    )


# ---------------------------------------------------------------------------- acquisition


def evidence_add(
    *,
    actor: Any,
    filename: str,
    fileobj: BinaryIO | None = None,
    stored: StoredItem | None = None,
    description: str = "",
    language: str = "",
    acquired_from: str = "",
    acquired_from_person: Person | None = None,
    acquired_at: datetime | None = None,
    acquisition_method: str = AcquisitionMethod.UPLOAD,
    device: str = "",
    acquisition_notes: str = "",
    confidentiality: str = Confidentiality.CONFIDENTIAL,
    case: Case | None = None,
    store: BlobStore | None = None,
) -> EvidenceItem:
    """Store a file (streamed from ``fileobj``, or already ``stored`` by an upload handler) and
    record its acquisition.

    The same content twice gives the same item, with one more "acquired" custody event naming
    this submission. The returned item's ``is_new`` tells which happened.
    """
    if (fileobj is None) == (stored is None):
        raise ValueError("give either fileobj or stored")
    store = store or evidence_store.get_store()
    if stored is None:
        assert fileobj is not None
        stored = store.put(fileobj)
    filename = clean_filename(filename)
    label = _label(actor)
    source_party = acquired_from or (
        acquired_from_person.pseudonym_code if acquired_from_person else ""
    )
    metadata: dict[str, Any] | None = None
    if not EvidenceItem.all_objects.filter(sha256=stored.sha256).exists():
        metadata = _metadata_of(store, stored.sha256, filename, stored.media_type)

    with acting_as(label), transaction.atomic():
        item = None
        if metadata is not None:
            item = EvidenceItem(
                sha256=stored.sha256,
                sha512=stored.sha512,
                size=stored.size,
                media_type=stored.media_type,
                original_name=filename,
                description=description,
                language=language,
                acquired_from=acquired_from,
                acquired_from_person=acquired_from_person,
                acquired_by=_user(actor),
                acquired_by_label=label,
                acquired_at=acquired_at or timezone.now(),
                acquisition_method=acquisition_method,
                device=device,
                acquisition_notes=acquisition_notes,
                metadata=metadata,
                confidentiality=confidentiality,
            )
            try:
                _insert(item)
                item.is_new = True  # type: ignore[attr-defined]
                note = acquisition_notes
            except _AlreadyStored:
                item = None
        if item is None:
            item = EvidenceItem.all_objects.select_for_update().get(sha256=stored.sha256)
            if item.deleted_at is not None:
                item.restore()
            item.is_new = False  # type: ignore[attr-defined]
            parts = [
                f"The same content was submitted again, as {filename!r}",
                f"method: {acquisition_method}",
                f"device: {device}" if device else "",
                acquisition_notes,
            ]
            note = "; ".join(part for part in parts if part)
        custody_record(
            item,
            actor=actor,
            action=CustodyEvent.Action.ACQUIRED,
            from_party=source_party,
            to_party=STORE_PARTY,
            purpose="acquisition",
            hash_after=item.checksum,
            note=note,
        )
        if case is not None:
            item.cases.add(case)
    return item


# ---------------------------------------------------------------------------- reading


def evidence_open(
    *,
    actor: Any,
    item: EvidenceItem,
    purpose: str = "",
    download: bool = False,
    record: bool = True,
    store: BlobStore | None = None,
) -> io.BufferedReader:
    """Return the item's content as a seekable stream, decrypted and authenticated as it is read.

    The stored envelope must agree with the hashes in the database first; a read from start to
    end also re-hashes the content. With ``record`` (false only for the follow-up range requests
    of one media preview), a "viewed" or "downloaded" custody event is written.

    Raises:
        HashMismatchError: the store and the database disagree about this item.
    """
    store = store or evidence_store.get_store()
    info = store.info(item.sha256)
    if (info.sha512, info.size) != (item.sha512, item.size):
        raise HashMismatchError(f"{item.code}: the stored item does not match its recorded hashes")
    stream = store.open(item.sha256)
    if record:
        label = _label(actor)
        try:
            with acting_as(label), transaction.atomic():
                custody_record(
                    item,
                    actor=actor,
                    action=CustodyEvent.Action.DOWNLOADED
                    if download
                    else CustodyEvent.Action.VIEWED,
                    from_party=STORE_PARTY,
                    to_party=label,
                    purpose=purpose,
                    hash_before=item.checksum,
                    hash_after=item.checksum,
                )
        except BaseException:
            stream.close()
            raise
    return stream


# ---------------------------------------------------------------------------- checking


@dataclass
class EvidenceVerifyReport:
    """The outcome of :func:`evidence_verify`; each problem names the item (``EV-…``)."""

    checked: int = 0
    bytes_checked: int = 0
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def evidence_verify(
    *,
    actor: Any = None,
    record_custody: bool = False,
    progress: Callable[[str], None] | None = None,
    store: BlobStore | None = None,
) -> EvidenceVerifyReport:
    """Decrypt and re-hash every stored item; compare with the hashes recorded in the database.

    Catches altered ciphertext, content that no longer matches its hashes, a hash changed in
    the database, rows whose content is missing, and unsafe files in the store. With
    ``record_custody`` every item also gets a "verified" custody event (a scheduled fixity
    check); the run itself is always one audit entry.
    """
    store = store or evidence_store.get_store()
    recorded = (
        RecordedItem(ref=code, sha256=sha256, sha512=sha512, size=size)
        for code, sha256, sha512, size in EvidenceItem.all_objects.order_by("id")
        .values_list("code", "sha256", "sha512", "size")
        .iterator(chunk_size=2000)
    )
    raw = store.verify(recorded, progress=progress)
    named = _names_for_subjects([p.subject for p in (*raw.problems, *raw.notices)])
    report = EvidenceVerifyReport(checked=raw.checked, bytes_checked=raw.bytes_checked)
    failed: dict[str, list[str]] = {}
    for problem in raw.problems:
        subject = named.get(problem.subject, problem.subject)
        report.problems.append(f"{subject}: {problem.kind}: {problem.detail}")
        code = subject.split(" ", 1)[0]
        failed.setdefault(code, []).append(problem.kind)
    for notice in raw.notices:
        subject = named.get(notice.subject, notice.subject)
        report.notices.append(f"{subject}: {notice.kind}: {notice.detail}")
    label = _label(actor)
    with acting_as(label), transaction.atomic():
        audit_record(
            action="evidence_verify",
            object_type="evidence.store",
            object_id=store.store_id,
            after={
                "checked": report.checked,
                "bytes": report.bytes_checked,
                "problems": report.problems[:100],
                "ok": report.ok,
            },
        )
        if record_custody:
            for item in EvidenceItem.all_objects.order_by("id").iterator(chunk_size=500):
                kinds = failed.get(item.code)
                custody_record(
                    item,
                    actor=actor,
                    action=CustodyEvent.Action.VERIFIED,
                    purpose="fixity check",
                    hash_before=item.checksum,
                    hash_after="" if kinds else item.checksum,
                    note=f"FAILED: {', '.join(kinds)}" if kinds else "content matches both hashes",
                )
    return report


def _names_for_subjects(subjects: list[str]) -> dict[str, str]:
    """``sha256:<hex>`` → ``EV-000042 (sha256:<hex>)`` for the items the database knows."""
    hashes = {s.removeprefix("sha256:") for s in subjects if s.startswith("sha256:")}
    found = dict(EvidenceItem.all_objects.filter(sha256__in=hashes).values_list("sha256", "code"))
    return {f"sha256:{h}": f"{code} (sha256:{h})" for h, code in found.items()}


# ---------------------------------------------------------------------------- working copies


def _stripped_name(original: EvidenceItem, media_type: str) -> str:
    stem = (
        original.original_name.rsplit(".", 1)[0]
        if "." in original.original_name
        else (original.original_name)
    )
    if media_type == original.media_type and "." in original.original_name:
        extension = "." + original.original_name.rsplit(".", 1)[1]  # same format: .opus stays
    else:
        extension = _STRIPPED_EXTENSIONS.get(media_type, "")
    return clean_filename(f"{stem}-stripped{extension}")


def evidence_derive_stripped(
    *, actor: Any, item: EvidenceItem, store: BlobStore | None = None
) -> EvidenceItem:
    """Store a copy of ``item`` with its metadata removed, linked to the untouched original.

    Returns the existing stripped copy if there is one. Both items get a "derived" custody
    event with the hashes before and after.

    Raises:
        UnsupportedMediaError: no stripping method exists for the item's media type.
        MediaError: the file cannot be decoded.
    """
    original = item.derived_from if item.derived_from_id else item
    assert original is not None
    existing = original.derivatives.filter(transformation=STRIP_TRANSFORMATION).first()
    if existing is not None:
        return existing
    if not can_strip(original.media_type):
        reason = refusal_reason(original.media_type)
        raise UnsupportedMediaError(
            f"{original.code}: "
            + (reason or f"metadata cannot be stripped from {original.media_type} files")
        )
    store = store or evidence_store.get_store()
    derivation = derive_stripped_copy(store, original.sha256)
    stored = derivation.item
    name = _stripped_name(original, stored.media_type)
    label = _label(actor)
    provenance = {
        "method": derivation.method,
        "tool": derivation.tool,
        "tool_version": derivation.tool_version,
        "performed_at": derivation.performed_at,
        "original_sha256": derivation.original_sha256,
    }
    metadata: dict[str, Any] | None = None
    if not EvidenceItem.all_objects.filter(sha256=stored.sha256).exists():
        metadata = _metadata_of(store, stored.sha256, name, stored.media_type)
    with acting_as(label), transaction.atomic():
        copy = None
        if metadata is not None:
            copy = EvidenceItem(
                sha256=stored.sha256,
                sha512=stored.sha512,
                size=stored.size,
                media_type=stored.media_type,
                original_name=name,
                description=original.description,
                language=original.language,
                acquired_from=original.acquired_from,
                acquired_from_person=original.acquired_from_person,
                acquired_by=_user(actor),
                acquired_by_label=label,
                acquisition_method=AcquisitionMethod.DERIVED,
                device=original.device,
                metadata=metadata,
                derived_from=original,
                transformation=derivation.transformation,
                derivation=provenance,
                confidentiality=original.confidentiality,
            )
            try:
                _insert(copy)
            except _AlreadyStored:
                copy = None
        if copy is None:  # the stripped bytes are already an item of their own
            copy = EvidenceItem.all_objects.get(sha256=stored.sha256)
        note = f"{derivation.method} ({derivation.tool} {derivation.tool_version})"
        custody_record(
            original,
            actor=actor,
            action=CustodyEvent.Action.DERIVED,
            from_party=original.code,
            to_party=copy.code,
            purpose="metadata-stripped copy for sharing",
            hash_before=original.checksum,
            hash_after=copy.checksum,
            note=note,
        )
        custody_record(
            copy,
            actor=actor,
            action=CustodyEvent.Action.DERIVED,
            from_party=original.code,
            to_party=STORE_PARTY,
            purpose="metadata-stripped copy for sharing",
            hash_before=original.checksum,
            hash_after=copy.checksum,
            note=note,
        )
    return copy


# ---------------------------------------------------------------------------- links, transfers


def evidence_link(
    *,
    actor: Any,
    item: EvidenceItem,
    case: Case | None = None,
    person: Person | None = None,
    violation: Violation | None = None,
    incident: Incident | None = None,
    source: Source | None = None,
    remove: bool = False,
) -> EvidenceItem:
    """Attach the item (its original, for a working copy) to record objects, or detach it."""
    target = item.derived_from if item.derived_from_id else item
    assert target is not None
    pairs = [
        (target.cases, case),
        (target.persons, person),
        (target.violations, violation),
        (target.incidents, incident),
        (target.sources, source),
    ]
    with acting_as(_label(actor)), transaction.atomic():
        for manager, obj in pairs:
            if obj is None:
                continue
            if remove:
                manager.remove(obj)
            else:
                manager.add(obj)
    return target


def evidence_transfer(
    *,
    actor: Any,
    item: EvidenceItem,
    to_party: str,
    purpose: str,
    from_party: str = "",
    note: str = "",
) -> CustodyEvent:
    """Record that a copy of the item was handed to someone outside Testigo."""
    if not to_party.strip():
        raise ValueError("a transfer needs a recipient")
    with acting_as(_label(actor)), transaction.atomic():
        return custody_record(
            item,
            actor=actor,
            action=CustodyEvent.Action.TRANSFERRED,
            from_party=from_party or _label(actor),
            to_party=to_party.strip(),
            purpose=purpose,
            hash_before=item.checksum,
            hash_after=item.checksum,
            note=note,
        )


# ---------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportResult:
    """A written, validated bag and what it holds."""

    path: Path
    items: list[str]
    omitted: list[tuple[str, str]]
    payload_bytes: int
    redacted: bool


def _export_items(case: Case | None) -> list[EvidenceItem]:
    if case is None:
        return list(EvidenceItem.objects.filter(derived_from__isnull=True).order_by("code"))
    linked = EvidenceItem.objects.filter(Q(cases=case) | Q(violations__cases=case)).values("pk")
    originals = EvidenceItem.objects.filter(
        Q(pk__in=linked, derived_from__isnull=True) | Q(derivatives__in=linked)
    )
    return list(originals.distinct().order_by("code"))


def _bag_item(item: EvidenceItem, original: EvidenceItem) -> BagItem:
    transformation = ""
    if item.derived_from_id:
        d = item.derivation
        transformation = (
            f"{item.transformation}: {d.get('method', '')} "
            f"({d.get('tool', '')} {d.get('tool_version', '')})"
        ).strip()
    return BagItem(
        item_id=item.code,
        sha256=item.sha256,
        sha512=item.sha512,
        filename=item.original_name,
        size=item.size,
        media_type=item.media_type,
        derived_from=original.sha256 if item.derived_from_id else None,
        transformation=transformation,
        acquisition={
            "from_whom": original.acquired_from
            or (
                original.acquired_from_person.pseudonym_code
                if original.acquired_from_person
                else ""
            ),
            "by_whom": original.acquired_by_label,
            "when": original.acquired_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "how": original.get_acquisition_method_display(),
            "device": original.device,
            "original_name": original.original_name,
        },
        description=item.description,
    )


def _row(event: CustodyEvent) -> CustodyRow:
    return CustodyRow(
        item_id=event.item.code,
        at=event.at,
        actor=event.actor_label,
        action=event.action,
        from_party=event.from_party,
        to_party=event.to_party,
        purpose=event.purpose,
        hash_before=event.hash_before,
        hash_after=event.hash_after,
        note=event.note,
    )


def evidence_export_bag(
    *,
    actor: Any,
    dest: Path,
    case: Case | None = None,
    stripped: bool = False,
    redact_protected: bool = True,
    purpose: str = "",
    store: BlobStore | None = None,
) -> ExportResult:
    """Write a BagIt package of a case's evidence (all evidence without ``case``) at ``dest``.

    The custody report inside is built from the database and includes this export's own
    "exported" events, which are saved only once the bag has validated; if saving them fails,
    the bag is removed. With ``stripped``, metadata-stripped copies replace the originals
    (made now where missing); items with no stripping method are left out and listed.
    Protected persons' names become their pseudonym codes unless ``redact_protected`` is false.

    Raises:
        ExportError: ``dest`` exists, or the bag does not validate.
        HashMismatchError: stored content differs from the database's hashes.
    """
    store = store or evidence_store.get_store()
    dest = Path(dest)
    originals = _export_items(case)
    chosen: list[tuple[EvidenceItem, EvidenceItem]] = []
    omitted: list[tuple[str, str]] = []
    for original in originals:
        if not stripped:
            chosen.append((original, original))
            continue
        try:
            copy = evidence_derive_stripped(actor=actor, item=original, store=store)
        except MediaError as exc:  # no stripping method, or the file cannot be decoded
            omitted.append((original.code, str(exc)))
            continue
        chosen.append((copy, original))

    label = _label(actor)
    moment = timezone.now()
    to_party = f"BagIt package {dest.name}"
    pending = [
        CustodyEvent(
            item=item,
            actor=_user(actor),
            actor_label=label,
            at=moment,
            action=CustodyEvent.Action.EXPORTED,
            from_party=STORE_PARTY,
            to_party=to_party,
            purpose=purpose or "export",
            hash_before=item.checksum,
            hash_after=item.checksum,
            note=(f"case {case.reference}" if case else "all evidence")
            + ("; metadata-stripped copy" if item.derived_from_id else ""),
        )
        for item, _original in chosen
    ]
    items = [item for item, _original in chosen]
    recorded = CustodyEvent.objects.filter(item__in=items).select_related("item")
    rows = [_row(event) for event in recorded.order_by("at", "id")] + [_row(e) for e in pending]
    names = protected_names_for([o for _i, o in chosen], case) if redact_protected else {}
    extra = {}
    if omitted:
        extra["Testigo-Omitted-Items"] = "; ".join(f"{code}: {why}" for code, why in omitted)
    result = export_bag(
        store,
        dest,
        [_bag_item(item, original) for item, original in chosen],
        custody=rows,
        case_reference=case.reference if case else None,
        exported_by=label,
        protected_names=names,
        bag_info=extra,
        now=moment,
    )
    try:
        with acting_as(label), transaction.atomic():
            for event in pending:
                event.save()
            audit_record(
                action="evidence_export",
                object_type="evidence.bag",
                object_id=dest.name,
                after={
                    "case": case.reference if case else None,
                    "items": [item.code for item in items],
                    "stripped": stripped,
                    "redacted": bool(names),
                    "omitted": [code for code, _why in omitted],
                },
            )
    except BaseException:
        shutil.rmtree(result.path, ignore_errors=True)
        raise
    return ExportResult(
        path=result.path,
        items=[item.code for item in items],
        omitted=omitted,
        payload_bytes=result.payload_bytes,
        redacted=result.redacted,
    )


# ---------------------------------------------------------------------------- keys


def evidence_keys_init(*, store_passphrase: bool = True) -> evidence_store.KeysInitResult:
    """Create the master key and the store (see :func:`testigo.evidence.store.keys_init`)."""
    result = evidence_store.keys_init(store_passphrase=store_passphrase)
    with transaction.atomic():
        audit_record(
            action="evidence_keys_init",
            object_type="evidence.masterkey",
            object_id=result.key_id,
            after={"mode": result.mode, "store": result.store},
        )
    return result


def evidence_keys_export_recovery(*, output: Path | None) -> str:
    """Return the recovery phrase, or write it to a new file ``output`` (outside the data dir).

    Whoever holds the phrase can decrypt every item: the export is an audit entry.
    """
    config = evidence_store.evidence_config()
    master = evidence_store.master_key(config)
    if output is not None:
        if output.resolve().is_relative_to(config.data_dir):
            raise ConfigurationError(
                f"{output} is inside the data directory: a recovery copy there protects nothing"
            )
        recovery_file_write(output, master)
    with transaction.atomic():
        audit_record(
            action="evidence_keys_export_recovery",
            object_type="evidence.masterkey",
            object_id=master.key_id,
            after={"to": "file" if output else "screen"},
        )
    return recovery_phrase(master)


@dataclass(frozen=True)
class RotationResult:
    old_key_id: str
    new_key_id: str
    rewrapped: int
    recovery_file: Path | None


def evidence_keys_rotate(
    *, recovery_file: Path | None = None, new_passphrase: str | None = None
) -> RotationResult:
    """Replace the master key and re-seal every envelope under it (items are not rewritten).

    In key file mode the key file is replaced at the end (a crash resumes on the next run);
    in raw key mode ``recovery_file`` is required and receives the new key, to which
    ``TESTIGO_EVIDENCE_KEY_FILE`` must then point. Run with the web server stopped.
    """
    config = evidence_store.evidence_config()
    backend = config.store.make_backend()
    if config.mode == "raw-key":
        if recovery_file is None:
            raise ConfigurationError(
                "with TESTIGO_EVIDENCE_KEY_FILE, rotation needs --recovery-file for the new key"
            )
        if recovery_file.resolve().is_relative_to(config.data_dir):
            raise ConfigurationError(f"{recovery_file} is inside the data directory")
        old = evidence_store.master_key(config)
        new = MasterKey.generate()
        recovery_file_write(recovery_file, new)
        report = rotate_master_key(backend, old, new)
        old_id, new_id, count = old.key_id, new.key_id, report.rewrapped
        if not report.complete:
            raise ConfigurationError(
                f"{len(report.failures)} envelopes were not re-sealed; run the rotation again"
            )
    else:
        if config.passphrase is None:
            evidence_store.master_key(config)  # raises the clear error
        if new_passphrase is not None and config.uses_demo_passphrase:
            raise ConfigurationError(
                "the passphrase is the demo one kept by Testigo; move it to separate media "
                "(TESTIGO_EVIDENCE_PASSPHRASE_FILE) before changing it"
            )
        if recovery_file is not None and recovery_file.resolve().is_relative_to(config.data_dir):
            raise ConfigurationError(f"{recovery_file} is inside the data directory")
        assert config.passphrase is not None
        rotation = rotate_keyfile(
            backend,
            config.keyfile,
            config.passphrase,
            new_passphrase=new_passphrase,
            recovery_path=recovery_file,
            kdf=evidence_store.KEYFILE_KDF,
        )
        old_id, new_id = rotation.old_key_id, rotation.new_key.key_id
        count = rotation.report.rewrapped
    evidence_store.store_cache_clear()
    with transaction.atomic():
        audit_record(
            action="evidence_keys_rotate",
            object_type="evidence.masterkey",
            object_id=new_id,
            after={"previous": old_id, "rewrapped": count},
        )
    return RotationResult(old_id, new_id, count, recovery_file)

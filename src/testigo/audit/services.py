"""Writing and verifying the audit log.

Every entry is written inside the caller's transaction, so it commits or rolls back together
with the change it records.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.db import connections, models, router, transaction
from django.utils import timezone

from testigo.audit.context import current_actor
from testigo.audit.models import AuditEntry, AuditHead
from testigo.domain.audit_chain import GENESIS_HASH, ChainBreak, entry_digest, verify_chain

#: Field names whose values never enter the log (a change is still recorded).
REDACTED_FIELDS = frozenset({"password"})


def object_type_of(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The stored value of every concrete field, as text, for the log."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in REDACTED_FIELDS:
            data[field.attname] = "[redacted]"
            continue
        value = getattr(instance, field.attname)
        data[field.attname] = None if value is None else field.value_to_string(instance)
    return data


def canonical_json(data: dict[str, Any] | None) -> str:
    if data is None:
        return ""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _now_text() -> str:
    return timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Change:
    """One change to record: what was done to which object, and its state before and after."""

    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Append one entry to the log, in the current transaction."""
    return audit_record_many([Change(action, object_type, object_id, before, after)], actor=actor)[
        0
    ]


def audit_record_many(changes: Sequence[Change], *, actor: str | None = None) -> list[AuditEntry]:
    """Append several entries at once (bulk imports), in the current transaction."""
    if not changes:
        return []
    actor_label = actor or current_actor()
    using = router.db_for_write(AuditEntry)
    with transaction.atomic(using=using, savepoint=False):
        head = AuditHead.objects.using(using).select_for_update().filter(id=1).first()
        if head is None:
            head = AuditHead.objects.using(using).create(id=1, seq=0, entry_hash=GENESIS_HASH)
        seq, prev = head.seq, head.entry_hash
        at = _now_text()
        entries = []
        for change in changes:
            seq += 1
            before, after = canonical_json(change.before), canonical_json(change.after)
            entry_hash = entry_digest(
                seq,
                at,
                actor_label,
                change.action,
                change.object_type,
                change.object_id,
                before,
                after,
                prev,
            )
            entries.append(
                AuditEntry(
                    seq=seq,
                    recorded_at=at,
                    actor=actor_label,
                    action=change.action,
                    object_type=change.object_type,
                    object_id=change.object_id,
                    before=before,
                    after=after,
                    prev_hash=prev,
                    entry_hash=entry_hash,
                )
            )
            prev = entry_hash
        AuditEntry.objects.using(using).bulk_create(entries, batch_size=2000)
        AuditHead.objects.using(using).filter(id=1).update(seq=seq, entry_hash=prev)
    return entries


def audit_record_created(objects: Iterable[models.Model], *, actor: str | None = None) -> None:
    """Record the creation of objects written in bulk (``bulk_create`` sends no signals)."""
    audit_record_many(
        [
            Change("create", object_type_of(obj), str(obj.pk), None, snapshot(obj))
            for obj in objects
        ],
        actor=actor,
    )


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def audit_verify(*, using: str = "default", chunk_size: int = 20_000) -> VerifyResult:
    """Re-hash the chain in order, up to the stored head, and compare the end with the head.

    Entries written while verification runs lie beyond the head read at the start and are left
    for the next run; an entry beyond the head as it stands at the end was put there by hand.
    """
    connection = connections[using]
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    columns = (
        "seq, recorded_at, actor, action, object_type, object_id, before, after, "
        "prev_hash, entry_hash"
    )

    def head() -> tuple[int, str]:
        row = AuditHead.objects.using(using).filter(id=1).values_list("seq", "entry_hash").first()
        return row if row is not None else (0, GENESIS_HASH)

    def rows(last_seq: int) -> Iterable[tuple[Any, ...]]:
        # A server-side cursor on PostgreSQL, so memory stays flat over millions of entries.
        with connection.chunked_cursor() as cursor:
            # Ordered by seq, not by id: a reordering shows up as a seq or prev_hash mismatch.
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE seq <= %s ORDER BY seq",  # noqa: S608
                [last_seq],
            )
            while True:
                batch = cursor.fetchmany(chunk_size)
                if not batch:
                    return
                yield from batch

    # On PostgreSQL a transaction lets the server-side cursor skip WITH HOLD materialisation.
    # On SQLite it would take the write lock for the whole run, so there we read without one.
    block = (
        transaction.atomic(using=using)
        if connection.vendor == "postgresql"
        else contextlib.nullcontext()
    )
    with block:
        expected = head()
        checked, broken = verify_chain(rows(expected[0]), expected_head=expected)
        if broken is None:
            stray = (
                AuditEntry.objects.using(using)
                .filter(seq__gt=head()[0])
                .order_by("seq")
                .values_list("seq", flat=True)
                .first()
            )
            if stray is not None:
                broken = ChainBreak(
                    seq=stray, reason="it lies beyond the recorded head of the chain"
                )
    return VerifyResult(checked=checked, broken=broken)

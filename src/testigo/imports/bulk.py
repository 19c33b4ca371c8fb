"""Writing a file's records and their audit entries fast: prepared rows, ``executemany``.

A million records through ``bulk_create`` and ``audit_record_created`` cost about half a
millisecond each in model instances and field conversions (see docs/benchmarks.md); an import
prepares each row's INSERT parameters and audit snapshot in worker processes
(`testigo.imports.rowwork`) and this module only fills in the ids and sends them.

Both writers produce exactly the rows the ORM would: tests/imports/test_bulk.py reads the
records back through the ORM, compares every audit entry with ``canonical_json(snapshot(...))``
of its record, and verifies the hash chain. Must run inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connections, transaction
from django.db.models import Field, JSONField
from django.db.models.fields import DateField, DateTimeField, TimeField

from testigo.audit.models import AuditEntry, AuditHead
from testigo.audit.services import _now_text, object_type_of
from testigo.core.models import Record
from testigo.core.search_index import BulkIndexing
from testigo.domain.audit_chain import GENESIS_HASH
from testigo.imports.rowwork import ROW_FIELDS, SLOTS, PreparedRow, RecordLayout

_AUDIT_COLUMNS = (
    "seq",
    "recorded_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "prev_hash",
    "entry_hash",
)


def _snapshot_value(field: Field, value: Any) -> Any:
    """What ``testigo.audit.services.snapshot`` records for a field's value."""
    if value is None:
        return None
    if isinstance(field, JSONField):
        return value
    if isinstance(field, DateTimeField | DateField | TimeField):
        return value.isoformat()
    return str(value)


def record_layout(
    *,
    using: str,
    now: datetime,
    source_id: int,
    sha256: str,
    constants: dict[str, Any] | None = None,
) -> RecordLayout:
    """The record table as rows of this import are inserted: every column, with the values that
    are the same for all of them (a field the import does not know gets its default)."""
    connection = connections[using]
    fields = list(Record._meta.concrete_fields)
    given: dict[str, Any] = {
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
        "source_id": source_id,
        "source_file_sha256": sha256,
        "person_id": None,
        "link_confidence": None,
        **(constants or {}),
    }
    fixed: dict[str, tuple[Any, Any]] = {}
    for field in fields:
        name = field.attname
        if name in ROW_FIELDS or name in SLOTS:
            continue
        value = given[name] if name in given else field.get_default()
        if isinstance(field, JSONField):
            db_value: Any = json.dumps(value)  # cast to jsonb in the SQL on PostgreSQL
        else:
            db_value = field.get_db_prep_save(value, connection)
        fixed[name] = (db_value, _snapshot_value(field, value))
    return RecordLayout(
        columns=tuple(field.column for field in fields),
        attnames=tuple(field.attname for field in fields),
        json_fields=frozenset(f.attname for f in fields if isinstance(f, JSONField)),
        constants=fixed,
    )


class RecordWriter:
    """Inserts prepared rows as records, with ids allocated up front, and their audit entries.

    Args:
        layout: the same layout the rows were prepared with.
        actor: the audit label of whoever imports.
    """

    def __init__(self, *, layout: RecordLayout, actor: str, using: str = "default") -> None:
        self.layout = layout
        self.actor = actor
        self.using = using
        self.connection = connections[using]
        self.vendor = self.connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"imports write to SQLite or PostgreSQL, not {self.vendor}")
        quote = self.connection.ops.quote_name
        self.table = quote(Record._meta.db_table)
        marks = [
            "%s::jsonb" if self.vendor == "postgresql" and name in layout.json_fields else "%s"
            for name in layout.attnames
        ]
        self.insert_sql = (
            f"INSERT INTO {self.table} ({', '.join(quote(c) for c in layout.columns)}) "  # noqa: S608
            f"VALUES ({', '.join(marks)})"
        )
        audit_table = quote(AuditEntry._meta.db_table)
        self.audit_sql = (
            f"INSERT INTO {audit_table} ({', '.join(quote(c) for c in _AUDIT_COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(_AUDIT_COLUMNS))})"
        )
        self.object_type = object_type_of(Record)
        self.slot_index = {slot: layout.slot_index(slot) for slot in SLOTS}
        self._next_id: int | None = None
        self.written = 0
        self.indexing = BulkIndexing(self.connection, Record._meta.db_table)

    def _allocate(self, count: int) -> list[int]:
        """Ids for the next `count` records. SQLite: past the highest ever used (the write lock
        is held since the transaction began); PostgreSQL: from the table's own sequence."""
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [Record._meta.db_table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            if self._next_id is None:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")  # noqa: S608
                highest = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = %s", [Record._meta.db_table]
                )
                row = cursor.fetchone()
                self._next_id = max(highest, row[0] if row else 0) + 1
        first = self._next_id
        self._next_id += count
        return list(range(first, first + count))

    def write(self, rows: Sequence[tuple[PreparedRow, int, int | None]]) -> list[int]:
        """Insert (row, version, id of the record it supersedes) and audit each; return ids."""
        if not rows:
            return []
        ids = self._allocate(len(rows))
        slot_id, slot_version, slot_sup = (
            self.slot_index["id"],
            self.slot_index["version"],
            self.slot_index["supersedes_id"],
        )
        params: list[list[Any]] = []
        changes: list[tuple[str, str]] = []
        for (row, version, supersedes), pk in zip(rows, ids, strict=True):
            assert row.params is not None and row.after is not None
            values = list(row.params)
            values[slot_id], values[slot_version], values[slot_sup] = pk, version, supersedes
            params.append(values)
            after = row.after % {
                "id": f'"{pk}"',
                "version": f'"{version}"',
                "supersedes_id": "null" if supersedes is None else f'"{supersedes}"',
            }
            changes.append((str(pk), after))
        self.indexing.start()
        with self.connection.cursor() as cursor:
            cursor.executemany(self.insert_sql, params)
        self.indexing.add(ids[0], ids[-1])
        self._audit(changes)
        self.written += len(rows)
        return ids

    def finish(self) -> None:
        """Call once all rows are written, before the transaction commits (restores the
        search index's trigger; see `BulkIndexing`)."""
        self.indexing.finish()

    def _audit(self, changes: list[tuple[str, str]]) -> None:
        """Chain one "create" entry per record, as ``audit_record_many`` does (same head lock,
        same fields, same digest), inserted with ``executemany``."""
        using = self.using
        with transaction.atomic(using=using, savepoint=False):
            head = AuditHead.objects.using(using).select_for_update().filter(id=1).first()
            if head is None:
                head = AuditHead.objects.using(using).create(id=1, seq=0, entry_hash=GENESIS_HASH)
            seq, prev = head.seq, head.entry_hash
            at, actor, kind = _now_text(), self.actor, self.object_type
            entries = []
            # entry_digest, inlined (as in verify_chain): it runs once per record.
            fixed = b"".join(
                b"%d:%s" % (len(v), v)
                for v in (at.encode(), actor.encode(), b"create", kind.encode())
            )
            sha256 = hashlib.sha256
            for object_id, after in changes:
                seq += 1
                digest = sha256()
                seq_text = str(seq).encode()
                oid, body = object_id.encode(), after.encode("utf-8")
                digest.update(
                    b"%d:%s%s%d:%s0:%d:"
                    % (len(seq_text), seq_text, fixed, len(oid), oid, len(body))
                )
                digest.update(body)
                digest.update(prev.encode("ascii"))
                entry_hash = digest.hexdigest()
                entries.append(
                    (seq, at, actor, "create", kind, object_id, "", after, prev, entry_hash)
                )
                prev = entry_hash
            with self.connection.cursor() as cursor:
                cursor.executemany(self.audit_sql, entries)
            AuditHead.objects.using(using).filter(id=1).update(seq=seq, entry_hash=prev)


def latest_versions(
    *, source_id: int, keys: Sequence[str], using: str = "default"
) -> dict[str, tuple[int, int, Any]]:
    """For each key, the newest version of its record in the source: (id, version, raw).

    Soft-deleted records count: a version number is never reused.
    """
    found: dict[str, tuple[int, int, Any]] = {}
    rows = (
        Record.all_objects.using(using)
        .filter(source_id=source_id, external_key__in=list(keys))
        .values_list("external_key", "id", "version", "raw")
    )
    for key, pk, version, raw in rows:
        if key not in found or version > found[key][1]:
            found[key] = (pk, version, raw)
    return found

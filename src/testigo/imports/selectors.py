"""Reads for the import pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from testigo.accounts.permissions import Capability, can
from testigo.core.models import Record
from testigo.imports.models import ImportBatch, ImportMapping


def batches_visible_to(user: Any) -> QuerySet[ImportBatch]:
    """Batches hold source rows (their reports quote values): for those who edit the record."""
    if not can(user, Capability.EDIT_RECORD):
        return ImportBatch.objects.none()
    return ImportBatch.objects.select_related("source")


def mappings_visible_to(user: Any) -> QuerySet[ImportMapping]:
    if not can(user, Capability.EDIT_RECORD):
        return ImportMapping.objects.none()
    return ImportMapping.objects.select_related("source")


def batch_records(batch: ImportBatch, limit: int = 20) -> QuerySet[Record]:
    """The first records a batch's file gave its source (this import's or an earlier one's)."""
    if batch.source_id is None:
        return Record.objects.none()
    return (
        Record.objects.filter(source_id=batch.source_id, source_file_sha256=batch.sha256)
        .select_related("person")
        .order_by("source_row", "version")[:limit]
    )

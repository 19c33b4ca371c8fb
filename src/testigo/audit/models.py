"""The audit log tables. Rows are only ever appended, by :mod:`testigo.audit.services`."""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """One change or sensitive read, chained to the entry before it by ``prev_hash``."""

    seq = models.BigIntegerField(unique=True)
    recorded_at = models.CharField(max_length=32, db_index=True)  # UTC, ISO 8601, microseconds
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=32)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id} by {self.actor}"


class AuditHead(models.Model):
    """A single row holding the newest entry's seq and hash.

    Writers lock it (SELECT … FOR UPDATE) so that entries are chained one at a time, and
    ``audit verify`` compares it with the last entry to catch a truncated log.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq}"

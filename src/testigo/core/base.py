"""What every Testigo model shares: timestamps, soft delete, one transaction per write."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone


class SoftDeleteQuerySet(models.QuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:  # type: ignore[override]
        """Mark every row deleted, one by one so that each gets its audit entry."""
        count = 0
        with transaction.atomic(using=self.db):
            for obj in self:
                obj.delete()
                count += 1
        return count, {self.model._meta.label: count}

    def alive(self) -> SoftDeleteQuerySet:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> SoftDeleteQuerySet:
        return self.filter(deleted_at__isnull=False)


class AliveManager(models.Manager.from_queryset(SoftDeleteQuerySet)):  # type: ignore[misc]
    """The default manager: rows not marked deleted."""

    def get_queryset(self) -> SoftDeleteQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


AllManager = models.Manager.from_queryset(SoftDeleteQuerySet)


class TestigoModel(models.Model):
    """Abstract base: nothing is hard-deleted and every save is its own transaction
    (joined with the caller's when there is one), so the audit entry commits with it."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AliveManager()
    all_objects = AllManager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)

    def delete(self, using: Any = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Soft delete: the row stays, marked with the time; the log records a delete."""
        self.deleted_at = timezone.now()
        self._audit_action = "delete"
        self.save(using=using, update_fields=["deleted_at", "updated_at"])
        return 1, {self._meta.label: 1}

    def restore(self) -> None:
        """Undo a soft delete."""
        self.deleted_at = None
        self._audit_action = "restore"
        self.save(update_fields=["deleted_at", "updated_at"])

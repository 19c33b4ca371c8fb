"""What an import leaves behind: the mapping a source's files are read with, and one batch per
file imported (or being prepared in the web wizard), with its report and its counts.

The records themselves carry their provenance (``Record.source_file_sha256``, ``source_row``,
``raw``); a batch says which file, read how, by whom, with what outcome.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from testigo.core.base import TestigoModel
from testigo.core.models import Source


class ImportMapping(TestigoModel):
    """A source's saved column mapping (`testigo.tabular.Mapping` as a dict, plus ``key``),
    reused for the source's next file by the command and the wizard."""

    source = models.OneToOneField(Source, on_delete=models.PROTECT, related_name="import_mapping")
    mapping = models.JSONField(_("mapping"), default=dict)
    saved_by = models.CharField(_("saved by"), max_length=200, blank=True)

    class Meta:
        ordering = ["source__name"]

    def __str__(self) -> str:
        return f"mapping of {self.source_id}"


class ImportBatch(TestigoModel):
    """One file brought in (or being prepared) for one source.

    In the wizard a batch walks through its statuses; the command writes one batch per
    successful import, already done. ``report`` is the last check's or import's report
    (`testigo.imports.services.ImportReport.to_dict()`).
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded, not checked yet")
        CHECKING = "checking", _("checking")
        INVALID = "invalid", _("has errors")
        CHECKED = "checked", _("checked, ready to import")
        QUEUED = "queued", _("waiting to import")
        IMPORTING = "importing", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")
        DISCARDED = "discarded", _("discarded")

    class Origin(models.TextChoices):
        WEB = "web", _("web wizard")
        COMMAND = "command", _("command line")

    #: Statuses in which a background task is working on the batch.
    RUNNING = frozenset({Status.CHECKING, Status.QUEUED, Status.IMPORTING})

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size in bytes"), default=0)
    format = models.CharField(_("format"), max_length=8, blank=True)
    source_name = models.CharField(_("source"), max_length=200)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="import_batches"
    )  # set once the import has written (a new source is created only then)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.WEB)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    records = models.PositiveIntegerField(_("records in the file"), default=0)
    created_count = models.PositiveIntegerField(_("records created"), default=0)
    new_version_count = models.PositiveIntegerField(_("new versions"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    invalid_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)  # why a task failed
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    progress = models.FloatField(_("progress"), default=0.0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    actor = models.CharField(_("by"), max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=1),
                name="import_batch_progress_0_1",
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_name} → {self.source_name}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    def counts(self) -> dict[str, Any]:
        return {
            "created": self.created_count,
            "new_versions": self.new_version_count,
            "unchanged": self.unchanged_count,
            "invalid": self.invalid_count,
        }

"""One estimate asked for in the web app: what was asked, and what came back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from testigo.core.base import TestigoModel


class EstimateRun(TestigoModel):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        REFUSED = "refused", _("refused")
        FAILED = "failed", _("failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    histories = models.JSONField(default=dict, blank=True)  # lists, patterns, counts
    result = models.JSONField(default=dict, blank=True)
    posterior = models.JSONField(default=list, blank=True)  # a histogram of the draws of N
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"estimate {self.pk} ({self.status})"

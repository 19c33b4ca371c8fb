"""A linkage run, the pairs it leaves for people to decide, and their decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from testigo.core.base import TestigoModel
from testigo.core.models import Record


class LinkageRun(TestigoModel):
    settings = models.JSONField(default=dict)
    model = models.JSONField(default=dict, help_text="the trained Splink model")
    stats = models.JSONField(default=dict)
    records = models.PositiveIntegerField(default=0)
    persons = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"linkage run {self.pk}"


class ReviewPair(TestigoModel):
    """Two records the engine could not decide about, waiting for a person."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DECIDED = "decided", _("decided")
        OBSOLETE = "obsolete", _("obsolete")

    run = models.ForeignKey(LinkageRun, on_delete=models.PROTECT, related_name="review_pairs")
    record_a = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    record_b = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField()
    priority = models.FloatField(help_text="expected pairwise errors a decision fixes")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [models.Index(fields=["status", "-priority"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=1), name="review_probability_0_1"
            )
        ]

    def __str__(self) -> str:
        return f"{self.record_a_id} ~ {self.record_b_id}"


class MatchDecision(TestigoModel):
    """A person's judgement on two records. The newest decision on a pair stands."""

    class Decision(models.TextChoices):
        MATCH = "match", _("the same person")
        NON_MATCH = "non_match", _("not the same person")
        UNSURE = "unsure", _("unsure")

    record_a = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    record_b = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=16, choices=Decision.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.record_a_id} ~ {self.record_b_id}: {self.decision}"


class PersonMerge(TestigoModel):
    """One person absorbed into another, with exactly what moved, so it can be undone."""

    kept = models.ForeignKey("core.Person", on_delete=models.PROTECT, related_name="+")
    absorbed = models.ForeignKey("core.Person", on_delete=models.PROTECT, related_name="+")
    moved = models.JSONField(default=dict)  # {"records": [...], "violations": [...], ...}
    undone_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.kept_id}"

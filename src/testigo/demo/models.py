"""What the synthetic generator knows and a real data set never does: the true person behind
each record. Linkage and estimation are scored against it."""

from django.db import models

from testigo.core.models import Record


class DemoDataset(models.Model):
    """One loaded synthetic data set (generator arguments), so ``testigo demo`` is idempotent."""

    seed = models.BigIntegerField()
    n_records = models.PositiveIntegerField()
    loaded_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seed", "n_records"], name="demo_dataset_unique")
        ]

    def __str__(self) -> str:
        return f"seed {self.seed}, {self.n_records} records"


class TruthLink(models.Model):
    dataset = models.ForeignKey(DemoDataset, on_delete=models.PROTECT, related_name="truth")
    record = models.OneToOneField(Record, on_delete=models.PROTECT, related_name="demo_truth")
    true_person_key = models.CharField(max_length=32, db_index=True)
    event_key = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"{self.record_id} → {self.true_person_key}"

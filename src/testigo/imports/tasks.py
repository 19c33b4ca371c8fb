"""Background tasks of the import wizard (django-tasks; `testigo db_worker` runs them).

Each task takes the batch id, runs as the person who started the batch, and leaves the outcome
on the batch (status, report, counts); an unexpected failure is recorded there too.
"""

from __future__ import annotations

from django_tasks import task

from testigo.audit.context import acting_as
from testigo.imports import services
from testigo.imports.models import ImportBatch


def _actor(batch_id: int) -> str:
    return ImportBatch.objects.filter(pk=batch_id).values_list("actor", flat=True).first() or ""


@task()
def batch_check_task(batch_id: int) -> None:
    """Dry run: read the batch's file through its mapping and report every problem."""
    with acting_as(_actor(batch_id) or "system:imports"):
        services.batch_check(batch_id)


@task()
def batch_import_task(batch_id: int, save_mapping: bool = True) -> None:
    """Import the batch's file (all or nothing) and keep its mapping for the source."""
    with acting_as(_actor(batch_id) or "system:imports"):
        services.batch_import(batch_id, save_mapping)

"""Background tasks: an estimate can take minutes, so the web page queues it."""

from __future__ import annotations

from django_tasks import task

from testigo.audit.context import acting_as
from testigo.estimates.models import EstimateRun
from testigo.estimates.services import estimate_run_execute


@task()
def estimate_task(run_id: int) -> None:
    run = EstimateRun.objects.get(pk=run_id)
    with acting_as(f"task:estimate:{run_id}"):
        try:
            estimate_run_execute(run)
        except Exception as exc:
            EstimateRun.objects.filter(pk=run_id).update(
                status=EstimateRun.Status.FAILED, message=str(exc)[:2000]
            )
            raise

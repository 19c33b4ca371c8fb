"""Capture histories from the database, and running an estimate on them.

A person is captured by a source when one of that source's records, linked to the person,
reports the chosen act in the chosen period and region. Capture histories are what multiple
systems estimation needs (DESIGN.md §2): which sources documented each person.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from testigo.core.models import Place, Record
from testigo.estimates.models import EstimateRun
from testigo.estimation import (
    CaptureHistories,
    HistoriesError,
    InsufficientDataError,
    estimate,
    from_arrays,
)

HISTOGRAM_BINS = 40


def capture_histories(
    *,
    act_type: str,
    date_from: str = "",
    date_to: str = "",
    region: str = "",
) -> CaptureHistories:
    """Histories of linked persons × sources for one act, period (EDTF prefixes) and region."""
    records = Record.objects.filter(act_type__code=act_type, person__isnull=False)
    if date_from:
        records = records.filter(event_date__gte=date_from)
    if date_to:
        records = records.filter(event_date__lt=date_to + "~")
    if region:
        place = Place.objects.get(code=region)
        codes = [place.pk, *_descendants(place)]
        records = records.filter(place_id__in=codes)
    captured: dict[int, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for person_id, source_id, source_name in records.values_list(
        "person_id", "source_id", "source__name"
    ):
        captured[person_id].add(source_id)
        names[source_id] = source_name
    sources = sorted(names)
    if not captured:
        raise InsufficientDataError(_("No linked person has a record of this act there and then."))
    column = {s: i for i, s in enumerate(sources)}
    matrix = np.zeros((len(captured), len(sources)), dtype=np.int64)
    for row, person_sources in enumerate(captured.values()):
        for source in person_sources:
            matrix[row, column[source]] = 1
    return from_arrays(matrix, lists=[names[s] for s in sources], origin="database")


def _descendants(place: Place) -> list[int]:
    found: list[int] = []
    frontier = [place.pk]
    while frontier:
        children = list(Place.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        found.extend(children)
        frontier = children
    return found


def estimate_run_execute(run: EstimateRun) -> EstimateRun:
    """Compute a queued run and store the result, or the reason it cannot be done."""
    params: dict[str, Any] = run.parameters
    EstimateRun.objects.filter(pk=run.pk).update(status=EstimateRun.Status.RUNNING)
    try:
        histories = capture_histories(
            act_type=params["act_type"],
            date_from=params.get("date_from", ""),
            date_to=params.get("date_to", ""),
            region=params.get("region", ""),
        )
        options: dict[str, Any] = {}
        if params.get("method", "lcmcr") == "lcmcr":
            options = {
                "samples": int(params.get("samples", 2_000)),
                "thinning": int(params.get("thinning", 20)),
                "burnin": int(params.get("burnin", 5_000)),
            }
        result = estimate(
            histories, method=params.get("method", "lcmcr"), seed=params.get("seed"), **options
        )
    except (InsufficientDataError, HistoriesError) as exc:
        run.status = EstimateRun.Status.REFUSED
        run.message = str(exc)
        run.save(update_fields=["status", "message", "updated_at"])
        return run
    histogram: list[list[float]] = []
    if result.draws is not None:
        counts, edges = np.histogram(np.asarray(result.draws).ravel(), bins=HISTOGRAM_BINS)
        histogram = [[float(edges[i]), float(edges[i + 1]), int(c)] for i, c in enumerate(counts)]
    with transaction.atomic():
        run.status = EstimateRun.Status.DONE
        run.result = result.to_json_dict()
        run.histories = {
            "lists": list(histories.lists),
            "observed": int(histories.counts.sum()),
        }
        run.posterior = histogram
        run.save(update_fields=["status", "result", "histories", "posterior", "updated_at"])
    return run

"""The estimate page: ask for an estimate, watch it run, read it with its uncertainty."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from testigo.accounts.permissions import Capability, require
from testigo.estimates.forms import EstimateForm
from testigo.estimates.models import EstimateRun
from testigo.estimates.tasks import estimate_task


@require(Capability.RUN_ESTIMATES)
def estimate_new(request: HttpRequest) -> HttpResponse:
    form = EstimateForm(request.POST or None, initial={"act_type": "killing"})
    if request.method == "POST" and form.is_valid():
        run = EstimateRun.objects.create(requested_by=request.user, parameters=form.cleaned_data)
        estimate_task.enqueue(run.pk)
        return redirect("estimates:run_detail", pk=run.pk)
    runs = EstimateRun.objects.filter(requested_by=request.user)[:10]
    return render(request, "estimates/new.html", {"form": form, "runs": runs})


@require(Capability.RUN_ESTIMATES)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(EstimateRun, pk=pk)
    finished = run.status not in (EstimateRun.Status.QUEUED, EstimateRun.Status.RUNNING)
    result = run.result or {}
    peak = max((c for _, _, c in run.posterior), default=0)
    bars = []
    for i, (low, high, count) in enumerate(run.posterior):
        height = 0 if not peak else round(120 * count / peak, 1)
        label = f"{low:,.0f}–{high:,.0f}: {count}"
        bars.append({"x": i * 10, "y": 130 - height, "height": height, "label": label})
    context = {
        "run": run,
        "finished": finished,
        "result": result,
        "bars": bars,
        "first": run.posterior[0][0] if run.posterior else None,
        "last": run.posterior[-1][1] if run.posterior else None,
    }
    template = (
        "estimates/_status.html" if request.headers.get("HX-Request") else "estimates/run.html"
    )
    return render(request, template, context)

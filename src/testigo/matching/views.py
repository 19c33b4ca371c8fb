"""The linkage review queue: two records side by side, decided with one key."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from testigo.accounts.permissions import Capability, is_cleared, require
from testigo.core.views import FIELD_ROWS, _record_value
from testigo.matching.models import MatchDecision, PersonMerge, ReviewPair
from testigo.matching.services import person_merge_undo, review_decide, review_queue_stats

KEYS = {"match": "m", "non_match": "n", "unsure": "u"}


def _check_cleared(request: HttpRequest) -> None:
    # Deciding needs the names: only staff cleared to see identities review pairs.
    if not is_cleared(request.user):
        raise PermissionDenied


@require(Capability.REVIEW_LINKAGE)
def review_queue(request: HttpRequest) -> HttpResponse:
    _check_cleared(request)
    pairs = ReviewPair.objects.filter(status=ReviewPair.Status.OPEN).select_related(
        "record_a__source", "record_b__source"
    )[:50]
    recent = MatchDecision.objects.select_related("decided_by").order_by("-id")[:10]
    merges = PersonMerge.objects.filter(undone_at__isnull=True).order_by("-id")[:10]
    return render(
        request,
        "matching/queue.html",
        {"pairs": pairs, "stats": review_queue_stats(), "recent": recent, "merges": merges},
    )


@require(Capability.REVIEW_LINKAGE)
def review_pair(request: HttpRequest, pk: int) -> HttpResponse:
    _check_cleared(request)
    pair = get_object_or_404(
        ReviewPair.objects.select_related("record_a__source", "record_b__source"), pk=pk
    )
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision not in MatchDecision.Decision.values:
            messages.error(request, _("Choose one of the three answers."))
            return redirect("matching:review_pair", pk=pk)
        if pair.status != ReviewPair.Status.OPEN:
            messages.error(request, _("This pair was already decided."))
            return redirect("matching:review_queue")
        review_decide(
            pair=pair, decision=decision, user=request.user, note=request.POST.get("note", "")
        )
        messages.success(request, _("Decision recorded."))
        following = ReviewPair.objects.filter(status=ReviewPair.Status.OPEN).first()
        if following is None:
            return redirect("matching:review_queue")
        return redirect("matching:review_pair", pk=following.pk)
    a, b = pair.record_a, pair.record_b
    rows = []
    for name, label in FIELD_ROWS:
        left, right = _record_value(a, name), _record_value(b, name)
        rows.append(
            {
                "label": label,
                "a": left,
                "b": right,
                "differs": bool(left and right and left != right),
            }
        )
    return render(
        request,
        "matching/pair.html",
        {
            "pair": pair,
            "a": a,
            "b": b,
            "rows": rows,
            "keys": KEYS,
            "stats": review_queue_stats(),
            "choices": MatchDecision.Decision.choices,
        },
    )


@require_POST
@require(Capability.REVIEW_LINKAGE)
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    _check_cleared(request)
    merge = get_object_or_404(PersonMerge, pk=pk, undone_at__isnull=True)
    person_merge_undo(merge)
    messages.success(request, _("The merge was undone."))
    return redirect("matching:review_queue")

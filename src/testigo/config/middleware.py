"""One transaction per request that changes something; page reads run in autocommit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AtomicUnsafeRequestsMiddleware:
    """Run the view of every unsafe request in one transaction, as ``ATOMIC_REQUESTS`` does;
    leave safe requests in autocommit, so reading a page never holds SQLite's write lock.

    With SQLite's ``transaction_mode = IMMEDIATE``, ``ATOMIC_REQUESTS`` began every view with
    ``BEGIN IMMEDIATE``: page reads queued behind one another and, under 50 users, failed with
    "database is locked" after the 30 s timeout. A write a GET makes (an audited read) is still
    atomic on its own: ``audit_record`` and ``TestigoModel.save`` open their own transaction.
    Views marked ``@transaction.non_atomic_requests`` are left alone. Must be the last middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.method in SAFE_METHODS or getattr(view, "_non_atomic_requests", None):
            return None
        with transaction.atomic():
            return view(request, *args, **kwargs)

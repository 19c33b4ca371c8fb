"""Attribute every change made during a web request to the logged-in user."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from testigo.audit.context import acting_as, user_label


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with acting_as(user_label(user)):
                return self.get_response(request)
        with acting_as("anonymous"):
            return self.get_response(request)

"""The permission matrix: what each role may do (docs/permissions.md is generated from here).

Roles are Django groups. Being *cleared* to see protected identities is separate from the role:
it is the per-user permission ``core.reveal_identity``, granted by an administrator.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    ANALYST = "analyst"
    DOCUMENTER = "documenter"
    LAWYER = "lawyer"
    VIEWER = "viewer"


class Capability(StrEnum):
    VIEW_RECORD = "view_record"  # persons, records, violations, detentions, incidents, sources
    VIEW_ALL = "view_all"  # not limited to one's own cases
    EDIT_RECORD = "edit_record"  # create and correct the record
    VIEW_CASES = "view_cases"  # case files (lawyers: their own)
    MANAGE_CASES = "manage_cases"  # open cases, assign lawyers
    REVIEW_LINKAGE = "review_linkage"  # decide whether two records are the same person
    RUN_ESTIMATES = "run_estimates"  # multiple systems estimation of the undocumented total
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"


MATRIX: dict[Role, frozenset[Capability]] = {
    Role.ADMINISTRATOR: frozenset(Capability),
    Role.ANALYST: frozenset(
        {
            Capability.VIEW_RECORD,
            Capability.VIEW_ALL,
            Capability.EDIT_RECORD,
            Capability.VIEW_CASES,
            Capability.REVIEW_LINKAGE,
            Capability.RUN_ESTIMATES,
        }
    ),
    Role.DOCUMENTER: frozenset(
        {Capability.VIEW_RECORD, Capability.VIEW_ALL, Capability.EDIT_RECORD}
    ),
    Role.LAWYER: frozenset({Capability.VIEW_RECORD, Capability.VIEW_CASES}),
    Role.VIEWER: frozenset({Capability.VIEW_RECORD, Capability.VIEW_ALL}),
}

REVEAL_PERMISSION = "core.reveal_identity"

User = AbstractBaseUser | AnonymousUser


def roles_of(user: Any) -> set[Role]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_testigo_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = {Role(name) for name in names if name in Role.__members__.values()}
        if user.is_superuser:
            cached.add(Role.ADMINISTRATOR)
        user._testigo_roles = cached
    return set(cached)


def capabilities_of(user: Any) -> frozenset[Capability]:
    caps: set[Capability] = set()
    for role in roles_of(user):
        caps |= MATRIX[role]
    return frozenset(caps)


def can(user: Any, capability: Capability) -> bool:
    return capability in capabilities_of(user)


def is_cleared(user: Any) -> bool:
    """May this user see protected identities (after an explicit, audited reveal)?"""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(REVEAL_PERMISSION))


def require(*capabilities: Capability) -> Callable[[Callable[..., HttpResponse]], Any]:
    """View decorator: anonymous users go to the login page; others need every capability."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect(f"/accounts/login/?next={request.path}")
            if not all(can(request.user, c) for c in capabilities):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_capabilities = capabilities  # type: ignore[attr-defined]
        return wrapped

    return decorator

"""Who is acting: set by the web middleware for a request and by commands for a run."""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from contextvars import ContextVar

_actor: ContextVar[str | None] = ContextVar("testigo_audit_actor", default=None)
_suspended: ContextVar[bool] = ContextVar("testigo_audit_suspended", default=False)


def current_actor() -> str:
    """The acting user's label; a command run without one is attributed to the OS user."""
    actor = _actor.get()
    if actor:
        return actor
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return "os:unknown"


@contextlib.contextmanager
def acting_as(actor: str) -> Iterator[None]:
    """Attribute every audit entry written inside the block to ``actor``."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def user_label(user: object) -> str:
    """The audit label of a Django user: ``user:<id>:<username>``."""
    return f"user:{getattr(user, 'pk', '?')}:{getattr(user, 'username', '?')}"


@contextlib.contextmanager
def signals_suspended() -> Iterator[None]:
    """Within the block the per-row signal handlers stay silent.

    Only for bulk services that write their own audit entries for the same rows.
    """
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def signals_are_suspended() -> bool:
    return _suspended.get()

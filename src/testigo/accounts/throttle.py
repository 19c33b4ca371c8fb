"""Login throttling: at most 5 failed attempts per user name per minute."""

from __future__ import annotations

from django.core.cache import cache

LIMIT = 5
WINDOW_SECONDS = 60


def _key(username: str) -> str:
    return f"testigo:login-failures:{username.strip().lower()}"


def login_blocked(username: str) -> bool:
    return int(cache.get(_key(username), 0)) >= LIMIT


def login_failed(username: str) -> None:
    key = _key(username)
    if cache.add(key, 1, WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, WINDOW_SECONDS)


def login_succeeded(username: str) -> None:
    cache.delete(_key(username))

"""Shared fixtures. Data is built through services so that the audit trail is exercised."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from testigo.audit.context import acting_as

# CI shares two cores with other jobs: a property test is judged on its properties, not on how
# fast one example ran on a loaded machine.
hypothesis_settings.register_profile(
    "testigo", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("testigo")


@pytest.fixture
def actor():
    """Run the test body as a named actor, as a command or web request would."""
    with acting_as("test:actor"):
        yield "test:actor"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Login throttling lives in the cache: no test inherits another's failed attempts."""
    from django.conf import settings

    if not settings.configured:  # plain tests run without the Django plugin
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# Headless Chromium from Debian's package, driven by Playwright (no downloaded browser).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session; each test opens its own context."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run must install Debian's chromium package")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the live server's database work
    # happens in its own thread, and the test's own ORM calls are synchronous by design.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (English, desktop size) per test."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def log_in(live_server):
    """Signs a user in through the login page (its English or Spanish labels):
    ``log_in(page, username, password)``, back on the dashboard when it returns."""

    def log_in(page, username: str, password: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label(re.compile("User name|Nombre de usuario")).fill(username)
        page.get_by_label(re.compile("^(Password|Contraseña)$")).fill(password)
        page.get_by_role("button", name=re.compile("Log in|Iniciar sesión")).click()
        page.wait_for_url(f"{live_server.url}/")

    return log_in

"""Pages in headless Chromium (the ``browser`` fixture is in tests/conftest.py)."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in this thread; the live server's database work
# happens in its own thread, and the test's own ORM calls are synchronous by design.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()

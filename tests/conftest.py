"""Shared fixtures. Data is built through services so that the audit trail is exercised."""

from __future__ import annotations

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

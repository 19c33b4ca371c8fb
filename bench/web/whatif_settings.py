"""Settings for *what-if* runs: Testigo's settings with the proposed fixes.

Not used by default. ``--settings whatif_settings`` on ``pages.py``/``loadtest.py`` measures the
app as it would be with the proposed change, without touching ``src/``:

* ``ATOMIC_REQUESTS`` off, and :class:`whatif_middleware.AtomicUnsafeRequestsMiddleware` last in
  the middleware: unsafe requests (POST, …) still run their view in one transaction, but page
  reads (GET, HEAD) run in autocommit. With SQLite's ``transaction_mode = IMMEDIATE`` every
  ``atomic`` block takes the database's single write lock at ``BEGIN``, so under
  ``ATOMIC_REQUESTS`` each page view — reads included — holds it while it queries and renders.
* :mod:`whatif_fixes`: the query changes proposed for the slow pages (compartment selectors,
  act-type filter, name search, dashboard cache). The proposed indexes are created in the
  bench database separately (``whatif_fixes.apply_indexes``).
"""

from testigo.config.settings import *  # noqa: F403
from testigo.config.settings import DATABASES, INSTALLED_APPS, MIDDLEWARE

DATABASES["default"]["ATOMIC_REQUESTS"] = False
MIDDLEWARE = [*MIDDLEWARE, "whatif_middleware.AtomicUnsafeRequestsMiddleware"]
INSTALLED_APPS = [*INSTALLED_APPS, "whatif_fixes.WhatIfFixesConfig"]

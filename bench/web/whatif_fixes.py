"""The code changes proposed for the slow pages, applied by monkey-patching for *what-if* runs.

Installed only by ``whatif_settings`` (an app whose ``ready()`` swaps these functions in before
the URLconf is read); ``src/`` is not touched. Each function here is the proposed replacement,
to be copied into the named module as is.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse

DASHBOARD_CACHE_SECONDS = 60


# ---------------------------------------------------------------------------- core/selectors.py


def violations_visible_to(user: Any) -> QuerySet[Any]:
    """Proposed ``selectors.violations_visible_to``: the compartment as an ``id IN (…)`` of
    the case links, not a join + DISTINCT, so filters and ordering stay on the violation."""
    from testigo.accounts.permissions import Capability, can
    from testigo.core.models import Case, Violation
    from testigo.core.selectors import cases_visible_to

    if not can(user, Capability.VIEW_RECORD):
        return Violation.objects.none()
    if can(user, Capability.VIEW_ALL):
        return Violation.objects.all()
    links = Case.violations.through.objects.filter(case__in=cases_visible_to(user))
    return Violation.objects.filter(pk__in=links.values("violation_id"))


def persons_visible_to(user: Any) -> QuerySet[Any]:
    """Proposed ``selectors.persons_visible_to``: one ``id IN (clients UNION victims)`` instead
    of an OR across two LEFT JOIN chains + DISTINCT (which reads every person)."""
    from testigo.accounts.permissions import Capability, can
    from testigo.core.models import Case, Person
    from testigo.core.selectors import cases_visible_to

    if not can(user, Capability.VIEW_RECORD):
        return Person.objects.none()
    if can(user, Capability.VIEW_ALL):
        return Person.objects.all()
    cases = cases_visible_to(user)
    clients = Case.clients.through.objects.filter(case__in=cases).values("person_id")
    victims = Case.violations.through.objects.filter(case__in=cases).values("violation__victim_id")
    return Person.objects.filter(pk__in=clients.union(victims))


# ---------------------------------------------------------------------------- core/views.py


def act_type_id(code: str) -> int | None:
    """Proposed helper in ``views``: the act type's id, so lists filter on the indexed column
    (``act_type_id = n``) instead of joining the vocabulary (``act_type__code = 'x'``)."""
    from testigo.core.models import VocabularyTerm

    return (
        VocabularyTerm.objects.filter(vocabulary="act_type", code=code)
        .values_list("id", flat=True)
        .first()
    )


#: Up to this many matching persons, a violation search looks their violations up by victim.
VICTIMS_BY_ID = 2000


def victims_matching(query: str) -> Any:
    """Proposed helper in ``views``: the persons a name search matches. On PostgreSQL, a list
    of ids when there are few: the planner overestimates ``LIKE`` matches and otherwise walks
    every violation newest-first testing each victim's name (0.4 s for a rare name); with the
    ids it reads their violations through the victim index. SQLite already plans the subquery
    first (as a list), and the extra round trip only costs it, so it keeps the subquery."""
    from django.db import connection

    from testigo.core import selectors
    from testigo.core.models import Person

    persons = selectors.search_filter(Person.objects.all(), query)
    if connection.vendor != "postgresql":
        return persons
    ids = list(persons.order_by().values_list("id", flat=True)[: VICTIMS_BY_ID + 1])
    return ids if len(ids) <= VICTIMS_BY_ID else persons


def _violation_filters(qs: QuerySet[Any], data: dict[str, Any], who: Any) -> QuerySet[Any]:
    """Proposed ``views._violation_filters``: the name search and the act-type lines change."""
    if data.get("q"):
        query = data["q"].strip()
        if who.can_search_names():
            qs = qs.filter(victim__in=victims_matching(query))
        else:
            qs = qs.filter(victim__pseudonym_code__iexact=query)
    if data.get("act_type"):
        qs = qs.filter(act_type_id=act_type_id(data["act_type"]))
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("date_from"):
        qs = qs.filter(date__gte=data["date_from"])
    if data.get("date_to"):
        qs = qs.filter(date__lt=data["date_to"] + "~")
    return qs


def _record_filters(qs: QuerySet[Any], data: dict[str, Any], who: Any) -> QuerySet[Any]:
    """Proposed ``views._record_filters``: only the act-type line changes."""
    from testigo.core import selectors

    if data.get("q") and who.can_search_names():
        qs = selectors.search_filter(qs, data["q"])
    if data.get("source"):
        qs = qs.filter(source=data["source"])
    if data.get("act_type"):
        qs = qs.filter(act_type_id=act_type_id(data["act_type"]))
    if data.get("unlinked"):
        qs = qs.filter(person__isnull=True)
    return qs


def _dashboard_figures(user: Any) -> tuple[dict[str, int], list[tuple[int, int]]]:
    """Proposed helper in ``views``: the totals and violations per act type. Whole-record
    figures are cached for a minute (counting millions of rows takes about half a second);
    a compartment's are small and always fresh."""
    from django.core.cache import cache

    from testigo.accounts.permissions import Capability, can
    from testigo.core import selectors

    whole = can(user, Capability.VIEW_ALL)
    if whole and (cached := cache.get("testigo:dashboard")) is not None:
        return cached
    by_act = list(
        selectors.violations_visible_to(user)
        .order_by()
        .values_list("act_type_id")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    figures = (
        {
            "records": selectors.records_visible_to(user).count(),
            "persons": selectors.persons_visible_to(user).count(),
            "violations": sum(n for _, n in by_act),
            "sources": selectors.sources_visible_to(user).count(),
        },
        by_act,
    )
    if whole:
        cache.set("testigo:dashboard", figures, DASHBOARD_CACHE_SECONDS)
    return figures


def dashboard(request: HttpRequest) -> HttpResponse:
    """Proposed ``views.dashboard`` (keep its ``@require(Capability.VIEW_RECORD)``)."""
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    from testigo.audit.models import AuditEntry
    from testigo.core.models import VocabularyTerm

    figures, by_act = _dashboard_figures(request.user)
    labels = {t.pk: t.label for t in VocabularyTerm.objects.filter(vocabulary="act_type")}
    counts = {
        _("Records"): figures["records"],
        _("Persons"): figures["persons"],
        _("Violations"): figures["violations"],
        _("Sources"): figures["sources"],
    }
    recent = AuditEntry.objects.filter(actor__startswith=f"user:{request.user.pk}:").order_by(
        "-seq"
    )[:10]
    return render(
        request,
        "core/dashboard.html",
        {
            "counts": counts,
            "by_act": [(labels.get(pk, "?"), n) for pk, n in by_act],
            "recent": recent,
        },
    )


# ---------------------------------------------------------------------------- a migration

#: Proposed ``core/migrations/0005_search_indexes.py``, different per database.
#: PostgreSQL: a trigram index makes ``search_text LIKE '% frag%'`` an index lookup instead of a
#: scan of every person; an index on the violation date keeps a month filter on a quiet month
#: from scanning (and from a bad plan when the estimate for the text range is off).
#: SQLite: no trigram index exists; a partial index holding the search key in pseudonym order
#: lets the name search scan that index alone instead of visiting every row (-35 % CPU). No
#: date index there: with one, SQLite's planner sorts a busy month (200,000 rows) instead of
#: walking the newest violations (1.9 s instead of 1 ms, measured).
INDEX_SQL = {
    "postgresql": (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX IF NOT EXISTS core_person_search_text_trgm "
        "ON core_person USING gin (search_text gin_trgm_ops)",
        "CREATE INDEX IF NOT EXISTS core_violation_date_idx ON core_violation (date)",
    ),
    "sqlite": (
        "CREATE INDEX IF NOT EXISTS core_person_search_scan "
        "ON core_person (pseudonym_code, search_text) WHERE deleted_at IS NULL",
    ),
}


def apply_indexes() -> list[str]:
    """Create the proposed indexes in the bench database (what-if runs); returns the SQL."""
    from django.db import connection

    statements = INDEX_SQL.get(connection.vendor, ())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE core_person")
            cursor.execute("ANALYZE core_violation")
    return list(statements)


# ---------------------------------------------------------------------------- installing


def install() -> None:
    """Swap the proposed functions in (before the URLconf imports the views)."""
    from testigo.accounts.permissions import Capability, require
    from testigo.core import selectors, views

    selectors.violations_visible_to = violations_visible_to
    selectors.persons_visible_to = persons_visible_to
    views.VIOLATIONS.apply_filters = _violation_filters
    views.RECORDS.apply_filters = _record_filters
    views.dashboard = require(Capability.VIEW_RECORD)(dashboard)
    # records_visible_to and the other selectors look persons_visible_to up in the module.


class WhatIfFixesConfig(AppConfig):
    """Installs the proposed fixes when Django starts (what-if runs only)."""

    name = "whatif_fixes"
    label = "whatif_fixes"

    def ready(self) -> None:
        install()

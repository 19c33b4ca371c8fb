"""Server time of the staff pages, in process (``django.test.Client``), with a raw-SQL anchor.

For each page, ``--requests`` GETs with varied parameters (other pages of a list, other names,
months, act types, ids) as a logged-in, cleared analyst — and the compartmented lists as a
lawyer. The time is the whole Django request (middleware, session, queries, template), without
the network. Each page stops early after ``--budget`` seconds so a pathological page cannot hold
the machine. Next to the wall time, the CPU time of the request's thread: on SQLite it
includes the queries (same process), so when the machine is shared it shows how much of a slow
wall time is waiting for a core.

Anchor, measured right after each page on the same parameters: the SELECTs that page issued
(captured with ``CaptureQueriesContext``), run again as raw SQL on a plain DB-API connection,
without Django. ``page / SQL`` then reads as the cost Django adds; a page whose SQL alone
misses the target needs an index or a different query, not faster Python.

    .venv/bin/python bench/web/pages.py --data-dir DIR [--database-url URL] [--requests 50]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_SETTINGS, django_setup, sqlite_url, summary
from load import misspell

TARGET_MS = 200.0


@dataclass
class PageResult:
    """Timings of one page (milliseconds)."""

    name: str
    role: str
    example: str
    server: dict[str, float]
    cpu: dict[str, float]
    sql: dict[str, float]
    queries: float
    statuses: dict[str, int]
    slowest_sql: str = ""
    slowest_sql_ms: float = 0.0
    plan: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.server["p95"] < TARGET_MS and set(self.statuses) == {"200"}


class RawSQL:
    """A plain DB-API connection to the same database, for the anchor."""

    def __init__(self) -> None:
        from django.db import connection

        settings = connection.settings_dict
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            import psycopg

            self.conn: Any = psycopg.connect(
                dbname=settings["NAME"],
                user=settings["USER"] or None,
                host=settings["HOST"] or None,
                port=settings["PORT"] or None,
                password=settings["PASSWORD"] or None,
                autocommit=True,
            )
        else:
            self.conn = sqlite3.connect(settings["NAME"])

    def run(self, sql: str) -> float:
        """Execute one statement, fetch every row; return milliseconds."""
        started = time.perf_counter()
        cursor = self.conn.execute(sql)
        cursor.fetchall()
        return (time.perf_counter() - started) * 1000

    def plan(self, sql: str) -> list[str]:
        prefix = (
            "EXPLAIN (ANALYZE, BUFFERS) " if self.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        )
        rows = self.conn.execute(prefix + sql).fetchall()
        if self.vendor == "postgresql":
            return [row[0] for row in rows]
        return [" " * 2 * int(row[1] != 0) + str(row[-1]) for row in rows]


def _is_read(sql: str) -> bool:
    head = sql.lstrip().upper()
    return head.startswith("SELECT") or head.startswith("WITH")


@dataclass
class Scenario:
    """One page: a name and a function giving the URL of the i-th request."""

    name: str
    role: str
    url: Callable[[int], str]


def scenarios(rng: random.Random, lawyer: Any) -> list[Scenario]:
    """The pages of issue #3, with varied parameters drawn from the loaded data."""
    from testigo.core.models import Case, Person, Record, Violation, VocabularyTerm

    top_person = Person.all_objects.order_by("-id").values_list("id", flat=True).first() or 1
    top_violation = Violation.all_objects.order_by("-id").values_list("id", flat=True).first() or 1
    top_record = Record.all_objects.order_by("-id").values_list("id", flat=True).first() or 1
    acts = list(VocabularyTerm.objects.filter(vocabulary="act_type").values_list("code", flat=True))
    main_acts = [a for a in ("torture", *acts) if a in acts][:10]
    statuses = ["alleged", "corroborated", "verified"]
    months = [f"{y}-{m:02d}" for y, m in [(2024, 8), (2024, 7), (2024, 9), (2025, 1)]]
    months += [f"{rng.randrange(2014, 2027)}-{rng.randrange(1, 13):02d}" for _ in range(200)]

    def sample_names(n: int) -> list[str]:
        ids = [rng.randrange(1, top_person + 1) for _ in range(n)]
        by_id = dict(Person.all_objects.filter(pk__in=ids).values_list("id", "given_names"))
        surnames = dict(Person.all_objects.filter(pk__in=ids).values_list("id", "surnames"))
        out = []
        for pk in ids:
            given, family = by_id.get(pk, "José"), surnames.get(pk, "Pérez")
            words = given.split()[:1] + family.split()[: rng.choice([1, 1, 2])]
            out.append(misspell(rng, " ".join(words)))
        return out

    names = sample_names(400)
    client_ids = list(
        Person.objects.filter(cases__lawyers=lawyer).values_list("id", flat=True).distinct()
    )
    client_names = [
        misspell(rng, f"{g.split()[0]} {s.split()[0]}")
        for g, s in Person.objects.filter(pk__in=client_ids[:200]).values_list(
            "given_names", "surnames"
        )
        if g and s
    ] or ["Jose Perez"]
    own_cases = list(Case.objects.filter(lawyers=lawyer).values_list("id", flat=True))
    pick = rng.randrange
    q = _quote

    return [
        Scenario("dashboard /", "analyst", lambda i: "/"),
        Scenario("persons list", "analyst", lambda i: f"/persons/?page={1 + i % 10}"),
        Scenario("persons search (misspelled)", "analyst", lambda i: f"/persons/?q={q(names[i])}"),
        Scenario("records list", "analyst", lambda i: f"/records/?page={1 + i % 10}"),
        Scenario("violations list", "analyst", lambda i: f"/violations/?page={1 + i % 10}"),
        Scenario(
            "violations act_type+status",
            "analyst",
            lambda i: (
                "/violations/?act_type=torture&status=alleged"
                if i == 0
                else f"/violations/?act_type={main_acts[i % len(main_acts)]}"
                f"&status={statuses[(i // len(main_acts)) % 3]}"
            ),
        ),
        Scenario(
            "violations month",
            "analyst",
            lambda i: f"/violations/?date_from={months[i]}&date_to={months[i]}",
        ),
        Scenario(
            "violations search (name)", "analyst", lambda i: f"/violations/?q={q(names[-1 - i])}"
        ),
        Scenario("person detail", "analyst", lambda i: f"/persons/{pick(1, top_person + 1)}/"),
        Scenario(
            "violation detail", "analyst", lambda i: f"/violations/{pick(1, top_violation + 1)}/"
        ),
        Scenario("record detail", "analyst", lambda i: f"/records/{pick(1, top_record + 1)}/"),
        Scenario("lawyer: dashboard /", "lawyer", lambda i: "/"),
        Scenario("lawyer: persons", "lawyer", lambda i: f"/persons/?page={1 + i % 3}"),
        Scenario(
            "lawyer: persons search",
            "lawyer",
            lambda i: f"/persons/?q={q(client_names[i % len(client_names)])}",
        ),
        Scenario("lawyer: records", "lawyer", lambda i: f"/records/?page={1 + i % 3}"),
        Scenario("lawyer: violations", "lawyer", lambda i: f"/violations/?page={1 + i % 3}"),
        Scenario(
            "lawyer: violations act_type",
            "lawyer",
            lambda i: f"/violations/?act_type={main_acts[i % len(main_acts)]}",
        ),
        Scenario("lawyer: cases", "lawyer", lambda i: "/cases/"),
        Scenario(
            "lawyer: case detail",
            "lawyer",
            lambda i: f"/cases/{own_cases[i % len(own_cases)]}/",
        ),
    ]


def _quote(text: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(text)


def measure(
    scenario: Scenario,
    client: Any,
    raw: RawSQL,
    *,
    requests: int,
    budget_s: float,
    explain: bool,
) -> PageResult:
    """Time one page: warm-up, timed GETs, then the same GETs captured for the SQL anchor."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(scenario.url(0))  # warm-up: templates, translations, connection
    times: list[float] = []
    cpu: list[float] = []
    statuses: dict[str, int] = {}
    deadline = time.perf_counter() + budget_s
    for i in range(requests):
        started, cpu_started = time.perf_counter(), time.thread_time()
        response = client.get(scenario.url(i))
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
        if time.perf_counter() > deadline:
            break
    # The anchor: the same requests again, capturing their SQL, which is then run raw.
    sql_times: list[float] = []
    counts: list[int] = []
    slowest = ("", 0.0)
    deadline = time.perf_counter() + budget_s
    for i in range(len(times)):
        with CaptureQueriesContext(connection) as captured:
            client.get(scenario.url(i))
        counts.append(len(captured.captured_queries))
        total = 0.0
        for query in captured.captured_queries:
            if not _is_read(query["sql"]):
                continue
            elapsed = raw.run(query["sql"])
            total += elapsed
            if elapsed > slowest[1]:
                slowest = (query["sql"], elapsed)
        sql_times.append(total)
        if time.perf_counter() > deadline:
            break
    server = summary(times)
    result = PageResult(
        name=scenario.name,
        role=scenario.role,
        example=scenario.url(0),
        server=server,
        cpu=summary(cpu),
        sql=summary(sql_times),
        queries=sum(counts) / max(1, len(counts)),
        statuses=statuses,
        slowest_sql=slowest[0],
        slowest_sql_ms=slowest[1],
    )
    if explain and server["p95"] >= TARGET_MS and slowest[0]:
        result.plan = raw.plan(slowest[0])
    return result


def run(requests: int, budget_s: float, seed: int, only: str | None = None) -> list[PageResult]:
    """Measure every page (Django must be set up on a loaded database)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    analyst = users.get(username="bench-analyst-01")
    lawyer = users.get(username="bench-lawyer-01")
    clients = {}
    for role, user in (("analyst", analyst), ("lawyer", lawyer)):
        clients[role] = Client()
        clients[role].force_login(user)
    rng = random.Random(seed)
    raw = RawSQL()
    results = []
    for scenario in scenarios(rng, lawyer):
        if only and only not in scenario.name:
            continue
        result = measure(
            scenario,
            clients[scenario.role],
            raw,
            requests=requests,
            budget_s=budget_s,
            explain=True,
        )
        print(format_row(result), flush=True)
        results.append(result)
    return results


HEADER = (
    f"{'page':<30} {'role':<8} {'n':>3} {'p50':>7} {'p95':>7} {'max':>7} {'CPU p95':>7}  "
    f"{'SQL p50':>7} {'SQL p95':>7} {'p50/SQL':>7} {'queries':>7}  target"
)


def format_row(r: PageResult) -> str:
    ratio = r.server["p50"] / r.sql["p50"] if r.sql["p50"] else float("nan")
    verdict = "ok" if r.ok else ("FAIL" if set(r.statuses) == {"200"} else f"FAIL {r.statuses}")
    return (
        f"{r.name:<30} {r.role:<8} {r.server['n']:>3} {r.server['p50']:>7.1f} "
        f"{r.server['p95']:>7.1f} {r.server['max']:>7.1f} {r.cpu['p95']:>7.1f}  "
        f"{r.sql['p50']:>7.1f} {r.sql['p95']:>7.1f} {ratio:>7.1f} {r.queries:>7.1f}  {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per page at most")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default=None, help="pages whose name contains this")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--settings", default=DEFAULT_SETTINGS, help="Django settings module")
    args = parser.parse_args()
    django_setup(args.data_dir, args.database_url or sqlite_url(args.data_dir), args.settings)
    print(HEADER)
    results = run(args.requests, args.budget, args.seed, args.only)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

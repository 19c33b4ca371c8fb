"""Loopback load test: ``testigo serve`` (gunicorn) and 50 logged-in users at once.

Each user has their own session (created directly in the session store: the bench users have no
passwords, so the Argon2 login form is not part of the figure) and makes a bounded sequence of
mixed page requests with no think time, the worst case for the server: lists, searches with
misspelled names, filters and detail pages; lawyers stay inside their compartment. Reported:
throughput, client-side latency percentiles, server-side time (gunicorn's ``%(D)s``), errors
(any status but 200, or a failed request).

Anchor, in the same run against the same server and the same 50 connections: a static file
(the stylesheet, served by WhiteNoise inside the same gunicorn workers), so ``pages / static``
reads as the cost of a page over the bare HTTP + WSGI path.

    .venv/bin/python bench/web/loadtest.py --data-dir DIR [--database-url URL] [--users 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEFAULT_SETTINGS, django_setup, percentile, sqlite_url, summary
from load import misspell

HOST = "127.0.0.1"
STATIC = "/static/testigo/testigo.css"
ACCESS_FORMAT = '%(s)s %(D)s "%(r)s"'


@dataclass
class LoadResult:
    """One phase of the load test."""

    label: str
    users: int
    requests: int
    errors: int
    seconds: float
    client_ms: dict[str, float]
    server_ms: dict[str, float] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        c = self.client_ms
        s = self.server_ms or {"p50": float("nan"), "p95": float("nan")}
        return (
            f"{self.label:<22} {self.users:>5} {self.requests:>6} {self.errors:>6} "
            f"{self.throughput:>8.1f} {c['p50']:>7.1f} {c['p95']:>7.1f} {c['p99']:>7.1f} "
            f"{c['max']:>8.1f}  {s['p50']:>7.1f} {s['p95']:>7.1f}"
        )


HEADER = (
    f"{'phase':<22} {'users':>5} {'reqs':>6} {'errors':>6} {'req/s':>8} {'p50':>7} {'p95':>7} "
    f"{'p99':>7} {'max':>8}  {'srv p50':>7} {'srv p95':>7}   (ms)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Plan:
    """A user's session cookie and the URLs they will fetch, in order."""

    role: str
    cookie: str
    urls: list[str]


def plans(users: int, per_user: int, seed: int) -> list[Plan]:
    """Sessions and request sequences for ``users`` users (a fifth of them lawyers)."""
    from urllib.parse import quote_plus

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from testigo.core.models import Person, Violation, VocabularyTerm

    rng = random.Random(seed)
    model = get_user_model()
    staff = list(
        model.objects.filter(username__startswith="bench-")
        .exclude(username__startswith="bench-lawyer-")
        .order_by("username")
    )
    lawyers = list(model.objects.filter(username__startswith="bench-lawyer-").order_by("username"))
    n_lawyers = max(1, users // 5)
    chosen = [lawyers[i % len(lawyers)] for i in range(n_lawyers)]
    chosen += [staff[i % len(staff)] for i in range(users - n_lawyers)]
    top_person = Person.all_objects.order_by("-id").values_list("id", flat=True).first() or 1
    top_violation = Violation.all_objects.order_by("-id").values_list("id", flat=True).first() or 1
    acts = list(VocabularyTerm.objects.filter(vocabulary="act_type").values_list("code", flat=True))
    sample = rng.sample(range(1, top_person + 1), min(top_person, 2000))
    names = [
        misspell(rng, f"{g.split()[0]} {s.split()[0]}")
        for g, s in Person.objects.filter(pk__in=sample).values_list("given_names", "surnames")
        if g and s
    ]
    out = []
    for user in chosen:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        lawyer = user.username.startswith("bench-lawyer-")
        if lawyer:
            menu = _lawyer_menu(rng, user)
        else:
            menu = [
                lambda: "/",
                lambda: f"/persons/?page={rng.randint(1, 5)}",
                lambda: f"/persons/?q={quote_plus(rng.choice(names))}",
                lambda: f"/persons/{rng.randint(1, top_person)}/",
                lambda: f"/records/?page={rng.randint(1, 5)}",
                lambda: f"/violations/?page={rng.randint(1, 5)}",
                lambda: f"/violations/?act_type={rng.choice(acts)}&status=alleged",
                lambda: "/violations/?date_from=2024-08&date_to=2024-08",
                lambda: f"/violations/?q={quote_plus(rng.choice(names))}",
                lambda: f"/violations/{rng.randint(1, top_violation)}/",
            ]
        urls = [menu[i % len(menu)]() for i in range(per_user)]
        rng.shuffle(urls)
        out.append(Plan("lawyer" if lawyer else "staff", cookie, urls))
    return out


def _lawyer_menu(rng: random.Random, user: Any) -> list[Callable[[], str]]:
    """A lawyer's pages: their compartment's lists, cases, clients and violations."""
    from testigo.core.models import Case, Person, Violation

    own_persons = list(Person.objects.filter(cases__lawyers=user).values_list("id", flat=True))
    own_violations = list(
        Violation.objects.filter(cases__lawyers=user).values_list("id", flat=True)[:500]
    )
    own_cases = list(Case.objects.filter(lawyers=user).values_list("id", flat=True))
    return [
        lambda: "/",
        lambda: f"/persons/?page={rng.randint(1, 3)}",
        lambda: f"/violations/?page={rng.randint(1, 3)}",
        lambda: f"/records/?page={rng.randint(1, 3)}",
        lambda: "/cases/",
        lambda: f"/cases/{rng.choice(own_cases)}/",
        lambda: f"/persons/{rng.choice(own_persons)}/",
        lambda: f"/violations/{rng.choice(own_violations)}/",
    ]


async def _user(
    base: str, plan: Plan, deadline: float, timeout: float, sink: dict[str, Any]
) -> None:
    import httpx

    async with httpx.AsyncClient(
        base_url=base, headers={"Cookie": plan.cookie}, timeout=timeout, follow_redirects=False
    ) as client:
        for url in plan.urls:
            if time.perf_counter() > deadline:
                sink["skipped"] += 1
                continue
            started = time.perf_counter()
            try:
                response = await client.get(url)
                elapsed = (time.perf_counter() - started) * 1000
                sink["latency"].append(elapsed)
                if response.status_code != 200:
                    sink["errors"].append(f"{response.status_code} {url}")
                else:
                    await response.aread()
            except httpx.HTTPError as exc:
                sink["latency"].append((time.perf_counter() - started) * 1000)
                sink["errors"].append(f"{type(exc).__name__} {url}")


async def _phase(base: str, user_plans: list[Plan], limit_s: float, timeout: float) -> dict:
    sink: dict[str, Any] = {"latency": [], "errors": [], "skipped": 0}
    deadline = time.perf_counter() + limit_s
    started = time.perf_counter()
    await asyncio.gather(*(_user(base, p, deadline, timeout, sink) for p in user_plans))
    sink["seconds"] = time.perf_counter() - started
    return sink


def run_phase(
    label: str, base: str, user_plans: list[Plan], limit_s: float, timeout: float, log: Path
) -> LoadResult:
    """Run one phase; server times are read from the access log lines it added."""
    offset = log.stat().st_size if log.exists() else 0
    sink = asyncio.run(_phase(base, user_plans, limit_s, timeout))
    time.sleep(0.5)  # let gunicorn flush the access log
    paths = {url for plan in user_plans for url in plan.urls}
    server: list[float] = []
    with log.open(encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        for line in handle:
            parts = line.split(" ", 3)  # status, microseconds, "GET <path> HTTP/1.1"
            if (
                len(parts) == 4
                and parts[0].isdigit()
                and parts[1].isdigit()
                and parts[3].split(" ")[0] in paths
            ):
                server.append(int(parts[1]) / 1000)
    latency = sink["latency"]
    client = summary(latency)
    client["p99"] = percentile(latency, 99)
    errors = sink["errors"] + [f"not sent (time limit): {sink['skipped']}"] * bool(sink["skipped"])
    return LoadResult(
        label=label,
        users=len(user_plans),
        requests=len(latency),
        errors=len(sink["errors"]) + sink["skipped"],
        seconds=sink["seconds"],
        client_ms=client,
        server_ms=summary(server) if server else {},
        error_samples=errors[:10],
    )


def serve(port: int, log: Path, workers: int, threads: int) -> subprocess.Popen[bytes]:
    """Start ``testigo serve`` on loopback and wait until it answers."""
    import httpx

    env = dict(os.environ)
    env["GUNICORN_CMD_ARGS"] = f"--access-logfile - --access-logformat '{ACCESS_FORMAT}'"
    env["PYTHONUNBUFFERED"] = "1"  # the access log goes to a file: write each line at once
    testigo = Path(sys.executable).with_name("testigo")
    handle = log.open("ab")
    command = [str(testigo), "serve", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"testigo serve exited with {process.returncode}; see {log}")
        try:
            if httpx.get(f"http://{HOST}:{port}{STATIC}", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop(process)
    raise SystemExit(f"testigo serve did not answer within 60 s; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn we started (its own process group), gracefully first."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def run(
    *,
    data_dir: Path,
    users: int,
    per_user: int,
    workers: int,
    threads: int,
    limit_s: float,
    timeout: float,
    seed: int,
) -> list[LoadResult]:
    """Start the server, run the page phase and the static anchor, stop the server."""
    user_plans = plans(users, per_user, seed)
    static_plans = [Plan(p.role, p.cookie, [STATIC] * per_user) for p in user_plans]
    from django.db import connections

    connections.close_all()
    port = free_port()
    log = data_dir / f"gunicorn-{port}.log"
    process = serve(port, log, workers, threads)
    base = f"http://{HOST}:{port}"
    try:
        # Warm every worker (imports, templates, connections) before timing.
        run_phase("warm-up", base, [Plan("", user_plans[0].cookie, ["/"] * 4)] * 4, 60, 60, log)
        # The anchor first, so no page request still in flight can slow it.
        results = [
            run_phase("anchor: static file", base, static_plans, limit_s, timeout, log),
            run_phase("pages (mixed)", base, user_plans, limit_s, timeout, log),
        ]
    finally:
        stop(process)
    for result in results:
        print(result.line(), flush=True)
        for sample in result.error_samples:
            print(f"    error: {sample}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests-per-user", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="as `testigo serve` defaults")
    parser.add_argument("--threads", type=int, default=8, help="as `testigo serve` defaults")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds per phase at most")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--settings", default=DEFAULT_SETTINGS, help="Django settings module")
    args = parser.parse_args()
    url = args.database_url or sqlite_url(args.data_dir)
    django_setup(args.data_dir, url, args.settings)
    print(HEADER)
    results = run(
        data_dir=args.data_dir,
        users=args.users,
        per_user=args.requests_per_user,
        workers=args.workers,
        threads=args.threads,
        limit_s=args.limit,
        timeout=args.timeout,
        seed=args.seed,
    )
    if args.json:
        payload = [asdict(r) | {"throughput": r.throughput} for r in results]
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

"""Shared helpers for the web benchmark: environment set-up, databases, percentiles."""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

#: Hosts the in-process client and the load test use (django.test.Client says "testserver").
ALLOWED_HOSTS = "127.0.0.1,localhost,testserver"


HERE = Path(__file__).resolve().parent
DEFAULT_SETTINGS = "testigo.config.settings"


def configure(data_dir: Path, database_url: str, settings: str = DEFAULT_SETTINGS) -> None:
    """Point Testigo's settings at ``data_dir`` and ``database_url`` (before Django starts).

    ``settings`` may name a module in bench/web (the what-if variants); child processes find
    it through ``PYTHONPATH``.
    """
    os.environ["TESTIGO_DATA_DIR"] = str(data_dir)
    os.environ["TESTIGO_DATABASE_URL"] = database_url
    os.environ["TESTIGO_ALLOWED_HOSTS"] = ALLOWED_HOSTS
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(HERE) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE), *paths])


def django_setup(data_dir: Path, database_url: str, settings: str = DEFAULT_SETTINGS) -> None:
    """Configure and start Django in this process."""
    configure(data_dir, database_url, settings)
    import django

    django.setup()


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir}/bench.sqlite3"


def _admin_url(database_url: str) -> tuple[str, str]:
    """The server's maintenance-database URL and the database name in ``database_url``."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def pg_create(database_url: str) -> None:
    """Create a fresh, empty PostgreSQL database (dropping one of that name first)."""
    import psycopg

    admin, name = _admin_url(database_url)
    if not name.startswith("testigo_bench"):
        raise SystemExit(f"refusing to recreate {name!r}: bench database names start testigo_bench")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def pg_drop(database_url: str) -> None:
    """Drop the benchmark database."""
    import psycopg

    admin, name = _admin_url(database_url)
    if not name.startswith("testigo_bench"):
        raise SystemExit(f"refusing to drop {name!r}: bench database names start testigo_bench")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, max and mean of a list of milliseconds."""
    return {
        "n": len(values_ms),
        "p50": percentile(values_ms, 50),
        "p95": percentile(values_ms, 95),
        "max": max(values_ms) if values_ms else math.nan,
        "mean": statistics.fmean(values_ms) if values_ms else math.nan,
    }

"""The whole web benchmark for issue #3, on SQLite and/or PostgreSQL, in one command.

For each database: load 1,000,000 violations into a fresh database (``load.py``), time the
pages in process (``pages.py``) and run the loopback load test (``loadtest.py``). Each step
runs in its own process; results go to ``bench/web/out/`` (not kept in git: the figures are
recorded in docs/benchmarks.md). The PostgreSQL database is
dropped at the end (``--keep`` keeps it and the SQLite data directory).

    .venv/bin/python bench/web/run.py [--databases sqlite,postgresql] [--requests 50]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HERE, pg_drop, sqlite_url

BENCH_DIR = HERE
OUT = HERE / "out"
PG_URL = "postgresql://postgres@127.0.0.1:5432/testigo_bench_web"


def step(args: list[str], log: Path) -> None:
    """Run one benchmark script, echoing its output and keeping a copy in ``log``."""
    print(f"$ {' '.join(args)}", flush=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        process = subprocess.Popen(
            [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            out.write(line)
        if process.wait() != 0:
            raise SystemExit(f"{args[0]} failed with {process.returncode}; see {log}")
    sys.stdout.flush()


def environment() -> dict[str, str]:
    """Where and on what the figures were taken."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--short", "--", ":/src"], capture_output=True, text=True, cwd=HERE
    ).stdout.count("\n")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "git": f"{head} (+{dirty} changed files under src/)",
        "cpus": str(os.cpu_count()),
        "load average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def run_database(
    name: str, url: str | None, requests: int, keep: bool, violations: int, out: Path
) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix=f"testigo-bench-web-{name}-"))
    url = url or sqlite_url(data_dir)
    log = out / f"{name}.log"
    log.write_text("", encoding="utf-8")
    env = environment()
    (out / f"{name}-env.json").write_text(json.dumps(env, indent=1), encoding="utf-8")
    print(f"== {name}: {env}", flush=True)
    common = ["--data-dir", str(data_dir), "--database-url", url]
    try:
        step([str(HERE / "load.py"), *common, "--violations", str(violations)], log)
        step(
            [str(HERE / "pages.py"), *common, "--requests", str(requests), "--json",
             str(out / f"{name}-pages.json")],
            log,
        )  # fmt: skip
        step([str(HERE / "loadtest.py"), *common, "--json", str(out / f"{name}-load.json")], log)
        env["load average (end)"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
        (out / f"{name}-env.json").write_text(json.dumps(env, indent=1), encoding="utf-8")
    finally:
        logs = Path(tempfile.gettempdir()) / "testigo-bench-web-logs"
        logs.mkdir(exist_ok=True)
        for server_log in data_dir.glob("gunicorn-*.log"):
            shutil.copy(server_log, logs / f"{name}-{server_log.name}")
        if not keep:
            if url.startswith("postgres"):
                pg_drop(url)
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"kept: {data_dir} {url}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_URL, help="dropped and recreated")
    parser.add_argument("--requests", type=int, default=50, help="per page, in process")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--violations", type=int, default=1_000_000, help="smaller for a try")
    parser.add_argument("--out", type=Path, default=OUT, help="where results go")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name in args.databases.split(","):
        if name == "sqlite":
            run_database("sqlite", None, args.requests, args.keep, args.violations, out)
        elif name == "postgresql":
            run_database("postgresql", args.pg_url, args.requests, args.keep, args.violations, out)
        else:
            raise SystemExit(f"unknown database {name!r}")
    print(f"results in {out}; `.venv/bin/python bench/web/report.py --out {out}` prints tables")


if __name__ == "__main__":
    main()

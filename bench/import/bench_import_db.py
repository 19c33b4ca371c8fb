"""Benchmark: importing N CSV rows (default 1,000,000) into the database through the real service.

Issue #4's target: 1,000,000 rows in under 2 minutes on SQLite, memory flat under 1 GB. The rows
are the demo generator's raw rows as its sources write them (Spanish headers, mixed date
formats, full names, places), cycled to N, as in bench_read.py. Each stage runs in its own
process against a fresh database that already holds the reference data (vocabularies, the
country pack), so that its time and peak memory are its own:

    anchor    the same rows into the record table with executemany in one transaction: csv
              reader, raw row as JSON, nothing else (no normalisation, no checks, no audit);
              the floor for writing these rows to this database on this machine
    import    `import_file`, the code path of `testigo import`: read and hash the file, map and
              normalise every row on worker processes, check keys, write records and their audit
              entries in one transaction
    reimport  the same file again: every row is compared with its record and found unchanged
              (--reimport)

Memory: "peak RSS" is the stage process's own peak (VmHWM), "workers" the largest peak of one
worker process, "all" the largest sum of the process and its workers, sampled twice a second.

The source's mapping is the automatic one, accepting `place_not_found` (the generated data has
a few places outside the gazetteer), as a documenter would for such a source.

    .venv/bin/python bench/import/bench_import_db.py [--rows 1000000] [--reimport]
    .venv/bin/python bench/import/bench_import_db.py --database-url postgresql://postgres@127.0.0.1:5432/testigo_bench_import
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: ru_maxrss would include the parent's)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _TreeRss:
    """Samples the resident memory of this process plus its children (the import's worker
    processes) twice a second; `peak_mb` is the largest sum seen: parent + workers together."""

    def __init__(self, every: float = 0.5) -> None:
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss_kb(pid: int | str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _children(self) -> list[str]:
        me, found = str(os.getpid()), []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if stat.rsplit(")", 1)[1].split()[1] == me:
                    found.append(entry.name)
        return found

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            total = self._rss_kb("self") + sum(self._rss_kb(pid) for pid in self._children())
            self.peak_kb = max(self.peak_kb, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testigo.config.settings")
    import django

    django.setup()


# ---------------------------------------------------------------------------- stages


def setup_database() -> None:
    """Migrate and load the reference data (not timed)."""
    _django()
    from django.core.management import call_command

    from testigo.audit.context import acting_as
    from testigo.imports.services import reference_data_ensure

    call_command("migrate", verbosity=0)
    with acting_as("system:bench"):
        reference_data_ensure()


def stage_anchor(path: Path) -> dict[str, Any]:
    _django()
    from django.db import connection, transaction
    from django.utils import timezone

    from testigo.core.models import Source

    start = time.perf_counter()
    pg = connection.vendor == "postgresql"
    json_mark = "%s::jsonb" if pg else "%s"
    sql = (
        "INSERT INTO core_record (created_at, updated_at, source_id, external_key, version, "
        "source_file_sha256, source_row, raw, given_names, surnames, sex, national_id, "
        "detention_status, problems, search_text) VALUES "
        f"(%s, %s, %s, %s, 1, %s, %s, {json_mark}, '', '', '', '', '', {json_mark}, '')"
    )
    rows = 0
    with transaction.atomic():
        source = Source.objects.create(name="anchor", kind="ngo_list")
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with path.open(encoding="utf-8", newline="") as stream, connection.cursor() as cursor:
            reader = csv.reader(stream)
            header = next(reader)
            batch: list[tuple[Any, ...]] = []
            for number, cells in enumerate(reader, start=2):
                raw = json.dumps(dict(zip(header, cells, strict=False)))
                batch.append((now, now, source.pk, str(number), "0" * 64, number, raw, "[]"))
                if len(batch) == 1000:
                    cursor.executemany(sql, batch)
                    rows += len(batch)
                    batch = []
            cursor.executemany(sql, batch)
            rows += len(batch)
    return {"rows": rows, "seconds": time.perf_counter() - start}


def stage_import(path: Path, workers: int | None) -> dict[str, Any]:
    _django()
    from testigo.imports.mapfile import SourceMapping
    from testigo.imports.services import import_file
    from testigo.tabular import auto_mapping

    with path.open(encoding="utf-8", newline="") as stream:
        header = next(csv.reader(stream))
    mapping = SourceMapping(auto_mapping(header))
    mapping.mapping.accept = ["place_not_found"]
    start = time.perf_counter()
    report = import_file(
        actor="system:bench",
        path_or_file=path,
        source_name="bench",
        mapping=mapping,
        row_limit=10_000_000,
        workers=workers,
    )
    seconds = time.perf_counter() - start
    if not report.valid:
        raise SystemExit(f"the import was refused: {report.validation.problem_counts}")
    return {
        "rows": report.validation.records,
        "seconds": seconds,
        "created": report.created,
        "unchanged": report.unchanged,
        "workers": report.workers,
        "warnings": report.validation.warnings,
    }


def run_stage(stage: str, path: Path, workers: int | None) -> dict[str, Any]:
    if stage == "setup":
        setup_database()
        return {}
    tree = _TreeRss()
    result = stage_anchor(path) if stage == "anchor" else stage_import(path, workers)
    result["tree_peak_rss_mb"] = tree.stop()
    result["peak_rss_mb"] = _peak_rss_mb()
    result["workers_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["cpu_main_s"] = _cpu(resource.RUSAGE_SELF)
    result["cpu_workers_s"] = _cpu(resource.RUSAGE_CHILDREN)
    return result


# ---------------------------------------------------------------------------- driver


def _database_env(base_url: str | None, name: str, work: Path) -> dict[str, str]:
    env = {**os.environ, "TESTIGO_DATA_DIR": str(work / f"{name}-data")}
    if base_url is None:
        env["TESTIGO_DATABASE_URL"] = f"sqlite:///{work / f'{name}.sqlite3'}"
        return env
    import psycopg

    server, _, database = base_url.rpartition("/")
    database = f"{database}_{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        connection.execute(f'CREATE DATABASE "{database}"')
    env["TESTIGO_DATABASE_URL"] = f"{server}/{database}"
    return env


def _drop_databases(base_url: str | None) -> None:
    """Drop the PostgreSQL databases this run created (nothing to do for SQLite)."""
    if base_url is None:
        return
    import psycopg

    server, _, database = base_url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        for name in ("anchor", "import"):
            connection.execute(f'DROP DATABASE IF EXISTS "{database}_{name}" WITH (FORCE)')


def _in_subprocess(stage: str, path: Path, env: dict[str, str], workers: int | None) -> Any:
    command = [sys.executable, __file__, "--stage", stage, "--file", str(path)]
    if workers is not None:
        command += ["--workers", str(workers)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=50_000, help="generated rows, then cycled")
    parser.add_argument("--database-url", help="PostgreSQL server and base name (default SQLite)")
    parser.add_argument("--workers", type=int, default=None, help="default: the service's choice")
    parser.add_argument("--reimport", action="store_true", help="also import the file again")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, Path(args.file), args.workers)))
        return
    work = Path(tempfile.mkdtemp(prefix="testigo-bench-import-db-"))
    try:
        _bench(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
            _drop_databases(args.database_url)


def _bench(args: argparse.Namespace, work: Path) -> None:
    sys.path.insert(0, str(HERE))
    from bench_read import generate_csv  # the read benchmark's rows

    path = work / "rows.csv"
    started = time.perf_counter()
    generate_csv(path, args.rows, min(args.distinct, args.rows))
    size = path.stat().st_size / 2**20
    took = time.perf_counter() - started
    print(f"generated {args.rows:,} rows ({size:,.0f} MiB) in {took:.0f} s")
    database = "PostgreSQL" if args.database_url else "SQLite"
    results: dict[str, dict[str, Any]] = {}
    for stage in ("anchor", "import"):
        env = _database_env(args.database_url, stage, work)
        _in_subprocess("setup", path, env, None)
        load = _load()
        results[stage] = _in_subprocess(stage, path, env, args.workers)
        results[stage]["load"] = load
        print(f"{stage}: {results[stage]}", flush=True)
        if stage == "import" and args.reimport:
            load = _load()
            results["reimport"] = _in_subprocess("import", path, env, args.workers)
            results["reimport"]["load"] = load
            print(f"reimport: {results['reimport']}", flush=True)
    anchor = results["anchor"]["seconds"]
    print(f"\n{database}, {args.rows:,} rows ({size:,.0f} MiB)")
    print(
        f"{'stage':<10}{'seconds':>9}{'rows/s':>10}{'× anchor':>10}{'peak RSS MiB':>14}"
        f"{'workers MiB':>13}{'all MiB':>9}{'CPU main s':>12}{'CPU workers s':>15}"
        "  load (1/5/15 min)"
    )
    for stage, r in results.items():
        print(
            f"{stage:<10}{r['seconds']:>9.1f}{r['rows'] / r['seconds']:>10,.0f}"
            f"{r['seconds'] / anchor:>10.2f}{r['peak_rss_mb']:>14,.0f}"
            f"{r['workers_peak_rss_mb']:>13,.0f}{r.get('tree_peak_rss_mb', 0):>9,.0f}"
            f"{r['cpu_main_s']:>12.1f}{r['cpu_workers_s']:>15.1f}"
            f"  {r['load']}"
        )
    out = ROOT / "bench" / "out" / f"import_db_{database.lower()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": args.rows, "mib": size, "results": results}, indent=2))


if __name__ == "__main__":
    main()

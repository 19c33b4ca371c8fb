"""Benchmark: reading and normalising N CSV rows (default 1,000,000) with `testigo.tabular`.

The engine half of issue #4's import benchmark (the database writes are measured elsewhere).
Realistic Spanish rows — the demo generator's raw rows, as its sources write them, cycled to N —
are written to a temporary CSV; then each stage runs in its own process, so that its peak RSS
is its own, next to anchors measured in the same run on the same file:

    wc -l            counting lines (the floor for touching the bytes)
    csv.reader       Python's csv module: decode and split, no dicts, no checks
    read             open_table: encoding/delimiter detection, SHA-256, row dicts, checks
    normalise        read + normalise_reported(row.values) per row (dates, names, IDs, places...)
    map              read + RowMapper with the automatic mapping (normalise_reported plus
                     problems with columns, ambiguity checks, unresolved places)
    xlsx             open_table over an XLSX of the first --xlsx-rows rows (read only)

    .venv/bin/python bench/import/bench_read.py [--rows 1000000] [--xlsx-rows 100000] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = ("csv.reader", "read", "normalise", "map")


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, because ru_maxrss survives exec and would
    report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate_csv(path: Path, rows: int, distinct: int) -> None:
    from testigo.countrypacks.packfile import pack_read
    from testigo.demo.generator import RAW_COLUMNS, generate

    pack = pack_read("ve")
    dataset = generate(pack=pack.manifest, gazetteer_places=pack.places, n_records=distinct)
    raws = [record.raw for record in dataset.records]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(RAW_COLUMNS)
        for raw in itertools.islice(itertools.cycle(raws), rows):
            writer.writerow([raw.get(column, "") for column in RAW_COLUMNS])


def generate_xlsx(source: Path, path: Path, rows: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Hoja1")
    with source.open(encoding="utf-8", newline="") as stream:
        for row in itertools.islice(csv.reader(stream), rows + 1):
            sheet.append(row)
    book.save(path)


def run_stage(stage: str, path: Path) -> dict[str, float]:
    """One stage, timed, in this process."""
    from testigo.domain.reported import normalise_reported
    from testigo.tabular import RowMapper, auto_mapping, context_from_pack, open_table

    context = context_from_pack("ve") if stage in ("normalise", "map") else None
    start = time.perf_counter()
    rows = 0
    if stage == "csv.reader":
        with path.open(encoding="utf-8", newline="") as stream:
            for _ in csv.reader(stream):
                rows += 1
        rows -= 1  # the header
    else:
        with open_table(path, max_rows=10_000_000) as table:
            if stage in ("read", "xlsx"):
                for _ in table:
                    rows += 1
            elif stage == "normalise":
                assert context is not None
                for row in table:
                    normalise_reported(row.values, context)
                    rows += 1
            else:
                assert context is not None
                mapper = RowMapper(
                    auto_mapping(table.headers), context, headers=table.headers, file=table.name
                )
                for _ in mapper.map_rows(table):
                    rows += 1
            table.sha256  # noqa: B018 - part of the work
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def _in_subprocess(stage: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--stage", stage, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=50_000, help="generated rows, then cycled")
    parser.add_argument("--xlsx-rows", type=int, default=100_000, help="0 to skip the XLSX stage")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, Path(args.file))))
        return

    work = Path(tempfile.mkdtemp(prefix="testigo-bench-import-"))
    try:
        _bench(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _bench(args: argparse.Namespace, work: Path) -> None:
    path = work / "rows.csv"
    started = time.perf_counter()
    generate_csv(path, args.rows, min(args.distinct, args.rows))
    print(
        f"generated {args.rows:,} rows ({path.stat().st_size / 2**20:,.0f} MiB) in "
        f"{time.perf_counter() - started:,.1f} s: {path}"
    )

    results: dict[str, dict[str, float]] = {}
    start = time.perf_counter()
    lines = int(
        subprocess.run(
            ["wc", "-l", str(path)], check=True, capture_output=True, text=True
        ).stdout.split()[0]
    )
    results["wc -l"] = {
        "rows": lines - 1,
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": float("nan"),
    }
    for stage in args.stages.split(","):
        results[stage] = _in_subprocess(stage, path)
    if args.xlsx_rows:
        xlsx = work / "rows.xlsx"
        generate_xlsx(path, xlsx, args.xlsx_rows)
        results[f"xlsx ({args.xlsx_rows:,} rows)"] = _in_subprocess("xlsx", xlsx)

    anchor = results.get("csv.reader")
    print(
        f"\n{'stage':<22}{'rows':>11}{'seconds':>10}{'rows/s':>12}{'× csv.reader':>14}"
        f"{'peak RSS MiB':>14}"
    )
    for stage, r in results.items():
        rate = r["rows"] / r["seconds"] if r["seconds"] else float("inf")
        ratio = r["seconds"] / anchor["seconds"] * (anchor["rows"] / r["rows"]) if anchor else 0
        print(
            f"{stage:<22}{r['rows']:>11,.0f}{r['seconds']:>10.1f}{rate:>12,.0f}{ratio:>14.1f}"
            f"{r['peak_rss_mb']:>14,.0f}"
        )


if __name__ == "__main__":
    main()

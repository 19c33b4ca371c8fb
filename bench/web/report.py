"""Print the web benchmark's results (``bench/web/out/*.json``) as Markdown tables.

.venv/bin/python bench/web/report.py [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
TARGET_MS = 200.0
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL 15"}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _ms(value: float) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _verdict(page: dict[str, Any]) -> str:
    if set(page["statuses"]) != {"200"}:
        return f"**fail** ({page['statuses']})"
    return "ok" if page["server"]["p95"] < TARGET_MS else "**fail**"


def pages_table(out: Path, name: str) -> list[str]:
    base = _load(out / f"{name}-pages.json") or []
    lines = [
        "| page | as | n | p50 | p95 | max | CPU p95 | SQL alone p50 | page / SQL | queries "
        "| < 200 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for page in base:
        s, q = page["server"], page["sql"]
        ratio = s["p50"] / q["p50"] if q["p50"] else math.nan
        lines.append(
            f"| {page['name']} (`{page['example']}`) | {page['role']} | {s['n']} "
            f"| {_ms(s['p50'])} | {_ms(s['p95'])} | {_ms(s['max'])} "
            f"| {_ms(page.get('cpu', {}).get('p95', math.nan))} | {_ms(q['p50'])} "
            f"| {ratio:.1f} | {page['queries']:.0f} | {_verdict(page)} |"
        )
    return lines


def load_table(out: Path, name: str) -> list[str]:
    lines = [
        "| phase | users × requests | errors | req/s | p50 | p95 | p99 | max "
        "| server p50 | server p95 | p50 / anchor p50 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    phases = _load(out / f"{name}-load.json") or []
    anchor = next((p for p in phases if p["label"].startswith("anchor")), None)
    for phase in phases:
        c, s = phase["client_ms"], phase.get("server_ms") or {}
        ratio = c["p50"] / anchor["client_ms"]["p50"] if anchor else math.nan
        lines.append(
            f"| {phase['label']} | {phase['users']} × "
            f"{phase['requests'] // max(1, phase['users'])} | {phase['errors']} "
            f"| {phase['throughput']:.1f} | {_ms(c['p50'])} | {_ms(c['p95'])} "
            f"| {_ms(c['p99'])} | {_ms(c['max'])} | {_ms(s.get('p50', math.nan))} "
            f"| {_ms(s.get('p95', math.nan))} | {ratio:.1f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--out", type=Path, default=OUT, help="where the results are")
    args = parser.parse_args()
    for name in args.databases.split(","):
        env = _load(args.out / f"{name}-env.json") or {}
        print(f"### {NAMES.get(name, name)}\n")
        print("Run: " + ", ".join(f"{k} {v}" for k, v in env.items()) + "\n")
        print("\n".join(pages_table(args.out, name)) + "\n")
        print("\n".join(load_table(args.out, name)) + "\n")


if __name__ == "__main__":
    main()

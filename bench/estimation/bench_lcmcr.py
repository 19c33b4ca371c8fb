"""Benchmark: LCMCR cost per iteration and effective samples of N per second, against R.

    python bench/estimation/bench_lcmcr.py [--quick] [--all-sets] [--json OUT.json]

For Kosovo and HIV (Rome) at setting A (K=10) and B (K=5) it prints

* µs per iteration of one chain on one core (every sweep, warm-up and burn-in included),
  next to R's LCMCR 0.4.14 from results/lcmcr_reference.csv (in-process, busy machine) and, for
  Kosovo, from results/timing_kosovo.csv (whole Rscript process minus start-up, lighter load);
* effective samples of N per second with 4 chains on both cores (thinning 100, as setting
  A), by wall clock and by CPU time spread over the cores (what the wall figure would be on an
  otherwise idle machine), next to R's single-process figure mean_ess / mean_wall_s;

and the ratios. R cannot be installed here (no CRAN access), so R's figures are the recorded
ones, not a side-by-side run; the machine's load average is printed because these machines
are shared and noisy.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from testigo.estimation import LCMCRSettings, read_histories, run_lcmcr  # noqa: E402
from testigo.estimation.lcmcr import ensure_compiled  # noqa: E402

DATA = REPO / "tests" / "estimation" / "data" / "mse"
RESULTS = DATA / "results"
SETS = ("kosovo", "hiv_rome")
K_OF = {"A": 10, "B": 5}


def r_reference() -> dict[tuple[str, str], dict[str, float]]:
    with open(RESULTS / "lcmcr_reference.csv", newline="") as fh:
        return {
            (r["dataset"], r["setting"]): {
                k: float(v) for k, v in r.items() if k not in ("dataset", "setting")
            }
            for r in csv.DictReader(fh)
        }


def r_kosovo_timing() -> dict[int, float]:
    """R µs per iteration on Kosovo from the whole-process timings (1,010,000 iterations)."""
    with open(RESULTS / "timing_kosovo.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    startup = float(next(r for r in rows if r["label"] == "startup")["process_wall_s"])
    out: dict[int, list[float]] = {}
    for r in rows:
        if r["label"] == "timing" and r["iterations"] == "1010000":
            per = (float(r["process_wall_s"]) - startup) / 1_010_000 * 1e6
            out.setdefault(int(r["K"]), []).append(per)
    return {k: sum(v) / len(v) for k, v in out.items()}


def one_chain_us(name: str, k: int, samples: int, thinning: int) -> tuple[float, float]:
    """(wall µs, CPU µs) per iteration of one chain on one core."""
    h = read_histories(DATA / f"{name}.csv")
    s = LCMCRSettings(K=k, burnin=10_000, samples=samples, thinning=thinning, chains=1, workers=1)
    fit = run_lcmcr(h, s, seed=1)
    iterations = s.iterations_per_chain
    return 1e6 * fit.chain_seconds[0] / iterations, 1e6 * fit.chain_cpu_seconds[0] / iterations


def ess_per_second(
    name: str, k: int, samples: int, cores: int
) -> tuple[float, float, float, float]:
    """(ESS of N, wall s, ESS per wall second, ESS per second of `cores` fully used CPUs) for
    4 chains at thinning 100. The last figure divides by the chains' CPU time spread over the
    cores: what the wall figure would be on a machine nobody else is using."""
    h = read_histories(DATA / f"{name}.csv")
    s = LCMCRSettings(K=k, burnin=10_000, samples=samples, thinning=100, chains=4)
    fit = run_lcmcr(h, s, seed=2)
    cpu_wall = sum(fit.chain_cpu_seconds) / min(cores, s.chains)
    return fit.ess, fit.wall_seconds, fit.ess / fit.wall_seconds, fit.ess / cpu_wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (noisier)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--all-sets",
        action="store_true",
        help="also time one chain (CPU µs/it, K=10) on every reference data set against R",
    )
    args = parser.parse_args()
    it_samples, it_thin = (5_000, 10) if args.quick else (10_000, 10)
    ess_samples = 1_000 if args.quick else 2_500

    ensure_compiled()
    ref = r_reference()
    r_kos = r_kosovo_timing()
    cores = len(os.sched_getaffinity(0))
    print(f"cores {cores}, load average at start {os.getloadavg()[0]:.2f}")
    print(
        f"one chain: burn-in 10,000 + {it_samples:,} × {it_thin} sweeps; "
        f"ESS/s: 4 chains × (10,000 + {ess_samples:,} × 100) sweeps on {cores} cores"
    )
    header = (
        f"{'data':9s} {'set':3s} {'K':>2s} | {'µs/it':>6s} {'cpu':>6s} {'R µs/it':>8s}"
        f" {'ratio':>6s} {'R light':>8s} {'ratio':>6s} | {'ESS':>6s} {'wall s':>6s} {'ESS/s':>7s}"
        f" {'cpu ESS/s':>9s} {'R ESS/s':>8s} {'ratio':>6s} {'cpu ratio':>9s}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for name in SETS:
        for setting, k in K_OF.items():
            r = ref[(name, setting)]
            us, cpu_us = one_chain_us(name, k, it_samples, it_thin)
            ess, wall, eps, cpu_eps = ess_per_second(name, k, ess_samples, cores)
            r_us = r["mean_us_per_iter"]
            r_eps = r["mean_ess"] / r["mean_wall_s"]
            light = r_kos.get(k) if name == "kosovo" else None
            row = {
                "dataset": name,
                "setting": setting,
                "K": k,
                "us_per_iter": round(us, 2),
                "cpu_us_per_iter": round(cpu_us, 2),
                "r_us_per_iter": r_us,
                "r_over_py_us": round(r_us / cpu_us, 2),
                "r_light_us_per_iter": round(light, 2) if light else None,
                "r_light_over_py_us": round(light / cpu_us, 2) if light else None,
                "ess": round(ess),
                "wall_s": round(wall, 2),
                "ess_per_s": round(eps, 1),
                "r_ess_per_s": round(r_eps, 1),
                "py_over_r_ess_per_s": round(eps / r_eps, 2),
                "cpu_ess_per_s": round(cpu_eps, 1),
                "py_cpu_over_r_ess_per_s": round(cpu_eps / r_eps, 2),
            }
            rows.append(row)
            light_s = f"{light:8.2f} {light / cpu_us:6.2f}" if light else f"{'—':>8s} {'—':>6s}"
            print(
                f"{name:9s} {setting:3s} {k:2d} | {us:6.2f} {cpu_us:6.2f} {r_us:8.2f}"
                f" {r_us / cpu_us:6.2f} {light_s} | {ess:6.0f} {wall:6.2f} {eps:7.1f}"
                f" {cpu_eps:9.1f} {r_eps:8.1f} {eps / r_eps:6.2f} {cpu_eps / r_eps:9.2f}",
                flush=True,
            )
    if args.all_sets:
        print(
            "\none chain, K=10, CPU µs per iteration, every data set (R: setting A, busy machine)"
        )
        for name in sorted({d for d, _ in ref}):
            _, cpu_us = one_chain_us(name, 10, 2_000, 10)
            r_us = ref[(name, "A")]["mean_us_per_iter"]
            print(
                f"  {name:25s} {cpu_us:6.2f}  R {r_us:6.2f}  ratio {r_us / cpu_us:5.2f}", flush=True
            )
    print(f"load average at end {os.getloadavg()[0]:.2f}")
    print("ratio columns: R µs / our CPU µs (>1: we are faster); our ESS/s / R's (>1: better)")
    print(
        "µs/it and cpu: wall and CPU time of one chain; cpu ESS/s: ESS / (chains' CPU time / cores)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"cores": cores, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()

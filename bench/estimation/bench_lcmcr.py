"""Benchmark: LCMCR cost per iteration and effective samples of N per second, against R.

    python bench/estimation/bench_lcmcr.py [--quick] [--all-sets] [--json OUT.json]
    python bench/estimation/bench_lcmcr.py --r [--r-lib DIR] [--rounds 3] [--ess-samples 2500]
                                           [--seed 1000] [--json OUT.json]

For Kosovo and HIV (Rome) at setting A (K=10) and B (K=5) it prints

* µs per iteration of one chain on one core (every sweep, warm-up and burn-in included),
  next to R's LCMCR 0.4.14 from results/lcmcr_reference.csv (in-process, busy machine) and, for
  Kosovo, from results/timing_kosovo.csv (whole Rscript process minus start-up, lighter load);
* effective samples of N per second with 4 chains on both cores (thinning 100, as setting
  A), by wall clock and by CPU time spread over the cores (what the wall figure would be on an
  otherwise idle machine), next to R's single-process figure mean_ess / mean_wall_s;

and the ratios. Without ``--r``, R's figures are the recorded ones, not a side-by-side run.

With ``--r`` (needs ``Rscript`` and the LCMCR package, e.g. in ``--r-lib DIR``), R's lcmCR runs
on the same data and settings in a separate Rscript process (``lcmcr_run.R``), alternating
with ours job by job (R first in even rounds, ours first in odd ones), for ``--rounds`` rounds:

* one chain: warm-up 500 + burn-in 10,000 + 10,000 × 10 sweeps, both sides, µs per sweep by
  in-process wall and CPU time (R: ``proc.time()`` around ``lcmCR`` + ``lcmCR_PostSampl``);
* ESS of N per second: 500 + 10,000 + 2,500 × 100 sweeps per chain (``--ess-samples 10000``
  is setting A's length); ours 4 chains on both cores, R ``--r-chains`` chains (default 4)
  one after another, as R's single-threaded sampler runs. R writes its draws of N to a CSV and
  the ESS of both is computed here by the same function
  (``testigo.estimation.diagnostics.ess``), pooled over each side's chains (ours also summed
  over single chains). One R chain's ESS varies several-fold from seed to seed, so one chain a
  side is too noisy to judge a ratio;
* the CPUs each side actually got during the ESS runs (CPU time / wall time). With Linux's
  autogroup scheduling a loaded machine gives the whole process one fair share, so our two
  threads then get no more CPU than R's one and the wall ratio cannot show the second core;
  the CPU ratio is what the wall ratio would be with both cores free.

Figures are totals over the rounds (sum of times / sum of sweeps; sum of ESS / sum of
seconds). The 1-minute load average is printed beside each job and figure, because these
machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))

from testigo.estimation import LCMCRSettings, read_histories, run_lcmcr  # noqa: E402
from testigo.estimation.diagnostics import ess as ess_of  # noqa: E402
from testigo.estimation.lcmcr import WARMUP, ensure_compiled  # noqa: E402

DATA = REPO / "tests" / "estimation" / "data" / "mse"
RESULTS = DATA / "results"
SETS = ("kosovo", "hiv_rome")
K_OF = {"A": 10, "B": 5}
R_SCRIPT = Path(__file__).resolve().parent / "lcmcr_run.R"
BURNIN = 10_000


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


def one_chain_us(
    name: str, k: int, samples: int, thinning: int, seed: int = 1
) -> tuple[float, float]:
    """(wall µs, CPU µs) per iteration of one chain on one core."""
    h = read_histories(DATA / f"{name}.csv")
    s = LCMCRSettings(K=k, burnin=BURNIN, samples=samples, thinning=thinning, chains=1, workers=1)
    fit = run_lcmcr(h, s, seed=seed)
    iterations = s.iterations_per_chain
    return 1e6 * fit.chain_seconds[0] / iterations, 1e6 * fit.chain_cpu_seconds[0] / iterations


def ess_per_second(
    name: str, k: int, samples: int, cores: int, seed: int = 2
) -> tuple[float, float, float, float]:
    """(ESS of N, wall s, ESS per wall second, ESS per second of `cores` fully used CPUs) for
    4 chains at thinning 100. The last figure divides by the chains' CPU time spread over the
    cores: what the wall figure would be on a machine nobody else is using."""
    h = read_histories(DATA / f"{name}.csv")
    s = LCMCRSettings(K=k, burnin=BURNIN, samples=samples, thinning=100, chains=4)
    fit = run_lcmcr(h, s, seed=seed)
    cpu_wall = sum(fit.chain_cpu_seconds) / min(cores, s.chains)
    return fit.ess, fit.wall_seconds, fit.ess / fit.wall_seconds, fit.ess / cpu_wall


def ess_run(name: str, k: int, samples: int, seed: int) -> tuple[float, float, float, float]:
    """Ours, 4 chains at thinning 100 on the usable cores: (pooled ESS of N, sum of the four
    single-chain ESS — the estimator applied to R's one chain —, wall s, chains' CPU s)."""
    h = read_histories(DATA / f"{name}.csv")
    s = LCMCRSettings(K=k, burnin=BURNIN, samples=samples, thinning=100, chains=4)
    fit = run_lcmcr(h, s, seed=seed)
    return fit.ess, float(sum(fit.ess_per_chain)), fit.wall_seconds, sum(fit.chain_cpu_seconds)


def r_environment(r_lib: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if r_lib:
        env["R_LIBS"] = os.pathsep.join(p for p in (r_lib, env.get("R_LIBS", "")) if p)
    return env


def r_check(r_lib: str | None) -> str | None:
    """None when Rscript and LCMCR can be run, else the reason they cannot."""
    if shutil.which("Rscript") is None:
        return "Rscript not found"
    probe = subprocess.run(
        ["Rscript", "-e", 'cat(as.character(packageVersion("LCMCR")))'],
        capture_output=True,
        text=True,
        env=r_environment(r_lib),
    )
    if probe.returncode != 0:
        lines = probe.stderr.strip().splitlines() or ["no message"]
        error = next((ln for ln in lines if "rror" in ln), lines[-1])
        return f"LCMCR not loadable ({error.strip()})"
    return None


def r_version(r_lib: str | None) -> str:
    out = subprocess.run(
        ["Rscript", "-e", 'cat(R.version.string, "/ LCMCR", format(packageVersion("LCMCR")))'],
        capture_output=True,
        text=True,
        env=r_environment(r_lib),
    )
    return out.stdout.strip()


def r_run(
    name: str, k: int, samples: int, thinning: int, seed: int, r_lib: str | None
) -> tuple[float, float, int, np.ndarray]:
    """R's lcmCR in its own Rscript process: (wall s, CPU s, sweeps, draws of N)."""
    with tempfile.TemporaryDirectory(prefix="bench_lcmcr_r_") as tmp:
        out = Path(tmp) / "draws.csv"
        args = [str(DATA / f"{name}.csv"), k, BURNIN, samples, thinning, seed, str(out)]
        proc = subprocess.run(
            ["Rscript", str(R_SCRIPT), *map(str, args)],
            capture_output=True,
            text=True,
            env=r_environment(r_lib),
            check=True,
        )
        timing = json.loads(proc.stdout.strip().splitlines()[-1])
        draws = np.loadtxt(out, dtype=np.float64, ndmin=1)
    if draws.size != samples:
        raise RuntimeError(f"R returned {draws.size} draws, expected {samples}")
    return timing["wall"], timing["cpu"], int(timing["iterations"]), draws


def load() -> float:
    return os.getloadavg()[0]


def side_by_side(args: argparse.Namespace) -> None:
    """Ours and R's LCMCR alternating on the same data and settings (``--r``)."""
    reason = r_check(args.r_lib)
    if reason:
        sys.exit(f"--r: cannot run R's LCMCR: {reason}")
    it_samples, it_thin = (5_000, 10) if args.quick else (10_000, 10)
    ess_samples = args.ess_samples or (1_000 if args.quick else 2_500)
    ensure_compiled()
    cores = len(os.sched_getaffinity(0))
    print(f"{r_version(args.r_lib)}; cores {cores}; load average at start {load():.2f}")
    print(
        f"one chain: {WARMUP} + {BURNIN:,} + {it_samples:,} × {it_thin} sweeps each side; "
        f"ESS/s: {WARMUP} + {BURNIN:,} + {ess_samples:,} × 100 sweeps per chain, ours 4 chains "
        f"on {cores} cores, R {args.r_chains} chain(s) one after another; {args.rounds} rounds,"
        " alternating R and ours",
        flush=True,
    )
    one_iters = WARMUP + BURNIN + it_samples * it_thin
    ess_iters = WARMUP + BURNIN + ess_samples * 100
    keys = [(name, setting) for name in args.sets for setting in args.settings]
    acc: dict[tuple[str, str], dict[str, list[float]]] = {key: {} for key in keys}

    def add(key: tuple[str, str], field: str, value: float) -> None:
        acc[key].setdefault(field, []).append(value)

    def ours(key: tuple[str, str], seed: int) -> None:
        name, setting = key
        k = K_OF[setting]
        add(key, "load_ours", load())
        us, cpu_us = one_chain_us(name, k, it_samples, it_thin, seed=seed)
        add(key, "us", us)
        add(key, "cpu_us", cpu_us)
        e, e_chains, wall, cpu = ess_run(name, k, ess_samples, seed=seed + 1)
        add(key, "ess", e)
        add(key, "ess_chains", e_chains)
        add(key, "wall", wall)
        add(key, "cpu_wall", cpu / min(cores, 4))
        add(key, "load_ours", load())
        print(
            f"  ours {name:8s} {setting} K={k:2d}: {us:6.2f} µs/it (cpu {cpu_us:6.2f}); "
            f"ESS {e:6.0f} in {wall:6.2f} s = {e / wall:7.1f}/s   load {load():.2f}",
            flush=True,
        )

    def theirs(key: tuple[str, str], seed: int) -> None:
        name, setting = key
        k = K_OF[setting]
        add(key, "load_r", load())
        wall, cpu, iters, _ = r_run(name, k, it_samples, it_thin, seed, args.r_lib)
        assert iters == one_iters, (iters, one_iters)
        add(key, "r_us", 1e6 * wall / iters)
        add(key, "r_cpu_us", 1e6 * cpu / iters)
        # R's chains one after another on one core (lcmCR is single-threaded), seeds seed+1…,
        # their ESS pooled by the same function as ours.
        e_wall = e_cpu = 0.0
        chains = []
        for j in range(args.r_chains):
            c_wall, c_cpu, iters, draws = r_run(name, k, ess_samples, 100, seed + 1 + j, args.r_lib)
            assert iters == ess_iters, (iters, ess_iters)
            e_wall, e_cpu = e_wall + c_wall, e_cpu + c_cpu
            chains.append(draws)
        e = ess_of(np.vstack(chains))
        add(key, "r_ess", e)
        add(key, "r_wall", e_wall)
        add(key, "r_cpu", e_cpu)
        add(key, "load_r", load())
        print(
            f"  R    {name:8s} {setting} K={k:2d}: {1e6 * wall / one_iters:6.2f} µs/it "
            f"(cpu {1e6 * cpu / one_iters:6.2f}); ESS {e:6.0f} in {e_wall:6.2f} s = "
            f"{e / e_wall:7.1f}/s   load {load():.2f}",
            flush=True,
        )

    t_start = time.perf_counter()
    for rnd in range(args.rounds):
        print(f"round {rnd + 1}/{args.rounds}, load {load():.2f}", flush=True)
        for i, key in enumerate(keys):
            seed = args.seed + 1000 * rnd + 10 * i
            first, second = (theirs, ours) if rnd % 2 == 0 else (ours, theirs)
            first(key, seed)
            second(key, seed)
    minutes = (time.perf_counter() - t_start) / 60

    header = (
        f"{'data':9s} {'set':3s} {'K':>2s} | {'µs/it':>6s} {'R µs/it':>8s} {'R/ours':>6s}"
        f" {'cpu R/ours':>10s} | {'ESS/s':>7s} {'R ESS/s':>8s} {'ratio':>6s} {'cpu ratio':>9s}"
        f" {'Σchain':>6s} | {'cores':>5s} {'R':>4s} | {'load ours':>9s} {'load R':>6s}"
    )
    print(f"\ntotals over {args.rounds} rounds ({minutes:.1f} min)")
    print(header)
    print("-" * len(header))
    rows = []
    for key in keys:
        a = {f: float(np.sum(v)) for f, v in acc[key].items()}
        n = args.rounds
        us, cpu_us = a["us"] / n, a["cpu_us"] / n
        r_us, r_cpu_us = a["r_us"] / n, a["r_cpu_us"] / n
        eps, r_eps = a["ess"] / a["wall"], a["r_ess"] / a["r_wall"]
        cpu_eps, r_cpu_eps = a["ess"] / a["cpu_wall"], a["r_ess"] / a["r_cpu"]
        load_ours, load_r = np.mean(acc[key]["load_ours"]), np.mean(acc[key]["load_r"])
        # CPUs each side actually got during the ESS runs (chains' CPU time / wall time).
        got = a["cpu_wall"] * min(cores, 4) / a["wall"]
        # Same ratio with ours' ESS taken as the sum of single-chain ESS (R's estimator).
        chains_ratio = (a["ess_chains"] / a["wall"]) / r_eps
        r_got = a["r_cpu"] / a["r_wall"]
        name, setting = key
        rows.append(
            {
                "dataset": name,
                "setting": setting,
                "K": K_OF[setting],
                "rounds": n,
                "us_per_iter": round(us, 2),
                "cpu_us_per_iter": round(cpu_us, 2),
                "r_us_per_iter": round(r_us, 2),
                "r_cpu_us_per_iter": round(r_cpu_us, 2),
                "r_over_py_us": round(r_us / us, 2),
                "r_over_py_cpu_us": round(r_cpu_us / cpu_us, 2),
                "ess": round(a["ess"] / n),
                "wall_s": round(a["wall"] / n, 2),
                "ess_per_s": round(eps, 1),
                "r_ess": round(a["r_ess"] / n),
                "r_wall_s": round(a["r_wall"] / n, 2),
                "r_ess_per_s": round(r_eps, 1),
                "py_over_r_ess_per_s": round(eps / r_eps, 2),
                "cpu_ess_per_s": round(cpu_eps, 1),
                "r_cpu_ess_per_s": round(r_cpu_eps, 1),
                "py_cpu_over_r_cpu_ess_per_s": round(cpu_eps / r_cpu_eps, 2),
                "ess_sum_of_chains": round(a["ess_chains"] / n),
                "py_over_r_ess_per_s_sum_of_chains": round(chains_ratio, 2),
                "cores_used": round(got, 2),
                "r_cores_used": round(r_got, 2),
                "by_round": {f: [round(x, 4) for x in v] for f, v in acc[key].items()},
                "load_ours": round(float(load_ours), 2),
                "load_r": round(float(load_r), 2),
            }
        )
        print(
            f"{name:9s} {setting:3s} {K_OF[setting]:2d} | {us:6.2f} {r_us:8.2f} {r_us / us:6.2f}"
            f" {r_cpu_us / cpu_us:10.2f} | {eps:7.1f} {r_eps:8.1f} {eps / r_eps:6.2f}"
            f" {cpu_eps / r_cpu_eps:9.2f} {chains_ratio:6.2f} | {got:5.2f} {r_got:4.2f}"
            f" | {load_ours:9.2f}"
            f" {load_r:6.2f}",
            flush=True,
        )
    print(f"load average at end {load():.2f}")
    print(
        "µs/it: wall µs per sweep of one chain (R/ours > 1: we are faster); cpu R/ours: the same"
        " by CPU time.\nESS/s: ESS of N per wall second, ours 4 chains on both cores, R its"
        " chains in turn;"
        " cpu ratio: ESS per second of the CPU time spread over the cores each side uses\n"
        "(ours: chains' CPU time / cores; R: its CPU time). cores: CPUs each side actually got in"
        " the ESS runs (CPU time / wall time; ours can use up to 2, R 1).\nΣchain: wall ratio"
        " with ours' ESS summed over single chains"
        " instead of the pooled 4-chain ESS.\nload: mean 1-minute load average sampled before"
        " and after each side's jobs."
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "cores": cores,
                    "r": r_version(args.r_lib),
                    "seed": args.seed,
                    "one_chain_iterations": one_iters,
                    "ess_iterations_per_chain": ess_iters,
                    "rows": rows,
                },
                indent=2,
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (noisier)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--all-sets",
        action="store_true",
        help="also time one chain (CPU µs/it, K=10) on every reference data set against R",
    )
    parser.add_argument(
        "--r",
        action="store_true",
        help="run R's LCMCR side by side (needs Rscript and the LCMCR package)",
    )
    parser.add_argument(
        "--ess-samples", type=int, help="--r: draws per chain of the ESS runs (default 2,500)"
    )
    parser.add_argument("--r-lib", help="R library directory holding LCMCR (added to R_LIBS)")
    parser.add_argument(
        "--sets",
        nargs="+",
        choices=SETS,
        default=list(SETS),
        help="--r: data sets (default both)",
    )
    parser.add_argument(
        "--settings",
        nargs="+",
        choices=list(K_OF),
        default=list(K_OF),
        help="--r: settings, A (K=10) and/or B (K=5) (default both)",
    )
    parser.add_argument(
        "--r-chains",
        type=int,
        default=4,
        help="--r: R chains per ESS run, run one after another, ESS pooled as ours (default 4)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="--r: alternating rounds")
    parser.add_argument(
        "--seed", type=int, default=1000, help="--r: seed of the first job (both sides)"
    )
    args = parser.parse_args()
    if args.r:
        side_by_side(args)
        return
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

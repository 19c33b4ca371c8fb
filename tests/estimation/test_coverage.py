"""Simulation study: do LCMCR's 95% intervals cover the true N? (LCMCR.md §4.3, §5.5)

Populations of known size with heterogeneous capture probabilities, 100 replicates per
scenario, R's coverage settings (K=10, burn-in 10,000, 2,000 draws at thinning 20, one
chain). R's own coverage: S1 92%, S2 100%, S3 58%. Pass: ≥ 90% pooled over S1 + S2 and ≥ 85%
in each. S3 (three lists, strong heterogeneity) is the documented failure of three lists;
it is run and reported, never a pass/fail criterion.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from testigo.estimation import LCMCRSettings, from_arrays, run_lcmcr
from testigo.estimation.lcmcr import usable_cores

REPLICATES = 100
SETTINGS = LCMCRSettings(K=10, burnin=10_000, samples=2_000, thinning=20, chains=1, workers=1)

SCENARIOS = {
    # name: (N, class shares, λ per class and list)
    "S1_indep_J4": (2000, [1.0], [[0.30, 0.20, 0.25, 0.15]]),
    "S2_2class_J5": (
        2000,
        [0.8, 0.2],
        [[0.08, 0.10, 0.12, 0.15, 0.09], [0.55, 0.60, 0.65, 0.70, 0.75]],
    ),
    "S3_2class_J3": (500, [0.7, 0.3], [[0.15, 0.20, 0.10], [0.60, 0.50, 0.70]]),
}


def simulate(scenario: str, seed: int):
    n_true, shares, lam = SCENARIOS[scenario]
    gen = np.random.default_rng(seed)
    cls = gen.choice(len(shares), size=n_true, p=shares)
    x = (gen.random((n_true, len(lam[0]))) < np.asarray(lam)[cls]).astype(np.int64)
    return from_arrays(x[x.any(axis=1)])


def coverage(scenario: str) -> tuple[float, float, list[bool]]:
    n_true = SCENARIOS[scenario][0]

    def one(rep: int) -> tuple[bool, float]:
        h = simulate(scenario, 1000 * (list(SCENARIOS).index(scenario) + 1) + rep)
        q = run_lcmcr(h, SETTINGS, seed=rep).quantiles()
        return bool(q[0] <= n_true <= q[2]), float(q[1])

    with ThreadPoolExecutor(max_workers=usable_cores()) as pool:
        out = list(pool.map(one, range(1, REPLICATES + 1)))
    hits = [c for c, _ in out]
    bias = float(np.mean([m for _, m in out]) / n_true - 1)
    return float(np.mean(hits)), bias, hits


@pytest.mark.slow
def test_intervals_cover_the_true_total_in_well_identified_scenarios():
    s1, bias1, hits1 = coverage("S1_indep_J4")
    s2, bias2, hits2 = coverage("S2_2class_J5")
    pooled = np.mean(hits1 + hits2)
    print(f"coverage S1 {s1:.2f} ({bias1:+.1%}), S2 {s2:.2f} ({bias2:+.1%}), pooled {pooled:.2f}")
    assert pooled >= 0.90
    assert s1 >= 0.85
    assert s2 >= 0.85


@pytest.mark.slow
def test_three_lists_fail_to_cover_under_heterogeneity_and_the_user_is_warned():
    """Documented known failure (R: 58% coverage, −25% bias): reported, not required."""
    s3, bias3, _ = coverage("S3_2class_J3")
    print(f"coverage S3 {s3:.2f} (bias {bias3:+.1%}) — the known three-list failure")
    fit = run_lcmcr(simulate("S3_2class_J3", 3001), SETTINGS, seed=1)
    assert "three_lists" in [w.code for w in fit.warnings()]


def test_simulated_populations_have_the_documented_sizes():
    """Mean observed n per scenario is close to R's (1,288; 1,105; 276)."""
    for scenario, expected in (
        ("S1_indep_J4", 1288),
        ("S2_2class_J5", 1105),
        ("S3_2class_J3", 276),
    ):
        n = np.mean([simulate(scenario, s).observed for s in range(20)])
        assert abs(n / expected - 1) < 0.05, (scenario, n)

"""Agreement with R's LCMCR 0.4.14 on the reference data sets (LCMCR.md §5.2–5.4).

Tolerances are LCMCR.md's: |q_py − q_R| ≤ max(3·sd_seed(q), r·q_R, 2 people), r = 1% for the
median and 2.5% for the 2.5% and 97.5% quantiles, where sd_seed is the between-seed SD of one
R run of 10,000 draws (results/lcmcr_reference.csv).

The fast tests use shorter runs than R's setting A: 4 chains × 2,500 draws at thinning 100
(250,000 sweeps per chain instead of 1,010,000). Pooled, that is 10,000 draws, as many as one R
run, so our Monte Carlo SD is about sd_seed and the difference from R's pooled quantile has
SD ≈ sd_seed·√(1 + 1/seeds) ≤ 1.12·sd_seed: the tolerance stays at ≥ 2.7 SD. The slow tests
(``-m slow``) run R's full settings on every stable data set.
"""

from __future__ import annotations

import numpy as np
import pytest

from testigo.estimation import LCMCRFit, LCMCRSettings, run_lcmcr

from .conftest import STABLE, histories, r_draws, reference

SEED = 20240607
SHORT = {"burnin": 10_000, "samples": 2_500, "thinning": 100, "chains": 4}
FULL = {"burnin": 10_000, "samples": 10_000, "thinning": 100, "chains": 4}
K_OF = {"A": 10, "B": 5}
FAST_SETS = ("kosovo", "hiv_rome", "my1997_5list", "ph_quezon_police", "ph_caloocan_unidentified")

_runs: dict[tuple[str, str, int, int], LCMCRFit] = {}


def fit(name: str, setting: str, length: dict[str, int]) -> LCMCRFit:
    key = (name, setting, length["samples"], length["burnin"])
    if key not in _runs:
        s = LCMCRSettings(K=K_OF[setting], **length)
        _runs[key] = run_lcmcr(histories(name), s, seed=SEED)
    return _runs[key]


def assert_matches_r(result: LCMCRFit, name: str, setting: str) -> None:
    ref = reference(name, setting)
    q = result.quantiles()
    for i, (col, r) in enumerate((("q025", 0.025), ("median", 0.01), ("q975", 0.025))):
        r_q = ref[f"pooled_{col}"]
        tol = max(3 * ref[f"sd_seed_{col}"], r * r_q, 2.0)
        assert abs(q[i] - r_q) <= tol, f"{name} {setting} {col}: {q[i]:.1f} vs R {r_q} ± {tol:.1f}"


def allowed_warnings(name: str) -> set[str]:
    return {"three_lists"} if histories(name).n_lists == 3 else set()


@pytest.mark.parametrize("name", FAST_SETS)
def test_posterior_quantiles_match_r_setting_a(name):
    assert_matches_r(fit(name, "A", SHORT), name, "A")


@pytest.mark.parametrize("name", FAST_SETS)
def test_stable_sets_converge_without_warnings(name):
    result = fit(name, "A", SHORT)
    assert {w.code for w in result.warnings()} <= allowed_warnings(name)
    assert result.rhat < 1.01


@pytest.mark.parametrize("name", [n for n in FAST_SETS if n != "ph_caloocan_unidentified"])
def test_ess_per_10000_draws_is_within_a_factor_two_of_rs(name):
    """Caloocan/unidentified is left to the full-length test: its chains switch rarely between
    a 5- and a 6-class configuration (N ≈ 750 vs 690), so ESS depends on chain length and luck
    (R's own per-seed ESS there ranges from 1,100 to over 9,000)."""
    result = fit(name, "A", SHORT)
    assert result.draws.size == 10_000
    r_ess = reference(name, "A")["mean_ess"]
    assert r_ess / 2 <= result.ess <= 2 * r_ess


def test_caloocan_unidentified_depends_on_k_as_in_r():
    """R: median 703 with K=10 and 736–741 with K=5 (setting B, and HRDAG's settings in
    results/ph_replication.csv). The K=5 quantiles are compared at full length (slow)."""
    k5 = fit("ph_caloocan_unidentified", "B", SHORT).median
    k10 = fit("ph_caloocan_unidentified", "A", SHORT).median
    assert 15 <= k5 - k10 <= 55
    assert abs(k5 - 738) <= 0.015 * 738


def share_below(draws: np.ndarray, reference_draws: np.ndarray) -> np.ndarray:
    cut = np.quantile(reference_draws.ravel(), [0.025, 0.5, 0.975])
    return np.array([np.mean(draws < c) for c in cut])


def test_draws_are_distributed_like_rs_pooled_draws_on_hiv():
    ours = fit("hiv_rome", "A", SHORT).draws
    share = share_below(ours, r_draws("hiv_rome"))
    assert np.all(np.abs(share - [0.025, 0.5, 0.975]) <= [0.01, 0.03, 0.01]), share


def test_kosovo_median_matches_r_and_the_published_figure():
    median = fit("kosovo", "A", SHORT).median
    assert abs(median - 10_414) <= 0.02 * 10_414
    assert abs(median - 10_356) <= 0.02 * 10_356  # Ball et al. (2002)


PUBLISHED = {  # HRDAG (2019): posterior mean, 2.5% and 97.5% quantiles, K = 5
    "ph_manila_police": (575, 534, 639),
    "ph_manila_unidentified": (414, 314, 635),
    "ph_quezon_police": (348, 338, 368),
    "ph_quezon_unidentified": (428, 392, 481),
    "ph_caloocan_police": (331, 302, 379),
    "ph_caloocan_unidentified": (745, 632, 908),
}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_philippines_published_means_are_reproduced_with_k5(name):
    """Setting B shortened to 4 × 1,000 draws: the mean within 2% of HRDAG's published mean
    (LCMCR.md §5.3), and the bounds within tolerance of R's own setting-B runs. The published
    bounds come from 1,000 thinned draws and are themselves noisy (Manila/unidentified: 635
    published, 677 in R's setting B), so they are checked with HRDAG's exact settings only
    (slow)."""
    result = fit(name, "B", {**SHORT, "samples": 1_000})
    mean = PUBLISHED[name][0]
    assert abs(result.mean - mean) <= 0.02 * mean
    ref = reference(name, "B")
    q = result.quantiles()
    for i, col in ((0, "q025"), (2, "q975")):
        tol = max(3 * ref[f"sd_seed_{col}"], 0.025 * ref[f"pooled_{col}"], 2.0)
        assert abs(q[i] - ref[f"pooled_{col}"]) <= tol, (col, q[i], ref[f"pooled_{col}"], tol)


# --- Unstable data sets (LCMCR.md §5.4): no numbers compared, the diagnostics must object ---

ALARMS = {"rhat_high", "rhat_elevated", "low_ess", "unstable"}


@pytest.mark.parametrize("name", ["netherlands", "netherlands_5", "uk2013_5"])
def test_unstable_sets_raise_a_diagnostic_warning(name):
    result = fit(name, "A", SHORT)
    assert {w.code for w in result.warnings()} & ALARMS


def test_netherlands_respects_the_cap_and_says_the_upper_bound_is_the_cap():
    result = fit("netherlands", "A", SHORT)
    assert result.cap == 21 * 8234 == 172_914
    assert result.draws.max() <= 172_914
    assert "near_cap" in {w.code for w in result.warnings()}


def test_uk2013_slow_convergence_is_flagged_where_stable_sets_converge_at_once():
    """UK 2013 (6 lists) chains often spend their first 10–40 thousand sweeps in a low-N
    configuration; R's LCMCR shows it as between-seed spread (its seeds 1 and 4). With the
    label-swap move and R's 10,000-sweep burn-in our chains have usually left it (measured: a
    warning in 4 of 11 seeds at this length); without burn-in the transient is in the draws,
    and the diagnostics must catch it — while Kosovo and HIV, run the same way, converge
    within the 500-sweep warm-up and raise nothing."""
    no_burnin = {**SHORT, "burnin": 0}
    assert {w.code for w in fit("uk2013", "A", no_burnin).warnings()} & ALARMS
    for name in ("kosovo", "hiv_rome"):
        assert not {w.code for w in fit(name, "A", no_burnin).warnings()}


# --- Slow: R's full settings --------------------------------------------------------------


# Where the label-swap move visibly changes the answer (see test_r_exact_sweep_...): the share
# check is made on R's exact sweep instead; the quantile tolerances still apply to the default.
ORDERING_SENSITIVE = {"ph_caloocan_unidentified"}


@pytest.mark.slow
@pytest.mark.parametrize("name", STABLE)
def test_full_length_quantiles_ess_and_draws_match_r_on_every_stable_set(name):
    result = fit(name, "A", FULL)
    assert_matches_r(result, name, "A")
    r_ess = reference(name, "A")["mean_ess"]
    per_run = result.ess / 4  # our pooled ESS over 4 runs the length of one R run
    assert r_ess / 2 <= per_run <= 2 * r_ess
    assert {w.code for w in result.warnings()} <= allowed_warnings(name)
    theirs = r_draws(name)
    if theirs is not None and name not in ORDERING_SENSITIVE:
        share = share_below(result.draws, theirs)
        assert np.all(np.abs(share - [0.025, 0.5, 0.975]) <= [0.01, 0.03, 0.01]), share


@pytest.mark.slow
def test_r_exact_sweep_reproduces_rs_draws_where_the_label_swap_shifts_the_median():
    """On Caloocan/unidentified (K=10, six occupied classes) our default sweep gives a median
    of 696–697 and R 703 (its seeds: 701–706). R's sweep cannot reorder classes while all
    are occupied, so it samples the posterior given the ordering fixed when it relabels after
    the warm-up; the label-swap move also averages over orderings, which the truncated
    stick-breaking prior weights differently. With the move switched off we reproduce R's
    draws; with it the quantiles still meet LCMCR.md's tolerances (checked above)."""
    s = LCMCRSettings(K=10, label_swaps=False, **FULL)
    result = run_lcmcr(histories("ph_caloocan_unidentified"), s, seed=SEED)
    assert_matches_r(result, "ph_caloocan_unidentified", "A")
    theirs = r_draws("ph_caloocan_unidentified")
    if theirs is None:
        pytest.skip("R's draws are not available")
    share = share_below(result.draws, theirs)
    assert np.all(np.abs(share - [0.025, 0.5, 0.975]) <= [0.01, 0.03, 0.01]), share


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in STABLE if n.startswith("ph_")])
def test_full_length_setting_b_matches_r_on_the_philippines(name):
    assert_matches_r(fit(name, "B", FULL), name, "B")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["netherlands", "netherlands_5"])
def test_netherlands_is_flagged_at_full_length(name):
    result = fit(name, "A", FULL)
    assert result.draws.max() <= 172_914
    assert {w.code for w in result.warnings()} & ALARMS


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PUBLISHED))
def test_philippines_with_hrdags_exact_settings(name):
    """One chain, K=5, seed 19481210, 300,000 draws at thinning 10, then every 300th."""
    s = LCMCRSettings(K=5, burnin=10_000, samples=300_000, thinning=10, chains=1)
    result = run_lcmcr(histories(name), s, seed=19481210)
    draws = result.draws[0, 299::300]
    mean, lo, hi = PUBLISHED[name]
    assert draws.size == 1000
    assert abs(draws.mean() - mean) <= 0.02 * mean
    assert abs(np.quantile(draws, 0.025) - lo) <= 0.05 * lo
    assert abs(np.quantile(draws, 0.975) - hi) <= 0.05 * hi

"""The LCMCR runner: reproducibility, parallel chains, diagnostics and warnings."""

from __future__ import annotations

import numpy as np
import pytest

from testigo.estimation import LCMCRSettings, from_arrays, run_lcmcr
from testigo.estimation.lcmcr import SETTING_A, chain_seeds

from .conftest import histories

SHORT = LCMCRSettings(K=5, burnin=500, samples=200, thinning=5, chains=2)


def test_the_same_seed_gives_the_same_draws_whatever_the_number_of_threads(kosovo):
    one = run_lcmcr(kosovo, LCMCRSettings(**{**SHORT.__dict__, "workers": 1}), seed=42)
    two = run_lcmcr(kosovo, LCMCRSettings(**{**SHORT.__dict__, "workers": 2}), seed=42)
    assert np.array_equal(one.draws, two.draws)
    assert np.array_equal(one.alpha, two.alpha)


def test_different_seeds_and_different_chains_give_different_draws(kosovo):
    a = run_lcmcr(kosovo, SHORT, seed=1)
    b = run_lcmcr(kosovo, SHORT, seed=2)
    assert not np.array_equal(a.draws, b.draws)
    assert not np.array_equal(a.draws[0], a.draws[1])


def test_a_run_without_a_seed_records_the_seed_it_drew(kosovo):
    fit = run_lcmcr(kosovo, SHORT)
    again = run_lcmcr(kosovo, SHORT, seed=fit.seed)
    assert np.array_equal(fit.draws, again.draws)


def test_chain_seeds_do_not_depend_on_how_many_chains_are_run():
    assert chain_seeds(7, 2) == chain_seeds(7, 4)[:2]


def test_draws_have_the_requested_shape_and_never_fall_below_n_or_above_21n(kosovo):
    fit = run_lcmcr(kosovo, LCMCRSettings(K=3, burnin=100, samples=50, thinning=2, chains=3))
    assert fit.draws.shape == (3, 50)
    assert fit.draws.min() >= kosovo.observed
    assert fit.draws.max() <= 21 * kosovo.observed
    assert fit.k_star.max() <= 3


def test_the_defaults_are_those_of_r_lcmcr():
    s = LCMCRSettings()
    assert (s.K, s.a_alpha, s.b_alpha, s.burnin, s.samples, s.thinning) == (
        5, 0.25, 0.25, 10_000, 1_000, 10,
    )  # fmt: skip
    assert (SETTING_A.K, SETTING_A.samples, SETTING_A.thinning) == (10, 10_000, 100)


@pytest.mark.parametrize(
    "bad", [{"K": 1}, {"a_alpha": 0}, {"samples": 2}, {"thinning": 0}, {"chains": 0}]
)
def test_invalid_settings_are_refused(bad):
    with pytest.raises(ValueError):
        LCMCRSettings(**bad)


def test_a_too_short_run_warns_about_effective_sample_size(kosovo):
    fit = run_lcmcr(kosovo, LCMCRSettings(K=10, burnin=200, samples=100, thinning=1), seed=3)
    codes = [w.code for w in fit.warnings()]
    assert "low_ess" in codes


def test_a_posterior_pressed_against_the_cap_is_flagged():
    # Three lists, almost no overlap: the data cannot bound N from above.
    h = from_arrays([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]], [400, 400, 400, 1])
    fit = run_lcmcr(h, LCMCRSettings(K=5, burnin=2000, samples=500, thinning=5), seed=4)
    assert fit.draws.max() <= 21 * h.observed
    codes = [w.code for w in fit.warnings()]
    assert "near_cap" in codes
    assert "three_lists" in codes


def test_three_lists_always_carry_the_heterogeneity_warning():
    fit = run_lcmcr(histories("my1997_3list"), SHORT, seed=5)
    assert "three_lists" in [w.code for w in fit.warnings()]


def test_diagnostics_report_ess_rhat_and_timing(kosovo):
    fit = run_lcmcr(kosovo, SHORT, seed=6)
    d = fit.diagnostics()
    assert len(d["ess_per_chain"]) == 2
    assert d["ess"] > 0
    assert 0.9 < d["rhat"] < 3
    assert d["us_per_iteration"] > 0
    assert d["cap"] == 21 * 4400


def test_label_swaps_can_be_switched_off_to_run_rs_exact_sweep(kosovo):
    s = LCMCRSettings(**{**SHORT.__dict__, "label_swaps": False})
    fit = run_lcmcr(kosovo, s, seed=8)
    assert fit.draws.shape == (2, 200)
    assert not np.array_equal(fit.draws, run_lcmcr(kosovo, SHORT, seed=8).draws)

"""Log-linear models against Rcapture 1.4-4 (results/loglinear.csv)."""

from __future__ import annotations

import csv
import itertools

import numpy as np
import pytest

from testigo.estimation import chao_lower_bound, estimate, from_arrays
from testigo.estimation import loglinear as ll

from .conftest import RESULTS, STABLE, UNSTABLE, histories

ALL = STABLE + UNSTABLE


def rcapture(name: str, method: str) -> dict[str, str] | None:
    with open(RESULTS / "loglinear.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["dataset"] == name and row["method"] == method:
                return row
    return None


def num(value: str) -> float | None:
    return None if value == "NA" else float(value)


@pytest.mark.parametrize("name", ALL)
def test_independence_model_matches_rcapture_mt_with_its_wald_interval(name):
    ref = rcapture(name, "Rcapture Mt")
    m = ll.fit_model(histories(name))
    assert m.estimate == pytest.approx(float(ref["estimate"]), abs=0.06)
    lo, hi = m.wald_interval()
    assert lo == pytest.approx(float(ref["lower"]), abs=0.1)
    assert hi == pytest.approx(float(ref["upper"]), abs=0.1)


@pytest.mark.parametrize("name", [n for n in ALL if histories(n).n_lists <= 5])
def test_bic_selects_rcaptures_model_and_reproduces_its_profile_interval(name):
    ref = rcapture(name, "Rcapture loglinear BIC-best")
    if ref is None:
        pytest.skip("Rcapture has no BIC search for this data set")
    h = histories(name)
    best, _ = ll.select_model(h)
    assert best.name == ref["note"].split(";")[0].removeprefix("model ").strip() or (
        f"model {best.name}" in ref["note"]
    )
    assert f"model {best.name};" in ref["note"]
    n_hat, lo, hi = ll.profile_interval(h, best.pairs, start=best.estimate)
    assert n_hat == pytest.approx(float(ref["estimate"]), abs=0.15)
    assert lo == pytest.approx(float(ref["lower"]), abs=0.15)
    assert hi == pytest.approx(float(ref["upper"]), abs=0.15)


@pytest.mark.parametrize("name", [n for n in ALL if rcapture(n, "Rcapture loglinear all 2-way")])
def test_all_two_way_model_matches_rcapture_including_its_profile_interval(name):
    ref = rcapture(name, "Rcapture loglinear all 2-way")
    h = histories(name)
    pairs = list(itertools.combinations(range(h.n_lists), 2))
    n_hat, lo, hi = ll.profile_interval(h, pairs, start=ll.fit_model(h, pairs).estimate)
    assert n_hat == pytest.approx(float(ref["estimate"]), abs=0.15)
    assert lo == pytest.approx(float(ref["lower"]), abs=0.15)
    if num(ref["upper"]) is None:
        # Rcapture gives up on an upper bound; ours is finite but enormous.
        assert hi is None or hi > 50 * h.observed
    else:
        assert hi == pytest.approx(float(ref["upper"]), abs=0.15)


def test_irls_recovers_the_generating_coefficients_of_a_poisson_model():
    rng = np.random.default_rng(11)
    x = ll.design_matrix(ll.all_patterns(4), [(0, 1)])
    beta = np.array([6.0, -0.5, -1.0, -0.2, -1.5, 0.7])
    y = rng.poisson(np.exp(x @ beta) * 50) / 50.0  # near-exact counts, scaled back
    fit = ll.fit_poisson(x, y)
    assert fit.converged
    np.testing.assert_allclose(fit.coef, beta, atol=0.05)


def test_poisson_fit_is_the_exact_mle_when_the_model_is_saturated_but_one():
    h = histories("my1997_3list")
    m = ll.fit_model(h, [(0, 1), (0, 2), (1, 2)])
    np.testing.assert_allclose(m.fit.mu, h.full_table(), rtol=1e-8)


def test_estimate_with_loglinear_returns_the_profile_mle_and_bounds(kosovo):
    r = estimate(kosovo, "loglinear")
    assert r.method == "loglinear"
    assert r.details["model"] == "[12;13;14;23;34]"
    assert (r.estimate, r.lower, r.upper) == pytest.approx((14325.7, 12525.2, 16542.8), abs=0.15)
    assert r.warnings == ()


def test_wald_interval_option_gives_the_poisson_estimate(kosovo):
    r = estimate(kosovo, "loglinear", model="independence", interval="wald")
    assert (r.estimate, r.lower, r.upper) == pytest.approx((7394.6, 7140.5, 7648.7), abs=0.1)


def test_stepwise_search_is_used_above_five_lists_and_returns_a_converged_model():
    h = histories("ph_manila_police")
    best, fitted = ll.select_model(h)
    assert best.fit.converged
    assert len(fitted) < 2 ** (8 * 7 // 2)
    assert best.bic <= ll.fit_model(h).bic


def test_a_model_with_a_pair_that_shares_nobody_is_flagged_as_on_the_boundary():
    r = estimate(histories("netherlands_5"), "loglinear")
    assert r.details["model"] == "[12;15;23;24;25;35;45]"
    assert "boundary_fit" in r.warning_codes()


def test_unbounded_profile_likelihood_gives_no_upper_bound_and_a_warning():
    h = from_arrays([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]],
                    [80, 75, 70, 1, 1, 1, 3])  # fmt: skip
    r = estimate(h, "loglinear", model="pairwise")
    assert r.upper is None
    assert "unbounded_upper" in r.warning_codes()
    assert r.to_json_dict()["upper"] is None


def test_chao_lower_bound_uses_people_seen_once_and_twice():
    h = from_arrays([[1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 1, 1]], [60, 40, 20, 5])
    b = chao_lower_bound(h)
    assert (b.f1, b.f2) == (100, 20)
    assert b.estimate == pytest.approx(125 + 100**2 / 40)


def test_chao_lower_bound_is_bias_corrected_when_nobody_is_seen_exactly_twice():
    h = from_arrays([[1, 0, 0], [0, 1, 0], [1, 1, 1]], [10, 5, 2])
    assert chao_lower_bound(h).estimate == pytest.approx(17 + 15 * 14 / 2)


@pytest.mark.parametrize("name", STABLE)
def test_loglinear_estimates_are_never_below_the_observed_count(name):
    r = estimate(histories(name), "loglinear")
    assert r.observed <= r.lower <= r.estimate
    assert r.upper is None or r.estimate <= r.upper

"""The public API: estimate(), its JSON contract (DESIGN.md §6) and stratification."""

from __future__ import annotations

import json

import numpy as np
import pytest

import testigo.estimation as est
from testigo.estimation import (
    InsufficientDataError,
    estimate,
    estimate_strata,
    from_arrays,
    read_histories,
)

from .conftest import DATA

FAST = {"K": 5, "burnin": 500, "samples": 200, "thinning": 5, "chains": 2}


@pytest.mark.parametrize("method", ["lcmcr", "loglinear"])
def test_json_has_the_design_contract_keys_and_is_serialisable(kosovo, method):
    options = FAST if method == "lcmcr" else {}
    d = estimate(kosovo, method, seed=1, **options).to_json_dict()
    for key in ("method", "observed", "estimate", "lower", "upper", "interval"):
        assert key in d
    assert d["method"] == method
    assert d["observed"] == 4400
    assert d["interval"] == 0.95
    assert d["observed"] <= d["lower"] <= d["estimate"] <= d["upper"]
    assert isinstance(d["diagnostics"], dict)
    assert isinstance(d["warnings"], list)
    json.dumps(d, allow_nan=False)


def test_lcmcr_estimate_is_the_posterior_median_of_the_pooled_draws(kosovo):
    r = estimate(kosovo, "lcmcr", seed=2, **FAST)
    assert r.estimate == np.median(r.draws)
    assert r.lower == np.quantile(r.draws, 0.025)
    assert r.details["settings"]["seed"] == 2
    assert r.diagnostics["ess"] > 0
    assert "rhat" in r.diagnostics


def test_estimate_accepts_a_path(tmp_path):
    r = estimate(DATA / "hiv_rome.csv", "loglinear")
    assert r.observed == 1896


def test_unknown_method_and_options_are_refused(kosovo):
    with pytest.raises(ValueError, match="unknown method"):
        estimate(kosovo, "magic")
    with pytest.raises(TypeError, match="unknown LCMCR setting"):
        estimate(kosovo, "lcmcr", Kay=3)
    with pytest.raises(TypeError, match="loglinear does not take"):
        estimate(kosovo, "loglinear", K=3)


def test_data_that_cannot_support_an_estimate_are_refused_with_the_reason():
    h = from_arrays([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [300, 200, 100])
    with pytest.raises(InsufficientDataError, match="nobody appears on more than one list"):
        estimate(h, "loglinear")


def test_data_caveats_are_reported_as_warnings():
    h = from_arrays([[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0]],
                    [300, 200, 100, 150, 50], lists=["A", "B", "C", "D"])  # fmt: skip
    r = estimate(h, "loglinear")
    assert r.warning_codes()[0] == "dropped_lists"
    assert r.lists == ("A", "B", "C")


def test_the_engine_never_imports_django():
    import subprocess
    import sys

    code = (
        "import sys, testigo.estimation, testigo.estimation.lcmcr, testigo.estimation.loglinear;"
        "sys.exit(1 if any(m == 'django' or m.startswith('django.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
    assert est.__all__


def test_strata_totals_sum_the_posterior_draws(tmp_path):
    a = read_histories(DATA / "my1997_5list.csv")
    b = read_histories(DATA / "ph_quezon_police.csv")
    res = estimate_strata({"a": a, "b": b}, "lcmcr", seed=3, **FAST)
    total = res.strata["a"].draws + res.strata["b"].draws
    assert np.array_equal(res.total.draws, total)
    assert res.total.estimate == np.median(total)
    assert res.total.observed == a.observed + b.observed
    # The total's interval is narrower than the sum of the strata's intervals.
    width = res.total.upper - res.total.lower
    assert width < sum(r.upper - r.lower for r in res.strata.values())
    json.dumps(res.to_json_dict(), allow_nan=False)


def test_strata_get_distinct_reproducible_seeds():
    a = read_histories(DATA / "my1997_5list.csv")
    one = estimate_strata({"x": a, "y": a}, "lcmcr", seed=9, **FAST)
    two = estimate_strata({"x": a, "y": a}, "lcmcr", seed=9, **FAST)
    assert not np.array_equal(one.strata["x"].draws, one.strata["y"].draws)
    assert np.array_equal(one.total.draws, two.total.draws)


def test_loglinear_strata_total_sums_the_estimates():
    a = read_histories(DATA / "kosovo.csv")
    b = read_histories(DATA / "hiv_rome.csv")
    res = estimate_strata({"a": a, "b": b}, "loglinear")
    expected = (
        res.strata["a"].details["poisson_estimate"] + res.strata["b"].details["poisson_estimate"]
    )
    assert res.total.estimate == pytest.approx(expected)
    assert res.total.lower < res.total.estimate < res.total.upper


def test_the_posterior_histogram_can_be_added_for_plotting(kosovo):
    r = estimate(kosovo, "lcmcr", seed=4, **FAST)
    d = r.to_json_dict(histogram=True)
    assert sum(d["histogram"]["counts"]) == r.draws.size
    assert len(d["histogram"]["edges"]) == len(d["histogram"]["counts"]) + 1
    assert "histogram" not in r.to_json_dict()
    assert estimate(kosovo, "loglinear").posterior_histogram() is None

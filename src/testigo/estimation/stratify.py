"""Estimates per stratum (period, region, act type) and for their total.

With LCMCR the total's posterior is the sum of the strata's posterior draws, draw by draw:
the strata are modelled independently, so the sum of independent draws is a draw of the
total. Its interval is therefore not the sum of the strata's intervals (that would be too
wide). With log-linear models the total is the sum of the estimates, with a Wald interval
from the summed variances.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .api import estimate
from .diagnostics import ess, ess_per_chain, split_rhat
from .histories import CaptureHistories
from .results import EstimateResult, EstimateWarning, _jsonable


@dataclass(frozen=True)
class StratifiedResult:
    """One result per stratum, and the total."""

    strata: dict[str, EstimateResult]
    total: EstimateResult

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.to_json_dict(),
            "strata": {name: r.to_json_dict() for name, r in self.strata.items()},
        }


def stratum_seeds(seed: int, names: list[str]) -> dict[str, int]:
    """A seed per stratum, derived from ``seed`` and the stratum's position."""
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {
        name: int(c.generate_state(1, dtype=np.uint32)[0])
        for name, c in zip(names, children, strict=True)
    }


def estimate_strata(
    strata: Mapping[str, CaptureHistories],
    method: str = "lcmcr",
    *,
    seed: int | None = None,
    **options: Any,
) -> StratifiedResult:
    """Estimate each stratum with the same method and settings, then the total.

    Args:
        strata: ``{name: histories}``; the order fixes each stratum's derived seed.
        method, seed, options: as for :func:`testigo.estimation.estimate`.
    """
    if not strata:
        raise ValueError("no strata given")
    names = list(strata)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
    seeds = stratum_seeds(seed, names)
    results = {name: estimate(strata[name], method, seed=seeds[name], **options) for name in names}
    total = _lcmcr_total(results, seed) if method == "lcmcr" else _loglinear_total(results)
    return StratifiedResult(results, total)


def _stratum_warnings(results: Mapping[str, EstimateResult]) -> tuple[EstimateWarning, ...]:
    return tuple(
        EstimateWarning(w.code, f"Stratum {name!r}: {w.message}")
        for name, r in results.items()
        for w in r.warnings
    )


def _lcmcr_total(results: Mapping[str, EstimateResult], seed: int) -> EstimateResult:
    first = next(iter(results.values()))
    draws = [r.draws for r in results.values()]
    if any(d is None or d.shape != first.draws.shape for d in draws):  # type: ignore[union-attr]
        raise ValueError("strata must be run with the same chains and samples")
    total = np.sum(np.stack(draws), axis=0)  # type: ignore[arg-type]
    q = np.quantile(total.ravel(), (0.025, 0.5, 0.975))
    rhat = split_rhat(total) if total.shape[0] > 1 else math.nan
    return EstimateResult(
        method="lcmcr",
        observed=sum(r.observed for r in results.values()),
        estimate=float(q[1]),
        lower=float(q[0]),
        upper=float(q[2]),
        interval=0.95,
        lists=(),
        details={
            "mean": round(float(total.mean()), 1),
            "estimator": "posterior median of the summed strata draws",
            "strata": list(results),
            "seed": seed,
        },
        diagnostics={
            "ess": round(ess(total), 1),
            "ess_per_chain": [round(e, 1) for e in ess_per_chain(total)],
            "rhat": round(rhat, 4) if math.isfinite(rhat) else None,
        },
        warnings=_stratum_warnings(results),
        draws=total,
    )


def _loglinear_total(results: Mapping[str, EstimateResult]) -> EstimateResult:
    est = sum(r.details["poisson_estimate"] for r in results.values())
    se = math.sqrt(sum(r.details["stderr"] ** 2 for r in results.values()))
    observed = sum(r.observed for r in results.values())
    return EstimateResult(
        method="loglinear",
        observed=observed,
        estimate=float(est),
        lower=max(float(observed), est - 1.959964 * se),
        upper=est + 1.959964 * se,
        interval=0.95,
        lists=(),
        details={
            "estimator": "sum of the strata's maximum-likelihood estimates",
            "interval_method": "wald (summed variances)",
            "stderr": round(se, 1),
            "strata": _jsonable(list(results)),
        },
        warnings=_stratum_warnings(results),
    )

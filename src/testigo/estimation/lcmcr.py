"""LCMCR: Bayesian non-parametric latent-class capture–recapture (Manrique-Vallier 2016).

A port of CRAN ``LCMCR`` 0.4.14's Gibbs sampler with its priors and defaults, validated
against it distributionally (shared/data/mse/LCMCR.md §5). The sweep runs per distinct capture
pattern in compiled code (:mod:`testigo.estimation._kernels`); chains run on threads, which
the compiled code releases the GIL for, so 2 cores run 2 chains at once.

Example:
    >>> fit = run_lcmcr(histories, LCMCRSettings(K=10, samples=10_000, thinning=100), seed=1)
    >>> fit.quantiles()  # 2.5%, 50%, 97.5% of N
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _kernels

# Re-exported so the full conditionals can be called (and tested) one at a time.
from ._kernels import (  # noqa: F401  (public re-exports)
    draw_alpha,
    draw_list_probabilities,
    draw_n0,
    draw_observed_allocations,
    draw_sticks,
    draw_unobserved_allocations,
    label_swap_log_ratio,
    log_beta_draw,
    log_gamma_draw,
    multinomial_into,
    pattern_index,
    prob_missed,
    propose_label_swap,
)
from ._kernels import new_state as rng_state
from .diagnostics import ess, ess_per_chain, mcse_quantile, split_rhat
from .histories import CaptureHistories
from .results import EstimateResult, EstimateWarning, three_lists_warning

#: LCMCR's fixed warm-up: sweeps with α held at 0.3/K before the user's burn-in.
WARMUP = 500
#: LCMCR redraws n0 while n0 > 20·n, so N ≤ 21·n.
CAP_FACTOR = 20

# Diagnostic thresholds (Vehtari et al. 2021 for R-hat and ESS).
RHAT_SEVERE = 1.05
RHAT_MILD = 1.01
MIN_ESS_TOTAL = 400
MIN_ESS_CHAIN = 50
# Largest acceptable Monte Carlo SE of the reported quantiles, relative to their value. On the
# stable data sets one R run of 10,000 draws has 0–1.1% (2.5%), 0–0.9% (median) and 0–2%
# (97.5%); on UK 2013 9%, 4% and 5%; on the Netherlands sets 3–80%.
MAX_REL_MCSE = {0.025: 0.02, 0.5: 0.02, 0.975: 0.04}
NEAR_CAP_SHARE = 0.01


@dataclass(frozen=True)
class LCMCRSettings:
    """Sampler settings; the defaults are those of R's ``lcmCR`` / ``lcmCR_PostSampl``.

    Attributes:
        K: truncation level of the stick-breaking prior (number of latent classes).
        a_alpha, b_alpha: Gamma(shape, rate) prior on the concentration α.
        burnin: untraced sweeps after the 500-sweep warm-up.
        samples: retained draws per chain.
        thinning: keep one sweep in ``thinning``.
        chains: independent chains (pooled for the estimate, compared for R-hat).
        label_swaps: add a Metropolis move exchanging adjacent class labels each sweep (not
            in R's LCMCR; same posterior, see :func:`_kernels.propose_label_swap`). It frees
            chains that R's sweep leaves stuck for a whole run and averages over class
            orderings, which R's sweep keeps nearly fixed (docs/decisions/0003). ``False``
            runs R's sweep exactly.
        workers: threads running chains; default: the usable cores, at most ``chains``.
    """

    K: int = 5
    a_alpha: float = 0.25
    b_alpha: float = 0.25
    burnin: int = 10_000
    samples: int = 1_000
    thinning: int = 10
    chains: int = 4
    label_swaps: bool = True
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.K < 2:
            raise ValueError("K must be at least 2")
        if self.a_alpha <= 0 or self.b_alpha <= 0:
            raise ValueError("a_alpha and b_alpha must be positive")
        if self.burnin < 0 or self.samples < 4 or self.thinning < 1 or self.chains < 1:
            raise ValueError("need burnin >= 0, samples >= 4, thinning >= 1, chains >= 1")

    @property
    def iterations_per_chain(self) -> int:
        return WARMUP + self.burnin + self.samples * self.thinning


#: Setting A of the R reference runs (LCMCR.md §4.1).
SETTING_A = LCMCRSettings(K=10, burnin=10_000, samples=10_000, thinning=100)
#: Setting B: as A with K = 5, the ``lcmCR`` default and HRDAG's choice for the Philippines.
SETTING_B = LCMCRSettings(K=5, burnin=10_000, samples=10_000, thinning=100)


@dataclass(frozen=True, eq=False)
class LCMCRFit:
    """Posterior draws of N from several chains, with diagnostics."""

    histories: CaptureHistories
    settings: LCMCRSettings
    seed: int
    chain_seeds: tuple[int, ...]
    draws: NDArray[np.int64]  # chains × samples, N = n + n0
    alpha: NDArray[np.float64]  # chains × samples
    k_star: NDArray[np.int64]  # chains × samples, occupied classes
    chain_seconds: tuple[float, ...]  # wall time of each chain
    chain_cpu_seconds: tuple[float, ...]  # CPU time of the thread that ran each chain
    wall_seconds: float
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def observed(self) -> int:
        return self.histories.observed

    @property
    def cap(self) -> int:
        """Largest N the sampler allows: (1 + 20)·n."""
        return (1 + CAP_FACTOR) * self.observed

    def quantiles(self, probs: tuple[float, ...] = (0.025, 0.5, 0.975)) -> NDArray[np.float64]:
        """Pooled posterior quantiles of N (R's default type-7 interpolation)."""
        return np.quantile(self.draws.ravel(), probs)

    @property
    def median(self) -> float:
        return float(np.median(self.draws))

    @property
    def mean(self) -> float:
        return float(self.draws.mean())

    @property
    def ess(self) -> float:
        """Multi-chain effective sample size of N."""
        if "ess" not in self._cache:
            self._cache["ess"] = ess(self.draws)
        return float(self._cache["ess"])

    @property
    def ess_per_chain(self) -> list[float]:
        if "ess_chain" not in self._cache:
            self._cache["ess_chain"] = ess_per_chain(self.draws)
        return list(self._cache["ess_chain"])

    @property
    def rhat(self) -> float:
        """Rank-normalised split R-hat of N across chains (NaN with one chain)."""
        if self.draws.shape[0] < 2:
            return math.nan
        if "rhat" not in self._cache:
            self._cache["rhat"] = split_rhat(self.draws)
        return float(self._cache["rhat"])

    @property
    def us_per_iteration(self) -> float:
        """Mean CPU time of one sweep in one chain, in microseconds.

        CPU rather than wall time, so that other processes competing for the cores do not
        inflate it (wall time is in ``chain_seconds``).
        """
        return 1e6 * float(np.mean(self.chain_cpu_seconds)) / self.settings.iterations_per_chain

    def mcse(self, prob: float) -> float:
        """Monte Carlo SE of the pooled ``prob`` quantile of N."""
        key = f"mcse{prob}"
        if key not in self._cache:
            self._cache[key] = mcse_quantile(self.draws, prob)
        return float(self._cache[key])

    def diagnostics(self) -> dict[str, Any]:
        """Convergence diagnostics of N, JSON-ready."""
        near_cap = float(np.mean(self.draws >= 0.9 * self.cap))
        return {
            "ess": round(self.ess, 1),
            "ess_per_chain": [round(e, 1) for e in self.ess_per_chain],
            "rhat": round(self.rhat, 4) if math.isfinite(self.rhat) else None,
            "mcse": {
                "lower": _round(self.mcse(0.025)),
                "estimate": _round(self.mcse(0.5)),
                "upper": _round(self.mcse(0.975)),
            },
            "chain_medians": np.median(self.draws, axis=1).tolist(),
            "k_star_mean": round(float(self.k_star.mean()), 2),
            "k_star_max": int(self.k_star.max()),
            "alpha_mean": round(float(self.alpha.mean()), 4),
            "share_near_cap": near_cap,
            "cap": self.cap,
            "wall_seconds": round(self.wall_seconds, 3),
            "us_per_iteration": round(self.us_per_iteration, 2),
        }

    def warnings(self) -> list[EstimateWarning]:
        """Diagnostic warnings: poor mixing, chains that disagree, data that cannot bound N."""
        out: list[EstimateWarning] = []
        s = self.settings
        rhat = self.rhat
        if math.isfinite(rhat) and rhat > RHAT_SEVERE:
            out.append(
                EstimateWarning(
                    "rhat_high",
                    f"The chains disagree (R-hat {rhat:.3f} > {RHAT_SEVERE}): the posterior is "
                    "probably multimodal or the run is far too short. Do not report this "
                    "estimate; run much longer chains and compare with another method.",
                )
            )
        elif math.isfinite(rhat) and rhat > RHAT_MILD:
            out.append(
                EstimateWarning(
                    "rhat_elevated",
                    f"The chains have not fully converged (R-hat {rhat:.3f} > {RHAT_MILD}). "
                    "Run longer chains (more samples or thinning) before relying on the "
                    "interval.",
                )
            )
        chain_ess = self.ess_per_chain
        if self.ess < MIN_ESS_TOTAL or min(chain_ess) < MIN_ESS_CHAIN:
            out.append(
                EstimateWarning(
                    "low_ess",
                    f"Too few effective samples of N ({self.ess:.0f} in total, "
                    f"{min(chain_ess):.0f} in the worst chain; at least {MIN_ESS_TOTAL} and "
                    f"{MIN_ESS_CHAIN} per chain are needed). Increase samples or thinning.",
                )
            )
        q = self.quantiles()
        rel = {p: self.mcse(p) / max(v, 1.0) for p, v in zip((0.025, 0.5, 0.975), q, strict=True)}
        if any(math.isfinite(r) and r > MAX_REL_MCSE[p] for p, r in rel.items()):
            out.append(
                EstimateWarning(
                    "unstable",
                    "The Monte Carlo error of the estimate is large (±"
                    f"{100 * rel[0.025]:.1f}% on the lower bound, ±{100 * rel[0.5]:.1f}% on the "
                    f"median, ±{100 * rel[0.975]:.1f}% on the upper bound). Either the run is "
                    "too short, or the posterior has modes that a chain visits only rarely (as "
                    "with the UK 2013 and Netherlands trafficking lists), so the figures depend "
                    "on the run. Run longer; if this persists, treat the estimate as "
                    "unreliable.",
                )
            )
        near_cap = float(np.mean(self.draws >= 0.9 * self.cap))
        if near_cap > NEAR_CAP_SHARE:
            out.append(
                EstimateWarning(
                    "near_cap",
                    f"{100 * near_cap:.1f}% of the draws lie near the ceiling N ≤ 21·n = "
                    f"{self.cap} that LCMCR imposes: the data do not bound the total from "
                    "above, and the upper limit reflects the ceiling, not the evidence.",
                )
            )
        if self.k_star.mean() > s.K - 1:
            out.append(
                EstimateWarning(
                    "k_saturated",
                    f"Nearly all {s.K} latent classes are in use (mean {self.k_star.mean():.1f}):"
                    " the truncation K may be too small. Re-run with a larger K.",
                )
            )
        if self.histories.n_lists == 3:
            out.append(three_lists_warning())
        return out

    def to_result(self) -> EstimateResult:
        q = self.quantiles()
        return EstimateResult(
            method="lcmcr",
            observed=self.observed,
            estimate=float(q[1]),
            lower=float(q[0]),
            upper=float(q[2]),
            interval=0.95,
            lists=self.histories.lists,
            details={
                "mean": round(self.mean, 1),
                "estimator": "posterior median",
                "settings": {**asdict(self.settings), "seed": self.seed},
                "draws_total": int(self.draws.size),
            },
            diagnostics=self.diagnostics(),
            warnings=tuple(self.warnings()),
            draws=self.draws,
        )


def _round(x: float) -> float | None:
    return round(x, 2) if math.isfinite(x) else None


def chain_seeds(seed: int, chains: int) -> tuple[int, ...]:
    """Independent 64-bit seeds for each chain, stable in the chain index."""
    children = np.random.SeedSequence(seed).spawn(chains)
    return tuple(int(c.generate_state(1, dtype=np.uint64)[0]) for c in children)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def fresh_seed() -> int:
    """A random seed to record when the caller gave none (R's ``seed = 'auto'``)."""
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])


_compiled = False


def ensure_compiled() -> None:
    """Compile (or load from Numba's cache) the kernels once, outside any timing."""
    global _compiled
    if not _compiled:
        x = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 1]], dtype=np.int64)
        f = np.array([3, 2, 1], dtype=np.int64)
        _kernels.run_chain(rng_state(1), x, f, 2, 0.25, 0.25, 2, 2, 4, 1, 20, True)
        _compiled = True


def run_lcmcr(
    histories: CaptureHistories,
    settings: LCMCRSettings | None = None,
    seed: int | None = None,
) -> LCMCRFit:
    """Run ``settings.chains`` LCMCR chains in parallel and pool their draws of N."""
    s = settings or LCMCRSettings()
    ensure_compiled()
    seed = fresh_seed() if seed is None else int(seed)
    seeds = chain_seeds(seed, s.chains)
    x = np.ascontiguousarray(histories.patterns, dtype=np.int64)
    f = np.ascontiguousarray(histories.counts, dtype=np.int64)

    def one_chain(
        chain_seed: int,
    ) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], float, float]:
        t0 = time.perf_counter()
        c0 = time.thread_time()
        n_tr, a_tr, k_tr = _kernels.run_chain(
            rng_state(chain_seed), x, f, s.K, s.a_alpha, s.b_alpha, WARMUP, s.burnin,
            s.samples, s.thinning, CAP_FACTOR, s.label_swaps,
        )  # fmt: skip
        return n_tr, a_tr, k_tr, time.perf_counter() - t0, time.thread_time() - c0

    workers = s.workers or min(s.chains, usable_cores())
    t0 = time.perf_counter()
    if workers <= 1 or s.chains == 1:
        out = [one_chain(cs) for cs in seeds]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            out = list(pool.map(one_chain, seeds))
    wall = time.perf_counter() - t0
    return LCMCRFit(
        histories=histories,
        settings=s,
        seed=seed,
        chain_seeds=seeds,
        draws=np.stack([o[0] for o in out]),
        alpha=np.stack([o[1] for o in out]),
        k_star=np.stack([o[2] for o in out]),
        chain_seconds=tuple(o[3] for o in out),
        chain_cpu_seconds=tuple(o[4] for o in out),
        wall_seconds=wall,
    )

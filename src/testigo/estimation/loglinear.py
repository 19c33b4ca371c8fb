"""Log-linear capture–recapture models (Fienberg 1972), as fitted by R's Rcapture.

The 2^J − 1 observed cells of the capture table follow a Poisson GLM with log link whose
terms are the main effects of the lists and a chosen set of pairwise interactions. The count
of the unobserved cell (everybody's 0 pattern) is exp(intercept). Models are compared by
BIC (or AIC), intervals come from the multinomial profile likelihood of N (Cormack 1992) or
from the Wald approximation.

The GLM is fitted by iteratively reweighted least squares with NumPy; there is no
statsmodels dependency.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import linalg, optimize, special, stats

from .histories import CaptureHistories
from .results import EstimateResult, EstimateWarning, three_lists_warning

Pair = tuple[int, int]

#: Exhaustive model search up to this many lists (2^(J(J-1)/2) models); stepwise above.
MAX_LISTS_EXHAUSTIVE = 5
#: Coefficients beyond this size mean a fitted cell went to zero (estimate on the boundary).
BOUNDARY_COEF = 15.0


class FitError(RuntimeError):
    """The model cannot be fitted to these data."""


@dataclass(frozen=True)
class GLMFit:
    """A Poisson GLM fit."""

    coef: NDArray[np.float64]
    cov: NDArray[np.float64]
    mu: NDArray[np.float64]
    loglik: float
    deviance: float
    iterations: int
    converged: bool


def all_patterns(j: int) -> NDArray[np.int64]:
    """The 2^J − 1 non-empty patterns, in binary order (first list = most significant bit)."""
    codes = np.arange(1, 2**j)
    return ((codes[:, None] >> np.arange(j - 1, -1, -1)) & 1).astype(np.int64)


def design_matrix(patterns: NDArray[np.integer], pairs: Iterable[Pair]) -> NDArray[np.float64]:
    """Columns: intercept, one main effect per list, one product per interacting pair."""
    x = np.asarray(patterns, dtype=np.float64)
    cols = [np.ones(x.shape[0]), *x.T, *(x[:, a] * x[:, b] for a, b in pairs)]
    return np.column_stack(cols)


def fit_poisson(
    design: NDArray[np.float64],
    y: NDArray[np.float64],
    *,
    start: NDArray[np.float64] | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> GLMFit:
    """Poisson log-link GLM by Fisher scoring (IRLS), with step halving on divergence.

    ``start`` warm-starts the coefficients (e.g. from a nested model's fit).
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return _irls(design, np.asarray(y, dtype=np.float64), start, tol, max_iter)


def _solve_spd(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    try:
        return linalg.cho_solve(linalg.cho_factor(a), b)
    except linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def _irls(
    design: NDArray[np.float64],
    y: NDArray[np.float64],
    start: NDArray[np.float64] | None,
    tol: float,
    max_iter: int,
) -> GLMFit:
    beta = np.linalg.lstsq(design, np.log(y + 0.5), rcond=None)[0]
    if start is not None:
        warm = np.asarray(start, dtype=np.float64)
        if np.isfinite(_deviance(y, np.exp(design @ warm))):
            beta = warm.copy()
    mu = np.exp(design @ beta)
    dev_old = _deviance(y, mu)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (it is reported)
        info = design.T @ (design * mu[:, None])
        if not np.isfinite(info).all():
            break
        step_dir = _solve_spd(info, design.T @ (y - mu))
        step = 1.0
        while True:
            trial = beta + step * step_dir
            mu_trial = np.exp(design @ trial)
            dev = _deviance(y, mu_trial)
            if np.isfinite(dev) and dev <= dev_old + 1e-9 * (1 + abs(dev_old)):
                break
            step /= 2
            if step < 1e-8:
                break
        if not np.isfinite(dev):
            break
        beta, mu = trial, mu_trial
        if abs(dev_old - dev) <= tol * (abs(dev) + 0.1):
            converged = bool(np.isfinite(dev))
            break
        dev_old = dev
    info = design.T @ (design * mu[:, None])
    if np.isfinite(info).all():
        cov = np.linalg.pinv(info)
    else:
        cov = np.full_like(info, np.nan)
        converged = False
    loglik = float(np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1)))
    return GLMFit(beta, cov, mu, loglik, _deviance(y, mu), it, converged)


def _deviance(y: NDArray[np.float64], mu: NDArray[np.float64]) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(2 * np.sum(special.xlogy(y, y / mu) - (y - mu)))


@dataclass(frozen=True)
class LoglinearModel:
    """A fitted log-linear model and its estimate of N."""

    lists: tuple[str, ...]
    pairs: tuple[Pair, ...]
    observed: int
    fit: GLMFit
    n_cells: int

    @property
    def name(self) -> str:
        """Rcapture's notation, e.g. ``[12;13;4]`` (lists numbered from 1; with 10 lists or
        more, pairs are written ``1.10``)."""
        j = len(self.lists)
        sep = "." if j >= 10 else ""  # 1.10 rather than the ambiguous 110
        covered = {i for p in self.pairs for i in p}
        terms = [(a, b) for a, b in self.pairs] + [(i, -1) for i in range(j) if i not in covered]
        terms.sort()
        return (
            "[" + ";".join(f"{a + 1}{sep}{b + 1}" if b >= 0 else str(a + 1) for a, b in terms) + "]"
        )

    @property
    def n_params(self) -> int:
        return int(self.fit.coef.size)

    @property
    def unobserved(self) -> float:
        """Estimated count of the unobserved cell, exp(intercept)."""
        return float(math.exp(self.fit.coef[0]))

    @property
    def estimate(self) -> float:
        """Poisson maximum-likelihood estimate of N."""
        return self.observed + self.unobserved

    @property
    def stderr(self) -> float:
        """Standard error of N̂ as Rcapture computes it: √(n̂0 + n̂0²·Var(intercept))."""
        n0 = self.unobserved
        return float(math.sqrt(n0 + n0 * n0 * self.fit.cov[0, 0]))

    @property
    def aic(self) -> float:
        return -2 * self.fit.loglik + 2 * self.n_params

    @property
    def bic(self) -> float:
        return -2 * self.fit.loglik + math.log(self.observed) * self.n_params

    @property
    def boundary(self) -> bool:
        """True when an interaction ran off to −∞ because two lists share nobody.

        The likelihood is then maximised in the limit; the estimate of N stays finite and
        Rcapture reports such fits too, so they remain eligible in model selection.
        """
        return bool(np.any(np.abs(self.fit.coef[1:]) > BOUNDARY_COEF))

    def wald_interval(self, level: float = 0.95) -> tuple[float, float]:
        z = stats.norm.ppf(0.5 + level / 2)
        return self.estimate - z * self.stderr, self.estimate + z * self.stderr


def fit_model(
    histories: CaptureHistories,
    pairs: Sequence[Pair] = (),
    *,
    start: LoglinearModel | None = None,
) -> LoglinearModel:
    """Fit the model with main effects and the given pairwise interactions.

    ``start``: a fitted model whose coefficients warm-start this one (shared terms copied,
    new terms at 0).
    """
    j = histories.n_lists
    pats = all_patterns(j)
    y = histories.full_table().astype(np.float64)
    pairs = tuple(sorted({(min(a, b), max(a, b)) for a, b in pairs}))
    beta0 = None
    if start is not None:
        old = {p: start.fit.coef[1 + j + i] for i, p in enumerate(start.pairs)}
        beta0 = np.concatenate([start.fit.coef[: 1 + j], [old.get(p, 0.0) for p in pairs]])
    fit = fit_poisson(design_matrix(pats, pairs), y, start=beta0)
    return LoglinearModel(histories.lists, pairs, histories.observed, fit, y.size)


def _criterion(model: LoglinearModel, criterion: str) -> float:
    return model.bic if criterion == "bic" else model.aic


def select_model(
    histories: CaptureHistories,
    *,
    criterion: str = "bic",
    max_exhaustive: int = MAX_LISTS_EXHAUSTIVE,
) -> tuple[LoglinearModel, list[LoglinearModel]]:
    """The best model by BIC or AIC among main effects + any set of pairwise interactions.

    Up to ``max_exhaustive`` lists every model is fitted (as Rcapture's search over
    hierarchical models with at most two-way terms); above, a forward–backward stepwise
    search from independence over the pairs of lists that share someone, adding at each
    step the pair with the largest score statistic. Models whose fit hits the boundary (an
    infinite coefficient) are kept, as in Rcapture; models whose IRLS did not converge are
    skipped. Returns the best model and every model fitted.
    """
    if criterion not in ("bic", "aic"):
        raise ValueError("criterion must be 'bic' or 'aic'")
    j = histories.n_lists
    candidates = list(itertools.combinations(range(j), 2))
    fitted: list[LoglinearModel] = []
    if j <= max_exhaustive:
        for r in range(len(candidates) + 1):
            for subset in itertools.combinations(candidates, r):
                fitted.append(fit_model(histories, subset))
        usable = [m for m in fitted if m.fit.converged]
        if not usable:
            raise FitError("no log-linear model could be fitted to these data")
        return min(usable, key=lambda m: _criterion(m, criterion)), fitted
    # Stepwise: pairs of lists that share nobody would get an infinite interaction; leave
    # them out of the search rather than chase the boundary.
    x = histories.patterns.astype(np.int64)
    overlap = x.T @ (x * histories.counts[:, None])
    candidates = [(a, b) for a, b in candidates if overlap[a, b] > 0]
    penalty = math.log(histories.observed) if criterion == "bic" else 2.0
    pats = all_patterns(j)
    y = histories.full_table().astype(np.float64)
    best = fit_model(histories, ())
    fitted.append(best)
    while True:
        # Forward: rank the pairs not yet in the model by their score statistic (no refits),
        # then fit the most promising one.
        out = [p for p in candidates if p not in best.pairs]
        step: LoglinearModel | None = None
        if out:
            scores = _score_statistics(best, pats, y, out)
            top = int(np.argmax(scores))
            if scores[top] > penalty:
                trial = fit_model(histories, (*best.pairs, out[top]), start=best)
                fitted.append(trial)
                if trial.fit.converged and _criterion(trial, criterion) < _criterion(
                    best, criterion
                ):
                    step = trial
        if step is None:
            # Backward: drop the pair whose removal helps most.
            for pair in best.pairs:
                trial = fit_model(histories, [p for p in best.pairs if p != pair], start=best)
                fitted.append(trial)
                better_than = step if step is not None else best
                if trial.fit.converged and _criterion(trial, criterion) < _criterion(
                    better_than, criterion
                ):
                    step = trial
        if step is None:
            return best, fitted
        best = step


def _score_statistics(
    model: LoglinearModel,
    patterns: NDArray[np.int64],
    y: NDArray[np.float64],
    pairs: Sequence[Pair],
) -> NDArray[np.float64]:
    """Rao score statistic for adding each pairwise term to a fitted model (χ²₁ under H0)."""
    x = design_matrix(patterns, model.pairs)
    mu = model.fit.mu
    z = np.column_stack([patterns[:, a] * patterns[:, b] for a, b in pairs]).astype(np.float64)
    u = z.T @ (y - mu)
    xtwz = x.T @ (z * mu[:, None])
    var = (z * z * mu[:, None]).sum(axis=0) - np.einsum("pc,pc->c", xtwz, model.fit.cov @ xtwz)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 1e-12, u * u / var, 0.0)


class _Profile:
    """The profile log-likelihood of N for one model, warm-starting each fit from the last."""

    def __init__(self, histories: CaptureHistories, pairs: Sequence[Pair]) -> None:
        j = histories.n_lists
        self.y_obs = histories.full_table().astype(np.float64)
        self.n = float(self.y_obs.sum())
        pats = np.vstack([np.zeros((1, j), dtype=np.int64), all_patterns(j)])
        self.design = design_matrix(pats, pairs)
        self.coef: NDArray[np.float64] | None = None

    def __call__(self, total: float) -> float:
        if total < self.n:
            return -math.inf
        y = np.concatenate([[total - self.n], self.y_obs])
        fit = fit_poisson(self.design, y, start=self.coef, tol=1e-12)
        # Warm starts only from interior fits: near the boundary the slow drift of an
        # infinite coefficient would make the result depend on where the fit started.
        interior = fit.converged and bool(np.all(np.abs(fit.coef[1:]) < BOUNDARY_COEF))
        self.coef = fit.coef if interior else None
        p = fit.mu / fit.mu.sum()
        return float(
            special.gammaln(total + 1)
            - special.gammaln(total - self.n + 1)
            + np.sum(special.xlogy(y, p))
        )


def profile_loglik(histories: CaptureHistories, pairs: Sequence[Pair], total: float) -> float:
    """Multinomial log-likelihood of N = ``total``, maximised over the model's parameters.

    The complete table (with the unobserved cell set to N − n) is fitted as a Poisson GLM;
    with an intercept its fitted values sum to N, so they are the multinomial MLE.
    """
    return _Profile(histories, pairs)(total)


def profile_interval(
    histories: CaptureHistories,
    pairs: Sequence[Pair],
    *,
    level: float = 0.95,
    start: float | None = None,
    max_factor: float = 1000.0,
) -> tuple[float, float, float | None]:
    """(profile MLE of N, lower, upper) from the profile likelihood; upper is None when the
    likelihood does not fall by the χ² cut-off below ``max_factor``·n."""
    n = float(histories.observed)
    cut = stats.chi2.ppf(level, 1) / 2
    profile = _Profile(histories, pairs)

    def neg(t: float) -> float:
        return -profile(t)

    # Coarse geometric grid on the unobserved count, then Brent between the grid neighbours.
    grid = n + n * np.geomspace(1e-4, max_factor, 48)
    if start is not None and start > n:
        grid = np.sort(np.append(grid, start))
    values = np.array([neg(t) for t in grid])
    i = int(np.argmin(values))
    lo_b = grid[i - 1] if i > 0 else n
    hi_b = grid[i + 1] if i + 1 < grid.size else grid[i]
    res = optimize.minimize_scalar(
        neg, bounds=(lo_b, hi_b), method="bounded", options={"xatol": 1e-7 * n}
    )
    n_hat, top = (float(res.x), -float(res.fun)) if res.fun <= values[i] else (grid[i], -values[i])

    def g(t: float) -> float:
        return top - profile(t) - cut

    lower = n if g(n) <= 0 else float(optimize.brentq(g, n, n_hat, xtol=1e-8))
    upper: float | None = None
    b = n_hat * 1.5 + 1
    while b < max_factor * n:
        if g(b) > 0:
            upper = float(optimize.brentq(g, n_hat, b, xtol=1e-8))
            break
        b *= 2
    return n_hat, lower, upper


@dataclass(frozen=True)
class ChaoBound:
    """Chao's (1987) lower bound on N from the people seen once (f1) and twice (f2)."""

    estimate: float
    f1: int
    f2: int
    stderr: float


def chao_lower_bound(histories: CaptureHistories) -> ChaoBound:
    """Chao's lower bound n + f1²/(2·f2); the bias-corrected n + f1(f1 − 1)/(2(f2 + 1)) when
    nobody was seen on exactly two lists. A sanity check: any sound estimate should exceed
    it unless heterogeneity is extreme."""
    f = histories.captures_per_person()
    n = histories.observed
    f1, f2 = int(f[1]), int(f[2])
    if f2 > 0:
        r = f1 / f2
        est = n + f1 * f1 / (2.0 * f2)
        var = f2 * (r**4 / 4 + r**3 + r**2 / 2)
    else:
        est = n + f1 * (f1 - 1) / 2.0
        var = f1 * (f1 - 1) / 2 + f1 * (2 * f1 - 1) ** 2 / 4 - f1**4 / (4 * est)
    return ChaoBound(est, f1, f2, math.sqrt(max(var, 0.0)))


def estimate_loglinear(
    histories: CaptureHistories,
    *,
    model: str | Sequence[Pair] = "bic",
    interval: str = "profile",
    level: float = 0.95,
) -> EstimateResult:
    """Estimate N with a log-linear model.

    Args:
        model: ``"bic"`` or ``"aic"`` (select), ``"independence"`` (Rcapture's Mt),
            ``"pairwise"`` (all two-way interactions) or an explicit list of list-index pairs.
        interval: ``"profile"`` (profile likelihood; the estimate is then the profile MLE)
            or ``"wald"`` (N̂ ± z·SE with the Poisson MLE).
    """
    warnings: list[EstimateWarning] = []
    n_models = 1
    if isinstance(model, str) and model in ("bic", "aic"):
        chosen, fitted = select_model(histories, criterion=model)
        n_models = len(fitted)
        selection = model
    elif isinstance(model, str) and model == "independence":
        chosen, selection = fit_model(histories, ()), "fixed"
    elif isinstance(model, str) and model == "pairwise":
        pairs = list(itertools.combinations(range(histories.n_lists), 2))
        chosen, selection = fit_model(histories, pairs), "fixed"
    elif isinstance(model, str):
        raise ValueError(f"unknown model {model!r}")
    else:
        chosen, selection = fit_model(histories, model), "fixed"
    if not chosen.fit.converged:
        warnings.append(
            EstimateWarning(
                "not_converged",
                "The log-linear fit did not converge; the estimate is not reliable.",
            )
        )
    if chosen.boundary:
        warnings.append(
            EstimateWarning(
                "boundary_fit",
                "Some lists in an interaction term share nobody, so the fitted interaction is "
                "minus infinity (as in Rcapture). The estimate is defined, but it rests on "
                "sparse overlaps; check it against LCMCR.",
            )
        )
    if interval == "profile":
        est, lower, upper = profile_interval(
            histories, chosen.pairs, level=level, start=chosen.estimate
        )
    elif interval == "wald":
        est = chosen.estimate
        lower, upper_w = chosen.wald_interval(level)
        lower = max(lower, float(histories.observed))
        upper = upper_w
    else:
        raise ValueError("interval must be 'profile' or 'wald'")
    if upper is None:
        warnings.append(
            EstimateWarning(
                "unbounded_upper",
                "The likelihood does not bound the total from above: the data are "
                "compatible with arbitrarily many unrecorded people under this model.",
            )
        )
    if histories.n_lists == 3:
        warnings.append(three_lists_warning())
    chao = chao_lower_bound(histories)
    return EstimateResult(
        method="loglinear",
        observed=histories.observed,
        estimate=est,
        lower=lower,
        upper=upper,
        interval=level,
        lists=histories.lists,
        details={
            "model": chosen.name,
            "selection": selection,
            "interval_method": interval,
            "poisson_estimate": round(chosen.estimate, 1),
            "stderr": round(chosen.stderr, 1),
            "chao_lower_bound": round(chao.estimate, 1),
        },
        diagnostics={
            "aic": round(chosen.aic, 2),
            "bic": round(chosen.bic, 2),
            "deviance": round(chosen.fit.deviance, 3),
            "df": chosen.n_cells - chosen.n_params,
            "models_compared": n_models,
        },
        warnings=tuple(warnings),
    )

"""MCMC convergence diagnostics: effective sample size and split R-hat.

Both follow Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
folding, and localization: an improved R-hat", Bayesian Analysis 16:667, which is what Stan,
ArviZ and posterior use. The ESS uses Geyer's initial monotone sequence on the multi-chain
autocorrelation; with one chain it is the classical single-chain estimate.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats


def _as_chains(draws: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError("draws must be 1-D (one chain) or 2-D (chains × draws)")
    return x


def autocovariance(x: ArrayLike) -> NDArray[np.float64]:
    """Biased autocovariance of one chain at lags 0..n−1, computed by FFT."""
    y = np.asarray(x, dtype=np.float64)
    n = y.size
    y = y - y.mean()
    size = 1 << (2 * n - 1).bit_length()
    spec = np.fft.rfft(y, size)
    acov = np.fft.irfft(spec * np.conj(spec), size)[:n]
    return acov / n


def ess(draws: ArrayLike, *, rank_normalize: bool = False) -> float:
    """Effective sample size of the pooled draws (chains × draws, or one chain).

    Returns the number of draws when every draw is identical (nothing to estimate) and NaN when
    there are fewer than 4 draws per chain.
    """
    x = _as_chains(draws)
    m, n = x.shape
    if n < 4:
        return math.nan
    if rank_normalize:
        x = rank_normalize_draws(x)
    acov = np.stack([autocovariance(c) for c in x])
    chain_var = acov[:, 0] * n / (n - 1.0)
    w = chain_var.mean()
    var_plus = w * (n - 1.0) / n
    if m > 1:
        var_plus += x.mean(axis=1).var(ddof=1)
    if var_plus <= 0.0 or not np.isfinite(var_plus):
        return float(m * n)
    rho = 1.0 - (w - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer's initial positive sequence of pair sums, made monotone.
    n_pairs = n // 2
    pairs = rho[: 2 * n_pairs].reshape(n_pairs, 2).sum(axis=1)
    negative = np.nonzero(pairs <= 0.0)[0]
    stop = int(negative[0]) if negative.size else n_pairs
    pairs = np.minimum.accumulate(pairs[:stop]) if stop > 0 else pairs[:0]
    tau = -1.0 + 2.0 * pairs.sum()
    # Antithetic chains can give tau < 1; cap as Stan does at ESS = m·n·log10(m·n).
    tau = max(tau, 1.0 / math.log10(max(m * n, 10)))
    return float(m * n / tau)


def ess_per_chain(draws: ArrayLike) -> list[float]:
    """Single-chain ESS of each chain."""
    return [ess(c) for c in _as_chains(draws)]


def rank_normalize_draws(x: ArrayLike) -> NDArray[np.float64]:
    """Rank-normalise pooled draws to normal scores (Blom offsets, average ranks for ties)."""
    y = _as_chains(x)
    ranks = stats.rankdata(y, method="average").reshape(y.shape)
    total = y.size
    return special.ndtri((ranks - 0.375) / (total + 0.25))


def _rhat(x: NDArray[np.float64]) -> float:
    n = x.shape[1]
    w = x.var(axis=1, ddof=1).mean()
    b_over_n = x.mean(axis=1).var(ddof=1)
    if w <= 0.0:
        return 1.0 if b_over_n <= 0.0 else math.inf
    var_plus = w * (n - 1.0) / n + b_over_n
    return float(math.sqrt(var_plus / w))


def _split(x: NDArray[np.float64]) -> NDArray[np.float64]:
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half :]], axis=0)


def split_rhat(draws: ArrayLike, *, rank_normalize: bool = True) -> float:
    """Split R-hat across chains.

    With ``rank_normalize`` (the default) this is the rank-normalised, folded version of
    Vehtari et al. (2021): the larger of the bulk and the tail R-hat, robust to heavy tails.
    Otherwise it is the classical split R-hat of Gelman et al. (BDA3).
    """
    x = _as_chains(draws)
    if x.shape[1] < 4:
        return math.nan
    s = _split(x)
    if not rank_normalize:
        return _rhat(s)
    bulk = _rhat(rank_normalize_draws(s))
    folded = np.abs(s - np.median(s))
    tail = _rhat(rank_normalize_draws(folded))
    return max(bulk, tail)


def mcse_quantile(draws: ArrayLike, prob: float) -> float:
    """Monte Carlo standard error of a pooled quantile (Vehtari et al. 2021, §4.3).

    Uses the multi-chain ESS of the indicator I(x ≤ q), so it grows both with
    autocorrelation and with disagreement between chains; NaN when it cannot be computed.
    """
    x = _as_chains(draws)
    flat = np.sort(x.ravel())
    q = np.quantile(flat, prob)
    s = ess((x <= q).astype(np.float64))
    if not np.isfinite(s) or s <= 0:
        return math.nan
    lo, hi = stats.beta.ppf([0.15865525, 0.84134475], s * prob + 1, s * (1 - prob) + 1)
    n = flat.size
    idx = np.clip(np.array([lo, hi]) * n, 0, n - 1).astype(int)
    return float((flat[idx[1]] - flat[idx[0]]) / 2)

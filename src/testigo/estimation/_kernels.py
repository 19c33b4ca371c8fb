"""Compiled (Numba) kernels of the LCMCR Gibbs sampler, and the random variates they use.

One function per full conditional of Manrique-Vallier (2016), in the order LCMCR 0.4.14's
``Update`` runs them (shared/data/mse/LCMCR.md §3), plus the chain driver. Each conditional
is a plain ``@njit`` function so tests can call it directly from Python and check its
distribution exactly; the driver calls the same functions, so what is tested is what runs.

State is per distinct capture pattern: ``c[m, k]`` people with pattern m in class k, and
``c0[k]`` unobserved people in class k; there are no per-person labels.

Random variates. Numba's ``np.random`` looks up a thread-local generator on every call, which
makes a uniform cost ~17 ns, a normal ~90 ns and a binomial 140–260 ns: more than the whole
arithmetic of a sweep. Here the generator state is a 4-word ``uint64`` array (``rng``)
passed explicitly, one per chain, which also makes each chain's stream independent of
threads by construction:

* generator: xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64;
* normal: Doornik's (2005) ziggurat, 128 layers;
* gamma: Marsaglia & Tsang (2000); shapes below 1 on the log scale with
  log G(a) = log G(a + 1) + log(U)/a, which is also LCMCR's small-shape trick;
* binomial: Bernoulli trials for n ≤ 16, inversion for n·p < 10, Hörmann's (1993) BTRS
  transformed rejection above;
* Poisson: inversion for λ < 10, Hörmann's PTRS above.

Each is checked against its exact distribution in tests/estimation/test_rng.py.

The generator lives in this module, not its own, because Numba's on-disk cache does not notice
changes in other modules a compiled function calls.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from numba import njit


def _can_cache() -> bool:
    """Whether Numba has somewhere to write its on-disk cache.

    With ``cache=True`` Numba refuses to compile when neither the package directory nor the
    user's cache directory is writable (a read-only install in a container without a home),
    so compile without the cache there instead of failing.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return True
    here = Path(__file__).resolve().parent
    if os.access(here / "__pycache__", os.W_OK) or os.access(here, os.W_OK):
        return True
    home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return os.access(home_cache, os.W_OK) or os.access(home_cache.parent, os.W_OK)


_KW = {"cache": _can_cache(), "nogil": True}


_U64 = np.uint64
_TWO_M53 = 1.0 / 9007199254740992.0  # 2^-53


def new_state(seed: int) -> np.ndarray:
    """Generator state for ``seed`` (any non-negative integer below 2^64)."""
    state = np.empty(4, dtype=np.uint64)
    x = int(seed) & 0xFFFFFFFFFFFFFFFF
    for i in range(4):  # SplitMix64, as the xoshiro authors recommend for seeding
        x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        state[i] = z ^ (z >> 31)
    return state


@njit(**_KW)
def _rotl(x: np.uint64, k: int) -> np.uint64:
    return (x << _U64(k)) | (x >> _U64(64 - k))


@njit(**_KW)
def next_u64(s: np.ndarray) -> np.uint64:
    """xoshiro256**: the next 64 random bits."""
    result = _rotl(s[1] * _U64(5), 7) * _U64(9)
    t = s[1] << _U64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@njit(**_KW)
def uniform(s: np.ndarray) -> float:
    """U[0, 1) with 53 random bits."""
    return float(next_u64(s) >> _U64(11)) * _TWO_M53


@njit(**_KW)
def uniform_pos(s: np.ndarray) -> float:
    """U(0, 1], safe to take the log of."""
    return (float(next_u64(s) >> _U64(11)) + 1.0) * _TWO_M53


# Ziggurat tables (Doornik 2005): 128 layers of equal area under exp(-x²/2).
_ZIG_C = 128
_ZIG_R = 3.442619855899
_ZIG_V = 9.91256303526217e-3


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray]:
    def f(x: float) -> float:
        return math.exp(-0.5 * x * x)

    x = np.empty(_ZIG_C + 1)
    x[0] = _ZIG_V / f(_ZIG_R)
    x[1] = _ZIG_R
    for i in range(2, _ZIG_C):
        x[i] = math.sqrt(-2.0 * math.log(_ZIG_V / x[i - 1] + f(x[i - 1])))
    x[_ZIG_C] = 0.0
    ratio = x[1:] / x[:-1]
    return x, ratio


_ZX, _ZRATIO = _ziggurat_tables()


@njit(**_KW)
def _normal_tail(s: np.ndarray, negative: bool) -> float:
    while True:
        x = math.log(uniform_pos(s)) / _ZIG_R
        y = math.log(uniform_pos(s))
        if -2.0 * y >= x * x:
            return x - _ZIG_R if negative else _ZIG_R - x


@njit(**_KW)
def normal(s: np.ndarray) -> float:
    """A standard normal variate (ziggurat)."""
    while True:
        bits = next_u64(s)
        i = int(bits & _U64(0x7F))
        u = 2.0 * (float(bits >> _U64(11)) * _TWO_M53) - 1.0
        if abs(u) < _ZRATIO[i]:
            return u * _ZX[i]
        if i == 0:
            return _normal_tail(s, u < 0.0)
        x = u * _ZX[i]
        f0 = math.exp(-0.5 * (_ZX[i] * _ZX[i] - x * x))
        f1 = math.exp(-0.5 * (_ZX[i + 1] * _ZX[i + 1] - x * x))
        if f1 + uniform(s) * (f0 - f1) < 1.0:
            return x


@njit(**_KW)
def log_gamma(s: np.ndarray, shape: float) -> float:
    """log of a Gamma(shape, 1) variate; finite for any shape > 0."""
    small = shape < 1.0
    a = shape + 1.0 if small else shape
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(s)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v3 = v * v * v
        u = uniform(s)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:
            out = math.log(d) + 3.0 * math.log(v)
            break
        lv = 3.0 * math.log(v)
        if math.log(u) < 0.5 * x2 + d * (1.0 - v3 + lv):
            out = math.log(d) + lv
            break
    if small:  # log G(a) = log G(a + 1) + log(U)/a (LCMCR's small-shape trick)
        out += math.log(uniform_pos(s)) / shape
    return out


@njit(**_KW)
def _gamma_large(s: np.ndarray, shape: float) -> float:
    # Marsaglia–Tsang on the linear scale, shape >= 1: no logarithm on the fast path.
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        x = normal(s)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v3 = v * v * v
        u = uniform(s)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:
            return d * v3
        if math.log(u) < 0.5 * x2 + d * (1.0 - v3 + math.log(v3)):
            return d * v3


@njit(**_KW)
def gamma(s: np.ndarray, shape: float) -> float:
    """A Gamma(shape, 1) variate (may underflow to 0 for tiny shapes; use log_gamma)."""
    if shape >= 1.0:
        return _gamma_large(s, shape)
    return math.exp(log_gamma(s, shape))


@njit(**_KW)
def log_beta(s: np.ndarray, a: float, b: float) -> tuple[float, float]:
    """(log X, log(1 − X)) for X ~ Beta(a, b), from two gamma variates.

    With both shapes >= 1 the gammas cannot underflow and are combined on the linear scale;
    otherwise on the log scale, so that X or 1 − X may be far below the smallest double.
    """
    if a >= 1.0 and b >= 1.0:
        g1 = _gamma_large(s, a)
        g0 = _gamma_large(s, b)
        lse = math.log(g1 + g0)
        return math.log(g1) - lse, math.log(g0) - lse
    g1 = log_gamma(s, a)
    g0 = log_gamma(s, b)
    hi = max(g1, g0)
    lse = hi + math.log(math.exp(g1 - hi) + math.exp(g0 - hi))
    return g1 - lse, g0 - lse


@njit(**_KW)
def _stirling_tail(k: float) -> float:
    # log(k!) − [(k + ½)·log(k + 1) − (k + 1) + ½·log(2π)], exact below 10.
    if k < 10.0:
        return _STIRLING[int(k)]
    kp1 = k + 1.0
    kp1sq = kp1 * kp1
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / kp1


_STIRLING = np.array(
    [
        math.lgamma(k + 1.0)
        - ((k + 0.5) * math.log(k + 1.0) - (k + 1.0) + 0.5 * math.log(2 * math.pi))
        for k in range(10)
    ]
)


@njit(**_KW)
def _binomial_inversion(s: np.ndarray, n: int, p: float) -> int:
    u = uniform(s)
    # (1 − p)^n >= 1 − n·p, so a uniform below 1 − n·p inverts to 0 without computing the
    # power: most calls for the small classes of a multinomial stop here.
    if u < 1.0 - n * p:
        return 0
    q = 1.0 - p
    s_ratio = p / q
    a = (n + 1) * s_ratio
    r = math.exp(n * math.log1p(-p))
    x = 0
    while u > r:
        u -= r
        x += 1
        if x > n:  # rounding at the far tail: start again
            u = uniform(s)
            x = 0
            r = math.exp(n * math.log1p(-p))
            continue
        r *= a / x - s_ratio
    return x


@njit(**_KW)
def _binomial_btrs(s: np.ndarray, n: int, p: float) -> int:
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    r = p / (1.0 - p)
    alpha = (2.83 + 5.1 / b) * spq
    m = math.floor((n + 1) * p)
    while True:
        u = uniform(s) - 0.5
        v = uniform(s)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return int(k)
        v = math.log(v * alpha / (a / (us * us) + b))
        bound = (
            (m + 0.5) * math.log((m + 1.0) / (r * (n - m + 1.0)))
            + (n + 1.0) * math.log((n - m + 1.0) / (n - k + 1.0))
            + (k + 0.5) * math.log(r * (n - k + 1.0) / (k + 1.0))
            + _stirling_tail(m)
            + _stirling_tail(n - m)
            - _stirling_tail(k)
            - _stirling_tail(n - k)
        )
        if v <= bound:
            return int(k)


@njit(**_KW)
def binomial(s: np.ndarray, n: int, p: float) -> int:
    """A Binomial(n, p) variate."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    flipped = p > 0.5
    q = 1.0 - p if flipped else p
    if n <= 16:
        # A few Bernoulli trials cost less than the power in the inversion's first step.
        k = 0
        for _ in range(n):
            if uniform(s) < q:
                k += 1
    elif n * q < 10.0:
        k = _binomial_inversion(s, n, q)
    else:
        k = _binomial_btrs(s, n, q)
    return n - k if flipped else k


@njit(**_KW)
def poisson(s: np.ndarray, lam: float) -> int:
    """A Poisson(λ) variate."""
    if lam <= 0.0:
        return 0
    if lam < 10.0:
        limit = math.exp(-lam)
        k = 0
        prod = uniform_pos(s)
        while prod > limit:
            k += 1
            prod *= uniform_pos(s)
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = uniform(s) - 0.5
        v = uniform(s)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= v_r:
            return int(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b) <= (
            -lam + k * loglam - math.lgamma(k + 1.0)
        ):
            return int(k)


@njit(**_KW)
def negative_binomial(s: np.ndarray, size: float, p: float) -> int:
    """Failures before ``size`` successes with success probability ``p`` (gamma–Poisson)."""
    return poisson(s, math.exp(log_gamma(s, size)) * (1.0 - p) / p)


# --- The LCMCR full conditionals -------------------------------------------------


@njit(**_KW)
def log_gamma_draw(rng: np.ndarray, shape: float) -> float:
    """log of a Gamma(shape, 1) draw, finite even for tiny shapes (see :mod:`._rng`)."""
    return log_gamma(rng, shape)


@njit(**_KW)
def log_beta_draw(rng: np.ndarray, a: float, b: float) -> tuple[float, float]:
    """(log X, log(1 − X)) for X ~ Beta(a, b).

    Beta(1, b) and Beta(a, 1) — lists nobody in a class is on, empty classes — are drawn by
    inversion from one uniform; everything else as two log-gammas, as LCMCR does.
    """
    if a == 1.0:
        t = math.log(uniform_pos(rng)) / b  # log(1 − X) for X = 1 − U^(1/b)
        return math.log(-math.expm1(t)) if t < 0.0 else -math.inf, t
    if b == 1.0:
        t = math.log(uniform_pos(rng)) / a  # log X for X = U^(1/a)
        return t, math.log(-math.expm1(t)) if t < 0.0 else -math.inf
    return log_beta(rng, a, b)


@njit(**_KW)
def multinomial_into(rng: np.ndarray, n: int, w: np.ndarray, out: np.ndarray) -> None:
    """Draw Multinomial(n, w / sum(w)) into ``out``; ``w`` need not be normalised.

    Conditional binomials use suffix sums of ``w`` (not a running difference) so rounding
    cannot push a conditional probability above 1.
    """
    k_len = w.size
    for k in range(k_len):
        out[k] = 0
    if n <= 0:
        return
    total = 0.0
    for k in range(k_len):
        total += w[k]
    if n == 1:
        u = uniform(rng) * total
        acc = 0.0
        for k in range(k_len - 1):
            acc += w[k]
            if u < acc:
                out[k] = 1
                return
        out[k_len - 1] = 1
        return
    suffix = total
    remaining = n
    for k in range(k_len - 1):
        if remaining == 0 or suffix <= 0.0:
            return
        p = w[k] / suffix
        if p >= 1.0:
            out[k] = remaining
            return
        draw = binomial(rng, remaining, p)
        out[k] = draw
        remaining -= draw
        suffix -= w[k]
    out[k_len - 1] += remaining


@njit(**_KW)
def pattern_index(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR index of the lists each pattern is on: ``idx[ptr[m]:ptr[m+1]]``."""
    m_len, j_len = x.shape
    ptr = np.zeros(m_len + 1, dtype=np.int64)
    for m in range(m_len):
        cnt = 0
        for j in range(j_len):
            if x[m, j] != 0:
                cnt += 1
        ptr[m + 1] = ptr[m] + cnt
    idx = np.empty(ptr[m_len], dtype=np.int64)
    pos = 0
    for m in range(m_len):
        for j in range(j_len):
            if x[m, j] != 0:
                idx[pos] = j
                pos += 1
    return ptr, idx


@njit(**_KW)
def draw_observed_allocations(
    rng: np.ndarray,
    ptr: np.ndarray,
    idx: np.ndarray,
    f: np.ndarray,
    log_pi: np.ndarray,
    log_lam: np.ndarray,
    log_1mlam: np.ndarray,
    c: np.ndarray,
) -> None:
    """Step 1: c[m, :] ~ Multinomial(f_m, w_m), w_mk ∝ π_k ∏_j λ_jk^x_mj (1 − λ_jk)^(1 − x_mj).

    w_mk = e^(b_k − max b) ∏_{j on m} λ_jk/(1 − λ_jk) with b_k = log π_k + Σ_j log(1 − λ_jk):
    J·K exponentials per sweep instead of M·K. λ is a Beta(≥1, ≥1) draw, so the odds stay
    within about e^±60 and the products cannot overflow; a pattern whose weights all
    underflow is redone in log space.
    """
    j_len, k_len = log_lam.shape
    m_len = f.size
    base = np.empty(k_len)
    w = np.empty(k_len)
    row = np.empty(k_len, dtype=np.int64)
    odds = np.empty((j_len, k_len))
    top = -np.inf
    for k in range(k_len):
        s = log_pi[k]
        for j in range(j_len):
            s += log_1mlam[j, k]
            odds[j, k] = math.exp(log_lam[j, k] - log_1mlam[j, k])
        base[k] = s
        if s > top:
            top = s
    scale = np.empty(k_len)
    for k in range(k_len):
        d = base[k] - top
        scale[k] = math.exp(d) if d > -700.0 else 0.0
    for m in range(m_len):
        total = 0.0
        for k in range(k_len):
            v = scale[k]
            for t in range(ptr[m], ptr[m + 1]):
                v *= odds[idx[t], k]
            w[k] = v
            total += v
        if not (0.0 < total < math.inf):
            hi = -np.inf
            for k in range(k_len):
                v = base[k]
                for t in range(ptr[m], ptr[m + 1]):
                    v += log_lam[idx[t], k] - log_1mlam[idx[t], k]
                w[k] = v
                hi = max(hi, v)
            for k in range(k_len):
                w[k] = math.exp(w[k] - hi)
        multinomial_into(rng, f[m], w, row)
        for k in range(k_len):
            c[m, k] = row[k]


@njit(**_KW)
def draw_list_probabilities(
    rng: np.ndarray,
    ptr: np.ndarray,
    idx: np.ndarray,
    c: np.ndarray,
    c0: np.ndarray,
    log_lam: np.ndarray,
    log_1mlam: np.ndarray,
) -> None:
    """Step 2: λ_jk ~ Beta(1 + A1_jk, 1 + A0_jk); unobserved people count as 0 on every list."""
    j_len, k_len = log_lam.shape
    m_len = c.shape[0]
    a1 = np.zeros((j_len, k_len))
    tot = np.zeros(k_len)
    for m in range(m_len):
        for k in range(k_len):
            cmk = c[m, k]
            if cmk == 0:
                continue
            tot[k] += cmk
            for t in range(ptr[m], ptr[m + 1]):
                a1[idx[t], k] += cmk
    for j in range(j_len):
        for k in range(k_len):
            a0 = tot[k] - a1[j, k] + c0[k]
            lg, l1g = log_beta_draw(rng, 1.0 + a1[j, k], 1.0 + a0)
            log_lam[j, k] = lg
            log_1mlam[j, k] = l1g


@njit(**_KW)
def _log_beta_fn(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


@njit(**_KW)
def label_swap_log_ratio(nk: np.ndarray, k: int, alpha: float) -> float:
    """log p(swapped) − log p(current) for exchanging classes k and k+1, with V integrated out.

    Under the truncated stick-breaking prior the class counts have probability
    ∏_{h<K} B(1 + n_h, α + Σ_{l>h} n_l) / B(1, α); a swap of adjacent classes changes only the
    factors of h = k and h = k + 1 (there is no factor for the last class, whose V is 1).
    """
    k_len = nk.size
    rest = 0.0
    for h in range(k + 2, k_len):
        rest += nk[h]
    a, b = nk[k], nk[k + 1]
    old = _log_beta_fn(1.0 + a, alpha + b + rest)
    new = _log_beta_fn(1.0 + b, alpha + a + rest)
    if k + 1 < k_len - 1:
        old += _log_beta_fn(1.0 + b, alpha + rest)
        new += _log_beta_fn(1.0 + a, alpha + rest)
    return new - old


@njit(**_KW)
def propose_label_swap(
    rng: np.ndarray,
    c: np.ndarray,
    c0: np.ndarray,
    log_lam: np.ndarray,
    log_1mlam: np.ndarray,
    alpha: float,
    k: int,
) -> bool:
    """Metropolis move exchanging the labels of classes k and k+1 (members and λ together).

    Not in LCMCR: an extra move (Papaspiliopoulos & Roberts 2008; Hastie et al. 2015) that
    leaves the posterior unchanged. The likelihood is invariant under the exchange, so the
    acceptance ratio is the ratio of the stick-breaking prior of the counts with V integrated
    out. Run between steps 2 and 3, so step 3 draws V for the new labels. It lets a chain
    leave states where a small class sits before a large one, which the plain Gibbs sweep
    leaves only very slowly. Returns whether the swap was accepted.
    """
    m_len, k_len = c.shape
    nk = np.empty(k_len)
    for h in range(k_len):
        s = float(c0[h])
        for m in range(m_len):
            s += c[m, h]
        nk[h] = s
    if nk[k] == nk[k + 1]:
        return False
    log_r = label_swap_log_ratio(nk, k, alpha)
    if log_r < 0.0 and math.log(uniform_pos(rng)) >= log_r:
        return False
    for m in range(m_len):
        tmp = c[m, k]
        c[m, k] = c[m, k + 1]
        c[m, k + 1] = tmp
    tmp = c0[k]
    c0[k] = c0[k + 1]
    c0[k + 1] = tmp
    for j in range(log_lam.shape[0]):
        t = log_lam[j, k]
        log_lam[j, k] = log_lam[j, k + 1]
        log_lam[j, k + 1] = t
        t = log_1mlam[j, k]
        log_1mlam[j, k] = log_1mlam[j, k + 1]
        log_1mlam[j, k + 1] = t
    return True


@njit(**_KW)
def draw_sticks(
    rng: np.ndarray, c: np.ndarray, c0: np.ndarray, alpha: float, log_pi: np.ndarray
) -> float:
    """Step 3: V_k ~ Beta(1 + n_k, α + Σ_{h>k} n_h), k < K; fills log π and returns log π_K."""
    m_len, k_len = c.shape
    nk = np.empty(k_len)
    for k in range(k_len):
        s = float(c0[k])
        for m in range(m_len):
            s += c[m, k]
        nk[k] = s
    tail = 0.0
    for k in range(k_len):
        tail += nk[k]
    cum = 0.0
    for k in range(k_len - 1):
        tail -= nk[k]
        lv, l1v = log_beta_draw(rng, 1.0 + nk[k], alpha + tail)
        log_pi[k] = lv + cum
        cum += l1v
    log_pi[k_len - 1] = cum
    return cum


@njit(**_KW)
def prob_missed(log_pi: np.ndarray, log_1mlam: np.ndarray) -> float:
    """Step 4: p0 = Σ_k π_k ∏_j (1 − λ_jk)."""
    j_len, k_len = log_1mlam.shape
    p0 = 0.0
    for k in range(k_len):
        s = log_pi[k]
        for j in range(j_len):
            s += log_1mlam[j, k]
        p0 += math.exp(s)
    return min(p0, 1.0)


@njit(**_KW)
def _n0_truncated_inversion(rng: np.ndarray, n: int, p0: float, cap: int) -> int:
    # Exact draw from the NB(n, 1 − p0) pmf restricted to 0..cap, for when rejection is hopeless.
    lp0 = math.log(p0)
    lq = math.log1p(-p0) if p0 < 1.0 else -745.0
    logp = np.empty(cap + 1)
    hi = -np.inf
    for m in range(cap + 1):
        v = math.lgamma(n + m) - math.lgamma(m + 1.0) - math.lgamma(n) + n * lq + m * lp0
        logp[m] = v
        if v > hi:
            hi = v
    total = 0.0
    for m in range(cap + 1):
        logp[m] = math.exp(logp[m] - hi)
        total += logp[m]
    u = uniform(rng) * total
    acc = 0.0
    for m in range(cap + 1):
        acc += logp[m]
        if u < acc:
            return m
    return cap


@njit(**_KW)
def draw_n0(rng: np.ndarray, n: int, p0: float, cap: int) -> int:
    """Step 5: n0 ~ NegBin(size n, success 1 − p0), redrawn while n0 > cap (LCMCR: cap = 20n).

    The failures-before-n-successes NB is the full conditional of n0 under p(N) ∝ 1/N. After
    1,000 rejected draws the truncated pmf is inverted directly (same distribution).
    """
    if p0 <= 0.0:
        return 0
    if p0 < 1.0 - 1e-12:
        for _ in range(1000):
            n0 = negative_binomial(rng, float(n), 1.0 - p0)
            if n0 <= cap:
                return n0
    return _n0_truncated_inversion(rng, n, p0, cap)


@njit(**_KW)
def draw_unobserved_allocations(
    rng: np.ndarray, n0: int, log_pi: np.ndarray, log_1mlam: np.ndarray, c0: np.ndarray
) -> None:
    """Step 6: c0 ~ Multinomial(n0, w0), w0_k ∝ π_k ∏_j (1 − λ_jk)."""
    j_len, k_len = log_1mlam.shape
    w = np.empty(k_len)
    hi = -np.inf
    for k in range(k_len):
        s = log_pi[k]
        for j in range(j_len):
            s += log_1mlam[j, k]
        w[k] = s
        if s > hi:
            hi = s
    for k in range(k_len):
        w[k] = math.exp(w[k] - hi)
    multinomial_into(rng, n0, w, c0)


@njit(**_KW)
def draw_alpha(
    rng: np.ndarray, a_alpha: float, b_alpha: float, k_len: int, log_pi_last: float
) -> float:
    """Step 7: α ~ Gamma(shape a + K − 1, rate b − log π_K)."""
    return math.exp(log_gamma(rng, a_alpha + k_len - 1.0)) / (b_alpha - log_pi_last)


@njit(**_KW)
def gibbs_sweep(
    rng: np.ndarray,
    ptr: np.ndarray,
    idx: np.ndarray,
    f: np.ndarray,
    n: int,
    cap: int,
    a_alpha: float,
    b_alpha: float,
    update_alpha: bool,
    label_swaps: bool,
    alpha: float,
    log_pi: np.ndarray,
    log_lam: np.ndarray,
    log_1mlam: np.ndarray,
    c: np.ndarray,
    c0: np.ndarray,
) -> tuple[int, float]:
    """One LCMCR iteration (steps 1–7, plus the optional label swap); returns (n0, α)."""
    draw_observed_allocations(rng, ptr, idx, f, log_pi, log_lam, log_1mlam, c)
    draw_list_probabilities(rng, ptr, idx, c, c0, log_lam, log_1mlam)
    if label_swaps:
        k = int(uniform(rng) * (log_pi.size - 1))
        propose_label_swap(rng, c, c0, log_lam, log_1mlam, alpha, k)
    log_pi_last = draw_sticks(rng, c, c0, alpha, log_pi)
    p0 = prob_missed(log_pi, log_1mlam)
    n0 = draw_n0(rng, n, p0, cap)
    draw_unobserved_allocations(rng, n0, log_pi, log_1mlam, c0)
    if update_alpha:
        alpha = draw_alpha(rng, a_alpha, b_alpha, log_pi.size, log_pi_last)
    return n0, alpha


@njit(**_KW)
def occupied_classes(c: np.ndarray, c0: np.ndarray) -> int:
    """k*: classes holding at least one person, observed or not."""
    m_len, k_len = c.shape
    occupied = 0
    for k in range(k_len):
        s = c0[k]
        for m in range(m_len):
            s += c[m, k]
        if s > 0:
            occupied += 1
    return occupied


@njit(**_KW)
def relabel_by_weight(
    log_pi: np.ndarray, log_lam: np.ndarray, log_1mlam: np.ndarray, c: np.ndarray, c0: np.ndarray
) -> None:
    """Permute classes into decreasing π, moving λ, c and c0 with them."""
    order = np.argsort(-log_pi)
    log_pi[:] = log_pi[order].copy()
    log_lam[:, :] = log_lam[:, order].copy()
    log_1mlam[:, :] = log_1mlam[:, order].copy()
    c[:, :] = c[:, order].copy()
    c0[:] = c0[order].copy()


@njit(**_KW)
def run_chain(
    rng: np.ndarray,
    x: np.ndarray,
    f: np.ndarray,
    k_len: int,
    a_alpha: float,
    b_alpha: float,
    warmup: int,
    burnin: int,
    samples: int,
    thinning: int,
    cap_factor: int,
    label_swaps: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run one chain as LCMCR does; returns traces of N, α and occupied classes (k*).

    Initialisation: n0 = 0, V ~ Beta(1, 1), λ_jk = share of observed people on list j, α =
    0.3/K; then ``warmup`` sweeps with α fixed, relabelling by decreasing π, ``burnin``
    untraced sweeps, and ``samples × thinning`` sweeps keeping the last of every ``thinning``.
    """
    m_len, j_len = x.shape
    ptr, idx = pattern_index(x)
    n = 0
    for m in range(m_len):
        n += f[m]
    cap = cap_factor * n

    log_pi = np.empty(k_len)
    cum = 0.0
    for k in range(k_len - 1):
        lv, l1v = log_beta_draw(rng, 1.0, 1.0)
        log_pi[k] = lv + cum
        cum += l1v
    log_pi[k_len - 1] = cum
    log_lam = np.empty((j_len, k_len))
    log_1mlam = np.empty((j_len, k_len))
    for j in range(j_len):
        on = 0
        for m in range(m_len):
            if x[m, j] != 0:
                on += f[m]
        share = min(max(on / n, 1e-10), 1.0 - 1e-10)
        for k in range(k_len):
            log_lam[j, k] = math.log(share)
            log_1mlam[j, k] = math.log1p(-share)
    c = np.zeros((m_len, k_len), dtype=np.int64)
    c0 = np.zeros(k_len, dtype=np.int64)
    alpha = 0.3 / k_len
    n0 = 0

    for it in range(warmup + burnin):
        if it == warmup:
            relabel_by_weight(log_pi, log_lam, log_1mlam, c, c0)
        n0, alpha = gibbs_sweep(
            rng, ptr, idx, f, n, cap, a_alpha, b_alpha, it >= warmup, label_swaps, alpha,
            log_pi, log_lam, log_1mlam, c, c0,
        )  # fmt: skip
    if burnin == 0:
        relabel_by_weight(log_pi, log_lam, log_1mlam, c, c0)

    n_trace = np.empty(samples, dtype=np.int64)
    alpha_trace = np.empty(samples)
    kstar_trace = np.empty(samples, dtype=np.int64)
    for s in range(samples):
        for _ in range(thinning):
            n0, alpha = gibbs_sweep(
                rng, ptr, idx, f, n, cap, a_alpha, b_alpha, True, label_swaps, alpha,
                log_pi, log_lam, log_1mlam, c, c0,
            )  # fmt: skip
        n_trace[s] = n + n0
        alpha_trace[s] = alpha
        kstar_trace[s] = occupied_classes(c, c0)
    return n_trace, alpha_trace, kstar_trace

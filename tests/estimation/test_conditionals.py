"""Exact tests of each LCMCR full conditional (LCMCR.md §5.1).

Each step of the sweep is drawn many times with the other blocks held fixed, and its draws are
compared with the closed form: means and variances within 5 standard errors, and chi-square
goodness of fit at p > 1e-4. With fixed seeds the tests are deterministic; the thresholds are
loose enough that a correct sampler passes for almost any seed, and tight enough to catch the
usual mistakes (N instead of Σ_{h>k} n_h, forgetting the unobserved people in λ's counts,
an off-by-one in the negative binomial).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

from testigo.estimation import lcmcr

DRAWS = 100_000


def close(sample: np.ndarray, mean: float, var: float, z: float = 5.0) -> None:
    """The sample mean is within z standard errors; the variance within z SE of a variance."""
    n = sample.size
    assert abs(sample.mean() - mean) <= z * math.sqrt(var / n), (sample.mean(), mean)
    # SE of the sample variance, using the sample's own fourth moment.
    m4 = np.mean((sample - sample.mean()) ** 4)
    se_var = math.sqrt(max(m4 - var * var, 1e-300) / n)
    assert abs(sample.var() - var) <= z * se_var, (sample.var(), var)


def chi2_ok(observed: np.ndarray, expected: np.ndarray, min_expected: float = 5.0) -> float:
    """Chi-square GOF p-value after pooling cells with small expectations into one."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float) * observed.sum() / np.sum(expected)
    big = expected >= min_expected
    obs = np.append(observed[big], observed[~big].sum())
    exp = np.append(expected[big], expected[~big].sum())
    keep = exp > 0
    p = stats.chisquare(obs[keep], exp[keep]).pvalue
    assert p > 1e-4, p
    return float(p)


@pytest.fixture
def rng() -> np.ndarray:
    return lcmcr.rng_state(20240601)


@pytest.mark.parametrize("shape", [1e-3, 0.01, 0.3, 0.5, 2.0, 75.0])
def test_log_gamma_draws_have_the_moments_of_log_gamma(rng, shape):
    x = np.array([lcmcr.log_gamma_draw(rng, shape) for _ in range(DRAWS)])
    assert np.isfinite(x).all()
    close(x, special.digamma(shape), special.polygamma(1, shape))


def test_log_gamma_trick_never_returns_minus_infinity_at_shape_one_thousandth(rng):
    x = np.array([lcmcr.log_gamma_draw(rng, 1e-3) for _ in range(DRAWS)])
    assert np.isfinite(x).all()
    assert x.min() < -5000  # the draws really are far below what a plain gamma can represent


@pytest.mark.parametrize(("shape", "grid"), [(0.3, 12), (2.0, 20), (75.0, 20)])
def test_log_gamma_draws_follow_the_gamma_distribution(rng, shape, grid):
    x = np.exp([lcmcr.log_gamma_draw(rng, shape) for _ in range(DRAWS)])
    edges = stats.gamma.ppf(np.linspace(0, 1, grid + 1), shape)
    counts = np.histogram(x, edges)[0]
    chi2_ok(counts, np.full(grid, DRAWS / grid))


@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (3.0, 250.0), (0.02, 5.0), (1200.0, 40.0)])
def test_log_beta_draws_have_beta_moments_and_complementary_logs(rng, a, b):
    pairs = np.array([lcmcr.log_beta_draw(rng, a, b) for _ in range(DRAWS)])
    assert np.isfinite(pairs).all()
    np.testing.assert_allclose(np.exp(pairs[:, 0]) + np.exp(pairs[:, 1]), 1.0, atol=1e-12)
    x = np.exp(pairs[:, 0])
    close(x, a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1)))


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_multinomial_draws_match_the_multinomial(rng, n):
    w = np.array([3.0, 0.0, 1.0, 1e-9, 6.0])  # unnormalised, with an empty and a tiny class
    p = w / w.sum()
    out = np.empty(5, dtype=np.int64)
    draws = np.empty((DRAWS // 4, 5), dtype=np.int64)
    for i in range(draws.shape[0]):
        lcmcr.multinomial_into(rng, n, w, out)
        draws[i] = out
    assert (draws.sum(axis=1) == n).all()
    assert (draws[:, 1] == 0).all()
    for k in (0, 2, 4):
        chi2_ok(
            np.bincount(draws[:, k], minlength=n + 1), stats.binom.pmf(np.arange(n + 1), n, p[k])
        )
    # Pairwise covariance −n p_i p_j.
    cov = np.cov(draws[:, 0], draws[:, 4])[0, 1]
    se = math.sqrt(n * n * p[0] * p[4] * (1 + p[0] * p[4]) / draws.shape[0]) + 1e-9
    assert abs(cov + n * p[0] * p[4]) < 6 * se + 0.02 * n


def lcm_state(k: int = 3):
    """A small fixed LCMCR state: 4 lists, 5 patterns, K classes."""
    x = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]])
    f = np.array([1, 40, 12, 3, 150], dtype=np.int64)
    lam = np.linspace(0.1, 0.8, 4 * k).reshape(4, k)
    pi = np.linspace(1, 2, k)
    pi /= pi.sum()
    return x, f, np.log(pi), np.log(lam), np.log1p(-lam)


def test_observed_allocations_follow_the_class_posterior_of_each_pattern(rng):
    x, f, log_pi, log_lam, log_1mlam = lcm_state()
    ptr, idx = lcmcr.pattern_index(x)
    c = np.zeros((5, 3), dtype=np.int64)
    reps = DRAWS // 5
    draws = np.empty((reps, 5, 3), dtype=np.int64)
    for i in range(reps):
        lcmcr.draw_observed_allocations(rng, ptr, idx, f, log_pi, log_lam, log_1mlam, c)
        draws[i] = c
    lik = np.exp(log_pi + x @ log_lam + (1 - x) @ log_1mlam)
    w = lik / lik.sum(axis=1, keepdims=True)
    assert (draws.sum(axis=2) == f).all()
    # f = 1: a categorical draw.
    chi2_ok(np.bincount(draws[:, 0, :].argmax(axis=1), minlength=3), w[0])
    # f = 150: each class count is Binomial(150, w).
    for k in range(3):
        chi2_ok(
            np.bincount(draws[:, 4, k], minlength=151),
            stats.binom.pmf(np.arange(151), 150, w[4, k]),
        )
    np.testing.assert_allclose(draws.mean(axis=0), f[:, None] * w, rtol=0.02, atol=0.02)


def test_list_probabilities_count_the_unobserved_as_zero_on_every_list(rng):
    x, *_ = lcm_state()
    ptr, idx = lcmcr.pattern_index(x)
    c = np.array([[1, 0, 0], [10, 30, 0], [2, 5, 5], [0, 3, 0], [50, 0, 100]], dtype=np.int64)
    c0 = np.array([400, 7, 0], dtype=np.int64)
    log_lam = np.empty((4, 3))
    log_1mlam = np.empty((4, 3))
    reps = DRAWS // 4
    draws = np.empty((reps, 4, 3))
    for i in range(reps):
        lcmcr.draw_list_probabilities(rng, ptr, idx, c, c0, log_lam, log_1mlam)
        draws[i] = np.exp(log_lam)
        assert np.allclose(np.exp(log_lam) + np.exp(log_1mlam), 1.0)
    a1 = x.T @ c
    a0 = c.sum(axis=0) - a1 + c0
    a, b = 1 + a1, 1 + a0
    for j in range(4):
        for k in range(3):
            close(
                draws[:, j, k],
                a[j, k] / (a[j, k] + b[j, k]),
                a[j, k] * b[j, k] / ((a[j, k] + b[j, k]) ** 2 * (a[j, k] + b[j, k] + 1)),
            )


@pytest.mark.parametrize("alpha", [0.01, 0.8, 5.0])
def test_stick_breaking_weights_use_the_counts_of_later_classes_only(rng, alpha):
    c = np.array([[5, 0, 1, 0], [20, 3, 0, 0]], dtype=np.int64)
    c0 = np.array([100, 2, 0, 0], dtype=np.int64)
    nk = c.sum(axis=0) + c0
    log_pi = np.empty(4)
    reps = DRAWS // 2
    v = np.empty((reps, 3))
    for i in range(reps):
        last = lcmcr.draw_sticks(rng, c, c0, alpha, log_pi)
        assert last == log_pi[3]
        assert abs(special.logsumexp(log_pi)) < 1e-9
        cum = 0.0
        for k in range(3):
            lv = log_pi[k] - cum
            v[i, k] = math.exp(lv)
            cum += math.log1p(-v[i, k]) if v[i, k] < 1 else -np.inf
    for k in range(3):
        a, b = 1 + nk[k], alpha + nk[k + 1 :].sum()
        close(v[:, k], a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1)))


def test_probability_of_being_missed_is_the_mixture_of_all_zero_patterns(rng):
    _, _, log_pi, _, log_1mlam = lcm_state()
    expected = np.sum(np.exp(log_pi) * np.prod(np.exp(log_1mlam), axis=0))
    assert lcmcr.prob_missed(log_pi, log_1mlam) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("n", "p0"), [(50, 0.3), (4400, 0.6), (7, 0.9)])
def test_n0_is_negative_binomial_with_size_n(rng, n, p0):
    cap = 10**12  # no truncation here; the cap has its own test
    x = np.array([lcmcr.draw_n0(rng, n, p0, cap) for _ in range(DRAWS)])
    close(x, n * p0 / (1 - p0), n * p0 / (1 - p0) ** 2)
    support = np.arange(x.max() + 1)
    chi2_ok(np.bincount(x), stats.nbinom.pmf(support, n, 1 - p0))


@pytest.mark.parametrize(("n", "p0"), [(100, 0.95), (100, 0.999), (10, 1.0 - 1e-14)])
def test_n0_respects_the_cap_and_follows_the_truncated_negative_binomial(rng, n, p0):
    cap = 20 * n
    x = np.array([lcmcr.draw_n0(rng, n, p0, cap) for _ in range(DRAWS // 5)])
    assert x.max() <= cap
    support = np.arange(cap + 1)
    pmf = stats.nbinom.pmf(support, n, 1 - p0) if p0 < 1 - 1e-12 else None
    if pmf is None or pmf.sum() < 1e-300:
        # Rejection is hopeless: the draw inverts the truncated pmf (computed in log space).
        logp = special.gammaln(n + support) - special.gammaln(support + 1) + support * math.log(p0)
        pmf = np.exp(logp - logp.max())
    chi2_ok(np.bincount(x, minlength=cap + 1), pmf)


def test_n0_is_zero_when_nobody_can_be_missed(rng):
    assert lcmcr.draw_n0(rng, 100, 0.0, 2000) == 0


def test_unobserved_allocations_follow_the_all_zero_pattern_posterior(rng):
    _, _, log_pi, _, log_1mlam = lcm_state()
    w0 = np.exp(log_pi) * np.prod(np.exp(log_1mlam), axis=0)
    w0 /= w0.sum()
    c0 = np.zeros(3, dtype=np.int64)
    reps = DRAWS // 4
    draws = np.empty((reps, 3), dtype=np.int64)
    for i in range(reps):
        lcmcr.draw_unobserved_allocations(rng, 300, log_pi, log_1mlam, c0)
        draws[i] = c0
    assert (draws.sum(axis=1) == 300).all()
    for k in range(3):
        chi2_ok(
            np.bincount(draws[:, k], minlength=301), stats.binom.pmf(np.arange(301), 300, w0[k])
        )
    lcmcr.draw_unobserved_allocations(rng, 0, log_pi, log_1mlam, c0)
    assert (c0 == 0).all()


@pytest.mark.parametrize(("k", "log_pi_last"), [(10, -0.5), (5, -40.0), (2, -1e-4)])
def test_alpha_is_gamma_with_shape_a_plus_k_minus_one_and_rate_b_minus_log_pi_k(
    rng, k, log_pi_last
):
    a, b = 0.25, 0.25
    x = np.array([lcmcr.draw_alpha(rng, a, b, k, log_pi_last) for _ in range(DRAWS)])
    shape, rate = a + k - 1, b - log_pi_last
    close(x, shape / rate, shape / rate**2)
    assert stats.kstest(x, stats.gamma(shape, scale=1 / rate).cdf).pvalue > 1e-4


def collapsed_log_prior(nk: np.ndarray, alpha: float) -> float:
    """log p(n_1..n_K | α) of the truncated stick-breaking prior with V integrated out."""
    total = 0.0
    for k in range(nk.size - 1):
        a, b = 1 + nk[k], alpha + nk[k + 1 :].sum()
        total += special.betaln(a, b) - special.betaln(1, alpha)
    return total


@pytest.mark.parametrize("alpha", [0.05, 1.0])
def test_label_swap_ratio_is_the_collapsed_stick_breaking_prior_ratio(rng, alpha):
    nk = np.array([12.0, 3000.0, 0.0, 40.0, 7.0])
    for k in range(4):
        swapped = nk.copy()
        swapped[[k, k + 1]] = swapped[[k + 1, k]]
        expected = collapsed_log_prior(swapped, alpha) - collapsed_log_prior(nk, alpha)
        assert lcmcr.label_swap_log_ratio(nk, k, alpha) == pytest.approx(expected, abs=1e-9)


def test_label_swaps_visit_orderings_in_proportion_to_their_posterior(rng):
    """Repeated swaps on fixed classes must sample the K! labellings with probability
    proportional to the collapsed prior (the likelihood does not depend on the labels)."""
    import itertools

    alpha = 0.7
    sizes = np.array([2, 5, 9])
    c = np.diag(sizes).astype(np.int64)  # pattern m is entirely in class m
    c0 = np.zeros(3, dtype=np.int64)
    log_lam = np.log(np.array([[0.1, 0.2, 0.3]]))
    log_1mlam = np.log1p(-np.exp(log_lam))
    perms = list(itertools.permutations(range(3)))
    target = np.array([collapsed_log_prior(sizes[list(p)].astype(float), alpha) for p in perms])
    target = np.exp(target - target.max())
    seen = np.zeros(len(perms))
    lam0 = [0.1, 0.2, 0.3]
    pick = np.random.default_rng(5)
    for _ in range(DRAWS):
        lcmcr.propose_label_swap(rng, c, c0, log_lam, log_1mlam, alpha, int(pick.integers(2)))
        order = tuple(int(np.argmax(c[:, k])) for k in range(3))  # class sitting at label k
        seen[perms.index(order)] += 1
    # λ travels with its class.
    np.testing.assert_allclose(np.exp(log_lam[0]), [lam0[m] for m in order])
    # Successive states are correlated, so compare frequencies rather than run a chi-square.
    np.testing.assert_allclose(seen / DRAWS, target / target.sum(), atol=0.01)

"""The sampler's own random variates, checked against their exact distributions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from testigo.estimation import _kernels as kk

from .test_conditionals import chi2_ok, close

DRAWS = 100_000


@pytest.fixture
def rng() -> np.ndarray:
    return kk.new_state(777)


def draw(fn, rng, *args, n=DRAWS):
    return np.array([fn(rng, *args) for _ in range(n)])


def test_the_same_seed_gives_the_same_stream_and_different_seeds_differ():
    a, b, c = kk.new_state(1), kk.new_state(1), kk.new_state(2)
    xs = [kk.next_u64(a) for _ in range(5)]
    assert xs == [kk.next_u64(b) for _ in range(5)]
    assert xs != [kk.next_u64(c) for _ in range(5)]
    assert kk.new_state(0).any()


def test_uniforms_are_uniform_and_uniform_pos_never_returns_zero(rng):
    u = draw(kk.uniform, rng)
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    assert u.min() >= 0.0 and u.max() < 1.0
    v = draw(kk.uniform_pos, rng)
    assert v.min() > 0.0 and v.max() <= 1.0


def test_ziggurat_normals_are_standard_normal_including_the_tails(rng):
    x = draw(kk.normal, rng, n=4 * DRAWS)
    close(x, 0.0, 1.0)
    edges = np.concatenate([[-np.inf], np.linspace(-4, 4, 33), [np.inf]])
    chi2_ok(np.histogram(x, edges)[0], np.diff(stats.norm.cdf(edges)))
    # The tail beyond the base layer (|x| > 3.44) is drawn by a separate algorithm.
    tail = np.mean(np.abs(x) > 3.442619855899)
    expected = 2 * stats.norm.sf(3.442619855899)
    assert abs(tail - expected) < 5 * np.sqrt(expected / x.size)


@pytest.mark.parametrize("shape", [1.0, 1.5, 10.0, 1000.0])
def test_gammas_follow_the_gamma_distribution(rng, shape):
    x = draw(kk.gamma, rng, shape)
    assert stats.kstest(x, stats.gamma(shape).cdf).pvalue > 1e-4


@pytest.mark.parametrize(
    ("a", "b"), [(3.0, 250.0), (1.0, 40.0), (40.0, 1.0), (0.3, 2.0), (2.0, 0.01), (1.0, 1.0)]
)
def test_beta_draws_have_the_exact_moments_of_log_x_and_log_one_minus_x(rng, a, b):
    pairs = draw(kk.log_beta_draw, rng, a, b)
    assert np.isfinite(pairs).all()
    np.testing.assert_allclose(np.exp(pairs[:, 0]) + np.exp(pairs[:, 1]), 1.0, atol=1e-12)
    close(pairs[:, 0], special.digamma(a) - special.digamma(a + b),
          special.polygamma(1, a) - special.polygamma(1, a + b))  # fmt: skip
    close(pairs[:, 1], special.digamma(b) - special.digamma(a + b),
          special.polygamma(1, b) - special.polygamma(1, a + b))  # fmt: skip


@pytest.mark.parametrize(("a", "b"), [(3.0, 250.0), (1.0, 40.0), (40.0, 1.0), (0.3, 2.0)])
def test_beta_draws_follow_the_beta_distribution(rng, a, b):
    x = np.exp(draw(kk.log_beta_draw, rng, a, b)[:, 0])
    assert stats.kstest(x, stats.beta(a, b).cdf).pvalue > 1e-4


@pytest.mark.parametrize(
    ("n", "p"),
    [(1, 0.5), (7, 0.2), (20, 0.1), (50, 0.3), (1000, 0.001), (1000, 0.3), (5000, 0.7),
     (100_000, 0.01), (30, 0.9999), (12, 0.999), (16, 0.45), (17, 0.45), (40, 0.25)],
)  # fmt: skip
def test_binomials_follow_the_binomial_distribution(rng, n, p):
    x = draw(kk.binomial, rng, n, p)
    assert x.min() >= 0 and x.max() <= n
    close(x.astype(float), n * p, n * p * (1 - p))
    lo, hi = x.min(), x.max()
    support = np.arange(lo, hi + 1)
    chi2_ok(np.bincount(x - lo), stats.binom.pmf(support, n, p))


def test_binomial_edge_cases(rng):
    assert kk.binomial(rng, 0, 0.3) == 0
    assert kk.binomial(rng, 10, 0.0) == 0
    assert kk.binomial(rng, 10, 1.0) == 10


@pytest.mark.parametrize("lam", [0.5, 5.0, 9.99, 10.0, 50.0, 5000.0, 1e6])
def test_poissons_follow_the_poisson_distribution(rng, lam):
    x = draw(kk.poisson, rng, lam)
    close(x.astype(float), lam, lam)
    lo, hi = x.min(), x.max()
    support = np.arange(lo, hi + 1)
    chi2_ok(np.bincount(x - lo), stats.poisson.pmf(support, lam))


@pytest.mark.parametrize(("size", "p"), [(5.0, 0.5), (4400.0, 0.4), (30.0, 0.02)])
def test_negative_binomials_count_failures_before_size_successes(rng, size, p):
    x = draw(kk.negative_binomial, rng, size, p)
    close(x.astype(float), size * (1 - p) / p, size * (1 - p) / p**2)
    lo, hi = x.min(), x.max()
    chi2_ok(np.bincount(x - lo), stats.nbinom.pmf(np.arange(lo, hi + 1), size, p))

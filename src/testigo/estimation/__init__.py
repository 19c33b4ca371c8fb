"""Multiple systems estimation: how many people did no list record?

A framework-free engine (never imports Django). The public surface:

* :func:`read_histories` — capture histories from CSV (:mod:`.histories` for the formats);
* :func:`estimate` — one call for either method, returning an :class:`EstimateResult`
  whose :meth:`~EstimateResult.to_json_dict` is the ``testigo estimate --json`` contract;
* :func:`estimate_strata` — per-stratum estimates and their total;
* :func:`chao_lower_bound` — a quick sanity check.

Exceptions: :class:`HistoriesError` (a ``ValueError``) for unreadable input, and its
subclass :class:`InsufficientDataError` when the data cannot support an estimate.

Example:
    >>> from testigo.estimation import read_histories, estimate
    >>> h = read_histories("kosovo.csv")
    >>> r = estimate(h, method="lcmcr", seed=1, K=10, samples=10_000, thinning=100)
    >>> r.estimate, r.lower, r.upper, r.warnings
"""

from __future__ import annotations

from .api import METHODS, estimate
from .histories import (
    CaptureHistories,
    HistoriesError,
    InsufficientDataError,
    check_support,
    from_arrays,
    parse_histories,
    read_histories,
    read_stratified_histories,
)
from .lcmcr import SETTING_A, SETTING_B, LCMCRFit, LCMCRSettings, run_lcmcr
from .loglinear import chao_lower_bound, estimate_loglinear
from .results import EstimateResult, EstimateWarning
from .stratify import StratifiedResult, estimate_strata

__all__ = [
    "METHODS",
    "SETTING_A",
    "SETTING_B",
    "CaptureHistories",
    "EstimateResult",
    "EstimateWarning",
    "HistoriesError",
    "InsufficientDataError",
    "LCMCRFit",
    "LCMCRSettings",
    "StratifiedResult",
    "chao_lower_bound",
    "check_support",
    "estimate",
    "estimate_loglinear",
    "estimate_strata",
    "from_arrays",
    "parse_histories",
    "read_histories",
    "read_stratified_histories",
    "run_lcmcr",
]

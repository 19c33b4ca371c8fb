"""The one-call entry point, :func:`estimate`, used by the CLI and the web task."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .histories import CaptureHistories, check_support, read_histories
from .lcmcr import LCMCRSettings, run_lcmcr
from .loglinear import chao_lower_bound, estimate_loglinear
from .results import EstimateResult, EstimateWarning

METHODS = ("lcmcr", "loglinear")
LOGLINEAR_OPTIONS = ("model", "interval", "level")


def estimate(
    histories: CaptureHistories | str | Path,
    method: str = "lcmcr",
    *,
    seed: int | None = None,
    settings: LCMCRSettings | None = None,
    **options: Any,
) -> EstimateResult:
    """Estimate the total population N from capture histories.

    Args:
        histories: the histories, or a path to a CSV of them.
        method: ``"lcmcr"`` (posterior median and 95% credible interval) or
            ``"loglinear"`` (maximum likelihood and 95% profile-likelihood interval).
        seed: random seed (lcmcr). ``None`` draws one; it is reported in the result either way,
            so every run can be repeated exactly.
        settings: LCMCR settings; defaults to R's ``lcmCR`` defaults.
        **options: for lcmcr, any :class:`LCMCRSettings` field (``K``, ``samples``,
            ``thinning``, ``burnin``, ``chains``, ...) overriding ``settings``; for loglinear,
            ``model`` (``"bic"``, ``"aic"``, ``"independence"``, ``"pairwise"``),
            ``interval`` (``"profile"``, ``"wald"``) and ``level``.

    Raises:
        HistoriesError: unreadable input.
        InsufficientDataError: fewer than 3 lists with records, no overlaps, too few people.
    """
    if not isinstance(histories, CaptureHistories):
        histories = read_histories(histories)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    checked = check_support(histories)
    caveats = tuple(EstimateWarning(code, msg) for code, msg in checked.caveats)
    h = checked.histories
    if method == "loglinear":
        unknown = set(options) - set(LOGLINEAR_OPTIONS)
        if unknown or settings is not None:
            raise TypeError(f"loglinear does not take {sorted(unknown) or 'settings'}")
        result = estimate_loglinear(h, **options)
    else:
        valid = {f.name for f in dataclasses.fields(LCMCRSettings)}
        unknown = set(options) - valid
        if unknown:
            raise TypeError(
                f"unknown LCMCR setting(s) {sorted(unknown)}; valid: {', '.join(sorted(valid))}"
            )
        s = dataclasses.replace(settings or LCMCRSettings(), **options)
        result = run_lcmcr(h, s, seed=seed).to_result()
        chao = round(chao_lower_bound(h).estimate, 1)
        result = dataclasses.replace(result, details={**result.details, "chao_lower_bound": chao})
    if caveats:
        result = dataclasses.replace(result, warnings=caveats + result.warnings)
    return result

"""The result every estimation method returns, and its JSON form (DESIGN.md §6)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class EstimateWarning:
    """A problem a reader of the estimate must know about.

    ``code`` is stable (for translations and tests); ``message`` is plain English.
    """

    code: str
    message: str

    def to_json_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, eq=False)
class EstimateResult:
    """An estimate of the total population, with its interval, diagnostics and warnings.

    Attributes:
        method: ``"lcmcr"`` or ``"loglinear"``.
        observed: people recorded on at least one list (n).
        estimate: posterior median (lcmcr) or maximum-likelihood estimate (loglinear) of N.
        lower, upper: the interval bounds; ``None`` when a bound does not exist (e.g. an
            unbounded profile likelihood).
        interval: the interval's probability (0.95).
        lists: the list names.
        details: method-specific figures (mean, model, settings, ...), JSON-ready.
        diagnostics: convergence or fit diagnostics, JSON-ready.
        warnings: problems the reader must know about.
        draws: posterior draws of N, chains × draws (lcmcr only).
    """

    method: str
    observed: int
    estimate: float
    lower: float | None
    upper: float | None
    interval: float
    lists: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[EstimateWarning, ...] = ()
    draws: NDArray[np.int64] | None = None

    @property
    def ok(self) -> bool:
        """True when no warning was raised."""
        return not self.warnings

    def warning_codes(self) -> list[str]:
        return [w.code for w in self.warnings]

    def posterior_histogram(self, bins: int = 40) -> dict[str, list[float]] | None:
        """Histogram of the posterior draws of N (for plotting), or None without draws."""
        if self.draws is None:
            return None
        counts, edges = np.histogram(self.draws.ravel(), bins=bins)
        return {"edges": edges.round(1).tolist(), "counts": counts.tolist()}

    def to_json_dict(self, *, histogram: bool = False) -> dict[str, Any]:
        """The ``testigo estimate --json`` document; ``histogram`` adds the posterior's."""
        extra = (
            {"histogram": self.posterior_histogram()}
            if histogram and self.draws is not None
            else {}
        )
        return {
            "method": self.method,
            "observed": self.observed,
            "estimate": _json_number(self.estimate),
            "lower": _json_number(self.lower),
            "upper": _json_number(self.upper),
            "interval": self.interval,
            "lists": list(self.lists),
            **{k: _jsonable(v) for k, v in self.details.items()},
            "diagnostics": _jsonable(self.diagnostics),
            "warnings": [w.to_json_dict() for w in self.warnings],
            **extra,
        }


def three_lists_warning() -> EstimateWarning:
    """The warning every three-list estimate carries (LCMCR.md §4.3, scenario S3)."""
    return EstimateWarning(
        "three_lists",
        "Only three lists: they cannot reveal heterogeneous capture probabilities (people "
        "who are hard to record on every list). In simulations with such heterogeneity, "
        "LCMCR's 95% intervals covered the true total only 58% of the time and the estimate "
        "was about 25% too low. Read this estimate as a likely lower bound.",
    )


def _json_number(x: float | None) -> float | int | None:
    if x is None:
        return None
    xf = float(x)
    if not math.isfinite(xf):
        return None
    return int(xf) if xf.is_integer() else round(xf, 3)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _json_number(float(value))
    return value

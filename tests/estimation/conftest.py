"""Fixtures for the estimation engine tests: reference data sets and R results."""

from __future__ import annotations

import csv
import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from testigo.estimation import CaptureHistories, read_histories

DATA = Path(__file__).parent / "data" / "mse"
RESULTS = DATA / "results"
SHARED = Path(os.environ.get("TESTIGO_MSE_DATA", "/work/shared/data/mse"))

STABLE = (
    "kosovo",
    "hiv_rome",
    "lesbian_allegheny",
    "my1997_3list",
    "my1997_5list",
    "new_orleans",
    "new_orleans_5",
    "western_us",
    "ph_manila_police",
    "ph_manila_unidentified",
    "ph_quezon_police",
    "ph_quezon_unidentified",
    "ph_caloocan_police",
    "ph_caloocan_unidentified",
)
UNSTABLE = ("netherlands", "netherlands_5", "uk2013", "uk2013_5")


def histories(name: str) -> CaptureHistories:
    return read_histories(DATA / f"{name}.csv")


def reference(name: str, setting: str = "A") -> dict[str, float]:
    """The pooled R result for a data set and setting (results/lcmcr_reference.csv)."""
    with open(RESULTS / "lcmcr_reference.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["dataset"] == name and row["setting"] == setting:
                return {k: float(v) for k, v in row.items() if k not in ("dataset", "setting")}
    raise KeyError((name, setting))


def r_draws(name: str, setting: str = "A") -> np.ndarray | None:
    """R's draws of N as seeds × draws, or None when the file is not available."""
    for base in (RESULTS / "draws", SHARED / "results" / "draws"):
        path = base / f"{name}_{setting}.csv.gz"
        if path.exists():
            by_seed: dict[str, list[int]] = {}
            with gzip.open(path, "rt", newline="") as fh:
                for row in csv.DictReader(fh):
                    by_seed.setdefault(row["seed"], []).append(int(row["N"]))
            return np.array([by_seed[s] for s in sorted(by_seed, key=int)])
    return None


@pytest.fixture
def kosovo() -> CaptureHistories:
    return histories("kosovo")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The engine never touches Django: override the root conftest's cache reset, so these
    tests run without Django settings (``-p no:django``)."""
    yield

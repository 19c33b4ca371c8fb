"""Accuracy of a linkage against known truth: pairwise precision, recall, F1, pair completeness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["PairScores", "pair_completeness", "pairwise_scores"]


@dataclass(frozen=True)
class PairScores:
    """Pairwise scores: a pair of records is a true pair when both belong to one true person."""

    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 5),
            "recall": round(self.recall, 5),
            "f1": round(self.f1, 5),
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "correct_pairs": self.correct_pairs,
        }


def _pairs_within(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_scores(
    truth: Sequence[Any] | ArrayLike, predicted: Sequence[Any] | ArrayLike
) -> PairScores:
    """Compare a predicted clustering with the true one, record by record (same order)."""
    frame = pd.DataFrame({"t": np.asarray(truth), "p": np.asarray(predicted)})
    true_pairs = _pairs_within(frame.groupby("t").size().to_numpy())
    predicted_pairs = _pairs_within(frame.groupby("p").size().to_numpy())
    correct = _pairs_within(frame.groupby(["t", "p"]).size().to_numpy())
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(precision, recall, f1, true_pairs, predicted_pairs, correct)


def pair_completeness(
    left: ArrayLike, right: ArrayLike, truth: Sequence[Any] | ArrayLike
) -> tuple[float, float]:
    """Share of true pairs among candidate pairs: (direct, through chains of true candidates).

    ``left``/``right`` are record positions of candidate pairs (e.g. blocked pairs); ``truth``
    gives each record's true person. The second figure counts a true pair as found when its two
    records are joined by a chain of true candidate pairs, which is what clustering can recover.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    truth_codes = pd.factorize(pd.Series(np.asarray(truth)))[0]
    n = len(truth_codes)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    true_pairs = _pairs_within(np.bincount(truth_codes))
    if true_pairs == 0:
        return 1.0, 1.0
    same = truth_codes[left] == truth_codes[right]
    found = pd.DataFrame({"a": np.minimum(left, right)[same], "b": np.maximum(left, right)[same]})
    direct = len(found.drop_duplicates()) / true_pairs
    graph = coo_matrix((np.ones(len(found), dtype=np.int8), (found["a"], found["b"])), (n, n))
    _, components = connected_components(graph, directed=False)
    chained = _pairs_within(
        pd.Series(components).groupby([components, truth_codes]).size().to_numpy()
    )
    return direct, chained / true_pairs

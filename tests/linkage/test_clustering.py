"""Clustering scored pairs into persons, with constraints, and the review queue."""

from __future__ import annotations

import numpy as np
import pandas as pd

from testigo.linkage.clustering import Exclusive, cluster_pairs, review_queue
from testigo.linkage.evaluation import pair_completeness, pairwise_scores


def _pairs(*edges: tuple[int, int, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    left, right, p = zip(*edges, strict=True) if edges else ((), (), ())
    return (
        np.array(left, dtype=np.int64),
        np.array(right, dtype=np.int64),
        np.array(p, dtype=float),
    )


def test_pairs_above_the_threshold_join_records_transitively():
    left, right, p = _pairs((0, 1, 0.95), (1, 2, 0.8), (3, 4, 0.2))
    labels = cluster_pairs(5, left, right, p, threshold=0.5)
    assert labels.tolist() == [0, 0, 0, 1, 2]


def test_cluster_numbers_follow_the_first_record_of_each_cluster():
    left, right, p = _pairs((3, 4, 0.9), (0, 2, 0.9))
    assert cluster_pairs(5, left, right, p, threshold=0.5).tolist() == [0, 1, 0, 2, 2]


def test_a_labelled_match_joins_records_whatever_their_score():
    left, right, p = _pairs((0, 1, 0.1))
    labels = cluster_pairs(3, left, right, p, threshold=0.5, must_link=[(1, 2)])
    assert labels.tolist() == [0, 1, 1]


def test_a_labelled_non_match_is_never_joined_even_through_other_records():
    # 0-1 and 1-2 are likely, but 0 and 2 were labelled different people: the weaker edge goes.
    left, right, p = _pairs((0, 1, 0.95), (1, 2, 0.7))
    labels = cluster_pairs(3, left, right, p, threshold=0.5, cannot_link=[(0, 2)])
    assert labels[0] == labels[1] != labels[2]


def test_two_identity_numbers_are_not_merged_through_a_weak_chain():
    # Records 0 and 2 carry different cédulas; record 1 ("José Pérez", nothing else) links both.
    left, right, p = _pairs((0, 1, 0.9), (1, 2, 0.6))
    ids = Exclusive(["12345678", None, "23456789"], lambda a, b: a == b)
    labels = cluster_pairs(3, left, right, p, threshold=0.5, exclusive=[ids])
    assert labels[0] == labels[1] != labels[2]


def test_a_near_certain_pair_overrides_a_conflicting_identity_number():
    left, right, p = _pairs((0, 1, 0.999))
    ids = Exclusive(["12345678", "99999999"], lambda a, b: a == b, override=0.99)
    assert cluster_pairs(2, left, right, p, threshold=0.5, exclusive=[ids]).tolist() == [0, 0]


def test_the_review_queue_puts_the_decision_that_fixes_most_errors_first():
    # Clusters {0,1,2} and {3,4}: joining them via 2-3 would settle 6 record pairs.
    pairs = pd.DataFrame(
        {
            "uid_l": [0, 1, 2, 5, 2],
            "uid_r": [1, 2, 3, 6, 4],
            "match_probability": [0.99, 0.98, 0.4, 0.45, 0.3],
        }
    )
    pairs = pd.concat(
        [pairs, pd.DataFrame({"uid_l": [3], "uid_r": [4], "match_probability": [0.97]})]
    )
    clusters = cluster_pairs(
        7,
        pairs["uid_l"].to_numpy(),
        pairs["uid_r"].to_numpy(),
        pairs["match_probability"].to_numpy(),
        threshold=0.9,
    )
    queue = review_queue(pairs, clusters, low=0.1, high=0.9)
    # 2-3 (p 0.4 x 3 x 2 = 2.4) beats 5-6 (0.45 x 1 x 1); 2-4 asks the same question as 2-3.
    assert queue[["uid_l", "uid_r"]].values.tolist() == [[2, 3], [5, 6]]
    assert queue["priority"].round(6).tolist() == [2.4, 0.45]


def test_the_review_queue_leaves_out_decided_pairs():
    pairs = pd.DataFrame({"uid_l": [0], "uid_r": [1], "match_probability": [0.5]})
    clusters = np.array([0, 1])
    assert review_queue(pairs, clusters, low=0.1, high=0.9, exclude=[(1, 0)]).empty


def test_pairwise_scores_count_pairs_within_clusters():
    truth = ["a", "a", "a", "b"]
    predicted = [1, 1, 2, 2]
    scores = pairwise_scores(truth, predicted)
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (3, 2, 1)
    assert scores.precision == 0.5
    assert round(scores.recall, 4) == 0.3333


def test_pair_completeness_counts_direct_and_chained_true_pairs():
    truth = ["a", "a", "a", "b", "b"]
    direct, chained = pair_completeness([0, 1, 0], [1, 2, 3], truth)
    assert direct == 2 / 4  # (0,1) and (1,2) of the four true pairs
    assert chained == 3 / 4  # (0,2) follows through record 1; (3,4) is never found

"""Persons from scored pairs: connected components with labels as constraints, and the review
queue of uncertain pairs.

* Pairs at or above the merge threshold are edges; records joined by a path of edges are one
  person (connected components). Pairs labelled "match" are always edges; a pair labelled "not a
  match" is never joined: inside a component that would join such a pair, edges are added from
  the most to the least probable and an edge is skipped when it would join the two records.
  The same is done where a component would give one person two identity numbers or two birth
  dates that no typo explains (`Exclusive`), unless the edge itself is near certain: a person
  has one of each, so a chain of likely pairs through an ambiguous record ("José Pérez", no
  other details) does not merge two people.
* The review queue holds the pairs between the review threshold and the merge threshold, one per
  pair of persons, ordered by the expected number of pairwise errors a decision fixes:
  ``p * |A| * |B|`` for two records in different persons A and B (answering "match" joins
  |A|·|B| record pairs that are currently apart), ``(1 - p) * |A|`` for two records that other
  edges already put in the same person A.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["Exclusive", "cluster_pairs", "review_queue"]

IntArray = NDArray[np.int64]


def _components(n: int, left: IntArray, right: IntArray) -> IntArray:
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


class _UnionFind:
    def __init__(self, items: Iterable[int]) -> None:
        self.parent = {i: i for i in items}

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root


@dataclass(frozen=True)
class Exclusive:
    """A per-record value of which a person has only one (an identity number, a birth date).

    ``values`` holds one value per record (None when unknown); two values that are not
    ``compatible`` (allowing for typos) mean two different persons.
    """

    values: Sequence[Any]
    compatible: Callable[[Any, Any], bool]
    #: An edge this probable joins even conflicting records: direct, strong evidence that the
    #: records are one person outweighs a wrong number, whereas a chain of weaker pairs does not.
    override: float = 0.99


def cluster_pairs(
    n_records: int,
    left: IntArray,
    right: IntArray,
    probability: NDArray[np.float64],
    *,
    threshold: float,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    exclusive: Sequence[Exclusive] = (),
) -> IntArray:
    """Cluster records ``0..n_records-1``; return a cluster number per record.

    Components that would join a cannot-link pair, or put two incompatible ``exclusive``
    values (two identity numbers) in one person, are rebuilt from their edges, strongest
    first, skipping each edge that would do so. Cluster numbers are ordered by each cluster's
    first record, so equal input gives equal output.
    """
    keep = probability >= threshold
    must = np.array(list(must_link), dtype=np.int64).reshape(-1, 2)
    cannot = [(int(a), int(b)) for a, b in cannot_link if a != b]
    edge_l = np.concatenate([must[:, 0], left[keep]])
    edge_r = np.concatenate([must[:, 1], right[keep]])
    edge_p = np.concatenate([np.full(len(must), 2.0), probability[keep]])
    labels = _components(n_records, edge_l, edge_r)
    bad = {int(labels[a]) for a, b in cannot if labels[a] == labels[b]}
    for rule in exclusive:
        bad |= _mixed_components(labels, rule)
    if bad:
        labels = _rebuild(labels, bad, edge_l, edge_r, edge_p, cannot, exclusive)
    return _renumber(labels)


def _mixed_components(labels: IntArray, rule: Exclusive) -> set[int]:
    """Components holding two or more distinct known values of an exclusive field."""
    frame = pd.DataFrame({"c": labels, "v": pd.Series(rule.values, dtype=object)})
    frame = frame.loc[frame["v"].notna()]
    counts = frame.drop_duplicates().groupby("c").size()
    return {int(c) for c in counts.index[counts.to_numpy() > 1]}


def _rebuild(
    labels: IntArray,
    bad: set[int],
    edge_l: IntArray,
    edge_r: IntArray,
    edge_p: NDArray[np.float64],
    cannot: list[tuple[int, int]],
    exclusive: Sequence[Exclusive],
) -> IntArray:
    """Rebuild the given components edge by edge, strongest first, respecting constraints."""
    bad_list = list(bad)
    inside = np.isin(labels[edge_l], bad_list)
    order = np.argsort(-edge_p[inside], kind="stable")
    members = np.flatnonzero(np.isin(labels, bad_list))
    uf = _UnionFind(int(i) for i in members)
    enemies: dict[int, set[int]] = {}
    for a, b in cannot:
        if a in uf.parent and b in uf.parent:
            enemies.setdefault(a, set()).add(b)
            enemies.setdefault(b, set()).add(a)
    # Per root: the distinct known values of each exclusive field.
    held: list[dict[int, set[Any]]] = []
    for rule in exclusive:
        values: dict[int, set[Any]] = {}
        for i in members:
            value = rule.values[i]
            if value is not None and value == value:  # skip None and NaN
                values[int(i)] = {value}
        held.append(values)
    for a, b, p in zip(
        edge_l[inside][order], edge_r[inside][order], edge_p[inside][order], strict=True
    ):
        ra, rb = uf.find(int(a)), uf.find(int(b))
        if ra == rb:
            continue
        if any(uf.find(x) == rb for x in enemies.get(ra, ())):
            continue
        if not all(
            p >= rule.override
            or all(rule.compatible(x, y) for x in values.get(ra, ()) for y in values.get(rb, ()))
            for rule, values in zip(exclusive, held, strict=True)
        ):
            continue
        uf.parent[rb] = ra
        enemies.setdefault(ra, set()).update(enemies.pop(rb, set()))
        for values in held:
            if rb in values:
                values.setdefault(ra, set()).update(values.pop(rb))
    out = labels.copy()
    offset = int(labels.max()) + 1
    for i in members:
        out[i] = offset + uf.find(int(i))
    return out


def _renumber(labels: IntArray) -> IntArray:
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]


def review_queue(
    pairs: pd.DataFrame,
    clusters: IntArray,
    *,
    low: float,
    high: float,
    exclude: Iterable[tuple[int, int]] = (),
) -> pd.DataFrame:
    """Uncertain pairs (``low <= p < high``), best first, one per pair of clusters.

    ``pairs`` has integer columns ``uid_l``, ``uid_r`` and ``match_probability``; pairs in
    ``exclude`` (already decided) are left out. Adds ``cluster_l``, ``cluster_r`` and
    ``priority`` (the expected number of pairwise errors a decision fixes).
    """
    p = pairs["match_probability"].to_numpy()
    band = pairs.loc[(p >= low) & (p < high), ["uid_l", "uid_r", "match_probability"]].copy()
    decided = {(min(a, b), max(a, b)) for a, b in exclude}
    if decided and not band.empty:
        key = list(zip(band[["uid_l", "uid_r"]].min(axis=1), band[["uid_l", "uid_r"]].max(axis=1),
                       strict=True))  # fmt: skip
        band = band.loc[[k not in decided for k in key]]
    sizes = np.bincount(clusters)
    cl = clusters[band["uid_l"].to_numpy()]
    cr = clusters[band["uid_r"].to_numpy()]
    prob = band["match_probability"].to_numpy()
    same = cl == cr
    band["cluster_l"] = cl
    band["cluster_r"] = cr
    band["priority"] = np.where(
        same, (1.0 - prob) * sizes[cl], prob * sizes[cl].astype(float) * sizes[cr]
    )
    band["_a"] = np.minimum(cl, cr)
    band["_b"] = np.maximum(cl, cr)
    band = band.sort_values(
        ["priority", "match_probability", "uid_l", "uid_r"],
        ascending=[False, False, True, True],
        kind="stable",
    )
    band = band.drop_duplicates(["_a", "_b"], keep="first").drop(columns=["_a", "_b"])
    return band.reset_index(drop=True)

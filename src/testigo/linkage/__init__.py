"""Record linkage: which records, across and within sources, are about the same person.

A framework-free engine (never imports Django) built on Splink, which does the Fellegi–Sunter
estimation, scoring and storage (DuckDB by default, Spark for data that outgrows one machine).
This package supplies the domain: Venezuelan name, cédula, partial-date and place comparisons,
blocking rules, the training plan, clustering with constraints and the review queue.

The public surface:

* `link_records` — a DataFrame of §6 person records in, a `LinkResult` out (persons, scored
  pairs, the review queue, the trained model);
* `RecordLinker` — the same, step by step (``train``, ``train_from_labels``, ``predict``,
  ``cluster``);
* `link_csv` — file mode for ``testigo link``, returning a `LinkReport`;
* `LinkSettings` — backend, thresholds and sampling sizes (``LinkSettings.from_env``);
* `pairwise_scores`, `pair_completeness` — accuracy against known truth.

Exceptions: `LinkInputError` (a ``ValueError``) for records that cannot be linked, naming the
file, row and column; ``ValueError`` for bad settings or labels.

Example:
    >>> from testigo.linkage import link_records
    >>> result = link_records(records)  # doctest: +SKIP
    >>> result.clusters.head()  # doctest: +SKIP
       record_id person_id
    0  R0000001   P000000
"""

from __future__ import annotations

from .engine import LinkResult, LinkSettings, RecordLinker, link_records, settings_to_json
from .evaluation import PairScores, pair_completeness, pairwise_scores
from .filemode import LinkReport, link_csv, read_records_csv
from .schema import (
    OPTIONAL_COLUMNS,
    RECORD_COLUMNS,
    REQUIRED_COLUMNS,
    InputProblem,
    LinkInputError,
    validate_records,
)

__all__ = [
    "OPTIONAL_COLUMNS",
    "RECORD_COLUMNS",
    "REQUIRED_COLUMNS",
    "InputProblem",
    "LinkInputError",
    "LinkReport",
    "LinkResult",
    "LinkSettings",
    "PairScores",
    "RecordLinker",
    "link_csv",
    "link_records",
    "pair_completeness",
    "pairwise_scores",
    "read_records_csv",
    "settings_to_json",
    "validate_records",
]

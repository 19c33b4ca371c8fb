"""The linkage engine: person records in, scored pairs, persons and a review queue out.

`RecordLinker` wraps a Splink linker (DuckDB by default, Spark when ``backend="spark"``) around
the domain model of `testigo.linkage.comparisons`. The steps, each a method:

1. ``train()`` — unsupervised: u probabilities from random pairs, m probabilities by
   expectation maximisation in two sessions (pairs sharing an identity number; pairs sharing
   name keys and a birth date), and the prior match probability from identity numbers.
2. ``train_from_labels(labels)`` — decisions from the review queue (``record_id_l``,
   ``record_id_r``, ``is_match``); see the method for what they change.
3. ``predict()`` — scored candidate pairs at or above the review threshold.
4. ``cluster(pairs)`` — persons (connected components at the merge threshold, labels as
   constraints) and the review queue (`testigo.linkage.clustering`).

`link_records` runs them all. The engine never imports Django.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from testigo.domain.national_ids import VENEZUELA, NationalIdFormat
from testigo.domain.places import Gazetteer

from .blocking import CandidatePairs, blocking_rules, training_rules
from .clustering import cluster_pairs, review_queue
from .comparisons import comparisons, exclusive_fields
from .prepare import PreparedRecords, prepare_records
from .schema import InputProblem, LinkInputError, validate_records

__all__ = [
    "LinkResult",
    "LinkSettings",
    "ProgressCallback",
    "RecordLinker",
    "link_records",
    "settings_to_json",
]

#: Called with a stage name ("prepare", "block", "train", "predict", "cluster") and a fraction
#: done.
ProgressCallback = Callable[[str, float], None]

Backend = Literal["duckdb", "spark"]
# The candidate pairs made by our own blocking, in the linker's DuckDB database.
_BLOCKED = "testigo_blocked_pairs"
_MEMORY = re.compile(r"[0-9]+(\.[0-9]+)?\s*[KMGT]i?B")


@dataclass(frozen=True)
class LinkSettings:
    """How to link. Plain values only, so that settings serialise to JSON.

    Attributes:
        backend: "duckdb" (one machine, default) or "spark" (a Spark session is created with
            ``local[*]`` unless one is passed to `RecordLinker`).
        link_type: "dedupe" finds the same person anywhere; "link" only across sources.
        match_threshold: pairs at or above this probability are merged automatically.
        review_threshold: pairs from here up to ``match_threshold`` go to human review.
        extra_columns: further text columns to compare generically (exact, Jaro-Winkler).
        max_pairs_per_record: budget of candidate pairs per record for the looser blocking
            rules, each rule's pairs counted with its filters (see `blocking_rules`); at least
            ten million in all.
        conflict_override: a pair at least this probable joins two records even when they hold
            different identity numbers or birth days; below it, such records are kept apart.
        u_max_pairs: random pairs sampled to estimate u probabilities.
        em_max_pairs: cap on the pairs of each EM session (None: no cap).
        min_labelled_matches: labelled matches needed before they re-estimate m probabilities.
        label_precision: precision among labelled pairs that the merge threshold must keep.
        seed: seed of every random sample, for reproducible runs.
        threads: DuckDB threads (None: all cores).
        memory_limit: DuckDB memory limit, e.g. "6GB" (it spills to disk beyond it; default 3 GB
            or 40% of the machine's memory if less); with the Spark backend and no session
            given, the local driver's heap (default 4 GB).
    """

    backend: Backend = "duckdb"
    link_type: Literal["dedupe", "link"] = "dedupe"
    match_threshold: float = 0.3
    review_threshold: float = 0.05
    extra_columns: tuple[str, ...] = ()
    max_pairs_per_record: float = 250.0
    conflict_override: float = 0.99
    u_max_pairs: float = 5e6
    em_max_pairs: float | None = 2e6
    min_labelled_matches: int = 30
    label_precision: float = 0.95
    seed: int = 1
    threads: int | None = None
    memory_limit: str | None = None

    def __post_init__(self) -> None:
        if self.backend not in ("duckdb", "spark"):
            raise ValueError(f"unknown linkage backend {self.backend!r}; use duckdb or spark")
        if self.link_type not in ("dedupe", "link"):
            raise ValueError(f"unknown link type {self.link_type!r}; use dedupe or link")
        if not 0.0 < self.review_threshold <= self.match_threshold < 1.0:
            raise ValueError("need 0 < review_threshold <= match_threshold < 1")
        if self.memory_limit is not None and not _MEMORY.fullmatch(self.memory_limit):
            raise ValueError(f"memory_limit must look like '6GB', got {self.memory_limit!r}")
        if self.threads is not None and (isinstance(self.threads, bool) or self.threads < 1):
            raise ValueError(f"threads must be a positive integer, got {self.threads!r}")
        object.__setattr__(self, "extra_columns", tuple(self.extra_columns))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> LinkSettings:
        """Settings from ``TESTIGO_LINKAGE_BACKEND``, ``..._MATCH_THRESHOLD``,
        ``..._REVIEW_THRESHOLD``, ``..._THREADS`` and ``..._MEMORY_LIMIT``; bad values raise."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        prefix = "TESTIGO_LINKAGE_"
        if backend := env.get(prefix + "BACKEND"):
            values["backend"] = backend.strip().lower()
        for name in ("match_threshold", "review_threshold"):
            if raw := env.get(prefix + name.upper()):
                try:
                    values[name] = float(raw)
                except ValueError:
                    raise ValueError(
                        f"{prefix}{name.upper()} must be a number, got {raw!r}"
                    ) from None
        if raw := env.get(prefix + "THREADS"):
            if not raw.isdigit() or int(raw) < 1:
                raise ValueError(f"{prefix}THREADS must be a positive integer, got {raw!r}")
            values["threads"] = int(raw)
        if raw := env.get(prefix + "MEMORY_LIMIT"):
            values["memory_limit"] = raw
        return cls(**{**values, **overrides})


@dataclass
class LinkResult:
    """What linkage produced.

    Attributes:
        clusters: ``record_id``, ``person_id`` — one row per input record, in input order.
            ``person_id`` is "P" and a number, numbered by each person's first record.
        pairs: scored candidate pairs at or above the review threshold: ``record_id_l``,
            ``record_id_r``, ``match_weight``, ``match_probability`` and one ``mw_<name>``
            column per comparison: its part of the match weight (log2 Bayes factor; positive
            for agreement, negative for disagreement, 0 when a value is missing).
        review: uncertain pairs for a person to decide, best first: ``record_id_l``,
            ``record_id_r``, ``match_probability``, ``person_id_l``, ``person_id_r``,
            ``priority`` (the expected number of pairwise errors the decision fixes).
        model: the trained Splink model (a JSON-ready dict); pass it back to reuse it.
        settings: the settings used (thresholds possibly calibrated from labels).
        problems: values that were ignored (first 50) and their total count.
        stats: counts and timings.
    """

    clusters: pd.DataFrame
    pairs: pd.DataFrame
    review: pd.DataFrame
    model: dict[str, Any]
    settings: LinkSettings
    problems: list[InputProblem] = field(default_factory=list)
    problem_count: int = 0
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def n_persons(self) -> int:
        return int(self.clusters["person_id"].nunique())


def _labels_frame(labels: pd.DataFrame | None) -> pd.DataFrame:
    if labels is None or len(labels) == 0:
        return pd.DataFrame({"record_id_l": [], "record_id_r": [], "is_match": []})
    missing = {"record_id_l", "record_id_r", "is_match"} - set(labels.columns)
    if missing:
        raise ValueError(f"labels need the columns record_id_l, record_id_r, is_match; "
                         f"missing {sorted(missing)}")  # fmt: skip
    out = labels[["record_id_l", "record_id_r", "is_match"]].copy()
    out["record_id_l"] = out["record_id_l"].astype(str)
    out["record_id_r"] = out["record_id_r"].astype(str)
    out["is_match"] = out["is_match"].astype(bool)
    # The latest decision on a pair wins.
    key = out[["record_id_l", "record_id_r"]].apply(lambda r: tuple(sorted(r)), axis=1)
    return out.loc[~key.duplicated(keep="last")].reset_index(drop=True)


@contextlib.contextmanager
def _quiet_splink() -> Iterator[None]:
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class RecordLinker:
    """Link one table of §6 person records.

    Args:
        records: a DataFrame with the §6 columns (``record_id`` and the name columns required;
            ``age`` and ``extra_columns`` used when present).
        settings: see `LinkSettings`.
        gazetteer: resolves state and municipality names to codes (aliases, misspellings);
            without one, places are compared as folded text.
        id_format: the country's identity-number format.
        model: a model from an earlier `LinkResult.model` to reuse instead of training (its
            prior and m/u probabilities; it may come from another backend or data set).
        spark: a SparkSession for ``backend="spark"``.
        progress: called with (stage, fraction) as work advances.
        origin: the data's name (a file name) for error messages.

    Example:
        >>> linker = RecordLinker(records)  # doctest: +SKIP
        >>> linker.train()  # doctest: +SKIP
        >>> result = linker.cluster(linker.predict())  # doctest: +SKIP
    """

    def __init__(
        self,
        records: pd.DataFrame,
        *,
        settings: LinkSettings | None = None,
        gazetteer: Gazetteer | None = None,
        id_format: NationalIdFormat = VENEZUELA,
        model: Mapping[str, Any] | None = None,
        spark: Any = None,
        progress: ProgressCallback | None = None,
        origin: str = "<data>",
    ) -> None:
        self.settings = settings or LinkSettings()
        self._progress = progress or (lambda stage, done: None)
        self._timings: dict[str, float] = {}
        started = time.perf_counter()
        self._progress("prepare", 0.0)
        checked = validate_records(records, origin=origin)
        for column in self.settings.extra_columns:
            if column not in records.columns:
                raise LinkInputError(f"extra column {column!r} is not in the data", origin=origin)
            checked[column] = records[column].astype("string").str.strip().replace("", None)
        self.prepared: PreparedRecords = prepare_records(
            checked, gazetteer=gazetteer, id_format=id_format
        )
        features = self.prepared.features
        for column in self.settings.extra_columns:
            features[column] = checked[column].astype(object).where(checked[column].notna(), None)
        self.record_ids = features["record_id"].to_numpy()
        self._id_position = pd.Series(np.arange(len(features)), index=features["record_id"])
        self._timings["prepare"] = time.perf_counter() - started
        self._progress("prepare", 1.0)
        self._labels = _labels_frame(None)
        self._notes: list[str] = []
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._con: Any = None
        self._input_tables: list[str] = []
        self._candidates: int | None = None
        self._linker = self._make_linker(features, model, spark)
        self._trained = model is not None

    # -- construction ------------------------------------------------------------------------

    def _settings_creator(self, rules: list[str]) -> Any:
        from splink import SettingsCreator

        return SettingsCreator(
            link_type="link_only" if self.settings.link_type == "link" else "dedupe_only",
            unique_id_column_name="uid",
            comparisons=comparisons(self.settings.extra_columns),
            blocking_rules_to_generate_predictions=rules,
            retain_matching_columns=False,
            retain_intermediate_calculation_columns=True,
            max_iterations=20,
            em_convergence=0.001,
            probability_two_random_records_match=1e-5,
        )

    def _make_linker(self, features: pd.DataFrame, model: Mapping[str, Any] | None, spark: Any):
        from splink import Linker

        db_api = self._db_api(spark)
        frame = features.drop(columns=["record_id"])
        if self.settings.backend == "spark":
            frame = _for_spark(frame)
        # The table each record is registered in, for labels (Splink's source_dataset).
        self._table_of = np.full(len(frame), "records", dtype=object)
        if self.settings.link_type == "link":
            parts = list(frame.groupby("source", sort=True))
            if len(parts) != 2:
                raise LinkInputError(f"link mode needs exactly two sources, found {len(parts)}")
            tables = []
            for i, (_, part) in enumerate(parts):
                self._table_of[part["uid"].to_numpy()] = f"records_{i}"
                table = self._input_table(db_api, part.drop(columns=["source"]))
                tables.append(db_api.register(table, table_name=f"records_{i}"))
            inputs: Any = tables
        else:
            inputs = db_api.register(self._input_table(db_api, frame), table_name="records")
        rules = self._block(features)
        with _quiet_splink():
            linker = Linker(inputs, self._settings_creator(rules), log_level=None)
        if model is not None:
            _apply_model(linker, model)
        return linker

    @property
    def _own_blocking(self) -> bool:
        """Whether the candidate pairs are made here (DuckDB, deduplication) or by Splink."""
        return self.settings.backend == "duckdb" and self.settings.link_type == "dedupe"

    def _block(self, features: pd.DataFrame) -> list[str]:
        """Choose the blocking rules; with our own blocking, also make the candidate pairs
        (`_BLOCKED`) in the linker's database."""
        started = time.perf_counter()
        self._progress("block", 0.0)
        options: dict[str, Any] = {
            "max_pairs_per_record": self.settings.max_pairs_per_record,
            "extra_columns": self.settings.extra_columns,
            # Choosing and making the rules' pairs is most of it; merging them the rest.
            "progress": lambda done: self._progress("block", 0.8 * done),
        }
        if not self._own_blocking:
            rules = blocking_rules(
                features,
                link=self.settings.link_type == "link",
                threads=self.settings.threads,
                memory_limit=_duckdb_memory_limit(),
                **options,
            )
        else:
            # The records table `_input_table` made holds every column the rules read.
            with CandidatePairs.over_table(self._con, self._input_tables[0]) as pairs:
                rules = blocking_rules(features, pairs=pairs, **options)
                self._candidates = pairs.merge(_BLOCKED)
        self._timings["block"] = time.perf_counter() - started
        self._progress("block", 1.0)
        return rules

    def _input_table(self, db_api: Any, frame: pd.DataFrame) -> Any:
        """The records as the backend should hold them.

        Spark keeps a DataFrame made from pandas as a local relation inside every query plan
        that reads it, and its optimiser copies all the rows on the driver for each reference:
        with forty blocking rules, 100,000 records already exhaust a 12 GB heap. A local
        checkpoint turns the records into an ordinary cached table. DuckDB reads a registered
        pandas frame anew, converting its text columns, in every query; it gets a table.
        """
        if self.settings.backend != "spark":
            name = f"testigo_records_{len(self._input_tables)}"
            self._con.register(f"{name}_frame", frame)
            self._con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame")  # noqa: S608
            self._con.unregister(f"{name}_frame")
            self._input_tables.append(name)
            return name
        table = db_api.spark.createDataFrame(db_api._clean_pandas_df(frame))
        return table.localCheckpoint(eager=True)

    def _db_api(self, spark: Any) -> Any:
        if self.settings.backend == "spark":
            from splink import SparkAPI

            return SparkAPI(
                spark_session=spark or _local_spark(self.settings.memory_limit),
                break_lineage_method="persist",
            )
        import duckdb
        from splink import DuckDBAPI

        con = self._con = duckdb.connect(":memory:")
        self._tmp = tempfile.TemporaryDirectory(prefix="testigo-linkage-")
        con.execute(f"SET temp_directory = '{self._tmp.name}'")
        con.execute("SET preserve_insertion_order = false")
        if self.settings.threads:
            con.execute(f"SET threads = {int(self.settings.threads)}")
        con.execute(f"SET memory_limit = '{self.settings.memory_limit or _duckdb_memory_limit()}'")
        return DuckDBAPI(connection=con)

    # -- training ----------------------------------------------------------------------------

    def train(self) -> None:
        """Estimate the model without labels (u by sampling, m by EM, then the prior)."""
        started = time.perf_counter()
        training = self._linker.training
        seed = self.settings.seed
        with _quiet_splink():
            self._progress("train", 0.0)
            training.estimate_u_using_random_sampling(
                max_pairs=self.settings.u_max_pairs, seed=seed
            )
            rules = training_rules()
            for i, rule in enumerate(rules):
                self._progress("train", (i + 1) / (len(rules) + 1))
                try:
                    training.estimate_parameters_using_expectation_maximisation(
                        rule, max_pairs=self.settings.em_max_pairs
                    )
                except Exception as exc:
                    # A session can find no pairs (a list without identity numbers); the other
                    # sessions still estimate what they can, and the result says what failed.
                    self._notes.append(f"EM session {i + 1} skipped: {exc}".strip())
            self._linker._settings_obj._probability_two_random_records_match = self._prior()
        self._trained = True
        self._timings["train"] = time.perf_counter() - started
        self._progress("train", 1.0)

    def _prior(self) -> float:
        """The probability that two random records match.

        Two records with the same identity number are (nearly) always the same person, so among
        records that have one, the share of pairs that share it is the match rate; it is taken
        as the rate for all records. Without enough identity numbers, pairs agreeing on given
        names, surnames and birth day are counted instead, assuming they find half the matches.
        """
        features = self.prepared.features
        with_id = features.loc[features["nid"].notna(), ["nid", "source"]]
        if self.settings.link_type == "link":
            sides = with_id.groupby("source")["nid"]
            sizes = sides.size()
            if len(sizes) == 2 and sizes.min() >= 50:
                a, b = (set(values) for _, values in sides)
                shared = with_id.loc[with_id["nid"].isin(a & b)].groupby(["nid", "source"]).size()
                pairs = shared.groupby(level=0).prod().sum()
                return float(np.clip(max(pairs, 1) / (sizes.iloc[0] * sizes.iloc[1]), 1e-9, 0.5))
        elif len(with_id) >= 100:
            counts = with_id["nid"].value_counts().to_numpy(dtype=float)
            pairs = (counts * (counts - 1) / 2).sum()
            total = len(with_id) * (len(with_id) - 1) / 2
            return float(np.clip(max(pairs, 1) / total, 1e-9, 0.5))
        keyed = features.loc[features["b_prec"] == "D", ["gn", "sn", "b_lo"]].dropna()
        counts = keyed.value_counts().to_numpy(dtype=float)
        pairs = (counts * (counts - 1) / 2).sum() / 0.5
        n = len(features)
        return float(np.clip(max(pairs, 1) / max(n * (n - 1) / 2, 1), 1e-9, 0.5))

    def train_from_labels(self, labels: pd.DataFrame) -> None:
        """Use review decisions (``record_id_l``, ``record_id_r``, ``is_match``).

        What labels do:

        * every labelled pair is a constraint in clustering: "match" always joins the two
          records, "not a match" never lets them be joined (not even through other records);
        * with at least ``min_labelled_matches`` labelled matches, the m probabilities are
          re-estimated from those pairs (Splink's estimate from pairwise labels), replacing the
          EM estimates;
        * in `cluster`, the merge threshold is lowered or raised to the lowest probability at
          which the labelled pairs scored at or above it are still ``label_precision`` matches
          (with at least 10 labelled pairs of each kind in the scored pairs).
        """
        frame = _labels_frame(labels)
        unknown = ~(frame["record_id_l"].isin(self._id_position.index)
                    & frame["record_id_r"].isin(self._id_position.index))  # fmt: skip
        if unknown.any():
            row = frame.loc[unknown].iloc[0]
            raise ValueError(
                f"labelled pair {row['record_id_l']!r}, {row['record_id_r']!r} names a record "
                "that is not in the data"
            )
        self._labels = pd.concat([self._labels, frame], ignore_index=True)
        self._labels = _labels_frame(self._labels)
        matches = self._labels.loc[self._labels["is_match"]]
        if len(matches) >= self.settings.min_labelled_matches:
            self._m_from_labels(matches)

    def _m_from_labels(self, matches: pd.DataFrame) -> None:
        uid_l = self._id_position[matches["record_id_l"]].to_numpy()
        uid_r = self._id_position[matches["record_id_r"]].to_numpy()
        low, high = np.minimum(uid_l, uid_r), np.maximum(uid_l, uid_r)
        table = pd.DataFrame(
            {
                "source_dataset_l": self._table_of[low],
                "uid_l": low,
                "source_dataset_r": self._table_of[high],
                "uid_r": high,
            }
        )
        if self.settings.backend == "spark":
            table = _for_spark(table)
        with _quiet_splink():
            registered = self._linker._db_api.register(table)
            self._linker.training.estimate_m_from_pairwise_labels(registered)

    # -- prediction --------------------------------------------------------------------------

    def predict(self) -> pd.DataFrame:
        """Scored candidate pairs with probability at or above the review threshold.

        Columns: ``uid_l``, ``uid_r`` (record positions), ``match_weight``,
        ``match_probability`` and ``mw_*``.
        """
        if not self._trained:
            self.train()
        started = time.perf_counter()
        self._progress("predict", 0.0)
        with _quiet_splink():
            if self._own_blocking:
                blocked = self._linker._db_api.register(_BLOCKED)
                self._linker.table_management.register_blocked_pairs_for_predict(blocked)
            scored = self._linker.inference.predict(
                threshold_match_probability=self.settings.review_threshold,
                warning_mode="never",
            )
            frame = scored.as_pandas_dataframe()
            scored.drop_table_from_database_and_remove_from_cache()
        keep = ["uid_l", "uid_r", "match_weight", "match_probability"]
        keep += [c for c in frame.columns if c.startswith("mw_")]
        frame = frame[keep]
        frame["uid_l"] = frame["uid_l"].astype(np.int64)
        frame["uid_r"] = frame["uid_r"].astype(np.int64)
        self._timings["predict"] = time.perf_counter() - started
        self._progress("predict", 1.0)
        return frame

    def blocked_pairs(self) -> pd.DataFrame:
        """Every candidate pair the blocking rules produce (``uid_l``, ``uid_r``), unscored."""
        if self._own_blocking:
            query = f"SELECT join_key_l AS uid_l, join_key_r AS uid_r FROM {_BLOCKED}"  # noqa: S608
            return self._con.execute(query).df().astype(np.int64)
        with _quiet_splink():
            blocked = self._linker.inference.compute_blocked_pairs_for_predict()
            frame = blocked.as_pandas_dataframe()
            blocked.drop_table_from_database_and_remove_from_cache()
        out = frame.rename(columns={"join_key_l": "uid_l", "join_key_r": "uid_r"})
        out = out[["uid_l", "uid_r"]]
        if all(pd.api.types.is_integer_dtype(t) for t in out.dtypes):
            return out.astype(np.int64)
        # Linking across tables prefixes the ids with the table name ("records_0-__-17").
        return out.apply(lambda c: c.astype(str).str.rsplit("-", n=1).str[-1].astype(np.int64))

    # -- clustering --------------------------------------------------------------------------

    def _uid_pairs(self, labels: pd.DataFrame) -> list[tuple[int, int]]:
        left = self._id_position[labels["record_id_l"]].to_numpy()
        right = self._id_position[labels["record_id_r"]].to_numpy()
        return list(zip(left.tolist(), right.tolist(), strict=True))

    def _calibrated_threshold(self, pairs: pd.DataFrame) -> float:
        settings = self.settings
        if self._labels.empty:
            return settings.match_threshold
        scored = pd.DataFrame(self._uid_pairs(self._labels), columns=["a", "b"])
        scored["is_match"] = self._labels["is_match"].to_numpy()
        scored["uid_l"] = scored[["a", "b"]].min(axis=1)
        scored["uid_r"] = scored[["a", "b"]].max(axis=1)
        ordered = pairs[["uid_l", "uid_r", "match_probability"]].copy()
        lo = ordered[["uid_l", "uid_r"]].min(axis=1)
        ordered["uid_r"] = ordered[["uid_l", "uid_r"]].max(axis=1)
        ordered["uid_l"] = lo
        found = scored.merge(ordered, on=["uid_l", "uid_r"])
        if found["is_match"].sum() < 10 or (~found["is_match"]).sum() < 10:
            return settings.match_threshold
        found = found.sort_values("match_probability", ascending=False)
        precision = found["is_match"].cumsum() / np.arange(1, len(found) + 1)
        ok = found.loc[precision.to_numpy() >= settings.label_precision, "match_probability"]
        if ok.empty:
            return settings.match_threshold
        return float(min(max(ok.min(), settings.review_threshold), 0.999))

    def cluster(self, pairs: pd.DataFrame) -> LinkResult:
        """Persons and the review queue from `predict` output."""
        started = time.perf_counter()
        self._progress("cluster", 0.0)
        settings = replace(self.settings, match_threshold=self._calibrated_threshold(pairs))
        n = len(self.record_ids)
        must = self._uid_pairs(self._labels.loc[self._labels["is_match"]])
        cannot = self._uid_pairs(self._labels.loc[~self._labels["is_match"]])
        clusters = cluster_pairs(
            n,
            pairs["uid_l"].to_numpy(),
            pairs["uid_r"].to_numpy(),
            pairs["match_probability"].to_numpy(),
            threshold=settings.match_threshold,
            must_link=must,
            cannot_link=cannot,
            exclusive=exclusive_fields(self.prepared.features, override=settings.conflict_override),
        )
        person_ids = np.char.add("P", np.char.zfill(clusters.astype(str), 6))
        queue = review_queue(
            pairs,
            clusters,
            low=settings.review_threshold,
            high=settings.match_threshold,
            exclude=must + cannot,
        )
        review = pd.DataFrame(
            {
                "record_id_l": self.record_ids[queue["uid_l"].to_numpy()],
                "record_id_r": self.record_ids[queue["uid_r"].to_numpy()],
                "match_probability": queue["match_probability"].to_numpy(),
                "person_id_l": person_ids[queue["uid_l"].to_numpy()],
                "person_id_r": person_ids[queue["uid_r"].to_numpy()],
                "priority": queue["priority"].to_numpy(),
            }
        )
        scored = pairs.copy()
        scored.insert(0, "record_id_r", self.record_ids[pairs["uid_r"].to_numpy()])
        scored.insert(0, "record_id_l", self.record_ids[pairs["uid_l"].to_numpy()])
        scored = scored.drop(columns=["uid_l", "uid_r"])
        self._timings["cluster"] = time.perf_counter() - started
        self._progress("cluster", 1.0)
        merged = int((pairs["match_probability"] >= settings.match_threshold).sum())
        return LinkResult(
            clusters=pd.DataFrame({"record_id": self.record_ids, "person_id": person_ids}),
            pairs=scored,
            review=review,
            model=self.model(),
            settings=settings,
            problems=list(self.prepared.problems),
            problem_count=self.prepared.problem_count,
            stats={
                "records": n,
                "persons": int(clusters.max()) + 1 if n else 0,
                "candidate_pairs": self._candidates,
                "pairs_scored": len(pairs),
                "pairs_merged": merged,
                "pairs_to_review": len(review),
                "labels": len(self._labels),
                "notes": list(self._notes),
                "seconds": {k: round(v, 2) for k, v in self._timings.items()},
            },
        )

    def model(self) -> dict[str, Any]:
        """The trained Splink model as a JSON-ready dict."""
        with _quiet_splink():
            saved = self._linker.misc.save_model_to_json(out_path=None)
        return json.loads(json.dumps(saved, default=str))

    def close(self) -> None:
        """Release the database and its temporary files."""
        with contextlib.suppress(Exception):
            self._linker._db_api.delete_tables_created_by_splink_from_db()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> RecordLinker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _duckdb_memory_limit() -> str:
    """DuckDB's memory limit when none is set: 3 GB, or 40% of the machine's memory if less.

    DuckDB spills beyond it to the linker's temporary directory. With its own default (80% of
    memory) it kept what it had freed: a million records peaked at 6.7 GB in all instead of 5.4,
    at the same speed.
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return "3GB"
    return f"{max(256, min(3072, int(total * 0.4) >> 20))}MB"


def _apply_model(linker: Any, model: Mapping[str, Any]) -> None:
    """Copy a saved model's parameters onto this linker's comparisons.

    Comparisons and blocking rules are always built afresh for the backend and data at hand
    (a model trained with DuckDB can score with Spark); only the prior and the m and u
    probabilities come from the model, matched by comparison name and level label.
    """
    settings = linker._settings_obj
    saved = {
        (comparison["output_column_name"], level.get("label_for_charts")): level
        for comparison in model.get("comparisons", [])
        for level in comparison.get("comparison_levels", [])
    }
    for comparison in settings.comparisons:
        for level in comparison.comparison_levels:
            found = saved.get((comparison.output_column_name, level.label_for_charts))
            if found is None:
                continue
            if found.get("m_probability") is not None:
                level.m_probability = found["m_probability"]
            if found.get("u_probability") is not None:
                level.u_probability = found["u_probability"]
    prior = model.get("probability_two_random_records_match")
    if prior is not None:
        settings._probability_two_random_records_match = float(prior)


def _for_spark(frame: pd.DataFrame) -> pd.DataFrame:
    """Spark reads NaN as a number, not as NULL: hand it object columns with None."""
    out = frame.copy()
    for column in out.columns:
        if str(out[column].dtype) == "Int64":
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


def _local_spark(memory_limit: str | None = None) -> Any:
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    return (
        SparkSession.builder.master("local[*]")
        .appName("testigo-linkage")
        .config("spark.jars", similarity_jar_location())
        # The default 1 GB driver heap runs out persisting scored pairs (FEBRL4 already).
        .config("spark.driver.memory", _spark_memory(memory_limit or "4GB"))
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.default.parallelism", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def _spark_memory(limit: str) -> str:
    """'6GB' / '6 GiB' / '512MB' as Spark writes it ('6g', '512m')."""
    number, unit = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([KMGT])i?B", limit).groups()
    return f"{max(1, round(float(number)))}{unit.lower()}"


def link_records(
    records: pd.DataFrame,
    *,
    settings: LinkSettings | None = None,
    labels: pd.DataFrame | None = None,
    gazetteer: Gazetteer | None = None,
    id_format: NationalIdFormat = VENEZUELA,
    model: Mapping[str, Any] | None = None,
    spark: Any = None,
    progress: ProgressCallback | None = None,
    origin: str = "<data>",
) -> LinkResult:
    """Deduplicate person records: train (unless ``model`` is given), use ``labels``, score
    candidate pairs, cluster into persons. See `RecordLinker` for the arguments."""
    with RecordLinker(
        records,
        settings=settings,
        gazetteer=gazetteer,
        id_format=id_format,
        model=model,
        spark=spark,
        progress=progress,
        origin=origin,
    ) as linker:
        if model is None:
            linker.train()
        if labels is not None and len(labels):
            linker.train_from_labels(labels)
        return linker.cluster(linker.predict())


def settings_to_json(settings: LinkSettings) -> dict[str, Any]:
    """The settings as a JSON-ready dict."""
    data = asdict(settings)
    data["extra_columns"] = list(settings.extra_columns)
    return data

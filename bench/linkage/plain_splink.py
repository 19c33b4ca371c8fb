"""The anchor: a competent plain Splink configuration, without Testigo's domain code.

What a careful Splink user would write for the same data, following Splink's own FEBRL
examples: light cleaning in SQL (lower case, accents stripped, the first given name, the first
and second words of the surnames, digits of the identity number), Splink's comparison library
(`NameComparison` with term frequencies, `DateOfBirthComparison`, Damerau-Levenshtein on the
identity number, exact place with term frequencies), blocking rules checked for size, the prior
from deterministic rules, u by random sampling and m by EM in two sessions, clustering by
connected components.
"""

from __future__ import annotations

import logging
import tempfile
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

logging.getLogger("splink").setLevel(logging.ERROR)


_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []


def _connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection capped like ours (DuckDB takes 80% of the RAM otherwise).

    Spill files go to a temporary directory (under ``$TMPDIR``) removed when the process ends.
    """
    scratch = tempfile.TemporaryDirectory(prefix="plain-splink-")
    _SCRATCH.append(scratch)
    con = duckdb.connect()
    con.execute(f"SET temp_directory = '{scratch.name}'")
    con.execute("SET memory_limit = '6GB'")
    con.execute("SET preserve_insertion_order = false")
    return con


def _clean_persons(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> Any:
    con.register("raw", frame)
    return con.sql(
        """
        select
            row_number() over () - 1 as uid,
            nullif(split_part(strip_accents(lower(trim(given_names))), ' ', 1), '') as first_name,
            nullif(split_part(strip_accents(lower(trim(family_names))), ' ', 1), '') as surname,
            nullif(split_part(strip_accents(lower(trim(family_names))), ' ', 2), '') as surname2,
            nullif(trim(birth_date), '') as dob,
            nullif(regexp_replace(national_id, '[^0-9]', '', 'g'), '') as national_id,
            nullif(upper(left(trim(sex), 1)), '') as sex,
            nullif(strip_accents(lower(trim(state))), '') as state,
            nullif(strip_accents(lower(trim(municipality))), '') as municipality,
            try_cast(nullif(trim(event_date), '') as date) as event_date,
            source
        from raw
        """
    )


def link_persons_plain(
    frame: pd.DataFrame, *, threshold: float = 0.9, review: float = 0.05, seed: int = 1
) -> tuple[np.ndarray, pd.DataFrame]:
    """Cluster §6 person records with plain Splink; return (cluster per record, pairs)."""
    con = _connect()
    cleaned = _clean_persons(con, frame)
    db_api = DuckDBAPI(connection=con)
    records = db_api.register(cleaned)
    # Checked with Splink's comparison counts: on a million records the name rules alone make
    # over 500 million pairs, so a careful user adds the state to them.
    place = ("state",) if len(frame) > 200_000 else ()
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="uid",
        blocking_rules_to_generate_predictions=[
            block_on("national_id"),
            block_on("first_name", "surname", *place),
            block_on("surname", "surname2", *place),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
        ],
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname2").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("national_id", [1, 2]),
            cl.ExactMatch("sex"),
            cl.ExactMatch("state").configure(term_frequency_adjustments=True),
            cl.ExactMatch("municipality").configure(term_frequency_adjustments=True),
            cl.AbsoluteDateDifferenceAtThresholds(
                "event_date", input_is_string=False, metrics=["day", "day"], thresholds=[3, 31]
            ),
        ],
        retain_matching_columns=False,
    )
    linker = Linker(records, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("national_id"), block_on("first_name", "surname", "dob")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("national_id"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname"), estimate_without_term_frequencies=True
    )
    predictions = linker.inference.predict(threshold_match_probability=review)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    cluster_frame = clusters.as_pandas_dataframe()[["uid", "cluster_id"]]
    pairs = predictions.as_pandas_dataframe()[["uid_l", "uid_r", "match_probability"]]
    order = cluster_frame.sort_values("uid")
    return pd.factorize(order["cluster_id"])[0], pairs


def link_febrl_plain(
    frames: list[pd.DataFrame], *, threshold: float = 0.9, review: float = 0.05, seed: int = 1
) -> tuple[np.ndarray, pd.DataFrame]:
    """FEBRL3 (one frame, dedupe) or FEBRL4 (two frames, link) as in Splink's own examples."""
    con = _connect()
    offset = 0
    tables = []
    for frame in frames:
        part = frame.reset_index(drop=True).copy()
        part["uid"] = np.arange(offset, offset + len(part))
        offset += len(part)
        tables.append(part)
    db_api = DuckDBAPI(connection=con)
    link = len(frames) == 2
    registered = [db_api.register(t) for t in tables]
    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="uid",
        link_type="link_only" if link else "dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        retain_matching_columns=False,
    )
    linker = Linker(registered if link else registered[0], settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )
    predictions = linker.inference.predict(threshold_match_probability=review)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    cluster_frame = clusters.as_pandas_dataframe()
    uid = cluster_frame["uid"].to_numpy()
    labels = np.empty(offset, dtype=object)
    labels[uid] = cluster_frame["cluster_id"].to_numpy()
    pairs = predictions.as_pandas_dataframe()[["uid_l", "uid_r", "match_probability"]]
    return pd.factorize(pd.Series(labels))[0], pairs

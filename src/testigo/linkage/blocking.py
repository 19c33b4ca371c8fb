"""Blocking: which record pairs are scored at all.

A pair is scored when it meets one of the blocking rules: equal keys (name sound keys, initials,
state or municipality, event day, week or month, birth year or decade, half an identity number)
and, for rules on names, compatible places and birth dates. Rules are tried most useful first
and kept while the pairs they make stay within a budget per record (`blocking_rules`).

`CandidatePairs` makes each rule's pairs once in DuckDB, counts them for the budget, and
merges them into one table of distinct pairs for Splink to score. Splink's own blocking keeps a
pair out of a later rule by re-testing every earlier rule on it, a cost that grows with the
square of the number of rules (191 s for the 21 rules and 79 million pairs of a million
records); making each rule's pairs once and keeping each pair once takes 33 s, and lets a
larger budget fit in the same time (bench/linkage, ``--splink-blocking``).
The Spark backend and linking across sources use Splink's blocking with the same rules.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from splink import block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator

__all__ = ["CandidatePairs", "blocking_rules", "training_rules"]

Join = tuple[str, str]
Rule = tuple[tuple[Join, ...], bool]

# Each rule: the columns it joins on, and whether pairs on name keys alone must also have
# compatible places and birth dates. Cross rules compare one record's first surname with the
# other's second.
_CORE_RULES: tuple[Rule, ...] = (
    ((("nid", "nid"),), False),
    ((("st", "st"), ("gn1_fx", "gn1_fx"), ("sn1_fx", "sn1_fx")), True),
    ((("st", "st"), ("gn1_fx", "gn1_fx"), ("sn1_fx", "sn2_fx")), True),  # swapped or dropped
    ((("st", "st"), ("gn1_fx", "gn1_fx"), ("sn2_fx", "sn1_fx")), True),
    ((("st", "st"), ("sn1_fx", "sn1_fx"), ("sn2_fx", "sn2_fx")), True),  # given name garbled
    ((("st", "st"), ("b_day", "b_day")), False),
)
_S = ("st", "st")
_MU = ("mu", "mu")
_GN = ("gn1_fx", "gn1_fx")
_SN = ("sn1_fx", "sn1_fx")
_GI = ("gn1_i", "gn1_i")
_SI = ("sn1_i", "sn1_i")
_X12 = ("sn1_fx", "sn2_fx")  # a surname swapped or dropped
_X21 = ("sn2_fx", "sn1_fx")
_G21 = ("gn2_ph", "gn1_fx")  # the first given name dropped
_EV_DAY = ("ev_day", "ev_day")
_EV_YM = ("ev_ym", "ev_ym")
_EV_WEEK = ("ev_wk", "ev_wk")
_B_YEAR = ("b_year", "b_year")
_B_DECADE = ("b_decade", "b_decade")
# Looser rules, most useful first: chosen greedily by the true pairs the rules before them miss,
# per pair made, on a million hard synthetic records, where namesakes are dense and a rule on
# one common name key makes tens of millions of pairs. A rule joining different columns is used
# in both directions. Most add an event or birth key to name keys or initials: records of one
# event share its day or month, and the birth year or decade tells namesakes apart. The last
# two pair records whose states are missing or differ.
_LOOSE_RULES: tuple[Rule, ...] = (
    ((_MU, _GI, _SI, _EV_DAY), True),  # both names garbled, same event
    ((_S, _SN, _EV_YM, _B_YEAR), True),  # given name garbled
    ((_S, _GN, _EV_YM, _B_YEAR), True),  # surname garbled
    ((_S, _GI, _SI, _EV_DAY), True),
    ((_S, _X21, _EV_DAY), True),  # swapped or dropped, given name garbled
    ((_S, _SN, _EV_DAY), True),
    ((_S, _GN, _EV_DAY), True),
    ((_S, ("nid_tl", "nid_tl")), True),  # a typo in the first half of the identity number
    ((_S, _X12, _X21), True),  # both swapped
    ((_S, _G21, _SN), True),
    ((_MU, _GI, _SI, _EV_YM), True),
    ((_S, _GI, _SI, _EV_YM, _B_DECADE), True),
    ((_MU, _GN, _EV_YM), True),
    ((_S, _G21, _X12), True),  # given and surname moved
    ((_S, _GI, _SI, _B_YEAR), True),
    ((_S, _GN, _SI, _EV_YM), True),  # a typo in the surname
    ((_S, ("nid_hd", "nid_hd")), True),  # ... in the second half
    ((_S, _GN, _EV_YM, _B_DECADE), True),
    ((_S, _SN, _GI, _EV_YM), True),  # a typo in the given name
    ((_S, _SN, _EV_YM, _B_DECADE), True),
    ((_S, _GN, _B_YEAR), True),
    ((_S, _GN, ("sn2_fx", "sn2_fx")), True),  # first surname differs
    ((_MU, _SN, _EV_YM), True),
    ((_S, _GI, _EV_DAY, _B_DECADE), True),
    ((_S, _GN, _EV_WEEK), True),  # event dates a few days apart
    ((_S, _SN, _GI, _B_DECADE), True),
    ((_S, _SN, _B_YEAR), True),
    ((_S, _GN, _SI, _B_DECADE), True),
    ((_S, _GN, _EV_YM), True),
    ((_S, _SN, _EV_YM), True),
    ((_S, _SN, _GI), True),
    ((_S, _GN, _SI), True),
    ((("b_day", "b_day"),), False),  # birth day alone: state missing or different
    ((_GN, _SN), True),  # names alone: state missing or different
)
# Names alone do not pair records from different municipalities or born years apart: such
# pairs would score as non-matches, and on common names they are most of the candidates.
_COMPATIBLE = (
    "(l.mu IS NULL OR r.mu IS NULL OR l.mu = r.mu)"
    " AND (l.b_lo IS NULL OR r.b_lo IS NULL"
    " OR (l.b_lo <= r.b_hi + 730 AND r.b_lo <= l.b_hi + 730))"
)
# A rule's compatibility filter keeps at least this share of the pairs agreeing on its keys (a
# quarter on a million hard records; more on rules with an event or birth key).
_MIN_KEPT_SHARE = 0.2
# Pairs merged per pass when the rules' pairs are made distinct (bounds the hash table).
_PAIRS_PER_PASS = 25_000_000


class CandidatePairs:
    """The candidate pairs of blocking rules, made once each in DuckDB.

    A rule's pairs are those Splink would make for it alone: each pair once, the lower ``uid``
    on the left (in link mode only pairs across sources), meeting the rule's SQL with its
    compatibility filters. `add` makes and counts them; `merge` keeps each pair once, with the
    first rule that found it as ``match_key`` (Splink's meaning), in the table Splink scores.
    Made from a feature frame, it copies the columns it needs into a DuckDB of its own;
    `over_table` reads a table already in the linker's database.

    Example:
        >>> with CandidatePairs(features) as pairs:  # doctest: +SKIP
        ...     pairs.add("l.nid = r.nid")
    """

    def __init__(
        self,
        features: pd.DataFrame,
        *,
        columns: Sequence[str] | None = None,
        link: bool = False,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        import duckdb

        keep = ["uid", *(c for c in (columns or features.columns) if c != "uid")]
        if link:
            keep.append("source")
        frame = features[list(dict.fromkeys(c for c in keep if c in features.columns))]
        if "uid" not in frame.columns:
            frame = frame.assign(uid=np.arange(len(frame), dtype=np.int64))
        con = duckdb.connect(":memory:")
        con.execute("SET preserve_insertion_order = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        name = f"testigo_blocking_{uuid.uuid4().hex[:8]}"
        con.register(f"{name}_frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame")  # noqa: S608
        con.unregister(f"{name}_frame")
        self._start(con, name, link=link, own_connection=True, own_table=True)

    @classmethod
    def over_table(cls, connection: Any, table: str, *, link: bool = False) -> CandidatePairs:
        """Pairs of the records already in ``table`` (``uid`` and the rules' columns, e.g. the
        linker's records), read where they are rather than copied."""
        pairs = cls.__new__(cls)
        pairs._start(connection, table, link=link, own_connection=False, own_table=False)
        return pairs

    def _start(
        self, con: Any, table: str, *, link: bool, own_connection: bool, own_table: bool
    ) -> None:
        self._con = con
        self._name = table
        self._own, self._own_table = own_connection, own_table
        self._pair = "l.uid < r.uid" + (" AND l.source <> r.source" if link else "")
        self._rules: dict[str, tuple[str, int]] = {}

    @property
    def rules(self) -> list[str]:
        """The rules added and not dropped, in the order they were added."""
        return list(self._rules)

    def add(self, rule: str) -> int:
        """Make the pairs meeting ``rule`` (SQL on ``l.`` and ``r.`` columns); their count."""
        table = f"testigo_rule_{len(self._rules)}_{uuid.uuid4().hex[:8]}"
        # The rules are our own SQL (`blocking_rules`), never user input. A pair is packed
        # into one integer (left uid in the high half), which keeps merging cheap.
        query = (
            f"CREATE TABLE {table} AS SELECT (l.uid::BIGINT << 32) | r.uid::BIGINT AS p"  # noqa: S608
            f" FROM {self._name} AS l JOIN {self._name} AS r ON {rule} AND {self._pair}"
        )
        self._con.execute(query)
        count = self._count(table)
        self._rules[rule] = (table, count)
        return count

    def drop(self, rule: str) -> None:
        """Forget a rule's pairs."""
        table, _ = self._rules.pop(rule)
        self._con.execute(f"DROP TABLE {table}")

    def merge(self, table: str) -> int:
        """Write the distinct pairs of the rules kept to ``table`` (``match_key``,
        ``join_key_l``, ``join_key_r``); return how many there are."""
        self._con.execute(
            f"CREATE OR REPLACE TABLE {table}"
            " (match_key INTEGER, join_key_l INTEGER, join_key_r INTEGER)"
        )
        if not self._rules:
            return 0
        made = sum(count for _, count in self._rules.values())
        passes = max(1, math.ceil(made / _PAIRS_PER_PASS))
        union = " UNION ALL ".join(
            f"SELECT {i} AS k, p FROM {name}"  # noqa: S608
            for i, (name, _) in enumerate(self._rules.values())
        )
        for part in range(passes):
            # Pairs of one left uid are in one pass, so each pass is distinct on its own.
            where = f"WHERE (p >> 32) % {passes} = {part}" if passes > 1 else ""
            self._con.execute(
                f"INSERT INTO {table} SELECT min(k), p >> 32, p & 4294967295"  # noqa: S608
                f" FROM ({union}) {where} GROUP BY p"
            )
        return self._count(table)

    def _count(self, table: str) -> int:
        # fetchall, not fetchone: the connection may be Splink's, which must find no
        # unfinished result on it.
        return int(self._con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # noqa: S608

    def close(self) -> None:
        """Drop the tables made here (and the connection, when it is our own)."""
        for rule in list(self._rules):
            self.drop(rule)
        if self._own_table:
            self._con.execute(f"DROP TABLE IF EXISTS {self._name}")
        if self._own:
            self._con.close()

    def __enter__(self) -> CandidatePairs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _directions(joins: Sequence[Join]) -> list[tuple[Join, ...]]:
    """The rule and, when it joins different columns, the rule with the sides swapped.

    Splink scores each pair once, with the lower id on the left, so a rule "left first surname
    = right second surname" alone would find a swapped surname only in half of the pairs.
    """
    forward = tuple(joins)
    backward = tuple((b, a) for a, b in joins)
    return [forward] if sorted(forward) == sorted(backward) else [forward, backward]


def _rule_sql(joins: Sequence[Join], compatible: bool) -> str:
    sql = " AND ".join(f"l.{a} = r.{b}" for a, b in joins)
    return f"{sql} AND {_COMPATIBLE}" if compatible else sql


def _columns_of(joins: Sequence[Join], compatible: bool) -> set[str]:
    found = {column for pair in joins for column in pair}
    return found | {"mu", "b_lo", "b_hi"} if compatible else found


def _key_pairs(features: pd.DataFrame, joins: Sequence[Join]) -> float:
    """Pairs agreeing on a rule's keys, before its compatibility filter: exact when the rule
    joins equal columns, else about half the cross pairs (those with the lower id on the left).
    An upper bound of the rule's pairs, from counts of key values, so cheap."""
    left = [a for a, _ in joins]
    right = [b for _, b in joins]
    a = features[left].dropna().value_counts(sort=False)
    if left == right:
        counts = a.to_numpy(dtype=float)
        return float((counts * (counts - 1) / 2).sum())
    b = features[right].dropna().set_axis(left, axis=1).value_counts(sort=False)
    joined = a.to_frame("a").join(b.to_frame("b"), how="inner")
    return float((joined["a"] * joined["b"]).sum() / 2)


def _rule_columns(extra_columns: Sequence[str] = ()) -> list[str]:
    """The feature columns blocking reads."""
    needed = {"uid", *extra_columns}
    for joins, compatible in [*_CORE_RULES, *_LOOSE_RULES]:
        needed |= _columns_of(joins, compatible)
    return sorted(needed)


def blocking_rules(
    features: pd.DataFrame | None = None,
    *,
    max_pairs_per_record: float = 250.0,
    min_pairs: float = 1e7,
    extra_columns: Sequence[str] = (),
    link: bool = False,
    threads: int | None = None,
    memory_limit: str | None = None,
    pairs: CandidatePairs | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[str]:
    """Candidate pairs: a record pair is scored if it meets any of these rules.

    Names are compared by phonetic key with rare one-typo variants mapped to the common key
    (``*_fx``), so letter confusions and most typos do not break a block; swapped or dropped
    surnames are covered by the cross rules. Rules on names also need compatible places and
    birth dates (same municipality when both are known, births within two years). The core
    rules are always used. Looser rules (name keys or initials with the event day or month and
    the birth year or decade, swapped or dropped names, half an identity number, a missing
    state, extra columns) are added, most useful first, while the pairs they make stay within
    ``max_pairs_per_record`` times the number of records (at least ``min_pairs``).

    Each rule's pairs are made and counted, compatibility filters included (`CandidatePairs`);
    pairs found by two rules count twice, so the budget bounds the distinct pairs Splink
    scores. A rule whose pairs before its filter are more than `_MIN_KEPT_SHARE` of the room
    left would not fit, and is not made. On 100,000 records every rule fits. On a million,
    rules on one common name key alone do not, since they grow with the square of the table
    size, while those adding an event or birth key do; the default budget keeps blocking and
    scoring a million records within a few minutes on two cores.

    Args:
        features: the feature frame of `prepare_records`; without it, only the core rules.
        max_pairs_per_record: the pair budget per record.
        min_pairs: the least budget, however few the records.
        extra_columns: further columns, each an exact-match rule after the others.
        link: count only pairs across sources (``source``), as linking scores.
        threads: DuckDB threads (None: all cores).
        memory_limit: DuckDB's memory limit, e.g. "3GB" (None: DuckDB's default).
        pairs: where to make the pairs (they stay there, ready to `CandidatePairs.merge`);
            without it, a private one is used and dropped.
        progress: called with the share of the rules considered so far.
    """
    rules = [_rule_sql(joins, compatible) for joins, compatible in _CORE_RULES]
    if features is None:
        return rules
    budget = max(min_pairs, max_pairs_per_record * len(features))
    report = progress or (lambda done: None)
    if pairs is not None:
        return _rules_within_budget(features, budget, pairs, extra_columns, report)
    columns = _rule_columns(extra_columns)
    with CandidatePairs(
        features, columns=columns, link=link, threads=threads, memory_limit=memory_limit
    ) as own:
        return _rules_within_budget(features, budget, own, extra_columns, report)


def _rules_within_budget(
    features: pd.DataFrame,
    budget: float,
    pairs: CandidatePairs,
    extra_columns: Sequence[str],
    progress: Callable[[float], None],
) -> list[str]:
    loose = list(_LOOSE_RULES) + [(((c, c),), False) for c in extra_columns]
    total = len(_CORE_RULES) + len(loose)
    used = 0
    for i, (joins, compatible) in enumerate(_CORE_RULES):
        used += pairs.add(_rule_sql(joins, compatible))
        progress((i + 1) / total)
    for i, (joins, compatible) in enumerate(loose, start=len(_CORE_RULES) + 1):
        progress(i / total)
        found: list[tuple[str, int]] = []
        for each in _directions(joins):
            room = budget - used - sum(count for _, count in found)
            if _key_pairs(features, each) * _MIN_KEPT_SHARE > room:
                break
            sql = _rule_sql(each, compatible)
            found.append((sql, pairs.add(sql)))
        else:
            spent = sum(count for _, count in found)
            if used + spent <= budget:
                used += spent
                continue
        for sql, _ in found:
            pairs.drop(sql)
    return pairs.rules


def training_rules() -> list[BlockingRuleCreator | str]:
    """Blocking rules for EM sessions; each leaves some comparisons free to be estimated."""
    return [
        block_on("nid"),
        block_on("gn1_ph", "sn1_ph", "b_lo"),
    ]

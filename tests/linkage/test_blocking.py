"""Blocking: each rule's pairs with its compatibility filters, the pair budget built on their
counts, and the distinct pairs Splink scores."""

from __future__ import annotations

import pandas as pd
import pytest

from testigo.linkage import RecordLinker
from testigo.linkage.blocking import CandidatePairs, blocking_rules

from .conftest import blocked_pairs_of, features_of, record

NAME_RULE = (
    "l.st = r.st AND l.gn1_fx = r.gn1_fx AND l.sn1_fx = r.sn1_fx"
    " AND (l.mu IS NULL OR r.mu IS NULL OR l.mu = r.mu)"
    " AND (l.b_lo IS NULL OR r.b_lo IS NULL"
    " OR (l.b_lo <= r.b_hi + 730 AND r.b_lo <= l.b_hi + 730))"
)


def _namesakes() -> pd.DataFrame:
    """Six "José Pérez" of Zulia: 15 pairs on the names, 9 of them compatible.

    Maracaibo: r0, r1 (born 1980), r2 (born 1990: too far from the others); Cabimas: r3 (no
    birth); unknown municipality: r4 (born 1981), r5 (no birth). Compatible: r0-r1, r0-r4,
    r1-r4, r3-r4, and r5 with everyone.
    """
    people = [
        ("Maracaibo", "1980-01-01"),
        ("Maracaibo", "1980-06-01"),
        ("Maracaibo", "1990-01-01"),
        ("Cabimas", ""),
        ("", "1981-01-01"),
        ("", ""),
    ]
    return features_of(
        *(
            record(given_names="José", family_names="Pérez", state="Zulia",
                   municipality=place, birth_date=born)
            for place, born in people
        )
    )  # fmt: skip


def test_a_rules_pairs_meet_the_place_and_birth_filters_exactly():
    features = _namesakes()
    with CandidatePairs(features) as pairs:
        assert pairs.add("l.st = r.st AND l.gn1_fx = r.gn1_fx") == 15
        assert pairs.add(NAME_RULE) == 4 + 5


def test_merged_pairs_are_distinct_and_keep_the_first_rule_that_found_them():
    features = _namesakes()
    with CandidatePairs(features) as pairs:
        pairs.add("l.mu = r.mu")  # r0-r1, r0-r2, r1-r2
        pairs.add(NAME_RULE)  # 9, r0-r1 among them
        pairs.add("l.b_lo IS NULL AND r.b_lo IS NULL")  # r3-r5
        assert pairs.merge("blocked") == 3 + 9 - 1
        merged = pairs._con.execute("SELECT * FROM blocked").df()
    found = {(a, b): k for k, a, b in merged.itertuples(index=False)}
    assert len(found) == len(merged)
    assert found[(0, 1)] == 0 and found[(0, 2)] == 0
    assert found[(0, 4)] == 1 and found[(3, 5)] == 1  # also met by the third rule
    assert all(a < b for a, b in found)


def test_merging_no_rules_makes_an_empty_table():
    with CandidatePairs(_namesakes()) as pairs:
        assert pairs.merge("blocked") == 0
        assert pairs._con.execute("SELECT count(*) FROM blocked").fetchall() == [(0,)]


def test_in_link_mode_only_pairs_across_sources_are_made():
    features = features_of(
        *(record(given_names="Ana", family_names="Gil", state="Lara", source=s) for s in "AABBB")
    )
    with CandidatePairs(features, link=True) as pairs:
        assert pairs.add("l.gn1_fx = r.gn1_fx") == 2 * 3
    with CandidatePairs(features) as pairs:
        assert pairs.add("l.gn1_fx = r.gn1_fx") == 10


def _scattered_namesakes(n: int) -> pd.DataFrame:
    """``n`` "José Pérez" of Zulia, each in another municipality, all on one event day."""
    return features_of(
        *(
            record(given_names="José", family_names="Pérez", state="Zulia",
                   municipality=f"Municipio {i}", event_date="2024-08-15", birth_date="1980-01-01")
            for i in range(n)
        )
    )  # fmt: skip


def test_the_budget_admits_a_rule_whose_filtered_pairs_fit():
    # 45 pairs share names, event day and birth; the place filter leaves none of them. Only
    # the birth-day rules, without a filter, make pairs: the core one on state and birth day
    # takes 45 of the 70 allowed. A rule on names and the event day would make 45 before its
    # filter, more than the 25 left, but makes none after it.
    features = _scattered_namesakes(10)
    rules = blocking_rules(features, max_pairs_per_record=7, min_pairs=0)
    assert any("l.st = r.st AND l.gn1_fx = r.gn1_fx AND l.ev_day = r.ev_day" in r for r in rules)
    assert "l.b_day = r.b_day" not in rules  # 45 unfiltered pairs


def test_the_budget_counts_what_rules_make_not_what_their_keys_allow():
    features = _scattered_namesakes(10)
    generous = blocking_rules(features, max_pairs_per_record=9.5, min_pairs=0)
    assert "l.b_day = r.b_day" in generous  # 45 + 45 = 90 <= 95: the filtered rules cost 0
    with CandidatePairs(features) as pairs:
        assert sum(pairs.add(rule) for rule in generous) == 90


def test_our_candidate_pairs_are_the_pairs_splinks_own_blocking_makes(hard_frame, gazetteer):
    with RecordLinker(hard_frame, gazetteer=gazetteer) as linker:
        ours = linker.blocked_pairs()
        rules = linker._linker._settings_obj._blocking_rules_to_generate_predictions
        # Splink's blocking on the same rules (it skips pairs an earlier rule found).
        theirs = linker._linker.inference.compute_blocked_pairs_for_predict().as_pandas_dataframe()
    assert len(rules) > 30  # on 3,000 records every rule fits
    pairs = set(zip(ours["uid_l"], ours["uid_r"], strict=True))
    assert len(pairs) == len(ours)
    assert pairs == set(zip(theirs["join_key_l"], theirs["join_key_r"], strict=True))


@pytest.mark.parametrize("typo", ["V-12.345.679", "V-19.345.678", "V-12.345.687", "V-1.245.678"])
def test_an_identity_number_with_a_typo_blocks_records_whose_names_differ(typo):
    # Another given name used and a surname dropped: no name rule pairs them; half the
    # number does (a typo leaves the first or the last four digits whole).
    a = record(given_names="Francisco", family_names="Pérez Gil", state="Zulia",
               national_id="V-12.345.678")  # fmt: skip
    b = record(given_names="Luis", family_names="Gil", state="Zulia", national_id=typo)
    c = record(given_names="Pedro", family_names="Rojas", state="Zulia", national_id="V-98.765.432")
    assert blocked_pairs_of(a, b, c) == {(0, 1)}


@pytest.mark.parametrize("order", [1, -1])
def test_a_dropped_first_given_name_is_blocked_whichever_record_comes_first(order):
    records = [
        record(given_names="Juan", family_names="Pérez", state="Zulia"),
        record(given_names="Manuel Juan", family_names="Pérez", state="Zulia"),
    ][::order]
    assert blocked_pairs_of(*records) == {(0, 1)}


def test_records_of_one_event_day_are_blocked_despite_a_garbled_surname():
    a = record(given_names="José", family_names="Pérez", state="Zulia", event_date="2024-08-15")
    b = record(given_names="José", family_names="Xqwerty", state="Zulia", event_date="2024-08-15")
    c = record(given_names="Pedro", family_names="Gil", state="Lara", event_date="2024-08-15")
    assert blocked_pairs_of(a, b, c) == {(0, 1)}


def test_cross_rules_are_used_in_both_directions():
    features = features_of(record(given_names="A", family_names="B C"))
    rules = blocking_rules(features)
    assert any("l.gn2_ph = r.gn1_fx" in rule for rule in rules)
    assert any("l.gn1_fx = r.gn2_ph" in rule for rule in rules)

"""Blocking: exact pair counts with the compatibility filters, and the pair budget built on them."""

from __future__ import annotations

import pandas as pd

from testigo.linkage.comparisons import PairCounter, blocking_rules

from .conftest import features_of, record

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


def test_the_counter_applies_the_place_and_birth_filters_exactly():
    features = _namesakes()
    with PairCounter(features) as counter:
        assert counter.count("l.st = r.st AND l.gn1_fx = r.gn1_fx") == 15
        assert counter.count(NAME_RULE) == 4 + 5


def test_the_counter_leaves_out_pairs_an_earlier_rule_found():
    features = _namesakes()
    with PairCounter(features) as counter:
        same_place = "l.mu = r.mu"  # r0-r1, r0-r2, r1-r2
        assert counter.count(NAME_RULE, excluding=[same_place]) == 9 - 1
        # Splink's left record is the lower uid: r3 is left of r4 and r5, r5 of none.
        assert counter.count("l.st = r.st", excluding=[same_place, "l.b_lo IS NULL"]) == 15 - 3 - 2


def test_in_link_mode_the_counter_counts_only_pairs_across_sources():
    features = features_of(
        *(record(given_names="Ana", family_names="Gil", state="Lara", source=s) for s in "AABBB")
    )
    with PairCounter(features, link=True) as counter:
        assert counter.count("l.gn1_fx = r.gn1_fx") == 2 * 3
    with PairCounter(features) as counter:
        assert counter.count("l.gn1_fx = r.gn1_fx") == 10


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
    with PairCounter(features) as counter:
        assert sum(counter.count(rule) for rule in generous) == 90

"""How complete can blocking be for a number of pairs? A greedy frontier over candidate rules.

For a synthetic data set with its truth, every candidate rule (the engine's core and loose
rules, both directions, plus a few not in the engine: event week or fortnight keys, municipality
with a name key alone, birth month) is made once in DuckDB: the pairs it makes (compatibility
filters included) and which true pairs it finds. Starting from the core rules, the rule adding
the most true pairs not yet found per pair made is taken, again and again, while the pairs stay
within the budget. Each step prints the pairs made so far and the pair completeness: the best
completeness these rules can reach for that many pairs (counted per rule, so pairs two rules
share count twice, as the engine's budget counts them).

    .venv/bin/python bench/linkage/blocking_frontier.py --kind hard --size 1000000 --budget 200

It reads the cached CSV of ``bench_linkage.py`` (made on first use) and takes minutes at a
million records (each rule is a self-join).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# Keys the engine does not block on, made here from its features.
_EXTRA_KEYS = {
    "ev_wk": "(ev_day // 7)::INTEGER",
    "ev_2w": "(ev_day // 14)::INTEGER",
    "b_ym": "b_y * 100 + b_m",
}


def _candidates() -> list[tuple[tuple[tuple[str, str], ...], bool]]:
    from testigo.linkage import blocking as b

    s, mu, gn, sn = ("st", "st"), ("mu", "mu"), ("gn1_fx", "gn1_fx"), ("sn1_fx", "sn1_fx")
    gi, si, wk, w2 = ("gn1_i", "gn1_i"), ("sn1_i", "sn1_i"), ("ev_wk", "ev_wk"), ("ev_2w", "ev_2w")
    bym = ("b_ym", "b_ym")
    more = [
        ((s, gn, wk), True), ((s, sn, wk), True), ((mu, gn, wk), True), ((mu, sn, wk), True),
        ((s, gn, w2), True), ((s, sn, w2), True), ((s, gi, si, wk), True), ((mu, gn), True),
        ((mu, sn), True), ((s, gi, bym), True), ((s, gn, bym), True), ((s, sn, bym), True),
        ((("nid_hd", "nid_hd"), ("nid_tl", "nid_tl")), False),
    ]  # fmt: skip
    return [*b._LOOSE_RULES, *(rule for rule in more if rule not in b._LOOSE_RULES)]


def main() -> None:
    import duckdb
    from datasets import synthetic

    from testigo.countrypacks.packfile import pack_read
    from testigo.domain.places import Gazetteer
    from testigo.linkage import blocking as b
    from testigo.linkage.prepare import prepare_records
    from testigo.linkage.schema import validate_records

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="hard", help="synthetic kind: hard or demo")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--budget", type=float, default=200.0, help="pairs per record")
    args = parser.parse_args()

    started = time.perf_counter()
    records = synthetic(args.kind, args.size)
    truth = pd.factorize(records["true_person_key"])[0]
    features = prepare_records(
        validate_records(records.drop(columns=["true_person_key"])),
        gazetteer=Gazetteer(pack_read("ve").gazetteer_places()),
    ).features.drop(columns=["record_id"])
    features["truth"] = truth
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = false")
    con.register("frame", features)
    keys = "".join(f", {sql} AS {name}" for name, sql in _EXTRA_KEYS.items())
    con.execute(f"CREATE TABLE f AS SELECT *{keys} FROM frame")
    con.execute(
        "CREATE TABLE truth AS SELECT l.uid AS a, r.uid AS b FROM f l JOIN f r"
        " ON l.truth = r.truth AND l.uid < r.uid ORDER BY a, b"
    )
    n_true = con.execute("SELECT count(*) FROM truth").fetchall()[0][0]
    print(
        f"{args.kind} {args.size:,}: {n_true:,} true pairs ({time.perf_counter() - started:.0f} s)"
    )

    rules: list[tuple[str, str]] = []
    core = [b._rule_sql(joins, compatible) for joins, compatible in b._CORE_RULES]
    for joins, compatible in [*b._CORE_RULES, *_candidates()]:
        for each in b._directions(joins):
            sql = b._rule_sql(each, compatible)
            if sql not in (r for r, _ in rules):
                label = " ".join(a if a == c else f"{a}={c}" for a, c in each)
                rules.append((sql, label + (" +compatible" if compatible else "")))
    made, finds = [], []
    for sql, label in rules:
        made.append(
            con.execute(f"SELECT count(*) FROM f l JOIN f r ON {sql} AND l.uid < r.uid").fetchall()[
                0
            ][0]
        )
        found = con.execute(
            f"SELECT coalesce(({sql}), false) FROM truth"
            " JOIN f l ON l.uid = truth.a JOIN f r ON r.uid = truth.b ORDER BY truth.a, truth.b"
        ).fetchnumpy()
        finds.append(next(iter(found.values())).astype(bool))
        print(f"  made {label}: {made[-1]:,} pairs", flush=True)

    budget = args.budget * args.size
    got = np.zeros(n_true, dtype=bool)
    used = 0
    for i, (sql, _) in enumerate(rules):
        if sql in core:
            got |= finds[i]
            used += made[i]
    print(f"core rules: {used:,} pairs, completeness {got.mean():.5f}")
    left = {i for i, (sql, _) in enumerate(rules) if sql not in core}
    while left:
        best = max(left, key=lambda i: (finds[i] & ~got).sum() / max(made[i], 1))
        left.discard(best)
        gain = int((finds[best] & ~got).sum())
        if gain == 0 or used + made[best] > budget:
            continue
        got |= finds[best]
        used += made[best]
        print(f"{used / 1e6:8.1f}M pairs  completeness {got.mean():.5f}  +{gain:6,d} from"
              f" {made[best] / 1e6:6.2f}M: {rules[best][1]}")  # fmt: skip
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

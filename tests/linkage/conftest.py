"""Fixtures for the linkage engine tests: small synthetic record sets and a level probe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import pytest

from testigo.countrypacks.packfile import pack_read
from testigo.domain.places import Gazetteer
from testigo.linkage.prepare import prepare_records
from testigo.linkage.schema import validate_records
from testigo.linkage.synthetic import demo_records, hard_records


@pytest.fixture(scope="session")
def ve_pack():
    return pack_read("ve")


@pytest.fixture(scope="session")
def gazetteer(ve_pack) -> Gazetteer:
    return Gazetteer(ve_pack.gazetteer_places())


@pytest.fixture(scope="session")
def demo_frame(ve_pack) -> pd.DataFrame:
    from testigo.demo.generator import generate

    dataset = generate(
        pack=ve_pack.manifest, gazetteer_places=ve_pack.places, n_records=3000, seed=7
    )
    return demo_records(dataset)


@pytest.fixture(scope="session")
def hard_frame(ve_pack) -> pd.DataFrame:
    return hard_records(
        pack=ve_pack.manifest, gazetteer_places=ve_pack.places, n_records=3000, seed=7
    )


def record(**fields: str) -> dict[str, str]:
    """A §6 record with blanks for the fields not given."""
    base = dict.fromkeys(
        ("given_names", "family_names", "sex", "birth_date", "national_id", "state",
         "municipality", "event_date", "age", "source"),
        "",
    )  # fmt: skip
    return {**base, **fields}


def features_of(*records: dict[str, str], gazetteer: Gazetteer | None = None) -> pd.DataFrame:
    frame = pd.DataFrame([{"record_id": f"r{i}", **r} for i, r in enumerate(records)])
    return prepare_records(validate_records(frame), gazetteer=gazetteer).features


def blocked_pairs_of(*records: dict[str, str]) -> set[tuple[int, int]]:
    """The candidate pairs (record positions) the engine makes for these records."""
    from testigo.linkage import RecordLinker

    frame = pd.DataFrame([{"record_id": f"r{i}", **r} for i, r in enumerate(records)])
    with RecordLinker(frame) as linker:
        blocked = linker.blocked_pairs()
    return set(zip(blocked["uid_l"].tolist(), blocked["uid_r"].tolist(), strict=True))


_CON = duckdb.connect()


def level_probe(comparison: Any) -> Callable[[dict[str, str], dict[str, str]], str]:
    """A function giving the label of the level two records reach in ``comparison``."""
    compiled = comparison.get_comparison("duckdb")
    labels = {cl.comparison_vector_value: cl.label_for_charts for cl in compiled.comparison_levels}
    # The CASE expression Splink runs for this comparison.
    whens = "\n".join(
        cl._when_then_comparison_vector_value_sql for cl in compiled.comparison_levels
    )
    case = f"CASE {whens} END"

    def probe(left: dict[str, str], right: dict[str, str]) -> str:
        features = features_of(left, right)
        row = {}
        for column in features.columns:
            row[f"{column}_l"] = [features[column].iloc[0]]
            row[f"{column}_r"] = [features[column].iloc[1]]
        _CON.register("pair", pd.DataFrame(row))
        gamma = _CON.execute(f"select {case} from pair").fetchall()[0][0]
        _CON.unregister("pair")
        return labels[gamma]

    return probe

"""The engine end to end on small synthetic data: accuracy, labels, model reuse, settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from testigo.linkage import (
    LinkInputError,
    LinkSettings,
    RecordLinker,
    link_records,
    pair_completeness,
    pairwise_scores,
)

FAST = LinkSettings(u_max_pairs=1e6)


@pytest.fixture(scope="module")
def demo_result(demo_frame, gazetteer):
    return link_records(demo_frame, settings=FAST, gazetteer=gazetteer)


@pytest.fixture(scope="module")
def hard_result(hard_frame, gazetteer):
    return link_records(hard_frame, settings=FAST, gazetteer=gazetteer)


def test_it_recovers_the_demo_generators_persons(demo_frame, demo_result):
    scores = pairwise_scores(demo_frame["true_person_key"], demo_result.clusters["person_id"])
    assert scores.f1 >= 0.95, scores


def test_it_recovers_persons_from_hard_noisy_records(hard_frame, hard_result):
    scores = pairwise_scores(hard_frame["true_person_key"], hard_result.clusters["person_id"])
    assert scores.f1 >= 0.95, scores


def test_blocking_keeps_nearly_every_true_pair(demo_frame, gazetteer):
    with RecordLinker(demo_frame, settings=FAST, gazetteer=gazetteer) as linker:
        blocked = linker.blocked_pairs()
    direct, chained = pair_completeness(
        blocked["uid_l"], blocked["uid_r"], demo_frame["true_person_key"]
    )
    assert direct >= 0.995
    assert chained >= 0.998


def test_clusters_have_one_row_per_record_in_input_order(demo_frame, demo_result):
    clusters = demo_result.clusters
    assert clusters["record_id"].tolist() == demo_frame["record_id"].tolist()
    assert clusters["person_id"].str.fullmatch(r"P\d{6}").all()
    assert clusters["person_id"].iloc[0] == "P000000"
    assert demo_result.n_persons == demo_result.stats["persons"]


def test_scored_pairs_explain_each_comparison(demo_result):
    pairs = demo_result.pairs
    assert {"record_id_l", "record_id_r", "match_weight", "match_probability"} <= set(pairs)
    assert {"mw_given_names", "mw_surnames", "mw_national_id", "mw_birth"} <= set(pairs)
    assert (pairs["match_probability"] >= demo_result.settings.review_threshold).all()


def test_the_review_queue_holds_uncertain_pairs_best_first(demo_result):
    review = demo_result.review
    settings = demo_result.settings
    assert not review.empty
    assert (
        review["match_probability"]
        .between(settings.review_threshold, settings.match_threshold, inclusive="left")
        .all()
    )
    assert review["priority"].is_monotonic_decreasing
    pair_of_persons = review[["person_id_l", "person_id_r"]].apply(sorted, axis=1).map(tuple)
    assert pair_of_persons.is_unique


def test_a_saved_model_links_again_without_training(demo_frame, demo_result, gazetteer):
    again = link_records(demo_frame, model=demo_result.model, gazetteer=gazetteer)
    assert "train" not in again.stats["seconds"]
    assert (again.clusters["person_id"] == demo_result.clusters["person_id"]).all()


def test_labels_split_and_join_persons(demo_frame, demo_result, gazetteer):
    clusters = demo_result.clusters
    sizes = clusters["person_id"].value_counts()
    together = clusters.loc[clusters["person_id"] == sizes.index[0], "record_id"].tolist()
    singles = sizes.index[sizes == 1][:2]
    apart = clusters.loc[clusters["person_id"].isin(singles), "record_id"].tolist()
    labels = pd.DataFrame(
        {
            "record_id_l": [together[0], apart[0]],
            "record_id_r": [together[1], apart[1]],
            "is_match": [False, True],
        }
    )
    result = link_records(demo_frame, model=demo_result.model, gazetteer=gazetteer, labels=labels)
    person = result.clusters.set_index("record_id")["person_id"]
    assert person[together[0]] != person[together[1]]
    assert person[apart[0]] == person[apart[1]]
    assert result.stats["labels"] == 2


def test_enough_labelled_matches_re_estimate_m_and_calibrate_the_threshold(
    demo_frame, demo_result, gazetteer
):
    truth = demo_frame.set_index("record_id")["true_person_key"]
    ranked = demo_result.pairs.sort_values("match_probability")
    pairs = pd.concat([ranked.head(300), ranked.tail(100)])
    labels = pd.DataFrame(
        {
            "record_id_l": pairs["record_id_l"],
            "record_id_r": pairs["record_id_r"],
            "is_match": (
                truth[pairs["record_id_l"]].to_numpy() == truth[pairs["record_id_r"]].to_numpy()
            ),
        }
    )
    assert labels["is_match"].sum() >= 30 and (~labels["is_match"]).sum() >= 10
    with RecordLinker(demo_frame, settings=FAST, gazetteer=gazetteer) as linker:
        linker.train()
        before = linker.model()
        linker.train_from_labels(labels)
        after = linker.model()
        result = linker.cluster(linker.predict())
    m_before = [
        lvl.get("m_probability") for c in before["comparisons"] for lvl in c["comparison_levels"]
    ]
    m_after = [
        lvl.get("m_probability") for c in after["comparisons"] for lvl in c["comparison_levels"]
    ]
    assert m_before != m_after
    assert result.settings.match_threshold != FAST.match_threshold


def test_labels_naming_unknown_records_are_refused(demo_frame, gazetteer):
    labels = pd.DataFrame(
        {"record_id_l": ["nope"], "record_id_r": ["R0000001"], "is_match": [True]}
    )
    with (
        RecordLinker(demo_frame.head(50), settings=FAST) as linker,
        pytest.raises(ValueError, match="not in the data"),
    ):
        linker.train_from_labels(labels)


def test_link_mode_only_joins_records_across_sources():
    frame = pd.DataFrame(
        {
            "record_id": [f"a{i}" for i in range(60)] + [f"b{i}" for i in range(60)],
            "source": ["A"] * 60 + ["B"] * 60,
            "given_names": [f"Nombre{i % 30}" for i in range(60)] * 2,
            "family_names": [f"Apellido{i}" for i in range(60)] * 2,
            "birth_date": [f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}" for i in range(60)] * 2,
            "national_id": [str(10_000_000 + 7919 * i) for i in range(60)] * 2,
        }
    )
    result = link_records(frame, settings=LinkSettings(link_type="link", u_max_pairs=1e5))
    person = result.clusters.set_index("record_id")["person_id"]
    assert all(person[f"a{i}"] == person[f"b{i}"] for i in range(60))
    assert result.n_persons == 60


def test_an_extra_column_that_is_not_in_the_data_is_an_input_error(demo_frame):
    with pytest.raises(LinkInputError, match="extra column 'postcode'"):
        RecordLinker(demo_frame.head(20), settings=LinkSettings(extra_columns=("postcode",)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "sqlite"}, "unknown linkage backend"),
        ({"link_type": "merge"}, "unknown link type"),
        ({"match_threshold": 0.2, "review_threshold": 0.5}, "review_threshold <= match"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LinkSettings(**kwargs)


def test_settings_are_read_from_the_environment_and_bad_values_raise():
    settings = LinkSettings.from_env(
        {"TESTIGO_LINKAGE_BACKEND": "Spark", "TESTIGO_LINKAGE_MATCH_THRESHOLD": "0.8",
         "TESTIGO_LINKAGE_THREADS": "2"}
    )  # fmt: skip
    assert (settings.backend, settings.match_threshold, settings.threads) == ("spark", 0.8, 2)
    with pytest.raises(ValueError, match="THREADS must be a positive integer"):
        LinkSettings.from_env({"TESTIGO_LINKAGE_THREADS": "two"})
    with pytest.raises(ValueError, match="MATCH_THRESHOLD must be a number"):
        LinkSettings.from_env({"TESTIGO_LINKAGE_MATCH_THRESHOLD": "high"})


def test_the_same_input_gives_the_same_persons(hard_frame, hard_result, gazetteer):
    again = link_records(hard_frame, settings=FAST, gazetteer=gazetteer)
    assert np.array_equal(
        again.clusters["person_id"].to_numpy(), hard_result.clusters["person_id"].to_numpy()
    )


def test_the_memory_limit_is_written_as_spark_writes_it():
    from testigo.linkage.engine import _spark_memory

    assert [_spark_memory(x) for x in ("4GB", "10 GiB", "512MB", "1.5GB")] == [
        "4g",
        "10g",
        "512m",
        "2g",
    ]


def test_duckdb_memory_is_bounded_by_default_and_settable():
    frame = pd.DataFrame([{"record_id": "a", "given_names": "Ana", "family_names": "Gil"}])

    def limit_of(linker: RecordLinker) -> str:
        return linker._con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]

    with RecordLinker(frame) as linker:
        value, unit = limit_of(linker).split()
    assert unit in ("MiB", "GiB")
    assert float(value) * (1 if unit == "MiB" else 1024) <= 3072
    with RecordLinker(frame, settings=LinkSettings(memory_limit="1GB")) as linker:
        assert limit_of(linker).startswith("953")  # 1 GB in MiB


def test_progress_goes_through_every_stage_in_order(hard_frame, gazetteer):
    seen: list[tuple[str, float]] = []
    link_records(
        hard_frame.head(400).drop(columns=["true_person_key"]),
        settings=FAST,
        gazetteer=gazetteer,
        progress=lambda stage, done: seen.append((stage, done)),
    )
    stages = list(dict.fromkeys(stage for stage, _ in seen))
    assert stages == ["prepare", "block", "train", "predict", "cluster"]
    blocking = [done for stage, done in seen if stage == "block"]
    assert blocking == sorted(blocking) and blocking[-1] == 1.0 and len(blocking) > 10

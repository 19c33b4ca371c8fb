"""The Spark backend, on a local Spark session (skipped only when Java or PySpark is missing)."""

from __future__ import annotations

import shutil

import pytest

from testigo.linkage import LinkSettings, link_records, pairwise_scores

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None, reason="the Spark backend needs a Java runtime (java not found)"
)


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed")
    from splink.backends.spark import similarity_jar_location

    session = (
        pyspark.sql.SparkSession.builder.master("local[2]")
        .appName("testigo-linkage-test")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_the_spark_backend_links_like_the_duckdb_one(spark, demo_frame, gazetteer):
    # Training runs dozens of small Spark jobs; a model trained with DuckDB keeps the test
    # short while every comparison, blocking rule and the clustering still run on Spark.
    records = demo_frame.head(400)
    trained = link_records(records, settings=LinkSettings(u_max_pairs=2e5), gazetteer=gazetteer)
    result = link_records(
        records,
        settings=LinkSettings(backend="spark"),
        model=trained.model,
        gazetteer=gazetteer,
        spark=spark,
    )
    assert result.settings.backend == "spark"
    assert len(result.clusters) == 400
    scores = pairwise_scores(records["true_person_key"], result.clusters["person_id"])
    assert scores.f1 >= 0.9, scores
    assert (result.clusters["person_id"] == trained.clusters["person_id"]).mean() > 0.97

"""Spark DataFrames scanned where they live (pyspark local mode, installed by the [spark] extra): the same
validation and the same numbers as DuckDB and as in memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import outcomes as oc

pytest.importorskip("pyspark")

COLUMNS = dict(arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"),
               retention=("exit_days", "exit_reason"), participant_id="participant_id", site="site",
               enroll_date="enroll_date", covariates=["age", "sex", "co_occurring_mh"])


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("outcomes-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def cohort():
    return oc.synthetic_cohort(n=3000, seed=9)


def _plain(cohort: oc.Cohort) -> pd.DataFrame:
    df = cohort.df[["participant_id", "arm", "site", "enroll_date", "relapse_days", "relapse_event", "exit_days",
                    "exit_reason", "age", "sex", "co_occurring_mh"]].copy()
    for col in ("participant_id", "arm", "exit_reason"):
        df[col] = df[col].astype(str)
    df["enroll_date"] = df["enroll_date"].dt.date
    return df


@pytest.fixture(scope="module")
def frames(spark, cohort, tmp_path_factory):
    path = cohort.write(tmp_path_factory.mktemp("spark") / "cohort.parquet")
    return spark.createDataFrame(_plain(cohort)), path


@pytest.mark.parametrize("kwargs", [{}, {"adjust": ["age", "sex", "co_occurring_mh"]}, {"strata": "site"}])
def test_spark_equals_duckdb_and_memory(frames, cohort, kwargs):
    sdf, path = frames
    on_spark = oc.compare_arms(oc.scan(sdf, **COLUMNS), **kwargs)
    on_duckdb = oc.compare_arms(oc.scan(path, **COLUMNS), **kwargs)
    in_memory = oc.compare_arms(cohort, **kwargs)
    for other in (on_duckdb, in_memory):
        np.testing.assert_allclose(on_spark.cox[["coef", "se"]], other.cox[["coef", "se"]], rtol=1e-10)
        assert on_spark.logrank.statistic == pytest.approx(other.logrank.statistic, rel=1e-10)


def test_spark_as_of_and_summaries(frames, cohort):
    sdf, _ = frames
    scanned = oc.scan(sdf, **COLUMNS, as_of="2026-03-31")
    view = oc.as_of(cohort, "2026-03-31")
    assert len(scanned) == len(view)
    pd.testing.assert_frame_equal(oc.compare_arms(scanned, "retention").counts, oc.compare_arms(view, "retention").counts)
    engine = oc.summarize(oc.scan(sdf, **COLUMNS), "relapse", by="site")
    pd.testing.assert_frame_equal(engine.counts, oc.summarize(cohort, "relapse", by="site").counts, check_dtype=False)


def test_spark_validation_names_the_column_and_participant(spark, cohort):
    df = _plain(cohort)
    df.loc[7, "relapse_event"] = 2
    with pytest.raises(oc.InputError, match=r"the Spark DataFrame, column 'relapse_event': value is not 0 or 1 .* "
                                            r"participant id 'SYN-000008'"):
        oc.scan(spark.createDataFrame(df), **COLUMNS)
    df = _plain(cohort)
    df.loc[9, "participant_id"] = df.loc[3, "participant_id"]
    with pytest.raises(oc.InputError, match="participant id 'SYN-000004' appears more than once"):
        oc.scan(spark.createDataFrame(df), **COLUMNS)


def test_competing_risks_on_spark_equal_duckdb_and_memory(frames, cohort):
    sdf, path = frames
    results = [oc.cumulative_incidence(source, adjust=["age", "sex"])
               for source in (oc.scan(sdf, **COLUMNS), oc.scan(path, **COLUMNS), cohort)]
    on_spark = results[0]
    for other in results[1:]:
        assert on_spark.fine_gray.value == pytest.approx(other.fine_gray.value, rel=1e-10)
        assert on_spark.gray.statistic == pytest.approx(other.gray.statistic, rel=1e-10)
        np.testing.assert_allclose(on_spark.cif.cif, other.cif.cif, rtol=1e-12)
        np.testing.assert_allclose(on_spark.cause_specific[["coef", "se"]], other.cause_specific[["coef", "se"]],
                                   rtol=1e-10)
    by_site = oc.summarize(oc.scan(sdf, **COLUMNS), "retention", by="site")
    pd.testing.assert_frame_equal(by_site.counts, oc.summarize(cohort, "retention", by="site").counts,
                                  check_dtype=False)

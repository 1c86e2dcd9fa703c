"""Scanned cohorts (DuckDB over Parquet/CSV): validated in the engine, compared from pushed-down counts,
identical to the in-memory results."""

from __future__ import annotations

import pandas as pd
import pytest

import outcomes as oc

COLUMNS = dict(arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"),
               retention=("exit_days", "exit_reason"), participant_id="participant_id", site="site",
               enroll_date="enroll_date")


@pytest.fixture(scope="module")
def cohort():
    return oc.synthetic_cohort(n=5000, seed=6)


@pytest.fixture(scope="module")
def parquet(cohort, tmp_path_factory):
    return cohort.write(tmp_path_factory.mktemp("scan") / "cohort.parquet")


@pytest.mark.parametrize("outcome", ["relapse", "retention"])
def test_scan_equals_in_memory(cohort, parquet, outcome):
    scanned = oc.scan(parquet, **COLUMNS)
    assert len(scanned) == len(cohort) and scanned.arms == cohort.arms
    a, b = oc.compare_arms(scanned, outcome), oc.compare_arms(cohort, outcome)
    assert (a.hazard_ratio.value, a.hazard_ratio.ci_lower, a.hazard_ratio.ci_upper) == pytest.approx(
        (b.hazard_ratio.value, b.hazard_ratio.ci_lower, b.hazard_ratio.ci_upper), rel=1e-9)
    assert a.logrank.statistic == pytest.approx(b.logrank.statistic, rel=1e-9)
    assert a.rmst_difference.value == pytest.approx(b.rmst_difference.value, rel=1e-9)


def test_as_of_is_pushed_down(cohort, parquet):
    scanned = oc.scan(parquet, **COLUMNS, as_of="2026-03-31")
    view = oc.as_of(cohort, "2026-03-31")
    assert len(scanned) == len(view)
    a, b = oc.compare_arms(scanned, "retention"), oc.compare_arms(view, "retention")
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert a.hazard_ratio.value == pytest.approx(b.hazard_ratio.value, rel=1e-12)


def test_summarize_by_site_in_the_engine_equals_in_memory(cohort, parquet):
    engine = oc.summarize(oc.scan(parquet, **COLUMNS), "relapse", by="site")
    memory = oc.summarize(cohort, "relapse", by="site")
    pd.testing.assert_frame_equal(engine.counts, memory.counts, check_dtype=False)


def test_csv_and_duckdb_relation_sources(cohort, tmp_path):
    import duckdb

    path = cohort.write(tmp_path / "cohort.csv")
    hr = oc.compare_arms(cohort).hazard_ratio.value
    assert oc.compare_arms(oc.scan(path, **COLUMNS)).hazard_ratio.value == pytest.approx(hr, rel=1e-12)
    connection = duckdb.connect()
    relation = connection.read_csv(str(path))
    assert oc.compare_arms(oc.scan(relation, **COLUMNS)).hazard_ratio.value == pytest.approx(hr, rel=1e-12)


def test_to_cohort_loads_the_rows(cohort, parquet):
    loaded = oc.scan(parquet, **COLUMNS).to_cohort()
    assert len(loaded) == len(cohort)
    adjusted = oc.compare_arms(loaded, adjust=["site"]).hazard_ratio.value
    assert adjusted == pytest.approx(oc.compare_arms(cohort, adjust=["site"]).hazard_ratio.value, rel=1e-9)


def _bad(tmp_path, change) -> str:
    df = pd.DataFrame({"pid": ["a", "b", "c", "d", "e"], "arm": ["x", "y", "x", "y", "x"],
                       "days": [10.0, 20, 30, 40, 50], "event": [1, 0, 1, 0, 1]})
    change(df)
    path = tmp_path / "bad.parquet"
    df.to_parquet(path)
    return str(path)


@pytest.mark.parametrize("change, message", [
    (lambda df: df.__setitem__("days", [10.0, None, 30, 40, 50]), r"column 'relapse_days' row 2: time is missing"),
    (lambda df: df.__setitem__("days", [10.0, 20, -3, 40, 50]), r"column 'relapse_days' row 3: time is negative"),
    (lambda df: df.__setitem__("event", [1, 0, 1, 2, 1]), r"column 'relapse_event' row 4: value is not 0 or 1"),
    (lambda df: df.__setitem__("pid", ["a", "b", "c", "b", "e"]), r"column 'participant_id' row 4: this participant id"),
    (lambda df: df.__setitem__("arm", ["x", "y", "z", "y", "x"]), r"found 3 arm label\(s\)"),
    (lambda df: df.__setitem__("arm", ["y"] * 5), r"found 1 arm label\(s\)"),
])
def test_validation_in_the_engine_names_the_column_and_row(tmp_path, change, message):
    with pytest.raises(oc.InputError, match=f"file 'bad.parquet', {message}" if "found" not in message else message):
        oc.scan(_bad(tmp_path, change), arm="arm", reference="x", relapse=("days", "event"), participant_id="pid")


def test_what_a_scan_cannot_do_yet_says_so(cohort, parquet, tmp_path):
    scanned = oc.scan(parquet, **COLUMNS)
    with pytest.raises(oc.InputError, match="unadjusted comparison only"):
        oc.compare_arms(scanned, adjust=["site"])
    with pytest.raises(oc.InputError, match="does not exist"):
        oc.scan(tmp_path / "nothing.parquet", **COLUMNS)
    with pytest.raises(oc.InputError, match="column 'nope' is missing"):
        oc.scan(parquet, arm="nope", reference="clinical", relapse=("relapse_days", "relapse_event"))

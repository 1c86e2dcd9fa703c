"""Scanned cohorts (DuckDB over Parquet/CSV): validated in the engine, compared from pushed-down counts,
identical to the in-memory results."""

from __future__ import annotations

import numpy as np
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
    with pytest.raises(oc.InputError, match="weighting and robust SEs need the rows"):
        oc.compare_arms(scanned, robust=True)
    with pytest.raises(oc.InputError, match="does not exist"):
        oc.scan(tmp_path / "nothing.parquet", **COLUMNS)
    with pytest.raises(oc.InputError, match="column 'nope' is missing"):
        oc.scan(parquet, arm="nope", reference="clinical", relapse=("relapse_days", "relapse_event"))


def test_adjusted_cox_of_a_scanned_cohort_equals_in_memory(cohort, tmp_path):
    adjust = ["age", "sex", "co_occurring_mh"]
    path = cohort.write(tmp_path / "c.parquet")
    scanned = oc.scan(path, **COLUMNS, covariates=adjust)
    a, b = oc.compare_arms(scanned, adjust=adjust), oc.compare_arms(cohort, adjust=adjust)
    np.testing.assert_allclose(a.cox[["coef", "se", "p_value"]], b.cox[["coef", "se", "p_value"]], rtol=1e-8,
                               atol=1e-12)
    assert a.hazard_ratio.ci_upper == pytest.approx(b.hazard_ratio.ci_upper, rel=1e-8)
    np.testing.assert_allclose(a.ph_test.statistic, b.ph_test.statistic, rtol=1e-8)
    assert (a.cox_n, a.cox_events) == (b.cox_n, b.cox_events)


def test_pattern_counts_fit_equals_the_rows_with_heavy_ties(cohort):
    # months instead of days: many tied deaths within a pattern, where Efron must count deaths, not rows
    from outcomes.model.design_matrix import design_matrix
    from outcomes.stats import fit_cox

    df = cohort.df.assign(t=np.ceil(cohort.df.relapse_days / 30) * 30)
    adjust = ["sex", "co_occurring_mh", "primary_substance"]
    rows_design = design_matrix(df, cohort.treatment, adjust)
    rows = fit_cox(rows_design.X, df.t.to_numpy(float), df.relapse_event.to_numpy(float), terms=rows_design.terms,
                   term_columns=rows_design.term_columns)
    g = df.groupby(["t", "arm", *adjust], observed=True).relapse_event.agg(["size", "sum"]).reset_index()
    assert len(g) < len(df) / 5
    design = design_matrix(g, cohort.treatment, adjust)
    counted = fit_cox(design.X, g.t.to_numpy(float), np.zeros(len(g)), terms=design.terms,
                      term_columns=design.term_columns, weights=g["size"].to_numpy(float),
                      event_counts=g["sum"].to_numpy(float))
    np.testing.assert_allclose(counted.coef, rows.coef, rtol=1e-10)
    np.testing.assert_allclose(counted.se, rows.se, rtol=1e-10)
    assert counted.loglik == pytest.approx(rows.loglik, rel=1e-12)
    assert (counted.n, counted.events) == (rows.n, rows.events)


def test_in_memory_fit_from_patterns_equals_the_row_fit(cohort, monkeypatch):
    import outcomes.analyses.compare_arms as compare

    adjust = ["age", "sex", "co_occurring_mh", "primary_substance"]
    by_rows = oc.compare_arms(cohort, adjust=adjust, strata="site")
    monkeypatch.setattr(compare, "PATTERN_FIT_ROWS", 100)  # this cohort now goes the large-data way
    monkeypatch.setattr(compare, "_few_patterns", lambda *args: True)  # whatever its patterns
    by_patterns = oc.compare_arms(cohort, adjust=adjust, strata="site")
    np.testing.assert_allclose(by_patterns.cox[["coef", "se"]], by_rows.cox[["coef", "se"]], rtol=1e-10)
    np.testing.assert_allclose(by_patterns.ph_test.statistic, by_rows.ph_test.statistic, rtol=1e-8)
    assert (by_patterns.cox_n, by_patterns.cox_events) == (by_rows.cox_n, by_rows.cox_events)


def test_patterns_are_counted_only_when_they_can_be_few():
    """The bound on (day, stratum, pattern) counts: 2 arms x days x each covariate's values, against a quarter
    of the rows."""
    from outcomes.analyses.compare_arms import _few_patterns

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"sex": rng.choice(["f", "m"], 4000), "age": rng.integers(18, 80, 4000)})
    weekly = rng.integers(1, 6, 4000).astype(float) * 7  # 5 distinct days
    assert _few_patterns(df, ("sex",), weekly, None)  # 2 x 5 x 2 = 20 patterns at most
    assert not _few_patterns(df, ("sex", "age"), weekly, None)  # 20 x 62 = 1,240 > 1,000
    assert not _few_patterns(df, ("sex",), weekly, rng.integers(0, 200, 4000))  # 200 strata
    assert not _few_patterns(df, (), rng.uniform(0, 365, 4000), None)  # every day its own


@pytest.mark.parametrize("kwargs", [{"strata": "site"}, {"strata": "site", "adjust": ["sex", "age"]}])
def test_stratified_comparisons_from_counts_equal_the_rows(cohort, parquet, kwargs):
    scanned = oc.scan(parquet, **COLUMNS, covariates=["sex", "age"])
    a, b = oc.compare_arms(scanned, **kwargs), oc.compare_arms(cohort, **kwargs)
    np.testing.assert_allclose(a.cox[["coef", "se"]], b.cox[["coef", "se"]], rtol=1e-9)
    assert a.logrank.statistic == pytest.approx(b.logrank.statistic, rel=1e-10)
    assert a.logrank.strata == b.logrank.strata == "site"
    table = oc.summarize(cohort, "relapse", by="site")
    c = oc.compare_arms(table, strata="site")
    d = oc.compare_arms(cohort, strata="site")
    assert c.hazard_ratio.value == pytest.approx(d.hazard_ratio.value, rel=1e-10)
    assert c.logrank.statistic == pytest.approx(d.logrank.statistic, rel=1e-10)

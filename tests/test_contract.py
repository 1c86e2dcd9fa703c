"""The contract, swept over shapes rather than examples: for any valid cohort of 1-300 participants every
public analysis returns finite numbers or raises InputError/NotEstimableError, and the quarterly report
always completes with no nan, inf, scientific notation or small count in it."""

from __future__ import annotations

import re
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import outcomes as oc
from outcomes.present.quarter import compute_quarter

from .conftest import REPO
from .contract import bad_text, nonfinite, run_checked
from .shapes import Shape, analyses, cohort_of

TRACKER = REPO / "data" / "example_extract" / "tracker_export.csv"

shapes = st.builds(
    Shape,
    n=st.integers(2, 300),
    treated_share=st.floats(0.0, 1.0),
    relapse_rate=st.floats(0.0, 1.0),
    dropout_rate=st.floats(0.0, 1.0),
    sites=st.integers(1, 3),
    covariates=st.sampled_from(["normal", "constant", "blank", "sparse"]),
    ties=st.booleans(),
    seed=st.integers(0, 2**31),
)
SWEEP = settings(max_examples=25, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SWEEP
@given(shapes)
def test_every_analysis_keeps_the_contract(shape):
    cohort = cohort_of(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oc.OutcomesWarning)
        outcomes = [run_checked(what, fn, nonfinite if what != "as_of" else lambda r: [])
                    for what, fn in analyses(cohort).items()]
    crashes = [o for o in outcomes if o.status == "crash"]
    assert not crashes, crashes


def _count_cells(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Every shown count in the report's count columns."""
    columns = ("Enrolled this quarter", "Enrolled to date", "Due", "Reached", "Participants")
    return [str(v) for t in tables.values() for c in columns if c in t for v in t[c]]


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(shapes)
def test_the_quarterly_report_always_completes(shape):
    cohort = cohort_of(shape)
    results = compute_quarter(cohort, "2026Q3", bootstrap=50)
    from outcomes.outputs.report import quarterly_document, render_html

    html = render_html(quarterly_document(results))
    text = re.sub(r'src="data:image/png;base64,[^"]+"', "", html)
    assert not bad_text([text])
    for value in _count_cells(results.tables):
        digits = value.replace(",", "")
        assert not digits.isdigit() or int(digits) == 0 or int(digits) > 10, value
    assert results.summary and all(s.strip() for s in results.summary)


def test_a_report_for_a_quarter_before_anyone_enrolled_says_so():
    cohort = cohort_of(Shape(40, 0.5, 0.3, 0.3, 1, "normal", False, 1))
    with pytest.raises(oc.InputError, match="nobody was enrolled by the end of 2022Q1"):
        compute_quarter(cohort, "2022Q1")


def test_the_checker_catches_what_the_contract_forbids():
    estimate = oc.Estimate(measure="risk ratio", value=float("nan"), ci_lower=0.1, ci_upper=2.0, p_value=0.5, se=0.3)
    assert nonfinite(estimate) == ["result.value"]
    assert run_checked("boom", lambda: np.linalg.inv(np.zeros((2, 2)))).status == "crash"
    assert run_checked("fine", lambda: oc.Estimate(measure="x", value=1.0, ci_lower=0.5, ci_upper=2.0,
                                                   p_value=0.2, se=0.1)).status == "ok"
    assert bad_text(["rate nan", "5.95e+08 participants", "2e+03", "HR 0.65"]) == ["nan", "5.95e+08", "2e+03"]


def _with_exposure(cohort: oc.Cohort, pattern: str, seed: int) -> oc.Cohort:
    """The cohort's peer arm as 'ever exposed', with start days of the given pattern (the arm follows them)."""
    df = cohort.df.copy()
    rng = np.random.default_rng(seed)
    follow = df.followup_days.to_numpy(float)
    start = {
        "random": np.where(df.arm == "peer_clinical", np.floor(rng.random(len(df)) * follow), np.nan),
        "none": np.full(len(df), np.nan),
        "everyone at day 0": np.zeros(len(df)),
        "one": np.r_[[0.0], np.full(len(df) - 1, np.nan)],
        "on the event day": np.where(df.relapse_event == 1, df.relapse_days, np.nan),
        "at the last contact": follow,
    }[pattern]
    df["exposure_start_days"] = start
    df["arm"] = np.where(np.isnan(start), "clinical", "peer_clinical")
    return oc.Cohort(df, reference="clinical", arms=("clinical", "peer_clinical"), as_of=cohort.as_of,
                     covariates=cohort.covariates)


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(shapes, st.sampled_from(["random", "none", "everyone at day 0", "one", "on the event day",
                                "at the last contact"]))
def test_compare_exposure_keeps_the_contract(shape, pattern):
    cohort = _with_exposure(cohort_of(shape), pattern, shape.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oc.OutcomesWarning)
        outcome = run_checked("compare_exposure",
                              lambda: oc.compare_exposure(cohort, adjust=["age"], bootstrap=50, seed=1))
        in_memory = run_checked("compare_time_varying", lambda: oc.compare_time_varying(cohort, adjust=["age"]))
        in_engine = run_checked("compare_time_varying (scanned)", lambda: oc.compare_time_varying(
            oc.scan(duckdb.from_df(cohort.df), arm="arm", reference="clinical",
                    relapse=("relapse_days", "relapse_event"), covariates=["age"],
                    exposure_start="exposure_start_days"), adjust=["age"]))
    assert outcome.status != "crash", outcome
    assert in_memory.status != "crash", in_memory
    assert in_engine.status != "crash", in_engine


def test_ingestion_count_table_scan_mapping_and_argument_families_keep_the_contract(tmp_path):
    from .contract_families import ingestion_cases

    base = oc.synthetic_cohort(n=120, seed=1)
    outcomes = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, call in ingestion_cases(tmp_path, base):
            outcomes.append(run_checked(name, call))
    crashes = [o for o in outcomes if o.status == "crash"]
    assert not crashes, crashes
    assert len(outcomes) >= 70
    refused = {o.what: o.detail for o in outcomes if o.status == "input"}
    assert "row 2: counts must be whole numbers" in refused["count table: 'many' as a count"]
    assert refused["hazard_ratio_from_risks(0.5, 1.0)"].startswith("the reference risk must be strictly between 0")
    assert refused["mapping: columns as a list"].startswith("mapping: [columns] must be a table")


_CELLS = st.sampled_from(["", " ", "n/a", "NULL", "13/45/2026", "2026-02-30", "02/30/2026", "0", "-5", "999",
                          "1e300", "Peer Mentor", "Standard", "AMA", "Completed", "ü→∑", "=SUM(A1)", "01/01/1899",
                          "12/31/2299", "2026-07-01T10:00:00+02:00", "45123", "True"])


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 59), st.integers(0, 8), _CELLS), max_size=25),
       st.sets(st.integers(0, 8), max_size=3), st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_a_mangled_export_keeps_the_contract_through_map_validate_and_read(tmp_path, edits, dropped, suffix):
    """The bundled tracker with cells overwritten by odd values, columns removed, in each file type."""
    export = pd.read_csv(TRACKER, dtype=str, keep_default_na=False)
    for row, column, value in edits:
        export.iat[row, column] = value
    export = export.drop(columns=[export.columns[c] for c in dropped])
    path = tmp_path / f"mangled{suffix}"
    {".csv": lambda: export.to_csv(path, index=False), ".xlsx": lambda: export.to_excel(path, index=False),
     ".parquet": lambda: export.to_parquet(path)}[suffix]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        drafted = run_checked("draft_mapping", lambda: oc.draft_mapping(path))
        assert drafted.status != "crash", drafted
        mapping = oc.draft_mapping(path).text() if drafted.status == "ok" else None
        if mapping is not None:
            (tmp_path / "m.toml").write_text(mapping)
        for what, call in [("validate", lambda: oc.validate_extract(path, mapping and tmp_path / "m.toml")),
                           ("read", lambda: oc.read_extract(path, mapping and tmp_path / "m.toml",
                                                            on_error="exclude")),
                           ("quarter", lambda: compute_quarter(
                               oc.read_extract(path, mapping and tmp_path / "m.toml", on_error="exclude"),
                               "2026Q2", bootstrap=50, allow_exclusions=True))]:
            outcome = run_checked(what, call, check=lambda r: [])
            assert outcome.status != "crash", outcome


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(shapes, st.sampled_from(["random", "none", "everyone many", "all on one day", "at day 0", "one person"]))
def test_compare_recurrent_keeps_the_contract(shape, pattern):
    cohort = cohort_of(shape)
    df = cohort.df
    if "followup_days" not in df:
        df = df.assign(followup_days=df.relapse_days)
        cohort = oc.Cohort(df, reference=cohort.reference, arms=cohort.arms, covariates=cohort.covariates)
    rng = np.random.default_rng(shape.seed)
    ids, follow = df.participant_id.astype(str).to_numpy(), df.followup_days.to_numpy(float)
    ok = follow >= 1
    events = {
        "random": lambda: pd.DataFrame({"participant_id": ids[ok], "day": np.ceil(rng.random(ok.sum()) * follow[ok])}),
        "none": lambda: pd.DataFrame({"participant_id": pd.Series([], dtype=str), "day": pd.Series([], dtype=float)}),
        "everyone many": lambda: pd.DataFrame({"participant_id": np.repeat(ids[ok], 5),
                                               "day": np.concatenate([np.ceil(follow[ok] * f) for f in
                                                                      (0.2, 0.4, 0.6, 0.8, 1.0)])}),
        "all on one day": lambda: pd.DataFrame({"participant_id": ids[follow >= 1], "day": 1.0}),
        "at day 0": lambda: pd.DataFrame({"participant_id": ids[:1], "day": [0.0]}),
        "one person": lambda: pd.DataFrame({"participant_id": ids[ok][:1], "day": np.ceil(follow[ok][:1])}),
    }[pattern]()
    events = events.drop_duplicates()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oc.OutcomesWarning)
        for method in ("andersen_gill", "pwp_gap"):
            outcome = run_checked(f"compare_recurrent {method}",
                                  lambda m=method: oc.compare_recurrent(cohort, events, method=m, adjust=["age"]))
            assert outcome.status != "crash", outcome
            if outcome.status == "ok":
                result = oc.compare_recurrent(cohort, events, method=method, adjust=["age"])
                assert not bad_text([result.to_markdown(), oc.narrate(result)])


def _missingness(cohort: oc.Cohort, pattern: str, seed: int) -> oc.Cohort:
    """The cohort with age (and sex) blanked in the given shape."""
    df = cohort.df.copy()
    rng = np.random.default_rng(seed)
    n = len(df)
    if pattern == "a covariate all blank":
        df["age"] = np.nan
    elif pattern == "one observed value":
        df.loc[df.index[1:], "age"] = np.nan
    elif pattern == "blanks only in one arm":
        df.loc[(df.arm == "peer_clinical").to_numpy() & (rng.random(n) < 0.5), "age"] = np.nan
    else:  # "random, two covariates"
        df.loc[rng.random(n) < 0.3, "age"] = np.nan
        df.loc[rng.random(n) < 0.3, "sex"] = None
    return oc.Cohort(df, reference="clinical", as_of=cohort.as_of, covariates=cohort.covariates)


@settings(max_examples=16, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(shapes, st.sampled_from(["a covariate all blank", "one observed value", "blanks only in one arm",
                                "random, two covariates"]), st.sampled_from([1, 2, 3]))
def test_imputation_keeps_the_contract(shape, pattern, m):
    """Multiple imputation and every analysis that pools it, over missingness shapes and m = 1 (refused)."""
    cohort = _missingness(cohort_of(shape), pattern, shape.seed)
    adjust = ["age", "sex", "co_occurring_mh"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oc.OutcomesWarning)
        made = run_checked("impute", lambda: oc.impute(cohort, m=m, seed=1, iterations=2), check=lambda r: [])
        assert made.status != "crash", made
        if m == 1:
            assert made.status == "input" and "m must be a whole number >= 2" in made.detail
        if made.status != "ok":
            return
        imputed = oc.impute(cohort, m=m, seed=1, iterations=2)
        calls = {"adjusted": lambda: oc.compare_arms(imputed, adjust=adjust),
                 "IPTW": lambda: oc.compare_arms(imputed, adjust=adjust, weights="iptw", bootstrap=50),
                 "competing": lambda: oc.cumulative_incidence(imputed, adjust=adjust),
                 "secondary": lambda: oc.compare_secondary(imputed, "ed_visits_12m", adjust=adjust),
                 "quarter": lambda: compute_quarter(cohort, "2026Q3", bootstrap=50, imputations=m)}
        outcomes = [run_checked(what, call, nonfinite if what != "quarter" else lambda r: []) for what, call in
                    calls.items()]
    crashes = [o for o in outcomes if o.status == "crash"]
    assert not crashes, crashes
    assert outcomes[-1].status == "ok", outcomes[-1]  # the report always completes


def _interviews_of(cohort: oc.Cohort, pattern: str, seed: int) -> pd.DataFrame:
    """Interviews of the given shape, each held by the cohort's as-of date."""
    df = cohort.df
    rng = np.random.default_rng(seed)
    ids = df.participant_id.astype(str).to_numpy()
    today = (pd.Timestamp(cohort.as_of) - df.enroll_date).dt.days.to_numpy()
    day = np.minimum(rng.integers(0, 400, len(df)), today)
    shapes = {
        "no interviews": lambda: pd.DataFrame(columns=["participant_id", "point", "day"]),
        "only baselines": lambda: pd.DataFrame({"participant_id": ids, "point": "baseline",
                                                "day": np.minimum(5, today), "housing_stable": 1}),
        "all refusals": lambda: pd.DataFrame({"participant_id": ids, "point": "baseline", "day": 0,
                                              "status": "refused"}),
        "unknown participants": lambda: pd.DataFrame({"participant_id": ["nobody"], "point": ["baseline"],
                                                      "day": [1]}),
        "random": lambda: pd.concat([pd.DataFrame({"participant_id": ids, "point": "baseline", "day": 0,
                                                   "housing_stable": rng.integers(0, 2, len(df))}),
                                     pd.DataFrame({"participant_id": ids, "point": rng.choice(
                                         ["reassessment", "annual", "closeout"], len(df)), "day": day,
                                         "housing_stable": rng.integers(0, 2, len(df)),
                                         "alcohol_days_30": rng.choice([0, 3, -7], len(df)), "drug_days_30": 0})]),
    }
    return shapes[pattern]()


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(shapes, st.sampled_from(["no interviews", "only baselines", "all refusals", "unknown participants", "random"]))
def test_interview_analyses_keep_the_contract(shape, pattern):
    cohort = cohort_of(shape)
    interviews = _interviews_of(cohort, pattern, shape.seed)
    outcomes = [run_checked("schedule", lambda: oc.interview_schedule(cohort, interviews), check=lambda r: []),
                run_checked("follow_up", lambda: oc.follow_up(cohort, interviews)),
                run_checked("change", lambda: oc.change_from_intake(cohort, interviews))]
    crashes = [o for o in outcomes if o.status == "crash"]
    assert not crashes, crashes
    if pattern == "unknown participants":
        assert outcomes[0].status == "input" and "'nobody' is not a participant" in outcomes[0].detail

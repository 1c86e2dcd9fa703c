"""Each defect a new user met with a small, sparse or messy program, as a test of what happens now."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.core import formatting as fmt
from outcomes.core.disclosure import share, suppress_table
from outcomes.outputs.cli import main
from outcomes.present import tables as t

from .conftest import REPO


def test_report_and_figures_complete_on_a_cohort_of_80(tmp_path, capsys):
    path = oc.synthetic_cohort(n=80, seed=2).write(tmp_path / "cohort.csv")  # crashed in the IPTW bootstrap
    assert main(["report", "--data", str(path), "--quarter", "2026Q3", "--out", str(tmp_path / "r")]) == 0
    assert main(["figures", "--data", str(path), "--out", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out
    drawn = pd.read_csv(tmp_path / "f" / "figures.csv")
    skipped = pd.read_csv(tmp_path / "f" / "not_drawn.csv")
    assert "km_relapse" in set(drawn.figure)
    assert "enrollment_by_quarter" in set(drawn.figure) | set(skipped.figure)  # drawn, or said why not
    assert (tmp_path / "f" / "not_drawn.csv").exists()


@pytest.mark.parametrize("n", [25, 50, 80])
def test_grant_figures_on_the_bundled_cohort_cut_small(tmp_path, n):
    full = oc.Cohort.read(REPO / "data" / "synthetic" / "cohort.csv")
    df = full.df.sample(n=n, random_state=n).reset_index(drop=True)
    cohort = oc.Cohort(df, reference="clinical", as_of=full.as_of, covariates=full.covariates)
    folder = oc.report.grant_figures(cohort, out=tmp_path, bootstrap=50)
    drawn, skipped = pd.read_csv(folder / "figures.csv"), pd.read_csv(folder / "not_drawn.csv")
    assert len(drawn) > 0 and "enrollment_by_quarter" in set(drawn.figure) | set(skipped.figure)
    assert skipped.reason.str.len().gt(10).all()  # every figure left out says why


def test_extract_subsamples_go_straight_to_a_report(tmp_path):
    raw = pd.read_csv(REPO / "data" / "example_extract" / "program_extract.csv", dtype=str, keep_default_na=False)
    for n in (20, 80):
        path = tmp_path / f"extract_{n}.csv"
        raw.sample(n=n, random_state=n).to_csv(path, index=False)
        args = ["--data", str(path), "--mapping", str(REPO / "data" / "example_extract" / "mapping.toml")]
        assert main(["report", *args, "--quarter", "2026Q2", "--format", "html", "--out", str(tmp_path / f"r{n}")]) == 0
        assert main(["figures", *args, "--out", str(tmp_path / f"f{n}")]) == 0


def test_validate_writes_the_cohort_it_would_use(tmp_path, capsys):
    extract = REPO / "data" / "example_extract" / "program_extract.csv"
    mapping = REPO / "data" / "example_extract" / "mapping.toml"
    assert main(["validate", str(extract), "--mapping", str(mapping), "--as-of", "2026-06-30",
                 "--cohort-out", str(tmp_path / "cohort.parquet")]) == 0
    cohort = oc.Cohort.read(tmp_path / "cohort.parquet")
    direct = oc.read_extract(extract, mapping=mapping, as_of="2026-06-30", on_error="exclude")
    assert len(cohort) == len(direct) and cohort.arms == direct.arms
    assert "wrote" in capsys.readouterr().out


def test_a_negative_binomial_without_overdispersion_falls_back_to_robust_poisson():
    # rare admissions at n=300 returned a NaN rate ratio before
    res = oc.compare_secondary(oc.synthetic_cohort(n=300, seed=0), "mh_admissions_12m")
    assert np.isfinite([res.estimate.value, res.estimate.ci_lower, res.estimate.ci_upper]).all()
    if "alpha (overdispersion)" not in set(res.model.term):
        assert any("robust (sandwich)" in n for n in res.notes())


def _frame(n: int, **columns) -> oc.Cohort:
    rng = np.random.default_rng(n)
    df = pd.DataFrame({"participant_id": [str(i) for i in range(n)], "arm": ["a", "b"] * (n // 2),
                       "relapse_days": rng.integers(1, 300, n).astype(float), "relapse_event": [1, 1, 0, 0] * (n // 4),
                       **columns})
    return oc.Cohort(df, reference="a", covariates=[c for c in columns])


def test_an_all_zero_count_outcome_is_not_estimable():
    cohort = oc.synthetic_cohort(n=200, seed=1)
    df = cohort.df.copy()
    df["ed_visits_12m"] = 0.0
    zero = oc.Cohort(df, reference="clinical", as_of=cohort.as_of)
    with pytest.raises(oc.NotEstimableError, match="no emergency-department visits in the first 12 months at all"):
        oc.compare_secondary(zero, "ed_visits_12m")


def test_separation_in_a_tiny_cohort_is_not_estimable_instead_of_a_risk_ratio_of_5e8():
    df = pd.DataFrame({"participant_id": list("abcde"), "arm": ["c", "c", "t", "t", "t"],
                       "relapse_days": [10.0, 20, 30, 40, 50], "relapse_event": [1, 0, 1, 0, 1],
                       "aftercare_engaged": [0.0, 0, 1, 1, 1]})
    with pytest.raises(oc.NotEstimableError, match="nobody in arm 'c' has aftercare engagement"):
        oc.compare_secondary(oc.Cohort(df, reference="c"), "aftercare_engaged")


def test_an_infinite_covariate_is_refused_at_construction():
    with pytest.raises(oc.InputError, match=r"column 'age' row 3: value inf is infinite"):
        _frame(8, age=[30.0, 40, np.inf, 25, 33, 51, 44, 38])


def test_a_blank_covariate_is_not_estimable_when_used():
    cohort = _frame(40, age=[np.nan] * 40)  # a column left blank in the case-management export
    with pytest.raises(oc.NotEstimableError, match="covariate 'age' is blank for everyone"):
        oc.compare_arms(cohort, adjust="age")


def test_adjust_and_strata_take_a_name_or_a_list():
    cohort = _frame(60, age=np.arange(60.0), site=["x", "y", "z"] * 20)
    assert oc.compare_arms(cohort, adjust="age").adjust == ("age",)  # not 'a', 'g', 'e'
    assert oc.compare_arms(cohort, strata=["site"]).logrank.strata == "site"


def test_arm_labels_that_differ_by_case_or_spaces_are_refused():
    df = pd.DataFrame({"participant_id": list("abcd"), "arm": ["ctl", "CTL ", "trt", "trt"],
                       "relapse_days": [1.0, 2, 3, 4], "relapse_event": [1, 0, 1, 0]})
    with pytest.raises(oc.InputError, match=r"arm labels 'CTL ' and 'ctl' differ only by case or spaces"):
        oc.Cohort(df, reference="ctl")


def test_empty_and_header_only_files_are_input_errors(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("participant_id,arm,relapse_days,relapse_event\n")
    for name in ("empty.csv", "header.csv"):
        with pytest.raises(oc.InputError, match=f"file '{name}'"):
            oc.read_extract(tmp_path / name)
        with pytest.raises(oc.InputError, match=f"file '{name}'"):
            oc.Cohort.read(tmp_path / name)


@pytest.mark.parametrize("call, message", [
    (lambda: oc.power.power(hazard_ratio=0.65, n=300, alpha=1.5), "alpha must be between 0 and 1"),
    (lambda: oc.power.power(hazard_ratio=0, n=300), "hazard_ratio must be positive"),
    (lambda: oc.power.power(hazard_ratio=0.65, n=-3), "n must be a whole number"),
    (lambda: oc.power.events_needed(1.0), "not 1"),
    (lambda: oc.power.sample_size(0.65, allocation=1.2), "allocation"),
    (lambda: oc.power.minimum_detectable_hr(n=300, power=1.0), "power must be between 0 and 1"),
])
def test_power_functions_validate_every_argument(call, message):
    with pytest.raises(oc.InputError, match=message):
        call()


def test_a_quarter_before_any_enrollment_says_so_in_one_line(tmp_path, capsys):
    path = oc.synthetic_cohort(n=60, seed=1).write(tmp_path / "c.csv")
    assert main(["report", "--data", str(path), "--quarter", "2020Q1", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "nobody was enrolled by the end of 2020Q1" in err and err.count("\n") == 1


def test_follow_up_shows_a_band_instead_of_the_wrong_cell():
    # 105 of 109 reached: the 4 not reached must stay hidden, and the share is shown as a band
    assert share(105, 109) == "> 89%"
    assert share(54, 109) == "50%" and share(3, 109) == "< 11%"
    view = _follow_up_view(due=109, reached=105)
    row = t.follow_up_table(view).iloc[0]
    assert (row["Due"], row["Reached"], row["Reached (%)"], row["Meets the 80% target"]) == \
        ("109", "not shown", "> 89%", "yes")


def _follow_up_view(due: int, reached: int) -> oc.Cohort:
    n = due + 40
    as_of = pd.Timestamp("2026-09-30")
    enrolled_days = np.r_[np.full(due, 400), np.full(40, 30)]
    follow = np.r_[np.full(reached, 380), np.full(due - reached, 100), np.full(40, 30)].astype(float)
    df = pd.DataFrame({"participant_id": [str(i) for i in range(n)], "arm": "clinical",
                       "enroll_date": as_of - pd.to_timedelta(enrolled_days, unit="D"), "followup_days": follow,
                       "relapse_days": follow, "relapse_event": 0})
    df.loc[n - 20:, "arm"] = "peer_clinical"
    return oc.Cohort(df, reference="clinical", as_of=as_of.date())


def test_a_change_of_1_to_10_between_quarters_is_not_derivable():
    table = t.change_table({"Participants enrolled to date": 40.0}, {"Participants enrolled to date": 31.0})
    # 31 is hidden because 40 - 31 = 9; it is not small, so it is not called "<11" (issue 23: that was false)
    assert table.iloc[0][["This quarter", "Previous quarter"]].tolist() == ["40", "suppressed"]


def test_a_count_of_1_in_data_quality_is_suppressed():
    cohort = _frame(40, age=[np.nan] + list(range(39)))
    table = t.data_quality_table(cohort).set_index("Check")
    assert table.loc["Missing values: age", "Value"] == "<11"


def test_numbers_for_people_never_use_e_notation_nan_or_inf():
    assert fmt.number(5.95e8, 2) == "595,000,000.00" and fmt.count(2000.0) == "2,000"
    assert fmt.p_value(3.5e-135) == "< 0.001"
    assert fmt.ratio(float("nan")) == "not estimable" and fmt.interval(0.1, float("inf")) == "not estimable"
    assert fmt.number(-0.0001, 2) == "0.00"


def test_suppression_with_differences_and_totals():
    frame = pd.DataFrame({"now": [40, 3], "to_date": [45, 60], "total": [85, 63]})
    shown = suppress_table(frame, ["now", "to_date"], differences=[("to_date", "now")])
    assert shown["now"].tolist() == ["suppressed", "<11"] and shown["to_date"].tolist() == ["45", "60"]


def test_iptw_bootstrap_failures_are_counted_not_fatal():
    cohort = oc.synthetic_cohort(n=300, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oc.StatisticalWarning)
        res = oc.compare_arms(cohort, adjust=["primary_substance", "site"], weights="iptw", bootstrap=60, seed=1)
    assert res.bootstrap + res.bootstrap_failed == 60
    assert np.isfinite([res.hazard_ratio.value, res.rmst_difference.ci_lower]).all()


def test_reconcile_never_gives_a_verdict_on_an_undefined_ratio():
    from .contract import nonfinite
    from .shapes import Shape, cohort_of

    # found by benchmarks/sweep_contract.py: one clinical participant, no relapse by 12 months, risk ratio 1/0
    cohort = cohort_of(Shape(n=33, treated_share=0.98, relapse_rate=1.0, dropout_rate=0.0, sites=2,
                             covariates="constant", ties=True, seed=14))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oc.OutcomesWarning)
        rec = oc.reconcile(cohort)
    assert nonfinite(rec) == []
    row = rec.rows.set_index("claim_id").loc["I003-relapse-35-summary"]
    assert row.verdict.startswith("not estimable: a risk of 0 or 1 in an arm")

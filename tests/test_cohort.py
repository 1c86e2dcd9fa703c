"""The Cohort boundary: every schema violation is an InputError naming column, row and fix."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import outcomes as oc


def canonical(**changes) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "participant_id": ["p1", "p2", "p3", "p4"],
            "arm": ["clinical", "clinical", "peer_clinical", "peer_clinical"],
            "relapse_days": [30.0, 365.0, 200.0, 365.0],
            "relapse_event": [1, 0, 1, 0],
            "exit_days": [20.0, 180.0, 180.0, 90.0],
            "exit_reason": ["dropout", "completed", "completed", "in_treatment"],
            "age": [30, 40, 50, 60],
        }
    )
    for column, (row, value) in changes.items():
        df[column] = df[column].astype(object)
        df.loc[row, column] = value
    return df


@pytest.mark.parametrize(
    "column, row, value, expected",
    [
        ("relapse_event", 2, 2, r"column 'relapse_event' row 3: value 2 is not 0 or 1 .*recode the column to 0/1"),
        ("relapse_event", 1, "yes", r"column 'relapse_event' row 2: value 'yes' is not a number"),
        ("relapse_event", 0, np.nan, r"column 'relapse_event' row 1: value is missing"),
        ("relapse_days", 3, -4.0, r"column 'relapse_days' row 4: time -4.0 is negative or infinite.*must be >= 0"),
        ("relapse_days", 1, np.nan, r"column 'relapse_days' row 2: time is missing"),
        ("relapse_days", 1, np.inf, r"column 'relapse_days' row 2: time inf is negative or infinite"),
        ("exit_days", 0, "ten", r"column 'exit_days' row 1: value 'ten' is not a number"),
        ("exit_reason", 2, "graduated", r"column 'exit_reason' row 3: value 'graduated' is not one of \['dropout'"),
        ("participant_id", 3, "p1", r"column 'participant_id' row 4: participant id 'p1' repeats row 1; ids must be unique"),
        ("participant_id", 0, None, r"column 'participant_id' row 1: the participant id is empty"),
        ("participant_id", 2, "", r"column 'participant_id' row 3: the participant id is empty"),
        ("arm", 1, None, r"column 'arm' row 2: arm is missing"),
        ("arm", 1, "aftercare_only", r"column 'arm': found 3 arm label\(s\).*exactly two arms"),
    ],
)
def test_schema_violation_names_column_row_and_fix(column, row, value, expected):
    with pytest.raises(oc.InputError, match=expected):
        oc.Cohort(canonical(**{column: (row, value)}), reference="clinical")


def test_input_error_is_a_value_error():
    assert issubclass(oc.InputError, ValueError) and issubclass(oc.InputError, oc.OutcomesError)


def test_one_arm_only_and_unknown_reference_are_refused():
    df = canonical()
    df["arm"] = "clinical"
    with pytest.raises(oc.InputError, match=r"found 1 arm label\(s\) \['clinical'\]"):
        oc.Cohort(df, reference="clinical")
    with pytest.raises(oc.InputError, match=r"reference arm 'control' is not one of the arms"):
        oc.Cohort(canonical(), reference="control")


def test_missing_columns_and_missing_outcomes_are_refused():
    with pytest.raises(oc.InputError, match=r"required column 'arm' is missing"):
        oc.Cohort(canonical().drop(columns="arm"), reference="clinical")
    with pytest.raises(oc.InputError, match=r"relapse outcome column 'relapse_event' is missing"):
        oc.Cohort(canonical().drop(columns="relapse_event"), reference="clinical")
    with pytest.raises(oc.InputError, match=r"no outcome columns"):
        oc.Cohort(canonical()[["participant_id", "arm"]], reference="clinical")
    with pytest.raises(oc.InputError, match=r"covariate column 'bmi' is missing"):
        oc.Cohort(canonical(), reference="clinical", covariates=["bmi"])


def test_enrollment_after_as_of_is_refused():
    df = canonical()
    df["enroll_date"] = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-10-02"])
    with pytest.raises(oc.InputError, match=r"column 'enroll_date' row 4: enrollment 2026-10-02 is after the as-of date"):
        oc.Cohort(df, reference="clinical", as_of="2026-09-30")


def test_bad_dates_name_the_row():
    df = canonical()
    df["enroll_date"] = ["2026-01-01", "2026-02-30", "2026-03-01", "2026-04-01"]
    with pytest.raises(oc.InputError, match=r"column 'enroll_date' row 2: '2026-02-30' is not a date \(expected YYYY-MM-DD\)"):
        oc.Cohort(df, reference="clinical")


def test_nothing_is_coerced_silently_and_input_is_not_modified():
    df = canonical()
    before = df.copy()
    cohort = oc.Cohort(df, reference="clinical")
    pd.testing.assert_frame_equal(df, before)
    assert cohort.df["relapse_event"].tolist() == [1, 0, 1, 0]
    # whole-number floats are accepted as 0/1, but text never becomes a number
    df2 = canonical()
    df2["relapse_event"] = ["1", "0", "1", "0"]
    with pytest.raises(oc.InputError, match="is not a number"):
        oc.Cohort(df2, reference="clinical")


def test_from_frame_accepts_any_names_and_labels():
    raw = pd.DataFrame(
        {
            "Weeks to re-arrest": [20, 52, 30, 52, 11],
            "Arrested?": [1, 0, 1, 0, 1],
            "Financial aid": ["no", "no", "yes", "yes", "yes"],
            "Prior convictions": [3, 1, 0, 2, 5],
            "Days in program": [10, 50, 60, 70, 5],
            "Left program": [1, 0, 0, 1, 1],
        }
    )
    cohort = oc.Cohort.from_frame(
        raw, arm="Financial aid", reference="no", relapse=("Weeks to re-arrest", "Arrested?"),
        retention=("Days in program", "Left program"), covariates=["Prior convictions"],
    )
    assert cohort.arms == ("no", "yes")
    assert cohort.covariates == ("Prior convictions",)
    assert cohort.df["exit_reason"].tolist() == ["dropout", "in_treatment", "in_treatment", "dropout", "dropout"]
    assert cohort.df["participant_id"].tolist() == ["1", "2", "3", "4", "5"]
    res = oc.compare_arms(cohort, "relapse", adjust=["Prior convictions"])
    assert res.cox.term.tolist() == ["armyes", "Prior convictions"]


def test_from_frame_numeric_arm_labels_become_text(addicts):
    assert addicts.arms == ("1", "2")
    assert addicts.reference == "1"


def test_from_frame_names_a_missing_column():
    with pytest.raises(oc.InputError, match=r"requested column 'time' is missing"):
        oc.Cohort.from_frame(pd.DataFrame({"a": [1]}), arm="a", reference=1, relapse=("time", "event"))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_read_round_trip_keeps_data_and_metadata(tmp_path, small_cohort, suffix):
    path = small_cohort.write(tmp_path / f"cohort{suffix}")
    assert (tmp_path / "cohort.meta.json").exists()
    back = oc.Cohort.read(path)
    pd.testing.assert_frame_equal(back.df, small_cohort.df, check_dtype=False)
    assert back.arms == small_cohort.arms
    assert back.as_of == small_cohort.as_of
    assert back.truth == small_cohort.truth
    assert back.scenario == small_cohort.scenario
    assert back.covariates == small_cohort.covariates
    assert back.provenance == small_cohort.provenance


def test_canonical_csv_without_sidecar_reads_with_reference_clinical(tmp_path):
    path = tmp_path / "plain.csv"
    canonical().to_csv(path, index=False)
    cohort = oc.Cohort.read(path)
    assert cohort.reference == "clinical" and cohort.covariates == ("age",)


def test_read_reports_errors_with_the_file_name(tmp_path):
    path = tmp_path / "broken.csv"
    canonical(relapse_event=(1, 7)).to_csv(path, index=False)
    with pytest.raises(oc.InputError, match=r"file 'broken.csv', column 'relapse_event' row 2: value 7 is not 0 or 1"):
        oc.Cohort.read(path)
    with pytest.raises(oc.InputError, match="unsupported extension '.txt'"):
        oc.Cohort.read(tmp_path / "x.txt")


def test_sidecar_is_plain_json(tmp_path, small_cohort):
    small_cohort.write(tmp_path / "c.csv")
    meta = json.loads((tmp_path / "c.meta.json").read_text())
    assert meta["reference"] == "clinical" and meta["as_of"] == "2026-09-30"
    assert meta["truth"]["relapse_risk_ratio_12m"] == pytest.approx(0.65)


def test_html_summary_suppresses_small_counts():
    cohort = oc.Cohort(canonical(), reference="clinical", as_of="2026-09-30")
    html = cohort._repr_html_()
    assert "&lt;11" in html and "as of 2026-09-30" in html
    summary = cohort.summary()
    assert summary["n"].tolist() == [2, 2]  # exact counts stay available to analyses


def test_categorical_arms_with_an_unused_category():
    df = canonical()
    df["arm"] = pd.Categorical(["b", "b", "a", "a"], categories=["c", "a", "b"])
    cohort = oc.Cohort(df, reference="b")
    assert cohort.arms == ("b", "a")
    assert cohort.df["arm"].cat.categories.tolist() == ["b", "a"]
    df["arm"] = pd.Categorical(["b", "b", "b", "b"], categories=["a", "b"])
    with pytest.raises(oc.InputError, match=r"found 1 arm label\(s\) \['b'\]"):
        oc.Cohort(df, reference="b")


def test_the_id_error_comes_first_although_ids_are_checked_beside_the_other_columns():
    df = canonical(participant_id=(3, "p1"))
    df.loc[0, "relapse_event"] = 5
    with pytest.raises(oc.InputError, match=r"column 'participant_id' row 4: participant id 'p1' repeats row 1"):
        oc.Cohort(df, reference="clinical")
    df = canonical(relapse_event=(0, 5))  # ids fine: the other error is raised
    with pytest.raises(oc.InputError, match=r"column 'relapse_event' row 1: value 5 is not 0 or 1"):
        oc.Cohort(df, reference="clinical")


def test_a_repeat_among_ten_thousand_ids_is_found_with_its_rows():
    ids = [f"SYN-{i:08d}" for i in range(10_000)]
    ids[7_321] = ids[42]
    df = pd.DataFrame({"participant_id": ids, "arm": ["clinical", "peer_clinical"] * 5_000,
                       "relapse_days": 100.0, "relapse_event": 0})
    with pytest.raises(oc.InputError, match=r"row 7322: participant id 'SYN-00000042' repeats row 43"):
        oc.Cohort(df, reference="clinical")


@pytest.mark.parametrize("value", [np.inf, -1.0, 2.5])
def test_counts_must_be_finite_whole_and_not_negative(value):
    df = canonical().assign(ed_visits_12m=[0.0, 1.0, np.nan, 3.0])
    df.loc[1, "ed_visits_12m"] = value
    with pytest.raises(oc.InputError, match=r"column 'ed_visits_12m' row 2: value .* is not a whole number >= 0"):
        oc.Cohort(df, reference="clinical")


def test_errors_past_the_first_block_of_values_name_the_right_row():
    n = 200_000  # the checks run in blocks of 65,536 values
    df = pd.DataFrame({"participant_id": np.arange(n).astype(str), "arm": ["clinical", "peer_clinical"] * (n // 2),
                       "relapse_days": np.full(n, 100.0), "relapse_event": np.zeros(n, dtype=np.int8)})
    df.loc[150_001, "relapse_days"] = -1.0
    with pytest.raises(oc.InputError, match=r"column 'relapse_days' row 150002: time -1.0 is negative"):
        oc.Cohort(df, reference="clinical")


def test_the_cohort_keeps_its_own_copy_of_the_frame():
    df = canonical()
    cohort = oc.Cohort(df, reference="clinical")
    df.loc[0, "relapse_days"] = -99.0  # an in-place change after validation
    df.loc[0, "age"] = 999
    assert cohort.df.loc[0, "relapse_days"] == 30.0 and cohort.df.loc[0, "age"] == 30


def test_a_column_given_twice_is_refused():
    df = pd.concat([canonical(), canonical()[["age"]]], axis=1)
    with pytest.raises(oc.InputError, match="column 'age' appears more than once"):
        oc.Cohort(df, reference="clinical")

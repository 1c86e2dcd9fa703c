"""A real export, honestly (issue 22): follow-up rules, no outcome-selected sample, a drafted mapping.

The export is ``data/example_extract/tracker_export.csv``: a small program's tracker with no last-contact
column, a relapse date only for those who relapsed, discharge date and reason blank while in treatment, an
empty notes column and one mistyped intake date (``tracker_export(synthetic_cohort(n=60, seed=22,
as_of="2026-09-30"))``), so every count below is known from the cohort it renders.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.outputs.cli import main
from outcomes.sources.extract.example import tracker_export

ROOT = Path(__file__).resolve().parents[1]
TRACKER = ROOT / "data" / "example_extract" / "tracker_export.csv"


@pytest.fixture(scope="module")
def truth() -> oc.Cohort:
    return oc.synthetic_cohort(n=60, seed=22, as_of="2026-09-30")


def test_the_bundled_tracker_is_the_documented_rendering(truth):
    expected = tracker_export(truth)
    on_disk = pd.read_csv(TRACKER, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(on_disk, expected.astype(str), check_dtype=False)


def test_the_drafted_mapping_reads_every_row_under_a_stated_rule(truth, tmp_path):
    draft = oc.draft_mapping(TRACKER)
    assert draft.columns == {"relapse_date": "Relapse Date", "exit_date": "Discharge Date",
                             "enroll_date": "Intake Date", "participant_id": "Client ID",
                             "exit_reason": "Discharge Reason", "arm": "Program Track", "age": "Age", "sex": "Gender"}
    assert draft.codes == {"arm": {"Peer Mentor": "peer_clinical", "Standard": "clinical"},
                           "exit_reason": {"AMA": "dropout", "Completed": "completed", "Transferred": "transferred"}}
    assert draft.date_format == "%m/%d/%Y" and draft.unplaced == {"Counselor Notes": "empty"}
    report = oc.validate_extract(TRACKER, draft.write(tmp_path / "m.toml"), as_of="2026-09-30")
    assert (report.rows_read, report.rows_kept, report.rows_excluded) == (60, 59, 1)
    assert report.by_reason.reason.tolist() == ["invalid date in Intake Date"]
    df = truth.df
    relapsed = int(df.relapse_event.sum())
    in_treatment = int((df.exit_reason == "in_treatment").sum())
    rules = dict(zip(report.followup.rule, report.followup.rows))
    bad = report.problems.row.iloc[0] - 1  # the mistyped row, by the rules it would have had
    relapsed_kept = relapsed - int(df.relapse_event.iloc[bad])
    assert rules["the relapse date (the event)"] == relapsed_kept
    assert sum(rules.values()) == 59
    still = int(((df.exit_reason == "in_treatment") & (df.relapse_event == 0)).drop(index=bad).sum())
    assert rules["the as-of date (still in treatment)"] == still and still <= in_treatment


def test_follow_up_by_the_rules_equals_the_cohort_it_renders(truth, tmp_path):
    cohort = oc.read_extract(TRACKER, oc.draft_mapping(TRACKER).write(tmp_path / "m.toml"), as_of="2026-09-30",
                             on_error="exclude")
    merged = cohort.df.assign(pos=cohort.df.participant_id.str[-3:].astype(int)).set_index("pos")
    expected = truth.df.iloc[merged.index]
    assert (merged.relapse_event.to_numpy() == expected.relapse_event.to_numpy()).all()
    relapse = expected.relapse_event.to_numpy() == 1
    assert merged.relapse_days.to_numpy()[relapse] == pytest.approx(expected.relapse_days.to_numpy()[relapse])
    # without a relapse: follow-up to discharge, or to the as-of date for those still in treatment
    end = np.where(expected.exit_reason == "in_treatment", (pd.Timestamp("2026-09-30") - expected.enroll_date).dt.days,
                   expected.exit_days)
    assert merged.relapse_days.to_numpy()[~relapse] == pytest.approx(end[~relapse])


def test_an_outcome_selected_sample_is_refused_with_the_fix_then_stated_when_allowed(tmp_path):
    mapping = {"columns": {"participant_id": "Client ID", "arm": "Program Track", "enroll_date": "Intake Date",
                           "relapse_date": "Relapse Date"},
               "values": {"arm": {"Standard": "clinical", "Peer Mentor": "peer_clinical"}},
               "dates": {"format": "%m/%d/%Y"}}
    cohort = oc.read_extract(TRACKER, mapping, as_of="2026-09-30", on_error="exclude")
    assert len(cohort) == 22 and cohort.df.relapse_event.all()  # only those who relapsed: outcome-selected
    with pytest.raises(oc.InputError, match=r"38 of 60 rows \(63%\) were left out \(follow-up unknown: 37, invalid "
                       r"date in Intake Date: 1\), and 3% of them have a relapse date against 100% of the rows kept "
                       r"\(Fisher exact p < 0.001\): the kept rows are an outcome-selected sample\. .*"
                       r"--allow-exclusions"):
        oc.report.quarterly(cohort, "2026Q2", tmp_path, formats=["html"])
    path = oc.report.quarterly(cohort, "2026Q2", tmp_path, formats=["html"], allow_exclusions=True)
    html = path.read_text(encoding="utf-8")
    stated = ("38 of the 60 rows of the program&#x27;s export were left out of every analysis (follow-up unknown; "
              "invalid date in Intake Date)")
    assert stated in html.replace("'", "&#x27;")
    assert html.index(stated.split(" (")[0]) < html.index("have enrolled to date")  # the summary's first sentence


def test_map_then_report_from_the_command_line(tmp_path, capsys):
    export = tmp_path / "tracker_export.csv"
    shutil.copy(TRACKER, export)
    assert main(["map", str(export), "--out", str(tmp_path / "m.toml")]) == 0
    assert main(["report", "--data", str(export), "--mapping", str(tmp_path / "m.toml"), "--quarter", "2026Q2",
                 "--as-of", "2026-09-30", "--format", "html", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "read " + str(export) + ": 59 participants kept of 60 rows, 1 excluded" in out
    assert (tmp_path / "r" / "quarterly_2026Q2.html").exists()
    assert export.read_bytes() == TRACKER.read_bytes()  # the export is never modified


def test_the_command_line_names_unmapped_arm_codes_and_the_way_to_map_them(tmp_path, capsys):
    assert main(["report", "--data", str(TRACKER), "--quarter", "2026Q2", "--format", "html",
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "arm code(s) 'Standard', 'Peer Mentor' are not mapped" in err and "outcomes map" in err


def test_a_drafted_mapping_is_valid_toml_in_the_mapping_format(tmp_path):
    text = oc.draft_mapping(TRACKER).text()
    loaded = tomllib.loads(text)
    assert loaded["followup"]["rules"] == ["last_contact", "discharge", "as_of"]
    assert loaded["values"]["arm"] == {"Peer Mentor": "peer_clinical", "Standard": "clinical"}


@pytest.mark.parametrize("rules, expected", [
    (["last_contact", "discharge", "as_of"], {"follow-up unknown": None}),
    (["discharge"], {"follow-up unknown": 9}),  # those still in treatment, without the as_of rule
])
def test_the_rules_are_the_evaluators_to_change(tmp_path, rules, expected):
    draft = oc.draft_mapping(TRACKER)
    mapping = {**tomllib.loads(draft.text()), "followup": {"rules": rules}}
    report = oc.validate_extract(TRACKER, mapping, as_of="2026-09-30")
    counts = dict(zip(report.by_reason.reason, report.by_reason.rows))
    assert counts.get("follow-up unknown") == expected["follow-up unknown"]


# ------------------------------------------------------------------ twenty exports of other designs
from .export_styles import STYLES, render  # noqa: E402


@pytest.fixture(scope="module")
def styled(tmp_path_factory):
    cohort = oc.synthetic_cohort(n=150, seed=5, as_of="2026-09-30")
    folder = tmp_path_factory.mktemp("styles")
    return cohort, {st.name: render(st, cohort, folder) for st in STYLES}


@pytest.mark.parametrize("style", STYLES, ids=[st.name for st in STYLES])
def test_each_export_goes_from_map_to_the_cohort_it_renders(style, styled, tmp_path):
    cohort, rendered = styled
    export = rendered[style.name]
    draft = oc.draft_mapping(export.path, sheet=export.sheet)
    assert {f: draft.columns.get(f) for f in style.expected} == style.expected
    assert draft.date_format == (None if style.date_format in (None, "%Y-%m-%d") else style.date_format)
    # the evaluator's edit: assign what the draft could not (only the "letters" style's arms A and B)
    mapping = tomllib.loads(draft.text())
    for name, codes in draft.unassigned.items():
        assert style.name == "letters" and name == "arm", (style.name, name, codes)
        mapping["values"][name] = export.expected_codes[name]
    assigned = {k: {c: v for c, v in codes.items() if v} for k, codes in draft.codes.items()}
    assert assigned == dict(export.expected_codes, **({"arm": {}} if style.name == "letters" else {}))
    read = oc.read_extract(export.path, mapping, as_of="2026-09-30", sheet=export.sheet)
    assert len(read) == len(cohort)
    assert (read.df.arm.to_numpy() == cohort.df.arm.to_numpy()).all()
    assert read.df.relapse_event.sum() == cohort.df.relapse_event.sum()
    if "exit_reason" in style.expected:
        assert (read.df.exit_reason.to_numpy() == cohort.df.exit_reason.to_numpy()).all()


@pytest.mark.parametrize("name", ["excel cells", "records", "extras"])
def test_a_drafted_export_makes_its_quarter(name, styled):
    from outcomes.present.quarter import compute_quarter

    cohort, rendered = styled
    export = rendered[name]
    read = oc.read_extract(export.path, oc.draft_mapping(export.path).mapping(), as_of="2026-09-30",
                           sheet=export.sheet)
    quarter = compute_quarter(read, "2026Q3", bootstrap=50)
    assert quarter.summary[0].startswith("In 2026Q3") and len(quarter.cohort) == len(cohort)


def test_the_reports_methods_state_the_follow_up_rules_in_words(tmp_path):
    from outcomes.outputs.report.sections import methods_lines
    from outcomes.present.quarter import compute_quarter

    cohort = oc.read_extract(TRACKER, oc.draft_mapping(TRACKER).mapping(), as_of="2026-09-30", on_error="exclude")
    quarter = compute_quarter(cohort, "2026Q3", bootstrap=50)
    assert ("- Follow-up of participants without a relapse ended at the discharge date (discharged without a "
            "relapse), else at the as-of date (still in treatment): the rules stated in the export's mapping "
            "([followup]), applied in that order.") in methods_lines(quarter)
    checks = quarter.tables["data_quality"].Check.tolist()
    assert not any("follow-up ends" in c.lower() for c in checks)  # no counts to subtract

"""Follow-up interviews (issue 27, first part): the schedule's rules against hand-worked answers, follow-up rates
and intake-to-follow-up change against hand computations, McNemar and the rate of change against their formulas,
and the reader's errors naming the row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import outcomes as oc
from outcomes.analyses.interviews import mcnemar_p

AS_OF = "2026-06-30"
START = pd.Timestamp("2025-01-01")  # day 545 on the as-of date


def _people() -> oc.Cohort:
    rows = [  # participant, arm, enrolled, exit day, exit reason
        ("P1", "clinical", START, 545, "in_treatment"),
        ("P2", "clinical", START, 100, "completed"),  # care ended before the reassessment window
        ("P3", "peer_clinical", START, 180, "dropout"),  # ... during it
        ("P4", "peer_clinical", START, 250, "transferred"),  # ... after it, before the first annual window
        ("P5", "peer_clinical", pd.Timestamp("2026-05-15"), 46, "in_treatment"),  # enrolled 46 days ago
    ]
    df = pd.DataFrame(rows, columns=["participant_id", "arm", "enroll_date", "exit_days", "exit_reason"])
    return oc.Cohort(df, reference="clinical", as_of=AS_OF)


INTERVIEWS = pd.DataFrame([
    ("P1", "baseline", 30, "completed"),  # the window's last day: inside
    ("P1", "reassessment", 211, "completed"),  # one day late
    ("P1", "annual", 335, "completed"),  # the first annual window's first day
    ("P2", "baseline", 31, "completed"),  # late
    ("P2", "closeout", 130, "completed"),  # 30 days after the end of care: inside
    ("P3", "baseline", 5, "refused"),
    ("P3", "closeout", 200, "completed"),
    ("P4", "baseline", 0, "completed"),  # intake day
    ("P4", "reassessment", 149, "completed"),  # one day early
], columns=["participant_id", "point", "day", "status"])

# (participant, point, number) -> (state, completed, refused, outside_window), worked out by hand from the rules
EXPECTED = {
    ("P1", "baseline", 1): ("due", True, False, 0),
    ("P1", "reassessment", 1): ("due", False, False, 1),
    ("P1", "annual", 1): ("due", True, False, 0),
    ("P2", "baseline", 1): ("due", False, False, 1),
    ("P2", "reassessment", 1): ("cancelled", False, False, 0),
    ("P2", "annual", 1): ("cancelled", False, False, 0),
    ("P2", "closeout", 1): ("due", True, False, 0),
    ("P3", "baseline", 1): ("due", False, True, 0),
    ("P3", "reassessment", 1): ("cancelled", False, False, 0),
    ("P3", "annual", 1): ("cancelled", False, False, 0),
    ("P3", "closeout", 1): ("due", True, False, 0),
    ("P4", "baseline", 1): ("due", True, False, 0),
    ("P4", "reassessment", 1): ("due", False, False, 1),
    ("P4", "annual", 1): ("cancelled", False, False, 0),
    ("P4", "closeout", 1): ("due", False, False, 0),
    ("P5", "baseline", 1): ("due", False, False, 0),
}


def test_the_schedule_follows_its_rules():
    sched = oc.interview_schedule(_people(), INTERVIEWS)
    found = {(r.participant_id, r.point, r.number): (r.state, bool(r.completed), bool(r.refused), r.outside_window)
             for r in sched.itertuples()}
    assert found == EXPECTED  # P1's second annual window (days 700-760) opens after the next 90 days: not listed
    p2 = sched[(sched.participant_id == "P2") & (sched.point == "closeout")].iloc[0]
    assert (p2.opens, p2.closes, str(p2.closes_date)) == (100, 130, "2025-05-11")


def test_windows_come_from_outcomes_toml(tmp_path):
    config = tmp_path / "outcomes.toml"
    config.write_text("[interviews]\nbaseline = [0, 7]\nreassessment = [170, 190]\ntarget = 0.75\n")
    rules = oc.InterviewRules.from_toml(config)
    assert (rules.baseline, rules.reassessment, rules.annual, rules.target) == ((0, 7), (170, 190), (335, 395), 0.75)
    sched = oc.interview_schedule(_people(), INTERVIEWS, rules)
    assert not sched.set_index(["participant_id", "point"]).loc[("P1", "baseline"), "completed"]  # held on day 30
    config.write_text("[interviews]\nreasessment = [170, 190]\n")
    with pytest.raises(oc.InputError, match="no setting 'reasessment'"):
        oc.InterviewRules.from_toml(config)


def test_follow_up_rates_count_completed_in_window_over_due():
    rates = oc.follow_up(_people(), INTERVIEWS).table().set_index(["window", "arm"])
    # by hand: baseline due P1 P2 (clinical) and P3 P4 P5 (peer); completed P1 and P4
    assert rates.loc[("baseline", "clinical"), ["due", "completed"]].tolist() == [2, 1]
    assert rates.loc[("baseline", "peer_clinical"), ["due", "completed"]].tolist() == [3, 1]
    assert rates.loc[("closeout", "peer_clinical"), ["due", "completed"]].tolist() == [2, 1]
    assert rates.loc[("reassessment", "peer_clinical"), "rate"] == 0
    assert not rates.meets_target.any() or rates.loc[rates.meets_target, "rate"].min() >= 0.8
    shown = oc.follow_up(_people(), INTERVIEWS).display_table()
    assert "1" not in shown.Completed.tolist() and "<11" in shown.Completed.tolist()


def _seeded(n: int = 400, seed: int = 3) -> tuple[oc.Cohort, pd.DataFrame]:
    cohort = oc.synthetic_cohort(n=n, seed=seed)
    rng = np.random.default_rng(seed)
    rows = []
    for pid, enrolled in zip(cohort.df.participant_id.astype(str), cohort.df.enroll_date):
        for point, low, high, chance in (("baseline", -2, 40, 0.95), ("reassessment", 140, 220, 0.7)):
            if rng.random() < chance:
                day = int(rng.integers(max(low, 0), high))
                if enrolled + pd.Timedelta(days=day) <= pd.Timestamp(cohort.as_of):
                    rows.append({"participant_id": pid, "point": point, "day": day,
                                 "housing_stable": int(rng.random() < (0.45 if point == "baseline" else 0.6))})
    return cohort, pd.DataFrame(rows)


def test_rates_and_shares_equal_a_hand_computation_on_a_seeded_cohort():
    cohort, interviews = _seeded()
    df = cohort.df.assign(pid=cohort.df.participant_id.astype(str))
    today = (pd.Timestamp(cohort.as_of) - df.enroll_date).dt.days
    held = interviews.merge(df[["pid", "arm"]].astype(str), left_on="participant_id", right_on="pid")
    base = held[(held.point == "baseline") & held.day.between(0, 30)]
    rates = oc.follow_up(cohort, interviews).table().set_index(["window", "arm"])
    for arm in cohort.arms:
        due = df[(today > 30) & (df.arm == arm)].pid
        assert rates.loc[("baseline", arm), "due"] == len(due)
        assert rates.loc[("baseline", arm), "completed"] == base[base.pid.isin(due)].pid.nunique()
    follow = held[(held.point == "reassessment") & held.day.between(150, 210)]
    pairs = base.merge(follow, on="pid", suffixes=("_0", "_1"))
    change = oc.change_from_intake(cohort, interviews).table().set_index(["domain", "arm"])
    for arm in cohort.arms:
        mine = pairs[pairs.arm_0 == arm]
        row = change.loc[("housing_stable", arm)]
        assert row.pairs == len(mine)
        assert row.baseline_share == pytest.approx(mine.housing_stable_0.mean())
        assert row.followup_share == pytest.approx(mine.housing_stable_1.mean())


def test_mcnemar_and_the_rate_of_change_equal_their_formulas():
    # 20 pairs: 5 housed at both, 8 at neither, 6 housed only at follow-up, 1 only at intake
    before = [1] * 5 + [0] * 8 + [0] * 6 + [1]
    after = [1] * 5 + [0] * 8 + [1] * 6 + [0]
    people = pd.DataFrame({"participant_id": [f"Q{i}" for i in range(40)], "arm": ["clinical", "peer_clinical"] * 20,
                           "enroll_date": START, "exit_days": 545, "exit_reason": "in_treatment"})
    cohort = oc.Cohort(people, reference="clinical", as_of=AS_OF)
    interviews = pd.DataFrame([{"participant_id": f"Q{i}", "point": point, "day": day, "housing_stable": value}
                               for k, i in enumerate(range(0, 40, 2))
                               for point, day, value in (("baseline", 3, before[k]), ("reassessment", 180, after[k]))])
    result = oc.change_from_intake(cohort, interviews)
    row = result.changes.set_index("arm").loc["clinical"]
    assert (row.pairs, row.baseline_share, row.followup_share) == (20, 0.30, 0.55)
    assert row.change_points == pytest.approx(25.0)
    assert row.rate_of_change == pytest.approx((0.55 - 0.30) / 0.30)
    assert row.p_value == pytest.approx(2 * stats.binom.cdf(1, 7, 0.5))  # exact: 7 discordant pairs
    se = np.sqrt(7 - 5**2 / 20) / 20
    assert row.ci_lower == pytest.approx(100 * (0.25 - stats.norm.ppf(0.975) * se))
    assert mcnemar_p(30, 10) == pytest.approx(stats.chi2.sf(20**2 / 40, 1))  # 40 discordant: chi-square
    assert result.comparison.empty  # the peer arm has no interviews: no comparison of changes


def test_the_reader_maps_columns_and_points_and_names_bad_rows(tmp_path):
    cohort = _people()
    export = pd.DataFrame({"Client": ["P1", "P1", "P4"], "Type": ["Intake", "6 Month", "Intake"],
                           "When": ["2025-01-05", "2025-07-01", "2025-01-01"], "Housed": [1, "-7", 0],
                           "Alcohol days": [0, 3, 0], "Drug days": [0, 0, "-8"]})
    path = tmp_path / "gpra.xlsx"
    export.to_excel(path, index=False)
    mapping = tmp_path / "interviews.toml"
    mapping.write_text('[columns]\nparticipant_id = "Client"\npoint = "Type"\ndate = "When"\n'
                       'housing_stable = "Housed"\nalcohol_days_30 = "Alcohol days"\ndrug_days_30 = "Drug days"\n'
                       '[points]\n"Intake" = "baseline"\n"6 Month" = "reassessment"\n')
    iv = oc.read_interviews(path, cohort, mapping)
    assert iv.frame.day.tolist() == [4.0, 181.0, 0.0]
    assert iv.codes.housing_stable.tolist() == ["", "refused", ""] and np.isnan(iv.frame.housing_stable[1])
    assert iv.codes.drug_days_30.tolist() == ["", "", "don't know"]
    for edit, message in ((("Client", 2, "P9"), "column 'participant_id' row 3: 'P9' is not a participant"),
                          (("Type", 1, "Intake"), "row 2: 'baseline' is a second completed baseline"),
                          (("Housed", 0, 3), "column 'housing_stable' row 1: 3 is outside"),
                          (("When", 1, "2026-07-01"), "is after the cohort's as-of date"),
                          (("When", 0, "2024-12-01"), "is before the participant's intake")):
        bad = export.copy()
        bad.loc[edit[1], edit[0]] = edit[2]
        bad.to_excel(path, index=False)
        with pytest.raises(oc.InputError, match=message):
            oc.read_interviews(path, cohort, mapping)


def test_the_report_counts_interviews_when_given_and_says_proxy_when_not():
    import warnings

    from outcomes.outputs.report import quarterly_document, render_html
    from outcomes.present.quarter import compute_quarter

    cohort, interviews = _seeded(n=300, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counted = compute_quarter(cohort, "2026Q3", bootstrap=50, interviews=interviews)
        proxy = compute_quarter(cohort, "2026Q3", bootstrap=50)
    expected = oc.follow_up(counted.cohort, interviews).table()
    assert counted.interview_follow_up.table().equals(expected)
    assert "Completed in window" in counted.tables["follow_up"].columns
    sentence = next(x for x in counted.summary if "follow-up interviews due" in x)
    assert "completed in their window" in sentence and "proxy" not in sentence
    assert "interview records: an interview is due once its window" in render_html(quarterly_document(counted))
    assert any("a proxy from last-contact dates" in x for x in proxy.summary)
    assert counted.interview_change is not None and "change_from_intake" in counted.tables
    document = quarterly_document(counted)
    assert "Change from intake to the" in render_html(document)
    section = next(x for x in document.sections if x.title.startswith("Follow-up"))
    assert [f.name for f in section.figures] == ["change_from_intake"] and section.figures[0].png(3.5)
    assert proxy.interview_change is None and "change_from_intake" not in proxy.tables
    assert "these rates are a proxy from last-contact dates" in render_html(quarterly_document(proxy))


def test_synthetic_interviews_follow_relapse_and_reach_and_leave_the_cohort_unchanged():
    plain = oc.synthetic_cohort(n=1500, seed=12)
    cohort = oc.synthetic_cohort(n=1500, seed=12, interviews=True)
    pd.testing.assert_frame_equal(plain.df, cohort.df)  # drawn last, with their own generator
    iv = cohort.interviews.merge(cohort.df.astype({"participant_id": str}), on="participant_id")
    follow = iv[iv.point != "baseline"]
    relapsed = (follow.relapse_event == 1) & (follow.relapse_days <= follow.day)
    assert (follow.loc[relapsed, "alcohol_days_30"] > 0).all() and (follow.loc[~relapsed, "alcohol_days_30"] == 0).all()
    truth = cohort.truth["interview_truth"]
    assert truth["closeout_abstinent_peer_clinical"] > truth["closeout_abstinent_clinical"]  # fewer relapses
    rates = oc.follow_up(cohort, cohort.interviews).table().set_index(["window", "arm"]).rate
    assert rates[("closeout", "peer_clinical")] > rates[("closeout", "clinical")]  # reach 0.80 against 0.70
    early = oc.as_of(cohort, "2025-12-31")
    assert early.interviews is not None and len(early.interviews) < len(cohort.interviews)
    held = early.interviews.merge(early.df.astype({"participant_id": str}), on="participant_id")
    assert (held.enroll_date + pd.to_timedelta(held.day, unit="D") <= pd.Timestamp("2025-12-31")).all()


def test_the_staff_worklist_lists_open_and_coming_windows_and_the_command_writes_it(tmp_path, monkeypatch):
    from outcomes.outputs.cli import main

    cohort = _people()
    worklist = oc.interview_worklist(cohort, INTERVIEWS, days=90)
    # by hand: on day 545, P1's second annual window (700-760) opens in 155 days: not within 90; nothing is open
    assert worklist.empty
    soon = oc.interview_worklist(cohort, INTERVIEWS, days=200)
    assert soon[["participant_id", "point", "number", "days_left", "due_within"]].values.tolist() == [
        ["P5", "reassessment", 1, 164, 200], ["P1", "annual", 2, 215, 200]]  # they open in 104 and 155 days
    people = tmp_path / "people.csv"
    cohort.write(people)
    held = tmp_path / "interviews.csv"
    INTERVIEWS.to_csv(held, index=False)
    monkeypatch.chdir(tmp_path)
    assert main(["interviews", "--data", str(people), "--interviews", str(held), "--days", "200",
                 "--out", "due.csv"]) == 0
    assert pd.read_csv(tmp_path / "due.csv").participant_id.tolist() == ["P5", "P1"]


def test_a_re_enrollment_is_a_new_episode_with_its_own_baseline():
    """The same client enrolled twice: two participant ids, each owing (and getting) its own baseline."""
    rows = pd.DataFrame([("C7-1", "clinical", START, 60, "dropout"),
                         ("C7-2", "clinical", pd.Timestamp("2025-09-01"), 302, "in_treatment"),
                         ("P9", "peer_clinical", START, 545, "in_treatment")],
                        columns=["participant_id", "arm", "enroll_date", "exit_days", "exit_reason"])
    cohort = oc.Cohort(rows, reference="clinical", as_of=AS_OF)
    held = pd.DataFrame([("C7-1", "baseline", 2), ("C7-2", "baseline", 10), ("C7-2", "reassessment", 200)],
                        columns=["participant_id", "point", "day"])
    sched = oc.interview_schedule(cohort, held).set_index(["participant_id", "point", "number"])
    assert sched.loc[("C7-1", "baseline", 1), "completed"] and sched.loc[("C7-2", "baseline", 1), "completed"]
    assert sched.loc[("C7-1", "reassessment", 1), "state"] == "cancelled"  # the first episode ended on day 60
    assert sched.loc[("C7-2", "reassessment", 1), ["state", "completed"]].tolist() == ["due", True]
    with pytest.raises(oc.InputError, match="second completed baseline"):
        oc.interview_schedule(cohort, pd.concat([held, pd.DataFrame([("C7-2", "baseline", 12)],
                                                                     columns=held.columns)]))


def test_a_quarter_knows_only_the_interviews_held_by_its_end():
    from outcomes.present.quarter import compute_quarter

    cohort, interviews = _seeded(n=300, seed=8)
    start = cohort.df.set_index(cohort.df.participant_id.astype(str)).enroll_date
    held = pd.Series(start.reindex(interviews.participant_id).to_numpy()) + pd.to_timedelta(interviews.day, unit="D")
    dated = interviews.assign(date=held.dt.strftime("%Y-%m-%d")).drop(columns="day")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_day = compute_quarter(cohort, "2026Q2", bootstrap=50, interviews=interviews)
        by_date = compute_quarter(cohort, "2026Q2", bootstrap=50, interviews=dated)
    assert by_day.interview_follow_up is not None and by_date.interview_follow_up is not None
    pd.testing.assert_frame_equal(by_day.interview_follow_up.table(), by_date.interview_follow_up.table())


def test_the_engagement_claim_is_read_against_interviews_when_there_are_some():
    cohort = oc.synthetic_cohort(n=1500, seed=7, interviews=True)
    rows = oc.reconcile(cohort).rows.set_index(["claim_id", "estimand"])
    row = rows.loc[("S000-engagement-40", "interview_completion_ratio")]
    rates = oc.follow_up(cohort, cohort.interviews).table()
    due = rates[rates.window != "baseline"].groupby("arm")[["due", "completed"]].sum()
    share = due.completed / due.due
    assert row.estimate == pytest.approx(share["peer_clinical"] / share["clinical"])  # by hand
    assert row.ci_lower < row.estimate < row.ci_upper and not row.verdict.startswith("not estimable")
    without = oc.reconcile(oc.synthetic_cohort(n=300, seed=7)).rows.set_index(["claim_id", "estimand"])
    assert without.loc[("S000-engagement-40", "interview_completion_ratio"), "verdict"].startswith(
        "not estimable: no interview records")


def test_numeric_non_response_codes_are_kept_apart_as_text_ones_are():
    cohort = _people()
    frame = pd.DataFrame({"participant_id": ["P1", "P2", "P4"], "point": "baseline", "day": [1, 2, 3],
                          "social_support": [1.0, -8.0, np.nan], "barc10": [45, 60, -9]})
    iv = oc.model.interviews.interviews_from_frame(frame, cohort)
    assert iv.codes.social_support.tolist() == ["", "don't know", "missing"]
    assert iv.frame.social_support.tolist()[:1] == [1.0] and iv.frame.social_support.isna().sum() == 2
    assert iv.codes.barc10.tolist() == ["", "", "missing"] and iv.frame.barc10.tolist()[:2] == [45.0, 60.0]
    with pytest.raises(oc.InputError, match="column 'barc10' row 1: 9 is outside"):
        oc.model.interviews.interviews_from_frame(frame.assign(barc10=[9, 60, 45]), cohort)

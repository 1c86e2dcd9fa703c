"""Recurrent relapses (issue 25): every model and the mean cumulative function equal R's survival on the chronic
granulomatous disease trial (tests/reference/cgd_reference.json, written by timevarying_reference.R)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import outcomes as oc

from .conftest import REFERENCE, load_reference

TOL = 1e-6


@pytest.fixture(scope="module")
def cgd() -> tuple[oc.Cohort, pd.DataFrame]:
    people = pd.read_csv(REFERENCE / "cgd_people.csv")
    cohort = oc.Cohort.from_frame(people, arm="treat", reference="placebo", follow_up="futime", participant_id="id",
                                  covariates=["age", "inherit", "steroids"])
    return cohort, pd.read_csv(REFERENCE / "cgd_events.csv").rename(columns={"id": "participant_id"})


@pytest.mark.parametrize("method, key", [("andersen_gill", "andersen_gill"), ("pwp_total", "pwp_total_time"),
                                         ("pwp_gap", "pwp_gap_time"), ("first", "first_event")])
def test_every_model_equals_coxph(cgd, method, key):
    # coxph(Surv(tstart, tstop, infect) ~ treat + age + inherit + steroids, cluster = id) [+ strata(enum)];
    # gap time: Surv(tstop - tstart, infect); first: the first event only
    r = oc.compare_recurrent(*cgd, method=method, adjust=["age", "inherit", "steroids"])
    ref = load_reference("cgd")[key]
    assert r.cox.term.tolist() == ["armrIFN-g", "age", "inheritX-linked", "steroids"]
    assert r.cox.coef.to_numpy() == pytest.approx(ref["coef"], abs=TOL)
    assert r.cox.se.to_numpy() == pytest.approx(ref.get("se_model", ref.get("se")), abs=TOL)
    if "se_robust" in ref:
        assert r.cox.robust_se.to_numpy() == pytest.approx(ref["se_robust"], abs=TOL)
        assert r.cox.p_value.to_numpy() == pytest.approx(ref["p"], abs=1e-4)
        assert (r.hazard_ratio.ci_lower, r.hazard_ratio.ci_upper) == pytest.approx(
            (ref["hr_lower"][0], ref["hr_upper"][0]), abs=TOL)
    assert int(r.intervals.event.sum()) == (ref["events"] if method != "first" else 76)


def test_the_mean_cumulative_function_equals_survfit_with_the_clustered_se(cgd):
    # summary(survfit(Surv(tstart, tstop, infect) ~ treat, data = cg, id = id), times = ...): cumhaz, std.chaz
    r = oc.compare_recurrent(*cgd)
    expected = pd.DataFrame(load_reference("cgd")["mean_cumulative_function"])
    for group, part in expected.groupby("group"):
        got = r.mcf_at(part.time.to_numpy(float))
        got = got[got.arm == group.removeprefix("treat=")]
        assert got.mcf.to_numpy() == pytest.approx(part.mcf.to_numpy(), abs=1e-9)
        assert got.se.to_numpy() == pytest.approx(part.se.to_numpy(), abs=1e-9)
    before_first = r.mcf_at([50.0]).set_index("arm").loc["rIFN-g"]
    assert (before_first.mcf, before_first.se, before_first.ci_lower, before_first.ci_upper) == (0, 0, 0, 0)


def test_the_intervals_are_tmerges(cgd):
    r = oc.compare_recurrent(*cgd)
    expected = pd.read_csv(REFERENCE / "cgd_intervals_tmerge.csv")
    got = r.intervals.sort_values(["participant_id", "tstart"], key=lambda c: c.astype(float) if c.name ==
                                  "participant_id" else c)
    assert len(got) == len(expected) == load_reference("cgd")["tmerge_rows"]
    assert got.tstart.to_numpy() == pytest.approx(expected.tstart.to_numpy())
    assert got.tstop.to_numpy() == pytest.approx(expected.tstop.to_numpy())
    assert (got.event.to_numpy() == expected.infect.to_numpy()).all()
    assert (got.enum.to_numpy() == expected.enum.to_numpy()).all()


def test_rate_ratio_counts_and_words(cgd):
    r = oc.compare_recurrent(*cgd)
    counts = r.counts.set_index("arm")
    assert counts.relapses.tolist() == [56, 20] and counts.participants.tolist() == [65, 63]
    rate = (20 / counts.person_years.iloc[1]) / (56 / counts.person_years.iloc[0])
    assert r.rate_ratio.value == pytest.approx(rate, rel=0.05)  # the NB estimate is near the crude rate ratio
    assert "placebo" in r.to_markdown() and "nan" not in r.to_markdown()
    text = oc.narrate(r)
    at = r.mcf_at([365.0]).set_index("arm")  # the curve equals survfit at R's reference days (test above)
    difference = at.loc["rIFN-g", "mcf"] - at.loc["placebo", "mcf"]
    se = np.hypot(at.loc["rIFN-g", "se"], at.loc["placebo", "se"])
    assert difference < 0 and text.startswith(
        f"By day 365, people in arm rIFN-g had {-difference:.1f} fewer relapses each than people in arm placebo, "
        f"95% CI {-difference - 1.959964 * se:.1f} to {-difference + 1.959964 * se:.1f}. ")


@pytest.mark.parametrize("events, message", [
    (pd.DataFrame({"participant_id": ["999"], "day": [10]}), "belongs to no participant"),
    (pd.DataFrame({"participant_id": ["1"], "day": [0]}), "on or before enrollment"),
    (pd.DataFrame({"participant_id": ["1"], "day": [5000]}), "after the participant's end of follow-up"),
    (pd.DataFrame({"participant_id": ["1", "1"], "day": [10, 10]}), "repeats an event"),
    (pd.DataFrame({"participant_id": ["1"], "day": ["soon"]}), "is not a number of days"),
    (pd.DataFrame({"id": ["1"], "day": [3]}), "columns participant_id and day"),
])
def test_bad_events_name_the_row(cgd, events, message):
    with pytest.raises(oc.InputError, match=message):
        oc.compare_recurrent(cgd[0], events)


def test_a_cohort_without_follow_up_or_an_unknown_method_is_refused(cgd):
    with pytest.raises(oc.InputError, match="method must be one of"):
        oc.compare_recurrent(*cgd, method="gap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = oc.synthetic_cohort(n=50, seed=1)
    no_follow_up = oc.Cohort(plain.df.drop(columns=["followup_days"]), reference="clinical")
    with pytest.raises(oc.InputError, match="follow_up=COLUMN"):
        oc.compare_recurrent(no_follow_up, pd.DataFrame({"participant_id": [], "day": []}))
    no_events = pd.DataFrame({"participant_id": pd.Series([], dtype=str), "day": pd.Series([], dtype=float)})
    with pytest.raises(oc.NotEstimableError, match="has no relapse"):
        oc.compare_recurrent(cgd[0], no_events)
    assert np.isfinite(oc.compare_recurrent(*cgd).hazard_ratio.value)


def _screens(pattern: str, pid: str = "a") -> pd.DataFrame:
    """One character per week from week 0: '+' positive, '-' negative, '.' no screen."""
    rows = [(pid, 7 * k, int(c == "+")) for k, c in enumerate(pattern) if c != "."]
    return pd.DataFrame(rows, columns=["participant_id", "day", "positive"])


@pytest.mark.parametrize("pattern, missing_is_positive, expected_days", [
    ("---++++--++++", True, [21, 63]),  # relapse, two negative weeks, relapse again
    ("---++++-.-++++", True, [21]),  # the missing week 8 interrupts the recovery: still the first episode
    ("---++.+--++++", True, [21, 63]),  # a missing week inside a run counts as positive
    ("---++.+--++++", False, [63]),  # ... unless missing is not positive: the first run is broken
    ("---++++-+--++++", True, [21, 77]),  # a positive week resets the recovery; weeks 9-10 recover it
    ("---++++--------", True, [21]),
    ("---------------", True, []),
    ("---............", True, [21]),  # no screens at all after week 3: missing counts as positive
    ("---............", False, []),
])
def test_every_episode_from_weekly_screens_by_hand(pattern, missing_is_positive, expected_days):
    episodes = oc.derive_relapse(_screens(pattern), participants=["a"], recurrent=True, first_week=3,
                                 last_week=len(pattern) - 1, run_length=4, recovery_weeks=2,
                                 missing_is_positive=missing_is_positive)
    assert episodes.day.tolist() == expected_days
    assert episodes.episode.tolist() == list(range(1, len(expected_days) + 1))
    assert episodes.attrs["provenance"]["recovery_weeks"] == 2 and episodes.attrs["provenance"]["run_length"] == 4


def test_synthetic_episodes_carry_their_truth_and_feed_compare_recurrent():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = oc.synthetic_cohort(n=3000, seed=5, recurrent=True)
    assert cohort.events is not None and len(cohort.events) > 500
    first = cohort.events.groupby("participant_id").day.min()
    relapsed = cohort.df.set_index("participant_id").query("relapse_event == 1").relapse_days
    assert (first.reindex(relapsed.index).to_numpy() == relapsed.to_numpy()).all()  # first relapse = first episode
    assert "conditional_hr_relapse" not in cohort.truth
    r = oc.compare_recurrent(cohort, cohort.events, adjust=list(cohort.covariates))
    truth = cohort.truth["relapse_rate_ratio"]
    assert r.hazard_ratio.ci_lower < truth < r.hazard_ratio.ci_upper
    per_person = cohort.truth["relapses_per_person_365"]
    at = r.mcf_at([365.0]).set_index("arm")
    for arm in cohort.arms:
        assert abs(at.loc[arm, "mcf"] - per_person[arm]) < 3 * at.loc[arm, "se"]


def test_the_quarterly_report_adds_repeat_relapses_when_the_cohort_has_episodes(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = oc.synthetic_cohort(n=600, seed=4, recurrent=True)
        html = oc.report.quarterly(cohort, "2026Q3", tmp_path, formats=["html"]).read_text(encoding="utf-8")
        earlier = oc.as_of(cohort, "2025-12-31")
    assert "<h2>Repeat relapses</h2>" in html and "relapses per person by day 365" in html
    assert earlier.events is not None and len(earlier.events) < len(cohort.events)  # the as-of date cuts episodes
    limit = (pd.Timestamp("2025-12-31") - earlier.df.set_index("participant_id").enroll_date).dt.days
    assert (earlier.events.day.to_numpy() <= limit.reindex(earlier.events.participant_id).to_numpy()).all()


def test_a_relapse_rate_claim_is_read_against_every_episode():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_episodes = oc.reconcile(oc.synthetic_cohort(n=1500, seed=3, recurrent=True))
        first_only = oc.reconcile(oc.synthetic_cohort(n=300, seed=3))
    rate = with_episodes.rows[with_episodes.rows.estimand == "relapse_rate_ratio"]
    assert set(rate.claim_id) == {"S000-relapse-10a", "S000-relapse-10b"}  # "lowers relapse rates by ~10%"
    assert rate.estimate.notna().all() and (rate.ci_lower < rate.estimate).all()
    other = first_only.rows[first_only.rows.estimand == "relapse_rate_ratio"]
    assert other.verdict.str.startswith("not estimable: a relapse rate needs every relapse episode").all()


def test_ghosh_lin_counts_the_dead_as_having_no_more_relapses_by_hand():
    # arm A: a died on day 10 (relapse day 2), b alive to day 10 (relapses 4 and 8), c died on day 5 (relapse 3)
    people = pd.DataFrame({"pid": list("abcdef"), "arm": list("AAABBB"), "end": [10.0, 10, 5, 10, 10, 10],
                           "died": [1, 0, 1, 0, 0, 0]})
    cohort = oc.Cohort.from_frame(people, arm="arm", reference="A", follow_up="end", participant_id="pid",
                                  covariates=["died"])
    events = pd.DataFrame({"participant_id": list("abbcd"), "day": [2.0, 4, 8, 3, 6]})
    r = oc.compare_recurrent(cohort, events, terminal="died")
    a = r.with_deaths[r.with_deaths.arm == "A"].set_index("time").mcf
    # days 2, 3, 4: three at risk, one relapse each; day 8: two at risk (c died on day 5), S(8-) = 2/3
    assert a.to_dict() == pytest.approx({2.0: 1 / 3, 3.0: 2 / 3, 4.0: 1.0, 8.0: 1 + (2 / 3) * (1 / 2)})
    assert r.mcf_at([8.0]).set_index("arm").loc["A", "mcf"] == pytest.approx(1.5)  # Nelson-Aalen: as if still followed
    with pytest.raises(oc.InputError, match="terminal column 'dead'"):
        oc.compare_recurrent(cohort, events, terminal="dead")


def test_relapses_read_from_an_export_sheet_become_days_and_name_bad_rows(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = oc.synthetic_cohort(n=40, seed=2)
    people = cohort.df.iloc[:3]
    dates = [(d + pd.Timedelta(days=k)).strftime("%m/%d/%Y") for d, k in zip(people.enroll_date, (5, 40, 12))]
    sheet = pd.DataFrame({"Client": people.participant_id.astype(str), "Relapse Dt": dates})
    with pd.ExcelWriter(tmp_path / "episodes.xlsx") as writer:
        pd.DataFrame({"about": ["export"]}).to_excel(writer, sheet_name="About", index=False)
        sheet.to_excel(writer, sheet_name="Relapses", index=False)
    events = oc.read_events(tmp_path / "episodes.xlsx", cohort, participant_id="Client", date="Relapse Dt",
                            date_format="%m/%d/%Y", sheet="Relapses")
    assert events.day.tolist() == [5.0, 40.0, 12.0]
    sheet.iloc[1, 1] = people.enroll_date.iloc[1].strftime("%m/%d/%Y")  # on the day of enrollment
    sheet.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(oc.InputError, match=r"file 'bad.csv', column 'Relapse Dt' row 2: .* on or before"):
        oc.read_events(tmp_path / "bad.csv", cohort, participant_id="Client", date="Relapse Dt",
                       date_format="%m/%d/%Y")
    with pytest.raises(oc.InputError, match=r"date column \(date=\) or its day column"):
        oc.read_events(tmp_path / "bad.csv", cohort, participant_id="Client")


def test_events_in_any_order_and_ids_of_any_text_type_give_the_same_fit(cgd):
    """The events are matched to participants as text whatever their types (a cohort's text ids kept as Arrow
    text, the events' as whole numbers or words) and in any order (an extract sorted by participant and day is
    checked in one pass, any other sorted first): the same coefficients, and a repeat found in either order."""
    cohort, events = cgd
    expected = oc.compare_recurrent(cohort, events).cox
    people = pd.read_csv(REFERENCE / "cgd_people.csv")
    as_text = people.assign(id=("P" + people.id.astype(str)).astype("string[pyarrow]"))
    text_cohort = oc.Cohort.from_frame(as_text, arm="treat", reference="placebo", follow_up="futime",
                                       participant_id="id", covariates=["age", "inherit", "steroids"])
    shuffled = events.assign(participant_id="P" + events.participant_id.astype(str)).sample(frac=1, random_state=3)
    found = oc.compare_recurrent(text_cohort, shuffled).cox
    assert found.coef.to_numpy() == pytest.approx(expected.coef.to_numpy(), abs=1e-12)
    assert found.robust_se.to_numpy() == pytest.approx(expected.robust_se.to_numpy(), abs=1e-12)
    repeat = pd.concat([shuffled, shuffled.iloc[[5]]], ignore_index=True)
    with pytest.raises(oc.InputError, match=f"events row {len(repeat)}: .*repeats an event"):
        oc.compare_recurrent(text_cohort, repeat)
    unknown = shuffled.assign(participant_id=shuffled.participant_id.where(np.arange(len(shuffled)) != 7, "P9999"))
    with pytest.raises(oc.InputError, match="events row 8: participant 'P9999'.*belongs to no participant"):
        oc.compare_recurrent(text_cohort, unknown)

"""Exposure that starts after enrollment: the naive, time-varying and landmark analyses equal R on jasa.

tests/reference/jasa_reference.json was written by tests/reference/timevarying_reference.R (R 4.2.2, survival
3.5.3, coxph.control(eps = 1e-11)); the R call is beside each comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import outcomes as oc

from .conftest import REFERENCE, load_reference

EST, INF = 1e-6, 1e-4


@pytest.fixture(scope="module")
def jasa() -> oc.Cohort:
    people = pd.read_csv(REFERENCE / "jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna())
    return oc.Cohort.from_frame(people, arm="ever", reference=False, relapse=("futime", "death"),
                                covariates=["age", "surgery"], exposure_start="transplant_day",
                                participant_id="subject")


@pytest.fixture(scope="module")
def result(jasa) -> oc.ExposureComparison:
    return oc.compare_exposure(jasa, adjust=["age", "surgery"], bootstrap=50, seed=1)


def _check(estimate: oc.Estimate, ref: dict, se_key: str = "se") -> None:
    assert estimate.value == pytest.approx(ref["hr"][0], abs=EST)
    assert estimate.se == pytest.approx(ref[se_key][0], abs=EST)
    assert estimate.ci_lower == pytest.approx(ref["hr_lower"][0], abs=INF)
    assert estimate.ci_upper == pytest.approx(ref["hr_upper"][0], abs=INF)
    assert estimate.p_value == pytest.approx(ref["p"][0], abs=INF)


def test_naive_ever_exposed_is_r_s_biased_hr(result):
    # coxph(Surv(futime, death) ~ ever + age + surgery, data = people): HR 0.18
    _check(result.naive, load_reference("jasa")["naive_ever_transplanted"])


def test_time_varying_hr_is_r_s_clustered_fit(result):
    # coxph(Surv(tstart, tstop, death) ~ trt + age + surgery, data = sdata, cluster = subject): HR 1.01
    _check(result.time_varying, load_reference("jasa")["time_varying_efron_cluster"], "se_robust")
    ref = load_reference("jasa")["time_varying_efron_cluster"]
    assert result.cox.coef.tolist() == pytest.approx(ref["coef"], abs=EST)
    assert result.effect is result.time_varying


def test_intervals_are_tmerge_s_rows(result):
    # tmerge(..., death = event(futime, death), trt = tdc(transplant_day)): 170 rows
    expected = pd.read_csv(REFERENCE / "jasa_intervals_tmerge.csv")
    got = result.intervals
    assert len(got) == load_reference("jasa")["tmerge_rows"]
    assert got.tstart.tolist() == expected.tstart.tolist() and got.tstop.tolist() == expected.tstop.tolist()
    assert got.event.tolist() == expected.death.tolist() and got.exposed.tolist() == expected.trt.tolist()


def test_landmark_at_day_30_is_r_s(result):
    # lm <- subset(people, futime > 30); coxph(Surv(futime - 30, death) ~ trt_by_L + age + surgery, data = lm)
    ref = load_reference("jasa")
    _check(result.landmark, ref["landmark_30"])
    # survdiff(Surv(futime - 30, death) ~ trt_by_L, data = lm)
    assert result.landmark_logrank.statistic == pytest.approx(ref["landmark_30_logrank"]["chisq"], abs=EST)
    assert result.landmark_logrank.p_value == pytest.approx(ref["landmark_30_logrank"]["p"], abs=INF)
    # summary(survfit(Surv(futime - 30, death) ~ trt_by_L, data = lm, conf.type = "log-log"), times = ...)
    for row in ref["landmark_30_km"]:
        key = "exposed by day 30" if row["group"].endswith("=1") else "not exposed by day 30"
        at = result.landmark_curves[key].at([row["time"]]).iloc[0]
        assert at.survival == pytest.approx(row["surv"], abs=EST)
        assert at.ci_lower == pytest.approx(row["lower"], abs=INF)
        assert at.ci_upper == pytest.approx(row["upper"], abs=INF)
        assert at.n_at_risk == row["n_risk"]


def test_immortal_time_is_counted_and_explained(result, jasa):
    df = jasa.df
    exposed = df.exposure_start_days.notna()
    assert result.immortal_days == pytest.approx(
        np.minimum(df.exposure_start_days[exposed], df.relapse_days[exposed]).sum())
    assert result.n_ever_exposed == int(exposed.sum()) == 69
    assert "person-days before the first peer contact" in result.notes()[0]


def test_emulated_trial_is_reproducible_and_bounded(jasa, result):
    again = oc.compare_exposure(jasa, adjust=["age", "surgery"], bootstrap=50, seed=1)
    assert again.risk_ratio.value == result.risk_ratio.value
    assert again.risk_ratio.ci_lower == result.risk_ratio.ci_lower
    trial = result.trial
    assert ((trial.risk >= 0) & (trial.risk <= 1)).all()
    assert (trial.ci_lower <= trial.risk).all() and (trial.risk <= trial.ci_upper).all()
    rr = result.risk_ratio
    assert rr.ci_lower < rr.value < rr.ci_upper and np.isfinite(rr.p_value)


def test_the_exposure_start_must_agree_with_the_arm():
    people = pd.read_csv(REFERENCE / "jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna())
    people.loc[5, "ever"] = True  # row 6 says "ever exposed" but has no start day
    with pytest.raises(oc.InputError, match=r"column 'exposure_start_days' row 6: exposure start blank with the arm"):
        oc.Cohort.from_frame(people, arm="ever", reference=False, relapse=("futime", "death"),
                             exposure_start="transplant_day")
    people = pd.read_csv(REFERENCE / "jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna())
    people.loc[3, "transplant_day"] = -2.0
    with pytest.raises(oc.InputError, match=r"row 4: exposure start -2.0 is before enrollment"):
        oc.Cohort.from_frame(people, arm="ever", reference=False, relapse=("futime", "death"),
                             exposure_start="transplant_day")


def test_a_cohort_without_exposure_starts_is_refused_with_the_fix():
    with pytest.raises(oc.InputError, match="exposure_start=COLUMN"):
        oc.compare_exposure(oc.synthetic_cohort(n=100, seed=1))


# ------------------------------------------------------------------------------------- delayed uptake
@pytest.fixture(scope="module")
def delayed_null() -> oc.Cohort:
    return oc.synthetic_cohort(n=4000, seed=11, peer_uptake="delayed", peer_effect=1.0)


def test_delayed_uptake_cohorts_are_consistent_and_reproducible(delayed_null):
    df = delayed_null.df
    exposed = df.exposure_start_days.notna()
    assert (exposed == (df.arm == "peer_clinical")).all()
    assert (df.exposure_start_days[exposed] < df.relapse_days[exposed]).all()
    assert (df.exposure_start_days[exposed] <= df.followup_days[exposed]).all()
    assert 15 <= df.exposure_start_days.median() <= 30  # about three weeks
    assert 0.4 < exposed.mean() < 0.8  # a share never starts
    again = oc.synthetic_cohort(n=4000, seed=11, peer_uptake="delayed", peer_effect=1.0)
    pd.testing.assert_frame_equal(again.df, df)


def test_delayed_uptake_truths():
    null = oc.synthetic_cohort(n=50, seed=1, peer_uptake="delayed", peer_effect=1.0).truth
    assert null["exposure_hr"] == 1.0 and null["risk_ratio_365"] == 1.0 and null["risk_difference_365"] == 0.0
    effect = oc.synthetic_cohort(n=50, seed=1, peer_uptake="delayed", peer_effect=0.7).truth
    risks = effect["risk_365"]
    assert effect["exposure_hr"] == 0.7
    assert risks["start within grace"] < risks["do not start within grace"]
    assert effect["risk_ratio_365"] == pytest.approx(risks["start within grace"] / risks["do not start within grace"])
    assert 0.8 < effect["risk_ratio_365"] < 0.95  # exposure from within a month, for part of the year


def test_naive_comparison_is_biased_where_the_corrected_ones_are_not(delayed_null):
    # under a true null, with confounded uptake: the naive "ever exposed" HR is far below 1
    r = oc.compare_exposure(delayed_null, adjust=list(delayed_null.covariates), bootstrap=50, seed=3)
    assert r.naive.value < 0.6 and r.naive.ci_upper < 1
    assert r.time_varying.ci_lower < 1 < r.time_varying.ci_upper
    assert r.risk_ratio.ci_lower < 1 < r.risk_ratio.ci_upper
    assert r.immortal_days > 0


def test_as_of_view_forgets_exposure_that_starts_later(delayed_null):
    late = delayed_null.df.exposure_start_days.max()
    view = oc.as_of(delayed_null, "2026-03-31")
    df = view.df
    assert (df.exposure_start_days.notna() == (df.arm == "peer_clinical")).all()
    horizon = (pd.Timestamp("2026-03-31") - df.enroll_date).dt.days
    assert (df.exposure_start_days.dropna() <= horizon[df.exposure_start_days.notna()]).all()
    assert late > 0


def test_compare_arms_on_ever_exposed_arms_says_so(jasa):
    with pytest.warns(oc.StatisticalWarning, match="immortal time"):
        res = oc.compare_arms(jasa, "relapse")
    assert any("compare_exposure" in c for c in res.caveats)
    assert res.hazard_ratio.value < 0.5  # the unadjusted "ever transplanted" HR, far below the time-varying 1.01


def test_narration_explains_immortal_time_with_the_cohort_s_numbers(result):
    text = oc.narrate(result)
    assert f"{result.immortal_days:,.0f} days before the first contact" in text
    assert f"{result.naive.value:.2f}" in text and f"{result.time_varying.value:.2f}" in text
    assert "immortal time" in text and "nan" not in text


# ------------------------------------------------------------------------------------- odd exposure shapes
def _shaped(starts) -> oc.Cohort:
    base = oc.synthetic_cohort(n=300, seed=8).df
    df = base.assign(exposure_start_days=starts(base), arm=lambda d: np.where(
        pd.Series(starts(base)).notna().to_numpy(), "peer_clinical", "clinical"))
    return oc.Cohort(df, reference="clinical", as_of="2026-09-30", covariates=["age", "sex"])


@pytest.mark.parametrize("name, starts", [
    ("nobody exposed", lambda d: np.full(len(d), np.nan)),
    ("everyone exposed at day 0", lambda d: np.zeros(len(d))),
    ("a single exposed participant", lambda d: np.r_[[1.0], np.full(len(d) - 1, np.nan)]),
    ("exposure on the event day", lambda d: np.where(d.relapse_event == 1, d.relapse_days, np.nan)),
    ("exposure at the last contact", lambda d: d.followup_days.to_numpy(float)),
])
def test_odd_exposure_shapes_give_a_result_or_a_reason(name, starts):
    """Every shape gives finite numbers or an InputError / NotEstimableError with the reason, never a crash."""
    try:
        cohort = _shaped(starts)
        r = oc.compare_exposure(cohort, adjust=["age"], bootstrap=50)
    except (oc.InputError, oc.NotEstimableError) as exc:
        assert str(exc) and "nan" not in str(exc).lower()
        return
    numbers = r.table()[["value", "ci_lower", "ci_upper", "p_value"]].to_numpy(float)
    assert np.isfinite(numbers).all(), name
    assert "nan" not in r.to_markdown().lower()


def test_exposure_on_the_event_day_is_ignored_for_that_outcome_and_counted():
    on_event_day = lambda d: (d.relapse_event == 1) & (d.index % 2 == 0)  # noqa: E731
    cohort = _shaped(lambda d: np.where(on_event_day(d), d.relapse_days, np.where(d.index % 3 == 0, 5.0, np.nan)))
    r = oc.compare_exposure(cohort, adjust=["age"], bootstrap=50)
    df = cohort.df
    assert r.n_starts_ignored == int((df.exposure_start_days >= df.relapse_days).sum()) > on_event_day(df).sum() > 0
    ids = cohort.df.participant_id[on_event_day(cohort.df)]
    assert not r.intervals.groupby("participant_id").exposed.max()[ids].any()
    assert any("ignored" in note for note in r.notes())


# ------------------------------------------------------------------------------------- a program's export
def _export(tmp_path, peer_dates):
    df = pd.DataFrame({
        "Client ID": ["C1", "C2", "C3", "C4"], "Program Track": ["Standard", "PRSS", "Standard", "PRSS"],
        "Intake Date": ["01/05/2026", "01/12/2026", "02/02/2026", "02/09/2026"],
        "First Relapse Date": ["02/01/2026", "", "04/15/2026", ""],
        "Last Contact": ["06/01/2026", "06/15/2026", "06/20/2026", "06/25/2026"],
        "First Peer Contact": peer_dates,
    })
    path = tmp_path / "export.csv"
    df.to_csv(path, index=False)
    mapping = {"columns": {"participant_id": "Client ID", "arm": "Program Track", "enroll_date": "Intake Date",
                           "relapse_date": "First Relapse Date", "last_contact_date": "Last Contact",
                           "peer_start_date": "First Peer Contact"},
               "values": {"arm": {"Standard": "clinical", "PRSS": "peer_clinical"}}, "dates": {"format": "%m/%d/%Y"}}
    return path, mapping


def test_a_peer_start_date_in_an_export_becomes_days_from_enrollment(tmp_path):
    path, mapping = _export(tmp_path, ["", "02/02/2026", "", "03/01/2026"])
    cohort = oc.read_extract(path, mapping=mapping, as_of="2026-06-30")
    assert cohort.df.exposure_start_days.tolist()[1::2] == [21.0, 20.0]
    assert cohort.df.exposure_start_days.isna().tolist()[0::2] == [True, True]
    # as known on 2026-02-15, C4's start (March) had not happened yet: not exposed then
    earlier = oc.read_extract(path, mapping=mapping, as_of="2026-02-15")
    row = earlier.df.set_index("participant_id").loc["C4"]
    assert row.arm == "clinical" and np.isnan(row.exposure_start_days)


@pytest.mark.parametrize("dates, message", [
    (["01/20/2026", "02/02/2026", "", "03/01/2026"], r"row 1: a peer start date '01/20/2026' is given, but the arm"),
    (["", "", "", "03/01/2026"], r"row 2: peer support with no start date"),
    (["", "01/01/2026", "", "03/01/2026"], r"row 2: peer start date '01/01/2026' is before enrollment"),
    (["", "02/02/2026", "", "06/30/2026"], r"row 4: peer start date '06/30/2026' is after the last contact"),
])
def test_a_bad_peer_start_date_names_the_row_and_the_fix(tmp_path, dates, message):
    path, mapping = _export(tmp_path, dates)
    with pytest.raises(oc.InputError, match=message):
        oc.read_extract(path, mapping=mapping, as_of="2026-06-30")


def test_the_quarterly_report_leads_with_exposure_from_its_start():
    from outcomes.outputs.report.sections import quarterly_document
    from outcomes.present.quarter import compute_quarter

    cohort = oc.synthetic_cohort(n=1500, seed=3, peer_uptake="delayed", peer_effect=0.7)
    results = compute_quarter(cohort, "2026Q3", bootstrap=50)
    assert results.exposure is not None and "relapse from the first peer contact" not in results.not_estimable
    table = results.tables["exposure"]
    assert table.Measure.iloc[0].startswith("Hazard ratio, peer support from its first contact")
    assert "not to be cited" in table.Measure.iloc[-1]
    report = quarterly_document(results, program="", funder="", grant_id="", logo=None)
    relapse = next(section for section in report.sections if section.title == "Time to relapse")
    assert "immortal time" in relapse.text[0]
    assert relapse.tables[0].name == "exposure" and relapse.figures[0].name == "exposure_hazard_ratios"
    hr = results.exposure.time_varying  # the summary uses the corrected estimate, not the "ever exposed" one
    assert any("counted from the first peer contact" in line and f"{hr.value:.2f}" in line for line in results.summary)


def test_the_articles_relapse_claims_are_set_against_the_emulated_trial():
    cohort = oc.synthetic_cohort(n=1500, seed=3, peer_uptake="delayed", peer_effect=0.7)
    exposure = oc.compare_exposure(cohort, adjust=[c for c in cohort.covariates if cohort.df[c].notna().any()])
    rec = oc.reconcile(cohort, results={"exposure": exposure})
    rows = rec.table().set_index("estimand")
    rr = rows.loc[["relapse_risk_ratio_12m"]].iloc[0]
    assert rr.estimate == pytest.approx(exposure.risk_ratio.value)
    assert (rr.ci_lower, rr.ci_upper) == pytest.approx((exposure.risk_ratio.ci_lower, exposure.risk_ratio.ci_upper))
    sobriety = rec.rows.set_index("estimand").loc[["sobriety_ratio_12m"]].iloc[0]  # not estimable: in rows only
    assert sobriety.verdict.startswith("not estimable: peer support started after enrollment")


def _weekly_contacts(cohort: oc.Cohort) -> pd.DataFrame:
    """A contact every week from the first one until the end of follow-up for relapse."""
    df = cohort.df[cohort.df.exposure_start_days.notna()]
    rows = [(pid, day) for pid, first, end in zip(df.participant_id, df.exposure_start_days, df.relapse_days)
            for day in np.arange(first, end, 7.0)]
    return pd.DataFrame(rows, columns=["participant_id", "day"])


def test_dose_is_estimated_from_contacts_and_finds_no_dose_where_there_is_none():
    # exposure lowers the hazard (0.7), but how many contacts there were does not: per 5 contacts, HR about 1
    cohort = oc.synthetic_cohort(n=3000, seed=21, peer_uptake="delayed", peer_effect=0.7)
    r = oc.compare_exposure(cohort, adjust=["age", "co_occurring_mh"], bootstrap=50,
                            contacts=_weekly_contacts(cohort))
    assert r.dose is not None and r.dose.ci_lower < 1 < r.dose.ci_upper
    assert "per 5 peer contacts" in r.table().analysis.iloc[-1]
    assert r.time_varying.ci_upper < 1  # the exposure effect itself is still found
    with pytest.raises(oc.InputError, match="contacts row 0: participant 'nobody' is not in the cohort"):
        oc.compare_exposure(cohort, bootstrap=50, contacts=pd.DataFrame({"participant_id": ["nobody"], "day": [3]}))


def test_a_scanned_cohort_is_pointed_to_its_rows(tmp_path):
    path = oc.synthetic_cohort(n=200, seed=1).write(tmp_path / "c.parquet")
    scanned = oc.scan(path, arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"))
    with pytest.raises(oc.InputError, match=r"load its rows with .to_cohort\(\) first"):
        oc.compare_exposure(scanned)


def test_the_landmark_analysis_of_a_scanned_cohort_equals_r_and_the_rows(tmp_path, jasa):
    # lm <- subset(people, futime > 30); coxph(Surv(futime - 30, death) ~ trt_by_L + age + surgery, data = lm)
    people = pd.read_csv(REFERENCE / "jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna().astype(int))
    people.to_parquet(tmp_path / "jasa.parquet")
    scanned = oc.scan(tmp_path / "jasa.parquet", arm="ever", reference=0, relapse=("futime", "death"),
                      covariates=["age", "surgery"], exposure_start="transplant_day", participant_id="subject")
    in_engine = oc.compare_landmark(scanned, adjust=["age", "surgery"])
    in_memory = oc.compare_landmark(jasa, adjust=["age", "surgery"])
    ref = load_reference("jasa")
    _check(in_engine.hazard_ratio, ref["landmark_30"])
    assert in_engine.hazard_ratio.value == pytest.approx(in_memory.hazard_ratio.value, abs=1e-10)
    assert in_engine.logrank.statistic == pytest.approx(ref["landmark_30_logrank"]["chisq"], abs=EST)
    assert in_engine.counts.n.sum() == ref["landmark_30"]["n_at_landmark"]


def test_a_scanned_exposure_start_is_checked_in_the_engine(tmp_path):
    people = pd.read_csv(REFERENCE / "jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna().astype(int))
    people.loc[3, "transplant_day"] = -4.0
    people.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(oc.InputError, match=r"column 'exposure_start_days' row 4: exposure start is before enrollment"):
        oc.scan(tmp_path / "bad.parquet", arm="ever", reference=0, relapse=("futime", "death"),
                exposure_start="transplant_day")


def test_contacts_may_be_given_by_date():
    cohort = oc.synthetic_cohort(n=3000, seed=21, peer_uptake="delayed", peer_effect=0.7)
    by_day = _weekly_contacts(cohort)
    enrolled = cohort.df.set_index("participant_id").enroll_date
    by_date = pd.DataFrame({"participant_id": by_day.participant_id,
                            "date": enrolled[by_day.participant_id].to_numpy() + pd.to_timedelta(by_day.day, "D")})
    a = oc.compare_exposure(cohort, adjust=["age"], bootstrap=50, contacts=by_day)
    b = oc.compare_exposure(cohort, adjust=["age"], bootstrap=50, contacts=by_date)
    assert b.dose.value == pytest.approx(a.dose.value, abs=1e-12)


def test_the_time_varying_model_of_a_scanned_cohort_equals_r_and_the_rows(tmp_path, jasa):
    # coxph(Surv(tstart, tstop, death) ~ trt + age + surgery, data = tmerge(...)): model SE in the engine,
    # robust SE (cluster = subject) from the rows
    people = pd.read_csv(REFERENCE / "jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna().astype(int))
    people.to_parquet(tmp_path / "jasa.parquet")
    scanned = oc.scan(tmp_path / "jasa.parquet", arm="ever", reference=0, relapse=("futime", "death"),
                      covariates=["age", "surgery"], exposure_start="transplant_day", participant_id="subject")
    ref = load_reference("jasa")
    in_engine = oc.compare_time_varying(scanned, adjust=["age", "surgery"])
    assert np.log(in_engine.value) == pytest.approx(ref["time_varying_efron"]["coef"][0], abs=1e-6)
    assert in_engine.se == pytest.approx(ref["time_varying_efron"]["se"][0], abs=1e-6)
    assert "model SE" in in_engine.measure
    in_memory = oc.compare_time_varying(jasa, adjust=["age", "surgery"])
    assert in_memory.value == pytest.approx(in_engine.value, abs=1e-10)
    assert in_memory.se == pytest.approx(ref["time_varying_efron_cluster"]["se_robust"][0], abs=1e-6)
    counts = scanned.interval_counts("relapse", [])
    assert counts.removed.sum() == ref["tmerge_rows"] and counts.events.sum() == 75

"""Episodes: (start, stop] rows equal to R's tmerge, row for row, and the checks at the door.

tests/reference/jasa_intervals_tmerge.csv and cgd_intervals_tmerge.csv were written by
tests/reference/timevarying_reference.R (R 4.2.2, survival 3.5.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.model.episodes import build_episodes
from outcomes.stats import fit_cox
from outcomes.stats.response import SurvivalResponse

from .conftest import REFERENCE, load_reference


def test_jasa_episodes_equal_tmerge_row_for_row():
    # tmerge(people[, c("subject", "age", "year", "surgery")], people, id = subject,
    #        death = event(futime, death), trt = tdc(transplant_day))
    people = pd.read_csv(REFERENCE / "jasa_people.csv")
    ep = build_episodes(people, id="subject", end="futime", end_event="death", changes={"trt": "transplant_day"},
                        carry=["age", "year", "surgery"])
    expected = pd.read_csv(REFERENCE / "jasa_intervals_tmerge.csv")
    assert len(ep) == load_reference("jasa")["tmerge_rows"] == 170
    pd.testing.assert_frame_equal(ep.df, expected, check_dtype=False)
    assert ep.ignored.rows.sum() == 0


def test_cgd_episodes_equal_tmerge_row_for_row():
    # tmerge(people, people, id = id, tstop = futime); tmerge(cg, ev, id = id, infect = event(day));
    # tmerge(cg, cg, id = id, enum = cumtdc(tstart))
    people = pd.read_csv(REFERENCE / "cgd_people.csv")
    events = pd.read_csv(REFERENCE / "cgd_events.csv")
    ep = build_episodes(people, id="id", end="futime", events=events, event_time="day", event_name="infect",
                        episode="enum", carry=[c for c in people.columns if c != "id"])
    expected = pd.read_csv(REFERENCE / "cgd_intervals_tmerge.csv")
    assert len(ep) == 203 and ep.df.infect.sum() == load_reference("cgd")["events"] == 76
    pd.testing.assert_frame_equal(ep.df, expected, check_dtype=False)


def test_episodes_response_fits_the_time_varying_cox_of_r():
    # coxph(Surv(tstart, tstop, death) ~ trt + age + surgery, data = sdata, cluster = subject)
    people = pd.read_csv(REFERENCE / "jasa_people.csv")
    ep = build_episodes(people, id="subject", end="futime", end_event="death", changes={"trt": "transplant_day"})
    response = ep.response()
    assert (response.n_rows, response.n_participants, response.n_events) == (170, 103, 75)
    fit = response.cox(ep.df[["trt", "age", "surgery"]].to_numpy(float), terms=["trt", "age", "surgery"], robust=True)
    ref = load_reference("jasa")["time_varying_efron_cluster"]
    assert fit.coef == pytest.approx(ref["coef"], abs=1e-6)
    assert fit.se == pytest.approx(ref["se_robust"], abs=1e-6)
    assert fit.model_se == pytest.approx(ref["se_model"], abs=1e-6)


def test_tie_rules_by_hand():
    people = pd.DataFrame({"pid": ["a", "b", "c", "d"], "end": [10.0, 10.0, 10.0, 10.0], "died": [1, 0, 1, 0],
                           "peer": [0.0, 10.0, 4.0, None]})
    events = pd.DataFrame({"pid": ["a", "c", "c", "d", "d"], "day": [10.0, 4.0, 7.0, 0.0, 12.0]})
    ep = build_episodes(people, id="pid", end="end", end_event="died", changes={"on": "peer"}, events=events,
                        episode="k")
    rows = ep.df[["pid", "tstart", "tstop", "died", "event", "on", "k"]].values.tolist()
    assert rows == [
        ["a", 0.0, 10.0, 1, 1, 1, 1],   # a change on day 0 applies from the start; an event at the end marks it
        ["b", 0.0, 10.0, 0, 0, 0, 1],   # a change on the last day never applies
        ["c", 0.0, 4.0, 0, 1, 0, 1],    # an event and a change on day 4: the event ends (0, 4] ...
        ["c", 4.0, 7.0, 0, 1, 1, 2],    # ... and the change applies from the interval that starts at 4
        ["c", 7.0, 10.0, 1, 0, 1, 3],
        ["d", 0.0, 10.0, 0, 0, 0, 1],   # events on day 0 and after the end are left out, and counted
    ]
    assert dict(zip(ep.ignored.what, ep.ignored.rows)) == {"events outside follow-up": 2,
                                                           "on: change at or after the end of follow-up": 1}


@pytest.mark.parametrize("change, events, message", [
    ({"peer": [-3.0, None]}, None, r"people row 0, column 'peer': day -3 is before enrollment"),
    (None, {"pid": ["a", "zz"], "day": [3.0, 4.0]}, r"events row 1: participant 'zz' is not in the people table"),
    (None, {"pid": ["a", "a"], "day": [3.0, 3.0]}, r"events row 1: participant 'a' has two events on day 3"),
    (None, {"pid": ["a", "b"], "day": [3.0, None]}, r"events row 1, column 'day'"),
])
def test_bad_rows_are_named(change, events, message):
    people = pd.DataFrame({"pid": ["a", "b"], "end": [10.0, 20.0], **(change or {})})
    with pytest.raises(oc.InputError, match=message):
        build_episodes(people, id="pid", end="end", changes={"on": "peer"} if change else None,
                       events=None if events is None else pd.DataFrame(events))


def test_people_table_is_checked():
    with pytest.raises(oc.InputError, match=r"people row 1: participant 'a' appears twice"):
        build_episodes(pd.DataFrame({"pid": ["a", "a"], "end": [1.0, 2.0]}), id="pid", end="end")
    with pytest.raises(oc.InputError, match=r"people row 0, column 'end': end of follow-up 0"):
        build_episodes(pd.DataFrame({"pid": ["a"], "end": [0.0]}), id="pid", end="end")
    with pytest.raises(oc.InputError, match=r"no column\(s\) \['futime'\]"):
        build_episodes(pd.DataFrame({"pid": ["a"], "end": [1.0]}), id="pid", end="futime")


def test_survival_response_names_the_bad_row():
    with pytest.raises(oc.InputError, match="entry of row 1 does not start before"):
        SurvivalResponse(np.array([3.0, 5]), np.array([1, 0]), entry=np.array([0.0, 5]))
    with pytest.raises(oc.InputError, match="event of row 0 is not 0 or 1"):
        SurvivalResponse(np.array([3.0]), np.array([2]))
    with pytest.raises(oc.InputError, match="weights has 1 values for 2 rows"):
        SurvivalResponse(np.array([3.0, 4]), np.array([1, 0]), weights=np.array([1.0]))


def test_unsplit_response_gives_the_plain_fit():
    cohort = oc.synthetic_cohort(n=200, seed=4)
    df = cohort.df
    X = (df.arm == "peer_clinical").to_numpy(float)[:, None]
    r = SurvivalResponse(df.relapse_days.to_numpy(), df.relapse_event.to_numpy())
    plain = fit_cox(X, df.relapse_days.to_numpy(float), df.relapse_event.to_numpy(float), terms=["arm"])
    assert r.cox(X, terms=["arm"]).coef == pytest.approx(plain.coef, abs=1e-12)
    assert r.kaplan_meier().survival == pytest.approx(
        oc.stats.kaplan_meier(df.relapse_days.to_numpy(float), df.relapse_event.to_numpy(float)).survival)


def test_counts_are_rows_on_or_before_each_interval_start_as_cumtdc():
    # tmerge(..., contacts = cumtdc(day)): a count applies from the interval that starts on its day
    people = pd.DataFrame({"pid": ["a", "b"], "end": [100.0, 50.0], "died": [1, 0]})
    contacts = pd.DataFrame({"pid": ["a", "a", "a", "b", "a"], "day": [10.0, 10.0, 30.0, 60.0, 0.0]})
    ep = build_episodes(people, id="pid", end="end", end_event="died", counts={"contacts": contacts})
    assert ep.df[["pid", "tstart", "tstop", "died", "contacts"]].values.tolist() == [
        ["a", 0.0, 10.0, 0, 1],    # the day-0 contact counts from the start
        ["a", 10.0, 30.0, 0, 3],   # two contacts on day 10
        ["a", 30.0, 100.0, 1, 4],
        ["b", 0.0, 50.0, 0, 0],    # a contact after the end of follow-up cuts nothing
    ]
    with pytest.raises(oc.InputError, match="counted table row 0: participant 'zz'"):
        build_episodes(people, id="pid", end="end", counts={"c": pd.DataFrame({"pid": ["zz"], "day": [3.0]})})

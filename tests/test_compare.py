"""compare_arms: hand-checkable cases, external checks (lifelines, numerical derivatives), bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.stats import fit_cox, kaplan_meier, logrank_test, restricted_mean

from .conftest import REFERENCE


def frame(times, events, arms, **extra) -> oc.Cohort:
    df = pd.DataFrame({"t": times, "e": events, "arm": arms, **extra})
    return oc.Cohort.from_frame(df, arm="arm", reference="a", relapse=("t", "e"), covariates=list(extra))


# ----------------------------------------------------------------------------- hand-computed cases
def test_kaplan_meier_by_hand():
    km = kaplan_meier(np.array([1, 2, 2, 3, 4.0]), np.array([1, 1, 0, 1, 0]))
    # at risk 5, 4, 2, 1; S = 4/5, 4/5 * 3/4 = 0.6, 0.6 * 1/2 = 0.3
    np.testing.assert_allclose(km.survival, [0.8, 0.6, 0.3, 0.3])
    assert km.n_at_risk.tolist() == [5, 4, 2, 1]
    # Greenwood: 1/(5*4) + 1/(4*3) + 1/(2*1)
    assert km.std_err[2] == pytest.approx(math.sqrt(1 / 20 + 1 / 12 + 1 / 2))


def test_median_takes_the_midpoint_of_a_flat_at_one_half():
    km = kaplan_meier(np.array([1, 2, 3, 4.0]), np.array([1, 1, 1, 1]))  # S = .75 .5 .25 0
    assert km.median()[0] == 2.5  # R: median of survfit is 2.5


def test_logrank_by_hand():
    t = np.arange(1, 7.0)
    g = np.array([0, 0, 0, 1, 1, 1], dtype=bool)
    res = logrank_test(t, np.ones(6), g, ("a", "b"))
    # E_b = 3/6 + 3/5 + 3/4 + 1 + 1 + 1 = 4.85; V = .25 + .24 + .1875 = .6775
    assert res.statistic == pytest.approx((3 - 4.85) ** 2 / 0.6775)
    assert res.expected.tolist() == pytest.approx([1.15, 4.85])


def test_cox_by_hand_without_ties():
    # risk sets {x=1, x=0, x=1} then {x=0, x=1}: score 1 - 2u/(2u+1) - u/(1+u) = 0 gives u = 1/sqrt(2)
    fit = fit_cox(np.array([[1.0], [0.0], [1.0]]), np.array([1, 2, 3.0]), np.array([1, 1, 0]), terms=["x"])
    assert fit.coef[0] == pytest.approx(-0.5 * math.log(2), abs=1e-9)


def test_efron_and_breslow_null_loglik_by_hand():
    X = np.array([[0.0], [1.0], [0.0], [1.0]])
    t, e = np.array([1, 1, 2, 3.0]), np.array([1, 1, 0, 1])
    efron = fit_cox(X, t, e, terms=["x"], ties="efron")
    breslow = fit_cox(X, t, e, terms=["x"], ties="breslow")
    # two tied deaths among four: Efron -log(4) - log(4 - 2/2); Breslow -2 log(4); then the last death alone
    assert efron.loglik_null == pytest.approx(-math.log(4) - math.log(3) - math.log(1))
    assert breslow.loglik_null == pytest.approx(-2 * math.log(4) - math.log(1))


def test_rmst_and_its_variance_by_hand():
    km = kaplan_meier(np.array([1, 2, 3, 4.0]), np.ones(4))
    value, se = restricted_mean(km, 4.0)
    # area 1 + .75 + .5 + .25; variance 1.5^2/(4*3) + .75^2/(3*2) + .25^2/(2*1)
    assert value == pytest.approx(2.5)
    assert se == pytest.approx(math.sqrt(2.25 / 12 + 0.5625 / 6 + 0.0625 / 2))


# ----------------------------------------------------------------------------- external checks
def test_robust_se_equals_the_numerical_infinitesimal_jackknife():
    # R's robust variance is the infinitesimal jackknife: the derivative of beta-hat w.r.t. each case weight.
    d = pd.read_csv(REFERENCE / "rossi.csv")
    X = np.column_stack([d.fin == "yes", d.age, d.prio]).astype(float)
    t, e = d.week.to_numpy(float), d.arrest.to_numpy(float)  # weeks: many tied deaths (Efron)
    fit = fit_cox(X, t, e, terms=["fin", "age", "prio"], robust=True)
    base = fit_cox(X, t, e, terms=["fin", "age", "prio"], tol=1e-13).coef
    h = 1e-6
    rows = []
    for i in range(len(t)):
        w = np.ones(len(t))
        w[i] += h
        rows.append((fit_cox(X, t, e, terms=["fin", "age", "prio"], weights=w, tol=1e-13).coef - base) / h)
    jackknife_se = np.sqrt((np.array(rows) ** 2).sum(axis=0))
    np.testing.assert_allclose(fit.se, jackknife_se, rtol=1e-5)


def test_robust_and_stratified_cox_match_lifelines():
    from lifelines import CoxPHFitter

    d = pd.read_csv(REFERENCE / "rossi.csv")
    rng = np.random.default_rng(0)
    d["t"] = d.week + rng.random(len(d)) * 0.5  # no ties: lifelines' score residuals are exact there
    X = pd.DataFrame({"fin": (d.fin == "yes").astype(float), "age": d.age, "prio": d.prio, "t": d.t, "e": d.arrest})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        robust = CoxPHFitter().fit(X, "t", "e", robust=True).summary
        strat = CoxPHFitter().fit(X.assign(race=d.race), "t", "e", strata=["race"]).summary
    ours = fit_cox(X[["fin", "age", "prio"]].to_numpy(), X.t.to_numpy(), X.e.to_numpy(float),
                   terms=["fin", "age", "prio"], robust=True)
    np.testing.assert_allclose(ours.se, robust["se(coef)"], rtol=1e-6)
    ours_strat = fit_cox(X[["fin", "age", "prio"]].to_numpy(), X.t.to_numpy(), X.e.to_numpy(float),
                         terms=["fin", "age", "prio"], strata=d.race.to_numpy())
    np.testing.assert_allclose(ours_strat.coef, strat["coef"], atol=1e-6)
    np.testing.assert_allclose(ours_strat.se, strat["se(coef)"], rtol=1e-6)


def test_stratified_logrank_is_the_sum_over_strata(rossi):
    res = oc.compare_arms(rossi, strata="race")
    df = rossi.df
    o_e, var = 0.0, 0.0
    for _, part in df.groupby("race"):
        sub = logrank_test(part.relapse_days, part.relapse_event, part.arm == "yes", ("no", "yes"))
        o = sub.observed[1] - sub.expected[1]
        o_e += o
        var += o**2 / sub.statistic
    assert res.logrank.statistic == pytest.approx(o_e**2 / var)
    assert res.logrank.strata == "race"


# ----------------------------------------------------------------------------- behaviour and bad input
def test_retention_counts_only_dropout_as_the_event():
    df = pd.DataFrame({
        "pid": list("abcdefgh"),
        "days": [10, 20, 180, 180, 15, 180, 60, 180],
        "reason": ["dropout", "dropout", "completed", "transferred", "dropout", "completed", "dropout", "in_treatment"],
        "arm": ["x"] * 4 + ["y"] * 4,
    })
    df["reason"] = df["reason"]
    cohort = oc.Cohort.from_frame(df, arm="arm", reference="x", retention=("days", "reason"), participant_id="pid")
    res = oc.compare_arms(cohort, "retention")
    assert res.counts.events.tolist() == [2, 2]
    assert res.event == "dropout"


def test_missing_covariates_are_left_out_with_a_counted_warning(rossi):
    df = rossi.df.copy()
    df.loc[[3, 10, 50], "age"] = np.nan
    cohort = oc.Cohort(df, reference="no", covariates=rossi.covariates)
    with pytest.warns(oc.StatisticalWarning, match=r"3 of 432 participants have a missing covariate \(age: 3\)"):
        res = oc.compare_arms(cohort, adjust=["age", "prio"])
    assert res.cox_n == 429 and res.n_excluded == 3
    assert res.counts.n.sum() == 432  # Kaplan-Meier keeps everyone


def test_an_arm_without_events_is_not_estimable():
    cohort = frame([5, 6, 7, 8], [1, 1, 0, 0], ["a", "a", "b", "b"])
    with pytest.raises(oc.NotEstimableError, match=r"arm 'b' has no relapse events among its <11 participants"):
        oc.compare_arms(cohort)


def test_an_infinite_hazard_ratio_is_reported_not_printed():
    # every event in arm a happens while arm b, with no events yet, is at risk: the HR drifts to 0
    cohort = frame([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 0, 1, 1, 0, 0], list("aaaabbbb"))
    with pytest.raises(oc.ConvergenceError, match=r"coefficient of 'armb' is drifting to infinity"):
        oc.compare_arms(cohort)


def test_horizon_past_follow_up_is_refused(rossi):
    with pytest.raises(oc.InputError, match=r"horizon 60 days is past the follow-up of arm '(no|yes)', which ends at day 52"):
        oc.compare_arms(rossi, horizon=60)
    res = oc.compare_arms(rossi)
    assert res.horizon == 52 and "both arms" in res.horizon_rule
    with pytest.raises(oc.NotEstimableError, match="survival at day 53 is not estimable"):
        res.survival_at([10, 53])


def test_bad_arguments(rossi):
    with pytest.raises(oc.InputError, match="outcome must be one of"):
        oc.compare_arms(rossi, "death")
    with pytest.raises(oc.InputError, match="has no retention outcome"):
        oc.compare_arms(rossi, "retention")
    with pytest.raises(oc.InputError, match="alpha must be between 0 and 1"):
        oc.compare_arms(rossi, alpha=5)
    with pytest.raises(oc.InputError, match="covariate 'income' is not a column"):
        oc.compare_arms(rossi, adjust=["income"])
    with pytest.raises(oc.InputError, match="strata column 'state'"):
        oc.compare_arms(rossi, strata="state")


def test_alpha_changes_every_interval(rossi):
    wide = oc.compare_arms(rossi, alpha=0.01)
    narrow = oc.compare_arms(rossi, alpha=0.10)
    assert wide.hazard_ratio.ci_lower < narrow.hazard_ratio.ci_lower
    assert wide.hazard_ratio.value == pytest.approx(narrow.hazard_ratio.value)
    assert (wide.rmst.ci_upper > narrow.rmst.ci_upper).all()


# ----------------------------------------------------------------------------- the result protocol
@pytest.fixture(scope="module")
def results():
    cohort = oc.synthetic_cohort(n=1500, seed=4)
    res = oc.compare_arms(cohort, "relapse", adjust=["age", "co_occurring_mh"])
    return [res, res.hazard_ratio, res.rmst_difference, res.logrank]


def test_every_result_honours_the_protocol(results):
    import dataclasses
    import json

    from matplotlib.axes import Axes

    for result in results:
        assert dataclasses.is_dataclass(result)
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.alpha = 0.5  # type: ignore[misc]
        table = result.table()
        assert isinstance(table, pd.DataFrame) and len(table)
        assert "ci_lower" in table.columns or "statistic" in table.columns or "rmst_ci_lower" in table.columns
        assert isinstance(result.plot(), Axes)
        assert result.to_markdown().startswith("**")
        assert "<div>" in result._repr_html_()
        json.dumps(result.to_dict())


def test_plot_draws_on_the_axes_given(results):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    res = results[0]
    assert res.plot(ax=ax) is ax
    assert [line.get_label() for line in ax.get_lines()] == ["Clinical only", "Peer support + clinical"]


def test_markdown_suppresses_small_counts():
    cohort = frame([1, 3, 5, 7, 2, 4, 6, 8], [1, 1, 1, 0, 1, 0, 1, 0], list("aaaabbbb"))
    text = oc.compare_arms(cohort).to_markdown()
    assert "<11" in text
    assert "| 4 |" not in text and "| 3 |" not in text and "| 2 |" not in text


def test_the_counting_fast_path_equals_the_general_path():
    # unadjusted compare_arms uses the (time x arm) table; robust=True forces the row-level code
    cohort = oc.synthetic_cohort(n=30_000, seed=17)
    fast = oc.compare_arms(cohort, "relapse")
    rows = oc.compare_arms(cohort, "relapse", robust=True)
    assert fast.cox.coef.item() == pytest.approx(rows.cox.coef.item(), abs=1e-10)
    assert fast.cox.se.item() == pytest.approx(rows.curves and fit_cox(
        (cohort.df.arm == "peer_clinical").to_numpy(float)[:, None], cohort.df.relapse_days.to_numpy(),
        cohort.df.relapse_event.to_numpy(float), terms=["a"]).model_se[0], abs=1e-12)
    assert fast.logrank.statistic == pytest.approx(rows.logrank.statistic, rel=1e-12)
    pd.testing.assert_frame_equal(fast.km, rows.km)
    pd.testing.assert_frame_equal(fast.rmst, rows.rmst)
    assert fast.ph_test.statistic.iloc[0] == pytest.approx(rows.ph_test.statistic.iloc[0], rel=1e-9)
    retention_fast = oc.compare_arms(cohort, "retention")
    retention_rows = oc.compare_arms(cohort, "retention", robust=True)
    assert retention_fast.hazard_ratio.value == pytest.approx(retention_rows.hazard_ratio.value, rel=1e-12)

"""Propensity weighting, balance, E-values and parametric extrapolation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.stats.logistic import logistic_fit

CONFOUNDERS = ["age", "sex", "primary_substance", "co_occurring_mh", "prior_treatments", "housing_unstable", "site"]


@pytest.fixture(scope="module")
def selected() -> oc.Cohort:
    return oc.synthetic_cohort(n=20_000, seed=0)  # self-selected: sicker people join peer support more often


@pytest.fixture(scope="module")
def iptw(selected) -> oc.ArmComparison:
    return oc.compare_arms(selected, "relapse", adjust=CONFOUNDERS, weights="iptw", bootstrap=100, seed=1,
                           variance="bootstrap")


def test_naive_misses_and_iptw_covers_the_marginal_truth(selected, iptw):
    truth = selected.truth["marginal_hr_relapse"]
    naive = oc.compare_arms(selected, "relapse").hazard_ratio
    assert not naive.ci_lower <= truth <= naive.ci_upper
    assert iptw.hazard_ratio.ci_lower <= truth <= iptw.hazard_ratio.ci_upper
    assert iptw.weights == "iptw" and iptw.cox.term.tolist() == ["armpeer_clinical"]


def test_every_weighted_smd_is_below_one_tenth(selected):
    bal = oc.balance(selected, CONFOUNDERS, weights="iptw")
    table = bal.table()
    assert table.columns.tolist() == ["covariate", "smd_before", "smd_after"]
    assert (table.smd_after.abs() < 0.1).all()
    assert table.set_index("covariate").loc["co_occurring_mh", "smd_before"] > 0.3  # visibly confounded before
    unweighted = oc.balance(selected, ["co_occurring_mh"])
    assert unweighted.table().smd_after.tolist() == unweighted.table().smd_before.tolist()


def test_smd_by_hand():
    df = pd.DataFrame({"participant_id": list("abcdef"), "arm": ["x", "x", "x", "y", "y", "y"],
                       "relapse_days": [10.0] * 6, "relapse_event": [1, 0, 1, 0, 1, 0], "z": [0, 0, 1, 1, 1, 0]})
    bal = oc.balance(oc.Cohort(df, reference="x", covariates=["z"]), ["z"])
    # p1 = 2/3, p0 = 1/3, variances 2/9 each: SMD = (1/3) / sqrt(2/9)
    assert bal.table().smd_before.item() == pytest.approx((1 / 3) / np.sqrt(2 / 9))


def test_iptw_keeps_unweighted_at_risk_counts_and_bootstrap_intervals(selected, iptw):
    km = iptw.km[iptw.km.arm == "clinical"]
    assert km.n_at_risk.iloc[0] == (selected.df.arm == "clinical").sum()
    assert np.allclose(km.n_at_risk, np.round(km.n_at_risk))
    at = iptw.survival_at([365]).set_index("arm")
    assert (at.ci_lower < at.survival).all() and (at.survival < at.ci_upper).all()
    assert iptw.bootstrap == 100 and "bootstrap" in " ".join(iptw.notes())
    # the test that goes with the weighted hazard ratio is the robust Wald test; the log-rank stays a log-rank
    assert iptw.test.method.startswith("robust Wald")
    assert iptw.logrank.method == "log-rank"


def test_iptw_bootstrap_is_seeded(selected):
    small = oc.synthetic_cohort(n=2000, seed=4)
    a, b, c = (oc.compare_arms(small, adjust=["co_occurring_mh"], weights="iptw", bootstrap=60, seed=k,
                               variance="bootstrap") for k in (7, 7, 8))
    pd.testing.assert_frame_equal(a.rmst, b.rmst)
    assert not a.rmst.equals(c.rmst)


def test_numpy_logistic_fit_equals_statsmodels(selected):
    import statsmodels.api as sm

    X = sm.add_constant(selected.df[["age", "co_occurring_mh", "prior_treatments"]].to_numpy(float))
    y = (selected.df.arm == "peer_clinical").to_numpy(float)
    np.testing.assert_allclose(logistic_fit(X, y), sm.GLM(y, X, family=sm.families.Binomial()).fit().params, atol=1e-8)


def test_positivity_problems_are_reported():
    df = pd.DataFrame({"participant_id": [str(i) for i in range(400)], "arm": ["a"] * 200 + ["b"] * 200,
                       "relapse_days": np.arange(400) % 50 + 1.0, "relapse_event": np.arange(400) % 2,
                       "x": np.r_[np.linspace(0, 1, 200), np.linspace(0.9, 1.9, 200)]})
    cohort = oc.Cohort(df, reference="a", covariates=["x"])
    with pytest.warns(oc.StatisticalWarning, match=r"positivity: \d+ participants have a propensity score outside"):
        pw = oc.propensity_weights(cohort, ["x"])
    assert pw.positivity.outside_bounds.sum() > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trimmed = oc.propensity_weights(cohort, ["x"], trim=0.05)
    assert trimmed.n_truncated > 0 and trimmed.weights.max() < pw.weights.max()


def test_iptw_bad_input(selected):
    with pytest.raises(oc.InputError, match="needs the confounders"):
        oc.compare_arms(selected, weights="iptw")
    with pytest.raises(oc.InputError, match="weights must be None or 'iptw'"):
        oc.compare_arms(selected, weights="overlap")
    with pytest.raises(oc.InputError, match="strata are not used"):
        oc.compare_arms(selected, adjust=["age"], weights="iptw", strata="site")


def test_e_value_matches_vanderweele_and_ding():
    # VanderWeele & Ding (2017): RR 3.9 (1.8 to 8.7) gives E-values 7.2 and 3.0
    rr = oc.Estimate(measure="risk ratio", value=3.9, ci_lower=1.8, ci_upper=8.7, p_value=0.001)
    ev = oc.e_value(rr)
    assert ev.point == pytest.approx(3.9 + np.sqrt(3.9 * 2.9))
    assert ev.ci == pytest.approx(1.8 + np.sqrt(1.8 * 0.8))
    # protective: use 1/RR; an interval including 1 has E-value 1
    assert oc.e_value(oc.Estimate(measure="risk ratio", value=0.5, ci_lower=0.3, ci_upper=1.1, p_value=0.1)).ci == 1.0
    # common outcome: HR 0.6 -> RR (1 - 0.5^sqrt(0.6)) / (1 - 0.5^sqrt(1/0.6))
    hr = oc.e_value(oc.Estimate(measure="hazard ratio", value=0.6, ci_lower=0.5, ci_upper=0.7, p_value=0.001))
    converted = (1 - 0.5 ** np.sqrt(0.6)) / (1 - 0.5 ** np.sqrt(1 / 0.6))
    assert hr.risk_ratio == pytest.approx(converted)
    assert hr.point == pytest.approx(1 / converted + np.sqrt(1 / converted * (1 / converted - 1)))
    with pytest.raises(oc.InputError, match="ratio measures"):
        oc.e_value(oc.Estimate(measure="RMST difference (days)", value=10, ci_lower=5, ci_upper=15, p_value=0.01))


def test_parametric_weibull_recovers_a_weibull_truth():
    rng = np.random.default_rng(3)
    n = 4000
    shape, scale = 0.7, 500.0
    t = scale * rng.weibull(shape, n)
    c = rng.uniform(100, 900, n)
    df = pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "arm": np.where(np.arange(n) % 2, "b", "a")})
    cohort = oc.Cohort.from_frame(df, arm="arm", reference="a", relapse=("time", "event"))
    with pytest.warns(oc.StatisticalWarning, match="extrapolation"):
        fits = oc.fit_parametric(cohort, horizon=3650)
    weibull = fits.fits[fits.fits.model == "weibull"].set_index("arm")
    truth = np.exp(-((3650 / scale) ** shape))
    assert weibull.survival_at_horizon.to_numpy() == pytest.approx([truth, truth], abs=0.02)
    assert fits.best().model.tolist() == ["weibull", "weibull"]
    assert fits.extrapolated and "extrapolation" in fits.notes()[0]


def test_parametric_inside_follow_up_does_not_warn(selected):
    with warnings.catch_warnings():
        warnings.simplefilter("error", oc.StatisticalWarning)
        fits = oc.fit_parametric(selected, horizon=365)
    assert not fits.extrapolated


def test_results_honour_the_protocol(selected, iptw):
    import json

    from matplotlib.axes import Axes

    bal = oc.balance(selected, ["co_occurring_mh", "age"], weights="iptw")
    ev = oc.e_value(iptw.hazard_ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pw = oc.propensity_weights(selected, ["co_occurring_mh"])
        fits = oc.fit_parametric(selected, horizon=3650)
    for result in (bal, ev, pw, fits, iptw):
        assert isinstance(result.table(), pd.DataFrame)
        assert isinstance(result.plot(), Axes)
        assert result.to_markdown().startswith("**")
        assert "<div>" in result._repr_html_()
    json.dumps(bal.to_dict())
    json.dumps(ev.to_dict())


@pytest.mark.parametrize("outcome, truth_key", [("ed_visits_12m", "ed_visits_rate_ratio"),
                                                ("mh_admissions_12m", "mh_admissions_rate_ratio")])
def test_iptw_secondary_outcomes_remove_the_selection_bias(selected, outcome, truth_key):
    truth = selected.truth[truth_key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oc.StatisticalWarning)
        naive = oc.compare_secondary(selected, outcome).estimate
        weighted = oc.compare_secondary(selected, outcome, adjust=CONFOUNDERS, weights="iptw")
    assert weighted.estimate.ci_lower < truth < weighted.estimate.ci_upper
    assert abs(np.log(weighted.estimate.value / truth)) < abs(np.log(naive.value / truth))
    assert "IPTW" in weighted.title


def test_one_fit_intervals_carry_the_propensity_model_and_agree_with_the_bootstrap(selected):
    """The stacked influence functions (outcomes.analyses.iptw_influence): their derivative of the RMST
    difference in the propensity parameters equals a numerical one, and their SEs agree with 400 bootstrap refits."""
    from scipy import special

    from outcomes.analyses import iptw_influence as M
    from outcomes.model.design_matrix import design_matrix
    from outcomes.model.outcome_registry import outcome_arrays
    from outcomes.stats import kaplan_meier, restricted_mean

    cohort = oc.synthetic_cohort(n=3000, seed=5)
    pw = oc.propensity_weights(cohort, CONFOUNDERS)
    time, event, _ = outcome_arrays(cohort, "relapse")
    t, e, a = time[pw.rows], event[pw.rows], pw.treated
    X = np.column_stack([np.ones(len(t)), design_matrix(cohort.df, cohort.treatment, CONFOUNDERS).X[:, 1:]])
    alpha, p, tau = np.linalg.lstsq(X, special.logit(pw.score), rcond=None)[0], a.mean(), 700.0

    def difference(theta: np.ndarray) -> float:
        score = special.expit(X @ theta[:-1])
        w = np.where(a, theta[-1] / score, (1 - theta[-1]) / (1 - score))
        return float(np.subtract(*[restricted_mean(kaplan_meier(t[m], e[m], weights=w[m]), tau)[0]
                                   for m in (a, ~a)]))

    theta = np.r_[alpha, p]
    numeric = np.array([(difference(theta + 1e-6 * np.eye(len(theta))[j]) - difference(theta)) / 1e-6
                        for j in range(len(theta))])
    ps = M.propensity_influence(X, a, pw.score, pw.weights)
    unit = M.PropensityInfluence(phi=np.zeros((len(t), len(theta))), dw=ps.dw, gram=ps.gram)
    analytic = np.zeros(len(theta))
    for j in range(len(theta)):  # g . phi with phi the j-th unit vector on one participant reads g_j
        unit.phi[:] = 0
        unit.phi[0, j] = 1.0
        for sign, m in ((1, a), (-1, ~a)):
            km = kaplan_meier(t[m], e[m], weights=pw.weights[m])
            hazard = M.arm_hazard(t[m], e[m], pw.weights[m], np.flatnonzero(m), len(t))
            with_phi = M.rmst_influence(hazard, pw.weights[m], t[m], np.flatnonzero(m), unit, km, tau)[0]
            unit_zero = M.PropensityInfluence(phi=np.zeros_like(unit.phi), dw=ps.dw, gram=ps.gram)
            analytic[j] += sign * (with_phi - M.rmst_influence(hazard, pw.weights[m], t[m], np.flatnonzero(m),
                                                              unit_zero, km, tau)[0])
    np.testing.assert_allclose(analytic, numeric, rtol=0.05, atol=0.5)  # Nelson-Aalen against product-limit
    fast = oc.compare_arms(cohort, adjust=CONFOUNDERS, weights="iptw", variance="analytic", horizon=tau)
    slow = oc.compare_arms(cohort, adjust=CONFOUNDERS, weights="iptw", variance="bootstrap", bootstrap=400, seed=3,
                           horizon=tau)
    assert fast.bootstrap == 0 and "stacked influence functions" in " ".join(fast.notes())
    assert fast.hazard_ratio.value == pytest.approx(slow.hazard_ratio.value)
    assert fast.hazard_ratio.se == pytest.approx(slow.hazard_ratio.se, rel=0.1)  # stacked vs robust sandwich
    assert fast.rmst_difference.se == pytest.approx(slow.rmst_difference.se, rel=0.15)
    for arm in cohort.arms:
        assert fast.rmst.set_index("arm").loc[arm, "se"] == pytest.approx(slow.rmst.set_index("arm").loc[arm, "se"],
                                                                          rel=0.15)


def test_balance_and_table_1_reuse_the_analysis_propensity_model(selected):
    pw = oc.propensity_weights(selected, CONFOUNDERS)
    again = oc.balance(selected, CONFOUNDERS, weights="iptw")
    pd.testing.assert_frame_equal(oc.balance(selected, CONFOUNDERS, weights="iptw", propensity=pw).table(),
                                  again.table())
    with pytest.raises(oc.InputError, match="other covariates or rows"):
        oc.balance(selected, ["age"], weights="iptw", propensity=pw)
    reused = oc.baseline_table(selected, ["age", "sex"], weights="iptw", propensity=pw).table()
    assert reused.n_0.iloc[0] == pytest.approx(pw.weights[~pw.treated].sum())  # the analysis's weights


def test_the_propensity_model_equals_statsmodels_glm_and_falls_back_on_collinear_designs():
    import statsmodels.api as sm

    from outcomes.analyses.propensity import _fit_propensity
    from outcomes.model.design_matrix import design_matrix

    cohort = oc.synthetic_cohort(n=3000, seed=11)
    design = design_matrix(cohort.df, cohort.treatment, list(cohort.covariates))
    treated = design.X[:, 0] == 1
    X = sm.add_constant(design.X[:, 1:], has_constant="add")
    ours = _fit_propensity(treated, X)
    # statsmodels iterated to the same optimum (its default tolerance leaves its SEs 3e-7 apart, relatively)
    glm = sm.GLM(treated.astype(float), X, family=sm.families.Binomial()).fit(tol=1e-14)
    for mine, theirs in ((ours.params, glm.params), (ours.bse, glm.bse), (ours.pvalues, glm.pvalues),
                         (ours.fittedvalues, glm.fittedvalues)):
        np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-9, atol=1e-12)
    collinear = np.column_stack([X, X[:, 1]])  # a column twice: coefficients not unique, the scores are
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(_fit_propensity(treated, collinear).fittedvalues, ours.fittedvalues, atol=1e-8)

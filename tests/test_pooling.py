"""Pooling, one home (issue 26): every analysis that accepts an imputed cohort pools by Rubin's rules through
outcomes.analyses.pooling, and gives what the rules give when worked by hand on its per-imputation results."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import outcomes as oc
from outcomes.analyses.pooling import pooled_curve, pooled_estimate
from outcomes.stats import kaplan_meier
from outcomes.stats.rubin import rubin_pool

from .conftest import REFERENCE

ADJUST = ["age", "sex", "co_occurring_mh"]


@pytest.fixture(scope="module")
def cohorts() -> tuple[oc.Cohort, oc.ImputedCohort]:
    full = oc.synthetic_cohort(n=600, seed=11)
    df = full.df.copy()
    df.loc[np.random.default_rng(3).random(len(df)) < 0.3, "age"] = np.nan
    gaps = oc.Cohort(df, reference="clinical", as_of=full.as_of, covariates=full.covariates)
    return full, oc.impute(gaps, m=4, seed=2, iterations=4)


def _by_hand(values: list[float], ses: list[float], dfcom: float) -> tuple[float, float, float]:
    """Rubin's rules written out for one quantity: estimate, total SE, Barnard-Rubin df."""
    m = len(values)
    qbar, ubar, b = np.mean(values), np.mean(np.square(ses)), np.var(values, ddof=1)
    t = ubar + (1 + 1 / m) * b
    lam = max((1 + 1 / m) * b / t, 1e-4)
    df_old = (m - 1) / lam**2
    if np.isinf(dfcom):
        return float(qbar), float(np.sqrt(t)), float(df_old)
    df_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
    return float(qbar), float(np.sqrt(t)), float(df_old * df_obs / (df_old + df_obs))


def test_infinite_complete_data_df_is_barnard_rubins_df_old():
    pooled = rubin_pool(np.array([[0.5], [0.7], [0.65]]), np.array([[0.1], [0.12], [0.11]]), dfcom=np.inf)
    assert pooled.df[0] == pytest.approx(_by_hand([0.5, 0.7, 0.65], [0.1, 0.12, 0.11], np.inf)[2], rel=1e-12)


def test_curves_pool_on_the_complementary_log_log_scale():
    t, e = np.array([1.0, 2, 3, 4, 5, 6]), np.array([1.0, 0, 1, 1, 0, 1])
    a, b = kaplan_meier(t, e), kaplan_meier(t, e, weights=np.array([1.0, 2, 1, 3, 1, 1]))
    pooled = pooled_curve([a, b], alpha=0.05)
    k = 2  # day 3: both curves below 1 and above 0
    g = [np.log(-np.log(c.survival[k])) for c in (a, b)]
    se = [c.std_err[k] / -np.log(c.survival[k]) for c in (a, b)]
    estimate, total, df = _by_hand(g, se, np.inf)
    assert pooled.survival[k] == pytest.approx(np.exp(-np.exp(estimate)), rel=1e-12)
    q = stats.t.ppf(0.975, df)
    assert pooled.ci_lower[k] == pytest.approx(np.exp(-np.exp(estimate + q * total)), rel=1e-12)
    assert pooled.ci_upper[k] == pytest.approx(np.exp(-np.exp(estimate - q * total)), rel=1e-12)
    assert pooled.survival[-1] == 0 and np.isnan(pooled.ci_lower[-1])  # at 0 the interval is undefined, as R


def test_an_estimate_from_a_percentile_interval_pools_with_the_interval_width_as_its_se():
    z = stats.norm.ppf(0.975)
    e = [oc.Estimate(measure="risk difference", value=v, ci_lower=v - 0.1, ci_upper=v + 0.1, p_value=np.nan)
         for v in (0.1, 0.14)]
    pooled = pooled_estimate(e, ratio=False)
    assert pooled.value == pytest.approx(0.12)
    assert pooled.se == pytest.approx(_by_hand([0.1, 0.14], [0.1 / z, 0.1 / z], np.inf)[1], rel=1e-12)


def test_iptw_on_an_imputed_cohort_refits_the_propensity_model_on_each_and_pools(cohorts):
    _, imputed = cohorts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pooled = oc.compare_arms(imputed, adjust=ADJUST, weights="iptw", bootstrap=50, seed=4)
        each = [oc.compare_arms(c, adjust=ADJUST, weights="iptw", bootstrap=50, seed=4) for c in imputed.completed]
    logs = [np.log(r.hazard_ratio.value) for r in each]
    estimate, se, df = _by_hand(logs, [r.hazard_ratio.se for r in each], each[0].cox_events - 1)
    assert len(set(np.round(logs, 12))) == imputed.m  # the weights differ between imputations
    assert np.log(pooled.hazard_ratio.value) == pytest.approx(estimate, rel=1e-10)
    assert pooled.hazard_ratio.se == pytest.approx(se, rel=1e-10)
    assert pooled.cox.df.iloc[0] == pytest.approx(df, rel=1e-10)
    assert pooled.weights == "iptw" and {"df", "fmi"} <= set(pooled.cox.columns)
    rmst = [r.rmst_difference.value for r in each]
    assert pooled.rmst_difference.value == pytest.approx(np.mean(rmst), rel=1e-10)
    assert "weighted curves and RMST are pooled over 4" in pooled.caveats[-1]


def test_identical_completed_cohorts_pool_to_the_single_analysis(cohorts):
    full, _ = cohorts
    twice = oc.ImputedCohort.from_completed([full, full])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = oc.compare_arms(full, adjust=ADJUST, weights="iptw", bootstrap=50, seed=1)
        pooled = oc.compare_arms(twice, adjust=ADJUST, weights="iptw", bootstrap=50, seed=1)
    assert pooled.hazard_ratio.value == pytest.approx(single.hazard_ratio.value, rel=1e-12)
    assert pooled.hazard_ratio.se == pytest.approx(single.hazard_ratio.se, rel=1e-12)  # no between variance
    for arm in full.arms:
        assert pooled.curves[arm].survival == pytest.approx(single.curves[arm].survival, rel=1e-12)


def test_cumulative_incidence_pools_the_fine_gray_model(cohorts):
    _, imputed = cohorts
    pooled = oc.cumulative_incidence(imputed, adjust=ADJUST)
    each = [oc.cumulative_incidence(c, adjust=ADJUST) for c in imputed.completed]
    dropouts = int(each[0].counts["dropout"].sum())
    estimate, se, _ = _by_hand([np.log(r.fine_gray.value) for r in each], [r.fine_gray.se for r in each],
                               dropouts - len(ADJUST) - 1)
    assert np.log(pooled.fine_gray.value) == pytest.approx(estimate, rel=1e-10)
    assert pooled.fine_gray.se == pytest.approx(se, rel=1e-10)
    assert {"df", "fmi"} <= set(pooled.cause_specific.columns)
    pd.testing.assert_frame_equal(pooled.cif, each[0].cif)  # the curves use no covariate
    unadjusted = oc.cumulative_incidence(imputed)
    assert unadjusted.fine_gray.value == pytest.approx(oc.cumulative_incidence(imputed.completed[0]).fine_gray.value)


def test_exposure_from_its_start_pools_over_imputations_of_jasa():
    people = pd.read_csv(REFERENCE / "jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna())
    blank = people.assign(age=people.age.where(np.arange(len(people)) % 6 != 0))
    jasa = oc.Cohort.from_frame(blank, arm="ever", reference=False, relapse=("futime", "death"),
                                covariates=["age", "surgery"], exposure_start="transplant_day",
                                participant_id="subject")
    imputed = oc.impute(jasa, m=3, seed=5, iterations=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pooled = oc.compare_exposure(imputed, adjust=["age", "surgery"], bootstrap=50, seed=1)
        each = [oc.compare_exposure(c, adjust=["age", "surgery"], bootstrap=50, seed=1) for c in imputed.completed]
    logs = [np.log(r.time_varying.value) for r in each]
    assert np.log(pooled.time_varying.value) == pytest.approx(np.mean(logs), rel=1e-10)
    assert pooled.naive.value < 0.5 < pooled.time_varying.value  # the immortal-time bias survives pooling
    assert pooled.trial.risk.to_numpy() == pytest.approx(np.mean([r.trial.risk.to_numpy() for r in each], axis=0))
    assert "pooled over 3 completed data sets" in pooled.caveats[-1]

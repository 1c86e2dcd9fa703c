"""Rubin's rules equal R's mice::pool on the five completed lung data sets (issue 26's pooling kernel):
tests/reference/lung_imputation_reference.json, written by imputation_reference.R (mice 3.15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.stats import fit_cox
from outcomes.stats.rubin import rubin_pool

from .conftest import REFERENCE, load_reference

TERMS = ["age", "sex", "ph.ecog", "ph.karno", "wt.loss"]


def _died(completed: pd.DataFrame, part: pd.DataFrame) -> np.ndarray:
    """lung's status: the larger code is death (2 in R's lung, 1 when written as 0/1)."""
    return (part.status == completed.status.max()).to_numpy(float)


def test_pooled_cox_equals_mice_pool():
    completed = pd.read_csv(REFERENCE / "lung_imputed_m5.csv")
    ref = load_reference("lung_imputation")
    fits = []
    for k, part in completed.groupby(".imp"):
        fit = fit_cox(part[TERMS].to_numpy(float), part.time.to_numpy(float), _died(completed, part), terms=TERMS,
                      ph_test=False)
        expected = ref["per_imputation"][int(k) - 1]
        assert fit.coef == pytest.approx(expected["coef"], abs=1e-8)
        assert fit.model_se == pytest.approx(expected["se"], abs=1e-8)
        fits.append(fit)
    events = int(_died(completed, completed[completed[".imp"] == 1]).sum())
    pooled = rubin_pool(np.array([f.coef for f in fits]), np.array([f.model_se for f in fits]),
                        dfcom=events - len(TERMS), terms=TERMS)
    expected = ref["pooled"]
    assert pooled.dfcom == expected["dfcom"][0]
    for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("df", "df"), ("p_value", "p"),
                         ("ci_lower", "ci_lower"), ("ci_upper", "ci_upper"), ("ubar", "ubar"), ("b", "b"),
                         ("t", "t"), ("riv", "riv"), ("lam", "lambda"), ("fmi", "fmi")):
        assert getattr(pooled, ours) == pytest.approx(expected[theirs], rel=1e-8, abs=1e-8), ours


def test_pooling_refuses_a_single_imputation():
    import outcomes as oc

    with pytest.raises(oc.InputError, match="at least 2 completed data sets"):
        rubin_pool(np.array([[0.5]]), np.array([[0.1]]), dfcom=100)
    with pytest.raises(oc.NotEstimableError, match="not estimable"):
        rubin_pool(np.array([[0.5], [np.inf]]), np.array([[0.1], [0.1]]), dfcom=100)


def test_compare_arms_pools_an_imputed_cohort_as_mice_does():
    import warnings

    import outcomes as oc

    completed = pd.read_csv(REFERENCE / "lung_imputed_m5.csv")
    completed = completed.assign(died=_died(completed, completed).astype(int), sex=completed.sex.map({1: "male",
                                                                                                      2: "female"}))
    cohorts = [oc.Cohort.from_frame(part, arm="sex", reference="male", relapse=("time", "died"), participant_id="id",
                                    covariates=["age", "ph.ecog", "ph.karno", "wt.loss"])
               for _, part in completed.groupby(".imp")]
    imputed = oc.ImputedCohort.from_completed(cohorts)
    assert imputed.m == 5 and imputed.imputed.set_index("covariate")["values imputed"].sum() > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = oc.compare_arms(imputed, adjust=["age", "ph.ecog", "ph.karno", "wt.loss"])
    expected = load_reference("lung_imputation")["pooled"]
    sex = expected["term"].index("sex")
    assert np.log(result.hazard_ratio.value) == pytest.approx(expected["estimate"][sex], abs=1e-8)
    assert result.hazard_ratio.se == pytest.approx(expected["se"][sex], abs=1e-8)
    assert result.cox.df.iloc[0] == pytest.approx(expected["df"][sex], rel=1e-8)
    assert "pooled over 5 completed data sets" in result.caveats[-1]
    with pytest.raises(oc.InputError, match="only covariates may be imputed"):
        other = cohorts[1].df.assign(relapse_days=cohorts[1].df.relapse_days + 1)
        oc.ImputedCohort.from_completed([cohorts[0], oc.Cohort(other, reference="male",
                                                               covariates=cohorts[1].covariates)])

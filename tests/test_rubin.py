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

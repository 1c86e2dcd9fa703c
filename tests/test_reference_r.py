"""Agreement with R's survival package (3.5.3) on two real datasets.

Every expected number is read from tests/reference/*_reference.json, written by
tests/reference/reference.R; the R call is beside each comparison. Estimates
must agree to 1e-6, standard errors, confidence limits and p-values to 1e-4
(they agree far closer: ~1e-9, the tolerance of R's own Newton iterations).
"""

from __future__ import annotations

import numpy as np
import pytest

import outcomes as oc
from outcomes.model.outcome_registry import outcome_arrays
from outcomes.model.design_matrix import design_matrix
from outcomes.stats import fit_cox

from .conftest import load_reference

CASES = {
    # Rscript reference.R addicts.csv survtime status clinic 1 730 prison,maxdose ... 90,180,365,540,730
    "addicts": {"outcome": "retention", "adjust": ["prison", "maxdose"], "horizon": 730},
    # Rscript reference.R rossi.csv week arrest fin no 52 age,race,wexp,mar,paro,prio ... 13,26,39,52
    "rossi": {"outcome": "relapse", "adjust": ["age", "race", "wexp", "mar", "paro", "prio"], "horizon": 52},
}
EST, INF = 1e-6, 1e-4


@pytest.fixture(params=sorted(CASES))
def case(request, addicts, rossi):
    name = request.param
    cohort = {"addicts": addicts, "rossi": rossi}[name]
    spec = CASES[name]
    unadjusted = oc.compare_arms(cohort, spec["outcome"], horizon=spec["horizon"])
    adjusted = oc.compare_arms(cohort, spec["outcome"], adjust=spec["adjust"], horizon=spec["horizon"])
    return name, cohort, load_reference(name), unadjusted, adjusted


def test_kaplan_meier_matches_survfit(case):
    # summary(survfit(Surv(time, event) ~ arm, conf.type = "log-log"), times = times, extend = TRUE)
    _, _, ref, res, _ = case
    times = sorted({row["time"] for row in ref["km"]})
    got = res.survival_at(times)
    for row in ref["km"]:
        g = got[(got.arm == row["arm"]) & (got.time == row["time"])].iloc[0]
        assert g.survival == pytest.approx(row["surv"], abs=EST)
        assert g.ci_lower == pytest.approx(row["lower"], abs=INF)
        assert g.ci_upper == pytest.approx(row["upper"], abs=INF)
        at_risk = res.curves[row["arm"]].at([row["time"]]).n_at_risk.iloc[0]
        assert at_risk == row["n_risk"]


def test_counts_median_and_rmst_match_print_survfit(case):
    # print(survfit(...), rmean = horizon): records, events, median, rmean, se(rmean)
    _, _, ref, res, _ = case
    for row in ref["summary"]:
        counts = res.counts.set_index("arm").loc[row["arm"]]
        assert counts.n == row["n"] and counts.events == row["events"]
        rmst = res.rmst.set_index("arm").loc[row["arm"]]
        assert rmst.rmst == pytest.approx(row["rmst"], abs=EST)
        assert rmst.se == pytest.approx(row["rmst_se"], abs=INF)
        median = res.median.set_index("arm").loc[row["arm"], "median"]
        if "median" in row:
            assert median == pytest.approx(row["median"], abs=EST)
        else:  # R prints NA: the curve never reaches 0.5
            assert np.isnan(median)


def test_logrank_matches_survdiff(case):
    # survdiff(Surv(time, event) ~ arm): chisq, df, p
    _, _, ref, res, _ = case
    assert res.logrank.statistic == pytest.approx(ref["logrank"]["chisq"], abs=EST)
    assert res.logrank.df == ref["logrank"]["df"]
    assert res.logrank.p_value == pytest.approx(ref["logrank"]["p"], abs=INF)


def _check_cox(table, ref):
    assert table.term.tolist() == list(np.atleast_1d(ref["term"]))
    np.testing.assert_allclose(table.coef, np.atleast_1d(ref["coef"]), atol=EST, rtol=0)
    np.testing.assert_allclose(table.hazard_ratio, np.atleast_1d(ref["hr"]), atol=EST, rtol=0)
    np.testing.assert_allclose(table.se, np.atleast_1d(ref["se"]), atol=INF, rtol=0)
    np.testing.assert_allclose(table.ci_lower, np.atleast_1d(ref["hr_lower"]), atol=INF, rtol=0)
    np.testing.assert_allclose(table.ci_upper, np.atleast_1d(ref["hr_upper"]), atol=INF, rtol=0)
    np.testing.assert_allclose(table.p_value, np.atleast_1d(ref["p"]), atol=INF, rtol=0)


def test_unadjusted_cox_matches_coxph_efron(case):
    # coxph(Surv(time, event) ~ arm, ties = "efron")
    _, _, ref, res, _ = case
    _check_cox(res.cox, ref["cox_unadjusted_efron"])
    assert res.cox_n == ref["cox_unadjusted_efron"]["n"]
    assert res.cox_events == ref["cox_unadjusted_efron"]["events"]


def test_adjusted_cox_matches_coxph_efron(case):
    # coxph(Surv(time, event) ~ arm + covariates, ties = "efron"); factors coded against their first level
    _, _, ref, _, res = case
    _check_cox(res.cox, ref["cox_adjusted_efron"])
    assert res.hazard_ratio.value == pytest.approx(np.atleast_1d(ref["cox_adjusted_efron"]["hr"])[0], abs=EST)


def test_breslow_ties_and_loglik_match_coxph(case):
    # coxph(..., ties = "breslow") and f$loglik[2]
    name, cohort, ref, _, _ = case
    spec = CASES[name]
    time, event, _ = outcome_arrays(cohort, spec["outcome"])
    for ties, key, adjust in (("breslow", "cox_unadjusted_breslow", []),
                              ("efron", "cox_unadjusted_efron", []),
                              ("efron", "cox_adjusted_efron", spec["adjust"])):
        design = design_matrix(cohort.df, cohort.treatment, adjust)
        fit = fit_cox(design.X, time, event, terms=design.terms, ties=ties)
        _check_cox(fit.frame(), ref[key])
        assert fit.loglik == pytest.approx(ref[key]["loglik"], abs=EST)


def test_ph_test_matches_cox_zph_km(case):
    # cox.zph(coxph(Surv(time, event) ~ arm + covariates), transform = "km"): chisq and p per term
    _, _, ref, _, res = case
    zph = ref["ph_test_km"]
    got = res.ph_test.set_index("term")
    names = [res.cox.term.iloc[0] if t == "arm" else t for t in zph["term"]]
    np.testing.assert_allclose(got.loc[names, "statistic"], zph["chisq"], atol=EST, rtol=0)
    np.testing.assert_allclose(got.loc[names, "p_value"], zph["p"], atol=INF, rtol=0)

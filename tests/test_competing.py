"""Competing risks against R: cmprsk::cuminc, survival::finegray + coxph (tests/reference/competing_reference.R)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import outcomes as oc

from .conftest import REFERENCE

REF = json.loads((REFERENCE / "competing_reference.json").read_text())
EST, INF = 1e-6, 1e-4


@pytest.fixture(scope="module")
def cohort() -> oc.Cohort:
    df = pd.read_csv(REFERENCE / "competing.csv")
    return oc.Cohort(df, reference="clinical", covariates=["age", "co_occurring_mh"])


@pytest.fixture(scope="module")
def result(cohort) -> oc.CompetingRisks:
    return oc.cumulative_incidence(cohort, "retention", "dropout")


@pytest.mark.parametrize("arm, key", [("clinical", "cuminc_clinical_dropout"), ("peer_clinical", "cuminc_peer_dropout")])
def test_cif_and_variance_match_cuminc(result, arm, key):
    # cuminc(exit_days, status, arm, cencode = 0): est and var at every corner of the step function
    ref = REF[key]
    got = result.curves[arm].at(np.array(ref["time"]))
    # cuminc lists each jump twice (the level before, then after); the right-continuous corners are 2, 4, ...
    corners = np.arange(2, len(ref["time"]), 2)
    np.testing.assert_allclose(got.cif.to_numpy()[corners], np.array(ref["est"])[corners], atol=EST)
    np.testing.assert_allclose(got.se.to_numpy()[corners] ** 2, np.array(ref["var"])[corners], atol=EST)


def test_timepoints_match(result):
    # timepoints(cuminc(...), c(30, 90, 180)); rows "clinical 1", "peer_clinical 1"
    rows = REF["timepoints_rows"]
    for arm in ("clinical", "peer_clinical"):
        i = rows.index(f"{arm} 1")
        got = result.curves[arm].at(np.array([30.0, 90.0, 180.0]))
        np.testing.assert_allclose(got.cif, REF["timepoints_est"][i], atol=EST)
        np.testing.assert_allclose(got.se**2, REF["timepoints_var"][i], atol=EST)


def test_gray_test_matches(result):
    # cuminc(...)$Tests["1", c("stat", "pv")]
    assert result.gray.statistic == pytest.approx(REF["gray_dropout"]["stat"], abs=EST)
    assert result.gray.p_value == pytest.approx(REF["gray_dropout"]["p"], abs=INF)


@pytest.mark.parametrize("adjust, key", [((), "finegray_unadjusted"), (("age", "co_occurring_mh"), "finegray_adjusted")])
def test_fine_gray_matches_finegray_coxph(cohort, adjust, key):
    # coxph(Surv(fgstart, fgstop, fgstatus) ~ arm (+ age + co_occurring_mh), weight = fgwt, cluster = id)
    from outcomes.analyses.design import design_matrix
    from outcomes.stats import fit_cox

    ref = REF[key]
    df = cohort.df
    status = df.exit_reason.astype(str).map({"dropout": 1, "in_treatment": 0}).fillna(2).to_numpy()
    design = design_matrix(df, cohort.treatment, adjust)
    fit = fit_cox(design.X, df.exit_days.to_numpy(float), (status == 1).astype(float), terms=design.terms,
                  competing=status == 2, cluster=np.arange(len(df)))
    np.testing.assert_allclose(fit.coef, np.atleast_1d(ref["coef"]), atol=EST)
    np.testing.assert_allclose(fit.model_se, np.atleast_1d(ref["se"]), atol=INF)
    np.testing.assert_allclose(fit.se, np.atleast_1d(ref["robust_se"]), atol=INF)
    assert fit.loglik == pytest.approx(ref["loglik"], abs=EST)
    if not adjust:
        res = oc.cumulative_incidence(cohort)
        assert np.log(res.fine_gray.value) == pytest.approx(ref["coef"], abs=EST)
        assert res.fine_gray.p_value == pytest.approx(ref["p"], abs=INF)


@pytest.mark.parametrize("cause", ["dropout", "completed"])
def test_cause_specific_cox_matches(result, cause):
    # coxph(Surv(exit_days, exit_reason == cause) ~ arm, ties = "efron")
    ref = REF[f"cause_specific_{cause}"]
    row = result.cause_specific.set_index("cause").loc[cause]
    assert row.coef == pytest.approx(ref["coef"], abs=EST)
    assert row.se == pytest.approx(ref["se"], abs=INF)
    assert row.p_value == pytest.approx(ref["p"], abs=INF)


def test_cif_by_hand():
    from outcomes.stats.cumulative_incidence import aalen_johansen

    # times 1..4: dropout, completion, dropout, censored. CIF: 1/4; S(2) = 1/2, + 1/2 * 1/2
    curve = aalen_johansen(np.array([1, 2, 3, 4.0]), np.array([1, 2, 1, 0]))
    assert curve.cif.tolist() == [0.25, 0.5]


def test_cif_is_below_one_minus_km_when_exits_compete(result, cohort):
    km = oc.compare_arms(cohort, "retention").survival_at([180])
    cif = result.cif_at([180])
    assert (cif.cif.to_numpy() < 1 - km.survival.to_numpy()).all()


def test_synthetic_dropout_truth_is_recovered():
    cohort = oc.synthetic_cohort(n=20_000, seed=12, randomized=True)
    at = oc.cumulative_incidence(cohort).cif_at([180]).set_index("arm")
    for arm, truth in cohort.truth["dropout_risk_by_program_end"].items():
        assert at.loc[arm, "ci_lower"] - 0.01 < truth < at.loc[arm, "ci_upper"] + 0.01


def test_bad_input(cohort, rossi):
    with pytest.raises(oc.InputError, match="cause must be one of"):
        oc.cumulative_incidence(cohort, cause="graduated")
    with pytest.raises(oc.InputError, match="outcome='retention'"):
        oc.cumulative_incidence(cohort, outcome="relapse")
    with pytest.raises(oc.InputError, match="no retention outcome"):
        oc.cumulative_incidence(rossi)
    with pytest.raises(oc.NotEstimableError, match="cumulative incidence at day 900 is not estimable"):
        oc.cumulative_incidence(cohort).cif_at([900])

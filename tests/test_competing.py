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


def _pooled_halves(cohort: oc.Cohort, directory) -> oc.CountTable:
    """Two 'sites' (first and second half of the rows) that share only count tables, written and read back."""
    half = len(cohort) // 2
    tables = []
    for k, part in enumerate((cohort.df.iloc[:half], cohort.df.iloc[half:])):
        site = oc.Cohort(part.reset_index(drop=True), reference="clinical", arms=cohort.arms)
        tables.append(oc.CountTable.read(oc.summarize(site, "retention").write(directory / f"site{k}.csv")))
    return oc.pool(tables)


def _scanned(cohort: oc.Cohort, directory) -> oc.ScannedCohort:
    path = cohort.write(directory / "competing.parquet")
    return oc.scan(path, arm="arm", reference="clinical", retention=("exit_days", "exit_reason"),
                   covariates=["age", "co_occurring_mh"], participant_id="participant_id")


SOURCES = {"rows": lambda cohort, directory: cohort, "pooled count tables": _pooled_halves, "scan": _scanned}


@pytest.fixture(scope="module", params=list(SOURCES))
def source(request, cohort, tmp_path_factory):
    """The same participants in memory, as two sites' pooled count tables, and scanned by DuckDB: every
    test against R below runs on each (competing risks depend on the data only through counts)."""
    return SOURCES[request.param](cohort, tmp_path_factory.mktemp("competing"))


@pytest.fixture(scope="module")
def result(source) -> oc.CompetingRisks:
    return oc.cumulative_incidence(source, "retention", "dropout")


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
def test_fine_gray_matches_finegray_coxph(cohort, adjust, key, tmp_path):
    # coxph(Surv(fgstart, fgstop, fgstatus) ~ arm (+ age + co_occurring_mh), weight = fgwt, cluster = id)
    from outcomes.model.design_matrix import design_matrix
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
    sources = [cohort, _scanned(cohort, tmp_path)] + ([] if adjust else [_pooled_halves(cohort, tmp_path)])
    for source in sources:  # the same model from counts per (day, arm, exit, covariates)
        res = oc.cumulative_incidence(source, adjust=adjust)
        assert np.log(res.fine_gray.value) == pytest.approx(np.atleast_1d(ref["coef"])[0], abs=EST)
        assert np.log(res.fine_gray.ci_upper / res.fine_gray.value) / 1.959964 == pytest.approx(
            np.atleast_1d(ref["robust_se"])[0], abs=INF)
        if not adjust:
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


def test_pattern_fine_gray_equals_the_row_fit_with_a_cluster_per_participant(cohort):
    # the robust SE from (day, arm, status) patterns: each participant their own cluster, as cluster = id
    from outcomes.stats import fit_cox

    df = cohort.df
    status = df.exit_reason.astype(str).map({"dropout": 1, "in_treatment": 0}).fillna(2).to_numpy()
    x = (df.arm == cohort.treatment).to_numpy(float)[:, None]
    rows = fit_cox(x, df.exit_days.to_numpy(float), (status == 1).astype(float), terms=["arm"],
                   competing=status == 2, cluster=np.arange(len(df)))
    g = pd.DataFrame({"t": df.exit_days, "x": x[:, 0], "s": status}).groupby(["t", "x", "s"]).size().reset_index()
    n, s = g[0].to_numpy(float), g.s.to_numpy()
    patterns = fit_cox(g[["x"]].to_numpy(float), g.t.to_numpy(float), np.zeros(len(g)), terms=["arm"], weights=n,
                       event_counts=n * (s == 1), competing=s == 2, robust=True)
    assert len(g) < 0.6 * len(df)  # patterns, not rows
    np.testing.assert_allclose([patterns.coef[0], patterns.se[0]], [rows.coef[0], rows.se[0]], rtol=1e-12)
    with pytest.raises(oc.InputError, match="all or none had the event"):
        fit_cox(np.array([[0.0], [1.0]]), np.array([1.0, 2.0]), np.zeros(2), terms=["arm"], weights=np.array([3.0, 2]),
                event_counts=np.array([1.0, 2]), robust=True)


def test_count_tables_without_causes_or_with_covariates_are_refused(cohort):
    table = oc.summarize(cohort, "retention")
    with pytest.raises(oc.InputError, match="no covariates"):
        oc.cumulative_incidence(table, adjust=["age"])
    old = oc.CountTable(outcome="retention", event="dropout", arms=table.arms, by=None,
                        counts=table.counts.drop(columns=["completed", "transferred"]))
    with pytest.raises(oc.InputError, match="no exits by cause"):
        oc.cumulative_incidence(old)
    with pytest.raises(oc.InputError, match="takes a Cohort, a scanned cohort or a count table"):
        oc.cumulative_incidence(cohort.df)
    with pytest.raises(oc.InputError, match="count table of retention"):
        oc.cumulative_incidence(oc.summarize(oc.synthetic_cohort(n=200, seed=1), "relapse"))

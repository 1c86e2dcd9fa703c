"""Random-effects pooling equals metafor 3.8 on its BCG vaccine example (issue 28): 13 trials' counts in
tests/reference/bcg_trials.csv, rma() results in bcg_metaanalysis_reference.json (metaanalysis_reference.R)."""

from __future__ import annotations

import pandas as pd
import pytest

import outcomes as oc

from .conftest import REFERENCE, load_reference

TOL = 1e-6


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "bcg_trials.csv")


def test_log_risk_ratios_from_counts_equal_escalc(trials):
    yi, vi = oc.evidence.log_risk_ratio(trials.tpos, trials.tpos + trials.tneg, trials.cpos, trials.cpos + trials.cneg)
    assert yi == pytest.approx(trials.yi.to_numpy(), abs=1e-12)
    assert vi == pytest.approx(trials.vi.to_numpy(), abs=1e-12)


@pytest.mark.parametrize("method", ["REML", "DL", "FE"])
def test_pooling_equals_metafor_rma(trials, method):
    yi, vi = oc.evidence.log_risk_ratio(trials.tpos, trials.tpos + trials.tneg, trials.cpos, trials.cpos + trials.cneg)
    ours = oc.evidence.meta_analysis(yi, vi, method=method)
    ref = load_reference("bcg_metaanalysis")[method]
    for mine, theirs in (("estimate", "estimate"), ("se", "se"), ("ci_lower", "ci_lower"), ("ci_upper", "ci_upper"),
                         ("tau2", "tau2"), ("i2", "I2"), ("q", "Q")):
        assert getattr(ours, mine) == pytest.approx(ref[theirs], abs=TOL), mine
    assert ours.p_value == pytest.approx(ref["p"], rel=1e-6)
    assert ours.q_p == pytest.approx(ref["Q_p"], rel=1e-6)
    if method == "FE":  # metafor gives no prediction interval for a fixed effect: it is the confidence interval
        assert (ours.pi_lower, ours.pi_upper) == (ours.ci_lower, ours.ci_upper) and ours.tau2 == 0
    else:
        assert ours.pi_lower == pytest.approx(ref["pi_lower"], abs=TOL)
        assert ours.pi_upper == pytest.approx(ref["pi_upper"], abs=TOL)


def test_homogeneous_studies_have_no_between_study_variance():
    m = oc.evidence.meta_analysis([-0.2, -0.2, -0.2], [0.01, 0.02, 0.03], method="REML")
    assert m.tau2 == 0 and m.i2 == 0 and m.estimate == pytest.approx(-0.2)
    fe = oc.evidence.meta_analysis([-0.2, -0.2, -0.2], [0.01, 0.02, 0.03], method="FE")
    assert m.se == pytest.approx(fe.se)


def test_bad_input_is_refused_with_the_reason():
    with pytest.raises(oc.InputError, match="at least 2 estimates"):
        oc.evidence.meta_analysis([0.1], [0.01])
    with pytest.raises(oc.InputError, match="variance positive"):
        oc.evidence.meta_analysis([0.1, 0.2], [0.01, 0.0])
    with pytest.raises(oc.InputError, match="method must be one of"):
        oc.evidence.meta_analysis([0.1, 0.2], [0.01, 0.02], method="PM")
    with pytest.raises(oc.NotEstimableError, match="no events in an arm"):
        oc.evidence.log_risk_ratio([0], [10], [3], [10])


def test_the_result_reads_as_a_sentence_and_a_table(trials):
    yi, vi = oc.evidence.log_risk_ratio(trials.tpos, trials.tpos + trials.tneg, trials.cpos, trials.cpos + trials.cneg)
    m = oc.evidence.meta_analysis(yi, vi)
    assert m.ratio_sentence().startswith("Pooled over 13 studies (REML), the ratio is 0.49 (95% CI 0.34 to 0.7")
    assert list(m.table().columns)[:3] == ["method", "k", "estimate"]
    assert "nan" not in m.to_markdown() and "e-" not in m.to_markdown()

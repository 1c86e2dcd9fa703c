"""Synthetic cohorts: determinism, and recovery of the truth they were built from."""

from __future__ import annotations

import dataclasses
import filecmp

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.outputs.cli import main
from outcomes.stats import kaplan_meier

from .conftest import REPO, SEEDS


@pytest.fixture(scope="module")
def randomized_40k() -> oc.Cohort:
    return oc.synthetic_cohort(n=40_000, seed=2026, randomized=True)


def test_same_seed_same_frame_different_seed_different_frame():
    a = oc.synthetic_cohort(n=500, seed=7)
    b = oc.synthetic_cohort(n=500, seed=7)
    c = oc.synthetic_cohort(n=500, seed=8)
    pd.testing.assert_frame_equal(a.df, b.df)
    assert not a.df.equals(c.df)
    gen = oc.synthetic_cohort(n=500, seed=np.random.default_rng(7))
    pd.testing.assert_frame_equal(a.df, gen.df)


def test_no_global_rng_is_touched():
    np.random.seed(0)
    before = np.random.random()
    np.random.seed(0)
    oc.synthetic_cohort(n=300, seed=1)
    assert np.random.random() == before


def km_risk(df: pd.DataFrame, arm: str, day: float = 365) -> float:
    rows = df["arm"] == arm
    km = kaplan_meier(df.loc[rows, "relapse_days"].to_numpy(), df.loc[rows, "relapse_event"].to_numpy())
    return 1 - float(km.at([day]).survival.iloc[0])


def test_relapse_truth_recovered_on_40000_randomized(randomized_40k):
    df = randomized_40k.df
    clinical, peer = km_risk(df, "clinical"), km_risk(df, "peer_clinical")
    assert abs(clinical - 0.50) < 0.03  # NIDA 40-60%, scenario 50% (003)
    assert abs(peer / clinical - 0.65) < 0.05  # 35% lower risk (003, 004)
    truth = randomized_40k.truth
    assert truth["relapse_risk_12m"]["clinical"] == pytest.approx(0.50, abs=1e-9)
    assert truth["relapse_risk_ratio_12m"] == pytest.approx(0.65, abs=1e-9)


def test_marginal_hr_is_recovered_by_the_randomized_comparison(randomized_40k):
    res = oc.compare_arms(randomized_40k, "relapse")
    truth = randomized_40k.truth
    assert res.hazard_ratio.ci_lower < truth["marginal_hr_relapse"] < res.hazard_ratio.ci_upper
    # non-collapsibility: the conditional HR is further from 1 than the marginal one
    assert truth["conditional_hr_relapse"] < truth["marginal_hr_relapse"] < 1


def test_retention_truth_recovered(randomized_40k):
    # everyone enrolled at least program_days before the as-of date has a complete treatment record
    L = randomized_40k.truth["program_days"]
    df = randomized_40k.df
    old = df[df["enroll_date"] <= pd.Timestamp(randomized_40k.as_of) - pd.Timedelta(days=L)]
    assert (old["exit_reason"] != "in_treatment").all()
    dropout = old.groupby("arm", observed=True)["exit_reason"].apply(lambda r: (r == "dropout").mean())
    truth = randomized_40k.truth["dropout_risk_by_program_end"]
    for arm in ("clinical", "peer_clinical"):
        assert abs(dropout[arm] - truth[arm]) < 0.02
    assert 0.75 <= dropout["peer_clinical"] / dropout["clinical"] <= 0.85  # 15-25% fewer dropouts (004)
    retention = (1 - dropout["peer_clinical"]) / (1 - dropout["clinical"])
    assert retention == pytest.approx(1.20, abs=0.05)  # +20% retention (004)


def _log_ratio_and_se(y1, y0, e1=None, e0=None):
    """Ratio of means (or of rates with exposure) with a delta-method SE on the log scale."""
    y1, y0 = np.asarray(y1, float), np.asarray(y0, float)
    e1 = np.ones_like(y1) if e1 is None else np.asarray(e1, float)
    e0 = np.ones_like(y0) if e0 is None else np.asarray(e0, float)
    r1, r0 = y1.sum() / e1.sum(), y0.sum() / e0.sum()
    var1 = np.sum((y1 - r1 * e1) ** 2) / e1.sum() ** 2 / r1**2
    var0 = np.sum((y0 - r0 * e0) ** 2) / e0.sum() ** 2 / r0**2
    return np.log(r1 / r0), np.sqrt(var1 + var0)


@pytest.mark.parametrize(
    "column, exposure, truth_key",
    [
        ("aftercare_engaged", None, "aftercare_risk_ratio"),
        ("sessions_attended", "exit_days", "sessions_rate_ratio"),
        ("ed_visits_12m", "exposure_12m", "ed_visits_rate_ratio"),
        ("mh_admissions_12m", "exposure_12m", "mh_admissions_rate_ratio"),
    ],
)
def test_secondary_ratios_within_sampling_error(randomized_40k, column, exposure, truth_key):
    df = randomized_40k.df.assign(exposure_12m=lambda d: np.minimum(d["followup_days"], 365))
    df = df[df[column].notna()]
    p, c = df[df.arm == "peer_clinical"], df[df.arm == "clinical"]
    log_ratio, se = _log_ratio_and_se(p[column], c[column], None if exposure is None else p[exposure],
                                      None if exposure is None else c[exposure])
    assert abs(log_ratio - np.log(randomized_40k.truth[truth_key])) < 4 * se


@pytest.mark.parametrize(
    "baseline, followup, truth_key",
    [("mh_score_baseline", "mh_score_12m", "mh_score_reduction"), ("use_days_baseline", "use_days_followup", "use_days_reduction")],
)
def test_symptom_and_use_reductions_within_sampling_error(randomized_40k, baseline, followup, truth_key):
    df = randomized_40k.df.dropna(subset=[followup])
    for arm in ("clinical", "peer_clinical"):
        part = df[df.arm == arm]
        reduction = 1 - part[followup].mean() / part[baseline].mean()
        se = part[followup].std() / np.sqrt(len(part)) / part[baseline].mean()
        assert abs(reduction - randomized_40k.truth[truth_key][arm]) < 4 * se + 0.005  # + rounding to whole days


def test_self_selection_makes_arms_differ_and_randomization_does_not():
    selected = oc.synthetic_cohort(n=20_000, seed=5).df
    randomized = oc.synthetic_cohort(n=20_000, seed=5, randomized=True).df
    gap = selected.groupby("arm", observed=True)["co_occurring_mh"].mean().diff().iloc[-1]
    gap_rand = randomized.groupby("arm", observed=True)["co_occurring_mh"].mean().diff().iloc[-1]
    assert gap > 0.15  # those referred to peer support have more co-occurring illness
    assert abs(gap_rand) < 0.03
    assert selected["co_occurring_mh"].mean() == pytest.approx(0.428, abs=0.015)  # 42.8% (004)


def test_null_scenario_has_no_effect():
    cohort = oc.synthetic_cohort(n=20_000, seed=9, scenario="null", randomized=True)
    assert cohort.truth["marginal_hr_relapse"] == pytest.approx(1.0, abs=1e-9)
    res = oc.compare_arms(cohort, "relapse")
    assert res.hazard_ratio.ci_lower < 1 < res.hazard_ratio.ci_upper


def test_calendar_and_censoring_follow_the_as_of_date():
    cohort = oc.synthetic_cohort(n=5000, seed=3)
    df = cohort.df
    as_of = pd.Timestamp(cohort.as_of)
    assert df.enroll_date.max() <= as_of
    assert df.enroll_date.min() >= pd.Timestamp("2024-10-01")  # 8 quarters up to 2026-09-30
    assert df.enroll_date.dt.to_period("Q").nunique() == 8
    horizon = (as_of - df.enroll_date).dt.days
    assert (df.relapse_days <= horizon).all() and (df.exit_days <= horizon).all()
    assert (df.followup_days <= horizon).all() and (df.followup_days < horizon).any()  # some lost to follow-up
    assert set(df.exit_reason.unique()) == {"dropout", "completed", "transferred", "in_treatment"}
    assert 3 <= df.site.nunique() <= 5


def test_overrides_and_unknown_parameters():
    cohort = oc.synthetic_cohort(n=200, seed=1, relapse_risk_12m_clinical=0.6)
    assert cohort.truth["relapse_risk_12m"]["clinical"] == pytest.approx(0.6, abs=1e-9)
    with pytest.raises(oc.InputError, match=r"unknown scenario parameter\(s\) \['relapse_rsk'\]"):
        oc.synthetic_cohort(n=200, relapse_rsk=0.6)
    with pytest.raises(oc.InputError, match="unknown scenario 'optimistic'"):
        oc.synthetic_cohort(n=200, scenario="optimistic")
    with pytest.raises(oc.InputError, match="n must be a whole number"):
        oc.synthetic_cohort(n=1.5)
    with pytest.raises(oc.InputError, match="out of range"):
        oc.Scenario(relapse_risk_12m_clinical=1.2)


def test_every_scenario_claim_is_quoted_verbatim_from_its_source():
    quoted = 0
    for f in dataclasses.fields(oc.Scenario):
        if "claim" in f.metadata:
            text = (SEEDS / f.metadata["source"]).read_text(encoding="utf-8")
            assert f.metadata["claim"] in text, f.name
            quoted += 1
        else:
            assert f.metadata.get("assumption"), f"{f.name} has neither a claim nor an assumption"
    assert quoted >= 9


def test_bundled_cohort_regenerates_byte_for_byte(tmp_path):
    assert main(["synth", "--n", "2000", "--seed", "0", "--out", str(tmp_path / "cohort.csv")]) == 0
    for name in ("cohort.csv", "cohort.meta.json", "data_dictionary.csv"):
        assert filecmp.cmp(tmp_path / name, REPO / "data" / "synthetic" / name, shallow=False), name


def test_data_dictionary_covers_every_column():
    from outcomes.present.data_dictionary import data_dictionary

    cohort = oc.Cohort.read(REPO / "data" / "synthetic" / "cohort.csv")
    assert data_dictionary()["name"].tolist() == cohort.df.columns.tolist()
    assert len(cohort) == 2000 and cohort.truth["relapse_risk_ratio_12m"] == pytest.approx(0.65)

"""Cohorts of every shape a small program has: 1-300 participants, lopsided arms, no events or only events,
one or several sites, constant or blank covariates, tied and zero times. Used by the property tests
(hypothesis draws the parameters) and by ``benchmarks/sweep_contract.py`` (a seeded grid of its own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

import outcomes as oc

AS_OF = dt.date(2026, 9, 30)


@dataclass(frozen=True)
class Shape:
    n: int
    treated_share: float  # 0..1 (the reference arm still gets at least one participant)
    relapse_rate: float  # 0..1: share with a relapse
    dropout_rate: float  # 0..1
    sites: int
    covariates: str  # "normal" | "constant" | "blank" | "sparse"
    ties: bool  # times on a coarse grid (many ties) and some zero times
    seed: int


def cohort_of(shape: Shape) -> oc.Cohort:
    """A canonical cohort of the given shape (both outcomes, enrollment dates, covariates, secondary outcomes)."""
    rng = np.random.default_rng(shape.seed)
    n = shape.n
    treated = rng.random(n) < shape.treated_share
    treated[0] = False  # both arm labels must exist: the reference arm has participant 1
    if n > 1:
        treated[-1] = True
    follow = rng.integers(0, 720, n).astype(float)
    relapse_day = np.ceil(rng.exponential(200, n))
    if shape.ties:
        follow = np.round(follow / 90) * 90
        relapse_day = np.round(relapse_day / 30) * 30
    relapsed = (rng.random(n) < shape.relapse_rate) & (relapse_day <= follow)
    exit_day = np.minimum(np.ceil(rng.exponential(120, n)), 180)
    reason = np.where(exit_day >= 180, "completed",
                      np.where(rng.random(n) < shape.dropout_rate, "dropout", "transferred"))
    reason = np.where(exit_day > follow, "in_treatment", reason)
    enroll = pd.Timestamp(AS_OF) - pd.to_timedelta(follow, unit="D")
    df = pd.DataFrame({
        "participant_id": [f"P{i:04d}" for i in range(n)],
        "arm": np.where(treated, "peer_clinical", "clinical"),
        "site": np.array(["Site A", "Site B", "Site C"])[rng.integers(0, shape.sites, n)],
        "enroll_date": enroll.normalize(),
        "followup_days": follow,
        "relapse_days": np.where(relapsed, relapse_day, follow),
        "relapse_event": relapsed.astype(int),
        "exit_days": np.minimum(exit_day, follow),
        "exit_reason": reason,
        "age": rng.integers(18, 70, n).astype(float),
        "sex": rng.choice(["female", "male"], n),
        "co_occurring_mh": (rng.random(n) < 0.4).astype(float),
        "aftercare_engaged": (rng.random(n) < 0.5).astype(float),
        "ed_visits_12m": rng.poisson(0.3, n).astype(float),
        "mh_admissions_12m": rng.poisson(0.05, n).astype(float),
        "mh_score_baseline": rng.integers(0, 28, n).astype(float),
        "mh_score_12m": np.where(follow >= 365, rng.integers(0, 28, n), np.nan),
    })
    if shape.covariates == "constant":
        df["age"], df["co_occurring_mh"] = 40.0, 1.0
    elif shape.covariates == "blank":
        df["age"], df["sex"] = np.nan, None
    elif shape.covariates == "sparse":
        df.loc[rng.random(n) < 0.6, "age"] = np.nan
    return oc.Cohort(df, reference="clinical", as_of=AS_OF, covariates=["age", "sex", "co_occurring_mh", "site"])


def analyses(cohort: oc.Cohort) -> dict:
    """Every public analysis, as zero-argument calls."""
    adjust = ["age", "sex", "co_occurring_mh"]
    calls = {
        "compare_arms relapse": lambda: oc.compare_arms(cohort, "relapse"),
        "compare_arms retention": lambda: oc.compare_arms(cohort, "retention"),
        "compare_arms adjusted": lambda: oc.compare_arms(cohort, "relapse", adjust=adjust),
        "compare_arms stratified": lambda: oc.compare_arms(cohort, "relapse", strata="site"),
        "compare_arms robust": lambda: oc.compare_arms(cohort, "relapse", robust=True),
        "compare_arms iptw": lambda: oc.compare_arms(cohort, "relapse", adjust=adjust, weights="iptw",
                                                     bootstrap=50),
        "cumulative_incidence": lambda: oc.cumulative_incidence(cohort),
        "cumulative_incidence from site counts": lambda: oc.cumulative_incidence(
            oc.summarize(cohort, "retention", by="site")),
        "synthetic_twin and twin_report": lambda: oc.twin_report(cohort, oc.synthetic_twin(cohort)),
        "reidentification_risk": lambda: oc.reidentification_risk(cohort.df),
        "fit_parametric": lambda: oc.fit_parametric(cohort, horizon=365),
        "reconcile": lambda: oc.reconcile(cohort),
        "as_of": lambda: oc.as_of(cohort, "2026-03-31"),
        "balance": lambda: oc.balance(cohort, adjust, weights="iptw"),
    }
    for outcome in ("aftercare_engaged", "ed_visits_12m", "mh_admissions_12m", "mh_score"):
        calls[f"compare_secondary {outcome}"] = lambda o=outcome: oc.compare_secondary(cohort, o)
    return calls

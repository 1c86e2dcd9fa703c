"""Synthetic cohorts calibrated to the articles, with their true effects known.

The generator draws a population of covariates, assigns arms (self-selected by
default), and draws every outcome from a model whose parameters are solved so
that the *marginal* effects equal the scenario's targets: e.g. a 50% 12-month
relapse risk with clinical care only and 35% less with peer support added,
averaged over the covariate mix. The solving happens once per scenario on a
fixed calibration population of 200,000 draws (its own seed, independent of
the cohort's), which also yields ``cohort.truth``.

Models (days throughout):

- relapse: Weibull proportional hazards, shape < 1 (hazard highest early);
  log-hazard linear in age, sex, substance, co-occurring mental illness, prior
  treatments, unstable housing and site, plus the arm effect;
- retention: latent dropout time (Weibull PH in discrete covariates and arm),
  latent transfer time (constant hazard), completion at ``program_days``;
  the earliest ends treatment;
- self-selection: logistic model of joining peer support in co-occurring
  mental illness, prior treatments, unstable housing, age and site;
- calendar: sites open in staggered quarters; enrollment uniform while open;
  follow-up ends at ``as_of`` or at loss to follow-up (exponential);
- secondary outcomes: multiplicative models, so that marginal ratios equal
  the scenario's ratios exactly.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from ..model import schema as s
from ..model.cohort import Cohort
from ..core.errors import InputError
from ..model.outcome_registry import SECONDARY_OUTCOMES, secondary_columns
from . import delayed_uptake, recurrent, weibull
from .interviews import draw_interviews
from .scenario import Scenario, get_scenario

__all__ = ["synthetic_cohort", "scenario_truth"]

_CALIBRATION_SIZE = 200_000
_CALIBRATION_SEED = 20250502  # the date of the oldest article (000): fixed, independent of user seeds
_SITES = ("Site A", "Site B", "Site C", "Site D", "Site E")
_SITE_OPENS_QUARTER = (0, 0, 2, 4, 5)  # staggered openings (quarter index)
_SITE_SHARE = (0.32, 0.28, 0.18, 0.14, 0.08)
_SUBSTANCES = ("alcohol", "opioids", "stimulants", "cannabis")
_SUBSTANCE_SHARE = (0.35, 0.35, 0.18, 0.12)

# log-hazard ratios of relapse (assumptions, documented in the data dictionary)
_RELAPSE_SUBSTANCE = np.array([0.0, 0.30, 0.20, -0.20])
# log-hazard ratios of dropout
_DROPOUT_SUBSTANCE = np.array([0.0, 0.25, 0.30, 0.10])
# log-odds of choosing peer support
_SELECT_SITE = np.array([0.4, 0.0, -0.4, 0.2, 0.0])


@dataclass(frozen=True)
class _Population:
    age: np.ndarray
    female: np.ndarray
    substance: np.ndarray  # index into _SUBSTANCES
    mh: np.ndarray
    prior: np.ndarray
    housing: np.ndarray
    site: np.ndarray  # index into _SITES

    def relapse_lp(self) -> np.ndarray:
        return (
            -0.015 * (self.age - 38.0)
            - 0.10 * self.female
            + _RELAPSE_SUBSTANCE[self.substance]
            + 0.40 * self.mh
            + 0.12 * self.prior
            + 0.50 * self.housing
        )

    def dropout_lp(self) -> np.ndarray:
        return (
            0.35 * self.mh
            + 0.40 * self.housing
            + _DROPOUT_SUBSTANCE[self.substance]
            + 0.06 * np.minimum(self.prior, 5)
        )

    def selection_logit(self) -> np.ndarray:
        """Participants with more needs (co-occurring illness, prior treatment, unstable housing) are
        referred to peer support more often; availability differs by site."""
        return (
            1.00 * self.mh
            + 0.25 * (self.prior - 1.2)
            + 0.40 * self.housing
            + 0.015 * (self.age - 38.0)
            + _SELECT_SITE[self.site]
        )

    def aftercare_multiplier(self) -> np.ndarray:
        return np.exp(-0.25 * self.mh - 0.35 * self.housing + 0.005 * (self.age - 38.0))


def _draw_population(sc: Scenario, n: int, rng: np.random.Generator) -> _Population:
    k = sc.n_sites
    share = np.array(_SITE_SHARE[:k]) / sum(_SITE_SHARE[:k])
    return _Population(
        age=np.clip(np.round(rng.normal(sc.mean_age, 11.0, n)), 18, 75),
        female=(rng.random(n) < sc.female_share).astype(np.int8),
        substance=rng.choice(len(_SUBSTANCES), size=n, p=_SUBSTANCE_SHARE),
        mh=(rng.random(n) < sc.co_occurring_mh_prevalence).astype(np.int8),
        prior=rng.poisson(1.2, n).astype(np.int64),
        housing=(rng.random(n) < sc.housing_unstable_prevalence).astype(np.int8),
        site=rng.choice(k, size=n, p=share),
    )


@dataclass(frozen=True)
class _Calibration:
    relapse_scale: float  # cumulative hazard at 365 days for lp = 0, clinical arm
    relapse_beta: float  # conditional log-HR of peer support
    dropout_scale: float
    dropout_beta: float
    transfer_rate: float
    select_intercept: float
    aftercare_base: float
    truth: dict[str, Any]


def _dropout_cif(scale: float, beta: float, lp_values: np.ndarray, lp_weights: np.ndarray, sc: Scenario,
                 transfer_rate: float) -> float:
    """P(dropout before program end), averaged over the covariate mix; exact up to the 4,000-step grid."""
    grid = np.linspace(0.0, sc.program_days, 4001)
    H = scale * (grid / sc.program_days) ** sc.dropout_weibull_shape  # (m,)
    F = 1 - np.exp(-np.outer(np.exp(lp_values + beta), H))  # (groups, m)
    survive_transfer = np.exp(-transfer_rate * (grid[1:] + grid[:-1]) / 2)
    cif = (np.diff(F, axis=1) * survive_transfer).sum(axis=1)
    return float(np.dot(cif, lp_weights))


@functools.lru_cache(maxsize=16)
def _calibrate(sc: Scenario) -> _Calibration:
    rng = np.random.default_rng(_CALIBRATION_SEED)
    pop = _draw_population(sc, _CALIBRATION_SIZE, rng)
    risk_lp = np.exp(pop.relapse_lp())

    def risk(c: float, beta: float) -> float:  # 12-month relapse risk of the population
        return float(np.mean(1 - np.exp(-c * risk_lp * np.exp(beta))))

    c = optimize.brentq(lambda c: risk(c, 0.0) - sc.relapse_risk_12m_clinical, 1e-6, 50, xtol=1e-14)
    beta = 0.0 if sc.relapse_risk_reduction == 0 else optimize.brentq(
        lambda b: risk(c, b) - sc.relapse_risk_12m_peer, -10, 10, xtol=1e-14)
    dropout = _DropoutCalibration.solve(sc, pop)
    sel = pop.selection_logit()
    a0 = optimize.brentq(lambda a: float(np.mean(1 / (1 + np.exp(-(a + sel))))) - 0.45, -10, 10, xtol=1e-12)
    aftercare_base = sc.aftercare_rate_clinical / float(np.mean(pop.aftercare_multiplier()))
    marginal = _marginal_hr(sc, pop, rng, c, beta, risk_lp)
    truth = _truth(sc, risk(c, 0.0), risk(c, beta), beta, marginal, dropout)
    return _Calibration(c, beta, dropout.cd, dropout.bd, dropout.transfer_rate, a0, aftercare_base, _rounded(truth))


@dataclass(frozen=True)
class _DropoutCalibration:
    """Dropout depends on discrete covariates only, so its risk averages over their distinct values."""

    cd: float
    bd: float
    lp_d: np.ndarray
    lp_w: np.ndarray
    transfer_rate: float

    @classmethod
    def solve(cls, sc: Scenario, pop: _Population) -> _DropoutCalibration:
        lp_d, inverse = np.unique(np.round(pop.dropout_lp(), 12), return_inverse=True)
        lp_w = np.bincount(inverse.ravel()) / _CALIBRATION_SIZE
        transfer_rate = -np.log(1 - sc.transfer_risk) / sc.program_days
        cd = optimize.brentq(lambda x: _dropout_cif(x, 0.0, lp_d, lp_w, sc, transfer_rate) - sc.dropout_risk_clinical,
                             1e-6, 50, xtol=1e-13)
        bd = 0.0 if sc.retention_increase == 0 else optimize.brentq(
            lambda b: _dropout_cif(cd, b, lp_d, lp_w, sc, transfer_rate) - sc.dropout_risk_peer, -10, 10, xtol=1e-13)
        return cls(cd, bd, lp_d, lp_w, transfer_rate)

    def risk(self, sc: Scenario, peer: bool) -> float:
        return _dropout_cif(self.cd, self.bd if peer else 0.0, self.lp_d, self.lp_w, sc, self.transfer_rate)


def _marginal_hr(sc: Scenario, pop: _Population, rng: np.random.Generator, c: float, beta: float,
                 risk_lp: np.ndarray) -> float:
    """The marginal hazard ratio: a Cox fit to both potential outcomes of everyone, under the design's censoring."""
    from ..stats import fit_cox

    u = rng.random(_CALIBRATION_SIZE)
    t0 = _weibull_days(u, c, risk_lp, sc.relapse_weibull_shape)
    t1 = _weibull_days(u, c, risk_lp * np.exp(beta), sc.relapse_weibull_shape)
    follow = _follow_up_days(sc, rng, _enrollment_days(sc, rng, pop.site)[1])
    time = np.concatenate([np.minimum(t0, follow), np.minimum(t1, follow)])
    event = np.concatenate([t0 <= follow, t1 <= follow]).astype(float)
    arm = np.concatenate([np.zeros(_CALIBRATION_SIZE), np.ones(_CALIBRATION_SIZE)])
    return float(np.exp(fit_cox(arm[:, None], time, event, terms=["arm"]).coef[0]))


def _truth(sc: Scenario, risk0: float, risk1: float, beta: float, marginal: float,
           dropout: _DropoutCalibration) -> dict[str, Any]:
    """What a synthetic cohort of this scenario truly has: the numbers tests and reconciliation check against."""
    d0, d1 = dropout.risk(sc, peer=False), dropout.risk(sc, peer=True)
    return {
        "scenario": sc.name,
        "conditional_hr_relapse": float(np.exp(beta)),
        "marginal_hr_relapse": marginal,
        "relapse_risk_12m": {s.CLINICAL: risk0, s.PEER_CLINICAL: risk1},
        "relapse_risk_ratio_12m": risk1 / risk0,
        "conditional_hr_dropout": float(np.exp(dropout.bd)),
        "dropout_risk_by_program_end": {s.CLINICAL: d0, s.PEER_CLINICAL: d1},
        "program_days": sc.program_days,
        "aftercare_risk_ratio": sc.aftercare_risk_ratio,
        "aftercare_rate": {s.CLINICAL: sc.aftercare_rate_clinical,
                           s.PEER_CLINICAL: sc.aftercare_rate_clinical * sc.aftercare_risk_ratio},
        "sessions_rate_ratio": sc.sessions_rate_ratio,
        "ed_visits_rate_ratio": sc.ed_visits_rate_ratio,
        "mh_admissions_rate_ratio": sc.mh_admissions_rate_ratio,
        "mh_score_reduction": {s.CLINICAL: sc.mh_score_reduction_clinical, s.PEER_CLINICAL: sc.mh_score_reduction_peer},
        "use_days_reduction": {s.CLINICAL: sc.use_days_reduction_clinical, s.PEER_CLINICAL: sc.use_days_reduction_peer},
        "use_days_reduction_ratio": sc.use_days_reduction_peer / sc.use_days_reduction_clinical
        if sc.use_days_reduction_clinical else float("nan"),
        "dropout_ratio": d1 / d0,
        "retention_at_program_end": {s.CLINICAL: 1 - d0, s.PEER_CLINICAL: 1 - d1},
        "retention_ratio": (1 - d1) / (1 - d0),
    }


def _rounded(value: Any) -> Any:
    """Truth values to 10 decimals: solver noise below that is not information, and files stay stable."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 10)
    return value


def _weibull_days(u: np.ndarray, scale365: float, multiplier: np.ndarray, shape: float) -> np.ndarray:
    """Whole days to the event: cumulative hazard ``scale365 * multiplier * (t / 365)^shape``, inverted."""
    return np.ceil(np.minimum(weibull.days_at(-np.log(u), scale365, multiplier, shape), 1e7))


def _enrollment_window(sc: Scenario) -> tuple[dt.date, dt.date]:
    as_of = dt.date.fromisoformat(sc.as_of)
    # first day of the quarter `enrollment_quarters - 1` quarters before the as-of quarter
    q_index = as_of.year * 4 + (as_of.month - 1) // 3 - (sc.enrollment_quarters - 1)
    start = dt.date(q_index // 4, (q_index % 4) * 3 + 1, 1)
    return start, as_of


def _quarter_start(start: dt.date, k: int) -> dt.date:
    q = start.year * 4 + (start.month - 1) // 3 + k
    return dt.date(q // 4, (q % 4) * 3 + 1, 1)


def _enrollment_days(sc: Scenario, rng: np.random.Generator, site: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Enrollment day (from the window's start) and days from enrollment to the as-of date.

    Sites open in staggered quarters; enrollment is uniform over each site's open window.
    """
    start, as_of = _enrollment_window(sc)
    opens = np.array([(_quarter_start(start, min(q, sc.enrollment_quarters - 1)) - start).days
                      for q in _SITE_OPENS_QUARTER[: sc.n_sites]])
    span = (as_of - start).days + 1
    site_open = opens[site]
    enroll_offset = site_open + np.floor(rng.random(site.size) * (span - site_open)).astype(np.int64)
    return enroll_offset, (span - 1 - enroll_offset).astype(float)


def _follow_up_days(sc: Scenario, rng: np.random.Generator, admin: np.ndarray) -> np.ndarray:
    """Days from enrollment to last contact: the as-of date, or loss to follow-up if earlier."""
    n = admin.size
    if sc.annual_loss_to_follow_up > 0:
        rate = -np.log(1 - sc.annual_loss_to_follow_up) / 365.0
        lost = np.floor(rng.exponential(1 / rate, n))
        return np.minimum(admin, lost)
    return admin


def scenario_truth(scenario: str | Scenario = "articles", **overrides: Any) -> dict[str, Any]:
    """The true effects of a scenario (what ``synthetic_cohort(...).truth`` holds).

    >>> t = scenario_truth("articles")
    >>> round(t["relapse_risk_ratio_12m"], 6)
    0.65
    """
    return dict(_calibrate(get_scenario(scenario, **overrides)).truth)


def _ids(n: int) -> pd.arrays.ArrowStringArray:
    """``SYN-000001``, ... built in Arrow (no Python string objects: 10M ids in about 1 s, 100 MB)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    width = max(6, len(str(n)))
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0")
    return pd.arrays.ArrowStringArray(pc.binary_join_element_wise("SYN-", digits, ""))


def checked_seed(seed: object) -> int | np.random.Generator:
    """A seed numpy accepts: a whole number >= 0 or a Generator (InputError otherwise)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0 (or a numpy Generator), not {seed!r}")
    return int(seed)


def synthetic_cohort(n: int = 2000, scenario: str | Scenario = "articles", seed: int | np.random.Generator = 0,
                     **overrides: Any) -> Cohort:
    """A synthetic two-arm cohort whose true effects are known (``cohort.truth``).

    Parameters
    ----------
    n, seed : int, int or numpy Generator
        Participants; the seed (same seed, same cohort, byte for byte).
    scenario : {"articles", "null"} or Scenario
        ``articles`` encodes the articles' figures; ``null`` has no peer-support effect.
    **overrides
        Any :class:`~outcomes.Scenario` field, e.g. ``randomized=True``, ``recurrent=True``, ``interviews=True``.

    Returns
    -------
    Cohort
        Arms ``clinical`` (reference) and ``peer_clinical``; ``truth`` the true effects: at least
        ``conditional_hr_relapse``, ``marginal_hr_relapse``, ``relapse_risk_12m`` (per arm), the ratios.

    Examples
    --------
    >>> import outcomes as oc
    >>> cohort = oc.synthetic_cohort(n=500, seed=1, randomized=True)
    >>> len(cohort), cohort.arms, round(cohort.truth["relapse_risk_ratio_12m"], 2)
    (500, ('clinical', 'peer_clinical'), 0.65)
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 2:
        raise InputError(f"n must be a whole number of participants >= 2, not {n!r}")
    sc = get_scenario(scenario, **overrides)
    cal = _calibrate(sc)
    rng = np.random.default_rng(checked_seed(seed))
    n = int(n)
    # Draws in a fixed order (population, arms, calendar, relapse, retention, secondary): same seed, same bytes.
    pop = _draw_population(sc, n, rng)
    if sc.randomized or sc.peer_uptake == "delayed":  # delayed: who is ever exposed comes from the uptake
        peer = rng.random(n) < 0.5
    else:
        peer = rng.random(n) < 1 / (1 + np.exp(-(cal.select_intercept + pop.selection_logit())))
    start, as_of = _enrollment_window(sc)
    enroll_offset, admin = _enrollment_days(sc, rng, pop.site)
    follow = _follow_up_days(sc, rng, admin)
    relapse, peer, retention = _relapse_and_retention(sc, cal, rng, pop, peer, follow, admin)
    secondary = _secondary(sc, cal, rng, pop, peer, follow, retention[s.EXIT_DAYS])
    enroll = np.datetime64(start.isoformat(), "D") + enroll_offset
    df = pd.DataFrame({
        s.PARTICIPANT_ID: _ids(n),
        s.ARM: pd.Categorical.from_codes(peer.astype(np.int8), categories=[s.CLINICAL, s.PEER_CLINICAL]),
        s.SITE: np.array(_SITES, dtype=object)[pop.site], s.ENROLL_DATE: enroll.astype("datetime64[ns]"),
        s.FOLLOWUP_DAYS: follow, **relapse, **retention, **_covariate_columns(pop),
        **{c.name: secondary[c.name] for c in secondary_columns() if c.name in secondary},
    })
    provenance = {"source": "synthetic_cohort", "n": n, "seed": seed if isinstance(seed, int) else str(seed),
                  "scenario": sc.name}
    truth = {**cal.truth, **_delayed_truth(sc)} if sc.peer_uptake == "delayed" else cal.truth
    events, truth = _episodes(sc, cal, rng, pop, peer, follow, df, truth) if sc.recurrent else (None, truth)
    interviews, truth = _interviews(sc, seed, rng, df, as_of, truth) if sc.interviews else (None, truth)
    return Cohort(df, reference=s.CLINICAL, as_of=as_of, covariates=(*s.STANDARD_COVARIATES, s.SITE),
                  scenario=sc.to_dict(), truth=truth, provenance=provenance, copy=False, events=events,
                  interviews=interviews)


def _interviews(sc: Scenario, seed: int | np.random.Generator, rng: np.random.Generator, df: pd.DataFrame,
                as_of: dt.date, truth: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Follow-up interviews (:mod:`outcomes.synthetic.interviews`) from their own generator, drawn last: a cohort
    without them is unchanged."""
    own = (np.random.default_rng([int(seed), 27]) if isinstance(seed, (int, np.integer))
           else np.random.default_rng(int(rng.integers(2**32))))
    interviews, seen = draw_interviews(df, as_of, (sc.interview_reach_clinical, sc.interview_reach_peer), own)
    return interviews, {**truth, "interview_truth": seen}


def _episodes(sc: Scenario, cal: _Calibration, rng: np.random.Generator, pop: _Population, peer: np.ndarray,
              follow: np.ndarray, df: pd.DataFrame, truth: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Every relapse episode (:mod:`outcomes.synthetic.recurrent`), drawn last so that a cohort without them is
    the same byte for byte; the relapse columns become the first episode (in ``df``)."""
    rate = cal.relapse_scale / 365.0 * np.exp(pop.relapse_lp() + cal.relapse_beta * peer)
    events = recurrent.draw_episodes(rng, rate, follow, sc.recurrent_frailty, df[s.PARTICIPANT_ID].to_numpy())
    df[s.RELAPSE_DAYS], df[s.RELAPSE_EVENT] = recurrent.first_episode(events, df[s.PARTICIPANT_ID], follow)
    return events, {**{k: v for k, v in truth.items() if k not in recurrent.FIRST_RELAPSE_TRUTHS},
                    **recurrent.recurrent_truth(rate, peer, float(np.exp(cal.relapse_beta)))}


def _relapse_and_retention(sc: Scenario, cal: _Calibration, rng: np.random.Generator, pop: _Population,
                           peer: np.ndarray, follow: np.ndarray, admin: np.ndarray
                           ) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Relapse, who is in the peer arm, and time in treatment. With delayed uptake the arm is who was ever
    exposed, and leaving treatment does not depend on exposure (drawn as for clinical care)."""
    if sc.peer_uptake != "delayed":
        return _relapse(sc, cal, rng, pop, peer, follow), peer, _retention(sc, cal, rng, pop, peer, admin)
    relapse, exposure = _delayed_relapse(sc, cal, rng, pop, follow)
    ever = exposure.pop(s.ARM) == s.PEER_CLINICAL
    return {**relapse, **exposure}, ever, _retention(sc, cal, rng, pop, np.zeros(peer.size, dtype=bool), admin)


def _delayed_relapse(sc: Scenario, cal: _Calibration, rng: np.random.Generator, pop: _Population,
                     follow: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Relapse when peer support starts after enrollment (:mod:`outcomes.synthetic.delayed_uptake`)."""
    start = delayed_uptake.draw_uptake(rng, delayed_uptake.uptake_ceiling(pop.selection_logit()))
    t = delayed_uptake.delayed_relapse(rng.random(start.size), start, cal.relapse_scale, np.exp(pop.relapse_lp()),
                                       sc.relapse_weibull_shape, sc.peer_effect)
    t_relapse = np.ceil(np.minimum(t, 1e7))
    event = (t_relapse <= follow).astype(np.int8)
    relapse = {s.RELAPSE_DAYS: np.where(event == 1, t_relapse, follow), s.RELAPSE_EVENT: event}
    return relapse, delayed_uptake.exposure_columns(start, t, follow)


@functools.lru_cache(maxsize=16)
def _delayed_truth(sc: Scenario) -> dict[str, Any]:
    """The true exposure effect and the emulated trial's true risks, simulated on a large population."""
    cal = _calibrate(sc)
    rng = np.random.default_rng(_CALIBRATION_SEED + 1)
    pop = _draw_population(sc, delayed_uptake.TRUTH_SIZE, rng)
    risks = delayed_uptake.strategy_risks(rng, np.exp(pop.relapse_lp()),
                                          delayed_uptake.uptake_ceiling(pop.selection_logit()), cal.relapse_scale,
                                          sc.relapse_weibull_shape, sc.peer_effect, sc.grace_days)
    return _rounded({"exposure_hr": sc.peer_effect, "grace_days": sc.grace_days, **risks})


def _covariate_columns(pop: _Population) -> dict[str, np.ndarray]:
    return {"age": pop.age, "sex": np.array(["male", "female"], dtype=object)[pop.female],
            "primary_substance": np.array(_SUBSTANCES, dtype=object)[pop.substance],
            "co_occurring_mh": pop.mh.astype(np.int64), "prior_treatments": pop.prior,
            "housing_unstable": pop.housing.astype(np.int64)}


def _relapse(sc: Scenario, cal: _Calibration, rng: np.random.Generator, pop: _Population, peer: np.ndarray,
             follow: np.ndarray) -> dict[str, np.ndarray]:
    """Days to first relapse (Weibull proportional hazards), censored at the last contact."""
    n = peer.size
    t_relapse = _weibull_days(rng.random(n), cal.relapse_scale, np.exp(pop.relapse_lp() + cal.relapse_beta * peer),
                              sc.relapse_weibull_shape)
    relapse_event = (t_relapse <= follow).astype(np.int8)
    return {s.RELAPSE_DAYS: np.where(relapse_event == 1, t_relapse, follow), s.RELAPSE_EVENT: relapse_event}


def _retention(sc: Scenario, cal: _Calibration, rng: np.random.Generator, pop: _Population, peer: np.ndarray,
               admin: np.ndarray) -> dict[str, np.ndarray]:
    """Time in treatment: the earliest of dropout, transfer and completion; censored at the as-of date."""
    n = peer.size
    L = float(sc.program_days)
    h_drop = cal.dropout_scale * np.exp(pop.dropout_lp() + cal.dropout_beta * peer)
    t_drop = L * (-np.log(rng.random(n)) / h_drop) ** (1 / sc.dropout_weibull_shape)
    t_transfer = rng.exponential(1 / cal.transfer_rate, n) if cal.transfer_rate > 0 else np.full(n, np.inf)
    first = np.minimum(np.minimum(t_drop, t_transfer), L)
    reason = np.where(t_drop <= first, 1, np.where(t_transfer <= first, 3, 2))  # 1 dropout, 2 completed, 3 transferred
    exit_day = np.maximum(np.ceil(first), 1.0)
    still = exit_day > admin
    reason = np.where(still, 4, reason)
    return {s.EXIT_DAYS: np.where(still, admin, exit_day),
            s.EXIT_REASON: pd.Categorical.from_codes(np.array([-1, 0, 1, 2, 3])[reason],
                                                     categories=list(s.EXIT_REASONS))}


def _secondary(sc: Scenario, cal: _Calibration, rng: np.random.Generator, pop: _Population, peer: np.ndarray,
               follow: np.ndarray, days_in_treatment: np.ndarray) -> dict[str, np.ndarray]:
    """Secondary outcomes from multiplicative models (marginal ratios equal the scenario's); values measured
    after the last contact are missing (the outcome registry says when each is measured)."""
    n = peer.size
    aftercare_p = np.minimum(cal.aftercare_base * pop.aftercare_multiplier()
                             * np.where(peer, sc.aftercare_risk_ratio, 1.0), 1.0)
    out = {"aftercare_engaged": (rng.random(n) < aftercare_p).astype(float)}
    out["sessions_attended"] = _negative_binomial(
        rng, sc.sessions_per_week_clinical / 7 * days_in_treatment * np.where(peer, sc.sessions_rate_ratio, 1.0))
    exposure_12m = np.minimum(follow, 365.0)
    frailty = np.exp(0.3 * pop.mh + 0.3 * pop.housing) / np.mean(np.exp(0.3 * pop.mh + 0.3 * pop.housing))
    out["ed_visits_12m"] = _negative_binomial(rng, sc.ed_visits_per_year_clinical * exposure_12m / 365 * frailty
                                              * np.where(peer, sc.ed_visits_rate_ratio, 1.0))
    out["mh_admissions_12m"] = _negative_binomial(rng, sc.mh_admissions_per_year_clinical * exposure_12m / 365
                                                  * frailty * np.where(peer, sc.mh_admissions_rate_ratio, 1.0))
    mh_base = np.clip(np.round(rng.normal(14.0, 5.0, n)), 0, 27)
    reduction = np.where(peer, sc.mh_score_reduction_peer, sc.mh_score_reduction_clinical)
    out["mh_score_baseline"] = mh_base
    out["mh_score_12m"] = np.clip(np.round(mh_base * (1 - reduction) * rng.lognormal(-0.02, 0.2, n), 1), 0, 27)
    use_base = np.round(30 * rng.beta(2.0, 2.0, n))  # days of use in the past 30
    use_red = np.where(peer, sc.use_days_reduction_peer, sc.use_days_reduction_clinical)
    out["use_days_baseline"] = use_base
    out["use_days_followup"] = np.clip(np.round(use_base * (1 - use_red) * rng.lognormal(-0.045, 0.3, n)), 0, 30)
    for spec in SECONDARY_OUTCOMES.values():  # scores are measured at a visit: missing if follow-up ended before
        for column in spec.columns:
            if spec.kind == "score" and column.name in out and column.known_after_days is not None:
                out[column.name][follow < column.known_after_days] = np.nan
    return out


def _negative_binomial(rng: np.random.Generator, mean: np.ndarray, shape: float = 2.0) -> np.ndarray:
    """Gamma-Poisson counts with the given means (overdispersion 1/shape)."""
    return rng.poisson(mean * rng.gamma(shape, 1 / shape, mean.shape)).astype(float)

"""Synthetic cohorts in which peer support starts after enrollment, with the true effects they hold.

``synthetic_cohort(..., peer_uptake="delayed", peer_effect=HR)`` draws, for each participant:

- **uptake**: the first contact comes with a hazard that fades over time, ``a exp(-b t)`` times
  ``exp(g (selection score - 0.9))``: those with more needs (the covariates that also raise relapse risk)
  are connected sooner and more often, so uptake is confounded. Its cumulative hazard levels off, so a share
  is never connected (``1 - EVER_SHARE`` for an average participant), and the first contact of those who are
  comes after a median of about ``UPTAKE_MEDIAN_DAYS``. The hazard is proportional in the covariates, as the
  emulated trial's model of starting assumes. Contact happens only while the participant is still
  relapse-free and followed; it does not stop at the end of treatment.
- **relapse**: the Weibull proportional-hazards model of the fixed-arm cohorts (same calibration), with the
  hazard multiplied by ``peer_effect`` from the day of first contact on: ``peer_effect`` is the true
  conditional hazard ratio of exposure, ``truth["exposure_hr"]``.
- **leaving treatment**: as for the clinical-only arm, independent of relapse and uptake given the covariates.

The arm records who was ever exposed (``peer_clinical``), ``exposure_start_days`` when.

``truth`` also holds what the emulated target trial of :func:`outcomes.compare_exposure` estimates, computed
by simulating a large population (``TRUTH_SIZE``, fixed seed) under each strategy, not by formula:
"start within ``grace_days``" (every participant's first contact drawn from their uptake distribution given
that it falls within the grace period) and "do not start within ``grace_days``" (no contact before it; after
it, contacts as the uptake process gives them to those not yet started). The risks at 180 and 365 days, their
ratio and difference at 365 days.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import schema as s
from .weibull import cumulative_hazard, days_at

__all__ = ["EVER_SHARE", "TRUTH_SIZE", "UPTAKE_MEDIAN_DAYS", "delayed_relapse", "draw_uptake", "exposure_columns",
           "strategy_risks", "uptake_ceiling"]

EVER_SHARE = 0.7  # ever connected, for an average participant followed long enough
UPTAKE_MEDIAN_DAYS = 21.0  # median day of first contact among those connected, for an average participant
TRUTH_SIZE = 400_000
_UPTAKE_CONFOUNDING = 0.6  # log hazard ratio of uptake per unit of the self-selection score (centred)
_LEVEL = -np.log(1 - EVER_SHARE)  # the cumulative hazard's ceiling A = a / b
_DECAY = -np.log(1 - np.log(1 - EVER_SHARE / 2) / -_LEVEL) / UPTAKE_MEDIAN_DAYS  # b: half of the share by the median


def uptake_ceiling(selection: np.ndarray) -> np.ndarray:
    """Each participant's cumulative hazard of first contact as time goes to infinity (A exp(g x))."""
    return _LEVEL * np.exp(_UPTAKE_CONFOUNDING * (selection - 0.9))


def _contact_day(cumulative: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """The whole day at which the cumulative uptake hazard ``ceiling (1 - exp(-b t))`` reaches ``cumulative``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -np.log(1 - cumulative / ceiling) / _DECAY
    return np.where(cumulative < ceiling, np.maximum(np.ceil(t), 1.0), np.inf)


def delayed_relapse(u_relapse: np.ndarray, start: np.ndarray, scale365: float, multiplier: np.ndarray,
                    shape: float, effect: float) -> np.ndarray:
    """Continuous days to relapse when the hazard is multiplied by ``effect`` from day ``start`` (inf = never).

    >>> float(delayed_relapse(np.array([np.exp(-1.0)]), np.array([np.inf]), 1.0, np.ones(1), 1.0, 0.5)[0])
    365.0
    """
    target = -np.log(u_relapse)
    before = cumulative_hazard(np.minimum(start, 1e7), scale365, multiplier, shape)  # accrued by the start
    first = target <= before
    after = np.where(first, 0.0, (target - before) / effect + before)
    return np.where(first, days_at(target, scale365, multiplier, shape), days_at(after, scale365, multiplier, shape))


def draw_uptake(rng: np.random.Generator, ceiling: np.ndarray) -> np.ndarray:
    """Whole day of first contact, inf for those never connected."""
    return _contact_day(rng.exponential(1.0, ceiling.size), ceiling)


def strategy_risks(rng: np.random.Generator, relapse_multiplier: np.ndarray, ceiling: np.ndarray, scale365: float,
                   shape: float, effect: float, grace: float) -> dict[str, Any]:
    """Risks at 180 and 365 days under "start within grace" and "do not start within grace" (see the notes)."""
    n = ceiling.size
    u = rng.random(n)
    at_grace = ceiling * (1 - np.exp(-_DECAY * grace))  # cumulative uptake hazard by the end of grace
    # start within grace: the first contact drawn from the uptake distribution given that it falls within grace
    by_grace = 1 - np.exp(-at_grace)
    within = np.minimum(_contact_day(-np.log(1 - rng.random(n) * by_grace), ceiling), grace)
    t_start = delayed_relapse(u, within, scale365, relapse_multiplier, shape, effect)
    # do not start within grace: no contact before it; after it, contacts as the uptake process gives them
    later = np.maximum(_contact_day(at_grace + rng.exponential(1.0, n), ceiling), grace + 1)
    t_wait = delayed_relapse(u, later, scale365, relapse_multiplier, shape, effect)
    out: dict[str, Any] = {}
    for day in (180, 365):
        out[f"risk_{day}"] = {"start within grace": float(np.mean(np.ceil(t_start) <= day)),
                              "do not start within grace": float(np.mean(np.ceil(t_wait) <= day))}
    a, b = out["risk_365"]["start within grace"], out["risk_365"]["do not start within grace"]
    out["risk_ratio_365"], out["risk_difference_365"] = a / b, a - b
    return out


def exposure_columns(start: np.ndarray, t_relapse: np.ndarray, follow: np.ndarray) -> dict[str, np.ndarray]:
    """The arm (ever exposed while relapse-free and followed) and the day exposure started."""
    exposed = (start < t_relapse) & (start < follow)
    return {s.ARM: np.where(exposed, s.PEER_CLINICAL, s.CLINICAL),
            s.EXPOSURE_START: np.where(exposed, start, np.nan)}

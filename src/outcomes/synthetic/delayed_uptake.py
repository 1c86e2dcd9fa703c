"""Synthetic cohorts in which peer support starts after enrollment, with the true effects they hold.

``synthetic_cohort(..., peer_uptake="delayed", peer_effect=HR)`` draws, for each participant:

- **uptake**: with probability ``TAKER_SHARE`` the participant is one who would be connected with a peer coach;
  a taker's first contact comes on a whole day drawn from an exponential distribution whose median is
  ``UPTAKE_MEDIAN_DAYS`` for an average participant and shorter for those with more needs (the covariates
  that also raise relapse risk, through the self-selection score): uptake is confounded. Contact happens only
  while the participant is still relapse-free and followed. (Uptake does not stop at the end of treatment:
  a model of starting with the cohort's covariates is then correctly the one the emulated trial fits.)
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

__all__ = ["TAKER_SHARE", "TRUTH_SIZE", "UPTAKE_MEDIAN_DAYS", "delayed_relapse", "draw_uptake", "exposure_columns",
           "strategy_risks", "uptake_rate"]

TAKER_SHARE = 0.7
UPTAKE_MEDIAN_DAYS = 21.0
TRUTH_SIZE = 400_000
_UPTAKE_CONFOUNDING = 0.6  # uptake rate multiplier per unit of the self-selection score (centred)


def uptake_rate(selection: np.ndarray) -> np.ndarray:
    """Each participant's daily rate of first contact, if a taker (confounded through the selection score)."""
    return np.log(2) / UPTAKE_MEDIAN_DAYS * np.exp(_UPTAKE_CONFOUNDING * (selection - 0.9))


def _days_to(cumulative: np.ndarray, scale365: float, multiplier: np.ndarray, shape: float) -> np.ndarray:
    """Continuous days at which the Weibull cumulative hazard ``scale365 m (t/365)^k`` reaches ``cumulative``."""
    return 365.0 * (cumulative / (scale365 * multiplier)) ** (1.0 / shape)


def delayed_relapse(u_relapse: np.ndarray, start: np.ndarray, scale365: float, multiplier: np.ndarray,
                    shape: float, effect: float) -> np.ndarray:
    """Continuous days to relapse when the hazard is multiplied by ``effect`` from day ``start`` (inf = never).

    >>> float(delayed_relapse(np.array([np.exp(-1.0)]), np.array([np.inf]), 1.0, np.ones(1), 1.0, 0.5)[0])
    365.0
    """
    target = -np.log(u_relapse)
    before = scale365 * multiplier * (np.minimum(start, 1e7) / 365.0) ** shape  # hazard accrued by the start
    first = target <= before
    after = np.where(first, 0.0, (target - before) / effect + before)
    return np.where(first, _days_to(target, scale365, multiplier, shape),
                    _days_to(after, scale365, multiplier, shape))


def draw_uptake(rng: np.random.Generator, rate: np.ndarray) -> np.ndarray:
    """Whole day of first contact for takers, inf for the others."""
    taker = rng.random(rate.size) < TAKER_SHARE
    days = np.ceil(rng.exponential(1.0, rate.size) / rate)
    return np.where(taker, np.maximum(days, 1.0), np.inf)


def strategy_risks(rng: np.random.Generator, relapse_multiplier: np.ndarray, rate: np.ndarray, scale365: float,
                   shape: float, effect: float, grace: float) -> dict[str, Any]:
    """Risks at 180 and 365 days under "start within grace" and "do not start within grace" (see the notes)."""
    n = rate.size
    u = rng.random(n)
    # start within grace: the first contact drawn from the uptake distribution truncated to (0, grace]
    tail = np.exp(-rate * grace)
    within = np.maximum(np.ceil(-np.log(1 - rng.random(n) * (1 - tail)) / rate), 1.0)
    t_start = delayed_relapse(u, within, scale365, relapse_multiplier, shape, effect)
    # do not start within grace: those not started by then start later as the process gives (takers, updated)
    taker_after = TAKER_SHARE * tail / (TAKER_SHARE * tail + 1 - TAKER_SHARE)
    later = np.where(rng.random(n) < taker_after, grace + np.ceil(rng.exponential(1.0, n) / rate), np.inf)
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

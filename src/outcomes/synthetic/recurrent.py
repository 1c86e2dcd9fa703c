"""Every relapse episode of a synthetic cohort (``synthetic_cohort(..., recurrent=True)``).

Each participant relapses as a Poisson process over their follow-up, at the rate
``relapse_scale / 365 * exp(lp) * HR^peer * Z``: the first-relapse model's covariate effects (``lp``) and
peer-support hazard ratio (``HR``), and a gamma frailty ``Z`` of mean 1 and variance ``recurrent_frailty``
shared by all of a person's episodes (so episodes cluster in the same people, as in programs). Follow-up is
drawn before and independently of the frailty, so the Andersen-Gill rate ratio adjusted for the cohort's
covariates targets ``HR`` (the frailty is independent of the covariates: the rate given the covariates is the
frailty-free rate), and the mean cumulative function of an arm at day t is the arm's mean of
``relapse_scale / 365 * t * exp(lp) * HR^peer`` for those followed to t.

The first-relapse columns (``relapse_days``, ``relapse_event``) are then the first episode, and the truths of the
first-relapse model (:data:`FIRST_RELAPSE_TRUTHS`) are left out of ``cohort.truth``: with a frailty the first
episode's hazard ratio is not the rate ratio.

Episodes fall on whole days after enrollment; a second episode on a day that already has one is dropped (a
relapse is one episode per day), which at these rates changes the counts by well under 0.1%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import schema as s

__all__ = ["FIRST_RELAPSE_TRUTHS", "draw_episodes", "first_episode", "recurrent_truth"]

#: truths of the first-relapse (Weibull) model that do not hold once relapses are drawn as episodes with a frailty:
#: left out of ``cohort.truth`` (the first-relapse columns are then the first episode)
FIRST_RELAPSE_TRUTHS = ("conditional_hr_relapse", "marginal_hr_relapse", "relapse_risk_12m", "relapse_risk_ratio_12m")


def draw_episodes(rng: np.random.Generator, rate_per_day: np.ndarray, follow: np.ndarray, frailty_variance: float,
                  ids: np.ndarray) -> pd.DataFrame:
    """One row per episode: ``participant_id``, ``day`` (whole days in (0, follow])."""
    n = len(rate_per_day)
    frailty = (rng.gamma(1 / frailty_variance, frailty_variance, n) if frailty_variance > 0 else np.ones(n))
    counts = rng.poisson(rate_per_day * frailty * follow)
    person = np.repeat(np.arange(n), counts)
    day = np.ceil(rng.random(person.size) * follow[person])  # given the count, the times are uniform
    day = np.maximum(day, 1.0)
    episodes = pd.DataFrame({"person": person, "day": day}).drop_duplicates().sort_values(["person", "day"])
    return pd.DataFrame({s.PARTICIPANT_ID: np.asarray(ids)[episodes.person.to_numpy()],
                         "day": episodes.day.to_numpy(float)})


def first_episode(events: pd.DataFrame, ids: pd.Series, follow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The relapse columns made to agree with the episodes: the day of the first one, or the follow-up."""
    first = events.groupby(s.PARTICIPANT_ID, sort=False).day.min()
    day = first.reindex(np.asarray(ids)).to_numpy(float)
    seen = ~np.isnan(day)
    return np.where(seen, day, follow), seen.astype(np.int8)


def recurrent_truth(rate_per_day: np.ndarray, peer: np.ndarray, hazard_ratio: float) -> dict[str, object]:
    """The rate ratio Andersen-Gill targets, and each arm's true mean number of relapses per person by day 365."""
    mean_365 = {arm: float(np.mean(rate_per_day[mask] * 365.0)) if mask.any() else float("nan")
                for arm, mask in ((s.CLINICAL, ~peer), (s.PEER_CLINICAL, peer))}
    return {"relapse_rate_ratio": float(hazard_ratio), "relapses_per_person_365": mean_365}

"""An emulated target trial by clone-censor-weight: "start peer support within ``grace`` days" against "do not".

Nobody was randomized, and a participant who starts on day 20 was, until day 20, compatible with both
strategies. So every participant is cloned into both arms of the trial. A clone is artificially censored when
its participant deviates from the clone's strategy: in "start within grace", at day ``grace`` if peer support
has not started by then; in "do not start within grace", on the day it starts (if within grace). Events before
the deviation count in both arms. The censoring is informative (who starts depends on covariates), so each clone
still following its strategy is weighted by the inverse of the probability of having remained uncensored,
from a proportional-hazards model of starting with the adjustment covariates (its discrete baseline hazard, so a
day on which many start keeps its jump). Weighted Kaplan-Meier curves per strategy give the risks at the
horizon, their difference and ratio; intervals are percentile intervals of a seeded bootstrap over participants
in which the model of starting is refitted every time.

Weights are truncated at the 99.5th percentile of the weights at the end of the grace period (the number
truncated is reported). Stabilizing the weights by the marginal probability of remaining uncensored would
multiply every clone at risk at a time by the same number, which cancels in the Kaplan-Meier product: the
estimates are those of stabilized weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.errors import ConvergenceError, NotEstimableError
from ..stats import fit_cox
from ..stats.baseline_hazard import discrete_baseline_hazard
from ..stats.counting import product_limit, risk_table, step_at
from ..core.formatting import plain

__all__ = ["STRATEGIES", "TrialRisks", "emulate_trial"]

STRATEGIES = ("start within grace", "do not start within grace")
_TRUNCATE_QUANTILE = 0.995


@dataclass(frozen=True)
class TrialRisks:
    """One emulation: each strategy's weighted survival curve, and the weights truncated."""

    times: np.ndarray  # distinct event times
    survival: dict[str, np.ndarray]  # per strategy, at ``times``
    truncated: int

    def risk_at(self, strategy: str, day: float) -> float:
        return float(1 - step_at(self.times, self.survival[strategy], np.array([day]), before=1.0)[0])


def emulate_trial(time: np.ndarray, event: np.ndarray, start: np.ndarray, X: np.ndarray, grace: float) -> TrialRisks:
    """Clone, censor at deviation and weight; the weighted Kaplan-Meier curve of each strategy.

    ``start`` is the day exposure started (NaN = never, or not before the end of follow-up); ``X`` the
    adjustment covariates (no arm column; may have no columns).

    Examples
    --------
    With no covariates, three of five start within 30 days; "do not start" keeps the two who never start:

    >>> t = np.array([5.0, 10, 40, 60, 80]); e = np.array([1.0, 1, 0, 1, 0])
    >>> s = np.array([np.nan, 2.0, 1.0, np.nan, 3.0])
    >>> risks = emulate_trial(t, e, s, np.zeros((5, 0)), grace=30)
    >>> round(risks.risk_at("do not start within grace", 70), 4)
    1.0
    """
    started = np.isfinite(start) & (start < time)  # a start at or after the end of follow-up is ignored
    s = np.where(started, start, np.inf)
    p = _probability_uncensored(time, s, X, grace)
    by_grace = s <= grace
    a_late = np.where(by_grace, 1 / p.start_by_grace, 1.0)  # "start within grace", from grace on
    b_late = 1 / p.no_start(np.full(len(time), grace))  # "do not start within grace", from grace on
    cap = float(np.quantile(np.concatenate([a_late[by_grace], b_late[~by_grace]]), _TRUNCATE_QUANTILE))
    times = np.unique(time[event == 1])
    # "start within grace": followed to the end if started by grace, or if the event or censoring came first
    follows = by_grace | (time <= grace)
    a = _weighted_km(times, np.where(follows, time, grace), np.where(follows, event, 0.0), grace,
                     lambda t: np.ones((len(t), len(time))), np.minimum(a_late, cap))
    # "do not start within grace": censored on the day it starts, if within grace
    b = _weighted_km(times, np.where(by_grace, s, time), np.where(by_grace, 0.0, event), grace,
                     lambda t: np.minimum(1 / p.no_start(t[:, None]), cap), np.minimum(b_late, cap))
    truncated = int((a_late[by_grace] > cap).sum() + (b_late[~by_grace] > cap).sum())
    return TrialRisks(times=times, survival={STRATEGIES[0]: a, STRATEGIES[1]: b}, truncated=truncated)


@dataclass(frozen=True)
class _Uncensored:
    """The model of starting: each participant's probability of not having started by a day, and of having
    started by the end of grace."""

    knots: np.ndarray  # start days of the discrete baseline
    cumulative: np.ndarray  # its cumulative hazard
    risk: np.ndarray  # exp(x beta) per participant
    start_by_grace: np.ndarray

    def no_start(self, t: np.ndarray) -> np.ndarray:
        """P(not started by ``t``) per participant (``t`` per participant, or (k, n) for k days)."""
        h = step_at(self.knots, self.cumulative, np.asarray(t, dtype=float), before=0.0)
        return np.exp(-h * self.risk)


def _probability_uncensored(time: np.ndarray, s: np.ndarray, X: np.ndarray, grace: float) -> _Uncensored:
    """Fit the hazard of starting within the grace period (censored by the event, the end of follow-up or grace)."""
    t_start = np.minimum(np.minimum(s, time), grace)
    starts = (s <= np.minimum(time, grace)).astype(float)
    if not starts.any():
        raise NotEstimableError(f"nobody started within the grace period of {plain(grace)} days: the strategy "
                                "\"start within grace\" has no one following it")
    beta = np.zeros(X.shape[1])
    if X.shape[1]:
        try:
            beta = fit_cox(X, np.maximum(t_start, 1e-9), starts, terms=[f"x{j}" for j in range(X.shape[1])],
                           ph_test=False).coef
        except (ConvergenceError, NotEstimableError) as exc:
            raise NotEstimableError(f"the model of starting peer support cannot be fitted: {exc}") from None
    risk = np.exp(X @ beta)
    knots, cumulative = discrete_baseline_hazard(np.maximum(t_start, 1e-9), starts, risk)
    cumulative = np.minimum(cumulative, 50.0)  # a day on which everyone at risk starts: probability 1, finite
    h_grace = step_at(knots, cumulative, np.array([grace]), before=0.0)[0]
    start_by_grace = 1 - np.exp(-h_grace * risk)
    if not np.all(start_by_grace > 0):
        raise NotEstimableError("some participants had no chance of starting within the grace period: the "
                                "weights of \"start within grace\" are not defined")
    return _Uncensored(knots, cumulative, risk, start_by_grace)


def _weighted_km(times: np.ndarray, stop: np.ndarray, event: np.ndarray, grace: float,
                 early: Callable[[np.ndarray], np.ndarray], late: np.ndarray) -> np.ndarray:
    """Kaplan-Meier with weights that change until ``grace`` and are fixed after it, at the event ``times``.

    Up to ``grace`` (a few dozen days) the weights of every clone are evaluated at each event time (``early``:
    (k,) days -> (k, n) weights); after it, ``late`` (n,) weights go through the risk table.
    """
    n_risk, deaths = np.zeros(len(times)), np.zeros(len(times))
    first = times <= grace
    if first.any():
        t = times[first]
        w = early(t)
        n_risk[first] = (w * (stop[None, :] >= t[:, None])).sum(axis=1)
        deaths[first] = (w * ((stop[None, :] == t[:, None]) & (event[None, :] == 1))).sum(axis=1)
    if (~first).any():
        table = risk_table(stop, event, weights=late)
        t = times[~first]
        at = np.searchsorted(table.times, t)  # the first stop time >= t: everyone at risk at t
        inside = at < len(table.times)
        safe = np.minimum(at, len(table.times) - 1)
        n_risk[~first] = np.where(inside, table.n_risk[safe], 0.0)
        deaths[~first] = np.where(inside & (table.times[safe] == t), table.events[safe], 0.0)
    return product_limit(n_risk, deaths)

"""Kaplan-Meier survival with Greenwood variance and R's log(-log) confidence intervals.

Matches R's ``survfit(Surv(time, event) ~ 1, conf.type = "log-log")``: the
standard error is Greenwood's, ``sqrt(sum d / (n (n - d)))`` on the cumulative
hazard scale, and the interval is ``exp(-exp(log(-log S) -/+ z se / log S))``.
Like R, the interval is undefined (NaN) where S is exactly 1 or 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from ..core.inference import normal_quantile
from .counting import product_limit, risk_table, step_at

__all__ = ["KaplanMeier", "kaplan_meier", "km_from_counts", "median_follow_up"]


@dataclass(frozen=True)
class KaplanMeier:
    """One Kaplan-Meier curve, evaluated at every distinct time (events and censorings)."""

    time: np.ndarray
    n_at_risk: np.ndarray
    events: np.ndarray
    censored: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray  # of the cumulative hazard (R's ``std.err``)
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    alpha: float

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "time": self.time,
                "n_at_risk": self.n_at_risk,
                "events": self.events,
                "censored": self.censored,
                "survival": self.survival,
                "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper,
            }
        )

    def at(self, times: np.ndarray) -> pd.DataFrame:
        """Step-function values at ``times`` (right-continuous), with the number at risk at each.

        ``std_err`` is Greenwood's, on the cumulative-hazard scale (R's ``std.err``).
        """
        times = np.asarray(times, dtype=float)
        surv = step_at(self.time, self.survival, times, before=1.0)
        lower = step_at(self.time, self.ci_lower, times, before=np.nan)
        upper = step_at(self.time, self.ci_upper, times, before=np.nan)
        std_err = step_at(self.time, self.std_err, times, before=0.0)
        # at risk at t: everyone whose time is >= t
        first_at_or_after = np.searchsorted(self.time, times, side="left")
        n_total = np.concatenate([self.n_at_risk, [0.0]])
        return pd.DataFrame(
            {"time": times, "n_at_risk": n_total[first_at_or_after], "survival": surv, "ci_lower": lower,
             "ci_upper": upper, "std_err": std_err}
        )

    def median(self) -> tuple[float, float, float]:
        """Median and its confidence limits, by R's rules (``quantile.survfit``)."""
        xmax = self.time[-1] if self.time.size else np.nan
        x = np.concatenate([[0.0], self.time])
        return (
            _find_quantile(x, np.concatenate([[0.0], 1 - self.survival]), 0.5, xmax),
            _find_quantile(x, np.concatenate([[0.0], 1 - self.ci_lower]), 0.5, xmax),
            _find_quantile(x, np.concatenate([[0.0], 1 - self.ci_upper]), 0.5, xmax),
        )


def _find_quantile(x: np.ndarray, cdf: np.ndarray, p: float, xmax: float, tol: float = 1.4901161193847656e-08) -> float:
    """Where a horizontal line at ``p`` meets the step CDF; the midpoint of a flat exactly at ``p``.

    A transcription of the rule of R's ``survival:::findq``.
    """
    keep = ~np.isnan(cdf)
    x, cdf = x[keep], cdf[keep]
    if cdf.size == 0 or cdf.max() < p:
        return float("nan")
    _, first = np.unique(cdf, return_index=True)
    first.sort()
    x, cdf = x[first], cdf[first]

    def smallest_index_reaching(curve: np.ndarray) -> int | None:
        if p < curve[0] or p > curve[-1]:
            return None
        return int(np.searchsorted(curve, p, side="left"))

    i1 = smallest_index_reaching(cdf + tol)
    i2 = smallest_index_reaching(cdf - tol)
    if i1 is None:
        return float("nan")
    if abs(p - cdf[-1]) < tol:  # a flat at p at the end of the curve
        return float((x[i1] + xmax) / 2)
    if i2 is None:
        return float("nan")
    return float((x[i1] + x[i2]) / 2)


def kaplan_meier(
    time: np.ndarray, event: np.ndarray, weights: np.ndarray | None = None, alpha: float = 0.05,
    entry: np.ndarray | None = None,
) -> KaplanMeier:
    """Kaplan-Meier estimate with Greenwood standard errors and log(-log) intervals.

    Parameters
    ----------
    time, event : array
        Follow-up time and 1 = event / 0 = censored.
    weights : array, optional
        Case weights; counts become weighted sums.
    alpha : float
        One minus the confidence level.
    entry : array, optional
        Delayed entry: a row is at risk at ``t`` when ``entry < t <= time`` (R's ``Surv(start, stop,
        event)``). Counts at risk are those of the distinct ``time`` values.

    Examples
    --------
    >>> km = kaplan_meier(np.array([1, 2, 2, 3.0]), np.array([1, 1, 0, 0]))
    >>> km.survival.round(4).tolist()
    [0.75, 0.5, 0.5]

    The third participant joins on day 2, so day 3's risk set is theirs alone:

    >>> kaplan_meier(np.array([1, 2, 3.0]), np.array([1, 0, 1]), entry=np.array([0, 0, 2.0])).survival.tolist()
    [0.5, 0.5, 0.0]
    """
    rt = risk_table(time, event, weights, entry=entry)
    return km_from_counts(rt.times, rt.n_risk, rt.events, rt.censored, alpha)


def km_from_counts(times: np.ndarray, n: np.ndarray, d: np.ndarray, censored: np.ndarray, alpha: float) -> KaplanMeier:
    """Kaplan-Meier, Greenwood standard errors and R's log(-log) interval from per-time counts."""
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = product_limit(n, d)
        increments = np.where(d > 0, d / (n * (n - d)), 0.0)
        std_err = np.sqrt(np.cumsum(increments))
        z = normal_quantile(alpha)
        interior = (survival > 0) & (survival < 1)
        s = np.where(interior, survival, np.nan)
        log_s = np.log(s)
        half = z * std_err / log_s
        lower = np.exp(-np.exp(np.log(-log_s) - half))
        upper = np.exp(-np.exp(np.log(-log_s) + half))
    return KaplanMeier(time=times, n_at_risk=n, events=d, censored=censored, survival=survival, std_err=std_err,
                       ci_lower=lower, ci_upper=upper, alpha=alpha)


def median_follow_up(time: np.ndarray, event: np.ndarray) -> float:
    """Median follow-up by the reverse Kaplan-Meier method (censoring treated as the event).

    >>> median_follow_up(np.array([10, 20, 30, 40.0]), np.array([0, 0, 1, 0]))
    30.0
    """
    km = kaplan_meier(np.asarray(time, dtype=float), 1 - np.asarray(event, dtype=float))
    return km.median()[0]

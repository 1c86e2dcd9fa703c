"""The log-rank test of two survival curves, optionally stratified (R's ``survdiff``).

:func:`logrank_terms` is the one place the test's observed, expected and variance
terms are computed. It takes per-time counts (the number at risk and the deaths,
overall and in the second arm) with any leading axes, so the same code serves one
cohort, a table of counts, a stratum, and thousands of simulated trials at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import NotEstimableError
from .counting import index_times, risk_table

__all__ = ["LogRankStatistic", "logrank_statistic", "logrank_terms", "logrank_test"]


def logrank_terms(n: np.ndarray, n1: np.ndarray, deaths: np.ndarray,
                  deaths1: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed and expected deaths of the second arm and the hypergeometric variance, summed over times.

    Each argument has times on its last axis: ``n`` and ``n1`` at risk (both arms, second arm), ``deaths``
    and ``deaths1`` (both arms, second arm). Weighted counts are allowed.

    >>> o, e, v = logrank_terms(np.array([6.0, 5, 4, 3, 2, 1]), np.array([3.0, 3, 3, 3, 2, 1]),
    ...                         np.ones(6), np.array([0.0, 0, 0, 1, 1, 1]))
    >>> float(o), round(float(e), 4), round(float(v), 4)
    (3.0, 4.85, 0.6775)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, n1 / np.where(n > 0, n, 1), 0.0)
        expected = np.where(deaths > 0, deaths * share, 0.0)
        variance = np.where((deaths > 0) & (n > 1),
                            deaths * share * (1 - share) * (n - deaths) / np.where(n > 1, n - 1, 1), 0.0)
    return deaths1.sum(axis=-1), expected.sum(axis=-1), variance.sum(axis=-1)


@dataclass(frozen=True)
class LogRankStatistic:
    """The log-rank chi-square (1 df), its p-value, and observed/expected deaths per arm."""

    statistic: float
    p_value: float
    observed: np.ndarray  # (2,): reference arm, second arm
    expected: np.ndarray  # (2,)
    df: int = 1


def logrank_statistic(observed: float, expected: float, variance: float, deaths: float) -> LogRankStatistic:
    """The chi-square of the second arm's summed observed minus expected deaths, with both arms' counts.

    The one place the test's tail is assembled, for rows, count tables and strata alike.

    >>> round(logrank_statistic(3.0, 4.85, 0.6775, 6.0).statistic, 4)
    5.0517
    """
    if not variance > 0:
        raise NotEstimableError("the log-rank test is not defined: no event time has participants of both arms "
                                "at risk")
    statistic = float((observed - expected) ** 2 / variance)
    return LogRankStatistic(statistic=statistic, p_value=float(stats.chi2.sf(statistic, 1)),
                            observed=np.array([deaths - observed, observed]),
                            expected=np.array([deaths - expected, expected]))


def logrank_test(
    time: np.ndarray,
    event: np.ndarray,
    group: np.ndarray,
    labels: tuple[str, str] | None = None,
    strata: np.ndarray | None = None,
    entry: np.ndarray | None = None,
) -> LogRankStatistic:
    """Two-sample log-rank test, as R's ``survdiff(Surv(time, event) ~ group + strata(s))``.

    Parameters
    ----------
    time, event : array
        Follow-up and 1 = event / 0 = censored.
    group : array of bool
        True for the second arm.
    labels : (str, str), optional
        Unused; kept so that calls naming the arms still read well.
    strata : array, optional
        Stratum of each row: observed minus expected and its variance are summed over strata.
    entry : array, optional
        Delayed entry: a row is at risk at ``t`` when ``entry < t <= time``.

    Raises
    ------
    NotEstimableError
        When no event time has participants of both arms at risk.

    Examples
    --------
    >>> t = np.array([1, 2, 3, 4, 5, 6.0]); e = np.array([1, 1, 1, 1, 1, 1])
    >>> g = np.array([False, False, False, True, True, True])
    >>> round(logrank_test(t, e, g).statistic, 4)  # (3 - 4.85)^2 / 0.6775
    5.0517
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    group = np.asarray(group, dtype=bool)
    codes = np.zeros(len(time), dtype=np.int64) if strata is None else pd.factorize(np.asarray(strata), sort=True)[0]
    o1 = e1 = variance = np.float64(0.0)
    for k in range(codes.max() + 1 if len(codes) else 0):
        rows = codes == k
        second = group[rows].astype(float)
        both = risk_table(time[rows], event[rows], entry=None if entry is None else entry[rows])
        arm2 = risk_table(time[rows], event[rows], weights=second, entry=None if entry is None else entry[rows],
                          index=index_times(time[rows]))
        terms = logrank_terms(both.n_risk, arm2.n_risk, both.events, arm2.events)
        o1, e1, variance = o1 + float(terms[0]), e1 + float(terms[1]), variance + float(terms[2])
    return logrank_statistic(float(o1), float(e1), float(variance), float(event.sum()))

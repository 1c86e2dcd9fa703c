"""The log-rank test of two survival curves, optionally stratified (R's ``survdiff``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import NotEstimableError
from ..core.results import Result, new_axes
from .counting import index_times

__all__ = ["LogRankTest", "logrank_test"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class LogRankTest(Result):
    """Result of a log-rank test.

    Attributes
    ----------
    statistic : float
        Chi-square statistic, ``(O - E)^2 / V`` summed over strata before squaring.
    df : int
        Degrees of freedom (1 for two arms).
    p_value : float
    observed, expected : DataFrame
        Per arm: ``arm``, ``observed``, ``expected`` events.
    strata : str or None
        The stratifying column, if any.
    method : str
        ``"log-rank"``, or what replaced it (the robust Wald test of a weighted Cox model under IPTW).
    """

    statistic: float
    df: int
    p_value: float
    per_arm: pd.DataFrame
    strata: str | None = None
    method: str = "log-rank"

    @property
    def title(self) -> str:
        if self.method != "log-rank":
            return f"{self.method[0].upper()}{self.method[1:]}: chi-square {self.statistic:.3f} on {self.df} df, p = {self.p_value:.3g}"
        kind = f"Log-rank test stratified by {self.strata}" if self.strata else "Log-rank test"
        return f"{kind}: chi-square {self.statistic:.3f} on {self.df} df, p = {self.p_value:.3g}"

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [[self.statistic, self.df, self.p_value, self.strata]], columns=["statistic", "df", "p_value", "strata"]
        )

    def plot(self, ax=None):
        """Observed and expected events per arm."""
        ax = new_axes(ax)
        x = np.arange(len(self.per_arm))
        ax.bar(x - 0.2, self.per_arm["observed"], width=0.4, label="observed")
        ax.bar(x + 0.2, self.per_arm["expected"], width=0.4, label="expected under no difference")
        ax.set_xticks(x, self.per_arm["arm"].tolist())
        ax.set_ylabel("events")
        ax.legend()
        return ax


def logrank_test(
    time: np.ndarray,
    event: np.ndarray,
    group: np.ndarray,
    labels: tuple[str, str],
    strata: np.ndarray | None = None,
    strata_name: str | None = None,
) -> LogRankTest:
    """Two-sample log-rank test, as R's ``survdiff(Surv(time, event) ~ group + strata(s))``.

    Parameters
    ----------
    time, event : array
        Follow-up and 1 = event / 0 = censored.
    group : array of bool
        True for the second arm (``labels[1]``).
    labels : (str, str)
        Arm labels (reference first).
    strata : array, optional
        Stratum of each row: observed minus expected and its variance are summed
        over strata.

    Examples
    --------
    >>> t = np.array([1, 2, 3, 4, 5, 6.0]); e = np.array([1, 1, 1, 1, 1, 1])
    >>> g = np.array([False, False, False, True, True, True])
    >>> round(logrank_test(t, e, g, ("a", "b")).statistic, 4)  # (3 - 4.85)^2 / 0.6775
    5.0517
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    group = np.asarray(group, dtype=bool)
    if strata is None:
        codes = np.zeros(len(time), dtype=np.int64)
    else:
        codes = pd.factorize(np.asarray(strata), sort=True)[0]
    o_minus_e = 0.0
    variance = 0.0
    observed = np.zeros(2)
    expected = np.zeros(2)
    for k in range(codes.max() + 1 if len(codes) else 0):
        rows = codes == k
        o, e, v = _one_stratum(time[rows], event[rows], group[rows])
        o_minus_e += o[1] - e[1]
        variance += v
        observed += o
        expected += e
    if variance <= 0:
        raise NotEstimableError(
            "the log-rank test is not defined: no event time has participants of both arms at risk"
        )
    statistic = o_minus_e**2 / variance
    per_arm = pd.DataFrame({"arm": list(labels), "observed": observed, "expected": expected})
    return LogRankTest(
        statistic=float(statistic),
        df=1,
        p_value=float(stats.chi2.sf(statistic, 1)),
        per_arm=per_arm,
        strata=strata_name,
    )


def _one_stratum(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    ix = index_times(time)
    size = len(ix.times)
    removed = np.bincount(ix.inverse, minlength=size).astype(float)
    removed1 = np.bincount(ix.inverse, weights=group.astype(float), minlength=size)
    deaths = np.bincount(ix.inverse, weights=event, minlength=size)
    deaths1 = np.bincount(ix.inverse, weights=event * group, minlength=size)
    n = np.cumsum(removed[::-1])[::-1]
    n1 = np.cumsum(removed1[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = np.where(deaths > 0, deaths * n1 / n, 0.0)
        v = np.where((deaths > 0) & (n > 1), deaths * (n1 / n) * (1 - n1 / n) * (n - deaths) / (n - 1), 0.0)
    o = np.array([deaths.sum() - deaths1.sum(), deaths1.sum()])
    e = np.array([deaths.sum() - e1.sum(), e1.sum()])
    return o, e, float(v.sum())

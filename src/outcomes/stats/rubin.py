"""Rubin's rules: estimates from m completed (imputed) data sets pooled into one, as R's ``mice::pool``.

For each term: the pooled estimate is the mean of the m estimates; the within-imputation variance ``ubar`` the mean
of their squared SEs; the between-imputation variance ``b`` their sample variance; the total ``t = ubar + (1 +
1/m) b``. The degrees of freedom are Barnard and Rubin's (1999) small-sample ones, from ``dfcom``, the complete-data
degrees of freedom (for a Cox model, as mice sets them: events minus coefficients; infinite, mice's default,
for other quantities, when ``df = df_old``): ``lambda = (1 + 1/m) b / t``
(at least 1e-4), ``df_old = (m - 1) / lambda^2``, ``df_obs = (dfcom + 1) / (dfcom + 3) dfcom (1 - lambda)``,
``df = df_old df_obs / (df_old + df_obs)``. Intervals and p-values use Student's t on those degrees of freedom;
``riv = (1 + 1/m) b / ubar`` is the relative increase in variance and ``fmi = (riv + 2 / (df + 3)) / (1 + riv)``
the fraction of missing information.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import InputError, NotEstimableError

__all__ = ["PooledEstimates", "rubin_pool"]


@dataclass(frozen=True)
class PooledEstimates:
    """Per term: the pooled estimate and its SE, df, p-value and interval, and the variance components."""

    terms: list[str]
    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    ubar: np.ndarray
    b: np.ndarray
    t: np.ndarray
    riv: np.ndarray
    lam: np.ndarray
    fmi: np.ndarray
    m: int
    dfcom: float

    def frame(self) -> pd.DataFrame:
        """One row per term, with every quantity mice's ``pool`` reports."""
        return pd.DataFrame({"term": self.terms, "estimate": self.estimate, "se": self.se, "df": self.df,
                             "p_value": self.p_value, "ci_lower": self.ci_lower, "ci_upper": self.ci_upper,
                             "ubar": self.ubar, "b": self.b, "t": self.t, "riv": self.riv, "lambda": self.lam,
                             "fmi": self.fmi})


def rubin_pool(estimates: np.ndarray, ses: np.ndarray, *, dfcom: float, terms: list[str] | None = None,
               alpha: float = 0.05) -> PooledEstimates:
    """Pool ``estimates`` and ``ses`` (m rows, one per completed data set; a column per term).

    Examples
    --------
    Two imputations of one coefficient, 0.5 and 0.7 with SE 0.1 each, and 100 complete-data df:
    >>> p = rubin_pool(np.array([[0.5], [0.7]]), np.array([[0.1], [0.1]]), dfcom=100)
    >>> round(float(p.estimate[0]), 3), round(float(p.t[0]), 4)  # t = 0.01 + 1.5 x 0.02
    (0.6, 0.04)
    """
    q, u = np.atleast_2d(np.asarray(estimates, float)), np.atleast_2d(np.asarray(ses, float)) ** 2
    m = q.shape[0]
    if q.shape != u.shape or m < 2:
        raise InputError(f"pooling needs estimates and SEs from at least 2 completed data sets, of the same shape; "
                         f"got {q.shape} and {u.shape}")
    if not (np.isfinite(q).all() and np.isfinite(u).all()) or not dfcom > 0:
        raise NotEstimableError("an imputation's estimate or SE is not finite, or no complete-data degrees of "
                                "freedom are left: the pooled estimate is not estimable")
    qbar, ubar = q.mean(axis=0), u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    lam = np.maximum((1 + 1 / m) * b / t, 1e-4)  # mice's floor, so df stays finite when b is 0
    df_old = (m - 1) / lam**2
    if np.isinf(dfcom):  # mice's default for a quantity that is not a regression coefficient
        df = df_old
    else:
        df_obs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
        df = df_old * df_obs / (df_old + df_obs)
    se = np.sqrt(t)
    riv = (1 + 1 / m) * b / ubar
    quantile = stats.t.ppf(1 - alpha / 2, df)
    return PooledEstimates(
        terms=list(terms) if terms is not None else [f"term{j}" for j in range(q.shape[1])], estimate=qbar, se=se,
        df=df, p_value=2 * stats.t.sf(np.abs(qbar / se), df), ci_lower=qbar - quantile * se,
        ci_upper=qbar + quantile * se, ubar=ubar, b=b, t=t, riv=riv, lam=(1 + 1 / m) * b / t,
        fmi=(riv + 2 / (df + 3)) / (1 + riv), m=m, dfcom=float(dfcom))

"""Wald inference: a coefficient and its standard error to an interval and a p-value, in one place.

Used by every model in the package (Cox, GLMs, RMST differences, ...). No
plotting, no pandas: statistical kernels may use it.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["normal_quantile", "wald"]


def normal_quantile(alpha: float) -> float:
    """The two-sided normal quantile ``z_{1 - alpha/2}`` (1.96 for alpha = 0.05).

    >>> round(normal_quantile(0.05), 4)
    1.96
    """
    return float(stats.norm.ppf(1 - alpha / 2))


def wald(coef: np.ndarray | float, se: np.ndarray | float, alpha: float
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper ``1 - alpha`` limits ``coef -/+ z se`` and the two-sided p-value of ``coef = 0``.

    A zero standard error gives a p-value of 0 for a non-zero coefficient and 1 for a zero one.

    >>> lo, hi, p = wald(np.log(0.6), 0.1, 0.05)
    >>> round(float(np.exp(lo)), 3), round(float(np.exp(hi)), 3), float(p) < 0.001
    (0.493, 0.73, True)
    """
    coef = np.asarray(coef, dtype=float)
    se = np.asarray(se, dtype=float)
    z = normal_quantile(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.where(se > 0, np.abs(coef) / np.where(se > 0, se, 1.0), np.where(coef == 0, 0.0, np.inf))
    return coef - z * se, coef + z * se, 2 * stats.norm.sf(statistic)

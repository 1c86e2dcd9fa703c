"""The score (Rao) chi-square test ``u' I^-1 u``: the one home of the proportional-hazards tests' last step."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["score_test"]


def score_test(u: np.ndarray, info: np.ndarray, df: int) -> tuple[float, float] | None:
    """Statistic and p-value, or None when ``info`` is singular (no test exists, e.g. g(t) constant over the
    event times because every event is at one time).

    Singular means a reciprocal condition number (1-norm) below machine precision: the statistic would be
    rounding noise. The check is arithmetic, not a caught warning (warning filters are process-wide).

    >>> score_test(np.array([2.0]), np.array([[4.0]]), 1)[0]
    1.0
    >>> score_test(np.array([1.0, 1.0]), np.array([[1.0, 1.0], [1.0, 1.0]]), 2) is None
    True
    """
    with np.errstate(all="ignore"):
        condition = np.linalg.cond(info, 1)
        if not np.isfinite(condition) or 1.0 / condition < np.finfo(float).eps:
            return None
        statistic = float(u @ np.linalg.solve(info, u))
    if not np.isfinite(statistic):
        return None
    return statistic, float(stats.chi2.sf(statistic, df))

"""The score (Rao) chi-square test ``u' I^-1 u``: the one home of the proportional-hazards tests' last step."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg, stats

__all__ = ["score_test"]


def score_test(u: np.ndarray, info: np.ndarray, df: int) -> tuple[float, float] | None:
    """Statistic and p-value, or None when ``info`` is singular (no test exists, e.g. g(t) constant over the
    event times because every event is at one time).

    >>> score_test(np.array([2.0]), np.array([[4.0]]), 1)[0]
    1.0
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", linalg.LinAlgWarning)
        try:
            statistic = float(u @ linalg.solve(info, u, assume_a="sym"))
        except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError):
            return None
    if not np.isfinite(statistic):
        return None
    return statistic, float(stats.chi2.sf(statistic, df))

"""Ordinary and weighted least squares: the ANCOVA of the secondary score outcomes.

statsmodels' OLS gives the same numbers; the report used it for this one model, and importing statsmodels took
0.9 s of every quarterly report (measured with ``python -X importtime``). Tested equal to statsmodels' ``OLS``
and ``WLS(...).fit(cov_type="HC0")`` to 1e-10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..core.errors import ConvergenceError

__all__ = ["LeastSquares", "least_squares"]


@dataclass(frozen=True)
class LeastSquares:
    """Coefficients, their standard errors and p-values (t with ``df_resid`` for the classical SEs, normal for
    the sandwich ones, as statsmodels), and the residual degrees of freedom."""

    params: np.ndarray
    se: np.ndarray
    p_value: np.ndarray
    df_resid: int


def least_squares(y: np.ndarray, X: np.ndarray, weights: np.ndarray | None = None,
                  robust: bool = False) -> LeastSquares:
    """Least squares of ``y`` on ``X`` (with its intercept), case-weighted if ``weights``; ``robust``: sandwich
    (HC0) standard errors.

    >>> fit = least_squares(np.array([1.0, 3.0, 2.0, 4.0]), np.column_stack([np.ones(4), [0, 1, 0, 1.0]]))
    >>> fit.params.round(10).tolist(), fit.df_resid  # group means 1.5 and 3.5
    ([1.5, 2.0], 2)
    """
    y, X = np.asarray(y, dtype=float), np.asarray(X, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    n, p = X.shape
    root = np.sqrt(w)
    params, _, rank, _ = np.linalg.lstsq(X * root[:, None], y * root, rcond=None)
    if rank < p or n <= p:
        raise ConvergenceError("the least-squares design is collinear or has no residual degrees of freedom")
    resid = y - X @ params
    bread = np.linalg.inv(X.T @ (X * w[:, None]))
    if robust:
        meat = X.T @ (X * ((w * resid) ** 2)[:, None])
        se = np.sqrt(np.diag(bread @ meat @ bread))
        p_value = 2 * stats.norm.sf(np.abs(params / se))
    else:
        se = np.sqrt(np.diag(bread) * float(np.sum(w * resid**2)) / (n - p))
        p_value = 2 * stats.t.sf(np.abs(params / se), n - p)
    return LeastSquares(params=params, se=se, p_value=p_value, df_resid=n - p)

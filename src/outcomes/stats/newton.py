"""Newton-Raphson with step halving, as R's ``coxph`` iterates (shared by every Cox fit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.errors import ConvergenceError

__all__ = ["maximize", "solve_information"]

Evaluation = tuple[float, np.ndarray, np.ndarray, Any]  # log-likelihood, score, information, anything else


def solve_information(info: np.ndarray, rhs: np.ndarray, what: str = "the information matrix") -> np.ndarray:
    """``info^-1 rhs`` for a symmetric positive definite ``info``; singular or ill-conditioned: ConvergenceError.

    Positive definiteness is a Cholesky factorization; a matrix whose reciprocal condition number (1-norm)
    is below machine precision would give steps and standard errors that are rounding noise, so it is
    treated as singular. No warning filter is touched (they are process-wide): the check is arithmetic.

    >>> solve_information(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([1.0, 1.0])).tolist()
    [0.5, 0.25]
    """
    if info.shape == (1, 1):  # one coefficient (the arm alone; power simulations fit thousands): no LAPACK calls
        if not (np.isfinite(info[0, 0]) and info[0, 0] > 0):
            raise ConvergenceError(f"{what} is singular: a group has no events, or covariates separate the "
                                   "events or are collinear; the model is not estimable from these data")
        one: np.ndarray = np.asarray(rhs, dtype=float) / info[0, 0]
        return one
    try:
        np.linalg.cholesky(info)
        inverse = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        inverse = None
    if inverse is None or not np.all(np.isfinite(inverse)) or (
            1.0 / (np.linalg.norm(info, 1) * np.linalg.norm(inverse, 1)) < np.finfo(float).eps):
        raise ConvergenceError(f"{what} is singular: a group has no events, or covariates separate the "
                               "events or are collinear; the model is not estimable from these data")
    solved: np.ndarray = inverse @ rhs
    return solved


def maximize(evaluate: Callable[[np.ndarray], Evaluation], start: np.ndarray, *, max_iter: int = 30,
             tol: float = 1e-10) -> tuple[np.ndarray, Evaluation, Evaluation, int]:
    """Maximize a concave log-likelihood from ``start``.

    Returns the estimate, the evaluation there, the evaluation at ``start`` (for the null
    log-likelihood) and the number of iterations. A step that lowers the likelihood is
    halved, up to 30 times; convergence is a step, or a change of log-likelihood, below
    ``tol`` (relative).
    """
    beta = np.asarray(start, dtype=float)
    current = first = evaluate(beta)
    for iteration in range(1, max_iter + 1):
        loglik, score, info, _ = current
        step = solve_information(info, score)
        new_beta = beta + step
        new = evaluate(new_beta)
        halvings = 0
        while not np.isfinite(new[0]) or new[0] < loglik - 1e-12 * abs(loglik):
            halvings += 1
            if halvings > 30:
                raise ConvergenceError("the fit could not increase the likelihood (step halving failed)")
            new_beta = (beta + new_beta) / 2
            new = evaluate(new_beta)
        done = np.max(np.abs(new_beta - beta)) < tol or abs(new[0] - loglik) < tol * max(1.0, abs(loglik))
        beta, current = new_beta, new
        if done:
            return beta, current, first, iteration
    raise ConvergenceError(f"the fit did not converge in {max_iter} iterations")

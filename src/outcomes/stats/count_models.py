"""Poisson and negative binomial (NB2) regression of counts with exposure, by Newton-Raphson.

The secondary count outcomes (sessions, emergency visits, crisis admissions) fit a negative binomial model from a
Poisson start. statsmodels does it with an IRLS of least-squares solves and a Hessian assembled in Python loops:
measured on a 1M-participant cohort with 13 columns, 2.2 to 2.8 s an outcome in the report (the Poisson start
3.8 s and the NB Hessians 4.9 s of one profiled fit), against about 0.6 s here with the same estimates (tested
to 1e-6 against statsmodels converged tightly). It shares the package's one Newton solver; the analysis keeps
statsmodels for the fits this one declines (:func:`negative_binomial_fit` raises ConvergenceError).

NB2: ``y ~ NB(mean mu, variance mu + alpha mu^2)``, ``log mu = X beta + log(exposure)``, the parametrization of
statsmodels' ``NegativeBinomial`` and R's ``MASS::glm.nb`` (whose ``theta`` is ``1 / alpha``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ..core.errors import ConvergenceError
from .newton import maximize, solve_information

__all__ = ["CountFit", "negative_binomial_fit", "poisson_fit"]


@dataclass(frozen=True)
class CountFit:
    """Estimates (the coefficients, then ``alpha`` for the negative binomial), their model-based standard errors,
    the log-likelihood and the Newton iterations."""

    params: np.ndarray
    se: np.ndarray
    loglik: float
    iterations: int


def poisson_fit(X: np.ndarray, y: np.ndarray, exposure: np.ndarray, weights: np.ndarray | None = None,
                robust: bool = False, tol: float = 1e-10) -> CountFit:
    """Poisson regression of counts ``y`` on ``X`` (with its intercept) with ``log(exposure)`` as offset.

    ``weights`` weigh each row's log-likelihood (statsmodels' ``var_weights``); ``robust`` gives the sandwich
    (HC0) standard errors, as the modified Poisson model of a binary outcome and a weighted model need.

    >>> X = np.column_stack([np.ones(4), [0, 0, 1, 1.0]])
    >>> fit = poisson_fit(X, np.array([1, 3, 2, 6.0]), np.ones(4))
    >>> np.exp(fit.params).round(4).tolist()  # rate 2 in the first group, 4 in the second: a ratio of 2
    [2.0, 2.0]
    """
    X, y, offset = _checked(X, y, exposure)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    constant = float(np.sum(w * special.gammaln(y + 1)))

    def evaluate(beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        eta = X @ beta + offset
        mu = np.exp(eta)
        return float(np.sum(w * (y * eta - mu)) - constant), X.T @ (w * (y - mu)), X.T @ (X * (w * mu)[:, None]), mu

    beta, (loglik, _, info, mu), _, iterations = maximize(evaluate, np.zeros(X.shape[1]), tol=tol)
    if not robust:
        return CountFit(beta, _standard_errors(info), loglik, iterations)
    bread = solve_information(info, np.eye(len(info)), "the count model's information")
    scores = w * (y - mu)
    meat = X.T @ (X * (scores**2)[:, None])
    return CountFit(beta, np.sqrt(np.diag(bread @ meat @ bread)), loglik, iterations)


def negative_binomial_fit(X: np.ndarray, y: np.ndarray, exposure: np.ndarray, start: np.ndarray | None = None,
                          tol: float = 1e-10) -> CountFit:
    """Negative binomial (NB2) regression: ``params`` are the coefficients then ``alpha`` (overdispersion).

    ``start`` defaults to the Poisson fit with ``alpha = 0.5`` (statsmodels' default start fails on rare counts).

    Raises
    ------
    ConvergenceError
        No finite maximum with ``alpha > 0`` (counts with no extra variation, where ``alpha`` runs to 0), or a
        singular information.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([np.ones(4000), rng.integers(0, 2, 4000)])
    >>> y = rng.negative_binomial(1 / 0.8, 1 / (1 + 0.8 * np.exp(0.5 + 0.4 * X[:, 1])))  # alpha 0.8
    >>> fit = negative_binomial_fit(X, y.astype(float), np.ones(4000))
    >>> fit.params.round(1).tolist()
    [0.5, 0.4, 0.8]
    """
    X, y, offset = _checked(X, y, exposure)
    if start is None:
        start = np.append(poisson_fit(X, y, exposure, tol=tol).params, 0.5)
    constant = float(special.gammaln(y + 1).sum())
    counts = np.unique(y, return_inverse=True)  # the special functions of y + 1/alpha once per distinct count

    def evaluate(params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, None]:
        return _nb2(X, y, counts, offset, params, constant)

    params, (loglik, _, info, _), _, iterations = maximize(evaluate, np.asarray(start, dtype=float), tol=tol)
    if params[-1] < 1e-8:  # the overdispersion at its boundary: a Poisson model, not a negative binomial one
        raise ConvergenceError("the negative binomial model could not estimate the overdispersion (alpha -> 0)")
    return CountFit(params, _standard_errors(info), loglik, iterations)


def _nb2(X: np.ndarray, y: np.ndarray, counts: tuple[np.ndarray, np.ndarray], offset: np.ndarray,
         params: np.ndarray, constant: float) -> tuple[float, np.ndarray, np.ndarray, None]:
    """The NB2 log-likelihood, its score and its information (the negative Hessian) in ``(beta, alpha)``.

    ``counts`` are the distinct values of ``y`` and each row's position among them: the log-gamma, digamma and
    trigamma of ``y + 1/alpha`` are computed once per distinct count (trigamma of 1M values took 1.6 s of the
    1M-participant report, measured) and gathered.
    """
    distinct, position = counts
    beta, alpha = params[:-1], float(params[-1])
    p = len(beta)
    if not alpha > 0:  # outside the parameter space: the solver halves the step
        return -np.inf, np.zeros(p + 1), np.eye(p + 1), None
    size = 1.0 / alpha
    eta = X @ beta + offset
    mu = np.exp(eta)
    spread = 1.0 + alpha * mu
    log_spread = np.log(spread)
    loglik = float(np.sum((special.gammaln(distinct + size) - special.gammaln(size))[position]
                          - (size + y) * log_spread + y * (np.log(alpha) + eta)) - constant)
    resid = (y - mu) / spread
    digammas = (special.digamma(size) - special.digamma(distinct + size))[position] + log_spread
    score = np.append(X.T @ resid, np.sum(digammas * size**2 + resid / alpha))
    info = np.empty((p + 1, p + 1))
    info[:p, :p] = X.T @ (X * (mu * (1.0 + alpha * y) / spread**2)[:, None])
    info[:p, p] = info[p, :p] = X.T @ (mu * resid / spread)
    trigammas = (special.polygamma(1, distinct + size) - special.polygamma(1, size))[position]
    info[p, p] = -float(np.sum(-2 * size**3 * digammas + size**4 * trigammas + mu * size**2 / spread
                               - resid * (1.0 + 2.0 * alpha * mu) * size**2 / spread))
    return loglik, score, info, None


def _checked(X: np.ndarray, y: np.ndarray, exposure: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X, y, exposure = (np.asarray(a, dtype=float) for a in (X, y, exposure))
    if not (np.all(np.isfinite(X)) and np.all(y >= 0) and np.all(exposure > 0)):
        raise ConvergenceError("a count model needs finite covariates, counts of 0 or more and positive exposure")
    return X, y, np.log(exposure)


def _standard_errors(info: np.ndarray) -> np.ndarray:
    se: np.ndarray = np.sqrt(np.diag(solve_information(info, np.eye(len(info)), "the count model's information")))
    return se

"""The count models' own Newton-Raphson (issue 29: the report's three count outcomes at state scale) equal
statsmodels converged tightly, and decline what they cannot fit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import statsmodels.api as sm

from outcomes.core.errors import ConvergenceError
from outcomes.stats.count_models import negative_binomial_fit, poisson_fit


def _counts(seed: int, n: int, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(size=n), rng.integers(0, 3, n)])
    exposure = rng.uniform(30, 365, n)
    mu = exposure / 365 * np.exp(X @ [0.2, -0.3, 0.1, 0.05])
    y = rng.negative_binomial(1 / alpha, 1 / (1 + alpha * mu)) if alpha > 0 else rng.poisson(mu)
    return X, y.astype(float), exposure


@pytest.mark.parametrize("seed, n, alpha", [(1, 5000, 0.7), (2, 800, 2.5), (6, 3000, 0.2)])
def test_negative_binomial_equals_statsmodels(seed, n, alpha):
    X, y, exposure = _counts(seed, n, alpha)
    fit = negative_binomial_fit(X, y, exposure)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = sm.GLM(y, X, family=sm.families.Poisson(), exposure=exposure).fit().params
        nb = sm.NegativeBinomial(y, X, exposure=exposure).fit(start_params=np.append(start, 0.5), method="newton",
                                                               disp=0, maxiter=300, tol=1e-14)
    assert fit.params == pytest.approx(np.asarray(nb.params), rel=1e-6, abs=1e-9)
    assert fit.se == pytest.approx(np.asarray(nb.bse), rel=1e-6)
    assert fit.loglik == pytest.approx(nb.llf, rel=1e-10)


def test_little_overdispersion_is_found_where_statsmodels_newton_step_fails():
    """Step halving keeps the Newton iterations inside alpha > 0: statsmodels' own Newton from the same start
    ends in nan here, and started at this fit it stays there (the score is zero: it is the maximum)."""
    X, y, exposure = _counts(3, 3000, 0.05)
    fit = negative_binomial_fit(X, y, exposure)
    model = sm.NegativeBinomial(y, X, exposure=exposure)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = sm.GLM(y, X, family=sm.families.Poisson(), exposure=exposure).fit().params
        failed = model.fit(start_params=np.append(start, 0.5), method="newton", disp=0, maxiter=300)
        there = model.fit(start_params=fit.params, method="newton", disp=0, maxiter=300, tol=1e-14)
    assert np.isnan(failed.params).all() and 0 < fit.params[-1] < 0.05
    assert np.abs(model.score(fit.params)).max() < 1e-6
    assert fit.params == pytest.approx(np.asarray(there.params), rel=1e-6, abs=1e-9)
    assert fit.se == pytest.approx(np.asarray(there.bse), rel=1e-6)


def test_poisson_equals_statsmodels_glm():
    X, y, exposure = _counts(4, 4000, 0.0)
    fit = poisson_fit(X, y, exposure)
    glm = sm.GLM(y, X, family=sm.families.Poisson(), exposure=exposure).fit(tol=1e-14)
    assert fit.params == pytest.approx(np.asarray(glm.params), abs=1e-9)
    assert fit.se == pytest.approx(np.asarray(glm.bse), rel=1e-6)
    assert fit.loglik == pytest.approx(glm.llf, rel=1e-10)


def test_counts_without_extra_variation_or_with_bad_exposure_are_declined():
    X, y, exposure = _counts(5, 3000, 0.0)  # Poisson counts: alpha runs to its boundary
    with pytest.raises(ConvergenceError):
        negative_binomial_fit(X, y, exposure)
    with pytest.raises(ConvergenceError, match="positive exposure"):
        poisson_fit(X, y, np.where(np.arange(len(y)) == 0, 0.0, exposure))


@pytest.mark.parametrize("weighted", [False, True])
def test_robust_poisson_of_a_binary_outcome_equals_statsmodels_hc0(weighted):
    """The modified Poisson model (a risk ratio with sandwich SEs), case-weighted as with IPTW: statsmodels'
    GLM with ``var_weights`` and ``cov_type="HC0"``."""
    rng = np.random.default_rng(7)
    n = 3000
    X = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(size=n)])
    y = (rng.random(n) < 0.3 * np.exp(0.2 * X[:, 1] - 0.1 * X[:, 2]).clip(0, 3) / 3).astype(float)
    weights = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    fit = poisson_fit(X, y, np.ones(n), weights=weights, robust=True)
    glm = sm.GLM(y, X, family=sm.families.Poisson(), var_weights=weights).fit(cov_type="HC0", tol=1e-14)
    assert fit.params == pytest.approx(np.asarray(glm.params), abs=1e-9)
    assert fit.se == pytest.approx(np.asarray(glm.bse), rel=1e-6)

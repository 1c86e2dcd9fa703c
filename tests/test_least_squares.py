"""Least squares and the Wilson interval, written out so a report does not import statsmodels (0.9 s), equal to
statsmodels' own (issue 29)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint

from outcomes.claims.reconcile import _wilson
from outcomes.core.errors import ConvergenceError
from outcomes.stats.least_squares import least_squares


@pytest.mark.parametrize("weighted", [False, True])
def test_least_squares_equals_statsmodels(weighted):
    rng = np.random.default_rng(11)
    n = 500
    X = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(size=n)])
    y = X @ [1.0, -0.5, 0.3] + rng.normal(scale=1 + X[:, 1], size=n)
    w = rng.uniform(0.3, 3.0, n)
    fit = least_squares(y, X, w if weighted else None, robust=weighted)
    ref = sm.WLS(y, X, weights=w).fit(cov_type="HC0") if weighted else sm.OLS(y, X).fit()
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(fit.se, ref.bse, rtol=1e-10)
    np.testing.assert_allclose(fit.p_value, ref.pvalues, rtol=1e-8)
    assert fit.df_resid == ref.df_resid


def test_a_collinear_design_is_declined():
    X = np.column_stack([np.ones(10), np.arange(10.0), 2 * np.arange(10.0)])
    with pytest.raises(ConvergenceError, match="collinear"):
        least_squares(np.arange(10.0), X)


@pytest.mark.parametrize("successes, n, alpha", [(0, 12, 0.05), (7, 20, 0.05), (95, 100, 0.1), (300, 300, 0.05)])
def test_the_wilson_interval_equals_statsmodels(successes, n, alpha):
    share, lower, upper = _wilson(successes, n, alpha)
    expected = proportion_confint(successes, n, alpha=alpha, method="wilson")
    assert share == successes / n
    assert (lower, upper) == pytest.approx(expected, abs=1e-12)

"""The Weibull proportional-hazards time scale every synthetic relapse is drawn on, in one place.

Cumulative hazard ``H(t) = scale365 * multiplier * (t / 365) ** shape``: ``scale365`` is the cumulative hazard
at one year for a multiplier of 1 (calibrated to a scenario's 12-month risk), ``multiplier`` each participant's
``exp(linear predictor)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cumulative_hazard", "days_at"]


def cumulative_hazard(t: np.ndarray, scale365: float, multiplier: np.ndarray, shape: float) -> np.ndarray:
    """``H(t)``.

    >>> float(cumulative_hazard(np.array([365.0]), 0.5, np.ones(1), 0.7)[0])
    0.5
    """
    return scale365 * multiplier * (np.asarray(t, dtype=float) / 365.0) ** shape


def days_at(cumulative: np.ndarray, scale365: float, multiplier: np.ndarray, shape: float) -> np.ndarray:
    """The (continuous) day at which ``H`` reaches ``cumulative``: the inverse of :func:`cumulative_hazard`.

    >>> float(days_at(np.array([0.5]), 0.5, np.ones(1), 0.7)[0])
    365.0
    """
    return 365.0 * (cumulative / (scale365 * multiplier)) ** (1.0 / shape)

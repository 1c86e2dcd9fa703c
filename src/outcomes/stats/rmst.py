"""Restricted mean survival time (RMST) with the variance R's ``print(survfit, rmean = tau)`` gives.

RMST to ``tau`` is the area under the Kaplan-Meier curve from 0 to ``tau``.
Its variance is Greenwood-type: ``sum over event times t_j <= tau of
A_j^2 d_j / (n_j (n_j - d_j))``, with ``A_j`` the area under the curve from
``t_j`` to ``tau``. (lifelines' RMST variance is not this, and is wrong:
lifelines issue 1682.)
"""

from __future__ import annotations

import numpy as np

from .counting import reverse_cumsum
from .kaplan_meier import KaplanMeier

__all__ = ["restricted_mean"]


def restricted_mean(km: KaplanMeier, tau: float) -> tuple[float, float]:
    """RMST to ``tau`` and its standard error from a Kaplan-Meier curve.

    Examples
    --------
    >>> from outcomes.stats.kaplan_meier import kaplan_meier
    >>> km = kaplan_meier(np.array([1, 2, 3, 4.0]), np.array([1, 1, 1, 1]))
    >>> restricted_mean(km, 4.0)[0]  # 1*1 + 1*0.75 + 1*0.5 + 1*0.25
    2.5
    """
    inside = km.time <= tau
    t = km.time[inside]
    s = km.survival[inside]
    # the curve is 1 before the first time and s[i] on [t[i], t[i+1])
    knots = np.concatenate([[0.0], t, [tau]])
    levels = np.concatenate([[1.0], s])
    widths = np.diff(knots)
    pieces = levels * widths
    area = float(pieces.sum())
    # area from each knot t[i] to tau
    area_after = reverse_cumsum(pieces)[1:]
    d = km.events[inside]
    n = km.n_at_risk[inside]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where((d > 0) & (area_after > 0), area_after**2 * d / (n * (n - d)), 0.0)
    return area, float(np.sqrt(terms.sum()))

"""The discrete (product-limit) baseline hazard of a proportional-hazards model.

With risk scores ``r_i = exp(x_i beta)``, the hazard at an event time with ``d`` events and ``sum r`` at risk is
``alpha = d / sum r`` (at most 1), and the cumulative hazard is ``-sum log(1 - alpha)``: minus the log of the
product-limit curve of the risk-weighted data. Read as a discrete-time model, a participant's chance of the
event at a jump is ``1 - (1 - alpha) ** r``, so a day on which nearly everyone at risk has the event keeps its
near-certain jump (Breslow's ``sum d / sum r``, read as ``exp(-H)``, would not). With every score equal to 1 it
is ``-log`` of the Kaplan-Meier curve.
"""

from __future__ import annotations

import numpy as np

from .counting import index_times, reverse_cumsum

__all__ = ["discrete_baseline_hazard"]


def discrete_baseline_hazard(time: np.ndarray, event: np.ndarray,
                             risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event times and the cumulative discrete hazard ``-sum log(1 - d / sum of risk at risk)``.

    >>> t, h = discrete_baseline_hazard(np.array([1, 2, 2, 3.0]), np.array([1, 1, 0, 1]), np.ones(4))
    >>> t.tolist(), np.round(np.exp(-h), 4).tolist()  # the Kaplan-Meier curve 0.75, 0.5, 0
    ([1.0, 2.0, 3.0], [0.75, 0.5, 0.0])
    """
    ix = index_times(time)
    size = len(ix.times)
    deaths = np.bincount(ix.inverse, weights=event, minlength=size)
    at_risk = reverse_cumsum(np.bincount(ix.inverse, weights=risk, minlength=size))
    jumps = deaths > 0
    alpha = np.minimum(deaths[jumps] / at_risk[jumps], 1.0)
    with np.errstate(divide="ignore"):
        return ix.times[jumps], np.cumsum(-np.log1p(-alpha))

"""Counting primitives shared by the estimators: distinct times, events and risk sets.

Everything is vectorized: one pass to index the distinct times (by counting when
times are whole days, by sorting otherwise), then weighted ``bincount``s and
reverse cumulative sums. Nothing loops over rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TimeIndex", "index_times", "RiskTable", "risk_table", "reverse_cumsum", "step_at", "not_yet_entered",
           "product_limit"]

# Whole-day times up to this value are indexed by counting (O(n)) instead of sorting.
_MAX_COUNTING_TIME = 10_000_000


def reverse_cumsum(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Sums from each position to the end along ``axis``: the number at risk from counts removed per time.

    >>> reverse_cumsum(np.array([1.0, 2.0, 3.0])).tolist()
    [6.0, 5.0, 3.0]
    """
    values = np.asarray(values)
    if axis == 0:  # reversed views: the same sums without np.flip's per-call overhead (small tables, many fits)
        return np.cumsum(values[::-1], axis=0)[::-1]
    return np.flip(np.cumsum(np.flip(values, axis=axis), axis=axis), axis=axis)


def step_at(knots: np.ndarray, values: np.ndarray, t: np.ndarray, *, before: float,
            left_limit: bool = False) -> np.ndarray:
    """A step function that jumps to ``values[i]`` at ``knots[i]`` (sorted), evaluated at ``t``.

    Right-continuous by default (the value at a knot is the new one); ``left_limit=True`` gives the value
    just before ``t`` (e.g. S(t-)). ``before`` is the value before the first knot.

    >>> step_at(np.array([1.0, 3.0]), np.array([0.8, 0.5]), np.array([0.0, 1.0, 2.0, 3.0]), before=1.0).tolist()
    [1.0, 0.8, 0.8, 0.5]
    >>> step_at(np.array([1.0, 3.0]), np.array([0.8, 0.5]), np.array([1.0, 3.0]), before=1.0, left_limit=True).tolist()
    [1.0, 0.8]
    """
    t = np.asarray(t, dtype=float)
    if len(knots) == 0:  # no jumps at all: the function is ``before`` everywhere
        return np.full(t.shape, before, dtype=float)
    pos = np.searchsorted(knots, t, side="left" if left_limit else "right") - 1
    return np.where(pos >= 0, np.asarray(values)[np.maximum(pos, 0)], before)


@dataclass(frozen=True)
class TimeIndex:
    """Distinct sorted times and, for each row, the position of its time among them."""

    times: np.ndarray  # (U,) sorted distinct times
    inverse: np.ndarray  # (n,) int positions into ``times``


def index_times(time: np.ndarray) -> TimeIndex:
    """Index the distinct values of ``time``.

    Whole-number times (days) are counted with ``np.bincount`` instead of sorted,
    which is several times faster on millions of rows.

    >>> ix = index_times(np.array([3.0, 1.0, 3.0, 2.0]))
    >>> ix.times.tolist(), ix.inverse.tolist()
    ([1.0, 2.0, 3.0], [2, 0, 2, 1])
    """
    time = np.asarray(time, dtype=float)
    if time.size and time.min() >= 0 and time.max() <= _MAX_COUNTING_TIME:
        as_int = time.astype(np.int64)
        if np.array_equal(as_int, time):
            present = np.bincount(as_int) > 0
            position = np.cumsum(present) - 1
            return TimeIndex(times=np.flatnonzero(present).astype(float), inverse=position[as_int])
    times, inverse = np.unique(time, return_inverse=True)
    return TimeIndex(times=times, inverse=inverse.ravel())


def not_yet_entered(times: np.ndarray, entry: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per distinct time ``t``: the (weighted) rows whose entry is at or after ``t``.

    A row is at risk at ``t`` when ``entry < t <= stop`` (R's rule for (start, stop] data). Counting
    everyone whose stop is ``>= t`` and subtracting this gives the risk set with delayed entry, with one
    ``bincount`` and one reverse cumulative sum.

    >>> not_yet_entered(np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.0, 1.5])).tolist()
    [2.0, 1.0, 0.0]
    """
    entry = np.asarray(entry, dtype=float)
    position = np.searchsorted(times, entry, side="right")  # distinct times <= entry: not yet at risk there
    late = position > 0
    w = None if weights is None else np.asarray(weights, dtype=float)[late]
    return reverse_cumsum(np.bincount(position[late] - 1, weights=w, minlength=len(times)).astype(float))


def product_limit(n_risk: np.ndarray, events: np.ndarray, axis: int = 0) -> np.ndarray:
    """The product-limit (Kaplan-Meier) survival just after each time: ``prod (1 - d / n)``.

    The one place the product is written: Kaplan-Meier, the all-cause survival of Aalen-Johansen and
    Gray's test, the censoring distribution of Fine-Gray and the PH test's time transform use it.
    A time with nobody at risk (possible on padded count tables) leaves the product unchanged.

    >>> product_limit(np.array([4.0, 3.0, 1.0]), np.array([1.0, 1.0, 0.0])).tolist()
    [0.75, 0.5, 0.5]
    """
    n_risk = np.asarray(n_risk, dtype=float)
    events = np.asarray(events, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.cumprod(np.where(n_risk > 0, 1.0 - events / np.where(n_risk > 0, n_risk, 1.0), 1.0), axis=axis)


@dataclass(frozen=True)
class RiskTable:
    """Per distinct time: at risk just before it, events, and removals (weighted)."""

    times: np.ndarray
    n_risk: np.ndarray
    events: np.ndarray
    removed: np.ndarray  # events + censorings at the time

    @property
    def censored(self) -> np.ndarray:
        censored: np.ndarray = self.removed - self.events
        return censored


def risk_table(
    time: np.ndarray, event: np.ndarray, weights: np.ndarray | None = None, index: TimeIndex | None = None,
    entry: np.ndarray | None = None,
) -> RiskTable:
    """Events, removals and the number at risk at each distinct time.

    The number at risk at time ``t`` counts every row with ``entry < t <= time`` (``entry`` defaults to
    0, before the first time); events happen before censorings at tied times, as in R's ``survfit``.

    >>> rt = risk_table(np.array([1, 2, 2, 3.0]), np.array([1, 1, 0, 0]))
    >>> rt.n_risk.tolist(), rt.events.tolist()
    ([4.0, 3.0, 1.0], [1.0, 1.0, 0.0])

    Delayed entry: the last row is at risk only after day 2.

    >>> risk_table(np.array([1, 2, 3.0]), np.array([1, 1, 1]), entry=np.array([0, 0, 2.0])).n_risk.tolist()
    [2.0, 1.0, 1.0]
    """
    ix = index if index is not None else index_times(time)
    size = len(ix.times)
    w = None if weights is None else np.asarray(weights, dtype=float)
    ev = np.asarray(event, dtype=float)
    removed = np.bincount(ix.inverse, weights=w, minlength=size).astype(float)
    events = np.bincount(ix.inverse, weights=ev if w is None else ev * w, minlength=size)
    n_risk = reverse_cumsum(removed)
    if entry is not None:
        n_risk = n_risk - not_yet_entered(ix.times, entry, w)
    return RiskTable(times=ix.times, n_risk=n_risk, events=events, removed=removed)

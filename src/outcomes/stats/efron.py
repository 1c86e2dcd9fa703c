"""Efron's approximation for tied event times: the one place its sums are computed.

At an event time with ``d`` tied deaths, risk-set sum ``a`` and deaths' sum ``b``,
Efron's partial likelihood uses ``a0_l = a - (l / d) b`` for ``l = 0 .. d-1``. Every
Cox fit (row-level, from a table of counts, stratified, weighted) needs the sums
over ``l`` of ``log a0``, ``1/a0``, ``f/a0``, ``1/a0^2``, ``f/a0^2`` and ``f^2/a0^2``
(``f = l/d``). Groups of up to 32 ties are summed directly; larger groups use the
closed forms: with ``c = a d / b``, ``sum_l 1/(c - l) = psi(c + 1) - psi(c - d + 1)``
(digamma) and ``sum_l 1/(c - l)^2 = psi'(c - d + 1) - psi'(c + 1)`` (trigamma),
where direct sums would cost one term per death (millions at claims scale) and
differences of polygammas do not yet lose precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

__all__ = ["EfronPlan", "efron_plan", "efron_sums"]

_DIRECT_TIES = 32


@dataclass(frozen=True)
class EfronPlan:
    """What Efron's sums need of the tie counts alone: the small groups expanded over their deaths.

    It depends only on the number of tied deaths per time, which no Newton iteration changes, so a fit
    builds it once (:func:`efron_plan`) instead of at every evaluation.
    """

    small: np.ndarray  # positions of the groups summed directly
    group: np.ndarray  # for each expanded death, its position among ``small``
    f: np.ndarray  # l / d for each expanded death
    big: np.ndarray  # positions of the groups summed in closed form


def efron_plan(d: np.ndarray) -> EfronPlan:
    """The expansion of the tie counts ``d`` (one per death time).

    >>> efron_plan(np.array([1.0, 3.0])).f.tolist()
    [0.0, 0.0, 0.3333333333333333, 0.6666666666666666]
    """
    small = np.flatnonzero(d <= _DIRECT_TIES)
    dd = d[small].astype(np.int64)
    group = np.repeat(np.arange(small.size), dd)
    ell = np.arange(group.size) - np.repeat(np.cumsum(dd) - dd, dd)
    return EfronPlan(small=small, group=group, f=ell / dd[group], big=np.flatnonzero(d > _DIRECT_TIES))


def efron_sums(a: np.ndarray, b: np.ndarray, d: np.ndarray, efron: bool = True,
               plan: EfronPlan | None = None) -> tuple[np.ndarray, ...]:
    """For each death time: sum_l log(a0), 1/a0, f/a0, 1/a0^2, f/a0^2, f^2/a0^2 with a0 = a - f b, f = l/d.

    ``plan`` is :func:`efron_plan` of ``d``, when the caller has it already.

    Two tied deaths, risk sum 4, deaths' sum 2: a0 = 4 then 3, so log 12, 1/4 + 1/3, 0.5/3, 1/16 + 1/9, ...

    >>> [round(float(x[0]), 6) for x in efron_sums(np.array([4.0]), np.array([2.0]), np.array([2.0]))]
    [2.484907, 0.583333, 0.166667, 0.173611, 0.055556, 0.027778]
    """
    if not efron:
        return d * np.log(a), d / a, np.zeros_like(a), d / a**2, np.zeros_like(a), np.zeros_like(a)
    plan = plan if plan is not None else efron_plan(d)
    out = [np.empty(a.shape, dtype=float) for _ in range(6)]  # every group is small or big: all are filled
    idx, group, f = plan.small, plan.group, plan.f
    a0 = a[idx][group] - f * b[idx][group]
    inv = 1 / a0
    inv2 = inv * inv
    for k, values in enumerate((np.log(a0), inv, f * inv, inv2, f * inv2, f * f * inv2)):
        out[k][idx] = np.bincount(group, weights=values, minlength=idx.size)
    # closed form for large groups: a0 = (b/d)(c - l), c = a d / b
    big = plan.big
    if big.size:
        A, B, D = a[big], b[big], d[big]
        c = A * D / B
        h1 = special.digamma(c + 1) - special.digamma(c - D + 1)
        h2 = special.polygamma(1, c - D + 1) - special.polygamma(1, c + 1)
        out[0][big] = D * np.log(B / D) + special.gammaln(c + 1) - special.gammaln(c - D + 1)
        out[1][big] = D / B * h1
        out[2][big] = (c * h1 - D) / B
        out[3][big] = (D / B) ** 2 * h2
        out[4][big] = D / B**2 * (c * h2 - h1)
        out[5][big] = (c**2 * h2 - 2 * c * h1 + D) / B**2
    return tuple(out)

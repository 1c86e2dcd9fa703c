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

import numpy as np
from scipy import special

__all__ = ["efron_sums"]

_DIRECT_TIES = 32


def efron_sums(a: np.ndarray, b: np.ndarray, d: np.ndarray, efron: bool = True) -> tuple[np.ndarray, ...]:
    """For each death time: sum_l log(a0), 1/a0, f/a0, 1/a0^2, f/a0^2, f^2/a0^2 with a0 = a - f b, f = l/d."""
    if not efron:
        return d * np.log(a), d / a, np.zeros_like(a), d / a**2, np.zeros_like(a), np.zeros_like(a)
    out = [np.zeros_like(a, dtype=float) for _ in range(6)]
    small = d <= _DIRECT_TIES
    # direct sums for small groups (expanded over their deaths only)
    idx = np.flatnonzero(small)
    dd = d[idx].astype(np.int64)
    group = np.repeat(np.arange(idx.size), dd)
    ell = np.arange(group.size) - np.repeat(np.cumsum(dd) - dd, dd)
    f = ell / dd[group]
    a0 = a[idx][group] - f * b[idx][group]
    for k, values in enumerate((np.log(a0), 1 / a0, f / a0, 1 / a0**2, f / a0**2, f * f / a0**2)):
        out[k][idx] = np.bincount(group, weights=values, minlength=idx.size)
    # closed form for large groups: a0 = (b/d)(c - l), c = a d / b
    big = np.flatnonzero(~small)
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

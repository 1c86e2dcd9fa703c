"""Competing risks: Aalen-Johansen cumulative incidence and Gray's test, as R's ``cmprsk::cuminc``.

Tie-aware by construction (events at the same time are handled together, never
jittered as lifelines' ``AalenJohansenFitter`` does). The variance is Gray's
(1988), the one ``cuminc`` reports; Gray's k-sample test follows ``cmprsk``'s
``crstm`` for two groups, vectorized over the distinct times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..core.inference import normal_quantile
from .counting import index_times, not_yet_entered, product_limit, reverse_cumsum, step_at

__all__ = ["CumulativeIncidenceCurve", "aalen_johansen", "aalen_johansen_counts", "gray_test", "gray_test_counts"]


@dataclass(frozen=True)
class CumulativeIncidenceCurve:
    """CIF of one cause at each time it jumps, with cuminc's variance."""

    time: np.ndarray
    cif: np.ndarray
    variance: np.ndarray
    last_time: float  # largest follow-up time: the curve is known up to here

    def at(self, times: np.ndarray, alpha: float = 0.05) -> pd.DataFrame:
        times = np.asarray(times, dtype=float)
        cif = step_at(self.time, self.cif, times, before=0.0)
        var = step_at(self.time, self.variance, times, before=0.0)
        lower, upper = _loglog_interval(cif, var, alpha)
        return pd.DataFrame({"time": times, "cif": cif, "se": np.sqrt(var), "ci_lower": lower, "ci_upper": upper})


def _loglog_interval(cif: np.ndarray, var: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """``F^exp(-/+ z se / (F log F))``: stays within (0, 1); NaN where F is 0 or 1."""
    z = normal_quantile(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = (cif > 0) & (cif < 1)
        f = np.where(inside, cif, np.nan)
        half = z * np.sqrt(var) / (f * np.log(f))
        return f ** np.exp(-half), f ** np.exp(half)


def aalen_johansen(time: np.ndarray, status: np.ndarray, entry: np.ndarray | None = None) -> CumulativeIncidenceCurve:
    """Cumulative incidence of cause 1 (``status`` 0 censored, 1 cause of interest, 2 competing).

    ``entry`` gives delayed entry: a row is at risk at ``t`` when ``entry < t <= time``.

    Examples
    --------
    >>> c = aalen_johansen(np.array([1, 2, 3, 4.0]), np.array([1, 2, 1, 0]))
    >>> c.cif.tolist()  # 1/4, then 3/4 * 1/2 * ... : S(2) = 1/2, so + 1/2 * 1/2
    [0.25, 0.5]
    """
    time = np.asarray(time, dtype=float)
    status = np.asarray(status)
    ix = index_times(time)
    U = len(ix.times)
    removed = np.bincount(ix.inverse, minlength=U).astype(float)
    d1 = np.bincount(ix.inverse, weights=(status == 1).astype(float), minlength=U)
    d2 = np.bincount(ix.inverse, weights=(status == 2).astype(float), minlength=U)
    n_risk = None if entry is None else reverse_cumsum(removed) - not_yet_entered(ix.times, entry)
    return aalen_johansen_counts(ix.times, removed, d1, d2, n_risk=n_risk)


def aalen_johansen_counts(times: np.ndarray, removed: np.ndarray, d1: np.ndarray, d2: np.ndarray,
                          n_risk: np.ndarray | None = None) -> CumulativeIncidenceCurve:
    """The same curve from counts per distinct time: participants removed, cause-1 and cause-2 exits.

    All the estimator and its variance need: a count table (one site's, or pooled) gives the
    row-level curve exactly. ``n_risk`` (at risk just before each time) defaults to everyone not yet
    removed; give it for delayed entry.

    Examples
    --------
    >>> c = aalen_johansen_counts(np.array([1, 2, 3, 4.0]), np.ones(4), np.array([1, 0, 1, 0.0]),
    ...                           np.array([0, 1, 0, 0.0]))
    >>> c.cif.tolist()
    [0.25, 0.5]
    """
    keep = np.asarray(removed, dtype=float) > 0  # a time nobody left at (after pooling) adds nothing
    times = np.asarray(times, dtype=float)[keep]
    rs = reverse_cumsum(np.asarray(removed, dtype=float))[keep] if n_risk is None else np.asarray(n_risk, float)[keep]
    removed, d1, d2 = (np.asarray(a, dtype=float)[keep] for a in (removed, d1, d2))
    nd = d1 + d2
    surv_after = product_limit(rs, nd)
    fk = np.concatenate([[1.0], surv_after[:-1]])  # all-cause KM just before each time
    fkn = surv_after
    cif = np.cumsum(fk * d1 / rs)
    # Gray's variance (cmprsk's cinc), accumulated over event times
    with np.errstate(divide="ignore", invalid="ignore"):
        t5c = np.where(d2 > 1, 1 - (d2 - 1) / (rs - 1), 1.0)
        t6c = np.where((d2 > 0) & (fkn > 0), fk**2 * t5c * d2 / rs**2, 0.0)
        inv_fkn = np.where(fkn > 0, 1 / fkn, 0.0)
        a_c = cif * inv_fkn
        t5k = np.where(d1 > 1, 1 - (d1 - 1) / (rs - 1), 1.0)
        t6k = np.where(d1 > 0, fk**2 * t5k * d1 / rs**2, 0.0)
        t4k = 1 + inv_fkn * cif
    v1 = np.cumsum(a_c**2 * t6c + t4k**2 * t6k)
    v2 = np.cumsum(inv_fkn * a_c * t6c + inv_fkn * t4k * t6k)
    v3 = np.cumsum(inv_fkn**2 * t6c + inv_fkn**2 * t6k)
    variance = v1 + cif**2 * v3 - 2 * cif * v2
    jumps = d1 > 0
    return CumulativeIncidenceCurve(time=times[jumps], cif=cif[jumps], variance=variance[jumps],
                                    last_time=float(times[-1]) if times.size else 0.0)


def gray_test(time: np.ndarray, status: np.ndarray, group: np.ndarray, rho: float = 0.0,
              strata: np.ndarray | None = None) -> tuple[float, float]:
    """Gray's test that the cause-1 CIF is equal in two groups: (chi-square on 1 df, p-value).

    ``group`` is boolean (True = second group). Matches ``cmprsk::cuminc(...)$Tests``.
    """
    time = np.asarray(time, dtype=float)
    status = np.asarray(status)
    group = np.asarray(group, dtype=bool)
    codes = np.zeros(len(time), dtype=np.int64) if strata is None else pd.factorize(np.asarray(strata))[0]
    per_stratum: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for k in range(codes.max() + 1):
        rows = codes == k
        ix = index_times(time[rows])
        U = len(ix.times)
        columns: list[list[np.ndarray]] = [[], [], []]
        for members in (~group[rows], group[rows]):
            inv, st = ix.inverse[members], status[rows][members]
            columns[0].append(np.bincount(inv, minlength=U).astype(float))
            columns[1].append(np.bincount(inv, weights=(st == 1).astype(float), minlength=U))
            columns[2].append(np.bincount(inv, weights=(st == 2).astype(float), minlength=U))
        per_stratum.append((np.column_stack(columns[0]), np.column_stack(columns[1]), np.column_stack(columns[2])))
    return gray_test_counts(per_stratum, rho)


def gray_test_counts(per_stratum: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]],
                     rho: float = 0.0) -> tuple[float, float]:
    """Gray's test from counts: per stratum, (removed, cause-1, cause-2) as (times, 2) arrays over its
    distinct times in increasing order (first group in column 0). Equals :func:`gray_test` on the rows."""
    score, variance = 0.0, 0.0
    for removed, d1, d2 in per_stratum:
        sc, va = _gray_stratum(np.asarray(removed, float), np.asarray(d1, float), np.asarray(d2, float), rho)
        score += sc
        variance += va
    statistic = score**2 / variance
    return float(statistic), float(stats.chi2.sf(statistic, 1))


def _gray_stratum(removed: np.ndarray, d1: np.ndarray, d2: np.ndarray, rho: float) -> tuple[float, float]:
    keep = removed.sum(axis=1) > 0
    removed, d1, d2 = removed[keep], d1[keep], d2[keep]
    rs = reverse_cumsum(removed)  # at risk per group (columns 0 = first group, 1 = second)
    active = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        skm = product_limit(rs, d1 + d2, axis=0)
        skmm = np.vstack([np.ones((1, 2)), skm[:-1]])
        f1 = np.cumsum(np.where(active, skmm * d1 / rs, 0.0), axis=0)
        f1m = np.vstack([np.zeros((1, 2)), f1[:-1]])
        ratio = np.where(active, rs / skmm, 0.0)  # t1 in crstm
        tr = ratio.sum(axis=1)
        tq = np.where(active, rs * (1 - f1m) / skmm, 0.0).sum(axis=1)
        nd1, nd2 = d1.sum(axis=1), d2.sum(axis=1)
        has_event = (nd1 + nd2) > 0
        f = np.cumsum(np.where(has_event, nd1 / tr, 0.0))
        fm = np.concatenate([[0.0], f[:-1]])
        fb = (1 - fm) ** rho
        # a(1, k) and the cumulative c(1, k)
        a = np.column_stack([fb * ratio[:, 0] * (1 - ratio[:, 0] / tr), -fb * ratio[:, 0] * ratio[:, 1] / tr])
        a = np.where(active[:, [0]] & active & has_event[:, None], a, 0.0)
        c = np.cumsum(a * np.where(has_event, nd1 / (tr * (1 - fm)), 0.0)[:, None], axis=0)
        score = np.sum(np.where(has_event & active[:, 0],
                                fb * (d1[:, 0] - nd1 * rs[:, 0] * (1 - f1m[:, 0]) / (skmm[:, 0] * tq)), 0.0))
        # cause-1 contributions
        m1 = (has_event & (nd1 > 0))[:, None] & active
        t4 = np.where(skm > 0, 1 - (1 - f)[:, None] / skm, 1.0)
        t5 = np.where((nd1 > 1)[:, None], 1 - (nd1[:, None] - 1) / (tr[:, None] * skmm - 1), 1.0)
        t3 = np.where(m1, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        v3 = (t4**2 * t3).sum(axis=0)
        t1 = a - t4 * c
        v2 = (t1 * t4 * t3).sum(axis=0)
        v = np.sum(t1[:, 0] ** 2 * t3[:, 0]) + np.sum(t1[:, 1] ** 2 * t3[:, 1])
        # cause-2 contributions
        m2 = has_event[:, None] & (skm > 0) & (d2 > 0)
        t4b = np.where(m2, (1 - f)[:, None] / skm, 0.0)
        t5b = np.where(d2 > 1, 1 - (d2 - 1) / (rs - 1), 1.0)
        t3b = np.where(m2, t5b * skmm**2 * d2 / rs**2, 0.0)
        v3 += (t4b**2 * t3b).sum(axis=0)
        t1b = t4b * c
        v2 -= (t1b * t4b * t3b).sum(axis=0)
        v += np.sum(t1b**2 * t3b)
    c_final = c[-1]
    v += np.sum(c_final**2 * v3 + 2 * c_final * v2)
    return float(score), float(v)

"""The unadjusted two-arm comparison from a (time x arm) table of counts.

Kaplan-Meier per arm, the log-rank test and a Cox model whose only covariate is
the arm depend on the data only through the number removed and the number of
events per distinct time and arm. One counting pass over the rows (``bincount``)
gives that table; everything after it costs O(distinct times), so 10 million
rows of whole-day times cost little more than the counting.

Efron's sums over tied deaths are done in closed form: with ``a`` the risk-set sum,
``b`` the sum over the ``d`` tied deaths and ``c = a d / b``,
``sum_{l<d} 1/(c - l) = psi(c + 1) - psi(c - d + 1)`` (digamma) and
``sum 1/(c - l)^2 = psi'(c - d + 1) - psi'(c + 1)`` (trigamma); groups of up to
32 ties are summed directly, where the differences of polygammas would lose
precision. Results equal :func:`outcomes.stats.fit_cox` (tested to 1e-10) and
R's ``coxph`` (through the reference tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, special, stats

from ..core.errors import ConvergenceError
from .counting import TimeIndex, index_times
from .newton import maximize
from .kaplan_meier import KaplanMeier, km_from_counts

__all__ = ["ArmTable", "arm_table", "km_from_table", "logrank_from_table", "cox_from_table"]

_DIRECT_TIES = 32


@dataclass(frozen=True)
class ArmTable:
    """Per distinct time (rows) and arm (columns 0 = reference, 1 = treatment)."""

    times: np.ndarray
    removed: np.ndarray  # (U, 2)
    events: np.ndarray  # (U, 2)

    @property
    def at_risk(self) -> np.ndarray:
        return np.cumsum(self.removed[::-1], axis=0)[::-1]


def arm_table(time: np.ndarray, event: np.ndarray, treated: np.ndarray, index: TimeIndex | None = None) -> ArmTable:
    ix = index if index is not None else index_times(time)
    U = len(ix.times)
    cell = ix.inverse * 2 + treated.astype(np.int64)
    removed = np.bincount(cell, minlength=2 * U).reshape(U, 2).astype(float)
    events = np.bincount(cell, weights=event, minlength=2 * U).reshape(U, 2)
    return ArmTable(ix.times, removed, events)


def km_from_table(table: ArmTable, arm: int, alpha: float) -> KaplanMeier:
    """Kaplan-Meier of one arm, identical to :func:`kaplan_meier` on that arm's rows."""
    keep = table.removed[:, arm] > 0
    d = table.events[keep, arm]
    return km_from_counts(table.times[keep], table.at_risk[keep, arm], d, table.removed[keep, arm] - d, alpha)


def logrank_from_table(table: ArmTable) -> tuple[float, np.ndarray, np.ndarray]:
    """Chi-square, observed and expected events per arm."""
    n_both = table.at_risk
    n = n_both.sum(axis=1)
    n1 = n_both[:, 1]
    deaths = table.events.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = np.where(deaths > 0, deaths * n1 / n, 0.0)
        v = np.where((deaths > 0) & (n > 1), deaths * (n1 / n) * (1 - n1 / n) * (n - deaths) / (n - 1), 0.0)
    o1 = table.events[:, 1].sum()
    observed = np.array([deaths.sum() - o1, o1])
    expected = np.array([deaths.sum() - e1.sum(), e1.sum()])
    return float((o1 - e1.sum()) ** 2 / v.sum()), observed, expected


def _efron_sums(a: np.ndarray, b: np.ndarray, d: np.ndarray, efron: bool):
    """For each death time: sum_l log(a0), 1/a0, f/a0, 1/a0^2, f/a0^2, f^2/a0^2 with a0 = a - f b, f = l/d."""
    if not efron:
        return d * np.log(a), d / a, np.zeros_like(a), d / a**2, np.zeros_like(a), np.zeros_like(a)
    out = [np.zeros_like(a) for _ in range(6)]
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
    return out


@dataclass(frozen=True)
class TableCox:
    coef: float
    se: float
    loglik: float
    loglik_null: float
    iterations: int
    death_times: np.ndarray
    score: np.ndarray  # per death time, at the estimate
    info: np.ndarray  # per death time


def cox_from_table(table: ArmTable, ties: str = "efron", max_iter: int = 30, tol: float = 1e-10,
                   term: str = "arm") -> TableCox:
    """Cox model with the arm as only covariate, from the table (Newton-Raphson from 0, as R)."""
    n_risk = table.at_risk
    deaths = table.events
    d = deaths.sum(axis=1)
    keep = d > 0
    n0, n1 = n_risk[keep, 0], n_risk[keep, 1]
    d0, d1 = deaths[keep, 0], deaths[keep, 1]
    d = d[keep]
    efron = ties == "efron"

    def evaluate(beta: float):
        r = np.exp(beta)
        a = n0 + n1 * r  # S0
        s1 = n1 * r  # S1 = S2 for a 0/1 covariate
        b = d0 + d1 * r  # D0
        dd1 = d1 * r  # D1 = D2
        logs, c1, cf, c2, cf2, cff2 = _efron_sums(a, b, d, efron)
        wx_dead = d1
        score = wx_dead - (s1 * c1 - dd1 * cf)
        info = (s1 * c1 - dd1 * cf) - (s1 * s1 * c2 - 2 * s1 * dd1 * cf2 + dd1 * dd1 * cff2)
        loglik = float(np.sum(d1 * beta) - np.sum(logs))
        return loglik, score, info

    def newton_terms(b: np.ndarray):
        loglik, score, info = evaluate(float(b[0]))
        return loglik, np.array([score.sum()]), np.array([[info.sum()]]), (score, info)

    estimate, (loglik, _, _, (score, info)), (loglik_null, _, _, _), iteration = maximize(
        newton_terms, np.zeros(1), max_iter=max_iter, tol=tol)
    beta = float(estimate[0])
    se = float(1 / np.sqrt(info.sum()))
    if abs(beta) > 5 and se > 10 * abs(beta):
        raise ConvergenceError(f"the Cox coefficient of {term!r} is drifting to infinity (monotone likelihood): one "
                               "arm has no events while the other is still at risk; its hazard ratio is not estimable")
    return TableCox(coef=float(beta), se=se, loglik=loglik, loglik_null=loglik_null, iterations=iteration,
                    death_times=table.times[keep], score=score, info=info)


def ph_test_from_table(fit: TableCox, table: ArmTable, term: str) -> pd.DataFrame:
    """R's cox.zph (transform = "km") for the one-covariate model: same statistic as the general code."""
    pooled = table.removed.sum(axis=1)
    deaths = table.events.sum(axis=1)
    n = np.cumsum(pooled[::-1])[::-1]
    surv = np.cumprod(1 - deaths / n)
    pos = np.searchsorted(table.times, fit.death_times, side="left") - 1
    g = 1 - np.where(pos >= 0, surv[np.maximum(pos, 0)], 1.0)
    u = np.array([0.0, float((g * fit.score).sum())])
    info = np.array([[fit.info.sum(), (g * fit.info).sum()], [(g * fit.info).sum(), (g * g * fit.info).sum()]])
    try:
        statistic = float(u @ linalg.solve(info, u, assume_a="sym"))
        p = float(stats.chi2.sf(statistic, 1))
    except (linalg.LinAlgError, ValueError):
        statistic, p = float("nan"), float("nan")
    return pd.DataFrame([(term, statistic, 1, p), ("GLOBAL", statistic, 1, p)],
                        columns=["term", "statistic", "df", "p_value"])

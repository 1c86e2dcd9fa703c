"""The unadjusted two-arm comparison from a (time x arm) table of counts.

Kaplan-Meier per arm, the log-rank test and a Cox model whose only covariate is
the arm depend on the data only through the number removed and the number of
events per distinct time and arm. One counting pass over the rows (``bincount``)
gives that table; everything after it costs O(distinct times), so 10 million
rows of whole-day times cost little more than the counting.

Efron's sums over tied deaths come from :func:`outcomes.stats.efron.efron_sums`, shared with
:func:`outcomes.stats.fit_cox`. Results equal :func:`outcomes.stats.fit_cox` (tested to 1e-10) and
R's ``coxph`` (through the reference tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import ConvergenceError
from .counting import TimeIndex, index_times, product_limit, reverse_cumsum, step_at
from .efron import efron_sums
from .newton import maximize
from .score_test import score_test
from .kaplan_meier import KaplanMeier, km_from_counts
from .logrank import LogRankStatistic, logrank_statistic, logrank_terms

__all__ = ["ArmTable", "arm_table", "km_from_table", "logrank_from_table", "cox_from_table"]

@dataclass(frozen=True)
class ArmTable:
    """Per distinct time (rows) and arm (columns 0 = reference, 1 = treatment)."""

    times: np.ndarray
    removed: np.ndarray  # (U, 2)
    events: np.ndarray  # (U, 2)

    @property
    def at_risk(self) -> np.ndarray:
        return reverse_cumsum(self.removed)


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


def logrank_from_table(table: ArmTable | list[ArmTable]) -> LogRankStatistic:
    """The log-rank test from the table (or one table per stratum, summed before squaring): identical to
    :func:`logrank_test` on the rows."""
    o1 = e1 = variance = total = 0.0
    for one in table if isinstance(table, list) else [table]:
        at_risk = one.at_risk
        deaths = one.events.sum(axis=1)
        terms = logrank_terms(at_risk.sum(axis=1), at_risk[:, 1], deaths, one.events[:, 1])
        o1, e1, variance, total = o1 + terms[0], e1 + terms[1], variance + terms[2], total + deaths.sum()
    return logrank_statistic(float(o1), float(e1), float(variance), float(total))


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
        logs, c1, cf, c2, cf2, cff2 = efron_sums(a, b, d, efron)
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
    surv = product_limit(reverse_cumsum(table.removed.sum(axis=1)), table.events.sum(axis=1))
    g = 1 - step_at(table.times, surv, fit.death_times, before=1.0, left_limit=True)
    u = np.array([0.0, float((g * fit.score).sum())])
    info = np.array([[fit.info.sum(), (g * fit.info).sum()], [(g * fit.info).sum(), (g * g * fit.info).sum()]])
    found = score_test(u, info, 1)
    rows = [] if found is None else [(term, found[0], 1, found[1]), ("GLOBAL", found[0], 1, found[1])]
    return pd.DataFrame(rows, columns=["term", "statistic", "df", "p_value"])

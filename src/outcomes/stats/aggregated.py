"""The unadjusted two-arm comparison from a (time x arm) table of counts.

Kaplan-Meier per arm, the log-rank test and a Cox model whose only covariate is
the arm depend on the data only through the number removed and the number of
events per distinct time and arm. One counting pass over the rows (``bincount``)
gives that table; everything after it costs O(distinct times), so 10 million
rows of whole-day times cost little more than the counting.

The Cox model is :func:`outcomes.stats.fit_cox` on the table's (time, arm) patterns, and the curves and
the test are the package's one Kaplan-Meier and one log-rank assembly: nothing is computed here twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .counting import TimeIndex, index_times, reverse_cumsum
from .cox import CoxFit, fit_cox
from .kaplan_meier import KaplanMeier, km_from_counts
from .logrank import LogRankStatistic, logrank_statistic, logrank_terms

__all__ = ["ArmTable", "arm_table", "cox_of_table", "km_from_table", "logrank_from_table"]

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
        o1, e1 = o1 + float(terms[0]), e1 + float(terms[1])
        variance, total = variance + float(terms[2]), total + float(deaths.sum())
    return logrank_statistic(float(o1), float(e1), float(variance), float(total))


def cox_of_table(table: ArmTable, term: str = "arm", *, ph_test: bool = True) -> CoxFit:
    """The Cox model with the arm as only covariate, fitted by :func:`fit_cox` from the table's counts.

    Each (time, arm) cell with participants is one pattern row of ``removed`` participants of whom
    ``events`` had the event: the exact Efron fit of their rows (tested against R's ``coxph``).
    ``ph_test=False`` skips R's ``cox.zph`` test when only the coefficient is needed (power simulations).
    """
    keep = table.removed.ravel() > 0
    arm = np.tile([0.0, 1.0], len(table.times))[keep][:, None]
    time = np.repeat(table.times, 2)[keep]
    return fit_cox(arm, time, np.zeros(len(time)), terms=[term], weights=table.removed.ravel()[keep],
                   event_counts=table.events.ravel()[keep], ph_test=ph_test)

"""A survival response: what is at risk when, in one typed, validated description.

Every kernel of this package takes the same pieces: the end of each row's interval (``time``), whether it
ends in the event, when the row entered the risk set (``entry``; delayed entry and (start, stop] rows), whose
row it is (``participant``; several rows of one person count once in a robust variance), case ``weights``
and ``strata``. :class:`SurvivalResponse` checks them once, names the row that breaks a rule, and hands
them to the risk table, Kaplan-Meier, the log-rank test and the Cox model, so one-row-per-participant
cohorts and the episodes of :mod:`outcomes.model.episodes` go through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import InputError
from .counting import RiskTable, risk_table
from .cox import CoxFit, fit_cox
from .kaplan_meier import KaplanMeier, kaplan_meier
from .logrank import LogRankStatistic, logrank_test

__all__ = ["SurvivalResponse"]


@dataclass(frozen=True, eq=False)
class SurvivalResponse:
    """Rows at risk on ``(entry, time]``, each ending in the event or not.

    Parameters
    ----------
    time : (n,) array
        End of each row's interval (days), finite and > ``entry``.
    event : (n,) array
        1 = the row ends in the event, 0 = it does not.
    entry : (n,) array, optional
        Start of each row's interval; None means everyone is at risk from 0 (one row per participant).
    participant : (n,) array, optional
        Whose row each is; a robust Cox variance sums each participant's rows.
    weights : (n,) array, optional
        Case weights (>= 0).
    strata : (n,) array, optional
        Separate baseline hazards.

    Raises
    ------
    InputError
        Arrays of different lengths, a time that is missing or infinite, an event other than 0/1, an interval
        that does not end after it starts, or a negative weight; the message names the first such row.

    Examples
    --------
    Two people, the second split at day 30 when peer support starts:

    >>> r = SurvivalResponse(np.array([40.0, 30, 90]), np.array([1, 0, 1]), entry=np.array([0.0, 0, 30]),
    ...                      participant=np.array(["a", "b", "b"]))
    >>> r.n_rows, r.n_participants, r.risk_table().n_risk.tolist()
    (3, 2, [2.0, 2.0, 1.0])
    """

    time: np.ndarray
    event: np.ndarray
    entry: np.ndarray | None = None
    participant: np.ndarray | None = None
    weights: np.ndarray | None = None
    strata: np.ndarray | None = None

    def __post_init__(self) -> None:
        time = np.asarray(self.time, dtype=float)
        n = time.shape[0]
        for name in ("event", "entry", "participant", "weights", "strata"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise InputError(f"{name} has {len(value)} values for {n} rows; give one per row")
        _first_bad("time", ~np.isfinite(time), "is missing or infinite")
        event = np.asarray(self.event, dtype=float)
        _first_bad("event", ~np.isin(event, (0.0, 1.0)), "is not 0 or 1")
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "event", event)
        if self.entry is not None:
            entry = np.asarray(self.entry, dtype=float)
            _first_bad("entry", ~np.isfinite(entry) | ~(entry < time), "does not start before the row's time")
            object.__setattr__(self, "entry", entry)
        if self.weights is not None:
            weights = np.asarray(self.weights, dtype=float)
            _first_bad("weights", ~np.isfinite(weights) | (weights < 0), "is negative or not a number")
            object.__setattr__(self, "weights", weights)

    @property
    def n_rows(self) -> int:
        return int(self.time.shape[0])

    @property
    def n_participants(self) -> int:
        """Distinct participants (rows, when no participant is given)."""
        return self.n_rows if self.participant is None else int(pd.unique(np.asarray(self.participant)).size)

    @property
    def n_events(self) -> int:
        return int(self.event.sum())

    def risk_table(self) -> RiskTable:
        """At risk, events and removals per distinct time (strata pooled)."""
        return risk_table(self.time, self.event, self.weights, entry=self.entry)

    def kaplan_meier(self, alpha: float = 0.05) -> KaplanMeier:
        """The Kaplan-Meier curve of all rows (strata pooled), with delayed entry."""
        return kaplan_meier(self.time, self.event, weights=self.weights, alpha=alpha, entry=self.entry)

    def logrank(self, group: np.ndarray) -> LogRankStatistic:
        """The log-rank test of ``group`` (True = second arm), stratified by ``strata``; unweighted."""
        return logrank_test(self.time, self.event, np.asarray(group, dtype=bool), strata=self.strata,
                            entry=self.entry)

    def cox(self, X: np.ndarray, *, terms: list[str], ties: str = "efron", robust: bool = False,
            term_columns: dict[str, list[int]] | None = None, ph_test: bool = True) -> CoxFit:
        """A Cox model of these rows; ``robust=True`` sums the score residuals of each participant's rows."""
        cluster = self.participant if robust and self.participant is not None else None
        return fit_cox(X, self.time, self.event, terms=terms, term_columns=term_columns, strata=self.strata,
                       weights=self.weights, ties=ties, robust=robust, cluster=cluster, entry=self.entry,
                       ph_test=ph_test)


def _first_bad(name: str, bad: np.ndarray, what: str) -> None:
    rows = np.flatnonzero(bad)
    if rows.size:
        raise InputError(f"{name} of row {int(rows[0])} {what}; {rows.size} row(s) like it")

"""Cox proportional-hazards regression with Efron (or Breslow) ties, in vectorized numpy.

Matches R's ``coxph`` (survival 3.5): Newton-Raphson from zero with step
halving, Efron's tie correction with the mean weight of tied deaths, strata
with separate baseline hazards, case weights, and the robust (sandwich)
variance from score residuals (R's ``robust = TRUE``; clusters optional).

Per iteration the work is O(n p^2): weighted ``bincount``s over the distinct
times and reverse cumulative sums give every risk-set sum; Efron's correction
for tied deaths is summed per tied group without a Python loop.

The proportional-hazards test is R's ``cox.zph(fit, transform = "km")``:
the score test, at (beta-hat, 0), of adding ``g(t) x`` for each term, with
``g(t) = 1 - KM(t-)`` of the pooled data; per term it uses every beta plus
that term's theta, exactly as R >= 3.0 does (not the older Schoenfeld-residual
approximation that lifelines uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ConvergenceError, InputError, NotEstimableError
from ..core.inference import wald
from .counting import index_times, product_limit, reverse_cumsum, step_at
from .andersen_gill import RecurrentStratum, prepare_recurrent, recurrent_group_sums, recurrent_score_residuals
from .cox_parts import (GroupSums, LateEntry, at_risk_residuals, gather_rows, hazard_terms, late_entries, time_order,
                        weighted_gram)
from .efron import EfronPlan, efron_plan, efron_sums
from .newton import maximize, solve_information
from .score_test import score_test
from .kaplan_meier import kaplan_meier
from ..core.formatting import plain

__all__ = ["CoxFit", "cox_table", "fit_cox", "score_residuals"]

_NO_PH_TEST = pd.DataFrame(columns=["term", "statistic", "df", "p_value"])  # copied: 1/30 of the cost of a new one


@dataclass(frozen=True)
class _FineGrayTail:
    """Rows that stay in the risk set after their own time (competing failures), weighted by
    ``scale[time] * row_weight[row]``, i.e. G(t-) / G(y-) for the censoring distribution G."""

    rows: np.ndarray  # positions (within stratum)
    row_weight: np.ndarray  # (len(rows),)
    scale: np.ndarray  # (U,)


@dataclass(frozen=True)
class _Stratum:
    """One stratum's rows sorted by time, with everything that does not change across Newton iterations."""

    rows: np.ndarray  # indices into the full data, sorted by time
    inverse: np.ndarray  # (n_s,) time position of each row (non-decreasing)
    n_times: int
    starts: np.ndarray  # (U,) first row of each distinct time
    Xs: np.ndarray  # (n_s, p) covariates, Fortran order (contiguous columns)
    X_dead: np.ndarray  # (E, p) covariates of the deaths, Fortran order
    pair_plan: list[tuple[Any, ...]]  # per (j, k), j <= k: ("zero",) | ("copy", column) | ("product", j, k)
    ws: np.ndarray  # (n_s,) weights
    event_rows: np.ndarray  # positions (within stratum) of deaths, sorted by time
    dead_starts: np.ndarray  # (G,) first death of each death time
    groups: np.ndarray  # (G,) time positions that hold deaths
    deaths: np.ndarray  # (G,) number of deaths
    death_weight: np.ndarray  # (G,) sum of weights of the deaths
    wx_dead: np.ndarray  # (G, p) weighted covariate sums of the deaths
    efron: bool  # Efron's tie correction (else Breslow's)
    dead_w: np.ndarray  # (E,) weight of each death row in the score: its case weight, or its count of events
    dead_scale: np.ndarray  # (E,) its deaths' share of the row's risk weight (1, or events / participants)
    times: np.ndarray  # (U,) distinct times
    efron_plan: EfronPlan | None = None  # the tied deaths expanded once for all iterations (Efron only)
    tail: _FineGrayTail | None = None  # Fine-Gray: competing failures kept at risk after their time
    late: LateEntry | None = None  # (start, stop] rows: those not yet at risk at the first times


_Strata = _Stratum | RecurrentStratum  # rows with one event each, or with several (Andersen-Gill)


def _prepare(X: np.ndarray, time: np.ndarray, event: np.ndarray, weights: np.ndarray, rows: np.ndarray, efron: bool,
             competing: np.ndarray | None = None, event_counts: np.ndarray | None = None,
             entry: np.ndarray | None = None) -> _Stratum:
    """Sort one stratum by time and precompute its deaths.

    With ``event_counts`` each row is a pattern of participants (``weights`` of them, identical in time and
    covariates) of whom ``event_counts`` had the event: Efron's correction then counts tied *deaths*, not
    tied rows, so the fit equals the fit on the participants' own rows.
    """
    ix = index_times(time[rows])
    order = time_order(ix.inverse)
    rows = rows[order]
    inverse = ix.inverse[order]
    U = len(ix.times)
    starts = np.searchsorted(inverse, np.arange(U))
    Xs = gather_rows(X, rows)
    ws = weights[rows]
    ev = (event[rows] if event_counts is None else event_counts[rows]) > 0
    event_rows = np.flatnonzero(ev)
    inv_dead = inverse[event_rows]
    if event_counts is None:  # one death per event row, weighted by its case weight
        dead_n, dead_w, dead_scale = np.ones(len(event_rows)), ws[event_rows], np.ones(len(event_rows))
    else:  # a pattern row: its events are deaths of weight 1 each
        dead_n = dead_w = event_counts[rows][event_rows].astype(float)
        dead_scale = dead_n / ws[event_rows]
    per_time = np.bincount(inv_dead, weights=dead_n, minlength=U)
    groups = np.flatnonzero(per_time)
    deaths = per_time[groups]
    dead_starts = np.searchsorted(inv_dead, groups)
    death_weight = np.add.reduceat(dead_w, dead_starts) if groups.size else np.zeros(0)
    wx_dead = (np.add.reduceat(dead_w[:, None] * Xs[event_rows], dead_starts, axis=0) if groups.size
               else np.zeros((0, X.shape[1])))
    late = None if entry is None else late_entries(ix.times, entry[rows])
    tail = None
    if competing is not None:  # a pattern row counts its participants in the censoring distribution too
        participants = ws if event_counts is not None else np.ones(len(rows))
        tail = _fine_gray_tail(ix.times, inverse, ev, competing[rows], participants)
    return _Stratum(rows, inverse, U, starts, Xs, gather_rows(Xs, event_rows), _pair_plan(Xs), ws, event_rows,
                    dead_starts, groups, deaths.astype(float), death_weight, wx_dead, efron, dead_w, dead_scale,
                    ix.times, efron_plan=efron_plan(deaths) if efron else None, tail=tail, late=late)


def _pair_plan(Xs: np.ndarray) -> list[tuple[Any, ...]]:
    """How to get each product column x_j x_k: dummies of one factor multiply to zero, and a 0/1
    column times itself (or times a column it nests in) is a column already summed."""
    p = Xs.shape[1]
    binary = [bool(np.all((Xs[:, j] == 0) | (Xs[:, j] == 1))) for j in range(p)]
    plan: list[tuple[Any, ...]] = []
    for j in range(p):
        for k in range(j, p):
            if not (binary[j] and binary[k]):  # only 0/1 columns multiply to zero or to one of them: no test
                plan.append(("product", j, k))
                continue
            prod = Xs[:, j] * Xs[:, k]
            if not prod.any():
                plan.append(("zero",))
            elif np.array_equal(prod, Xs[:, j]):
                plan.append(("copy", j))
            elif np.array_equal(prod, Xs[:, k]):
                plan.append(("copy", k))
            else:
                plan.append(("product", j, k))
    return plan


def _fine_gray_tail(times: np.ndarray, inverse: np.ndarray, event: np.ndarray, competing: np.ndarray,
                    participants: np.ndarray) -> _FineGrayTail:
    """Weights keeping competing failures in the subdistribution risk set, as R's ``finegray``.

    G is the Kaplan-Meier estimate of the censoring distribution, censorings at a tied
    time counted after the failures there; a competing failure at y stays at risk at
    t > y with weight G(t-) / G(y-). ``participants`` is how many people each row is
    (1, or a pattern's count).
    """
    U = len(times)
    censored = ~event & ~competing
    c = np.bincount(inverse[censored], weights=participants[censored], minlength=U)
    n_after = (reverse_cumsum(np.bincount(inverse, weights=participants, minlength=U))
               - np.bincount(inverse, weights=participants * ~censored, minlength=U))
    g_after = product_limit(n_after, c)
    g_before = np.concatenate([[1.0], g_after[:-1]])  # G(t-) at each distinct time
    tail_rows = np.flatnonzero(competing)
    return _FineGrayTail(rows=tail_rows, row_weight=1.0 / g_before[inverse[tail_rows]], scale=g_before)


def _risk_and_death_sums(st: _Stratum, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of r, r x_j and r x_j x_k (j <= k): over each death time's risk set (G, K) and its deaths (G, K).

    One contiguous column at a time: a product into a reused buffer, then ``add.reduceat`` over the
    time-sorted rows (fast on 1-D arrays), then a reverse cumulative sum over the distinct times.
    Product columns that are zero or equal to a covariate column (0/1 dummies) are not recomputed.
    """
    n, p = st.Xs.shape
    K = 1 + p + len(st.pair_plan)
    G = len(st.groups)
    risk = np.zeros((G, K))
    dead = np.zeros((G, K))
    r_dead = r[st.event_rows] * st.dead_scale
    buf = np.empty(n)
    buf_dead = np.empty(len(st.event_rows))

    def accumulate(col: int) -> None:
        at_risk = reverse_cumsum(np.add.reduceat(buf, st.starts))
        if st.tail is not None:  # competing failures strictly before t, weighted G(t-)/G(y-)
            tail = np.bincount(st.inverse[st.tail.rows], weights=buf[st.tail.rows] * st.tail.row_weight,
                               minlength=st.n_times)
            at_risk = at_risk + st.tail.scale * (np.cumsum(tail) - tail)
        if st.late is not None:  # rows not yet entered at a time are not in its risk set
            at_risk = at_risk - reverse_cumsum(np.bincount(st.late.index, weights=buf[st.late.rows],
                                                           minlength=st.n_times))
        risk[:, col] = at_risk[st.groups]
        if G:
            dead[:, col] = np.add.reduceat(buf_dead, st.dead_starts)

    buf[:], buf_dead[:] = r, r_dead
    accumulate(0)
    for j in range(p):
        np.multiply(r, st.Xs[:, j], out=buf)
        np.multiply(r_dead, st.X_dead[:, j], out=buf_dead)
        accumulate(1 + j)
    for i, plan in enumerate(st.pair_plan):
        col = 1 + p + i
        if plan[0] == "zero":
            continue
        if plan[0] == "copy":
            risk[:, col], dead[:, col] = risk[:, 1 + plan[1]], dead[:, 1 + plan[1]]
            continue
        _, j, k = plan
        np.multiply(r, st.Xs[:, j], out=buf)
        buf *= st.Xs[:, k]
        np.multiply(r_dead, st.X_dead[:, j], out=buf_dead)
        buf_dead *= st.X_dead[:, k]
        accumulate(col)
    return risk, dead


def _unpack(sums: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns [r, r x_j, r x_j x_k (j <= k)] into S0 (G,), S1 (G, p) and symmetric S2 (G, p, p)."""
    s0, s1 = sums[:, 0], sums[:, 1:1 + p]
    s2 = np.empty((sums.shape[0], p, p))
    col = 1 + p
    for j in range(p):
        for k in range(j, p):
            s2[:, j, k] = s2[:, k, j] = sums[:, col]
            col += 1
    return s0, s1, s2


def _group_sums(st: _Stratum | RecurrentStratum, beta: np.ndarray) -> GroupSums:
    if isinstance(st, RecurrentStratum):
        return recurrent_group_sums(st, beta)
    p = st.Xs.shape[1]
    es = st.Xs @ beta
    shift = es.max() if es.size else 0.0  # guards exp overflow; cancels in every ratio
    r = st.ws * np.exp(es - shift)
    risk, dead = _risk_and_death_sums(st, r)
    S0, S1, S2 = _unpack(risk, p)
    D0, D1, D2 = _unpack(dead, p)

    logs, c1, cf, c2, cf2, cff2 = efron_sums(S0, D0, st.deaths, st.efron, st.efron_plan)
    wbar = st.death_weight / st.deaths
    score = st.wx_dead - wbar[:, None] * (S1 * c1[:, None] - D1 * cf[:, None])
    outer_ss = S1[:, :, None] * S1[:, None, :]
    outer_sd = S1[:, :, None] * D1[:, None, :]
    outer_dd = D1[:, :, None] * D1[:, None, :]
    info = wbar[:, None, None] * (
        S2 * c1[:, None, None]
        - D2 * cf[:, None, None]
        - (outer_ss * c2[:, None, None] - (outer_sd + outer_sd.transpose(0, 2, 1)) * cf2[:, None, None]
           + outer_dd * cff2[:, None, None])
    )
    dead = st.event_rows
    # log-likelihood: the shift cancels between sum w*eta over deaths and the log risk sums
    loglik = float(np.sum(st.dead_w * es[dead]) - np.sum(wbar * (logs + st.deaths * shift)))
    return GroupSums(S1, D1, c1, cf, c2, cf2, cff2, wbar, score, info, loglik, shift)


@dataclass(frozen=True)
class CoxFit:
    """A fitted Cox model (plain arrays; :func:`outcomes.compare_arms` wraps it in tables)."""

    terms: list[str]
    coef: np.ndarray
    se: np.ndarray
    model_se: np.ndarray
    covariance: np.ndarray
    loglik: float
    loglik_null: float
    n: int
    events: int
    iterations: int
    ties: str
    robust: bool
    ph_test: pd.DataFrame  # term, statistic, df, p_value (+ GLOBAL)

    def frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """``term, coef, se, hazard_ratio, ci_lower, ci_upper, p_value``."""
        return cox_table(self.terms, self.coef, self.se, alpha)


def cox_table(terms: list[str], coef: np.ndarray, se: np.ndarray, alpha: float) -> pd.DataFrame:
    """A Cox model's coefficients as a table with hazard ratios, Wald intervals and p-values."""
    lower, upper, p_value = wald(coef, se, alpha)
    return pd.DataFrame({"term": terms, "coef": coef, "se": se, "hazard_ratio": np.exp(coef),
                         "ci_lower": np.exp(lower), "ci_upper": np.exp(upper), "p_value": p_value})


def fit_cox(X: np.ndarray, time: np.ndarray, event: np.ndarray, *, terms: list[str],
            term_columns: dict[str, list[int]] | None = None, strata: np.ndarray | None = None,
            weights: np.ndarray | None = None, ties: str = "efron", robust: bool = False,
            cluster: np.ndarray | None = None, competing: np.ndarray | None = None, max_iter: int = 30,
            tol: float = 1e-10, event_counts: np.ndarray | None = None, entry: np.ndarray | None = None,
            ph_test: bool = True, events: tuple[np.ndarray, np.ndarray] | None = None) -> CoxFit:
    """Fit a Cox model by Newton-Raphson, as R's ``coxph``.

    Parameters
    ----------
    X, time, event : (n, p), (n,), (n,) arrays
        Design (no intercept, complete cases; ``terms`` names its columns); each row's end and event (0/1).
    term_columns, strata, weights, ties
        Term -> columns of ``X`` (the PH test tests a whole factor, as R); a baseline per stratum; case weights;
        ``"efron"`` or ``"breslow"``.
    robust, cluster, competing : bool, (n,) array, (n,) bool array
        Sandwich SEs in ``se`` (``model_se`` keeps the model's), summed within clusters if given; competing
        failures: the Fine-Gray model (R's ``finegray`` + ``coxph``), no PH test then.
    event_counts : (n,) array, optional
        Rows are patterns of ``weights`` participants, ``event_counts`` with the event (a GROUP BY): the exact
        fit of their rows (robust and Fine-Gray fits need all or none with the event in a pattern).
    entry : (n,) array, optional
        (start, stop] rows, ``Surv(tstart, tstop, event)``: at risk when ``entry < t <= time``; clustered too.
    ph_test : bool
        Compute R's ``cox.zph(transform = "km")`` (skip it when only the coefficients are needed).
    events : (rows, times) arrays, optional
        Events of rows that can have several (Andersen-Gill, a row per participant; no PH test).

    Raises
    ------
    NotEstimableError
        No events, a constant or collinear covariate, or no finite maximum (ConvergenceError).

    Examples
    --------
    >>> fit = fit_cox(np.array([[1.0], [0.0], [1.0]]), np.array([1, 2, 3.0]), np.array([1, 1, 0]), terms=["x"])
    >>> round(float(fit.coef[0]), 6)  # risk sets {1, 0, 1} then {0, 1}: exp(beta) = 1/sqrt(2)
    -0.346574
    """
    X, time, event, w = (np.asarray(a, dtype=float) for a in (X, time, event, np.ones(len(time)) if weights is None
                                                                else weights))
    comp = None if competing is None else np.asarray(competing, dtype=bool)
    entry, event_counts, event, events = _checked_options(ties, entry, time, comp, event_counts, event, w,
                                                          cluster is not None, robust, events)
    _check_estimable(X, event, terms)
    strata_data = _strata(X, time, event, w, strata, ties == "efron", comp, event_counts, entry, events)
    beta, (loglik, _, info, sums), (loglik_null, _, _, _), iterations = maximize(
        lambda b: _evaluate(strata_data, b), np.zeros(X.shape[1]), max_iter=max_iter, tol=tol)
    covariance, model_se = _model_variance(beta, info, terms)
    counted = event_counts is not None
    if robust or cluster is not None:
        covariance = _sandwich(strata_data, beta, sums, w, covariance, cluster, per_participant=counted)
    ph = _NO_PH_TEST.copy() if comp is not None or not ph_test or events is not None else _ph_test(
        strata_data, sums, time, event, info, term_columns or {t: [j] for j, t in enumerate(terms)},
        w if counted else None, entry)
    total = len(events[0]) if events is not None else (event if event_counts is None else event_counts).sum()
    return CoxFit(terms=list(terms), coef=beta, se=np.sqrt(np.diag(covariance)), model_se=model_se,
                  covariance=covariance, loglik=loglik, loglik_null=loglik_null, n=round(w.sum()) if counted else
                  len(time), events=round(total), iterations=iterations, ties=ties, robust=robust or cluster is not
                  None, ph_test=ph)


def score_residuals(X: np.ndarray, time: np.ndarray, event: np.ndarray, *, beta: np.ndarray,
                    weights: np.ndarray | None = None, ties: str = "efron") -> tuple[np.ndarray, np.ndarray]:
    """Each row's score residual at ``beta`` (R's ``residuals(type = "score")`` divided by the row's weight: how
    the score moves with that row's weight), and the information: what a sandwich, or an influence function
    that adds a weight model's uncertainty (:mod:`outcomes.analyses.iptw_influence`), is built from.

    >>> X, t, e = np.array([[1.0], [0.0], [1.0]]), np.array([1, 2, 3.0]), np.array([1, 1, 0])
    >>> r, info = score_residuals(X, t, e, beta=fit_cox(X, t, e, terms=["x"]).coef)
    >>> round(float(r.sum()), 10)  # at the maximum the score is 0
    0.0
    """
    X, time, event = (np.asarray(a, dtype=float) for a in (X, time, event))
    w = np.ones(len(time)) if weights is None else np.asarray(weights, dtype=float)
    strata_data = _strata(X, time, event, w, None, ties == "efron", None)
    _, _, info, sums = _evaluate(strata_data, np.asarray(beta, dtype=float))
    return _score_residuals(strata_data, np.asarray(beta, dtype=float), sums, len(time)), info


def _model_variance(beta: np.ndarray, info: np.ndarray, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The inverse information and its standard errors, after checking that the maximum is finite."""
    covariance = solve_information(info, np.eye(len(beta)))
    model_se = np.sqrt(np.diag(covariance))
    _check_finite_maximum(beta, model_se, terms)
    return covariance, model_se


def _checked_options(ties: str, entry: np.ndarray | None, time: np.ndarray, competing: np.ndarray | None,
                     event_counts: np.ndarray | None, event: np.ndarray, w: np.ndarray, clustered: bool,
                     robust: bool, events: _Events | None) -> tuple[np.ndarray | None, np.ndarray | None,
                                                                   np.ndarray, _Events | None]:
    """The options that change what a row is: ties, entry times, pattern counts or several events per row (and
    the event indicator they imply)."""
    if ties not in ("efron", "breslow"):
        raise InputError(f"ties must be 'efron' or 'breslow', not {ties!r}")
    if entry is not None:
        entry = _checked_entry(entry, time, competing is not None)
    if event_counts is not None:
        event_counts, event = _pattern_events(event_counts, w, clustered, robust or competing is not None)
    if events is not None:
        events, event = _checked_events(events, time, entry, competing, event_counts)
    return entry, event_counts, event, events


_Events = tuple[np.ndarray, np.ndarray]  # (row, time) of each event


def _checked_events(events: _Events, time: np.ndarray, entry: np.ndarray | None, competing: np.ndarray | None,
                    event_counts: np.ndarray | None) -> tuple[_Events, np.ndarray]:
    """Rows and times of the events (each inside its row's interval), and whether each row has any."""
    if competing is not None or event_counts is not None:
        raise InputError("events= (several events per row) is not supported with competing= or event_counts=")
    row, at = np.asarray(events[0]), np.asarray(events[1], dtype=float)
    if row.shape != at.shape or (row.size and not (np.issubdtype(row.dtype, np.integer) and 0 <= row.min()
                                                   and row.max() < len(time))):
        raise InputError("events must be (rows, times): whole-number positions of rows, and one time per event")
    start = np.zeros(len(time)) if entry is None else entry
    bad = np.flatnonzero(~np.isfinite(at) | (at <= start[row]) | (at > time[row]))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"event {i}: day {plain(at[i])} is outside row {int(row[i])}'s interval "
                         f"({plain(start[row[i]])}, {plain(time[row[i]])}]")
    has = np.zeros(len(time))
    has[row] = 1.0
    return (row.astype(np.int64), at), has


def _checked_entry(entry: np.ndarray, time: np.ndarray, unsupported: bool) -> np.ndarray:
    """Entry times as floats, each before its row's stop (R: "Stop time must be > start time")."""
    if unsupported:
        raise InputError("entry times are not supported with competing= (Fine-Gray): fit the "
                         "(start, stop] rows themselves")
    entry = np.asarray(entry, dtype=float)
    if entry.shape != time.shape:
        raise InputError(f"entry has {entry.size} values for {time.size} rows; give one start time per row")
    bad = np.flatnonzero(~np.isfinite(entry) | ~(entry < time))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"row {i}: its interval ({plain(entry[i])}, {plain(time[i])}] does not end after it starts; "
                         f"{bad.size} row(s) like it. Each row's start must be before its stop")
    return entry


def _pattern_events(event_counts: np.ndarray, w: np.ndarray, clustered: bool,
                    needs_homogeneous: bool) -> tuple[np.ndarray, np.ndarray]:
    """Events per pattern, and the share of each pattern with the event (for the PH test's Kaplan-Meier).

    Robust and Fine-Gray fits need each participant's own residual: exact from patterns only when
    everyone in a pattern shares the outcome (group by the event status as well as time and covariates).
    """
    if clustered:
        raise InputError("a fit from pattern counts has no clustered variant: its participants are the clusters")
    event_counts = np.asarray(event_counts, dtype=float)
    if needs_homogeneous and not np.all((event_counts == 0) | (event_counts == w)):
        raise InputError("a robust or Fine-Gray fit from pattern counts needs patterns in which all or none had "
                         "the event: group the counts by the event status too")
    return event_counts, event_counts / w


def _strata(X: np.ndarray, time: np.ndarray, event: np.ndarray, w: np.ndarray, strata: np.ndarray | None,
            efron: bool, competing: np.ndarray | None, event_counts: np.ndarray | None = None,
            entry: np.ndarray | None = None, events: tuple[np.ndarray, np.ndarray] | None = None) -> list[_Strata]:
    """The data of each stratum (with at least one event), sorted and indexed once for all iterations."""
    codes = np.zeros(len(time), dtype=np.int64) if strata is None else pd.factorize(np.asarray(strata), sort=True)[0]
    if events is not None:
        recurrent = [prepare_recurrent(X, time, w, np.flatnonzero(codes == k), efron, events, entry)
                     for k in range(codes.max() + 1)]
        return [st for st in recurrent if st.groups.size]
    prepared = [_prepare(X, time, event, w, np.flatnonzero(codes == k), efron, competing, event_counts, entry)
                for k in range(codes.max() + 1)]
    return [st for st in prepared if st.groups.size]


def _evaluate(strata_data: list[_Strata], beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, list[GroupSums]]:
    """Log partial likelihood, score and information at ``beta``, summed over strata."""
    sums = [_group_sums(st, beta) for st in strata_data]
    loglik = sum(s.loglik for s in sums)
    score = sum(s.score.sum(axis=0) for s in sums)
    info = sum(s.info.sum(axis=0) for s in sums)
    return loglik, np.asarray(score), np.asarray(info), sums


def _check_estimable(X: np.ndarray, event: np.ndarray, terms: list[str]) -> None:
    """Before fitting: events exist, and no term is constant or collinear with others."""
    n, p = X.shape
    if not event.any():
        raise NotEstimableError("the Cox model needs at least one event; there are none")
    low, high = X.min(axis=0), X.max(axis=0)
    for j in range(p):
        if low[j] == high[j]:
            raise NotEstimableError(f"covariate term {terms[j]!r} is constant in the data used; drop it")
    huge = np.flatnonzero(np.maximum(-low, high) > 1e100)  # their squares overflow: a typo or a wrong unit
    if huge.size:
        raise NotEstimableError(f"covariate term {terms[int(huge[0])]!r} has values too large to fit (far beyond any "
                                "real measurement): check the column for typos or a wrong unit")
    if p > 1:
        centred_gram = X.T @ X - n * np.outer(X.mean(axis=0), X.mean(axis=0))
        scale = np.sqrt(np.diag(centred_gram))
        if np.linalg.matrix_rank(centred_gram / np.outer(scale, scale), tol=1e-10) < p:
            raise NotEstimableError(f"the covariate terms {terms} are collinear; drop one of them")


def _check_finite_maximum(beta: np.ndarray, model_se: np.ndarray, terms: list[str]) -> None:
    """A monotone likelihood (R warns "coefficient may be infinite") is not estimable."""
    drifting = (np.abs(beta) > 5) & (model_se > 10 * np.abs(beta))
    if drifting.any():
        term = terms[int(np.flatnonzero(drifting)[0])]
        raise ConvergenceError(
            f"the Cox coefficient of {term!r} is drifting to infinity (monotone likelihood): one group has "
            "no events while the other is still at risk, or the covariate perfectly orders the events; "
            "its hazard ratio is not estimable from these data"
        )


def _sandwich(strata_data: list[_Strata], beta: np.ndarray, sums: list[GroupSums], w: np.ndarray,
              covariance: np.ndarray, cluster: np.ndarray | None, per_participant: bool = False) -> np.ndarray:
    """The robust (sandwich) covariance from weighted score residuals, summed within clusters if given.

    With ``per_participant`` each row is ``w`` participants sharing one residual, each their own cluster:
    the sum of their outer products is ``w`` times the row's, hence the square root. Without clusters the
    rows' order does not matter, so each stratum's residuals are used in its own order (no (rows x terms)
    copy back into the data's order: 0.05 s at 1M rows, measured).
    """
    scale = np.sqrt(w) if per_participant else w
    if cluster is None:
        meat = sum(weighted_gram(_stratum_residuals(st, beta, gs), scale[st.rows] ** 2)
                   for st, gs in zip(strata_data, sums))
    else:
        weighted = _score_residuals(strata_data, beta, sums, len(w)) * scale[:, None]
        cl = pd.factorize(np.asarray(cluster))[0]
        weighted = np.vstack([np.bincount(cl, weights=weighted[:, j]) for j in range(len(beta))]).T
        meat = weighted.T @ weighted
    sandwich: np.ndarray = covariance @ meat @ covariance
    return sandwich


def _score_residuals(strata_data: list[_Strata], beta: np.ndarray, sums: list[GroupSums], n: int) -> np.ndarray:
    """Per-subject score residuals with Efron's weighting of tied deaths (R's ``residuals(type="score")``)."""
    out = np.zeros((n, len(beta)))
    for st, gs in zip(strata_data, sums):
        out[st.rows] = _stratum_residuals(st, beta, gs)
    return out


def _stratum_residuals(st: _Strata, beta: np.ndarray, gs: GroupSums) -> np.ndarray:
    """One stratum's score residuals, in its rows' order."""
    if isinstance(st, RecurrentStratum):
        return recurrent_score_residuals(st, beta, gs)
    Xs, p = st.Xs, len(beta)
    risk = np.exp(Xs @ beta - gs.shift)  # the same scale as the sums
    terms = hazard_terms(gs, st.groups, st.deaths, st.n_times)
    resid = at_risk_residuals(Xs, risk, terms, st.inverse, st.late)
    # deaths: their own term, and Efron's partial presence in their own risk set
    dead, X_dead = st.event_rows, st.X_dead  # X_dead is Xs[dead], gathered once
    g = np.searchsorted(st.groups, st.inverse[dead])
    resid[dead] += (X_dead - terms.xbar_death[g]
                    + risk[dead][:, None] * (X_dead * terms.hzf[g][:, None] - terms.hxf[g]))
    if st.tail is not None:  # competing failures, at risk after their time with weight G(t-)/G(y-)
        H_tail = np.zeros(st.n_times)
        HX_tail = np.zeros((st.n_times, p))
        H_tail[st.groups] = terms.hz * st.tail.scale[st.groups]
        HX_tail[st.groups] = terms.hx * st.tail.scale[st.groups][:, None]
        # sums over death times strictly after each time
        H_after = reverse_cumsum(H_tail) - H_tail
        HX_after = reverse_cumsum(HX_tail) - HX_tail
        tr = st.tail.rows
        kt = st.inverse[tr]
        scale = (risk[tr] * st.tail.row_weight)[:, None]
        resid[tr] -= scale * (Xs[tr] * H_after[kt][:, None] - HX_after[kt])
    return resid


def _ph_test(
    strata_data: list[_Strata],
    sums: list[GroupSums],
    time: np.ndarray,
    event: np.ndarray,
    info: np.ndarray,
    term_columns: dict[str, list[int]],
    pattern_weights: np.ndarray | None = None,
    entry: np.ndarray | None = None,
) -> pd.DataFrame:
    # g(t) = 1 - KM(t-) of the pooled rows (pattern rows count their participants; delayed entry as R's survfitKM)
    km = kaplan_meier(time, event, weights=pattern_weights, entry=entry)
    p = info.shape[0]
    u_theta = np.zeros(p)
    i_bt = np.zeros((p, p))
    i_tt = np.zeros((p, p))
    for st, gs in zip(strata_data, sums):
        t = st.times[st.groups]
        # left-continuous pooled KM at each death time: S(t-)
        s_minus = step_at(km.time, km.survival, t, before=1.0, left_limit=True)
        g = 1.0 - s_minus
        u_theta += (g[:, None] * gs.score).sum(axis=0)
        i_bt += (g[:, None, None] * gs.info).sum(axis=0)
        i_tt += (g[:, None, None] ** 2 * gs.info).sum(axis=0)
    full_info = np.block([[info, i_bt], [i_bt.T, i_tt]])
    u = np.concatenate([np.zeros(p), u_theta])

    rows = []
    tests = [(term, list(range(p)) + [p + c for c in cols], len(cols)) for term, cols in term_columns.items()]
    for term, keep, df in [*tests, ("GLOBAL", list(range(2 * p)), p)]:
        found = score_test(u[keep], full_info[np.ix_(keep, keep)], df)
        if found is not None:  # a term without a test (g(t) constant over the events) is left out, as R errs
            rows.append((term, found[0], df, found[1]))
    return pd.DataFrame(rows, columns=["term", "statistic", "df", "p_value"])

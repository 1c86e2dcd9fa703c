"""``compare_arms``: Kaplan-Meier, log-rank, Cox and RMST comparison of the two arms.

Three estimators give the same :class:`~outcomes.analyses.arm_comparison.ArmComparison`:

- **from counts** (no covariates, strata or robust SEs): everything depends on the
  data only through the number removed and the events per (time, arm), so one
  counting pass gives a table and the rest costs O(distinct times);
- **row level** (adjusted, stratified or robust): Kaplan-Meier and log-rank per
  arm, and the Cox model on the design matrix;
- **weighted** (``weights="iptw"``): see :mod:`outcomes.analyses.weighted_comparison`.

Every number agrees with R's ``survival`` package (3.5): see ``tests/reference/``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.caveats import caveat
from ..core.errors import InputError, NotEstimableError
from ..core.results import Estimate
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.imputed import ImputedCohort
from ..model.labels import variable_words
from ..sources.counts import CountTable, count_row_patterns, pattern_counts, summarize
from ..sources.scan import ScannedCohort
from ..model.outcome_registry import outcome_arrays
from ..stats import CoxFit, KaplanMeier, fit_cox, kaplan_meier, logrank_test
from ..stats.aggregated import (
    ArmTable,
    arm_table,
    cox_of_table,
    km_from_table,
    logrank_from_table,
)
from .pooling import pooled_comparison
from .arm_comparison import (
    ArmComparison,
    LogRankTest,
    choose_horizon,
    km_frame,
    median_frame,
    require_events,
    rmst_tables,
)
from ..model.design_matrix import column_names, design_matrix, strata_values

__all__ = ["ArmComparison", "compare_arms"]


@dataclass(frozen=True)
class _Fit:
    """What an estimator found, before the shared tables are built from it."""

    counts: list[dict]
    curves: dict[str, KaplanMeier]
    logrank: LogRankTest
    cox: pd.DataFrame
    ph_test: pd.DataFrame
    cox_n: int
    cox_events: int
    n_excluded: int
    caveats: tuple[str, ...] = ()


def compare_arms(cohort: Cohort | ScannedCohort | CountTable | ImputedCohort, outcome: str = "relapse", *,
                 adjust: Sequence[str] | str = (),
                 strata: Sequence[str] | str | None = None, weights: str | None = None, robust: bool = False,
                 horizon: float | None = None, alpha: float = 0.05, trim: float | None = None, bootstrap: int = 200,
                 seed: int | np.random.Generator = 0, variance: str = "auto") -> ArmComparison:
    """Compare time to relapse (or dropout) between the two arms of a cohort.

    Parameters
    ----------
    cohort : Cohort, CountTable or ImputedCohort
        A count table (:func:`outcomes.summarize`, :func:`outcomes.pool`) gives the unadjusted comparison,
        identical to the one from the rows it counts; its own outcome is used. An imputed cohort
        (:class:`outcomes.ImputedCohort`) gives the Cox model pooled over its completed cohorts (Rubin's rules;
        under IPTW the propensity model is refitted on each and the weighted curves and RMST are pooled too).
    outcome : {"relapse", "retention"}
        ``retention`` analyses time to dropout; completion and transfer censor
        (cause-specific; see :func:`outcomes.cumulative_incidence` for competing risks).
    adjust : str or sequence of str
        Covariates of the Cox model (numeric as is; text dummy-coded against its
        first level). Rows with a missing value are left out, with a warning.
    strata, robust : str or sequence of str, bool
        Column(s) (e.g. ``"site"``) stratifying the log-rank test and the Cox model; sandwich Cox SEs.
    weights : None or "iptw"
        ``"iptw"``: inverse probability of treatment weighting on the ``adjust``
        covariates (stabilized weights from a logistic propensity model). The Cox
        model then has the arm only (a marginal hazard ratio) with robust SEs.
    horizon, alpha : float
        RMST horizon in days (default: the largest time both arms still have at risk); one minus the
        confidence level of every interval.
    trim, bootstrap, seed, variance
        Under IPTW: truncate the weights at the ``trim`` and ``1 - trim`` quantiles; bootstrap replicates for the
        Kaplan-Meier, median and RMST intervals and their seed; ``variance``: ``"bootstrap"``, ``"analytic"``
        (stacked influence functions, one fit) or ``"auto"`` (analytic from 2,000 weighted participants).

    Raises
    ------
    InputError
        Unknown outcome or column, alpha out of (0, 1), a horizon past follow-up.
    NotEstimableError
        An arm with no events (the hazard ratio would be 0 or infinite), or a model that cannot be fitted.

    Examples
    --------
    >>> import outcomes as oc
    >>> res = oc.compare_arms(oc.synthetic_cohort(n=2000, seed=1), "relapse")
    >>> bool(res.hazard_ratio.value < 1)
    True
    """
    adjust, strata_columns = _checked_arguments(alpha, adjust, strata, weights, variance)
    if isinstance(cohort, ImputedCohort):
        return _pooled(cohort, outcome, adjust, strata_columns, weights, robust, horizon, alpha, trim, bootstrap, seed,
                       variance)
    if isinstance(cohort, (ScannedCohort, CountTable)):
        return _from_counts(cohort, outcome, adjust, strata_columns, weights, robust, horizon, alpha)
    if s.EXPOSURE_START in cohort.df.columns:  # the arms are "ever exposed": say so on the result
        result = _in_memory(cohort, outcome, adjust, strata_columns, weights, robust, horizon, alpha, trim,
                            bootstrap, seed, variance)
        return dataclasses.replace(result, caveats=(*result.caveats, caveat(_EVER_EXPOSED, stacklevel=2)))
    return _in_memory(cohort, outcome, adjust, strata_columns, weights, robust, horizon, alpha, trim, bootstrap, seed,
                      variance)


def _pooled(imputed: ImputedCohort, outcome: str, adjust: tuple[str, ...], strata_columns: tuple[str, ...],
            weights: str | None, robust: bool, horizon: float | None, alpha: float, trim: float | None,
            bootstrap: int, seed: int | np.random.Generator, variance: str) -> ArmComparison:
    """The comparison on each completed cohort (under IPTW the propensity model refitted on each, with its own
    bootstrap), pooled by Rubin's rules (:func:`outcomes.analyses.pooling.pooled_comparison`)."""
    rng = np.random.default_rng(seed)
    fits = [_in_memory(c, outcome, adjust, strata_columns, weights, robust, horizon, alpha, trim, bootstrap,
                       np.random.default_rng(rng.integers(2**32)), variance)
            for c in imputed.completed]
    return pooled_comparison(fits)


def _in_memory(cohort: Cohort, outcome: str, adjust: tuple[str, ...], strata_columns: tuple[str, ...],
               weights: str | None, robust: bool, horizon: float | None, alpha: float, trim: float | None,
               bootstrap: int, seed: int | np.random.Generator, variance: str = "auto") -> ArmComparison:
    """A cohort in memory: weighted, row level, or from its (time x arm) table."""
    if weights == "iptw":
        from .weighted_comparison import compare_weighted

        return compare_weighted(cohort, outcome, adjust, horizon=horizon, alpha=alpha, trim=trim,
                                bootstrap=bootstrap, seed=seed, variance=variance)
    time, event, event_name = outcome_arrays(cohort, outcome)
    if adjust or strata_columns or robust:
        fit = _row_level(cohort, time, event, event_name, adjust, strata_columns, robust, alpha)
    else:  # categories are (reference, treatment)
        table = arm_table(time, event, cohort.df[s.ARM].cat.codes.to_numpy() == 1)
        fit = _from_arm_table(table, cohort.arms, event_name, alpha)
    return _result(fit, outcome, event_name, cohort.arms, adjust, strata_columns, robust, horizon, alpha)


_EVER_EXPOSED = ("the arms are 'ever exposed' and 'never exposed': peer support that started after enrollment is "
                 "counted from day 0, which credits it with the days before the first contact (immortal time); "
                 "use compare_exposure for exposure from the day it starts")


def _checked_arguments(alpha: float, adjust: Sequence[str] | str, strata: Sequence[str] | str | None,
                       weights: str | None, variance: str = "auto") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The covariate and stratum columns as tuples, after the checks every estimator shares."""
    if variance not in ("auto", "analytic", "bootstrap"):
        raise InputError(f"variance must be 'auto', 'analytic' or 'bootstrap', not {variance!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if weights not in (None, "iptw"):
        raise InputError(f"weights must be None or 'iptw', not {weights!r}")
    strata_columns = column_names(strata, "strata")
    if weights == "iptw" and strata_columns:
        raise InputError("strata are not used with weights='iptw': put the stratifying column in adjust instead")
    return column_names(adjust, "adjust"), strata_columns


def _from_counts(source: ScannedCohort | CountTable, outcome: str, adjust: tuple[str, ...],
                 strata_columns: tuple[str, ...], weights: str | None, robust: bool, horizon: float | None,
                 alpha: float) -> ArmComparison:
    """A scanned cohort (counted in its engine, no row loaded) or a count table: the same comparison as rows.

    Unadjusted from counts per arm and day; stratified and adjusted (Cox, Efron, exact) from counts per
    (stratum, day, arm, covariate pattern).
    """
    if weights or robust:
        raise InputError("weighting and robust SEs need the rows: load them with scanned.to_cohort()")
    if len(strata_columns) > 1:
        raise InputError("a scanned cohort or count table is stratified by one column; combine them in a view first")
    strata = strata_columns[0] if strata_columns else None
    if isinstance(source, CountTable):
        if adjust:
            raise InputError("a count table has no covariates: adjusting needs the rows, or a scanned cohort")
        if strata is not None and strata != source.by:
            raise InputError(f"this count table is counted by {source.by!r}, not {strata!r}: summarize by={strata!r}")
        table = source
        patterns = source.counts.rename(columns={"time": "_time"}) if strata else None
    else:
        table = summarize(source, outcome, by=strata)
        patterns = (pattern_counts(source, outcome, [*strata_columns, *adjust]).rename(
            columns={"time": "_time", strata: "stratum"} if strata else {"time": "_time"})
            if (strata or adjust) else None)
    fit = _from_arm_table(ArmTable(*table.arm_counts()), table.arms, table.event, alpha)
    if patterns is not None:
        fit = _cox_from_patterns(patterns, table, adjust, strata, fit, alpha)
    return _result(fit, table.outcome, table.event, table.arms, adjust, strata_columns, False, horizon, alpha)


def _cox_from_patterns(patterns: pd.DataFrame, table: CountTable, adjust: tuple[str, ...], strata: str | None,
                       unadjusted: _Fit, alpha: float) -> _Fit:
    """Stratified and/or adjusted Cox (Efron, exact) from counts per (stratum, day, arm, covariate pattern)."""
    design = design_matrix(patterns, table.arms[1], adjust)
    used = design.complete
    removed, events = patterns["removed"].to_numpy(float), patterns["events"].to_numpy(float)
    n_excluded = int(removed[~used].sum())
    caveats = (caveat(lambda n: f"{n(n_excluded)} of {n(removed.sum())} participants have a missing covariate and "
                      "are left out of the Cox model (complete cases, as R does); Kaplan-Meier and log-rank use "
                      "everyone", stacklevel=4),) if n_excluded else ()
    treated = design.X[:, 0] == 1
    for arm, mask in zip(table.arms, (~treated, treated)):
        if not events[used][mask].any():
            raise NotEstimableError(f"arm {arm!r} has no {table.event} events among the participants with every "
                                    f"covariate ({', '.join(adjust)}) recorded: the hazard ratio is not estimable")
    stratum = patterns["stratum"].to_numpy()[used] if strata else None
    fit = fit_cox(design.X, patterns["_time"].to_numpy(float)[used], np.zeros(int(used.sum())), terms=design.terms,
                  term_columns=design.term_columns, strata=stratum, weights=removed[used], event_counts=events[used])
    logrank = unadjusted.logrank
    if strata:
        per_stratum = [ArmTable(*CountTable(outcome=table.outcome, event=table.event, arms=table.arms, by=None,
                                            counts=part).arm_counts())
                       for _, part in table.counts.groupby("stratum", sort=True)]
        logrank = LogRankTest.from_statistic(logrank_from_table(per_stratum), table.arms, strata)
    return _Fit(counts=unadjusted.counts, curves=unadjusted.curves, logrank=logrank, cox=fit.frame(alpha),
                ph_test=fit.ph_test.replace({"term": {s.ARM: design.terms[0]}}), cox_n=fit.n, cox_events=fit.events,
                n_excluded=n_excluded, caveats=caveats)


def _result(fit: _Fit, outcome: str, event_name: str, arms: tuple[str, str], adjust: tuple[str, ...],
            strata_columns: tuple[str, ...], robust: bool, horizon: float | None, alpha: float) -> ArmComparison:
    """The shared layout of every estimator's findings."""
    tau, rule = choose_horizon(fit.curves, horizon)
    rmst, rmst_difference = rmst_tables(fit.curves, arms, tau, alpha)
    arm_row = fit.cox.iloc[0]
    return ArmComparison(
        outcome=outcome, event=event_name, arms=arms, alpha=alpha, km=km_frame(fit.curves, arms),
        median=median_frame(fit.curves, arms), logrank=fit.logrank, test=fit.logrank, cox=fit.cox,
        hazard_ratio=Estimate.from_wald("hazard ratio", arm_row.coef, arm_row.se, alpha, ratio=True),
        ph_test=fit.ph_test, rmst=rmst, rmst_difference=rmst_difference, horizon=tau, horizon_rule=rule,
        counts=pd.DataFrame(fit.counts), adjust=adjust, strata=", ".join(strata_columns) or None, robust=robust,
        cox_n=fit.cox_n, cox_events=fit.cox_events, n_excluded=fit.n_excluded, curves=fit.curves, caveats=fit.caveats,
    )


def _from_arm_table(table: ArmTable, arms: tuple[str, str], event_name: str, alpha: float) -> _Fit:
    """The unadjusted comparison from one (time x arm) table of counts (from rows, or shared by sites)."""
    counts = [{"arm": arm, "n": int(table.removed[:, k].sum()), "events": int(table.events[:, k].sum())}
              for k, arm in enumerate(arms)]
    require_events(counts, event_name)
    curves = {arm: km_from_table(table, k, alpha) for k, arm in enumerate(arms)}
    logrank = LogRankTest.from_statistic(logrank_from_table(table), arms)
    fit = cox_of_table(table, term=f"{s.ARM}{arms[1]}")
    return _Fit(counts=counts, curves=curves, logrank=logrank, cox=fit.frame(alpha), ph_test=fit.ph_test,
                cox_n=fit.n, cox_events=fit.events, n_excluded=0)


#: From this many rows on, an in-memory Cox model is fitted from counts per (day, stratum, covariate pattern),
#: which gives the same estimates (count-aware Efron, tested to 1e-10) in a fraction of the time when
#: participants share patterns: at 10M rows with age, sex and co_occurring_mh, 13 s by rows (BENCHMARKS.md).
PATTERN_FIT_ROWS = 1_000_000


def _few_patterns(df: pd.DataFrame, adjust: tuple[str, ...], time: np.ndarray, stratum: np.ndarray | None) -> bool:
    """Whether the rows can share few (day, stratum, covariate pattern) counts: a bound on their number (the
    product of each column's distinct values) below a quarter of the rows. Where it is not (1M participants with
    age, substance, site and prior treatments: about 1M patterns), counting them first took 1.3-1.6 s and
    0.57 GB against 1.0 s and 0.27 GB fitting the rows (the same estimates, measured)."""
    limit = len(time) / 4
    bound = 2.0 * pd.Series(time).nunique() * (1 if stratum is None else pd.Series(stratum).nunique())
    for c in adjust:
        if bound >= limit:
            return False
        bound *= df[c].nunique(dropna=False)
    return bound < limit


def _fit_cox_by_patterns(X: np.ndarray, time: np.ndarray, event: np.ndarray, stratum: np.ndarray | None,
                         terms: list[str], term_columns: dict[str, list[int]]) -> CoxFit:
    """The Cox model of the rows, fitted from their counts per (day, stratum, covariate pattern)."""
    patterns = count_row_patterns(X, time, event, stratum)
    return fit_cox(patterns.X, patterns.time, np.zeros(len(patterns.time)), terms=terms, term_columns=term_columns,
                   strata=patterns.stratum, weights=patterns.removed, event_counts=patterns.events)


def _row_level(cohort: Cohort, time: np.ndarray, event: np.ndarray, event_name: str, adjust: tuple[str, ...],
               strata_columns: tuple[str, ...], robust: bool, alpha: float) -> _Fit:
    """Adjusted, stratified or robust: Kaplan-Meier per arm and the Cox model on the design matrix."""
    df = cohort.df
    arm_codes = df[s.ARM].cat.codes.to_numpy()
    rows = {arm: arm_codes == k for k, arm in enumerate(cohort.arms)}
    counts = [{"arm": arm, "n": int(m.sum()), "events": int(event[m].sum())} for arm, m in rows.items()]
    require_events(counts, event_name)
    curves = {arm: kaplan_meier(time[m], event[m], alpha=alpha) for arm, m in rows.items()}
    strata = strata_values(df, strata_columns)
    logrank = LogRankTest.from_statistic(logrank_test(time, event, arm_codes == 1, strata=strata), cohort.arms,
                                         ", ".join(strata_columns) or None)
    design = design_matrix(df, cohort.treatment, adjust)
    caveats: tuple[str, ...] = ()
    if design.n_missing:
        caveats = (caveat(lambda n: f"{n(design.n_missing)} of {n(len(df))} participants have a missing covariate ("
                          + ", ".join(f"{variable_words(c)}: {n(k)}" for c, k in design.missing_by_column.items() if k)
                          + ") and are left out of the Cox model (complete cases, as R does); Kaplan-Meier and "
                            "log-rank use everyone", stacklevel=3),)
    used = design.complete
    for k, arm in enumerate(cohort.arms):
        if not (event[used] * (arm_codes[used] == k)).any():
            raise NotEstimableError(f"arm {arm!r} has no {event_name} events among the participants with every "
                                    f"covariate ({', '.join(adjust)}) recorded: the hazard ratio is not estimable")
    stratum = None if strata is None else strata[used]
    if len(time) >= PATTERN_FIT_ROWS and not robust and _few_patterns(df, adjust, time, stratum):  # see below
        fit = _fit_cox_by_patterns(design.X, time[used], event[used], stratum, design.terms, design.term_columns)
    else:
        fit = fit_cox(design.X, time[used], event[used], terms=design.terms, term_columns=design.term_columns,
                      strata=stratum, robust=robust)
    return _Fit(counts=counts, curves=curves, logrank=logrank, cox=fit.frame(alpha),
                ph_test=fit.ph_test.replace({"term": {s.ARM: design.terms[0]}}), cox_n=fit.n,
                cox_events=fit.events, n_excluded=design.n_missing, caveats=caveats)


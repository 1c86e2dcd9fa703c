"""One quarter of a scanned cohort: the report's sections computed in the engine, rows loaded only where needed.

A cohort scanned from Parquet or CSV files (:func:`outcomes.scan`) stays in DuckDB. Every section that counts
allow is computed from counts the engine returns: enrollment (per site, arm and quarter), the unadjusted and
adjusted relapse comparisons (per day, arm and covariate pattern), retention and leaving treatment (per day,
arm and way of leaving), the trend (every quarter's as-of counts from one pass per outcome), the claims, missing
values, Table 1 (per arm and confounder values). The weighted (IPTW) comparison and its balance check need each
participant's confounders: they load only those columns (and the relapse columns), and only while the cohort has
at most :data:`LOAD_ROWS_UP_TO` participants; above that they are left out, the report says why, and Table 1
is the crude one from counts. Sections the scan does not map (last-contact dates, secondary outcomes, relapse
episodes) are not computed either. Peer support that starts after enrollment is refused: the report compares
it from its first day, which needs the rows. ``computed`` says which section was computed how, and the report's
notes repeat it.

Examples
--------
>>> import outcomes as oc, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cohort.parquet"
>>> _ = oc.synthetic_cohort(n=600, seed=1).write(path)
>>> scanned = oc.scan(path, arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"),
...                   retention=("exit_days", "exit_reason"), participant_id="participant_id", site="site",
...                   enroll_date="enroll_date", covariates=["age", "sex"])
>>> r = compute_scanned_quarter(scanned, "2026Q3", bootstrap=50)
>>> r.computed["relapse"]
'in the engine, from counts per day and arm'
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pandas as pd

from ..analyses.arm_comparison import ArmComparison
from ..analyses.compare_arms import compare_arms
from ..analyses.competing import cumulative_incidence, retention_everyone
from ..analyses.propensity import balance
from ..claims.reconcile import reconcile
from ..core.disclosure import is_small
from ..core.errors import InputError, NotEstimableError
from ..core.formatting import count
from ..core.progress import step
from ..model import schema as s
from ..model.asof import previous_quarter, quarter_bounds
from ..model.cohort import Cohort
from ..model.labels import variable_words
from ..model.outcome_registry import SECONDARY_OUTCOMES
from ..sources.counts import as_of_tables
from ..sources.scan import ScannedCohort
from .enrolled import UNKNOWN_QUARTER, Enrolled, enrolled, quarter_number
from .quarter import (SMALL_ARM_REASON, TREND_TABLE_COLUMNS, QuarterlyResults, _has_small_arm, _key_numbers,
                      _quiet_relapse, _tables, attempt, hide_revealing_total, trend_values)
from . import tables as t
from .summary import PRIMARY_ANALYSES, summary_sentences

__all__ = ["LOAD_ROWS_UP_TO", "compute_scanned_quarter", "scanned_trend"]

T = TypeVar("T")

#: The weighted comparison loads each participant's confounders up to this many participants. Measured with
#: three confounders, the whole scanned report in one process (``benchmarks/report_scale.py N --scan`` files):
#: 1.02 GB at 2M participants, 1.88 GB at 4M, 2.6 GB at 6M (about 0.4 GB a million); 2M leaves room for more
#: confounders under 2 GB.
LOAD_ROWS_UP_TO = 2_000_000

ENGINE = "in the engine, from counts"
IN_ENGINE = "in the engine"


def compute_scanned_quarter(scanned: ScannedCohort, quarter: str, *, bootstrap: int = 100, seed: int = 0,
                            trend_quarters: int = 8, primary: str | None = None,
                            load_rows_up_to: int = LOAD_ROWS_UP_TO) -> QuarterlyResults:
    """Run the quarterly report's analyses on a scanned cohort as known at the quarter's end (see the module).

    Raises
    ------
    InputError
        A Spark cohort, no enrollment dates, exposure start days, a quarter after the scan's as-of date or before
        anyone enrolled.
    """
    if not isinstance(scanned, ScannedCohort) or scanned.engine != "duckdb":
        raise InputError("compute_scanned_quarter takes a cohort scanned by DuckDB (oc.scan of Parquet or CSV files)")
    if primary is not None and primary not in PRIMARY_ANALYSES:
        raise InputError(f"primary analysis must be one of {list(PRIMARY_ANALYSES)}, not {primary!r}")
    if s.EXPOSURE_START in scanned.columns:  # its report would rest on the "ever exposed" arms (immortal time)
        raise InputError("peer support in these files starts after enrollment (exposure start days): the report "
                         "compares it from its first day, which needs the rows; load them with scanned.to_cohort(), "
                         "or compare in the engine with oc.compare_time_varying(scanned) and oc.compare_landmark")
    start, end = quarter_bounds(quarter)
    view = _view(scanned, quarter, end)
    previous_end = quarter_bounds(previous_quarter(quarter))[1]
    counted = enrolled(view)
    earlier = counted.counts[(counted.counts.quarter >= 0) & (counted.counts.quarter < quarter_number(start))]
    previous = view.as_of_view(previous_end) if len(earlier) else None
    notes: list[str] = []
    reasons: dict[str, str] = {}
    computed: dict[str, str] = {"enrollment": f"{ENGINE} per site, arm and quarter of enrollment",
                                "missing values": f"{ENGINE} of blanks per column"}
    results = {**_analyses(view, notes, reasons, computed, bootstrap, seed, load_rows_up_to), "enrolled": counted,
               "interview_follow_up": None, "interview_change": None}
    rows = results.pop("rows")
    previous_relapse = _quiet_relapse(previous)
    before = _key_numbers(enrolled(previous), previous_relapse) if previous is not None else None
    now = _key_numbers(counted, results["relapse"])
    tables = _tables(view, start, results, now, before, rows)
    if rows is None and results["confounders"] and results["relapse"] is not None:
        tables = _with_counted_table_1(tables, view, results["confounders"], computed, reasons)
    with step(f"trend over {trend_quarters} quarters"):
        trend_table = scanned_trend(scanned, quarter, counted, quarters=trend_quarters,
                                    known={quarter: results["relapse"], previous_quarter(quarter): previous_relapse})
    hide_revealing_total(trend_table, quarter, counted)
    computed["trend"] = f"{ENGINE}, each quarter as known at its end, from one pass per outcome"
    notes.append("Computed from the scanned files without loading them: " + "; ".join(
        f"{what} ({how.removeprefix(IN_ENGINE + ', ')})" for what, how in computed.items()
        if how.startswith(IN_ENGINE)) + ".")
    loaded = [what for what, how in computed.items() if how.startswith("loaded")]
    if loaded:
        notes.append(f"Loaded for {', '.join(loaded)}: {computed[loaded[0]].removeprefix('loaded ')}.")
    return QuarterlyResults(quarter=quarter, start=start, as_of=end, cohort=view, previous=previous, notes=notes,
                            not_estimable=reasons, tables=tables, trend=trend_table, computed=computed,
                            summary=summary_sentences(quarter, view, start, results, now, before, primary), **results)


def scanned_trend(scanned: ScannedCohort, quarter: str, counted: Enrolled, *, quarters: int = 8,
                  known: Mapping[str, ArmComparison | None] | None = None) -> pd.DataFrame:
    """:func:`outcomes.present.quarter.trend` of a scanned cohort: the same table, each outcome's counts for every
    quarter from one pass over the files (:func:`outcomes.sources.counts.as_of_tables`) instead of a scan per
    quarter and outcome. ``counted``: who was enrolled (by the last quarter's end, at least)."""
    numbers = counted.counts.quarter[counted.counts.quarter != UNKNOWN_QUARTER]
    chosen, q = [], quarter
    for _ in range(quarters):
        end = quarter_bounds(q)[1]
        if len(numbers) and quarter_number(end) >= numbers.min() and (scanned.as_of is None or end <= scanned.as_of):
            chosen.append((q, end))
        q = previous_quarter(q)
    chosen.reverse()
    tables = {outcome: as_of_tables(scanned, outcome, [end for _, end in chosen]) for outcome in scanned.outcomes}
    rows = []
    for k, (q, end) in enumerate(chosen):
        sizes = next(iter(tables.values()))[k].counts.groupby("arm").removed.sum()  # each participant once
        row: dict[str, Any] = {"quarter": q, "as_of": end, "enrolled": int(sizes.sum())}
        if any(is_small(int(sizes.get(arm, 0))) for arm in scanned.arms):
            rows.append(row)  # nothing estimated from an arm of 1-10 participants
            continue
        rel = (known or {}).get(q)
        if rel is None and "relapse" in tables:
            rel = attempt(functools.partial(compare_arms, tables["relapse"][k], "relapse"), f"{q}: relapse", [], {})
        pooled = (attempt(functools.partial(retention_everyone, tables["retention"][k], 90.0), f"{q}: retention", [],
                          {}) if "retention" in tables else None)
        rows.append(trend_values(row, rel, pooled))
    return pd.DataFrame(rows, columns=TREND_TABLE_COLUMNS)


def _with_counted_table_1(tables: dict[str, pd.DataFrame], view: ScannedCohort, confounders: tuple[str, ...],
                          computed: dict[str, str], reasons: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The crude Table 1 from participants counted per arm and confounder values, placed where Table 1 goes,
    when the rows were not loaded (no weighted columns then: the weighted comparison did not run)."""
    shown = [c for c in confounders if c != s.SITE]
    with step("Table 1"):
        table = t.baseline_counts_display(view.covariate_patterns(shown), shown, view.arms)
    computed["Table 1"] = f"{ENGINE} per arm and confounder values (unweighted)"
    reasons.pop("Table 1", None)
    return {"enrollment": tables["enrollment"], "baseline": table, **tables}


def _view(scanned: ScannedCohort, quarter: str, end: dt.date) -> ScannedCohort:
    if s.ENROLL_DATE not in scanned.columns:
        raise InputError("a quarterly report needs enrollment dates to know who was enrolled when: scan the "
                         "files with enroll_date=COLUMN")
    if scanned.as_of is not None and end > scanned.as_of:
        raise InputError(f"quarter {quarter} ends on {end}, after this scan's as-of date {scanned.as_of}: "
                         "choose an earlier quarter, or a newer extract")
    view = scanned.as_of_view(end)
    if not len(view):
        raise InputError(f"nobody was enrolled by the end of {quarter} ({end}): choose a later quarter")
    return view


def _analyses(view: ScannedCohort, notes: list[str], reasons: dict[str, str], computed: dict[str, str],
              bootstrap: int, seed: int, load_rows_up_to: int) -> dict[str, Any]:
    """The analyses of :func:`outcomes.present.quarter.compute_quarter` that a scan allows (module docstring)."""
    confounders = view.recorded_covariates
    none: dict[str, Any] = dict(relapse=None, relapse_adjusted=None, relapse_iptw=None, retention=None,
                                competing=None, secondary={}, reconciliation=None, balance=None, exposure=None,
                                recurrent=None, imputation=None, confounders=confounders, rows=None)
    if _has_small_arm(view):
        reasons.update({what: SMALL_ARM_REASON for what in ("relapse", "retention", "leaving treatment", "claims")})
        return none

    def run(what: str, fn: Callable[[], T], needs: bool = True, how: str = "") -> T | None:
        found = attempt(fn, what, notes, reasons) if needs else None
        if found is not None and how:
            computed[what] = how
        return found

    has = view.outcomes
    relapse = run("relapse", lambda: compare_arms(view, "relapse"), "relapse" in has, f"{ENGINE} per day and arm")
    adjusted = run("adjusted relapse", lambda: compare_arms(view, "relapse", adjust=confounders),
                   relapse is not None and bool(confounders), f"{ENGINE} per day, arm and confounder pattern")
    competing = run("leaving treatment", lambda: cumulative_incidence(view), "retention" in has,
                    f"{ENGINE} per day, arm and way of leaving")
    retention = run("retention", lambda: compare_arms(view, "retention"), "retention" in has,
                    f"{ENGINE} per day and arm")
    weighted = _weighted(view, confounders, run, reasons, computed, bootstrap, seed, load_rows_up_to) \
        if relapse is not None and confounders else {}
    known: dict[str, object] = {"relapse": relapse, "competing": competing}
    known.update({f"secondary:{name}": NotEstimableError("the scanned files map no secondary outcomes")
                  for name in SECONDARY_OUTCOMES})
    claims = run("claims", lambda: reconcile(view, results=known), True, f"{IN_ENGINE}, from the comparisons above")
    return {**none, **weighted, "relapse": relapse, "relapse_adjusted": adjusted, "competing": competing,
            "retention": retention, "reconciliation": claims}


def _weighted(view: ScannedCohort, confounders: tuple[str, ...], run: Callable[..., Any], reasons: dict[str, str],
              computed: dict[str, str], bootstrap: int, seed: int, load_rows_up_to: int) -> dict[str, Any]:
    """The IPTW comparison, its balance and Table 1, on the confounders and relapse columns loaded from the scan,
    when the cohort is small enough (``load_rows_up_to``, :data:`LOAD_ROWS_UP_TO` by default); otherwise the
    reason, in words for the report's readers."""
    if len(view) > load_rows_up_to:
        why = (f"not computed from a scan of {count(len(view))} participants: weighting needs each participant's "
               f"confounders in memory, which a scanned report loads for up to {count(load_rows_up_to)} "
               "participants (an analyst can raise that limit, given the memory)")
        reasons["IPTW relapse"] = why
        return {}
    columns = [*confounders, s.RELAPSE_DAYS, s.RELAPSE_EVENT]
    how = (f"loaded {len(columns) + 1} columns ({', '.join(variable_words(c) for c in [s.ARM, *columns])}) of "
           f"{count(len(view))} rows")
    with step("loading the confounders"):
        rows: Cohort = view.load(columns)
    iptw: ArmComparison | None = run("IPTW relapse", lambda: compare_arms(
        rows, "relapse", adjust=confounders, weights="iptw", bootstrap=bootstrap, seed=seed), True, how)
    checked = None if iptw is None else run("balance", lambda: balance(rows, confounders, weights="iptw",
                                                                       propensity=iptw.propensity), True, how)
    computed["Table 1"] = how
    return {"relapse_iptw": iptw, "balance": checked, "rows": rows}

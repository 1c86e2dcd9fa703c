"""Everything a quarterly report shows, computed once from a cohort and a quarter.

:func:`build` returns a :class:`QuarterlyResults` whose ``tables`` become the
Excel workbook's sheets and whose result objects the report notebook displays
and narrates. Every table meant for people has its counts from 1 to 10
suppressed, and a complementary cell suppressed where a total would reveal one.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...data import schema as s
from ...data.asof import as_of, previous_quarter, quarter_bounds
from ...data.cohort import Cohort
from ...analyses.compare import ArmComparison, compare_arms
from ...analyses.competing import CompetingRisks, cumulative_incidence
from ...core.disclosure import SUPPRESSED, is_small, show_count
from ...core.errors import InputError, OutcomesError, OutcomesWarning
from ...claims.reconcile import Reconciliation, reconcile
from ...core.results import Estimate
from ...analyses.secondary import SecondaryComparison, compare_secondary
from ...data.outcomes import SECONDARY_OUTCOMES
from ...analyses.weighting import Balance, balance

__all__ = ["QuarterlyResults", "build", "suppress_table", "SUPRT_TARGET"]

SUPRT_TARGET = 0.80  # SAMHSA's follow-up target; SUPRT replaced GPRA on 2025-10-01


def suppress_table(df: pd.DataFrame, count_columns: list[str], total_column: str | None = None) -> pd.DataFrame:
    """Counts 1-10 become "<11"; when a row total is shown and only one cell of the row is suppressed,
    the next smallest cell is suppressed too, so the hidden count cannot be recovered by subtraction.

    >>> t = pd.DataFrame({"a": [5, 40], "b": [30, 20], "total": [35, 60]})
    >>> suppress_table(t, ["a", "b"], "total").iloc[0].tolist()
    ['<11', '<11', '35']
    """
    values = df[count_columns].to_numpy(dtype=float)
    hide = (values > 0) & (values <= 10)
    if total_column is not None:
        for i in range(len(df)):
            if hide[i].sum() == 1:
                candidates = np.where(~hide[i] & (values[i] > 0), values[i], np.inf)
                if np.isfinite(candidates.min()):
                    hide[i, int(np.argmin(candidates))] = True
    out = df.copy()
    for j, col in enumerate(count_columns):
        out[col] = [SUPPRESSED if hide[i, j] else show_count(v) for i, v in enumerate(values[:, j])]
    if total_column is not None:
        out[total_column] = [show_count(v) for v in df[total_column]]
    return out


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class QuarterlyResults:
    """The analyses of one quarter (as known at its last day) and the tables built from them."""

    quarter: str
    as_of: dt.date
    cohort: Cohort
    previous: Cohort | None
    relapse: ArmComparison | None
    relapse_adjusted: ArmComparison | None
    relapse_iptw: ArmComparison | None
    retention: ArmComparison | None
    competing: CompetingRisks | None
    secondary: dict[str, SecondaryComparison]
    reconciliation: Reconciliation
    balance: Balance | None
    confounders: tuple[str, ...]
    notes: list[str]
    tables: dict[str, pd.DataFrame] = field(repr=False)

    def hazard_ratios(self) -> list[tuple[str, Estimate]]:
        out = []
        for label, res in (("unadjusted", self.relapse), ("adjusted", self.relapse_adjusted),
                           ("IPTW", self.relapse_iptw)):
            if res is not None:
                out.append((label, res.hazard_ratio))
        return out


def _try(fn, notes: list[str], what: str):
    """Run one analysis; its caveats (warnings) and a reason it is not estimable become notes of the report."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", OutcomesWarning)
            result = fn()
    except OutcomesError as exc:
        notes.append(f"{what}: not estimable ({exc})")
        return None
    for message in dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, OutcomesWarning)):
        notes.append(f"{what}: {message}")
    return result


def build(cohort: Cohort, quarter: str, *, bootstrap: int = 100, seed: int = 0) -> QuarterlyResults:
    """Run every analysis of the quarterly report on the cohort as known at the quarter's end."""
    q_start, q_end = quarter_bounds(quarter)
    if s.ENROLL_DATE not in cohort.df.columns:
        raise InputError("a quarterly report needs enrollment dates (enroll_date) to know who was enrolled when")
    view = as_of(cohort, q_end) if cohort.as_of is None or q_end <= cohort.as_of else None
    if view is None:
        raise InputError(f"quarter {quarter} ends on {q_end}, after this cohort's as-of date {cohort.as_of}")
    if len(view) == 0:
        raise InputError(f"nobody was enrolled by the end of {quarter}")
    prev_end = quarter_bounds(previous_quarter(quarter))[1]
    previous = as_of(cohort, prev_end) if (view.df[s.ENROLL_DATE] <= pd.Timestamp(prev_end)).sum() > 0 else None
    notes: list[str] = []
    confounders = tuple(c for c in view.covariates if c in view.df.columns)
    has = view.outcomes
    relapse = _try(lambda: compare_arms(view, "relapse"), notes, "relapse") if "relapse" in has else None
    adjusted = (_try(lambda: compare_arms(view, "relapse", adjust=confounders), notes, "adjusted relapse")
                if "relapse" in has and confounders else None)
    iptw = (_try(lambda: compare_arms(view, "relapse", adjust=confounders, weights="iptw", bootstrap=bootstrap,
                                      seed=seed), notes, "IPTW relapse")
            if "relapse" in has and confounders else None)
    retention = _try(lambda: compare_arms(view, "retention"), notes, "retention") if "retention" in has else None
    competing = _try(lambda: cumulative_incidence(view), notes, "competing risks") if "retention" in has else None
    secondary = {}
    for name, spec in SECONDARY_OUTCOMES.items():
        if all(c in view.df.columns and view.df[c].notna().any() for c in spec.column_names):
            res = _try(lambda name=name: compare_secondary(view, name), notes, name)
            if res is not None:
                secondary[name] = res
    rec = reconcile(view)
    bal = _try(lambda: balance(view, confounders, weights="iptw"), notes, "balance") if confounders else None
    results = dict(quarter=quarter, as_of=q_end, cohort=view, previous=previous, relapse=relapse,
                   relapse_adjusted=adjusted, relapse_iptw=iptw, retention=retention, competing=competing,
                   secondary=secondary, reconciliation=rec, balance=bal, confounders=confounders, notes=notes)
    tables = _tables(view, previous, (q_start, q_end), results)
    return QuarterlyResults(**results, tables=tables)


def _tables(view: Cohort, previous: Cohort | None, quarter: tuple[dt.date, dt.date], r: dict) -> dict[str, pd.DataFrame]:
    tables = {"enrollment": _enrollment(view, quarter), "follow_up": _follow_up(view)}
    if r["competing"] is not None:
        tables["retention"] = _retention(r["competing"])
    if r["relapse"] is not None:
        tables["relapse"] = _relapse(r)
    if r["secondary"]:
        tables["secondary_outcomes"] = pd.DataFrame([
            {"outcome": name, "measure": res.measure, "estimate": res.estimate.value, "ci_lower": res.estimate.ci_lower,
             "ci_upper": res.estimate.ci_upper, "p_value": res.estimate.p_value,
             "participants": show_count(res.n_used)} for name, res in r["secondary"].items()])
    tables["claims"] = r["reconciliation"].table()
    tables["change_since_last_quarter"] = _change(view, previous, r)
    tables["data_quality"] = _data_quality(view)
    return tables


def _enrollment(view: Cohort, quarter: tuple[dt.date, dt.date]) -> pd.DataFrame:
    df = view.df
    start = pd.Timestamp(quarter[0])
    group = [s.SITE, s.ARM] if s.SITE in df else [s.ARM]
    this_q = df[df[s.ENROLL_DATE] >= start].groupby(group, observed=True).size()
    total = df.groupby(group, observed=True).size()
    table = pd.DataFrame({"enrolled_this_quarter": this_q, "enrolled_to_date": total}).fillna(0).reset_index()
    table["arm"] = table[s.ARM].astype(str).map(s.arm_label)
    return suppress_table(table, ["enrolled_this_quarter", "enrolled_to_date"])


def _follow_up(view: Cohort) -> pd.DataFrame:
    """SUPRT follow-up: the share reached in the 6-month (+-30 days) and annual windows, against SAMHSA's 80%."""
    df = view.df
    if s.FOLLOWUP_DAYS not in df:
        return pd.DataFrame([{"note": "no last-contact dates (followup_days): follow-up rates cannot be computed"}])
    days_enrolled = (pd.Timestamp(view.as_of) - df[s.ENROLL_DATE]).dt.days
    rows = []
    for window, (open_, close) in (("6 months (150-210 days)", (150, 210)), ("annual (335-395 days)", (335, 395))):
        for arm in view.arms:
            due = (days_enrolled >= close) & (df[s.ARM] == arm)
            reached = due & (df[s.FOLLOWUP_DAYS] >= open_)
            n_due, n_reached = int(due.sum()), int(reached.sum())
            rate = n_reached / n_due if n_due else np.nan
            suppressed = is_small(n_due) or is_small(n_reached) or is_small(n_due - n_reached)
            rows.append({"window": window, "arm": s.arm_label(arm), "due": show_count(n_due),
                         "reached": SUPPRESSED if suppressed else show_count(n_reached),
                         "rate": np.nan if suppressed else rate,
                         "meets_80_percent_target": "" if suppressed or np.isnan(rate) else ("yes" if rate >= SUPRT_TARGET else "no")})
    return pd.DataFrame(rows)


def _retention(cr: CompetingRisks) -> pd.DataFrame:
    horizon = min(c.last_time for c in cr.curves.values())
    days = [d for d in (30, 90, 180) if d <= horizon]
    at = cr.cif_at(days)
    return pd.DataFrame({"arm": at.arm.map(s.arm_label), "day": at.time, "retained": 1 - at.cif,
                         "ci_lower": 1 - at.ci_upper, "ci_upper": 1 - at.ci_lower})


def _relapse(r: dict) -> pd.DataFrame:
    rows = []
    res: ArmComparison = r["relapse"]
    try:
        at = res.survival_at([365]).set_index("arm")
        for arm in res.arms:
            rows.append({"measure": f"12-month relapse, {s.arm_label(arm)}", "estimate": 1 - at.loc[arm, "survival"],
                         "ci_lower": 1 - at.loc[arm, "ci_upper"], "ci_upper": 1 - at.loc[arm, "ci_lower"]})
    except OutcomesError:
        pass
    for label, e in (("hazard ratio, unadjusted", res.hazard_ratio),
                     ("hazard ratio, adjusted", getattr(r["relapse_adjusted"], "hazard_ratio", None)),
                     ("hazard ratio, IPTW", getattr(r["relapse_iptw"], "hazard_ratio", None)),
                     (f"RMST difference to day {res.horizon:g} (days)", res.rmst_difference)):
        if e is not None:
            rows.append({"measure": label, "estimate": e.value, "ci_lower": e.ci_lower, "ci_upper": e.ci_upper,
                         "p_value": e.p_value})
    rows.append({"measure": "log-rank test", "estimate": res.logrank.statistic, "p_value": res.logrank.p_value})
    return pd.DataFrame(rows)


def _key_numbers(view: Cohort, relapse: ArmComparison | None) -> dict[str, float]:
    out = {"participants enrolled to date": float(len(view))}
    if relapse is not None:
        out["hazard ratio of relapse (unadjusted)"] = relapse.hazard_ratio.value
        try:
            at = relapse.survival_at([365]).set_index("arm")
            for arm in relapse.arms:
                out[f"12-month relapse, {s.arm_label(arm)}"] = 1 - at.loc[arm, "survival"]
        except OutcomesError:
            pass
    return out


def _change(view: Cohort, previous: Cohort | None, r: dict) -> pd.DataFrame:
    now = _key_numbers(view, r["relapse"])
    if previous is None:
        return pd.DataFrame([{"measure": k, "this_quarter": v, "previous_quarter": np.nan} for k, v in now.items()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutcomesWarning)  # last quarter's caveats were in last quarter's report
        try:
            prev_rel = compare_arms(previous, "relapse") if "relapse" in previous.outcomes else None
        except OutcomesError:
            prev_rel = None
    before = _key_numbers(previous, prev_rel)
    rows = [{"measure": k, "this_quarter": v, "previous_quarter": before.get(k, np.nan)} for k, v in now.items()]
    table = pd.DataFrame(rows)
    counts = table.measure == "participants enrolled to date"
    table["this_quarter"] = table["this_quarter"].astype(object)
    table["previous_quarter"] = table["previous_quarter"].astype(object)
    table.loc[counts, "this_quarter"] = [show_count(v) for v in table.loc[counts, "this_quarter"]]
    table.loc[counts, "previous_quarter"] = [show_count(v) for v in table.loc[counts, "previous_quarter"]]
    return table


def _data_quality(view: Cohort) -> pd.DataFrame:
    report = view.provenance.get("ingestion")
    rows = []
    if report:
        for key, value in report.items():
            rows.append({"check": key, "value": value})
    else:
        rows.append({"check": "source", "value": view.provenance.get("source", "unknown")})
    for col in view.df.columns:
        missing = int(view.df[col].isna().sum())
        if missing:
            rows.append({"check": f"missing values in {col}", "value": show_count(missing)})
    return pd.DataFrame(rows)

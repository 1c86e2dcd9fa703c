"""Tables for people: human headings, one formatting rule set, disclosure control applied once.

Every function takes results (or a cohort view) and returns a DataFrame of text
ready to render in HTML, Word, PDF or Excel: counts from 1 to 10 and the cells
that would reveal them are hidden (:mod:`outcomes.core.disclosure`), numbers
follow :mod:`outcomes.core.formatting`, and no ``nan``, ``inf`` or scientific
notation can appear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..analyses.arm_comparison import ArmComparison
from ..analyses.baseline import baseline_table, baseline_table_of_counts
from ..analyses.competing import CompetingRisks
from ..analyses.exposure import ExposureComparison
from ..analyses.interviews import FollowUpRates
from ..analyses.propensity import PropensityWeights
from ..analyses.recurrent import RecurrentComparison
from ..analyses.secondary import SecondaryComparison
from ..claims.catalog import SOURCES, registry
from ..claims.reconcile import Reconciliation, estimand_info
from ..core import formatting as fmt
from ..core.caveats import quiet_caveats
from ..core.disclosure import COMPLEMENT, SUPPRESSED, hide_complements, is_small, share, suppress_table
from ..core.errors import NotEstimableError, OutcomesError
from ..core.results import Estimate
from ..model import schema as s
from ..model.cohort import Cohort
from .enrolled import Enrolled, enrolled
from ..sources.scan import ScannedCohort
from ..model.labels import variable_words
from ..model.outcome_registry import secondary_outcome
from ..core.formatting import plain

__all__ = ["SUPRT_TARGET", "change_table", "claims_table", "data_quality_table", "enrollment_table",
           "follow_up_table", "relapse_table", "retention_table", "secondary_table"]

SUPRT_TARGET = 0.80  # SAMHSA's follow-up target; SUPRT replaced GPRA on 2025-10-01
CI = "95% CI"


def enrollment_table(view: Cohort | Enrolled, quarter_start: dt.date) -> pd.DataFrame:
    """Participants enrolled this quarter and to date, by site and arm (``view``: a cohort, or its counts)."""
    counted = view if isinstance(view, Enrolled) else enrolled(view)
    table = counted.by_group(quarter_start).rename(columns={"new": "Enrolled this quarter", "n": "Enrolled to date"})
    table[s.ARM] = table[s.ARM].astype(str).map(s.arm_label)
    table = table.rename(columns={s.SITE: "Site", s.ARM: "Arm"}).reset_index(drop=True)
    shown = suppress_table(table, ["Enrolled this quarter", "Enrolled to date"],
                           differences=[("Enrolled to date", "Enrolled this quarter")])
    # the summary states each arm's enrolled to date and everyone enrolled this quarter: no cell may follow from them
    arms = [np.flatnonzero((table["Arm"] == a).to_numpy()) for a in table["Arm"].unique()]
    shown = hide_complements(shown, table, "Enrolled to date", arms)
    return hide_complements(shown, table, "Enrolled this quarter", [np.arange(len(table))])


def follow_up_table(view: Cohort | ScannedCohort) -> pd.DataFrame:
    """SUPRT follow-up: the share reached in the 6-month (+-30 days) and annual windows, against SAMHSA's 80%."""
    if isinstance(view, ScannedCohort):
        return pd.DataFrame({"Note": ["A scan does not read last-contact dates: follow-up rates are not computed."]})
    if s.FOLLOWUP_DAYS not in view.df:
        return pd.DataFrame({"Note": ["No last-contact dates in this extract: follow-up rates cannot be computed."]})
    df = view.df
    days_enrolled = (pd.Timestamp(view.as_of) - df[s.ENROLL_DATE]).dt.days
    rows = []
    for window, (open_, close) in (("6 months (150-210 days)", (150, 210)), ("Annual (335-395 days)", (335, 395))):
        for arm in view.arms:
            due = (days_enrolled >= close) & (df[s.ARM] == arm)
            n_due, n_reached = int(due.sum()), int((due & (df[s.FOLLOWUP_DAYS] >= open_)).sum())
            hidden = is_small(n_reached) or is_small(n_due - n_reached) or is_small(n_due)
            meets = "" if n_due == 0 or is_small(n_due) else ("yes" if n_reached / n_due >= SUPRT_TARGET else "no")
            rows.append({"Follow-up window": window, "Arm": s.arm_label(arm), "Due": fmt.count(n_due),
                         "Reached": "not shown" if hidden else fmt.count(n_reached),
                         "Reached (%)": share(n_reached, n_due), "Meets the 80% target": meets})
    return pd.DataFrame(rows)


def interview_follow_up_table(rates: FollowUpRates) -> pd.DataFrame:
    """Interviews completed in their window over those due, per window and arm (counts of 1 to 10 hidden, shares
    of them as bands), against the funder's target."""
    shown = rates.display_table()
    shown["Window"] = [w.capitalize() for w in rates.rates.window]
    return shown.rename(columns={"Completed": "Completed in window", "Rate": "Completed (%)"})


def retention_table(cr: CompetingRisks) -> pd.DataFrame:
    """Retention (not dropped out) at 30, 90 and 180 days, completion and transfer counting as competing exits."""
    horizon = min(c.last_time for c in cr.curves.values())
    days = [d for d in (30, 90, 180) if d <= horizon]
    if not days:
        return pd.DataFrame({"Note": [f"Follow-up is shorter than 30 days in an arm (day {fmt.days(horizon)})."]})
    at = cr.cif_at(days)
    return pd.DataFrame({
        "Arm": at.arm.map(s.arm_label), "Day": [fmt.days(d) for d in at.time],
        "Retained": [fmt.percent(1 - v) for v in at.cif],
        CI: [fmt.interval(1 - hi, 1 - lo, 0, scale="percent") for lo, hi in zip(at.ci_lower, at.ci_upper)],
    })


def _estimate_row(label: str, e: Estimate, digits: int = 2) -> dict[str, str]:
    return {"Measure": label, "Estimate": fmt.number(e.value, digits), CI: fmt.interval(e.ci_lower, e.ci_upper, digits),
            "p-value": fmt.p_value(e.p_value)}


def relapse_table(relapse: ArmComparison, adjusted: ArmComparison | None = None,
                  iptw: ArmComparison | None = None,
                  complete_cases: Mapping[str, ArmComparison] | None = None) -> pd.DataFrame:
    """12-month relapse per arm, hazard ratios (unadjusted, adjusted, IPTW), RMST difference and the test.

    ``complete_cases`` (blank confounders were imputed): the adjusted and IPTW ratios on complete cases only,
    each beside its imputed one."""
    rows = []
    try:
        at = relapse.survival_at([365]).set_index("arm")
        for arm in relapse.arms:
            rows.append({"Measure": f"12-month relapse, {s.arm_label(arm)}",
                         "Estimate": fmt.percent(1 - at.loc[arm, "survival"]),
                         CI: fmt.interval(1 - at.loc[arm, "ci_upper"], 1 - at.loc[arm, "ci_lower"], 0, scale="percent"),
                         "p-value": ""})
    except OutcomesError:
        rows.append({"Measure": "12-month relapse", "Estimate": "not estimable (follow-up shorter than 12 months)",
                     CI: "", "p-value": ""})
    imputed = " (blanks imputed)" if complete_cases is not None else ""
    cc = complete_cases or {}
    for label, res in (("Hazard ratio, unadjusted", relapse), (f"Hazard ratio, adjusted{imputed}", adjusted),
                       ("Hazard ratio, adjusted (complete cases only)", cc.get("adjusted")),
                       (f"Hazard ratio, IPTW-weighted{imputed}", iptw),
                       ("Hazard ratio, IPTW-weighted (complete cases only)", cc.get("IPTW"))):
        if res is not None:
            rows.append(_estimate_row(label, res.hazard_ratio))
    rows.append(_estimate_row(f"Days free of relapse, difference over {fmt.days(relapse.horizon)} days",
                              relapse.rmst_difference, 1))
    rows.append({"Measure": "Log-rank test (chi-square)", "Estimate": fmt.number(relapse.logrank.statistic, 2), CI: "",
                 "p-value": fmt.p_value(relapse.logrank.p_value)})
    return pd.DataFrame(rows)


def exposure_table(exposure: ExposureComparison) -> pd.DataFrame:
    """Peer support counted from its first contact: the corrected estimates first, the naive one last, labelled."""
    rows = [_estimate_row("Hazard ratio, peer support from its first contact (time-varying)", exposure.time_varying),
            _estimate_row(f"Hazard ratio, exposed by day {plain(exposure.landmark_day)} (landmark)", exposure.landmark)]
    trial = exposure.trial[exposure.trial.day == exposure.horizon].set_index("strategy")
    for strategy, row in trial.iterrows():
        rows.append({"Measure": f"Relapse by day {plain(exposure.horizon)}, emulated trial: {strategy} "
                                f"({plain(exposure.grace)} days)", "Estimate": fmt.percent(row.risk),
                     CI: fmt.interval(row.ci_lower, row.ci_upper, 0, scale="percent"), "p-value": ""})
    rows.append(_estimate_row("Risk ratio, emulated trial", exposure.risk_ratio))
    rows.append(_estimate_row("Hazard ratio, ever exposed from day 0 (biased by immortal time: not to be cited)",
                              exposure.naive))
    return pd.DataFrame(rows)


def secondary_table(secondary: Mapping[str, SecondaryComparison]) -> pd.DataFrame:
    """One row per secondary outcome: the ratio or difference with its interval, and who it is based on."""
    rows = []
    for name, res in secondary.items():
        e = res.estimate
        rows.append({"Outcome": secondary_outcome(name).words.capitalize(), "Measure": res.measure.capitalize(),
                     "Estimate": fmt.number(e.value, 2), CI: fmt.interval(e.ci_lower, e.ci_upper, 2),
                     "p-value": fmt.p_value(e.p_value), "Participants": fmt.count(res.n_used)})
    return pd.DataFrame(rows)


def claims_table(rec: Reconciliation) -> pd.DataFrame:
    """Each claim once: what the article says, what it means as an estimand, this program's estimate, the verdict."""
    reg = registry().set_index("claim_id")
    rows = []
    untestable = 0
    for row in rec.rows.drop_duplicates(subset=["source", "estimand", "claimed", "reading"]).itertuples():
        if not fmt.is_number(row.estimate):  # one line for all of them, below: the table shows what can be tested
            untestable += 1
            continue
        null, scale, words = estimand_info(row.estimand)
        as_percent = scale == "linear" and row.estimand != "studies_reviewed"
        estimate = fmt.estimate_with_interval(row.estimate, row.ci_lower, row.ci_upper, 1 if as_percent else 2,
                                              missing="not estimable here",
                                              scale="percent" if as_percent else "number")
        rows.append({"Claim": _figure(reg.loc[row.claim_id]), "Source": SOURCES[row.source][1],
                     "What it means": words, "This program's estimate": estimate,
                     "Verdict": row.verdict.split(":")[0]})
    if untestable:
        rows.append({"Claim": f"{untestable} other claim{'s' if untestable > 1 else ''}", "Source": "",
                     "What it means": "", "This program's estimate": "not estimable here",
                     "Verdict": "cannot be tested with these data yet (follow-up too short, too few events, or not "
                                "a property of a program; the reasons are listed in the notes)"})
    return pd.DataFrame(rows, columns=["Claim", "Source", "What it means", "This program's estimate", "Verdict"])


def _figure(claim: pd.Series) -> str:
    """The article's figure as printed; when it is a bare percentage ("35%"), as the share it is."""
    figure = str(claim["figure"])
    if claim["unit"] == "percent" and fmt.is_number(claim["value"]):
        decimals = len(figure.rstrip("%").split(".")[1]) if "." in figure else 0
        as_share = fmt.percent(claim["value"], decimals)
        if as_share == figure:
            return as_share
    return figure


def change_table(now: Mapping[str, float], before: Mapping[str, float] | None) -> pd.DataFrame:
    """Key numbers this quarter against the previous one (counts whose change is 1-10 are not both shown)."""
    rows = []
    for measure, value in now.items():
        previous = (before or {}).get(measure, np.nan)
        if measure.startswith("Participants") and not (fmt.is_number(value) and fmt.is_number(previous)):
            rows.append({"Measure": measure, "This quarter": fmt.count(value) if fmt.is_number(value) else COMPLEMENT,
                         "Previous quarter": ("no report" if before is None else fmt.count(previous)
                                              if fmt.is_number(previous) and fmt.is_number(value) else COMPLEMENT)})
        elif measure.startswith("Participants"):
            pair = suppress_table(pd.DataFrame({"a": [value], "b": [previous if fmt.is_number(previous) else 0]}),
                                  ["a", "b"], differences=[("a", "b")]).iloc[0]
            rows.append({"Measure": measure, "This quarter": pair.a,
                         "Previous quarter": pair.b if fmt.is_number(previous) else "no report"})
        else:
            render = fmt.percent if measure.startswith("12-month") else fmt.ratio
            rows.append({"Measure": measure, "This quarter": render(value),
                         "Previous quarter": render(previous) if before is not None else "no report"})
    return pd.DataFrame(rows)


def recurrent_table(rec: RecurrentComparison) -> pd.DataFrame:
    """Per arm: participants and relapse episodes (small counts suppressed), relapses per person by day 365 (or
    the last day both arms are followed) with its interval; then the hazard and rate ratios."""
    day = min(365.0, *rec.follow_up_ends)
    at = rec.mcf_at([day]).set_index("arm")
    counts = suppress_table(rec.counts[["arm", "participants", "relapses"]], ["participants", "relapses"])
    rows = [{"Measure": f"{s.arm_label(c.arm)}: participants; relapse episodes", "Estimate":
             f"{c.participants}; {c.relapses}", CI: "", "p-value": ""} for c in counts.itertuples()]
    rows += [{"Measure": f"{s.arm_label(a)}: relapses per person by day {fmt.plain(day)}",
              "Estimate": fmt.number(at.loc[a, "mcf"], 2),
              CI: fmt.interval(at.loc[a, "ci_lower"], at.loc[a, "ci_upper"]), "p-value": ""} for a in rec.arms]
    rows.append(_estimate_row("Hazard ratio, every relapse (Andersen-Gill, robust SE)", rec.hazard_ratio))
    if rec.rate_ratio is not None:
        rows.append(_estimate_row("Relapses per person-year, rate ratio", rec.rate_ratio))
    return pd.DataFrame(rows)


def baseline_display(view: Cohort, covariates: Sequence[str], *, weighted: bool,
                     propensity: PropensityWeights | None = None) -> pd.DataFrame:
    """Table 1 as printed (:func:`outcomes.baseline_table`; sites are left to the enrollment table, so that one
    table decides which site counts are hidden), with the SMDs after IPTW beside the crude ones when
    the weighted analysis ran and the complete cases' propensity model can be fitted (when blank confounders
    were imputed for the weighted analysis, the complete cases may lack overlap: the crude table is shown)."""
    covariates = [c for c in covariates if c != s.SITE]  # sites are in the enrollment table, suppressed there
    crude = baseline_table(view, covariates).display_table()
    if not weighted:
        return crude
    try:
        with quiet_caveats():
            after = baseline_table(view, covariates, weights="iptw", propensity=propensity).display_table()
    except NotEstimableError:
        return crude
    return crude.assign(**{"SMD after weighting": after["SMD"].to_numpy()})


def baseline_counts_display(patterns: pd.DataFrame, covariates: Sequence[str], arms: tuple[str, str]) -> pd.DataFrame:
    """Table 1 as printed, from participants counted per arm and confounder values (a scan's ``GROUP BY``):
    the crude table of :func:`baseline_display`, equal to it cell for cell."""
    covariates = [c for c in covariates if c != s.SITE]
    return baseline_table_of_counts(patterns, covariates, arms).display_table()


def _ingestion_counts(ingestion: Mapping[str, object]) -> dict[str, str]:
    """The ingestion record as shown: no small count, and none that rows read minus rows kept, or the excluded
    total minus the other reasons, would reveal."""
    shown = {str(k): (fmt.count(v) if fmt.is_number(v) and not isinstance(v, bool) else str(v))
             for k, v in ingestion.items() if not str(k).startswith("follow-up ends at")}  # (the methods say those)
    numbers = {str(k): float(v) for k, v in ingestion.items()  # type: ignore[arg-type]
               if fmt.is_number(v) and not isinstance(v, bool)}
    if is_small(numbers.get("rows read", 0) - numbers.get("rows kept", 0)):
        shown["rows read"] = COMPLEMENT  # rows kept are the participants, stated throughout the report
    reasons = [k for k in numbers if k.startswith("excluded: ")]
    hidden = [k for k in reasons if shown[k] in (SUPPRESSED, COMPLEMENT)]
    others = sorted((k for k in reasons if k not in hidden and numbers[k] > 0), key=lambda k: numbers[k])
    if len(hidden) == 1 and others:  # the excluded total minus the others would give the hidden one
        shown[others[0]] = COMPLEMENT
    return shown


def data_quality_table(view: Cohort | ScannedCohort) -> pd.DataFrame:
    """Where the data came from, rows excluded by reason, and missing values by column (counts suppressed)."""
    rows = [{"Check": "Source", "Value": str(view.provenance.get("source", "unknown")).replace("_", " ")}]
    for key, shown in _ingestion_counts(view.provenance.get("ingestion") or {}).items():
        rows.append({"Check": str(key).replace("_", " ").capitalize(), "Value": shown})
    blanks = view.missing_counts() if isinstance(view, ScannedCohort) else view.df.isna().sum().to_dict()
    for col, missing in blanks.items():
        if missing:
            rows.append({"Check": f"Missing values: {variable_words(str(col))}", "Value": fmt.count(int(missing))})
    return pd.DataFrame(rows)

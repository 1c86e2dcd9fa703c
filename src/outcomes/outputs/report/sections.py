"""The quarterly report as a document: sections in the order a funder reads them, the summary first.

:func:`quarterly_document` turns one computed quarter (:class:`~outcomes.present.quarter.QuarterlyResults`)
into a :class:`~outcomes.outputs.report.model.Report`. A section whose analysis could not be
estimated says so in place, with the reason; nothing is narrated or drawn from a quantity that
was not estimated.
"""

from __future__ import annotations

import datetime as dt

from ...analyses.arm_comparison import ArmComparison
from ...core import formatting as fmt
from ...core.errors import OutcomesError
from ...model import schema as s
from ...model.labels import variable_words
from ...present.narrate import narrate
from ...present.quarter import QuarterlyResults
from ...present.tables import SUPRT_TARGET
from . import figures as F
from .audit import audit_report
from .model import Figure, Report, Section, Table

__all__ = ["methods_lines", "quarterly_document"]

W = 7.0  # figures are drawn at double-column width


def quarterly_document(r: QuarterlyResults, *, program: str = "", funder: str = "", grant_id: str = "",
                       logo: str | None = None) -> Report:
    """The report of one computed quarter, summary first, audited as a whole (:func:`.audit.audit_report`)
    before any renderer reads it."""
    sections = (
        Section("Summary", tuple(r.summary)),
        _trend(r), _enrollment(r), _baseline(r), _follow_up(r), _retention(r), _relapse(r), _repeat_relapses(r),
        _secondary(r), _claims(r),
        _change(r), _data_quality(r), _definitions(r), _methods(r),
    )
    name = program or "Peer recovery support program"
    return audit_report(Report(title=f"{name}: quarterly outcomes report, {r.quarter}", program=name, funder=funder,
                               grant_id=grant_id, period=f"{_day(r.start)} to {_day(r.as_of)}", quarter=r.quarter,
                               sections=tuple(sec for sec in sections if sec is not None), logo=logo))


def _day(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def _missing(r: QuarterlyResults, *whats: str) -> str:
    """One sentence saying what could not be estimated this quarter, and why."""
    for what in whats:
        if what in r.not_estimable:
            return f"Not estimable this quarter ({what}): {r.not_estimable[what]}."
    return "Not estimable this quarter."


def _trend(r: QuarterlyResults) -> Section | None:
    if len(r.trend) < 2:
        return None
    return Section("Trend over the last quarters", (
        "Each quarter is computed as it was known at its own end, so a board sees the direction, not one number.",),
        figures=(Figure("trend", "Enrolled to date, retained at 90 days and the hazard ratio of relapse (95% CIs), by "
                        "quarter; no estimate while an arm has fewer than 11, no bar that would reveal 1 to 10.",
                        "Three panels over the last quarters: bars of enrollment, points with intervals of "
                        "90-day retention, and points with intervals of the hazard ratio around a dashed line at 1.",
                        lambda w: F.trend_figure(r.trend, w)),))


def _enrollment(r: QuarterlyResults) -> Section:
    table = Table("enrollment", "Participants enrolled this quarter and to date, by site and arm. Counts of 1 to 10, "
                  "and counts that would reveal one, show as <11.", r.tables["enrollment"])
    if not F.enrollment_drawable(r.enrolled):  # every cell is 1 to 10: an empty chart says nothing
        return Section("Enrollment", ("Every site's enrollment per quarter is below 11, so no bar of the usual chart "
                                      "can be drawn.",), tables=(table,))
    return Section("Enrollment", tables=(table,),
                   figures=(Figure("enrollment_by_quarter",
                                   "Participants enrolled per quarter, stacked by site; cells of 1 to "
                                   "10 participants are not drawn.",
                                   "Stacked bar chart of enrollment per quarter, one colour per site.",
                                   lambda w: F.enrollment_figure(r.enrolled, w)),))


def _baseline(r: QuarterlyResults) -> Section | None:
    if "baseline" not in r.tables:
        return None
    weighted = ("; the last column after inverse probability of treatment weighting, the balance the weighted "
                "analysis relies on" if "SMD after weighting" in r.tables["baseline"].columns else "")
    return Section("Baseline characteristics", tables=(Table(
        "baseline", "Table 1. Baseline characteristics by arm: mean (SD) or n (%) of those with a value; Missing: "
        "participants without one; SMD: standardized mean difference between the arms (below 0.1 is usually read "
        f"as balanced){weighted}. Counts of 1 to 10 show as <11, and a count that would reveal one as "
        "suppressed.", r.tables["baseline"]),))


def _follow_up(r: QuarterlyResults) -> Section:
    intro = (f"SAMHSA expects at least {SUPRT_TARGET:.0%} of participants to be reached at each follow-up. SUPRT "
             "replaced GPRA on 1 October 2025 with interviews at baseline (within 30 days of intake), 6 months "
             "(plus or minus 30 days), annually (plus or minus 30 days) and at closeout (within 30 days of the end "
             "of care). ")
    if r.interview_follow_up is not None:
        text = (intro + "These rates count the program's interview records: an interview is due once its window "
                "has closed, and counts only when completed inside it; a closeout before or during a reassessment "
                "window replaces that reassessment.",)
        caption = ("Follow-up interviews due and completed in their window, by window and arm. A share whose count "
                   "(or whose complement) is 1 to 10 shows as a band.")
    else:
        text = (intro + "No interview records were given, so these rates are a proxy from last-contact dates: a "
                "participant is due once their window has closed and counted as reached if still in contact when "
                "it opened.",)
        caption = ("Follow-up due and reached (a proxy from last-contact dates), by window and arm. A share whose "
                   "count (or whose complement) is 1 to 10 shows as a band.")
    tables, figures = [Table("follow_up", caption, r.tables["follow_up"])], []
    if r.interview_change is not None:
        change = r.interview_change
        figures.append(Figure("change_from_intake", f"Share with each outcome at intake (open) and at the "
                              f"{change.point} interview (filled), by arm, among participants with both.",
                              "Dot chart: for each domain and arm, an arrow from the intake share to the follow-up "
                              "share; the values are in the table above.", lambda w: F.change_figure(change, w)))
        tables.append(Table("change_from_intake", f"Change from intake to the {r.interview_change.point} interview, "
                            "among participants with both completed in their windows: the share with each outcome "
                            "at each, the change in percentage points (95% CI), SAMHSA's rate of change (the change "
                            "over the intake share) and McNemar's test. An arm with 1 to 10 pairs is not shown.",
                            r.tables["change_from_intake"]))
    return Section("Follow-up against SAMHSA's target", text, tables=tuple(tables), figures=tuple(figures))


def _retention(r: QuarterlyResults) -> Section:
    if r.competing is None:
        return Section("Retention", (_missing(r, "leaving treatment", "retention"),))
    cr = r.competing
    text = (narrate(cr), "Completing the program is its planned end, not a failure: dropout, completion and "
            "transfer are drawn as separate curves, and retention counts only dropout as leaving early.")
    figures = [Figure("retention_30_90_180",
                      "Retention (not dropped out) at 30, 90 and 180 days by arm, with 95% confidence "
                      "intervals.", "Grouped bar chart of the share retained at days 30, 90 and 180, one bar per arm.",
                      lambda w: F.retention_figure(cr, w)),
               Figure("cumulative_incidence_dropout",
                      "Cumulative incidence of dropout (solid), completion (dashed) and transfer "
                      f"(dotted) by arm (Aalen-Johansen). Gray's test of dropout: p {_p(cr.gray.p_value)}.",
                      "Step chart of the share who left treatment over days since enrollment, one line style per "
                      "way of leaving and one colour per arm.", lambda w: F.cif_figure(cr, w))]
    return Section("Retention", text, tables=(Table("retention", "Retention at 30, 90 and 180 days (completion and "
                                                    "transfer are competing exits, not dropout).",
                                                    r.tables["retention"]),), figures=tuple(figures))


def _p(p: float) -> str:
    from ...core.formatting import p_value

    text = p_value(p)
    return text if text.startswith("<") else f"= {text}"


def _km_alt(rel: ArmComparison) -> str:
    """The Kaplan-Meier figure in words, with its key numbers: the share without relapse at one year per arm."""
    text = "Line chart of the share without relapse over days since enrollment, one line per arm"
    try:
        at = rel.survival_at([365.0]).set_index("arm")
    except OutcomesError:
        return text + "."
    return text + ": at one year, " + " and ".join(
        f"{fmt.percent(at.loc[a, 'survival'])} {s.arm_label(a).lower()}" for a in rel.arms) + " without relapse."


def _relapse(r: QuarterlyResults) -> Section:
    if r.relapse is None:
        return Section("Time to relapse", (_missing(r, "relapse"),))
    rel = r.relapse
    hr = rel.hazard_ratio
    figures = [Figure("km_relapse", "Kaplan-Meier estimates of time to first relapse by arm, with 95% confidence "
                      f"bands. Hazard ratio, peer support + clinical vs clinical only: {fmt.ratio(hr.value)} (95% CI "
                      f"{fmt.interval(hr.ci_lower, hr.ci_upper)}). Numbers at risk below; counts of 1 to 10 show as "
                      "<11.",
                      _km_alt(rel), lambda w: F.km_figure(rel, w)),
               Figure("forest_hazard_ratios",
                      "Hazard ratios of relapse (peer support + clinical vs clinical only) with 95% "
                      "confidence intervals: unadjusted, adjusted for the covariates, and IPTW-weighted.",
                      "Forest plot of the hazard ratio estimates on a log scale, with a dashed line at 1: " +
                      "; ".join(f"{label} {fmt.estimate_with_interval(e.value, e.ci_lower, e.ci_upper)}"
                                for label, e in r.hazard_ratios()) + ".",
                      lambda w: F.forest_figure(r.hazard_ratios(), w))]
    text = [narrate(rel)]
    notes = [_missing(r, what) for what in ("adjusted relapse", "IPTW relapse") if what in r.not_estimable]
    if r.balance is not None and r.relapse_iptw is not None:
        text.append("Participants choose peer support, so the arms differ. The IPTW estimate re-weights them to the "
                    "same covariate mix; the love plot shows the balance achieved.")
        bal = r.balance
        figures.append(Figure("love_plot", "Standardized mean differences of the covariates between arms before "
                              "(open) and after (filled) weighting; the dashed line marks 0.1.",
                              "Dot chart of covariate imbalance before and after weighting.",
                              lambda w: F.love_figure(bal, w)))
    caption = "Relapse by arm and the comparisons of the arms (95% confidence intervals)."
    tables: tuple[Table, ...] = (Table("relapse", caption, r.tables["relapse"]),)
    if r.exposure is not None:  # peer support started after enrollment: lead with exposure from its start
        exposure = r.exposure
        text = [narrate(exposure), "The arms below are who ever had peer support, counted from enrollment: "
                "they show the program's course, not the effect of peer support.", *text]
        tables = (Table("exposure", "Peer support counted from the first peer contact (95% confidence intervals); "
                        "the last row is the naive comparison, shown only to explain why it is wrong.",
                        r.tables["exposure"]), *tables)
        figures.insert(0, Figure("exposure_hazard_ratios", "Peer support from its first contact: the time-varying, "
                                 "landmark and emulated-trial estimates beside the naive 'ever had peer support' "
                                 "hazard ratio (grey), which credits peer support with the days before it started.",
                                 "Forest plot of four ratio estimates on a log scale, with a dashed line at 1.",
                                 lambda w: F.exposure_figure(exposure, w)))
    return Section("Time to relapse", tuple(text), tables=tables, figures=tuple(figures), notes=tuple(notes))


def _secondary(r: QuarterlyResults) -> Section:
    if not r.secondary:
        reason = r.not_estimable.get("secondary outcomes")
        return Section("Secondary outcomes", (f"Not estimable this quarter: {reason}." if reason else
                                              "No secondary outcomes could be compared this quarter.",))
    notes = tuple(f"{what}: not estimable ({why})." for what, why in r.not_estimable.items()
                  if what not in ("relapse", "adjusted relapse", "IPTW relapse", "retention", "leaving treatment",
                                  "claims", "balance"))
    return Section("Secondary outcomes", tuple(narrate(res) for res in r.secondary.values()),
                   tables=(Table("secondary_outcomes", "Secondary outcomes: ratios (risk, rate) or adjusted mean "
                                 "differences, peer support + clinical vs clinical only.",
                                 r.tables["secondary_outcomes"]),), notes=notes)


def _repeat_relapses(r: QuarterlyResults) -> Section | None:
    """Every relapse episode, when the data hold them: relapses per person over time, and the rate ratio."""
    if r.recurrent is None:
        return None if "repeat relapses" not in r.not_estimable else Section(
            "Repeat relapses", (_missing(r, "repeat relapses"),))
    rec = r.recurrent
    return Section("Repeat relapses", (narrate(rec), "People who leave the program stop being observed: these "
                                       "numbers describe relapses while people were followed."),
                   tables=(Table("repeat_relapses", "Relapse episodes by arm: relapses per person (mean cumulative "
                                 "count) and the hazard ratio counting every relapse, with 95% confidence intervals. "
                                 "Counts of 1 to 10 show as <11.", r.tables["repeat_relapses"]),),
                   figures=(Figure("repeat_relapses", "Relapses per person since enrollment, by arm (mean cumulative "
                                   "count, Nelson-Aalen on every episode), with pointwise 95% bands.",
                                   "Step curves of relapses per person over days since enrollment, one per arm.",
                                   lambda w: F.recurrent_figure(rec, w)),))


def _claims(r: QuarterlyResults) -> Section:
    if r.reconciliation is None:
        return Section("The articles' claims against this program's data", (_missing(r, "claims"),))
    rec = r.reconciliation
    counts = rec.rows.drop_duplicates(subset=["source", "estimand", "claimed", "reading"]).verdict.str.split(":").str[0]
    tally = ", ".join(f"{n} {v}" for v, n in counts.value_counts().items())
    untested = rec.rows.drop_duplicates(subset=["source", "estimand", "claimed", "reading"])
    untested = untested[untested.estimate.isna()]
    reasons = tuple(dict.fromkeys(f"Not tested: {v.partition(':')[2].strip()}." for v in untested.verdict))
    return Section("The articles' claims against this program's data", notes=reasons, text=(
        "Each figure the source articles cite is read as an estimand and compared with this program's estimate "
        f"and its 95% confidence interval ({tally}).",),
        tables=(Table("claims", "Claims from the source articles: what each means, this program's estimate "
                      "(95% CI) and the verdict.", r.tables["claims"]),),
        figures=(Figure("claims_vs_cohort",
                        "Effects claimed in the articles (orange) against this program's estimates with "
                        "95% confidence intervals (blue), on a ratio scale (1 = no difference).",
                        "Dot-and-interval chart of claimed ratios against this program's estimates.",
                        lambda w: F.claims_figure(rec, w)),))


def _change(r: QuarterlyResults) -> Section:
    return Section("Change since the previous quarter", tables=(Table(
        "change_since_last_quarter", "Key numbers this quarter and last quarter, each as known at its end.",
        r.tables["change_since_last_quarter"]),))


def _data_quality(r: QuarterlyResults) -> Section:
    return Section("Data quality", tables=(Table("data_quality", "Where the data came from, rows excluded and "
                                                 "values missing (counts of 1 to 10 show as <11).",
                                                 r.tables["data_quality"]),), notes=tuple(r.notes))


def methods_lines(r: QuarterlyResults) -> tuple[str, ...]:
    """The methods and caveats, one bullet each."""
    conf = ", ".join(variable_words(c) for c in r.confounders) or "none"
    return (
        f"- Data as known on {_day(r.as_of)}: enrollment, events and exits after that date are not used, so "
        "re-running this report on a newer extract gives the same numbers.",
        *_follow_up_rules(r),
        "- Time to relapse and time to dropout: Kaplan-Meier with Greenwood log(-log) 95% intervals; log-rank test; "
        "Cox proportional hazards with Efron ties; restricted mean survival time with its Greenwood-type SE. All "
        "agree with R's survival package (tested).",
        "- Retention: dropout is the event; completion and transfer are competing exits (Aalen-Johansen cumulative "
        "incidence, Gray's test, Fine-Gray subdistribution hazard ratio), as R's cmprsk.",
        f"- Self-selection: participants choose peer support. Adjusted and IPTW estimates use {conf}; they remove "
        "only the confounding these covariates capture.",
        *_imputation_method(r),
        "- Secondary outcomes: risk ratios (modified Poisson), rate ratios (negative binomial with exposure, or "
        "Poisson with robust SEs where the overdispersion cannot be estimated), and ANCOVA of follow-up scores.",
        "- The articles' figures are marketing claims, often unsourced and partly inconsistent; each is translated "
        "into an estimand with stated assumptions before it is compared with these data.",
        "- Privacy: counts from 1 to 10, and cells from which one could be derived, are suppressed (<11); shares "
        "of small counts show as bands; no estimate is shown while an arm has fewer than 11 participants. No "
        "identifier appears in this report.",
    )


def _imputation_method(r: QuarterlyResults) -> tuple[str, ...]:
    """How blank confounders were handled, when more than 5% of participants had one blank."""
    if r.imputation is None:
        return ()
    return (f"- Missing confounders: where a confounder was blank for more than 5% of participants, the adjusted "
            f"and IPTW analyses use {r.imputation.m} multiple imputations by chained equations (predictive mean "
            "matching for numbers, logistic draws for categories; relapse and its cumulative hazard in every "
            "imputation model), pooled by Rubin's rules with Barnard-Rubin degrees of freedom; the complete-case "
            "estimates are shown beside them. Set impute = 0 under [report] in outcomes.toml to use complete "
            "cases only.",)


def _follow_up_rules(r: QuarterlyResults) -> tuple[str, ...]:
    """The program's follow-up rules that ended someone's follow-up, in words (counts are in 'outcomes validate')."""
    ingestion = r.cohort.provenance.get("ingestion") or {}
    used = [str(k).removeprefix("follow-up ends at ") for k, v in ingestion.items()
            if str(k).startswith("follow-up ends at") and v and "relapse date" not in str(k)]
    if not used:
        return ()
    return (f"- Follow-up of participants without a relapse ended at {', else at '.join(used)}: the rules stated in "
            "the export's mapping ([followup]), applied in that order.",)


def _definitions(r: QuarterlyResults) -> Section:
    """What the report's words mean, for a reader who was not in the room."""
    lines = [
        "- Arms: clinical care only, and peer support added to clinical care. When the program records the day "
        "peer support started, a participant counts as receiving it only from that day.",
        "- Relapse: the first return to substance use the program recorded after enrollment (its date in the "
        "export). Time to relapse runs from enrollment; someone who has not relapsed is followed to their last "
        "known contact (the rules in the methods below).",
        "- Retention: still in treatment. Dropout (leaving against advice or without notice) ends it; completion "
        "and transfer are counted separately as competing exits, not as failures.",
        "- Follow-up windows: a participant is due for the 6-month follow-up once 210 days have passed since "
        "enrollment, and reached if still in contact at day 150 (180 days, plus or minus 30).",
        f"- As-of date: {_day(r.as_of)}, the quarter's last day. Everything recorded later is left out, so the "
        "numbers do not change when the report is re-run on a newer export.",
        "- Hazard ratio: how much more (above 1) or less (below 1) often relapse happened at any time in the "
        "peer support arm than with clinical care only. An interval that includes 1 means no clear difference.",
        "- Suppression: a count from 1 to 10 is shown as <11 (the CMS cell-size rule), and a count from which one "
        "could be worked out as suppressed.",
    ]
    return Section("Definitions", tuple(lines))


def _methods(r: QuarterlyResults) -> Section:
    return Section("Methods and caveats", methods_lines(r))


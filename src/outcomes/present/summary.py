"""The report's first section: 4-6 plain sentences with the quarter's key numbers, generated from results.

Counts follow the small-cell rule (and the difference rule: this quarter's
enrollment is not given when it would reveal a count from 1 to 10 enrolled before);
an analysis that could not be estimated says so, with its reason in the section below.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from ..core import formatting as fmt
from ..core.disclosure import is_small, revealed, share
from ..core.errors import OutcomesError
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.labels import variable_words
from ..sources.scan import ScannedCohort
from .enrolled import Enrolled

__all__ = ["imputation_sentence", "summary_sentences"]


def _words(n: float) -> str:
    """A count in a sentence: "fewer than 11" for 1-10."""
    return "fewer than 11" if is_small(n) else fmt.count(n)


def _arm(arm: str) -> str:
    if s.PROGRAM_LABELS.get().get(arm):  # the program's own name for the arm
        return f"in {s.arm_label(arm)}"
    return {s.CLINICAL: "with clinical care only", s.PEER_CLINICAL: "with peer support added"}.get(arm, f"in arm {arm}")


PRIMARY_ANALYSES = ("unadjusted", "adjusted", "weighted")


def summary_sentences(quarter: str, view: Cohort | ScannedCohort, start: dt.date, r: dict[str, Any],
                      now: dict[str, float], before: dict[str, float] | None, primary: str | None = None) -> list[str]:
    """Enrollment, retention, relapse, follow-up and the change since last quarter, one sentence each; first,
    when rows of the export were left out (the analyst allowed it), how many and why. ``r["enrolled"]``: who
    was enrolled (:func:`outcomes.present.enrolled.enrolled` of ``view``)."""
    sentences = [_enrollment(quarter, r["enrolled"], start), _retention(r), _relapse(r, primary), _imputed(r),
                 _follow_up_interviews(r["interview_follow_up"]) if r.get("interview_follow_up") is not None
                 else _follow_up(view), _change(now, before)]
    sentences = [x for x in sentences if x]
    left_out = _left_out(view)
    return [left_out, *sentences] if left_out else sentences


def _left_out(view: Cohort | ScannedCohort) -> str | None:
    info = view.provenance.get("exclusions") or {}
    if not info.get("rows"):
        return None
    reasons = "; ".join(str(k) for k in info.get("reasons", {}))
    return (f"{_words(info['rows']).capitalize()} of the {_words(info['rows considered'])} rows of the program's "
            f"export were left out of every analysis ({reasons}): the numbers below describe the rest, who may "
            "differ from those left out.")


def _enrollment(quarter: str, counted: Enrolled, start: dt.date) -> str:
    new, total, arms = counted.since(start), counted.total, counted.arms
    sizes = list(counted.by_arm().values())
    if any(is_small(n) for n in sizes):  # beside the total, the other arm's count would reveal the small one
        by_arm = " and ".join(f"fewer than 11 {_arm(a)}" for a, n in zip(arms, sizes) if is_small(n)) + \
            ", the rest " + " and ".join(_arm(a) for a, n in zip(arms, sizes) if not is_small(n))
    else:
        by_arm = " and ".join(f"{_words(n)} {_arm(a)}" for a, n in zip(arms, sizes))
    if is_small(total):
        return (f"By the end of {quarter}, fewer than 11 participants had enrolled; counts of 1 to 10 are not shown, "
                "and most comparisons wait until more participants and events accrue.")
    if all(is_small(n) for n in sizes):  # the total is not stated when it would give both arms (2, or 20)
        told = f"{_words(total)} have" if not revealed(sizes) else "fewer than 21 participants have"
        return (f"By the end of {quarter}, {told} enrolled, fewer than 11 in each arm; counts of 1 to 10 are not "
                "shown, and most comparisons wait until more participants and events accrue.")
    if is_small(total - new):  # the number enrolled before this quarter would follow by subtraction
        head = f"In {quarter}, most of the program's participants enrolled"
    else:
        head = f"In {quarter}, {_words(new)} participants enrolled"
    return f"{head}; {_words(total)} have enrolled to date ({by_arm})."


def _retention(r: dict[str, Any]) -> str:
    cr = r["competing"]
    if cr is None:
        return "Retention is not estimable this quarter (see the retention section for why)."
    parts = []
    for day in (90, 180):
        try:
            at = cr.cif_at([day]).set_index("arm")
        except OutcomesError:
            continue
        parts.append(f"at {day} days, " + " and ".join(
            f"{fmt.percent(1 - at.loc[a, 'cif'])} {_arm(a)}" for a in cr.arms))
    if not parts:
        return "Retention at 90 days is not estimable yet: follow-up is shorter than 90 days in an arm."
    return "Participants still in treatment (not dropped out): " + "; ".join(parts) + "."


def _relapse(r: dict[str, Any], primary: str | None = None) -> str:
    """The primary relapse comparison in words, the sensitivity analyses beside it.

    ``primary`` (``outcomes.toml``, ``[report] primary``): "unadjusted", "adjusted" or "weighted"; by default the
    adjusted one when confounders were recorded. With exposure start times, the time-varying model leads.
    """
    rel = r["relapse"]
    if rel is None:
        return ("The arms cannot be compared on relapse this quarter: there are too few relapses, or none in an arm "
                "(see the relapse section).")
    ref, trt = rel.arms
    exposure = r.get("exposure")
    if exposure is not None:  # peer support from its first contact
        return _hazard_sentence(exposure.time_varying, ("while in peer support, counted from the first peer "
                                                        "contact, than without it", "with and without peer support, "
                                                        "counted from the first peer contact"), "")
    found = {"unadjusted": rel, "adjusted": r.get("relapse_adjusted"), "weighted": r.get("relapse_iptw")}
    chosen = primary or ("adjusted" if found["adjusted"] is not None else "unadjusted")
    note = ""
    if found[chosen] is None:
        note = f" (the declared primary analysis, {chosen}, was not estimable this quarter)"
        chosen = "unadjusted"
    how = {"unadjusted": "", "adjusted": ", adjusted for the recorded confounders",
           "weighted": ", weighting by the inverse probability of choosing peer support"}[chosen]
    others = [f"{name} {_hr_text(res.hazard_ratio)}" for name, res in found.items()
              if res is not None and name != chosen]
    sensitivity = f"; sensitivity analyses: {', '.join(others)}" if others else ""
    return _hazard_sentence(found[chosen].hazard_ratio, (f"{_arm(trt)} than {_arm(ref)}{how}",
                                                         f"{_arm(ref)} and {_arm(trt)}{how}"), sensitivity + note)


def imputation_sentence(record: Any) -> str:
    """What was imputed, on how many, and the complete-case adjusted ratio beside (small counts in words, and no
    complete-case count when the imputed one is small: it would be the difference from the total)."""
    if record is None:
        return ""
    on_what = "; ".join(f"{variable_words(row.covariate)} for " + (
        "fewer than 11 participants" if is_small(row.blank) else f"{fmt.count(row.blank)} ({fmt.percent(row.share)})")
        for row in record.blanks.itertuples())
    text = (f"Blank confounders were filled in by multiple imputation ({_words(record.m)} completed data sets, pooled "
            f"by Rubin's rules) for the adjusted and weighted analyses: {on_what}")
    cc = record.complete_cases.get("adjusted")
    if cc is not None:
        who = "" if is_small(record.n_participants) else f" {fmt.count(record.n_complete)}"
        text += (f"; on the{who} participants with every confounder recorded, the adjusted hazard ratio is "
                 f"{_hr_text(cc.hazard_ratio)}")
    return text + "."


def _imputed(r: dict[str, Any]) -> str:
    return imputation_sentence(r.get("imputation"))


def _hr_text(hr: Any) -> str:
    return fmt.estimate_with_interval(hr.value, hr.ci_lower, hr.ci_upper)


def _hazard_sentence(hr: Any, who: tuple[str, str], tail: str) -> str:
    """``who``: the comparison after "lower/higher" ("with X than with Y") and after "between" ("with Y and with
    X"): an interval that includes 1 is "no clear difference", whatever the point estimate."""
    if hr.ci_lower <= 1 <= hr.ci_upper:
        lead = f"There was no clear difference in the hazard of relapse between those {who[1]}"
    else:
        lead = (f"The hazard of relapse was {fmt.percent(abs(1 - hr.value))} {'lower' if hr.value < 1 else 'higher'} "
                f"{who[0]}")
    return f"{lead} (hazard ratio {fmt.ratio(hr.value)}, 95% CI {fmt.interval(hr.ci_lower, hr.ci_upper)}{tail})."


def _follow_up(view: Cohort | ScannedCohort) -> str:
    if isinstance(view, ScannedCohort):
        return ("Follow-up against SAMHSA's 80% target is not computed from scanned files: a scan does not read "
                "last-contact dates.")
    if s.FOLLOWUP_DAYS not in view.df:
        return "Follow-up against SAMHSA's 80% target cannot be computed: the extract has no last-contact dates."
    df = view.df
    days_enrolled = (pd.Timestamp(view.as_of) - df[s.ENROLL_DATE]).dt.days
    due = days_enrolled >= 210
    if not due.any():
        return "Nobody has reached the end of the 6-month follow-up window yet (SAMHSA's target: 80% reached)."
    reached = int((due & (df[s.FOLLOWUP_DAYS] >= 150)).sum())
    if is_small(int(due.sum())):
        return "Fewer than 11 participants are due for the 6-month follow-up so far (SAMHSA's target: 80% reached)."
    rate: str = share(reached, int(due.sum()))
    meets = "meeting" if reached / due.sum() >= 0.8 else "short of"
    if not rate[:1].isdigit():  # a band ("> 35%") beside the verdict reads oddly: the target itself bounds it
        rate = "at least 80%" if meets == "meeting" else "fewer than 80%"
    per_arm = [(int((due & (df[s.ARM] == a)).sum()), int((due & (df[s.ARM] == a) & (df[s.FOLLOWUP_DAYS] >= 150)).sum()))
               for a in view.arms]
    # the follow-up table gives each arm's numbers: beside a hidden one, the total would reveal it
    hidden = any(is_small(n) or is_small(r) or is_small(n - r) for n, r in per_arm)
    whom = "the participants due" if hidden else f"the {_words(int(due.sum()))} participants due"
    return (f"At the 6-month follow-up, {rate} of {whom} were reached, {meets} SAMHSA's 80% target (a proxy from "
            "last-contact dates: no interview records were given).")


def _follow_up_interviews(rates: Any) -> str:
    """The follow-up interviews (reassessment, annual, closeout) completed in their windows, against the target;
    no total beside a table row it would reveal."""
    table = rates.rates[rates.rates.window != "baseline"]
    due, done = int(table.due.sum()), int(table.completed.sum())
    target = f"the funder's {fmt.percent(rates.target)} target"
    if due == 0:
        return f"No follow-up interview was due yet ({target} applies once reassessment windows close)."
    if is_small(due):
        return f"Fewer than 11 follow-up interviews were due so far ({target})."
    meets = "meeting" if done / due >= rates.target else "short of"
    rate: str = share(done, due)
    hidden = any(is_small(n) or is_small(c) or is_small(n - c) for n, c in zip(table.due, table.completed))
    if hidden or not rate[:1].isdigit():
        rate = f"at least {fmt.percent(rates.target)}" if meets == "meeting" else f"under {fmt.percent(rates.target)}"
    whom = "the follow-up interviews due" if hidden else f"the {_words(due)} follow-up interviews due"
    return (f"Of {whom} (reassessments, annual and closeout interviews), {rate} were completed in their window, "
            f"{meets} {target}.")


def _change(now: dict[str, float], before: dict[str, float] | None) -> str:
    if before is None:
        return "This is the program's first quarter with participants: there is no earlier quarter to compare."
    enrolled_now, enrolled_before = now["Participants enrolled to date"], before["Participants enrolled to date"]
    growth = enrolled_now - enrolled_before
    if not (fmt.is_number(enrolled_now) and fmt.is_number(enrolled_before)):  # a total hidden (it would reveal arms)
        text = "Since last quarter, more participants enrolled (the totals are not shown: they would reveal small arms)"
    elif is_small(growth):
        text = "Since last quarter, enrollment to date grew by fewer than 11 participants"
    else:
        text = f"Since last quarter, enrollment to date grew from {_words(enrolled_before)} to {_words(enrolled_now)}"
    key = "Hazard ratio of relapse (unadjusted)"
    if fmt.is_number(now.get(key, np.nan)) and fmt.is_number(before.get(key, np.nan)):
        text += f", and the hazard ratio of relapse moved from {fmt.ratio(before[key])} to {fmt.ratio(now[key])}"
    return text + "."

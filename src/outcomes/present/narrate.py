"""``narrate``: Markdown sentences generated from result objects, never typed by hand.

Every number in a sentence comes from the result it narrates; counts from 1 to
10 are written as "fewer than 11" (CMS cell-size rule).
"""

from __future__ import annotations

import functools

import numpy as np

from ..model import schema as s
from ..model.labels import variable_words
from ..model.outcome_registry import secondary_outcome
from ..claims.catalog import SOURCES
from ..claims.consistency import ClaimsAudit
from ..analyses.compare_arms import ArmComparison
from ..analyses.competing import CompetingRisks
from ..analyses.exposure import ExposureComparison
from ..analyses.interviews import DOMAINS, ChangeFromIntake, FollowUpRates
from ..analyses.recurrent import METHOD_WORDS, RecurrentComparison
from ..claims.evidence import MetaAnalysis
from ..core.disclosure import audit_text, is_small, share
from ..core.errors import InputError, NotEstimableError
from ..claims.reconcile import Reconciliation, estimand_info
from ..core.results import Estimate, Result
from ..analyses.secondary import SecondaryComparison
from ..core import formatting as fmt
from ..core.formatting import plain

__all__ = ["narrate"]


def _who(arm: str) -> str:
    """How a sentence names an arm: "clinical only" for the canonical labels, "arm 2" for others."""
    return s.arm_label(arm).lower() if arm in s.ARM_LABELS else f"arm {arm}"


def _the_arm(arm: str) -> str:
    """As a sentence's subject: "the peer support + clinical arm", or "arm 2"."""
    return f"the {_who(arm)} arm" if arm in s.ARM_LABELS else _who(arm)


def _with(arm: str) -> str:
    """After "people": "with peer support added", "with clinical care only", or "in arm placebo" (or in the
    program's own name for the arm)."""
    if s.PROGRAM_LABELS.get().get(arm):
        return f"in {s.arm_label(arm)}"
    return {s.CLINICAL: "with clinical care only", s.PEER_CLINICAL: "with peer support added"}.get(arm, f"in arm {arm}")


def _count(n: float) -> str:
    return "fewer than 11" if is_small(n) else f"{int(n):,}"


def _pct(x: float) -> str:
    return fmt.percent(x)


def _pcts(lower: float, upper: float) -> str:
    """An interval of percentages in words: "12% to 31%" (or "not estimable")."""
    return fmt.interval(lower, upper, 0, scale="percent")


def _ci(lower: float, upper: float) -> str:
    """An interval of ratios in words: "0.54 to 0.74"."""
    return fmt.interval(lower, upper)


def _p(p: float) -> str:
    return "p " + fmt.p_phrase(p)


def _listed(columns: tuple[str, ...] | list[str]) -> str:
    """Covariates in words: "age, sex and co-occurring mental illness"."""
    words = [variable_words(c) for c in columns]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _level(alpha: float) -> str:
    return f"{plain(100 * (1 - alpha))}%"


def narrate(result: object) -> str:
    """Markdown sentences describing ``result``.

    Works on every result of the package: :class:`ArmComparison`, :class:`CompetingRisks`,
    :class:`SecondaryComparison`, :class:`Reconciliation`, :class:`ClaimsAudit`, :class:`Estimate`, the
    exposure, recurrent, interview and meta-analysis results, and the others.

    Examples
    --------
    >>> import outcomes as oc
    >>> cohort = oc.synthetic_cohort(n=2000, seed=1, randomized=True)
    >>> text = oc.narrate(oc.compare_arms(cohort, "relapse"))
    >>> text.startswith("In this cohort, 12-month relapse was")
    True
    """
    return audit_text(_describe(result))  # no count of people from 1 to 10, whatever the result's text holds


@functools.singledispatch
def _describe(result: object) -> str:
    if isinstance(result, Result):  # a result without its own sentences: its notes (built by the result itself)
        notes = [n.strip() for n in result.notes() if n.strip()]
        return " ".join(n if n.endswith(".") else f"{n}." for n in notes) or f"{result.title}: see its table."
    raise InputError(f"narrate() does not know how to describe a {type(result).__name__}")


@_describe.register
def _(result: ArmComparison) -> str:
    ref, trt = result.arms
    level = _level(result.alpha)
    n = result.counts.set_index("arm")
    events = f"{_count(n.events.sum())} {'relapses' if result.event == 'relapse' else 'dropouts'} observed"
    if is_small(n.loc[ref, "n"]) or is_small(n.loc[trt, "n"]):  # a total beside an arm would reveal the other
        parts = [f"The cohort has {_count(n.loc[ref, 'n'])} {_who(ref)} and {_count(n.loc[trt, 'n'])} {_who(trt)} "
                 f"participants, with {events}."]
    else:
        parts = [f"The cohort has {_count(n.n.sum())} participants: {_count(n.loc[ref, 'n'])} {_who(ref)} "
                 f"and {_count(n.loc[trt, 'n'])} {_who(trt)}, with {events}."]
    day = 365.0 if result.event == "relapse" else min(180.0, result.horizon)
    what = ("12-month relapse" if (result.event == "relapse" and day == 365.0)
            else f"{result.event} by day {plain(day)}")
    try:
        at = result.survival_at([day]).set_index("arm")
        r0, r1 = 1 - at.loc[ref], 1 - at.loc[trt]
        parts.insert(0, (
            f"In this cohort, {what} was {_pct(r0.survival)} ({level} CI {_pcts(r0.ci_upper, r0.ci_lower)}) "
            f"{'with clinical care only' if ref == s.CLINICAL else f'in {_who(ref)}'} and {_pct(r1.survival)} "
            f"({_pcts(r1.ci_upper, r1.ci_lower)}) "
            f"{'with peer support added' if trt == s.PEER_CLINICAL else f'in {_who(trt)}'}."
        ))
    except NotEstimableError:
        parts.insert(0, f"In this cohort, follow-up is too short to estimate {what} in both arms.")
    hr = result.hazard_ratio
    adjusted = f" after adjusting for {_listed(result.adjust)}" if result.adjust else ""
    if hr.ci_lower <= 1 <= hr.ci_upper:
        how = f"There was no clear difference in the hazard of {result.event} in {_the_arm(trt)}{adjusted}"
    else:
        how = (f"The hazard of {result.event} was {_pct(abs(1 - hr.value))} {'lower' if hr.value < 1 else 'higher'} "
               f"in {_the_arm(trt)}{adjusted}")
    test = "log-rank" if result.test.name == "log-rank" else "robust Wald test"
    parts.append(f"{how} (hazard ratio {hr.value:.2f}, {level} CI {_ci(hr.ci_lower, hr.ci_upper)}; {test} "
                 f"{_p(result.test.p_value)}).")
    d = result.rmst_difference
    more = "more" if d.value >= 0 else "fewer"
    parts.append(
        f"Over the first {plain(result.horizon)} days, {_the_arm(trt)} spent on average "
        f"{abs(d.value):.0f} {more} days free of {result.event} ({level} CI {d.ci_lower:.0f} to {d.ci_upper:.0f})."
    )
    return " ".join(parts)


@_describe.register
def _(result: CompetingRisks) -> str:
    ref, trt = result.arms
    horizon = min(c.last_time for c in result.curves.values())
    day = min(180.0, horizon)
    at = result.cif_at([day]).set_index("arm")
    fg = result.fine_gray
    return (
        f"By day {plain(day)}, {_pct(at.loc[ref, 'cif'])} ({_level(result.alpha)} CI "
        f"{_pcts(at.loc[ref, 'ci_lower'], at.loc[ref, 'ci_upper'])}) of {_who(ref)} participants had left treatment "
        f"by {result.cause}, against {_pct(at.loc[trt, 'cif'])} "
        f"({_pcts(at.loc[trt, 'ci_lower'], at.loc[trt, 'ci_upper'])}) with {_who(trt)}, counting completion and "
        f"transfer as competing exits (Gray's test {_p(result.gray.p_value)}; subdistribution hazard ratio "
        f"{fg.value:.2f}, {_ci(fg.ci_lower, fg.ci_upper)})."
    )


@_describe.register
def _(result: SecondaryComparison) -> str:
    e = result.estimate
    ref, trt = result.arms
    lead = (f"For {secondary_outcome(result.outcome).words}, the {result.measure} of {_who(trt)} against "
            f"{_who(ref)} was {e.value:.2f} ({_level(result.alpha)} CI {_ci(e.ci_lower, e.ci_upper)}, "
            f"{_p(e.p_value)})")
    if is_small(result.n_excluded):  # beside the cohort's size, the number used would reveal those left out
        return lead + ", from every participant with a value (fewer than 11 without one were left out)."
    lead += f", from {_count(result.n_used)} participants"
    if result.n_excluded:
        lead += f" ({_count(result.n_excluded)} without a value left out)"
    return lead + "."


@_describe.register
def _(result: ExposureComparison) -> str:
    naive, tv, rr = result.naive, result.time_varying, result.risk_ratio
    level = _level(result.alpha)
    return (
        f"Counting everyone who ever met a peer coach as exposed from enrollment gives a hazard ratio of "
        f"{naive.value:.2f}, but that credits peer support with {result.immortal_days:,.0f} days before the first "
        f"contact, days in which nobody could have a {result.event}, since only those still free of it could be "
        f"connected: it is biased in peer support's favour (immortal time). Counting exposure from the day it "
        f"starts, the hazard ratio is {tv.value:.2f} ({level} CI {_ci(tv.ci_lower, tv.ci_upper)}, "
        f"{_p(tv.p_value)}); in an emulated trial of starting peer support within {plain(result.grace)} days or not, "
        f"the risk of {result.event} by day {plain(result.horizon)} is {rr.value:.2f} times as high when starting "
        f"({level} CI {_ci(rr.ci_lower, rr.ci_upper)})."
    )


@_describe.register
def _(result: RecurrentComparison) -> str:
    ref, trt = result.arms
    day = min(365.0, *result.follow_up_ends)
    hr = result.hazard_ratio
    counting = (f"Counting every relapse, not only the first, the hazard ratio was {hr.value:.2f} "
                f"({_level(result.alpha)} CI {_ci(hr.ci_lower, hr.ci_upper)}; {METHOD_WORDS[result.method]} "
                "model, robust SE clustered by participant).")
    try:
        d = result.difference_at(day)
    except NotEstimableError:
        return counting
    fewer = "fewer" if d.value < 0 else "more"
    lower, upper = (-d.ci_upper, -d.ci_lower) if d.value < 0 else (d.ci_lower, d.ci_upper)  # "0.4 fewer, 0.2 to 0.6"
    lead = (f"By day {plain(day)}, people {_with(trt)} had {abs(d.value):.1f} {fewer} relapses each than people "
            f"{_with(ref)}, {_level(result.alpha)} CI {fmt.interval(lower, upper, 1)}")
    if d.ci_lower <= 0 <= d.ci_upper:
        lead += ": no clear difference"
    return f"{lead}. {counting}"


@_describe.register
def _(result: Estimate) -> str:
    return (f"The {result.measure} was {plain(result.value, 3)} ({_level(result.alpha)} CI "
            f"{plain(result.ci_lower, 3)} to {plain(result.ci_upper, 3)}, {_p(result.p_value)}).")


def _effect(estimand: str, value: float, low: float | None = None, high: float | None = None) -> str:
    null, scale, _ = estimand_info(estimand)
    if scale == "log" and null == 1.0:
        if high is not None and low is not None:
            if high < 1:
                return f"{_pct(1 - value)} lower ({_pcts(1 - high, 1 - low)})"
            if low > 1:
                return f"{value:.2f} times ({_ci(low, high)})"
            return f"{value:.2f} times ({_ci(low, high)}): no clear difference"
        return f"{_pct(1 - value)} lower" if value < 1 else f"{value:.2f} times"
    if high is not None and low is not None:
        return f"{fmt.percent(value, 1)} ({fmt.interval(low, high, 1, scale='percent')})"
    return f"{100 * value:.1f}%"


@_describe.register
def _(result: Reconciliation) -> str:
    from ..claims.catalog import registry

    reg = registry().set_index("claim_id")
    lines = []
    rows = result.rows.drop_duplicates(subset=["source", "estimand", "claimed", "reading"])
    for row in rows.itertuples():
        short, title = SOURCES[row.source]
        figure = reg.loc[row.claim_id, "figure"]
        verdict_word, _, reason = row.verdict.partition(":")
        if np.isnan(row.estimate):
            lines.append(f"- '{title}' ({short}) claims {figure} ({estimand_info(row.estimand)[2]}); "
                         f"not estimable here:{reason}.")
            continue
        reading = f"read as {row.reading}: " if row.reading in ("relative", "absolute") else ""
        tail = {"consistent": "consistent with it", "smaller effect": "a smaller effect than claimed",
                "larger effect": "a larger effect than claimed"}.get(verdict_word, verdict_word)
        lines.append(
            f"- '{title}' ({short}) claims {figure} ({reading}{estimand_info(row.estimand)[2]} {row.claimed}); "
            f"this cohort's estimate is {_effect(row.estimand, row.estimate, row.ci_lower, row.ci_upper)}, {tail}."
        )
    return "\n".join(lines)


@_describe.register
def _(result: ClaimsAudit) -> str:
    conflicts = result.conflicts()
    lo, hi = result.baseline_range
    head = (f"Of {len(result.pairs)} pairs of relapse and retention claims, {len(conflicts)} cannot both hold at a "
            f"baseline relapse risk of {_pcts(lo, hi)} (NIDA's range, quoted in 003):")
    lines = [f"- {row.claim_a} vs {row.claim_b}: {row.arithmetic}" for row in conflicts.itertuples()]
    return head + "\n" + "\n".join(lines)


@_describe.register
def _(result: FollowUpRates) -> str:
    follow = result.rates[result.rates.window != "baseline"]
    due, done = int(follow.due.sum()), int(follow.completed.sum())
    if due == 0:
        return "No follow-up interview (reassessment, annual or closeout) was due yet."
    per_arm = follow.groupby("arm")[["due", "completed"]].sum()
    arms = "; ".join(f"{share(per_arm.loc[a, 'completed'], per_arm.loc[a, 'due'])} {_with(a)}"
                     for a in result.arms if a in per_arm.index)
    meets = "meeting" if done / due >= result.target else "short of"
    return (f"Of {_count(due)} follow-up interviews due (reassessment, annual and closeout), "
            f"{share(done, due)} were completed inside their windows ({arms}), {meets} the "
            f"{fmt.percent(result.target)} target. Early, late and refused interviews do not count.")


@_describe.register
def _(result: ChangeFromIntake) -> str:
    sentences = []
    for domain, rows in result.changes.groupby("domain", sort=False):
        rows = rows.set_index("arm")
        if not all(a in rows.index and not is_small(rows.loc[a, "pairs"]) for a in result.arms):
            continue
        parts = [f"from {share(round(r.baseline_share * r.pairs), r.pairs)} to "
                 f"{share(round(r.followup_share * r.pairs), r.pairs)} {_with(a)}"
                 for a, r in ((a, rows.loc[a]) for a in result.arms)]
        sentences.append(f"{DOMAINS[str(domain)].capitalize()}: {' and '.join(parts)}.")
    if not sentences:
        return (f"The change from intake to the {result.point} interview is not shown: an arm has fewer than 11 "
                "participants with both interviews.")
    compared = [f"{DOMAINS[r.domain]} {fmt.number(r.difference_points, 1)} points ({_level(result.alpha)} CI "
                f"{fmt.interval(r.ci_lower, r.ci_upper, 1)})" for r in result.comparison.itertuples()]
    tail = (f" Peer support's change minus clinical care's: {'; '.join(compared)}." if compared else "")
    return f"From intake to the {result.point} interview, among those with both: " + " ".join(sentences) + tail


@_describe.register
def _(result: MetaAnalysis) -> str:
    return result.ratio_sentence()

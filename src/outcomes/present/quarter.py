"""One quarter, computed once: every analysis as known at the quarter's end, and what people may see of it.

:func:`compute_quarter` runs the analyses of the quarterly report on the cohort
as known on the quarter's last day. An analysis that cannot be estimated is kept
as its reason (``not_estimable``), never as a crash; its caveats (warnings) become
notes. The human tables (:mod:`outcomes.present.tables`), the summary sentences
and the trend over the last quarters are built here, once; every document format
renders these and nothing else.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..analyses.arm_comparison import ArmComparison
from ..analyses.compare_arms import compare_arms
from ..analyses.competing import CompetingRisks, cumulative_incidence, retention_everyone
from ..analyses.recurrent import RecurrentComparison, compare_recurrent
from ..analyses.exposure import ExposureComparison, compare_exposure
from ..analyses.impute import impute
from ..analyses.interviews import ChangeFromIntake, FollowUpRates, change_from_intake, follow_up
from ..model.interviews import Interviews
from ..analyses.secondary import SecondaryComparison, compare_secondary
from ..analyses.propensity import Balance, balance
from ..claims.reconcile import Reconciliation, reconcile
from ..core.disclosure import is_small, revealed
from ..core.caveats import quiet_caveats
from ..core.progress import step
from ..core.errors import InputError, NotEstimableError, OutcomesError
from ..core.results import Estimate
from ..model import schema as s
from ..model.asof import as_of, previous_quarter, quarter_bounds
from ..model.cohort import Cohort
from ..model.outcome_registry import SECONDARY_OUTCOMES
from . import tables as t
from ..sources.extract.read import check_exclusions
from .summary import PRIMARY_ANALYSES, summary_sentences
from .enrolled import Enrolled, enrolled
from ..sources.scan import ScannedCohort

__all__ = ["ImputationRecord", "QuarterlyResults", "attempt", "compute_quarter", "trend"]

T = TypeVar("T")

#: A confounder blank for more than this share of participants is imputed for the adjusted and weighted analyses.
IMPUTE_ABOVE = 0.05
DEFAULT_IMPUTATIONS = 20
#: Bootstrap replicates per imputation of the IPTW intervals (20 imputations x 50 = 1,000 in all).
BOOTSTRAP_PER_IMPUTATION = 50


def attempt(fn: Callable[[], T], what: str, notes: list[str], reasons: dict[str, str]) -> T | None:
    """Run one analysis: its result, or None with the reason kept in ``reasons[what]``; the caveats the result
    carries go to ``notes`` (read from the result, not caught as warnings)."""
    try:
        with quiet_caveats(), step(what):
            result = fn()
    except OutcomesError as exc:
        reasons[what] = str(exc)
        return None
    for message in dict.fromkeys(getattr(result, "caveats", ())):
        notes.append(f"{what}: {message}")
    return result


@dataclass(frozen=True, kw_only=True, eq=False)
class QuarterlyResults:
    """The analyses of one quarter (as known at its last day), and the tables and sentences built from them.

    ``not_estimable`` maps an analysis (``"relapse"``, ``"IPTW relapse"``, ...) to the reason it could not
    be estimated this quarter; its result field is then None.
    """

    quarter: str
    start: dt.date
    as_of: dt.date
    cohort: Cohort | ScannedCohort  # as known at the quarter's end; a scanned one stays in its engine
    previous: Cohort | ScannedCohort | None  # as known at last quarter's end: enrollment and the outcomes only
    relapse: ArmComparison | None
    relapse_adjusted: ArmComparison | None
    relapse_iptw: ArmComparison | None
    retention: ArmComparison | None
    competing: CompetingRisks | None
    secondary: dict[str, SecondaryComparison]
    reconciliation: Reconciliation | None
    balance: Balance | None
    exposure: ExposureComparison | None  # when peer support starts after enrollment: exposure from its start
    recurrent: RecurrentComparison | None = None  # when the cohort carries every relapse episode
    imputation: ImputationRecord | None = None  # blank confounders imputed for the adjusted and weighted analyses
    interview_follow_up: FollowUpRates | None = None  # follow-up counted from interviews, when the program gave them
    interview_change: ChangeFromIntake | None = None  # the GPRA/NOMs domains from intake to follow-up
    enrolled: Enrolled  # who was enrolled, by site, arm and quarter: the enrollment table, figure and sentence
    computed: dict[str, str] = field(default_factory=dict)  # of a scan: how each section was computed
    confounders: tuple[str, ...]
    notes: list[str]
    not_estimable: dict[str, str]
    tables: dict[str, pd.DataFrame] = field(repr=False)
    summary: list[str]
    trend: pd.DataFrame

    def hazard_ratios(self) -> list[tuple[str, Estimate]]:
        """The relapse hazard ratios that were estimated: unadjusted, adjusted, IPTW."""
        pairs = (("unadjusted", self.relapse), ("adjusted", self.relapse_adjusted), ("IPTW", self.relapse_iptw))
        return [(label, res.hazard_ratio) for label, res in pairs if res is not None]


def compute_quarter(cohort: Cohort, quarter: str, *, bootstrap: int = 100, seed: int = 0,
                    trend_quarters: int = 8, allow_exclusions: bool = False,
                    primary: str | None = None, imputations: int = DEFAULT_IMPUTATIONS,
                    interviews: Interviews | pd.DataFrame | None = None) -> QuarterlyResults:
    """Run every analysis of the quarterly report on the cohort as known at the quarter's end.

    A cohort read from an export with many rows left out, or left out selectively by outcome, is refused
    (:func:`outcomes.sources.extract.check_exclusions`) unless ``allow_exclusions``; the summary then opens
    with what was left out. When a confounder is blank for more than 5% of participants
    (:data:`IMPUTE_ABOVE`), the adjusted and weighted analyses run on ``imputations`` multiple imputations
    (:func:`outcomes.impute`, pooled by Rubin's rules) with the complete-case results beside them
    (:class:`ImputationRecord`); ``imputations=0`` keeps complete cases only. ``interviews`` (the program's
    follow-up interviews, :func:`outcomes.read_interviews` or a frame of the canonical columns): the follow-up
    section counts interviews held in their windows; without them it is a proxy from last-contact dates, and
    says so.

    Raises
    ------
    InputError
        No enrollment dates, a quarter after the cohort's as-of date, nobody enrolled by the quarter's end, or an
        outcome-selected sample (above).

    Examples
    --------
    >>> import outcomes as oc
    >>> from outcomes.present.quarter import compute_quarter
    >>> r = compute_quarter(oc.synthetic_cohort(n=60, seed=2), "2026Q3", bootstrap=50)
    >>> r.summary[0].startswith("In 2026Q3")
    True
    """
    if not isinstance(cohort, Cohort):
        raise InputError(f"compute_quarter takes a Cohort, not {type(cohort).__name__}; use compute_scanned_quarter")
    start, end = quarter_bounds(quarter)
    if primary is not None and primary not in PRIMARY_ANALYSES:
        raise InputError(f"primary analysis must be one of {list(PRIMARY_ANALYSES)}, not {primary!r}")
    check_exclusions(cohort, allow_exclusions)
    view = _view(cohort, quarter, end)
    prev_end = quarter_bounds(previous_quarter(quarter))[1]
    # last quarter's view gives the change table its enrollment and unadjusted relapse: only those columns
    earlier = (view.df[s.ENROLL_DATE] <= pd.Timestamp(prev_end)).any()
    previous = as_of(_trend_columns(cohort), prev_end) if earlier else None
    notes: list[str] = []
    reasons: dict[str, str] = {}
    if not (isinstance(imputations, int) and (imputations == 0 or imputations >= 2)):
        raise InputError(f"imputations must be 0 (complete cases only) or a whole number of at least 2, not "
                         f"{imputations!r}")
    heard = _interview_results(view, cohort, cohort.interviews if interviews is None else interviews, notes, reasons)
    results = {**_analyses(view, notes, reasons, bootstrap, seed, imputations, heard["interview_follow_up"]), **heard,
               "enrolled": enrolled(view)}
    previous_relapse = _quiet_relapse(previous)
    before = _key_numbers(enrolled(previous), previous_relapse) if previous is not None else None
    now = _key_numbers(results["enrolled"], results["relapse"])
    tables = _tables(view, start, results, now, before, view)
    with step(f"trend over {trend_quarters} quarters"):
        trend_table = trend(cohort, quarter, quarters=trend_quarters,
                            known={quarter: results["relapse"], previous_quarter(quarter): previous_relapse})
    hide_revealing_total(trend_table, quarter, results["enrolled"])
    return QuarterlyResults(quarter=quarter, start=start, as_of=end, cohort=view, previous=previous, notes=notes,
                            not_estimable=reasons, tables=tables, trend=trend_table,
                            summary=summary_sentences(quarter, view, start, results, now, before, primary), **results)


def hide_revealing_total(trend_table: pd.DataFrame, quarter: str, counted: Enrolled) -> None:
    """Hide this quarter's enrolled total in the trend when it would give both (small) arms' sizes."""
    if total_reveals_arms(counted):
        trend_table.loc[trend_table.quarter == quarter, "enrolled"] = np.nan


def _view(cohort: Cohort, quarter: str, end: dt.date) -> Cohort:
    if s.ENROLL_DATE not in cohort.df.columns:
        hint = ("; this looks like a Safe Harbor extract, which keeps only the enrollment year: a limited data set "
                "(deidentify(..., level='limited_data_set'), under a data use agreement) keeps the dates"
                if "enroll_year" in cohort.df.columns else "")
        raise InputError(f"a quarterly report needs enrollment dates (enroll_date) to know who was enrolled when{hint}")
    if cohort.as_of is not None and end > cohort.as_of:
        raise InputError(f"quarter {quarter} ends on {end}, after this cohort's as-of date {cohort.as_of}: "
                         "choose an earlier quarter, or a newer extract")
    if not (cohort.df[s.ENROLL_DATE] <= pd.Timestamp(end)).any():
        raise InputError(f"nobody was enrolled by the end of {quarter} ({end}): choose a later quarter")
    return as_of(cohort, end)


#: Why no estimate is shown while an arm has 1-10 participants: a percentage or a curve of so few reveals counts.
SMALL_ARM_REASON = ("an arm has fewer than 11 participants: estimates are shown once both arms have at least 11 "
                    "(CMS cell-size rule)")


def _analyses(view: Cohort, notes: list[str], reasons: dict[str, str], bootstrap: int, seed: int,
              imputations: int, interviews: FollowUpRates | None = None) -> dict[str, Any]:
    confounders = view.recorded_covariates
    has = view.outcomes
    if _has_small_arm(view):
        reasons.update({what: SMALL_ARM_REASON for what in ("relapse", "retention", "leaving treatment",
                                                              "secondary outcomes", "claims")})
        return dict(relapse=None, relapse_adjusted=None, relapse_iptw=None, retention=None, competing=None,
                    secondary={}, reconciliation=None, balance=None, confounders=confounders, exposure=None,
                    recurrent=None, imputation=None)

    def run(what: str, fn: Callable[[], T], needs: bool = True) -> T | None:
        return attempt(fn, what, notes, reasons) if needs else None

    relapse = run("relapse", lambda: compare_arms(view, "relapse"), "relapse" in has)
    competing = run("leaving treatment", lambda: cumulative_incidence(view), "retention" in has)
    secondary = {}
    exposure = run("relapse from the first peer contact",
                   lambda: compare_exposure(view, "relapse", adjust=confounders, bootstrap=bootstrap, seed=seed),
                   relapse is not None and s.EXPOSURE_START in view.df.columns)
    recurrent = run("repeat relapses", lambda: compare_recurrent(view, view.events, adjust=confounders),
                    view.events is not None and s.FOLLOWUP_DAYS in view.df.columns)
    known: dict[str, object] = {"relapse": relapse, "competing": competing, "interviews": interviews}
    for key, value in (("exposure", exposure), ("recurrent", recurrent)):
        if value is not None:
            known[key] = value
    for name, spec in SECONDARY_OUTCOMES.items():
        if all(c in view.df.columns and view.df[c].notna().any() for c in spec.column_names):
            res = run(spec.words, functools.partial(compare_secondary, view, name))
            known[f"secondary:{name}"] = res if res is not None else NotEstimableError(reasons[spec.words])
            if res is not None:
                secondary[name] = res
    adjusted, iptw, imputation = (_adjusted(view, confounders, run, bootstrap, seed, imputations)
                                  if relapse is not None and confounders else (None, None, None))
    return dict(
        relapse=relapse,
        relapse_adjusted=adjusted,
        relapse_iptw=iptw,
        imputation=imputation,
        retention=run("retention", lambda: compare_arms(view, "retention"), "retention" in has),
        competing=competing,
        secondary=secondary,
        reconciliation=run("claims", lambda: reconcile(view, results=known)),
        balance=run("balance", lambda: balance(view, confounders, weights="iptw",
                                               propensity=_own_model(iptw, imputation)), iptw is not None),
        confounders=confounders,
        exposure=exposure,
        recurrent=recurrent,
    )


@dataclass(frozen=True)
class ImputationRecord:
    """Blank confounders filled in by multiple imputation for the adjusted and weighted analyses.

    Attributes
    ----------
    m : int
        Completed data sets.
    blanks : DataFrame
        ``covariate, blank, share``: participants with that confounder blank, per confounder with blanks.
    n_participants, n_complete : int
        Participants with at least one blank confounder; participants with none (the complete cases).
    complete_cases : dict
        ``"adjusted"`` and ``"IPTW"``: the same analyses on complete cases only, shown beside.
    """

    m: int
    blanks: pd.DataFrame
    n_participants: int
    n_complete: int
    complete_cases: dict[str, ArmComparison]


def _adjusted(view: Cohort, confounders: tuple[str, ...], run: Callable[..., Any], bootstrap: int, seed: int,
              imputations: int) -> tuple[ArmComparison | None, ArmComparison | None, ImputationRecord | None]:
    """The adjusted and IPTW relapse comparisons: on complete cases, or (a confounder blank for more than
    :data:`IMPUTE_ABOVE` of participants) pooled over imputations with the complete-case ones kept beside."""
    def complete_cases(label: str = "") -> tuple[ArmComparison | None, ArmComparison | None]:
        return (run(f"adjusted relapse{label}", lambda: compare_arms(view, "relapse", adjust=confounders)),
                run(f"IPTW relapse{label}", lambda: compare_arms(view, "relapse", adjust=confounders,
                                                                 weights="iptw", bootstrap=bootstrap, seed=seed)))

    blank = view.df[list(confounders)].isna()
    if not imputations or not (blank.mean() > IMPUTE_ABOVE).any():
        return (*complete_cases(), None)
    with_blanks = [c for c in confounders if blank[c].any()]
    imputed = run("imputation of blank confounders", lambda: impute(view, m=imputations, seed=seed,
                                                                      include=with_blanks))
    if imputed is None:
        return (*complete_cases(), None)
    adjusted = run("adjusted relapse", lambda: compare_arms(imputed, "relapse", adjust=confounders))
    iptw = run("IPTW relapse", lambda: compare_arms(imputed, "relapse", adjust=confounders, weights="iptw",
                                                    bootstrap=BOOTSTRAP_PER_IMPUTATION, seed=seed))
    cc_adjusted, cc_iptw = complete_cases(" (complete cases)")
    record = ImputationRecord(
        m=imputations, n_participants=int(blank.any(axis=1).sum()), n_complete=int((~blank.any(axis=1)).sum()),
        blanks=pd.DataFrame({"covariate": with_blanks, "blank": [int(blank[c].sum()) for c in with_blanks],
                             "share": [float(blank[c].mean()) for c in with_blanks]}),
        complete_cases={k: v for k, v in (("adjusted", cc_adjusted), ("IPTW", cc_iptw)) if v is not None})
    return adjusted, iptw, record


def _own_model(iptw: ArmComparison | None, imputation: ImputationRecord | None) -> Any:
    """The IPTW comparison's propensity model when it was fitted on this cohort's own rows (not on imputations):
    balance and Table 1 reuse it instead of fitting it again."""
    return None if iptw is None or imputation is not None else iptw.propensity


def _has_small_arm(view: Cohort | ScannedCohort) -> bool:
    sizes = enrolled(view).by_arm() if isinstance(view, ScannedCohort) else view.df[s.ARM].value_counts()
    return any(is_small(int(sizes.get(arm, 0))) for arm in view.arms)


def _quiet_relapse(view: Cohort | ScannedCohort | None) -> ArmComparison | None:
    """Last quarter's unadjusted comparison, for the change table (its caveats were in last quarter's report)."""
    if view is None or "relapse" not in view.outcomes or _has_small_arm(view):
        return None
    return attempt(lambda: compare_arms(view, "relapse"), "previous quarter", [], {})


def total_reveals_arms(counted: Enrolled) -> bool:
    """Whether the number enrolled to date would reveal the arms' sizes: both are 1 to 10 (the report says so)
    and the total leaves each a single value (2 is 1 and 1; 20 is 10 and 10)."""
    sizes = list(counted.by_arm().values())
    return all(is_small(n) for n in sizes) and revealed(sizes)


def _key_numbers(counted: Enrolled, relapse: ArmComparison | None) -> dict[str, float]:
    """The numbers the change table sets beside last quarter's (a total that would reveal the arms: NaN, hidden)."""
    out = {"Participants enrolled to date": np.nan if total_reveals_arms(counted) else float(counted.total)}
    if relapse is not None:
        out["Hazard ratio of relapse (unadjusted)"] = relapse.hazard_ratio.value
        try:
            at = relapse.survival_at([365]).set_index("arm")
            for arm in relapse.arms:
                out[f"12-month relapse, {s.arm_label(arm)}"] = 1 - at.loc[arm, "survival"]
        except OutcomesError:
            pass
    return out


def _interview_results(view: Cohort, cohort: Cohort, interviews: Interviews | pd.DataFrame | None, notes: list[str],
                       reasons: dict[str, str]) -> dict[str, Any]:
    """Follow-up rates from the interviews known by the quarter's end, and the change from intake to the
    reassessment or the closeout interview, whichever has more pairs."""
    if interviews is None:
        return {"interview_follow_up": None, "interview_change": None}
    known = _known_interviews(view, cohort, interviews)
    follow = attempt(lambda: follow_up(view, known), "follow-up interviews", notes, reasons)
    found = [attempt(functools.partial(change_from_intake, view, known, point), "change from intake", [], reasons)
             for point in ("reassessment", "closeout")]
    changes = [c for c in found if c is not None]  # the follow-up with more pairs (most programs: the closeout)
    change = max(changes, key=lambda c: int(c.changes.pairs.sum())) if changes else None
    if change is not None:
        reasons.pop("change from intake", None)
    return {"interview_follow_up": follow, "interview_change": change}


def _known_interviews(view: Cohort, cohort: Cohort, interviews: Interviews | pd.DataFrame) -> pd.DataFrame:
    """The interviews held by the quarter's last day, of participants enrolled by then (later ones are not yet
    known; an id the whole cohort does not know is kept, so that the validation names it)."""
    frame = interviews.frame if isinstance(interviews, Interviews) else pd.DataFrame(interviews)
    if "participant_id" not in frame or s.ENROLL_DATE not in view.df:
        return frame
    ids = frame["participant_id"].astype(str)
    later = ids.isin(cohort.df[s.PARTICIPANT_ID].astype(str)) & ~ids.isin(view.df[s.PARTICIPANT_ID].astype(str))
    frame = frame[~later.to_numpy()].reset_index(drop=True)
    if "day" in frame:
        start = view.df.assign(_id=view.df[s.PARTICIPANT_ID].astype(str)).set_index("_id")[s.ENROLL_DATE]
        held = pd.to_datetime(start.reindex(frame["participant_id"].astype(str)).to_numpy()) + pd.to_timedelta(
            pd.to_numeric(frame["day"], errors="coerce").to_numpy(), unit="D")
    elif "date" in frame:  # (a date that does not parse is kept: the validation names its row)
        held = pd.to_datetime(frame["date"], errors="coerce")
    else:
        return frame
    return frame[~np.asarray(held > pd.Timestamp(view.as_of))].reset_index(drop=True)


def _tables(view: Cohort | ScannedCohort, start: dt.date, r: dict[str, Any], now: dict[str, float],
            before: dict[str, float] | None, rows: Cohort | None) -> dict[str, pd.DataFrame]:
    """The report's tables; ``rows``: the cohort whose rows Table 1 reads (``view``, or of a scan the columns
    loaded for the weighted comparison; None: no Table 1)."""
    tables = {"enrollment": t.enrollment_table(r["enrolled"], start)}
    if r["confounders"] and rows is not None:
        tables["baseline"] = t.baseline_display(rows, r["confounders"], weighted=r["relapse_iptw"] is not None,
                                                propensity=_own_model(r["relapse_iptw"], r["imputation"]))
    follow = r.get("interview_follow_up")
    tables["follow_up"] = t.follow_up_table(view) if follow is None else t.interview_follow_up_table(follow)
    if r.get("interview_change") is not None:
        tables["change_from_intake"] = r["interview_change"].display_table()
    if r["competing"] is not None:
        tables["retention"] = t.retention_table(r["competing"])
    if r["relapse"] is not None:
        tables["relapse"] = t.relapse_table(r["relapse"], r["relapse_adjusted"], r["relapse_iptw"],
                                            complete_cases=r["imputation"].complete_cases if r["imputation"] else None)
    if r["exposure"] is not None:
        tables["exposure"] = t.exposure_table(r["exposure"])
    if r.get("recurrent") is not None:
        tables["repeat_relapses"] = t.recurrent_table(r["recurrent"])
    if r["secondary"]:
        tables["secondary_outcomes"] = t.secondary_table(r["secondary"])
    if r["reconciliation"] is not None:
        tables["claims"] = t.claims_table(r["reconciliation"])
    tables["change_since_last_quarter"] = t.change_table(now, before)
    tables["data_quality"] = t.data_quality_table(view)
    return tables


def trend(cohort: Cohort, quarter: str, *, quarters: int = 8,
          known: Mapping[str, ArmComparison | None] | None = None) -> pd.DataFrame:
    """The last ``quarters`` quarters up to ``quarter``, each as known at its own end: participants enrolled,
    90-day retention and the relapse hazard ratio with their intervals (NaN where not estimable).

    ``known`` maps a quarter to its relapse comparison already computed (as :func:`compute_quarter` does
    for this quarter and the last), so it is not computed again.

    Columns: ``quarter, as_of, enrolled, retained_90, retained_90_lower, retained_90_upper, hazard_ratio,
    hr_lower, hr_upper``. Quarters before the first enrollment are left out.
    """
    if not isinstance(cohort, Cohort):
        raise InputError("trend takes a Cohort; a scanned cohort's trend: "
                         "outcomes.present.scanned_quarter.scanned_trend")
    rows = []
    q = quarter
    narrow = _trend_columns(cohort)
    for _ in range(quarters):
        end = quarter_bounds(q)[1]
        if (cohort.df[s.ENROLL_DATE] <= pd.Timestamp(end)).any() and (cohort.as_of is None or end <= cohort.as_of):
            rows.append(_trend_row(as_of(narrow, end), q, end, (known or {}).get(q)))
        q = previous_quarter(q)
    return pd.DataFrame(rows[::-1], columns=TREND_TABLE_COLUMNS)


TREND_TABLE_COLUMNS = ["quarter", "as_of", "enrolled", "retained_90", "retained_90_lower", "retained_90_upper",
                       "hazard_ratio", "hr_lower", "hr_upper"]


_TREND_COLUMNS = (s.PARTICIPANT_ID, s.ARM, s.ENROLL_DATE, s.RELAPSE_DAYS, s.RELAPSE_EVENT, s.EXIT_DAYS, s.EXIT_REASON,
                  s.FOLLOWUP_DAYS, s.EXPOSURE_START)


def _trend_columns(cohort: Cohort) -> Cohort:
    """The cohort with only what a trend row reads (enrollment, arm, relapse, leaving treatment): each quarter's
    as-of view then copies these columns, not the whole cohort, nor its episodes (at 1M participants 0.35 s a
    quarter the whole way, measured in ``benchmarks/report_scale.py``)."""
    columns = [c for c in _TREND_COLUMNS if c in cohort.df.columns]
    return Cohort(cohort.df[columns], reference=cohort.reference, as_of=cohort.as_of, scenario=cohort.scenario,
                  truth=cohort.truth, provenance=cohort.provenance, copy=False, arms=cohort.arms)


def _trend_row(view: Cohort, quarter: str, end: dt.date, rel: ArmComparison | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"quarter": quarter, "as_of": end, "enrolled": len(view)}
    if _has_small_arm(view):
        return row  # nothing estimated from an arm of 1-10 participants
    if rel is None and "relapse" in view.outcomes:
        rel = attempt(lambda: compare_arms(view, "relapse"), f"{quarter}: relapse", [], {})
    pooled = (attempt(lambda: retention_everyone(view, 90.0), f"{quarter}: retention", [], {})
              if "retention" in view.outcomes else None)
    return trend_values(row, rel, pooled)


def trend_values(row: dict[str, Any], rel: ArmComparison | None,
                 pooled: tuple[float, float, float] | None) -> dict[str, Any]:
    """A trend row's estimates: the relapse hazard ratio and 90-day retention with their intervals (NaN: none)."""
    row.update(hazard_ratio=np.nan, hr_lower=np.nan, hr_upper=np.nan, retained_90=np.nan, retained_90_lower=np.nan,
               retained_90_upper=np.nan)
    if rel is not None:
        row.update(hazard_ratio=rel.hazard_ratio.value, hr_lower=rel.hazard_ratio.ci_lower,
                   hr_upper=rel.hazard_ratio.ci_upper)
    if pooled is not None:
        row.update(retained_90=pooled[0], retained_90_lower=pooled[1], retained_90_upper=pooled[2])
    return row

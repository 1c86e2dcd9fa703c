"""The funder's own measures: which follow-up interviews were due, which were held in their window, and the change
from intake in the GPRA/NOMs domains.

**The schedule** (:func:`interview_schedule`), per participant, anchored to intake (the enrollment date), with
windows in days (:class:`InterviewRules`, set in ``outcomes.toml`` under ``[interviews]``):

- baseline: days 0 to 30 after intake;
- reassessment: days 150 to 210 (180 plus or minus 30);
- annual: days 335 to 395, and every 365 days after (730 plus or minus 30, ...);
- closeout: the 30 days after the end of care (a participant who completed, transferred or dropped out).

Rules: window edges are inclusive; an interview counts only when completed inside its window (an early or late one
is counted apart, not as completed); a refusal is an attempt, not a completed interview; when care ends before or
during a reassessment (or annual) window, that reassessment and the later ones are cancelled (the closeout takes
their place); a re-enrollment is a new participant id, with its own baseline. An interview is *due* once its
window has closed by the as-of date, *open* while the as-of date is inside it, *upcoming* before; only due ones
enter the follow-up rates.

**Follow-up rates** (:func:`follow_up`): completed in window over due, per window and arm (and per site), against
the funder's target (80% by default). **Change from intake** (:func:`change_from_intake`): per domain and arm,
among participants with a completed baseline and a completed follow-up in its window, the share with the positive
outcome at each, the change in percentage points, SAMHSA's rate of change ``(follow-up share - baseline share) /
baseline share``, McNemar's test of the paired shares and a Wald interval for their difference; and peer support
against clinical care only as a difference in those changes (independent arms).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import InputError, NotEstimableError
from ..core.inference import normal_quantile
from ..core.results import Result
from ..core.style import ARM_COLORS, new_axes
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.interviews import Interviews, interviews_from_frame

__all__ = ["ChangeFromIntake", "FollowUpRates", "InterviewRules", "change_from_intake", "follow_up",
           "interview_schedule", "interview_worklist"]

#: domain -> (what counts as the positive outcome, in words)
DOMAINS = {
    "abstinence": "no alcohol and no drug use in the past 30 days",
    "no_arrests": "no arrest in the past 30 days",
    "employed_or_school": "employed or in school",
    "housing_stable": "stably housed",
    "social_support": "has social support",
}


@dataclass(frozen=True)
class InterviewRules:
    """Interview windows in days since intake (closeout: since the end of care), and the follow-up target."""

    baseline: tuple[float, float] = (0.0, 30.0)
    reassessment: tuple[float, float] = (150.0, 210.0)
    annual: tuple[float, float] = (335.0, 395.0)
    closeout: tuple[float, float] = (0.0, 30.0)
    target: float = 0.80

    @classmethod
    def from_toml(cls, path: str | Path = "outcomes.toml") -> InterviewRules:
        """The ``[interviews]`` table of ``outcomes.toml`` (``baseline = [0, 30]``, ..., ``target = 0.8``); the
        defaults for what it does not set, and all of them when there is no such file."""
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            found = tomllib.loads(path.read_text(encoding="utf-8")).get("interviews", {})
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"file '{path}': not valid TOML ({exc}); fix the [interviews] table") from None
        known = {"baseline", "reassessment", "annual", "closeout", "target"}
        unknown = sorted(set(found) - known)
        if unknown:
            raise InputError(f"file '{path}': [interviews] has no setting {unknown[0]!r}; the settings are "
                             f"{sorted(known)}")
        windows = {k: v for k, v in found.items() if k != "target"}
        for name, value in windows.items():
            if not (isinstance(value, list) and len(value) == 2 and all(isinstance(x, (int, float)) for x in value)
                    and 0 <= value[0] <= value[1]):
                raise InputError(f"file '{path}': [interviews] {name} must be [first day, last day], e.g. [150, 210]")
        target = found.get("target", 0.80)
        if not (isinstance(target, (int, float)) and 0 < target <= 1):
            raise InputError(f"file '{path}': [interviews] target must be a share between 0 and 1, e.g. 0.8")
        return cls(**{k: (float(v[0]), float(v[1])) for k, v in windows.items()}, target=float(target))


def _as_interviews(cohort: Cohort, interviews: Interviews | pd.DataFrame) -> Interviews:
    if not isinstance(cohort, Cohort):
        raise InputError(f"interviews are scheduled over a Cohort, not {type(cohort).__name__}")
    if s.ENROLL_DATE not in cohort.df.columns or cohort.as_of is None:
        raise InputError("interview windows are anchored to intake: the cohort needs enrollment dates (enroll_date) "
                         "and an as-of date")
    return interviews if isinstance(interviews, Interviews) else interviews_from_frame(interviews, cohort)


def interview_schedule(cohort: Cohort, interviews: Interviews | pd.DataFrame, rules: InterviewRules | None = None,
                       *, ahead: float = 90) -> pd.DataFrame:
    """Every interview each participant owes (see the module notes): one row per participant and window.

    Columns: ``participant_id``, ``arm``, ``site`` (when known), ``point``, ``number`` (1, 2, ... for annual
    reassessments), ``opens``/``closes`` (days since intake) and their dates, ``state`` (``due``, ``open``,
    ``upcoming``, ``cancelled``), ``completed`` (held in the window), ``refused`` (an attempt refused in the window),
    ``outside_window`` (held, but early or late). Windows opening within ``ahead`` days of the as-of date are listed
    (what falls due next quarter); later ones are not.

    Examples
    --------
    >>> import outcomes as oc
    >>> c = oc.synthetic_cohort(n=40, seed=2)
    >>> sched = interview_schedule(c, pd.DataFrame(columns=["participant_id", "point", "day"]))
    >>> sorted(set(sched.point)) <= ["annual", "baseline", "closeout", "reassessment"]
    True
    """
    rules = rules or InterviewRules()
    held = _as_interviews(cohort, interviews).frame
    df = cohort.df
    today = (pd.Timestamp(cohort.as_of) - pd.to_datetime(df[s.ENROLL_DATE])).dt.days.to_numpy(float)
    ended = _end_of_care(df)
    sched = _windows(df[s.PARTICIPANT_ID].astype(str).to_numpy(), today, ended, rules, ahead)
    info = df.assign(participant_id=df[s.PARTICIPANT_ID].astype(str)).set_index("participant_id")
    sched["arm"] = info[s.ARM].astype(str).reindex(sched.participant_id).to_numpy()
    if s.SITE in info:
        sched["site"] = info[s.SITE].astype(str).reindex(sched.participant_id).to_numpy()
    start = pd.Series(pd.to_datetime(info[s.ENROLL_DATE].reindex(sched.participant_id).to_numpy()))
    for end in ("opens", "closes"):
        sched[f"{end}_date"] = (start + pd.to_timedelta(sched[end].to_numpy(), unit="D")).dt.date.to_numpy()
    return _matched(sched, held)


def interview_worklist(cohort: Cohort, interviews: Interviews | pd.DataFrame, rules: InterviewRules | None = None,
                       *, days: int = 90) -> pd.DataFrame:
    """For program staff, never for a report (it names participants): the interviews not yet held whose window
    is open or opens within ``days`` of the as-of date, soonest closing first.

    Columns: ``participant_id``, ``arm``, ``point``, ``number``, ``opens_date``, ``closes_date``, ``days_left``
    (until the window closes), ``due_within`` (30, 60, 90 or ``days``: the first the window opens by).

    Examples
    --------
    >>> import outcomes as oc
    >>> c = oc.synthetic_cohort(n=40, seed=2)
    >>> interview_worklist(c, pd.DataFrame(columns=["participant_id", "point", "day"])).columns.tolist()[:3]
    ['participant_id', 'arm', 'point']
    """
    if not (isinstance(days, int) and days > 0):
        raise InputError(f"days must be a positive whole number, not {days!r}")
    sched = interview_schedule(cohort, interviews, rules, ahead=days)
    today = (pd.Timestamp(cohort.as_of) - pd.to_datetime(sched.opens_date)).dt.days.to_numpy() + sched.opens
    todo = sched[sched.state.isin(["open", "upcoming"]) & ~sched.completed].copy()
    todo["days_left"] = (todo.closes - today[todo.index]).astype(int)
    opens_in = (todo.opens - today[todo.index]).clip(lower=0)
    todo["due_within"] = np.select([opens_in <= 30, opens_in <= 60, opens_in <= 90], [30, 60, 90], days)
    return todo.sort_values(["days_left", "participant_id"])[[
        "participant_id", "arm", "point", "number", "opens_date", "closes_date", "days_left", "due_within"]
    ].reset_index(drop=True)


def _end_of_care(df: pd.DataFrame) -> np.ndarray:
    """Days from intake to the end of care (NaN while in treatment, or when exits are not recorded)."""
    if s.EXIT_DAYS not in df or s.EXIT_REASON not in df:
        return np.full(len(df), np.nan)
    left = df[s.EXIT_REASON].astype(str).to_numpy() != "in_treatment"
    return np.where(left, df[s.EXIT_DAYS].to_numpy(float), np.nan)


def _windows(ids: np.ndarray, today: np.ndarray, ended: np.ndarray, rules: InterviewRules,
             ahead: float) -> pd.DataFrame:
    """Every participant's windows up to ``today + ahead``, with their state, in order (baseline, reassessment,
    annual 1, 2, ..., closeout), built a kind of window at a time (a loop per participant took 2.8 s for 100,000).
    """
    person = np.arange(len(ids))
    horizon = today + ahead
    kinds = [("baseline", 1, np.full(len(ids), rules.baseline[0]), np.full(len(ids), rules.baseline[1]),
              np.ones(len(ids), dtype=bool), False)]
    kinds.append(("reassessment", 1, np.full(len(ids), rules.reassessment[0]), np.full(len(ids), rules.reassessment[1]),
                  rules.reassessment[0] <= horizon, True))
    years = int(max(0, np.ceil((np.nanmax(horizon, initial=0) - rules.annual[0]) / 365) + 1))
    for k in range(1, years + 1):
        first, last = rules.annual[0] + 365 * (k - 1), rules.annual[1] + 365 * (k - 1)
        kinds.append(("annual", k, np.full(len(ids), first), np.full(len(ids), last), first <= horizon, True))
    left = np.isfinite(ended)
    kinds.append(("closeout", 1, ended + rules.closeout[0], ended + rules.closeout[1],
                  left & (ended + rules.closeout[0] <= horizon), False))
    parts = []
    for order, (point, number, opens, closes, listed, cancellable) in enumerate(kinds):
        state = np.where(closes < today, "due", np.where(opens <= today, "open", "upcoming")).astype(object)
        if cancellable:  # care that ended before or during the window cancels it
            state[left & (ended <= closes)] = "cancelled"
        parts.append(pd.DataFrame({"participant_id": ids[listed], "point": point, "number": number,
                                   "opens": opens[listed], "closes": closes[listed], "state": state[listed],
                                   "_person": person[listed], "_order": order}))
    sched = pd.concat(parts, ignore_index=True).sort_values(["_person", "_order"], kind="stable")
    return sched.drop(columns=["_person", "_order"]).reset_index(drop=True)


def _matched(sched: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """Whether each window holds a completed (or refused) interview of its point, and interviews outside every
    window of their point (edges inclusive)."""
    merged = sched.reset_index().merge(held[[s.PARTICIPANT_ID, "point", "day", "status"]].rename(
        columns={s.PARTICIPANT_ID: "participant_id"}), on=["participant_id", "point"], how="inner")
    inside = merged[(merged.day >= merged.opens) & (merged.day <= merged.closes)]
    done = set(inside.loc[inside.status == "completed", "index"])
    refused = set(inside.loc[inside.status == "refused", "index"])
    sched = sched.assign(completed=sched.index.isin(done), refused=sched.index.isin(refused) & ~sched.index.isin(done))
    found = inside[["participant_id", "point", "day"]].rename(columns={"participant_id": s.PARTICIPANT_ID})
    counted = held.merge(found, on=[s.PARTICIPANT_ID, "point", "day"], how="left", indicator=True)
    outside = counted[(counted["_merge"] == "left_only") & (counted.status == "completed")]
    n_out = outside.groupby([s.PARTICIPANT_ID, "point"]).size()
    key = pd.MultiIndex.from_arrays([sched.participant_id, sched.point])
    return sched.assign(outside_window=n_out.reindex(key).fillna(0).astype(int).to_numpy())


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class FollowUpRates(Result):
    """Follow-up interviews completed in their window over those due, per window and arm, against the target.

    Attributes
    ----------
    rates : DataFrame
        ``window, arm, due, completed, rate, meets_target`` (window: the point's name; rate a fraction).
    by_site : DataFrame
        The same per site.
    target : float
    proxy : bool
        False: from interviews (a contact-date proxy is labelled where it is used instead).
    schedule : DataFrame
        Every window (identifiers: for staff, never in a report).
    """

    rates: pd.DataFrame
    by_site: pd.DataFrame
    target: float
    arms: tuple[str, str]
    proxy: bool = False
    schedule: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    count_columns: ClassVar[tuple[str, ...]] = ("due", "completed")

    @property
    def title(self) -> str:
        return f"Follow-up interviews completed in their window (target {round(100 * self.target)}%)"

    def table(self) -> pd.DataFrame:
        return self.rates.copy()

    def display_table(self) -> pd.DataFrame:
        """Counts from 1 to 10 hidden, and the rate of a window with a hidden count shown as a band."""
        from ..core.disclosure import share

        shown = super().display_table()
        shown["Rate"] = [share(c, d) for c, d in zip(self.rates.completed, self.rates.due)]
        shown["Arm"] = [s.arm_label(a) for a in self.rates.arm]
        return shown

    def plot(self, ax=None):
        """The rate per window and arm, with the target line."""
        ax = new_axes(ax)
        windows = list(dict.fromkeys(self.rates.window))
        x = np.arange(len(windows))
        for k, arm in enumerate(self.arms):
            part = self.rates[self.rates.arm == arm].set_index("window").reindex(windows)
            ax.bar(x + (k - 0.5) * 0.4, part.rate.fillna(0).to_numpy(), width=0.4, color=ARM_COLORS[k],
                   label=s.arm_label(arm))
        ax.axhline(self.target, color="0.3", linestyle="--", linewidth=1, label=f"target {round(100 * self.target)}%")
        ax.set_xticks(x, windows)
        ax.set_ylim(0, 1)
        ax.set_ylabel("completed in window / due")
        ax.legend(frameon=False, fontsize="small")
        ax.set_title(self.title, fontsize="medium")
        return ax


def follow_up(cohort: Cohort, interviews: Interviews | pd.DataFrame, rules: InterviewRules | None = None
              ) -> FollowUpRates:
    """Follow-up rates from interviews: completed in window over due, per window (baseline, reassessment,
    annual, closeout) and arm, and per site, against the target (see the module notes).

    Examples
    --------
    >>> import outcomes as oc
    >>> c = oc.synthetic_cohort(n=60, seed=2)
    >>> first = c.df.iloc[0]
    >>> rates = follow_up(c, pd.DataFrame({"participant_id": [first.participant_id], "point": ["baseline"],
    ...                                     "day": [5]}))
    >>> rates.table().columns.tolist()
    ['window', 'arm', 'due', 'completed', 'rate', 'meets_target']
    """
    rules = rules or InterviewRules()
    sched = interview_schedule(cohort, interviews, rules)
    due = sched[sched.state == "due"]
    rates = _rates(due, ["point", "arm"], rules.target, cohort.arms)
    by_site = _rates(due, ["site", "point", "arm"], rules.target, cohort.arms) if "site" in due else rates.iloc[0:0]
    return FollowUpRates(rates=rates, by_site=by_site, target=rules.target, arms=cohort.arms, schedule=sched)


def _rates(due: pd.DataFrame, keys: list[str], target: float, arms: tuple[str, str]) -> pd.DataFrame:
    counted = due.groupby(keys, observed=True).agg(due=("completed", "size"), completed=("completed", "sum"))
    counted = counted.reset_index().rename(columns={"point": "window"})
    order = {p: i for i, p in enumerate(("baseline", "reassessment", "annual", "closeout"))}
    counted = counted.sort_values([*(["site"] if "site" in keys else []), "window"],
                                  key=lambda c: c.map(order) if c.name == "window" else c, kind="stable")
    counted["completed"] = counted.completed.astype(int)
    counted["rate"] = counted.completed / counted.due
    counted["meets_target"] = counted.rate >= target
    return counted.reset_index(drop=True)[[*(["site"] if "site" in keys else []), "window", "arm", "due",
                                           "completed", "rate", "meets_target"]]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ChangeFromIntake(Result):
    """Intake-to-follow-up change per domain and arm, and peer support against clinical care only.

    Attributes
    ----------
    changes : DataFrame
        ``domain, arm, pairs, baseline_share, followup_share, change_points, rate_of_change, ci_lower, ci_upper,
        p_value`` (shares and rates as fractions; change and its interval in percentage points; McNemar's p).
    comparison : DataFrame
        ``domain, difference_points, ci_lower, ci_upper, p_value``: the peer arm's change minus the clinical arm's.
    point : str
        The follow-up compared with intake.
    """

    changes: pd.DataFrame
    comparison: pd.DataFrame
    point: str
    arms: tuple[str, str]
    alpha: float = 0.05
    left_out: tuple[str, ...] = ()  # rows whose rate of change is not defined (a share of 0 at intake)
    count_columns: ClassVar[tuple[str, ...]] = ("pairs",)

    def notes(self) -> list[str]:
        return [f"Left out: {x}." for x in self.left_out]

    @property
    def title(self) -> str:
        return f"Change from intake to the {self.point} interview"

    def table(self) -> pd.DataFrame:
        return self.changes[["domain", "arm", "pairs", "baseline_share", "followup_share", "change_points",
                             "rate_of_change", "p_value"]].copy()

    def display_table(self) -> pd.DataFrame:
        """Domains and arms in words; the shares of an arm with 1 to 10 pairs not shown."""
        from ..core import formatting as fmt

        shown = super().display_table()
        c = self.changes
        shown["Domain"] = [DOMAINS[d] for d in c.domain]
        shown["Arm"] = [s.arm_label(a) for a in c.arm]
        from ..core.disclosure import share

        # a share of 1 to 10 people (or of all but 1 to 10) shows as a band, as every share in a report
        shown["Baseline share"] = [share(round(v * n), n) for v, n in zip(c.baseline_share, c.pairs)]
        shown["Followup share"] = [share(round(v * n), n) for v, n in zip(c.followup_share, c.pairs)]
        shown["Change points"] = [f"{fmt.number(v, 1)} ({fmt.interval(lo, hi, 1)})"
                                  for v, lo, hi in zip(c.change_points, c.ci_lower, c.ci_upper)]
        shown["Rate of change"] = [fmt.percent(v) for v in c.rate_of_change]
        small = ((c.pairs > 0) & (c.pairs <= 10)).to_numpy()
        for column in ("Baseline share", "Followup share", "Change points", "Rate of change", "p value"):
            shown.loc[small, column] = "not shown (<11 pairs)"
        return shown.rename(columns={"Followup share": "Follow-up share",
                                     "Change points": "Change, points (95% CI)"})

    def plot(self, ax=None):
        """Baseline and follow-up shares per domain and arm (paired participants)."""
        ax = new_axes(ax)
        domains = list(dict.fromkeys(self.changes.domain))
        y = np.arange(len(domains))
        for k, arm in enumerate(self.arms):
            part = self.changes[self.changes.arm == arm].set_index("domain").reindex(domains)
            offset = (k - 0.5) * 0.3
            ax.plot(part.baseline_share, y + offset, "o", mfc="white", color=ARM_COLORS[k])
            ax.plot(part.followup_share, y + offset, "o", color=ARM_COLORS[k], label=f"{s.arm_label(arm)}")
            for b, f_, yy in zip(part.baseline_share, part.followup_share, y + offset):
                ax.annotate("", (f_, yy), (b, yy), arrowprops={"arrowstyle": "->", "color": ARM_COLORS[k]})
        ax.set_yticks(y, [d.replace("_", " ") for d in domains])
        ax.set_xlim(0, 1)
        ax.set_xlabel("share with the outcome (open: intake; filled: follow-up)")
        ax.legend(frameon=False, fontsize="small")
        ax.set_title(self.title, fontsize="medium")
        return ax


def change_from_intake(cohort: Cohort, interviews: Interviews | pd.DataFrame, point: str = "reassessment", *,
                       rules: InterviewRules | None = None, alpha: float = 0.05) -> ChangeFromIntake:
    """Paired change from the baseline interview to ``point`` (see the module notes).

    Raises
    ------
    InputError
        An unknown point, or interviews without any domain's items.
    NotEstimableError
        No participant with both interviews completed in their windows.

    Examples
    --------
    >>> import outcomes as oc
    >>> c = oc.synthetic_cohort(n=40, seed=2)
    >>> pid = str(c.df.participant_id.iloc[0])
    >>> iv = pd.DataFrame({"participant_id": [pid, pid], "point": ["baseline", "reassessment"], "day": [3, 180],
    ...                    "housing_stable": [1, 1]})
    >>> change_from_intake(c, iv).table()[["domain", "pairs", "change_points"]].values.tolist()
    [['housing_stable', 1, 0.0]]
    """
    if point not in ("reassessment", "annual", "closeout"):
        raise InputError(f"point must be 'reassessment', 'annual' or 'closeout', not {point!r}")
    rules = rules or InterviewRules()
    held = _as_interviews(cohort, interviews)
    sched = interview_schedule(cohort, held, rules)
    outcomes = _domain_values(held.frame)
    if not outcomes:
        raise InputError("the interviews hold none of the domains' items (alcohol_days_30 and drug_days_30, "
                         "arrests_30, employed_or_school, housing_stable, social_support)")
    windows = {p: sched[(sched.point == p) & sched.completed & (sched.number == 1)] for p in ("baseline", point)}
    pairs = _pairs(held.frame, windows, outcomes)
    if pairs.empty:
        raise NotEstimableError(f"no participant has a completed baseline and a completed {point} interview inside "
                                "their windows")
    arm_of = cohort.df.assign(_id=cohort.df[s.PARTICIPANT_ID].astype(str)).set_index("_id")[s.ARM].astype(str)
    pairs["arm"] = arm_of.reindex(pairs[s.PARTICIPANT_ID]).to_numpy()
    changes = pd.DataFrame([_paired_change(pairs, d, arm, alpha) for d in outcomes for arm in cohort.arms])
    both_arms = changes.groupby("domain").pairs.transform(lambda n: (n > 0).all())
    differences = [_difference(changes, d, cohort.arms, alpha) for d in outcomes
                   if both_arms[changes.domain == d].all()]
    comparison = pd.DataFrame([d for d in differences if d is not None],  # (no discordant pair in either arm: none)
                              columns=["domain", "difference_points", "ci_lower", "ci_upper", "p_value"])
    changes = changes[changes.pairs > 0]  # an arm with no pair in a domain: left out
    undefined = changes.baseline_share == 0  # the rate of change of a share that starts at 0 is not defined
    left_out = tuple(f"{DOMAINS[r.domain]}, {s.arm_label(r.arm)}: nobody had it at intake, so its rate of change is "
                     "not defined (the change in points is in the comparison)" for r in changes[undefined].itertuples())
    return ChangeFromIntake(changes=changes[~undefined].reset_index(drop=True), comparison=comparison, point=point,
                            arms=cohort.arms, alpha=alpha, left_out=left_out)


def _domain_values(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Each domain's positive outcome per interview (1/0; blank when an item was not answered)."""
    out = {}
    if {"alcohol_days_30", "drug_days_30"} <= set(frame.columns):
        alcohol, drugs = frame["alcohol_days_30"], frame["drug_days_30"]
        out["abstinence"] = ((alcohol == 0) & (drugs == 0)).astype(float).where(alcohol.notna() & drugs.notna())
    if "arrests_30" in frame:
        out["no_arrests"] = (frame["arrests_30"] == 0).astype(float).where(frame["arrests_30"].notna())
    for item in ("employed_or_school", "housing_stable", "social_support"):
        if item in frame:
            out[item] = frame[item]
    return out


def _pairs(frame: pd.DataFrame, windows: dict[str, pd.DataFrame], outcomes: dict[str, pd.Series]) -> pd.DataFrame:
    """One row per participant with both interviews held in their windows: each domain at baseline and after."""
    values = frame[[s.PARTICIPANT_ID, "point", "day", "status"]].assign(**outcomes)
    ends = []
    for window in windows.values():
        inside = values.merge(window[["participant_id", "point", "opens", "closes"]].rename(
            columns={"participant_id": s.PARTICIPANT_ID}), on=[s.PARTICIPANT_ID, "point"])
        inside = inside[(inside.day >= inside.opens) & (inside.day <= inside.closes) & (inside.status == "completed")]
        ends.append(inside.drop_duplicates(s.PARTICIPANT_ID).set_index(s.PARTICIPANT_ID)[list(outcomes)])
    both = ends[0].join(ends[1], lsuffix="_baseline", rsuffix="_followup", how="inner")
    return both.reset_index()


def _paired_change(pairs: pd.DataFrame, domain: str, arm: str, alpha: float) -> dict:
    """Shares at both interviews among those answering both, the change, McNemar's test and a Wald interval."""
    part = pairs[pairs.arm == arm]
    before, after = part[f"{domain}_baseline"], part[f"{domain}_followup"]
    keep = before.notna() & after.notna()
    b0, a1 = before[keep].to_numpy(), after[keep].to_numpy()
    n = int(keep.sum())
    gained, lost = int(((b0 == 0) & (a1 == 1)).sum()), int(((b0 == 1) & (a1 == 0)).sum())
    row = {"domain": domain, "arm": arm, "pairs": n, "gained": gained, "lost": lost}
    if n == 0:
        return {**row, **dict.fromkeys(("baseline_share", "followup_share", "change_points", "rate_of_change",
                                         "ci_lower", "ci_upper", "p_value"), np.nan)}
    p0, p1 = float(b0.mean()), float(a1.mean())
    difference, se = (gained - lost) / n, np.sqrt(max(gained + lost - (gained - lost) ** 2 / n, 0.0)) / n
    z = normal_quantile(alpha)
    return {**row, "baseline_share": p0, "followup_share": p1, "change_points": 100 * difference,
            "rate_of_change": (p1 - p0) / p0 if p0 > 0 else 0.0, "ci_lower": 100 * (difference - z * se),
            "ci_upper": 100 * (difference + z * se), "p_value": mcnemar_p(gained, lost)}


def mcnemar_p(gained: int, lost: int) -> float:
    """McNemar's test of paired shares from the discordant pairs: exact (binomial) below 25 of them, else the
    chi-square without continuity correction, ``(gained - lost)^2 / (gained + lost)`` on 1 df.

    >>> round(mcnemar_p(15, 5), 4), round(mcnemar_p(30, 10), 6)
    (0.0414, 0.001565)
    """
    discordant = gained + lost
    if discordant == 0:
        return 1.0
    if discordant < 25:
        return float(min(1.0, 2 * stats.binom.cdf(min(gained, lost), discordant, 0.5)))
    return float(stats.chi2.sf((gained - lost) ** 2 / discordant, 1))


def _difference(changes: pd.DataFrame, domain: str, arms: Sequence[str], alpha: float) -> dict | None:
    """The treatment arm's change minus the reference arm's (percentage points), independent arms."""
    rows = changes[changes.domain == domain].set_index("arm")
    ref, trt = rows.loc[arms[0]], rows.loc[arms[1]]
    z = normal_quantile(alpha)
    se = [(r.ci_upper - r.ci_lower) / (2 * z) for r in (ref, trt)]
    difference = trt.change_points - ref.change_points
    total = float(np.hypot(*se))
    if not total > 0:
        return None
    p_value = float(2 * stats.norm.sf(abs(difference / total)))
    return {"domain": domain, "difference_points": difference, "ci_lower": difference - z * total,
            "ci_upper": difference + z * total, "p_value": p_value}

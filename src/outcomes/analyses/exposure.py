"""``compare_exposure``: peer support that starts after enrollment, analysed without immortal time.

When peer support starts on day 20, the 20 relapse-free days before it are not peer-support time: a participant
had to stay relapse-free (alive, in the programme) to be connected at all. Comparing "ever had a peer" with
"never" from day 0 credits peer support with those days (immortal time) and flatters it. On the Stanford heart
transplant programme, where transplant likewise starts after acceptance, the "ever transplanted" Cox model gives
HR 0.18; the time-varying model gives 1.01 (R's survival, reproduced in ``tests/test_exposure.py``).

:func:`compare_exposure` gives, from one cohort with ``exposure_start_days``:

- **naive**: "ever exposed" as if fixed from day 0, always labelled biased, with the immortal person-time;
- **time_varying**: a Cox model on (start, stop] rows in which exposure switches on at its start (R's
  ``tmerge`` + ``coxph(Surv(tstart, tstop, event) ~ exposed + ..., cluster = id)``, robust SEs);
- **landmark**: among those event-free at day ``landmark``, exposed by then or not, followed from there
  (Kaplan-Meier, log-rank and Cox);
- **an emulated target trial** (:mod:`outcomes.analyses.target_trial`): "start within ``grace`` days" against
  "do not", by clone-censor-weight, with the risks at ``horizon``, their ratio and difference and bootstrap
  intervals.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.caveats import caveat, quiet_caveats
from ..core.disclosure import show_count
from ..core.errors import InputError, NotEstimableError
from ..core.inference import wald
from ..core.results import Estimate, Result
from ..core.style import ARM_COLORS, ESTIMATE_COLOR, new_axes, ratio_axis
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.design_matrix import column_names, design_matrix
from ..model.episodes import build_episodes
from ..model.imputed import ImputedCohort
from ..model.outcome_registry import TIME_TO_EVENT, outcome_arrays
from ..sources.scan import ScannedCohort
from ..stats import KaplanMeier, fit_cox
from .arm_comparison import ArmComparison, LogRankTest
from .compare_arms import compare_arms
from .pooling import pooled_estimate, pooled_model_table
from .target_trial import STRATEGIES, emulate_trial
from ..core.formatting import plain

__all__ = ["ExposureComparison", "compare_exposure", "compare_landmark", "compare_time_varying"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ExposureComparison(Result):
    """Exposure that starts after enrollment, compared four ways (see the module notes).

    Attributes
    ----------
    naive, time_varying, landmark : Estimate
        Hazard ratios of exposure: "ever exposed" from day 0 (biased), exposure from its start (robust SE),
        exposed by the landmark among those event-free then.
    risk_ratio, risk_difference : Estimate
        The emulated trial at ``horizon``: "start within grace" against "do not start within grace".
    intervals : DataFrame
        The (start, stop] rows (``participant_id, tstart, tstop, event, exposed``), as R's ``tmerge``.
    cox : DataFrame
        The time-varying model's terms (``term, coef, se, hazard_ratio, ci_lower, ci_upper, p_value``).
    trial : DataFrame
        ``strategy, day, risk, ci_lower, ci_upper`` at 30, 90, 180 and 365 days up to the horizon.
    immortal_days : float
        Person-days before the first contact among the ever-exposed, counted as exposed by the naive model.
    n_ever_exposed, n_starts_ignored, n_no_follow_up : int
        Ever exposed; starts at or after the end of follow-up (ignored, as tmerge); participants with no
        follow-up after enrollment (in no analysis).
    """

    outcome: str
    event: str
    arms: tuple[str, str]
    alpha: float
    adjust: tuple[str, ...]
    naive: Estimate
    time_varying: Estimate
    landmark: Estimate
    risk_ratio: Estimate
    risk_difference: Estimate
    landmark_day: float
    landmark_logrank: LogRankTest
    landmark_curves: dict[str, KaplanMeier] = field(repr=False)
    grace: float
    horizon: float
    intervals: pd.DataFrame = field(repr=False)
    cox: pd.DataFrame
    trial: pd.DataFrame
    trial_curves: dict[str, pd.DataFrame] = field(repr=False)
    immortal_days: float
    n_ever_exposed: int
    n_starts_ignored: int
    n_no_follow_up: int
    bootstrap: int
    weights_truncated: int
    dose: Estimate | None = None  # with contacts: hazard ratio per 5 peer contacts (None without a contacts table)
    caveats: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return f"Peer support from the day it starts: time to {self.event}"

    @property
    def effect(self) -> Estimate:
        """The headline: the time-varying hazard ratio (exposure counted from the day it starts)."""
        return self.time_varying

    def table(self) -> pd.DataFrame:
        rows = [("naive: ever exposed, from day 0 (biased by immortal time)", self.naive),
                ("exposure from the day it starts (time-varying Cox)", self.time_varying),
                (f"landmark at day {plain(self.landmark_day)}", self.landmark),
                (f"emulated trial: risk ratio at day {plain(self.horizon)}", self.risk_ratio),
                (f"emulated trial: risk difference at day {plain(self.horizon)}", self.risk_difference),
                *([("dose: per 5 peer contacts so far (time-varying)", self.dose)] if self.dose is not None else [])]
        return pd.DataFrame([{"analysis": name, "measure": e.measure, "value": e.value, "ci_lower": e.ci_lower,
                              "ci_upper": e.ci_upper, "p_value": e.p_value} for name, e in rows])

    def notes(self) -> list[str]:
        return [f"The naive comparison counts {self.immortal_days:,.0f} person-days before the first peer contact "
                f"of the {show_count(self.n_ever_exposed)} ever exposed as peer-support time; no {self.event} can "
                "fall in them, since a participant had to be free of it to start.",
                f"Emulated trial: strategies \"start within {plain(self.grace)} days\" and \"do not\", "
                "clone-censor-weight, "
                f"{self.bootstrap} bootstrap replicates; {show_count(self.weights_truncated)} weights truncated.",
                *([f"{show_count(self.n_no_follow_up)} participants enrolled on the last day of follow-up are "
                   "in no analysis (never at risk)."] if self.n_no_follow_up else []),
                *([f"{show_count(self.n_starts_ignored)} starts after the end of follow-up for {self.event} "
                   "are ignored for it (as R's tmerge does)."] if self.n_starts_ignored else []),
                *self.caveats]

    def plot(self, ax: Any = None) -> Any:
        """The naive hazard ratio beside the corrected ones, on a log scale, with 1 marked."""
        ax = new_axes(ax)
        rows = [("naive (biased)", self.naive), ("time-varying", self.time_varying),
                (f"landmark day {plain(self.landmark_day)}", self.landmark),
                ("emulated trial (risk ratio)", self.risk_ratio)]
        for y, (label, e) in enumerate(rows[::-1]):
            color = "grey" if label.startswith("naive") else ESTIMATE_COLOR
            ax.plot([e.ci_lower, e.ci_upper], [y, y], color=color, linewidth=1.4)
            ax.plot([e.value], [y], "s", color=color)
        ax.axvline(1, color="black", linewidth=0.8, linestyle="--")
        ratio_axis(ax, [v for _, e in rows for v in (e.ci_lower, e.ci_upper)])
        ax.set_yticks(range(len(rows)), [label for label, _ in rows[::-1]])
        ax.set_xlabel("peer support vs none (below 1: fewer events with peer support)")
        ax.set_title(self.title, fontsize="medium")
        return ax

    def plot_strategies(self, ax: Any = None) -> Any:
        """The emulated trial's weighted curves: share without the event under each strategy."""
        ax = new_axes(ax)
        for (strategy, curve), color in zip(self.trial_curves.items(), ARM_COLORS[::-1]):
            ax.step(curve.time, curve.survival, where="post", color=color, label=strategy)
        ax.axvline(self.grace, color="grey", linewidth=0.8, linestyle=":")
        ax.set_xlabel("days since enrollment")
        ax.set_ylabel(f"no {self.event} yet")
        ax.set_ylim(0, 1.02)
        ax.legend(frameon=False)
        return ax


def compare_exposure(cohort: Cohort | ImputedCohort, outcome: str = "relapse", *, adjust: Sequence[str] | str = (),
                     landmark: float = 30, grace: float = 30, horizon: float | None = None, bootstrap: int = 200,
                     seed: int | np.random.Generator = 0, alpha: float = 0.05,
                     contacts: pd.DataFrame | None = None) -> ExposureComparison:
    """Compare peer support from the day it starts, four ways, beside the naive "ever exposed" comparison.

    Parameters
    ----------
    cohort : Cohort or ImputedCohort
        With ``exposure_start_days`` (``Cohort.from_frame(..., exposure_start=...)``); its arm says who was ever
        exposed. An imputed cohort (:func:`outcomes.impute`): each analysis pooled by Rubin's rules.
    outcome, adjust, alpha
        As in :func:`outcomes.compare_arms`; every model is adjusted for ``adjust`` (complete cases).
    landmark, grace, horizon, bootstrap, seed
        The landmark day; the emulated trial's grace period for "start within", the day its risks are compared
        (default 365), its bootstrap replicates (at least 50) and their seed.
    contacts : DataFrame, optional
        One row per peer contact (``participant_id``; ``day`` since enrollment, or ``date``): adds ``dose``, the
        hazard ratio per 5 contacts so far, from a time-varying model that also holds the exposure.

    Raises
    ------
    InputError, NotEstimableError
        No exposure start times, bad arguments; nobody (un)exposed, no events, a landmark or horizon past follow-up.

    Examples
    --------
    >>> import pandas as pd, outcomes as oc
    >>> people = pd.read_csv("data/real/jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna())
    >>> c = oc.Cohort.from_frame(people, arm="ever", reference=False, relapse=("futime", "death"),
    ...                          covariates=["age", "surgery"], exposure_start="transplant_day")
    >>> r = oc.compare_exposure(c, adjust=["age", "surgery"], bootstrap=50)
    >>> round(r.naive.value, 2), round(r.time_varying.value, 2)  # R: 0.18 and 1.01
    (0.18, 1.01)
    """
    if isinstance(cohort, ImputedCohort):
        return _pooled_exposure(cohort, seed, outcome=outcome, adjust=adjust, landmark=landmark, grace=grace,
                                horizon=horizon, bootstrap=bootstrap, alpha=alpha, contacts=contacts)
    adjust = _checked(cohort, adjust, landmark, grace, bootstrap, alpha)
    horizon = 365.0 if horizon is None else float(horizon)
    d = _ExposureData.of(cohort, outcome, adjust)
    t, e, start, X = d.time, d.event, d.start, d.X
    naive = _cox_estimate(np.column_stack([d.ever, X]), t, e, [d.arm_term, *d.terms], alpha, "naive")
    intervals, tv_fit = _time_varying(d.ids, t, e, start, X, d.terms)
    time_varying = Estimate.from_wald("hazard ratio (time-varying)", tv_fit.coef[0], tv_fit.se[0], alpha,
                                      ratio=True)
    lm = _landmark(cohort, d.rows, outcome, float(landmark), adjust, alpha)
    rr, rd, trial, curves, truncated = _trial(t, e, start, X, float(grace), horizon, bootstrap, seed, alpha)
    return ExposureComparison(
        outcome=outcome, event=d.event_name, arms=cohort.arms, alpha=alpha, adjust=adjust, naive=naive,
        time_varying=time_varying, landmark=dataclasses.replace(lm.hazard_ratio, measure=f"hazard ratio (landmark "
                                                                f"day {plain(landmark)})"),
        risk_ratio=rr, risk_difference=rd, landmark_day=float(landmark), landmark_logrank=lm.logrank,
        landmark_curves=lm.curves, grace=float(grace), horizon=horizon,
        intervals=intervals, cox=tv_fit.frame(alpha), trial=trial, trial_curves=curves,
        immortal_days=float(np.where(np.isfinite(start), np.minimum(start, t), 0.0).sum()),
        n_ever_exposed=int(d.ever.sum()), n_starts_ignored=int((np.isfinite(start) & (start >= t)).sum()),
        n_no_follow_up=d.n_no_follow_up, bootstrap=bootstrap, weights_truncated=truncated, caveats=d.caveats,
        dose=None if contacts is None else _dose(d, contacts, cohort, alpha))


def _pooled_exposure(imputed: ImputedCohort, seed: int | np.random.Generator, **arguments: Any) -> ExposureComparison:
    """Each completed cohort's comparison (its own bootstrap seed), pooled by Rubin's rules: hazard ratios on the
    log scale (dfcom: events minus coefficients), the emulated trial's risks, ratio and difference with the SE
    their bootstrap gave (infinite dfcom), its curves averaged (the pooled risks are the mean risks)."""
    rng = np.random.default_rng(seed)
    fits = [compare_exposure(c, seed=np.random.default_rng(rng.integers(2**32)), **arguments)
            for c in imputed.completed]
    first = fits[0]
    events = int(first.intervals["event"].sum())
    dfcom = max(events - len(first.cox), 1)

    def pooled(name: str, ratio: bool, df: float) -> Estimate:
        return pooled_estimate([getattr(f, name) for f in fits], dfcom=df, ratio=ratio)

    cox, _ = pooled_model_table([f.cox for f in fits], dfcom=dfcom, alpha=first.alpha)
    trial = first.trial.copy()
    for k in range(len(trial)):
        one = pooled_estimate([Estimate(measure="risk", value=f.trial.risk.iloc[k], ci_lower=f.trial.ci_lower.iloc[k],
                                        ci_upper=f.trial.ci_upper.iloc[k], p_value=np.nan, alpha=first.alpha)
                               for f in fits], ratio=False)
        trial.loc[k, ["risk", "ci_lower", "ci_upper"]] = [one.value, one.ci_lower, one.ci_upper]
    curves = {k: curve.assign(survival=np.mean([f.trial_curves[k].survival.to_numpy() for f in fits], axis=0))
              for k, curve in first.trial_curves.items()}
    note = (f"Every estimate is pooled over {len(fits)} completed data sets by Rubin's rules (Barnard-Rubin degrees "
            "of freedom); the landmark curves and log-rank test use no covariate and are the first data set's.")
    return dataclasses.replace(
        first, naive=pooled("naive", True, dfcom), time_varying=pooled("time_varying", True, dfcom),
        landmark=pooled("landmark", True, dfcom), risk_ratio=pooled("risk_ratio", True, np.inf),
        risk_difference=pooled("risk_difference", False, np.inf), cox=cox, trial=trial, trial_curves=curves,
        dose=None if first.dose is None else pooled("dose", True, dfcom), caveats=(*first.caveats, note))


@dataclass(frozen=True)
class _ExposureData:
    """The rows every exposure analysis uses: complete cases followed after enrollment."""

    rows: np.ndarray  # positions in the cohort
    ids: np.ndarray
    time: np.ndarray
    event: np.ndarray
    start: np.ndarray  # NaN = never
    ever: np.ndarray  # 0/1
    X: np.ndarray  # the adjustment covariates (no arm)
    arm_term: str
    terms: list[str]
    event_name: str
    n_no_follow_up: int
    caveats: tuple[str, ...]

    @classmethod
    def of(cls, cohort: Cohort, outcome: str, adjust: tuple[str, ...]) -> _ExposureData:
        time, event, event_name = outcome_arrays(cohort, outcome)
        design = design_matrix(cohort.df, cohort.treatment, adjust)
        followed = time[design.complete] > 0  # day-0 follow-up: never at risk of anything after enrollment
        rows = np.flatnonzero(design.complete)[followed]
        ever = design.X[followed, 0]
        if not ever.any() or ever.all():
            raise NotEstimableError("exposure cannot be compared: everyone or no one was ever exposed")
        return cls(rows=rows, ids=cohort.df[s.PARTICIPANT_ID].to_numpy()[rows], time=time[rows], event=event[rows],
                   start=cohort.df[s.EXPOSURE_START].to_numpy(float)[rows], ever=ever, X=design.X[followed, 1:],
                   arm_term=design.terms[0], terms=design.terms[1:], event_name=event_name,
                   n_no_follow_up=int((~followed).sum()),
                   caveats=_excluded_caveat(int((~design.complete).sum()), len(time)))


def compare_landmark(cohort: Cohort | ScannedCohort, outcome: str = "relapse", *, landmark: float = 30,
                     adjust: Sequence[str] | str = (), alpha: float = 0.05) -> ArmComparison:
    """The landmark analysis alone, for a cohort in memory or scanned where it lives (DuckDB).

    Those still followed after day ``landmark``, compared by whether peer support had started by then, with time
    restarted at the landmark: Kaplan-Meier, log-rank and Cox (adjusted for ``adjust``) as
    :func:`outcomes.compare_arms` gives them; on a scanned cohort counted in the engine, with the same numbers.
    The time-varying model and the emulated trial need the rows (:func:`compare_exposure`).

    Examples
    --------
    >>> import pandas as pd, outcomes as oc
    >>> people = pd.read_csv("data/real/jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna())
    >>> c = oc.Cohort.from_frame(people, arm="ever", reference=False, relapse=("futime", "death"),
    ...                          covariates=["age", "surgery"], exposure_start="transplant_day")
    >>> round(oc.compare_landmark(c, adjust=["age", "surgery"]).hazard_ratio.value, 4)  # R: 0.7803
    0.7803
    """
    if not landmark > 0:
        raise InputError(f"landmark must be a positive number of days, not {landmark!r}")
    labels = (f"not exposed by day {plain(landmark)}", f"exposed by day {plain(landmark)}")
    if isinstance(cohort, ScannedCohort):
        return compare_arms(cohort.landmark_view(outcome, landmark, labels), outcome, adjust=adjust, alpha=alpha)
    if not isinstance(cohort, Cohort) or s.EXPOSURE_START not in cohort.df.columns:
        raise InputError("compare_landmark needs a cohort with exposure start days (Cohort.from_frame(..., "
                         "exposure_start=COLUMN), or scan(..., exposure_start=COLUMN))")
    time, event, _ = outcome_arrays(cohort, outcome)
    spec = TIME_TO_EVENT[outcome]
    df = cohort.df
    kept = time > landmark
    start = df[s.EXPOSURE_START].to_numpy(float)[kept]
    view = df.loc[kept, [s.PARTICIPANT_ID, spec.time_column, spec.event_column, *cohort.covariates]].assign(
        **{s.ARM: np.where(start <= landmark, labels[1], labels[0]), spec.time_column: time[kept] - landmark})
    return compare_arms(Cohort(view, reference=labels[0], arms=labels, covariates=cohort.covariates), outcome,
                        adjust=adjust, alpha=alpha)


def compare_time_varying(cohort: Cohort | ScannedCohort, outcome: str = "relapse", *,
                         adjust: Sequence[str] | str = (), alpha: float = 0.05) -> Estimate:
    """The time-varying hazard ratio alone, for a cohort in memory or scanned where it lives (DuckDB).

    Exposure switches on at ``exposure_start_days`` (R's ``tmerge`` + ``coxph(Surv(tstart, tstop, event) ~
    exposed + ...)``, Efron). In memory the SE is robust, clustered by participant, as in
    :func:`compare_exposure`; on a scanned cohort the model is fitted, exactly, from counts per (interval,
    exposure, covariate pattern) computed in the engine, and its SE is the model's: the robust one needs each
    participant's rows (``scanned.to_cohort()``). Every covariate in ``adjust`` should take few values there
    (whole years, categories): each distinct pattern is a row of the fit.

    Examples
    --------
    >>> import pandas as pd, outcomes as oc
    >>> people = pd.read_csv("data/real/jasa_people.csv").assign(ever=lambda d: d.transplant_day.notna())
    >>> c = oc.Cohort.from_frame(people, arm="ever", reference=False, relapse=("futime", "death"),
    ...                          exposure_start="transplant_day")
    >>> print(oc.compare_time_varying(c).measure)
    hazard ratio (time-varying, robust SE)
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    adjust = column_names(adjust, "adjust")
    if isinstance(cohort, ScannedCohort):
        return _time_varying_from_counts(cohort, outcome, adjust, alpha)
    _require_exposure(cohort, "compare_time_varying")
    d = _ExposureData.of(cohort, outcome, adjust)
    _, fit = _time_varying(d.ids, d.time, d.event, d.start, d.X, d.terms)
    return Estimate.from_wald("hazard ratio (time-varying, robust SE)", fit.coef[0], fit.se[0], alpha, ratio=True)


def _time_varying_from_counts(scanned: ScannedCohort, outcome: str, adjust: tuple[str, ...],
                              alpha: float) -> Estimate:
    counts = scanned.interval_counts(outcome, list(adjust))
    labels = ("not exposed", "exposed")
    frame = counts.assign(**{s.ARM: np.where(counts["exposed"] == 1, labels[1], labels[0])})
    design = design_matrix(frame, labels[1], adjust)
    used = design.complete
    removed, events = frame["removed"].to_numpy(float)[used], frame["events"].to_numpy(float)[used]
    exposed = design.X[:, 0] == 1
    if not (exposed.any() and (~exposed).any()):
        raise NotEstimableError("exposure cannot be compared: everyone or no one was ever exposed")
    fit = fit_cox(design.X, frame["tstop"].to_numpy(float)[used], np.zeros(int(used.sum())),
                  entry=frame["tstart"].to_numpy(float)[used], terms=["exposed", *design.terms[1:]],
                  term_columns=design.term_columns, weights=removed, event_counts=events, ph_test=False)
    n_excluded = int(frame.loc[~used & (frame["tstart"] == 0), "removed"].sum())
    if n_excluded:
        caveat(lambda k: f"{k(n_excluded)} participants have a missing covariate and are left out of the "
               "time-varying model (complete cases)", stacklevel=3)
    return Estimate.from_wald("hazard ratio (time-varying, model SE)", fit.coef[0], fit.model_se[0], alpha,
                              ratio=True)


def _checked(cohort: Cohort, adjust: Sequence[str] | str, landmark: float, grace: float, bootstrap: int,
             alpha: float) -> tuple[str, ...]:
    _require_exposure(cohort, "compare_exposure")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if not (landmark > 0 and grace > 0):
        raise InputError(f"landmark and grace must be positive numbers of days, not {landmark!r} and {grace!r}")
    if bootstrap < 50:
        raise InputError(f"bootstrap must be at least 50 replicates for percentile intervals, not {bootstrap}")
    return column_names(adjust, "adjust")


def _require_exposure(cohort: Any, name: str) -> None:
    if not isinstance(cohort, Cohort):
        hint = (": load its rows with .to_cohort() first (compare_landmark and compare_time_varying run in the "
                "engine)") if hasattr(cohort, "to_cohort") else ""
        raise InputError(f"{name} takes a Cohort in memory, not a {type(cohort).__name__}{hint}")
    if s.EXPOSURE_START not in cohort.df.columns:
        raise InputError("this cohort has no exposure start days: build it with Cohort.from_frame(..., "
                         "exposure_start=COLUMN) (days from enrollment to the first peer contact; blank = never)")


def _excluded_caveat(n_excluded: int, n: int) -> tuple[str, ...]:
    if not n_excluded:
        return ()
    return (caveat(lambda k: f"{k(n_excluded)} of {k(n)} participants have a missing covariate and are left out "
                   "of every exposure analysis (complete cases)", stacklevel=4),)


def _cox_estimate(X: np.ndarray, t: np.ndarray, e: np.ndarray, terms: list[str], alpha: float,
                  what: str) -> Estimate:
    fit = fit_cox(X, t, e, terms=terms, ph_test=False)
    return Estimate.from_wald(f"hazard ratio ({what})", fit.coef[0], fit.model_se[0], alpha, ratio=True)


def _exposure_episodes(t: np.ndarray, e: np.ndarray, start: np.ndarray,
                       counts: Mapping[str, pd.DataFrame] | None = None) -> Any:
    """The (start, stop] rows, exposure switching on at its start as tmerge does, participants numbered by row
    (for the cuts and the clustered variance: hashing the text ids of 1M people costs 0.2 s there)."""
    people = pd.DataFrame({"row": np.arange(len(t)), "time": t, "event": e.astype(int), "start": start})
    return build_episodes(people, id="row", end="time", end_event="event", changes={"exposed": "start"},
                          counts=counts)


def _time_varying(ids: np.ndarray, t: np.ndarray, e: np.ndarray, start: np.ndarray, X: np.ndarray,
                  terms: list[str]) -> tuple[pd.DataFrame, Any]:
    """The (start, stop] rows and the Cox model on them; the participants' ids are put back in the rows."""
    episodes = _exposure_episodes(t, e, start)
    rows = episodes.df["row"].to_numpy()
    Xi = np.column_stack([episodes.df["exposed"].to_numpy(float), X[rows]])
    fit = episodes.response().cox(Xi, terms=["exposed", *terms], robust=True, ph_test=False)
    intervals = episodes.df.drop(columns="row")
    intervals.insert(0, s.PARTICIPANT_ID, ids[rows])
    return intervals, fit


def _contact_days(contacts: pd.DataFrame, cohort: Cohort) -> pd.Series:
    """Each contact's day since its participant's enrollment: its ``day``, or its ``date`` less the enrollment date."""
    if s.PARTICIPANT_ID not in contacts.columns or not ({"day", "date"} & set(contacts.columns)):
        raise InputError("contacts needs participant_id and day (since enrollment) or date columns, one row per "
                         f"peer contact; its columns: {list(contacts.columns)}")
    unknown = np.flatnonzero(~contacts[s.PARTICIPANT_ID].isin(cohort.df[s.PARTICIPANT_ID]).to_numpy())
    if unknown.size:
        raise InputError(f"contacts row {int(unknown[0])}: participant {contacts[s.PARTICIPANT_ID].iloc[unknown[0]]!r} "
                         "is not in the cohort")
    if "day" in contacts.columns:
        return pd.to_numeric(contacts["day"], errors="coerce")
    if s.ENROLL_DATE not in cohort.df.columns:
        raise InputError("contacts given by date need the cohort's enrollment dates; give days since enrollment")
    enrolled = contacts[s.PARTICIPANT_ID].map(cohort.df.set_index(s.PARTICIPANT_ID)[s.ENROLL_DATE])
    return (pd.to_datetime(contacts["date"], errors="coerce") - pd.to_datetime(enrolled)).dt.days.astype(float)


def _dose(d: _ExposureData, contacts: pd.DataFrame, cohort: Cohort, alpha: float) -> Estimate:
    """Hazard ratio per 5 contacts so far (R: cumtdc), adjusted for being exposed and the covariates; robust.

    Contacts of participants outside the analysis (a missing covariate, no follow-up) go with them."""
    rows = pd.Series(np.arange(len(d.ids)), index=d.ids)
    table = pd.DataFrame({"row": contacts[s.PARTICIPANT_ID].map(rows),
                          "day": _contact_days(contacts, cohort)}).dropna(subset=["row"])
    episodes = _exposure_episodes(d.time, d.event, d.start, counts={"contacts": table.astype({"row": np.int64})})
    rows_i = episodes.df["row"].to_numpy()
    X = np.column_stack([episodes.df["exposed"].to_numpy(float), episodes.df["contacts"].to_numpy(float) / 5,
                         d.X[rows_i]])
    fit = episodes.response().cox(X, terms=["exposed", "contacts_per_5", *d.terms], robust=True, ph_test=False)
    return Estimate.from_wald("hazard ratio per 5 peer contacts", fit.coef[1], fit.se[1], alpha, ratio=True)


def _landmark(cohort: Cohort, rows: np.ndarray, outcome: str, day: float, adjust: tuple[str, ...],
              alpha: float) -> ArmComparison:
    """:func:`compare_landmark` on the rows every exposure analysis uses (complete cases, followed after
    enrollment); its caveats are the exposure result's own."""
    view = cohort if len(rows) == len(cohort) else Cohort(
        cohort.df.iloc[rows].reset_index(drop=True), reference=cohort.reference, arms=cohort.arms,
        covariates=cohort.covariates, as_of=cohort.as_of, copy=False)
    with quiet_caveats():
        return compare_landmark(view, outcome, landmark=day, adjust=adjust, alpha=alpha)


def _trial(t: np.ndarray, e: np.ndarray, start: np.ndarray, X: np.ndarray, grace: float, horizon: float,
           bootstrap: int, seed: int | np.random.Generator, alpha: float) -> tuple[Estimate, Estimate, pd.DataFrame,
                                                                                   dict[str, pd.DataFrame], int]:
    """The emulated trial's risks at the horizon, and their percentile intervals over a seeded bootstrap."""
    if t.max() < horizon:
        raise NotEstimableError(f"follow-up ends at day {plain(t.max())}, before the horizon of day {plain(horizon)}")
    point = emulate_trial(t, e, start, X, grace)
    days = [d for d in (30.0, 90.0, 180.0, 365.0) if d < horizon] + [horizon]
    risks = np.array([[point.risk_at(k, d) for d in days] for k in STRATEGIES])
    rng = np.random.default_rng(seed)
    draws = np.full((bootstrap, 2, len(days)), np.nan)
    for b in range(bootstrap):
        idx = rng.integers(0, len(t), len(t))
        try:
            again = emulate_trial(t[idx], e[idx], start[idx], X[idx], grace)
        except NotEstimableError:
            continue
        draws[b] = [[again.risk_at(k, d) for d in days] for k in STRATEGIES]
    rr, rd = _risk_estimates(risks[:, -1], draws[:, :, -1], alpha)
    lo, hi = np.nanpercentile(draws, [100 * alpha / 2, 100 * (1 - alpha / 2)], axis=0)
    trial = pd.DataFrame([{"strategy": k, "day": d, "risk": risks[i, j], "ci_lower": lo[i, j], "ci_upper": hi[i, j]}
                          for i, k in enumerate(STRATEGIES) for j, d in enumerate(days)])
    curves = {k: pd.DataFrame({"time": np.concatenate([[0.0], point.times]),
                               "survival": np.concatenate([[1.0], point.survival[k]])}) for k in STRATEGIES}
    return rr, rd, trial, curves, point.truncated


def _risk_estimates(risk: np.ndarray, draws: np.ndarray, alpha: float) -> tuple[Estimate, Estimate]:
    """Risk ratio and difference ("start" vs "do not start"): percentile intervals, Wald p-values from the
    bootstrap SE (on the log scale for the ratio)."""
    ok = np.all(np.isfinite(draws), axis=1) & (draws[:, 1] > 0) & (draws[:, 0] > 0)
    if ok.sum() < 10 or not np.all(risk > 0):
        raise NotEstimableError("the emulated trial's risks are 0 in a strategy: the risk ratio is not estimable")
    log_rr = np.log(draws[ok, 0] / draws[ok, 1])
    diff = draws[ok, 0] - draws[ok, 1]
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    value_rr, value_rd = float(risk[0] / risk[1]), float(risk[0] - risk[1])
    se_rr, se_rd = float(np.std(log_rr, ddof=1)), float(np.std(diff, ddof=1))
    p_rr, p_rd = (float(wald(v, se, alpha)[2]) for v, se in ((np.log(value_rr), se_rr), (value_rd, se_rd)))
    lo_rr, hi_rr = np.exp(np.percentile(log_rr, q))
    lo_rd, hi_rd = np.percentile(diff, q)
    return (Estimate(measure="risk ratio (emulated trial)", value=value_rr, ci_lower=float(lo_rr),
                     ci_upper=float(hi_rr), p_value=p_rr, alpha=alpha, se=se_rr),
            Estimate(measure="risk difference (emulated trial)", value=value_rd, ci_lower=float(lo_rd),
                     ci_upper=float(hi_rd), p_value=p_rd, alpha=alpha, se=se_rd))

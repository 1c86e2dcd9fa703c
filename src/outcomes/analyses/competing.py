"""``cumulative_incidence``: retention with competing exits (dropout vs completion vs transfer).

Dropping out and completing the program are competing ways of leaving
treatment: 1 - Kaplan-Meier of dropout (treating completion as censoring)
overstates dropout. The Aalen-Johansen estimator gives the cumulative incidence
of each exit; Gray's test compares it between arms; the Fine-Gray model gives
the subdistribution hazard ratio; cause-specific Cox models give the hazard of
each exit among those still in treatment. Everything agrees with R
(``cmprsk::cuminc``, ``survival::finegray`` + ``coxph``): see
``tests/test_competing.py``.

Everything is computed from counts of participants per (day, arm, way of leaving[,
covariates]) (:func:`exit_patterns`), so a cohort in memory, a scanned cohort and a
count table pooled from several sites give the same numbers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model import schema as s
from ..model.cohort import Cohort
from ..model.imputed import ImputedCohort
from ..sources.counts import OTHER_EXITS, CountTable
from ..model.outcome_registry import exit_status, exit_status_of
from ..sources.scan import ScannedCohort
from ..model.design_matrix import column_names, design_matrix
from ..core.errors import InputError, NotEstimableError
from ..core.results import ChiSquareTest, Estimate, Result
from ..core.style import ARM_COLORS, new_axes
from ..stats import fit_cox
from .pooling import pooled_estimate, pooled_model_table
from ..core.formatting import plain
from ..stats.cumulative_incidence import (
    CumulativeIncidenceCurve,
    aalen_johansen,
    aalen_johansen_counts,
    gray_test_counts,
)

__all__ = ["CompetingRisks", "cumulative_incidence", "exit_patterns", "retention_everyone"]

_CAUSES = ("dropout", "completed", "transferred")


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class CompetingRisks(Result):
    """Cumulative incidence of one exit cause by arm, with the tests and models that compare it.

    Attributes
    ----------
    cause : str
        The exit of interest (``dropout`` by default).
    cif : DataFrame
        ``arm, time, cif, se, ci_lower, ci_upper`` at every time the curve jumps
        (Gray's variance, as ``cuminc``; log(-log) intervals).
    gray : ChiSquareTest
        Gray's test of equal cumulative incidence.
    fine_gray : Estimate
        Subdistribution hazard ratio (treatment vs reference), robust SE clustered
        by participant as ``coxph(..., cluster = id)`` on ``finegray`` data.
    cause_specific : DataFrame
        ``cause, term, coef, se, hazard_ratio, ci_lower, ci_upper, p_value``: a Cox
        model per exit, the other exits censoring.
    counts : DataFrame
        ``arm, n`` and the number of each exit.
    """

    cause: str
    arms: tuple[str, str]
    alpha: float
    cif: pd.DataFrame
    gray: ChiSquareTest
    fine_gray: Estimate
    cause_specific: pd.DataFrame
    counts: pd.DataFrame
    adjust: tuple[str, ...]
    curves: dict[str, CumulativeIncidenceCurve] = field(repr=False)
    competing_curves: dict[str, CumulativeIncidenceCurve] = field(repr=False)
    exit_curves: dict[str, dict[str, CumulativeIncidenceCurve]] = field(repr=False, default_factory=dict)

    @property
    def title(self) -> str:
        return f"Cumulative incidence of {self.cause}: {s.arm_label(self.arms[1])} vs {s.arm_label(self.arms[0])}"

    def cif_at(self, times: Sequence[float] | float) -> pd.DataFrame:
        """CIF per arm at ``times``: ``arm, time, cif, ci_lower, ci_upper``.

        Raises
        ------
        NotEstimableError
            For a time past an arm's follow-up.
        """
        days = np.atleast_1d(np.asarray(times, dtype=float))
        frames = []
        for arm in self.arms:
            curve = self.curves[arm]
            if (days > curve.last_time).any():
                bad = float(days[days > curve.last_time][0])
                raise NotEstimableError(
                    f"cumulative incidence at day {plain(bad)} is not estimable in arm {arm!r}: "
                    f"its follow-up ends at day {plain(curve.last_time)}"
                )
            at = curve.at(days, self.alpha)
            at.insert(0, "arm", arm)
            frames.append(at[["arm", "time", "cif", "ci_lower", "ci_upper"]])
        return pd.concat(frames, ignore_index=True)

    def table(self) -> pd.DataFrame:
        """CIF at 30, 90 and 180 days (those within follow-up) per arm."""
        horizon = min(c.last_time for c in self.curves.values())
        times: list[float] = [t for t in (30.0, 90.0, 180.0) if t <= horizon] or [horizon]
        return self.cif_at(times)

    @property
    def effect(self) -> Estimate:
        """The headline effect: :attr:`fine_gray`, the subdistribution hazard ratio of the cause."""
        return self.fine_gray

    def notes(self) -> list[str]:
        fg = self.fine_gray
        return [
            f"{self.gray.title}.",
            f"Fine-Gray subdistribution hazard ratio of {self.cause}: {fg.value:.3f} "
            f"({plain(100 * (1 - self.alpha))}% CI {fg.ci_lower:.3f} to {fg.ci_upper:.3f}).",
        ]

    def plot(self, ax=None):
        """Cumulative incidence of each way of leaving treatment, by arm: dropout (solid), completing the
        program (dashed) and transfer (dotted). Completion is the planned end, not a failure."""
        ax = new_axes(ax)
        styles = {"dropout": "-", "completed": "--", "transferred": ":"}
        for arm, color in zip(self.arms, ARM_COLORS):
            for cause, style in styles.items():
                c = self.exit_curves.get(arm, {}).get(cause)
                if c is None or not c.cif.size:
                    continue
                t = np.concatenate([[0.0], c.time, [c.last_time]])
                f = np.concatenate([[0.0], c.cif, [c.cif[-1]]])
                ax.step(t, f, where="post", color=color, linestyle=style, label=f"{s.arm_label(arm)}: {cause}")
        ax.set_ylim(0, 1)
        ax.set_xlim(left=0)
        ax.set_xlabel("days since enrollment")
        ax.set_ylabel("cumulative incidence")
        ax.set_title(self.title, fontsize="medium")
        ax.legend(frameon=False, fontsize="small")
        return ax


def _check_arguments(outcome: str, cause: str, alpha: float) -> None:
    if outcome != "retention":
        raise InputError(f"competing risks are defined for outcome='retention' (exits from treatment), not {outcome!r}")
    if cause not in _CAUSES:
        raise InputError(f"cause must be one of {list(_CAUSES)}, not {cause!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")


def exit_patterns(source: Cohort | ScannedCohort | CountTable, adjust: tuple[str, ...] = ()) -> pd.DataFrame:
    """Participants per (day, arm, exit reason[, covariates]): all that competing risks need.

    Everyone in a row shares a time, an arm, a way of leaving and the covariates, so every
    estimate below (curves, Gray's test, Fine-Gray with its robust SE, cause-specific Cox) is the
    row-level one, exactly. A scanned cohort is counted by its engine; a count table (one site's,
    or pooled) has the counts already, but no covariates.

    Columns: ``time``, ``arm``, ``exit_reason``, the ``adjust`` columns, ``n``.
    """
    if isinstance(source, CountTable):
        return _patterns_from_table(source, adjust)
    if isinstance(source, ScannedCohort):
        if "retention" not in source.outcomes:
            raise InputError("this scanned cohort has no retention outcome (exit_days, exit_reason)")
        frame = source.group_counts("retention", [s.EXIT_REASON, *adjust]).rename(columns={"removed": "n"})
        return frame.drop(columns="events").assign(**{s.ARM: frame[s.ARM].astype(str)})
    if "retention" not in source.outcomes:
        raise InputError("this cohort has no retention outcome (exit_days, exit_reason)")
    missing = [c for c in adjust if c not in source.df.columns]
    if missing:
        raise InputError(f"adjust column {missing[0]!r} is not in the cohort; columns are "
                         f"{list(map(str, source.df.columns))}")
    df = source.df
    rows = pd.DataFrame({"time": df[s.EXIT_DAYS].to_numpy(float), s.ARM: df[s.ARM].astype(str).to_numpy(),
                         s.EXIT_REASON: df[s.EXIT_REASON].astype(str).to_numpy()})
    rows = rows.assign(**{c: df[c].to_numpy() for c in adjust}, n=1)
    keys = ["time", s.ARM, s.EXIT_REASON, *adjust]
    return rows.groupby(keys, dropna=False, observed=True, sort=True)["n"].sum().reset_index()


def _patterns_from_table(table: CountTable, adjust: tuple[str, ...]) -> pd.DataFrame:
    if table.outcome != "retention":
        raise InputError(f"competing risks need a count table of retention, not of {table.outcome}")
    if not table.has_exits_by_cause:
        raise InputError("this count table has no exits by cause (completed, transferred): summarize the cohort "
                         "again with this version of outcomes")
    if adjust:
        raise InputError("a count table has no covariates: adjusted competing-risks models need the rows or a scan")
    c = table.counts.groupby(["time", "arm"], sort=True)[["removed", "events", *OTHER_EXITS]].sum().reset_index()
    per_reason = {"dropout": c.events, **{k: c[k] for k in OTHER_EXITS},
                  "in_treatment": c.removed - c.events - c[list(OTHER_EXITS)].sum(axis=1)}
    frames = [pd.DataFrame({"time": c.time, s.ARM: c.arm, s.EXIT_REASON: reason, "n": n})
              for reason, n in per_reason.items()]
    patterns = pd.concat(frames, ignore_index=True)
    return patterns[patterns.n > 0].sort_values(["time", s.ARM, s.EXIT_REASON], ignore_index=True)


def _per_time(time: np.ndarray, n: np.ndarray, status: np.ndarray, rows: np.ndarray,
              times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Participants removed, cause-1 and cause-2 exits at each of ``times``, among ``rows``."""
    at = np.searchsorted(times, time[rows])
    removed, first, second = (np.bincount(at, weights=n[rows] * w, minlength=len(times)).astype(float)
                              for w in (1.0, status[rows] == 1, status[rows] == 2))
    return removed, first, second


def cumulative_incidence(cohort: Cohort | ScannedCohort | CountTable | ImputedCohort, outcome: str = "retention",
                         cause: str = "dropout", *, adjust: Sequence[str] = (), alpha: float = 0.05) -> CompetingRisks:
    """Aalen-Johansen cumulative incidence of ``cause`` by arm, Gray's test, Fine-Gray and cause-specific Cox.

    Parameters
    ----------
    cohort : Cohort, ScannedCohort or CountTable
        Rows in memory, a cohort scanned in its engine (:func:`outcomes.scan`), or a retention count table
        (:func:`outcomes.summarize`, one site's or :func:`outcomes.pool`-ed). All give the same numbers:
        everything here depends on the data only through counts per day, arm and way of leaving. An imputed
        cohort (:func:`outcomes.impute`) pools the adjusted models over its completed cohorts (Rubin's rules).
    outcome, cause : "retention", {"dropout", "completed", "transferred"}
        Time in treatment (``exit_days``) ended by ``exit_reason`` (``in_treatment`` censors); the exit of interest.
    adjust, alpha : sequence of str, float
        Covariates of the Fine-Gray and cause-specific models (not for a count table: it has none).

    Examples
    --------
    >>> import outcomes as oc
    >>> cohort = oc.synthetic_cohort(n=2000, seed=3)
    >>> res = oc.cumulative_incidence(cohort)
    >>> res.cif_at([180]).columns.tolist()
    ['arm', 'time', 'cif', 'ci_lower', 'ci_upper']
    >>> pooled = oc.cumulative_incidence(oc.summarize(cohort, "retention", by="site"))
    >>> abs(pooled.fine_gray.value - res.fine_gray.value) < 1e-12
    True
    """
    if isinstance(cohort, ImputedCohort):
        return _pooled([cumulative_incidence(c, outcome, cause, adjust=adjust, alpha=alpha) for c in cohort.completed])
    if not isinstance(cohort, (Cohort, ScannedCohort, CountTable)):
        raise InputError(f"cumulative_incidence takes a Cohort, a scanned cohort or a count table, not "
                         f"{type(cohort).__name__}")
    _check_arguments(outcome, cause, alpha)
    adjust = column_names(adjust, "adjust")
    arms = cohort.arms
    patterns = exit_patterns(cohort, adjust)
    time, n = patterns["time"].to_numpy(float), patterns["n"].to_numpy(float)
    reason, arm = patterns[s.EXIT_REASON].to_numpy(str), patterns[s.ARM].to_numpy(str)
    status = exit_status(reason, cause)
    counts = _exit_counts(n, reason, arm, arms, cause)
    times = np.unique(time)
    curves, competing_curves, exit_curves, frames = {}, {}, {}, []
    for a in arms:
        rows = arm == a
        removed, d1, d2 = _per_time(time, n, status, rows, times)
        curves[a] = aalen_johansen_counts(times, removed, d1, d2)
        competing_curves[a] = aalen_johansen_counts(times, removed, d2, d1)
        exit_curves[a] = {c: aalen_johansen_counts(times, *_per_time(time, n, exit_status(reason, c), rows, times))
                          for c in _CAUSES}
        frames.append(curves[a].at(curves[a].time, alpha).assign(arm=a))
    by_arm = [_per_time(time, n, status, arm == a, times) for a in arms]
    removed, first, second = (np.column_stack(pair) for pair in zip(*by_arm))
    statistic, p_value = gray_test_counts([(removed, first, second)])
    gray = ChiSquareTest(name="Gray's test", statistic=statistic, df=1, p_value=p_value)
    fine_gray, cause_specific = _models(patterns, arms[1], adjust, status, alpha)
    cif = pd.concat(frames, ignore_index=True)
    return CompetingRisks(cause=cause, arms=arms, alpha=alpha, cif=cif[["arm", *cif.columns[:-1]]], gray=gray,
                          fine_gray=fine_gray, cause_specific=cause_specific, counts=counts, adjust=adjust,
                          curves=curves, competing_curves=competing_curves, exit_curves=exit_curves)


def _pooled(fits: list[CompetingRisks]) -> CompetingRisks:
    """Rubin's rules over the completed cohorts: the Fine-Gray and cause-specific models (dfcom: exits of the cause
    minus coefficients). The curves and Gray's test use no covariate: the same in every completed cohort."""
    first = fits[0]
    if not first.adjust:
        return first
    terms = len(first.cause_specific.term.unique())
    dfcom = max(int(first.counts[first.cause].sum()) - terms, 1)
    fine_gray = pooled_estimate([f.fine_gray for f in fits], dfcom=dfcom, ratio=True)
    tables = []
    for cause in first.cause_specific.cause.unique():
        exits = max(int(first.counts[str(cause)].sum()) - terms, 1)
        pooled, _ = pooled_model_table([f.cause_specific[f.cause_specific.cause == cause] for f in fits],
                                       dfcom=exits, alpha=first.alpha)
        tables.append(pooled.assign(cause=cause))
    cause_specific = pd.concat(tables, ignore_index=True)[["cause", "term", "coef", "se", "hazard_ratio", "ci_lower",
                                                           "ci_upper", "p_value", "df", "fmi"]]
    return dataclasses.replace(first, fine_gray=fine_gray, cause_specific=cause_specific)


def _exit_counts(n: np.ndarray, reason: np.ndarray, arm: np.ndarray, arms: tuple[str, str], cause: str) -> pd.DataFrame:
    """Participants and exits of each kind per arm; an arm without exits of ``cause`` is not estimable."""
    counts = pd.DataFrame([{"arm": a, "n": int(n[arm == a].sum()),
                            **{c: int(n[(arm == a) & (reason == c)].sum()) for c in _CAUSES}} for a in arms])
    for _, row in counts.iterrows():
        if row[cause] == 0:
            raise NotEstimableError(f"arm {row['arm']!r} has no {cause} exits: its cumulative incidence is 0 and "
                                    "the comparison is not estimable")
    return counts


def _models(patterns: pd.DataFrame, treatment: str, adjust: tuple[str, ...], status: np.ndarray,
            alpha: float) -> tuple[Estimate, pd.DataFrame]:
    """Fine-Gray (robust SE, each participant their own cluster) and a cause-specific Cox model per exit,
    from the patterns: exact, since everyone in a pattern shares the way of leaving."""
    design = design_matrix(patterns, treatment, adjust)
    used = design.complete
    X, time = design.X, patterns["time"].to_numpy(float)[used]
    n, reason, status = patterns["n"].to_numpy(float)[used], patterns[s.EXIT_REASON].to_numpy(str)[used], status[used]
    treated = X[:, 0] == 1
    fg = fit_cox(X, time, np.zeros(len(time)), terms=design.terms, weights=n, event_counts=n * (status == 1),
                 competing=status == 2, robust=True)
    fine_gray = Estimate.from_wald("subdistribution hazard ratio", fg.coef[0], fg.se[0], alpha, ratio=True)
    cs_frames = []
    for c in _CAUSES:
        events = n * (reason == c)
        if not all(events[treated == t].any() for t in (False, True)):
            continue  # no such exits in an arm: that cause-specific hazard ratio is not estimable
        fit = fit_cox(X, time, np.zeros(len(time)), terms=design.terms, term_columns=design.term_columns,
                      weights=n, event_counts=events)
        cs_frames.append(fit.frame(alpha).assign(cause=c))
    cause_specific = pd.concat(cs_frames, ignore_index=True)[
        ["cause", "term", "coef", "se", "hazard_ratio", "ci_lower", "ci_upper", "p_value"]]
    return fine_gray, cause_specific


def retention_everyone(cohort: Cohort | ScannedCohort | CountTable, day: float,
                       alpha: float = 0.05) -> tuple[float, float, float]:
    """Retention (not dropped out) at ``day`` of everyone, both arms pooled: one minus the cumulative incidence of
    dropout, completion and transfer competing; with its ``1 - alpha`` interval. The trend of a report reads it.

    Raises
    ------
    NotEstimableError
        When follow-up ends before ``day``.

    Examples
    --------
    >>> import outcomes as oc
    >>> value, lower, upper = retention_everyone(oc.synthetic_cohort(n=400, seed=1), 90)
    >>> lower < value < upper
    True
    """
    if isinstance(cohort, (ScannedCohort, CountTable)):  # counts per (day, arm, way of leaving)
        patterns = exit_patterns(cohort)
        time, n = patterns["time"].to_numpy(float), patterns["n"].to_numpy(float)
        times = np.unique(time)
        status = exit_status(patterns[s.EXIT_REASON].to_numpy(str), "dropout")
        curve = aalen_johansen_counts(times, *_per_time(time, n, status, np.arange(len(time)), times))
    else:
        status = exit_status_of(cohort.df[s.EXIT_REASON], "dropout")
        curve = aalen_johansen(cohort.df[s.EXIT_DAYS].to_numpy(float), status)
    if curve.last_time < day:
        raise NotEstimableError(f"follow-up ends at day {plain(curve.last_time)}, before day {plain(day)}")
    at = curve.at(np.array([float(day)]), alpha=alpha)
    return float(1 - at.cif.iloc[0]), float(1 - at.ci_upper.iloc[0]), float(1 - at.ci_lower.iloc[0])

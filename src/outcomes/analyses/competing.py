"""``cumulative_incidence``: retention with competing exits (dropout vs completion vs transfer).

Dropping out and completing the program are competing ways of leaving
treatment: 1 - Kaplan-Meier of dropout (treating completion as censoring)
overstates dropout. The Aalen-Johansen estimator gives the cumulative incidence
of each exit; Gray's test compares it between arms; the Fine-Gray model gives
the subdistribution hazard ratio; cause-specific Cox models give the hazard of
each exit among those still in treatment. Everything agrees with R
(``cmprsk::cuminc``, ``survival::finegray`` + ``coxph``): see
``tests/test_competing.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import schema as s
from ..data.cohort import Cohort

from ..data.outcomes import exit_status
from .design import column_names, design_matrix
from ..core.errors import InputError, NotEstimableError
from ..core.results import ChiSquareTest, Estimate, Result
from ..core.style import ARM_COLORS, new_axes
from ..stats import fit_cox
from ..stats.cumulative_incidence import CumulativeIncidenceCurve, aalen_johansen, gray_test

__all__ = ["CompetingRisks", "cumulative_incidence"]

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
        times = np.atleast_1d(np.asarray(times, dtype=float))
        frames = []
        for arm in self.arms:
            curve = self.curves[arm]
            if (times > curve.last_time).any():
                bad = float(times[times > curve.last_time][0])
                raise NotEstimableError(
                    f"cumulative incidence at day {bad:g} is not estimable in arm {arm!r}: "
                    f"its follow-up ends at day {curve.last_time:g}"
                )
            at = curve.at(times, self.alpha)
            at.insert(0, "arm", arm)
            frames.append(at[["arm", "time", "cif", "ci_lower", "ci_upper"]])
        return pd.concat(frames, ignore_index=True)

    def table(self) -> pd.DataFrame:
        """CIF at 30, 90 and 180 days (those within follow-up) per arm."""
        horizon = min(c.last_time for c in self.curves.values())
        times = [t for t in (30, 90, 180) if t <= horizon] or [horizon]
        return self.cif_at(times)

    def notes(self) -> list[str]:
        fg = self.fine_gray
        return [
            f"{self.gray.title}.",
            f"Fine-Gray subdistribution hazard ratio of {self.cause}: {fg.value:.3f} "
            f"({100 * (1 - self.alpha):g}% CI {fg.ci_lower:.3f} to {fg.ci_upper:.3f}).",
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


def _check_arguments(cohort: Cohort, outcome: str, cause: str, alpha: float) -> None:
    if outcome != "retention":
        raise InputError(f"competing risks are defined for outcome='retention' (exits from treatment), not {outcome!r}")
    if cause not in _CAUSES:
        raise InputError(f"cause must be one of {list(_CAUSES)}, not {cause!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if "retention" not in cohort.outcomes:
        raise InputError("this cohort has no retention outcome (exit_days, exit_reason)")


def cumulative_incidence(
    cohort: Cohort,
    outcome: str = "retention",
    cause: str = "dropout",
    *,
    adjust: Sequence[str] = (),
    alpha: float = 0.05,
) -> CompetingRisks:
    """Aalen-Johansen cumulative incidence of ``cause`` by arm, Gray's test, Fine-Gray and cause-specific Cox.

    Parameters
    ----------
    cohort : Cohort
    outcome : {"retention"}
        Time in treatment (``exit_days``) ended by ``exit_reason``; ``in_treatment`` censors.
    cause : {"dropout", "completed", "transferred"}
    adjust : sequence of str
        Covariates of the Fine-Gray and cause-specific models.
    alpha : float

    Examples
    --------
    >>> import outcomes as oc
    >>> res = oc.cumulative_incidence(oc.synthetic_cohort(n=2000, seed=3))
    >>> res.cif_at([180]).columns.tolist()
    ['arm', 'time', 'cif', 'ci_lower', 'ci_upper']
    """
    _check_arguments(cohort, outcome, cause, alpha)
    df = cohort.df
    time = df[s.EXIT_DAYS].to_numpy(float)
    reason = df[s.EXIT_REASON].astype(str).to_numpy()
    status = exit_status(reason, cause)
    arm = df[s.ARM].to_numpy()
    treated = arm == cohort.treatment

    counts = pd.DataFrame([{"arm": a, "n": int((arm == a).sum()),
                            **{c: int(((arm == a) & (reason == c)).sum()) for c in _CAUSES}} for a in cohort.arms])
    for _, row in counts.iterrows():
        if row[cause] == 0:
            raise NotEstimableError(f"arm {row['arm']!r} has no {cause} exits: its cumulative incidence is 0 and "
                                    "the comparison is not estimable")
    curves, competing_curves, exit_curves, frames = {}, {}, {}, []
    for a in cohort.arms:
        rows = arm == a
        curves[a] = aalen_johansen(time[rows], status[rows])
        competing_curves[a] = aalen_johansen(time[rows], np.where(status == 2, 1, np.where(status == 1, 2, 0))[rows])
        exit_curves[a] = {c: aalen_johansen(time[rows], exit_status(reason, c)[rows])
                          for c in _CAUSES}
        frame = curves[a].at(curves[a].time, alpha)
        frame.insert(0, "arm", a)
        frames.append(frame)
    cif = pd.concat(frames, ignore_index=True)
    statistic, p_value = gray_test(time, status, treated)
    gray = ChiSquareTest(name="Gray's test", statistic=statistic, df=1, p_value=p_value)

    adjust = column_names(adjust, "adjust")
    design = design_matrix(df, cohort.treatment, adjust)
    used = design.complete
    fg = fit_cox(design.X, time[used], (status[used] == 1).astype(float), terms=design.terms,
                 competing=status[used] == 2, cluster=np.flatnonzero(used))
    fine_gray = Estimate.from_wald("subdistribution hazard ratio", fg.coef[0], fg.se[0], alpha, ratio=True)
    cs_frames = []
    for c in _CAUSES:
        event = (reason[used] == c).astype(float)
        if not all(event[treated[used] == t].any() for t in (False, True)):
            continue  # no such exits in an arm: that cause-specific hazard ratio is not estimable
        fit = fit_cox(design.X, time[used], event, terms=design.terms, term_columns=design.term_columns)
        cs_frames.append(fit.frame(alpha).assign(cause=c))
    cause_specific = pd.concat(cs_frames, ignore_index=True)[
        ["cause", "term", "coef", "se", "hazard_ratio", "ci_lower", "ci_upper", "p_value"]]
    return CompetingRisks(cause=cause, arms=cohort.arms, alpha=alpha, cif=cif, gray=gray, fine_gray=fine_gray,
                          cause_specific=cause_specific, counts=counts, adjust=adjust, curves=curves,
                          competing_curves=competing_curves, exit_curves=exit_curves)

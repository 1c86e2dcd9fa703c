"""What ``compare_arms`` returns (:class:`ArmComparison`, :class:`LogRankTest`) and the pieces every
estimator of it shares: the horizon rule, the Kaplan-Meier, median and RMST tables, the event check.

The three estimators (from counts, row-level, IPTW-weighted) live in ``compare.py`` and ``iptw.py``;
they differ in how they get the curves and the Cox model, not in how results are laid out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.disclosure import show_count
from ..core.errors import InputError, NotEstimableError
from ..core.results import ChiSquareTest, Estimate, Result, adjustment_phrase, words_for_people
from ..core.style import ARM_COLORS, new_axes
from ..model import schema as s
from ..stats import KaplanMeier, LogRankStatistic, restricted_mean
from ..core.formatting import p_phrase, plain

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .propensity import PropensityWeights

__all__ = ["ArmComparison", "LogRankTest", "choose_horizon", "km_frame", "median_frame", "require_events",
           "rmst_tables"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class LogRankTest(ChiSquareTest):
    """The log-rank test of equal hazards in the two arms: a :class:`~outcomes.core.results.ChiSquareTest` with
    the observed and expected events per arm.

    Attributes
    ----------
    per_arm : DataFrame
        ``arm, observed, expected`` events.
    strata : str or None
        The stratifying column, if any.
    """

    name: str = "log-rank"
    per_arm: pd.DataFrame
    strata: str | None = None

    @classmethod
    def from_statistic(cls, result: LogRankStatistic, arms: tuple[str, str], strata: str | None = None) -> LogRankTest:
        """Wrap the kernel's numbers with the arm labels."""
        per_arm = pd.DataFrame({"arm": list(arms), "observed": result.observed, "expected": result.expected})
        return cls(statistic=result.statistic, df=result.df, p_value=result.p_value, per_arm=per_arm, strata=strata)

    @property
    def title(self) -> str:
        kind = f"Log-rank test stratified by {self.strata}" if self.strata else "Log-rank test"
        return f"{kind}: chi-square {self.statistic:.3f} on {self.df} df, p {p_phrase(self.p_value)}"

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([[self.statistic, self.df, self.p_value, self.strata]],
                            columns=["statistic", "df", "p_value", "strata"])

    def plot(self, ax: Axes | None = None) -> Axes:
        """Observed and expected events per arm."""
        ax = new_axes(ax)
        x = np.arange(len(self.per_arm))
        ax.bar(x - 0.2, self.per_arm["observed"], width=0.4, label="observed", color=ARM_COLORS[0])
        ax.bar(x + 0.2, self.per_arm["expected"], width=0.4, label="expected under no difference", color=ARM_COLORS[1])
        ax.set_xticks(x, [s.arm_label(a) for a in self.per_arm["arm"]])
        ax.set_ylabel("events")
        ax.legend(frameon=False)
        return ax


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ArmComparison(Result):
    """Everything ``compare_arms`` found, built complete.

    Attributes
    ----------
    outcome, event : str
        ``"relapse"``/``"relapse"`` or ``"retention"``/``"dropout"``.
    arms : (str, str)
        Reference arm first.
    alpha : float
    km : DataFrame
        ``arm, time, n_at_risk, events, survival, ci_lower, ci_upper`` at every
        distinct time of each arm (log(-log) Greenwood intervals).
    median : DataFrame
        ``arm, median, ci_lower, ci_upper`` (NaN where the curve, or a band, never reaches 0.5).
    logrank : LogRankTest
        The (unweighted) log-rank test, stratified when ``strata`` was given.
    test : ChiSquareTest
        The test that goes with the hazard ratio: the log-rank test, or under IPTW the robust Wald
        test of the weighted Cox model.
    cox : DataFrame
        ``term, coef, se, hazard_ratio, ci_lower, ci_upper, p_value`` (Efron ties).
    hazard_ratio : Estimate
        The arm term of the Cox model (adjusted when ``adjust`` was given).
    ph_test : DataFrame
        ``term, statistic, df, p_value``: R's ``cox.zph(transform = "km")``, the exact score test of
        survival >= 3.0 (not lifelines' Schoenfeld-residual approximation).
    rmst : DataFrame
        ``arm, rmst, se, ci_lower, ci_upper`` to ``horizon``.
    rmst_difference : Estimate
        Treatment minus reference RMST, in days.
    horizon : float
    horizon_rule : str
        How the horizon was chosen.
    counts : DataFrame
        ``arm, n, events`` (exact; displays suppress 1-10).
    cox_n, cox_events, n_excluded : int
        Rows and events in the Cox model; rows left out for missing covariates.
    weights : None or "iptw"
    propensity : PropensityWeights or None
        The propensity model, when ``weights="iptw"`` (None otherwise: not applicable).
    bootstrap : int
        Bootstrap replicates behind the Kaplan-Meier, median and RMST intervals under IPTW (0 otherwise).
    bootstrap_failed : int
        Replicates left out because their propensity model could not be fitted.
    caveats : tuple of str
        What a reader must know (participants left out, extreme weights): each was also warned once.
    """

    outcome: str
    event: str
    arms: tuple[str, str]
    alpha: float
    km: pd.DataFrame
    median: pd.DataFrame
    logrank: LogRankTest
    test: ChiSquareTest
    cox: pd.DataFrame
    hazard_ratio: Estimate
    ph_test: pd.DataFrame
    rmst: pd.DataFrame
    rmst_difference: Estimate
    horizon: float
    horizon_rule: str
    counts: pd.DataFrame
    adjust: tuple[str, ...]
    strata: str | None
    robust: bool
    cox_n: int
    cox_events: int
    n_excluded: int
    curves: dict[str, KaplanMeier] = field(repr=False)
    weights: str | None = None
    propensity: PropensityWeights | None = field(default=None, repr=False)
    bootstrap: int = 0
    bootstrap_failed: int = 0
    caveats: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        adj = adjustment_phrase(self.adjust, self.weights)
        return f"Time to {self.event}: {s.arm_label(self.arms[1])} vs {s.arm_label(self.arms[0])}{adj}"

    def survival_at(self, times: Sequence[float] | float) -> pd.DataFrame:
        """Kaplan-Meier survival per arm at ``times`` (``arm, time, survival, ci_lower, ci_upper``).

        Raises
        ------
        NotEstimableError
            For a time past an arm's last follow-up, where the curve is unknown.
        """
        days = np.atleast_1d(np.asarray(times, dtype=float))
        frames = []
        for arm in self.arms:
            km = self.curves[arm]
            last = km.time[-1]
            if (days > last).any():
                bad = float(days[days > last][0])
                raise NotEstimableError(
                    f"survival at day {plain(bad)} is not estimable in arm {arm!r}: its follow-up ends at day "
                    f"{plain(last)}"
                )
            at = km.at(days)
            at.insert(0, "arm", arm)
            frames.append(at[["arm", "time", "survival", "ci_lower", "ci_upper"]])
        return pd.concat(frames, ignore_index=True)

    def table(self) -> pd.DataFrame:
        """Per arm: n, events, median with CI, RMST with CI (exact counts)."""
        median = self.median.rename(columns={"ci_lower": "median_ci_lower", "ci_upper": "median_ci_upper"})
        rmst = self.rmst.rename(columns={"ci_lower": "rmst_ci_lower", "ci_upper": "rmst_ci_upper", "se": "rmst_se"})
        out = self.counts.merge(median, on="arm").merge(rmst, on="arm")
        out.insert(1, "label", [s.arm_label(a) for a in out["arm"]])
        return out

    def notes(self) -> list[str]:
        hr = self.hazard_ratio
        level = f"{plain(100 * (1 - self.alpha))}%"
        lines = [
            f"Hazard ratio ({s.arm_label(self.arms[1])} vs {s.arm_label(self.arms[0])}, Cox, Efron ties"
            f"{', robust SE' if self.robust else ''}): {hr.value:.3f} ({level} CI {hr.ci_lower:.3f} to "
            f"{hr.ci_upper:.3f}), p {p_phrase(hr.p_value)}.",
            f"{self.test.title}.",
            f"RMST difference to day {plain(self.horizon)} ({self.horizon_rule}): "
            f"{self.rmst_difference.value:.1f} days "
            f"({level} CI {self.rmst_difference.ci_lower:.1f} to {self.rmst_difference.ci_upper:.1f}).",
        ]
        if self.n_excluded:
            lines.append(f"The Cox model left out {show_count(self.n_excluded)} participants with a missing covariate.")
        if self.weights == "iptw" and not self.bootstrap:
            lines.append("Stabilized IPTW weights; the Cox, Kaplan-Meier, median and RMST intervals carry the "
                         "propensity model's own uncertainty (stacked influence functions, one fit); at-risk counts "
                         "are unweighted.")
        elif self.weights == "iptw":
            lines.append(f"Stabilized IPTW weights; Cox with robust SEs; Kaplan-Meier, median and RMST intervals from "
                         f"{self.bootstrap} bootstrap replicates refitting the propensity model; at-risk counts are "
                         "unweighted.")
            if self.bootstrap_failed:
                lines.append(f"{self.bootstrap_failed} bootstrap replicates could not refit the propensity model "
                             "and were left out.")
        return lines

    def display_table(self) -> pd.DataFrame:
        """``table()`` for people: counts 1-10 suppressed, numbers rounded, unreached medians said so."""
        table = self.table()
        for col in ("n", "events"):
            table[col] = [show_count(v) for v in table[col]]
        for col in ("median", "median_ci_lower", "median_ci_upper"):
            table[col] = ["not reached" if np.isnan(v) else f"{plain(v)}" for v in table[col]]
        for col in ("rmst", "rmst_se", "rmst_ci_lower", "rmst_ci_upper"):
            table[col] = [f"{v:.1f}" for v in table[col]]
        if "label" in table.columns:  # people read the arm's label, not its code
            table = table.drop(columns="arm").rename(columns={"label": "arm"})
        return words_for_people(table)

    @property
    def effect(self) -> Estimate:
        """The headline effect: :attr:`hazard_ratio`."""
        return self.hazard_ratio

    def to_markdown(self) -> str:
        """Summary table with small counts suppressed, then the tests."""
        body = self.display_table().to_markdown(index=False)
        return f"**{self.title}**\n\n{body}\n\n" + "\n\n".join(self.notes()) + "\n"

    def _repr_html_(self) -> str:
        import html

        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes())
        return (f"<div><strong>{html.escape(self.title)}</strong>"
                f"{self.display_table().to_html(index=False, border=0)}{notes}</div>")

    def plot(self, ax: Axes | None = None) -> Axes:
        """Kaplan-Meier curves by arm with their confidence bands."""
        ax = new_axes(ax)
        for arm, color, style in zip(self.arms, ARM_COLORS, ("-", "--")):  # styles tell arms apart in grey print
            km = self.curves[arm]
            t = np.concatenate([[0.0], km.time])
            surv = np.concatenate([[1.0], km.survival])
            lower = np.concatenate([[1.0], np.where(np.isnan(km.ci_lower), km.survival, km.ci_lower)])
            upper = np.concatenate([[1.0], np.where(np.isnan(km.ci_upper), km.survival, km.ci_upper)])
            ax.step(t, surv, where="post", color=color, linestyle=style, label=s.arm_label(arm))
            ax.fill_between(t, lower, upper, step="post", color=color, alpha=0.2, linewidth=0)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.set_xlabel("days since enrollment")
        ax.set_ylabel("no relapse yet" if self.event == "relapse" else "not dropped out")
        ax.set_title(self.title, fontsize="medium")
        ax.legend(frameon=False)
        return ax


# ------------------------------------------------------------------------------------------ shared pieces
def require_events(counts: Sequence[Mapping], event_name: str) -> None:
    """Raise NotEstimableError when an arm has no events (a hazard ratio of 0 or infinity)."""
    for row in counts:
        if row["events"] == 0:
            raise NotEstimableError(
                f"arm {row['arm']!r} has no {event_name} events among its {show_count(row['n'])} participants: "
                "the hazard ratio would be 0 or infinite and the median unknown; compare arms once events accrue"
            )


def choose_horizon(curves: Mapping[str, KaplanMeier], horizon: float | None) -> tuple[float, str]:
    """The RMST horizon and how it was chosen: the largest time both arms still have at risk by default.

    Raises
    ------
    InputError
        A horizon that is not positive, or past an arm's follow-up.
    """
    last_times = {arm: float(km.time[-1]) for arm, km in curves.items()}
    common = min(last_times.values())
    if horizon is None:
        return common, "the largest time both arms still have at risk"
    tau = float(horizon)
    if not tau > 0:
        raise InputError(f"horizon must be a positive number of days, not {horizon!r}")
    if tau > common:
        arm = min(last_times, key=lambda a: last_times[a])
        raise InputError(f"horizon {plain(tau)} days is past the follow-up of arm {arm!r}, which ends at day "
                         f"{plain(common)}; "
                         f"choose horizon <= {plain(common)}")
    return tau, "as requested"


def km_frame(curves: Mapping[str, KaplanMeier], arms: Sequence[str]) -> pd.DataFrame:
    """The ``km`` table: every arm's curve, one row per distinct time."""
    frames = [curves[a].frame().drop(columns="censored").assign(arm=a) for a in arms]
    return pd.concat(frames, ignore_index=True)[["arm", "time", "n_at_risk", "events", "survival", "ci_lower",
                                                 "ci_upper"]]


def median_frame(curves: Mapping[str, KaplanMeier], arms: Sequence[str]) -> pd.DataFrame:
    """The ``median`` table (R's rules)."""
    return pd.DataFrame([{"arm": a, **dict(zip(("median", "ci_lower", "ci_upper"), curves[a].median()))}
                         for a in arms])


def rmst_tables(curves: Mapping[str, KaplanMeier], arms: Sequence[str], tau: float,
                alpha: float) -> tuple[pd.DataFrame, Estimate]:
    """RMST per arm to ``tau`` with R's Greenwood-type SE, and the treatment-minus-reference difference."""
    rows = []
    for a in arms:
        value, se = restricted_mean(curves[a], tau)
        lower, upper = Estimate.from_wald("RMST", value, se, alpha, ratio=False).interval
        rows.append({"arm": a, "rmst": value, "se": se, "ci_lower": lower, "ci_upper": upper})
    rmst = pd.DataFrame(rows)
    diff = float(rmst.rmst.iloc[1] - rmst.rmst.iloc[0])
    diff_se = float(np.hypot(rmst.se.iloc[0], rmst.se.iloc[1]))
    return rmst, Estimate.from_wald("RMST difference (days)", diff, diff_se, alpha, ratio=False)

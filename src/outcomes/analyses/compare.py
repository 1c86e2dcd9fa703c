"""``compare_arms``: Kaplan-Meier, log-rank, Cox and RMST comparison of the two arms.

Every number agrees with R's ``survival`` package (3.5): see ``tests/reference/``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ..data import schema as s
from ..data.cohort import Cohort
from .design import design_matrix
from ..core.disclosure import show_count
from ..core.errors import InputError, NotEstimableError, StatisticalWarning
from ..core.results import Estimate, Result, adjustment_phrase, new_axes
from ..stats import KaplanMeier, LogRankTest, fit_cox, kaplan_meier, logrank_test, restricted_mean
from ..stats.aggregated import arm_table, cox_from_table, km_from_table, logrank_from_table, ph_test_from_table

if TYPE_CHECKING:
    from .weighting import PropensityWeights

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ArmComparison", "compare_arms", "outcome_arrays"]

ARM_COLORS = ("#0072B2", "#E69F00")  # Okabe-Ito blue and orange: colorblind-safe


def outcome_arrays(cohort: Cohort, outcome: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Time, event (0/1) and the event's name for ``outcome`` in ``cohort``.

    ``retention``: the event is dropout; completion and transfer censor
    (cause-specific), as does still being in treatment.
    """
    if outcome not in s.OUTCOMES:
        raise InputError(f"outcome must be one of {list(s.OUTCOMES)}, not {outcome!r}")
    if outcome not in cohort.outcomes:
        raise InputError(
            f"this cohort has no {outcome} outcome (its outcomes: {list(cohort.outcomes)}); "
            f"build it with {outcome}=(time column, event column)"
        )
    df = cohort.df
    if outcome == "relapse":
        return df[s.RELAPSE_DAYS].to_numpy(float), df[s.RELAPSE_EVENT].to_numpy(float), "relapse"
    return df[s.EXIT_DAYS].to_numpy(float), (df[s.EXIT_REASON] == "dropout").to_numpy(float), "dropout"


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
    cox : DataFrame
        ``term, coef, se, hazard_ratio, ci_lower, ci_upper, p_value`` (Efron ties).
    hazard_ratio : Estimate
        The arm term of the Cox model (adjusted when ``adjust`` was given).
    ph_test : DataFrame
        ``term, statistic, df, p_value``: R's ``cox.zph(transform = "km")``, the exact score test of
        survival >= 3.0 (not lifelines' Schoenfeld-residual approximation); it agrees with R to
        about 1e-8 in the statistic on the reference datasets.
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
    """

    outcome: str
    event: str
    arms: tuple[str, str]
    alpha: float
    km: pd.DataFrame
    median: pd.DataFrame
    logrank: LogRankTest
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
        times = np.atleast_1d(np.asarray(times, dtype=float))
        frames = []
        for arm in self.arms:
            km = self.curves[arm]
            last = km.time[-1]
            if (times > last).any():
                bad = float(times[times > last][0])
                raise NotEstimableError(
                    f"survival at day {bad:g} is not estimable in arm {arm!r}: its follow-up ends at day {last:g}"
                )
            at = km.at(times)
            at.insert(0, "arm", arm)
            frames.append(at[["arm", "time", "survival", "ci_lower", "ci_upper"]])
        return pd.concat(frames, ignore_index=True)

    def table(self) -> pd.DataFrame:
        """Per arm: n, events, median with CI, RMST with CI (exact counts)."""
        out = self.counts.merge(self.median.rename(columns={"ci_lower": "median_ci_lower", "ci_upper": "median_ci_upper"}), on="arm")
        out = out.merge(self.rmst.rename(columns={"ci_lower": "rmst_ci_lower", "ci_upper": "rmst_ci_upper", "se": "rmst_se"}), on="arm")
        out.insert(1, "label", [s.arm_label(a) for a in out["arm"]])
        return out

    def notes(self) -> list[str]:
        hr = self.hazard_ratio
        level = f"{100 * (1 - self.alpha):g}%"
        lines = [
            f"Hazard ratio ({s.arm_label(self.arms[1])} vs {s.arm_label(self.arms[0])}, Cox, Efron ties"
            f"{', robust SE' if self.robust else ''}): {hr.value:.3f} ({level} CI {hr.ci_lower:.3f} to "
            f"{hr.ci_upper:.3f}), p = {hr.p_value:.3g}.",
            f"{self.logrank.title}.",
            f"RMST difference to day {self.horizon:g} ({self.horizon_rule}): {self.rmst_difference.value:.1f} days "
            f"({level} CI {self.rmst_difference.ci_lower:.1f} to {self.rmst_difference.ci_upper:.1f}).",
        ]
        if self.n_excluded:
            lines.append(f"The Cox model left out {show_count(self.n_excluded)} participants with a missing covariate.")
        if self.weights == "iptw":
            lines.append(f"Stabilized IPTW weights; Cox with robust SEs; Kaplan-Meier, median and RMST intervals from "
                         f"{self.bootstrap} bootstrap replicates refitting the propensity model; at-risk counts are "
                         "unweighted.")
        return lines

    def display_table(self) -> pd.DataFrame:
        """``table()`` for people: counts 1-10 suppressed, numbers rounded, unreached medians said so."""
        table = self.table()
        for col in ("n", "events"):
            table[col] = [show_count(v) for v in table[col]]
        for col in ("median", "median_ci_lower", "median_ci_upper"):
            table[col] = ["not reached" if np.isnan(v) else f"{v:g}" for v in table[col]]
        for col in ("rmst", "rmst_se", "rmst_ci_lower", "rmst_ci_upper"):
            table[col] = [f"{v:.1f}" for v in table[col]]
        return table

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
        for arm, color in zip(self.arms, ARM_COLORS):
            km = self.curves[arm]
            t = np.concatenate([[0.0], km.time])
            surv = np.concatenate([[1.0], km.survival])
            lower = np.concatenate([[1.0], np.where(np.isnan(km.ci_lower), km.survival, km.ci_lower)])
            upper = np.concatenate([[1.0], np.where(np.isnan(km.ci_upper), km.survival, km.ci_upper)])
            ax.step(t, surv, where="post", color=color, label=s.arm_label(arm))
            ax.fill_between(t, lower, upper, step="post", color=color, alpha=0.2, linewidth=0)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.set_xlabel("days since enrollment")
        ax.set_ylabel("no relapse yet" if self.event == "relapse" else "not dropped out")
        ax.set_title(self.title, fontsize="medium")
        ax.legend(frameon=False)
        return ax


def compare_arms(
    cohort: Cohort,
    outcome: str = "relapse",
    *,
    adjust: Sequence[str] = (),
    strata: str | None = None,
    weights: str | None = None,
    robust: bool = False,
    horizon: float | None = None,
    alpha: float = 0.05,
    trim: float | None = None,
    bootstrap: int = 200,
    seed: int | np.random.Generator = 0,
) -> ArmComparison:
    """Compare time to relapse (or dropout) between the two arms of a cohort.

    Parameters
    ----------
    cohort : Cohort
    outcome : {"relapse", "retention"}
        ``retention`` analyses time to dropout; completion and transfer censor
        (cause-specific; see :func:`outcomes.cumulative_incidence` for competing risks).
    adjust : sequence of str
        Covariates of the Cox model (numeric as is; text dummy-coded against its
        first level). Rows with a missing value are left out, with a warning.
    strata : str, optional
        A column (e.g. ``"site"``) stratifying the log-rank test and the Cox model.
    weights : None or "iptw"
        ``"iptw"``: inverse probability of treatment weighting on the ``adjust``
        covariates (stabilized weights from a logistic propensity model). The Cox
        model then has the arm only (a marginal hazard ratio) with robust SEs.
    robust : bool
        Sandwich standard errors for the Cox model.
    horizon : float, optional
        RMST horizon in days; default: the largest time both arms still have at risk.
    alpha : float
        One minus the confidence level of every interval.
    trim : float, optional
        Under IPTW, truncate the weights at the ``trim`` and ``1 - trim`` quantiles.
    bootstrap : int
        Under IPTW, bootstrap replicates for the Kaplan-Meier, median and RMST intervals.
    seed : int or numpy Generator
        Under IPTW, the bootstrap's seed (same seed, same intervals).

    Returns
    -------
    ArmComparison

    Raises
    ------
    InputError
        Unknown outcome or column, alpha out of (0, 1), a horizon past follow-up.
    NotEstimableError
        An arm with no events (the hazard ratio would be 0 or infinite).

    Examples
    --------
    >>> import outcomes as oc
    >>> cohort = oc.synthetic_cohort(n=2000, seed=1)
    >>> res = oc.compare_arms(cohort, "relapse")
    >>> bool(res.hazard_ratio.value < 1)
    True
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    adjust = tuple(adjust)
    if weights is not None:
        if weights != "iptw":
            raise InputError(f"weights must be None or 'iptw', not {weights!r}")
        if strata is not None:
            raise InputError("strata are not used with weights='iptw': put the stratifying column in adjust instead")
        from .iptw import compare_arms_iptw

        return compare_arms_iptw(cohort, outcome, adjust, horizon=horizon, alpha=alpha, trim=trim,
                                 bootstrap=bootstrap, seed=seed)
    time, event, event_name = outcome_arrays(cohort, outcome)
    df = cohort.df
    is_treated = df[s.ARM].cat.codes.to_numpy() == 1  # categories are (reference, treatment)
    if strata is not None and strata not in df.columns:
        raise InputError(f"strata column {strata!r} is not in the cohort; columns are {list(df.columns)}")

    if not adjust and strata is None and not robust:
        # everything depends on counts per (time, arm): one counting pass, then O(distinct times)
        table = arm_table(time, event, is_treated)
        counts = [{"arm": arm, "n": int(table.removed[:, k].sum()), "events": int(table.events[:, k].sum())}
                  for k, arm in enumerate(cohort.arms)]
        _require_events(counts, event_name)
        curves = {arm: km_from_table(table, k, alpha) for k, arm in enumerate(cohort.arms)}
        statistic, observed, expected = logrank_from_table(table)
        logrank = LogRankTest(statistic=statistic, df=1, p_value=float(stats.chi2.sf(statistic, 1)),
                              per_arm=pd.DataFrame({"arm": list(cohort.arms), "observed": observed,
                                                    "expected": expected}))
        term = f"{s.ARM}{cohort.treatment}"
        fit = cox_from_table(table, term=term)
        z = stats.norm.ppf(1 - alpha / 2)
        cox = pd.DataFrame({"term": [term], "coef": [fit.coef], "se": [fit.se], "hazard_ratio": [np.exp(fit.coef)],
                            "ci_lower": [np.exp(fit.coef - z * fit.se)], "ci_upper": [np.exp(fit.coef + z * fit.se)],
                            "p_value": [2 * stats.norm.sf(abs(fit.coef / fit.se))]})
        ph_test = ph_test_from_table(fit, table, term)
        cox_n, cox_events, n_excluded = len(time), int(event.sum()), 0
    else:
        arm_codes = is_treated.astype(np.int8)
        counts = []
        curves = {}
        for k, arm in enumerate(cohort.arms):
            rows = arm_codes == k
            counts.append({"arm": arm, "n": int(rows.sum()), "events": int(event[rows].sum())})
        _require_events(counts, event_name)
        for k, arm in enumerate(cohort.arms):
            rows = arm_codes == k
            curves[arm] = kaplan_meier(time[rows], event[rows], alpha=alpha)
        logrank = logrank_test(
            time, event, is_treated, cohort.arms,
            strata=None if strata is None else df[strata].to_numpy(), strata_name=strata,
        )
        design = design_matrix(df, cohort.treatment, adjust)
        if design.n_missing:
            detail = ", ".join(f"{c}: {k}" for c, k in design.missing_by_column.items() if k)
            warnings.warn(
                f"{design.n_missing} of {len(df)} participants have a missing covariate ({detail}) and are left out "
                "of the Cox model (complete cases, as R does); Kaplan-Meier and log-rank use everyone",
                StatisticalWarning,
                stacklevel=2,
            )
        used = design.complete
        for k, arm in enumerate(cohort.arms):
            if not (event[used] * (arm_codes[used] == k)).any():
                raise NotEstimableError(
                    f"arm {arm!r} has no {event_name} events among the complete cases: the hazard ratio is not "
                    "estimable"
                )
        fit = fit_cox(
            design.X, time[used], event[used],
            terms=design.terms, term_columns=design.term_columns,
            strata=None if strata is None else df[strata].to_numpy()[used],
            robust=robust,
        )
        cox = fit.frame(alpha)
        ph_test = fit.ph_test.replace({"term": {s.ARM: design.terms[0]}})
        cox_n, cox_events, n_excluded = fit.n, fit.events, design.n_missing

    km = pd.concat(
        [curves[a].frame().drop(columns="censored").assign(arm=a) for a in cohort.arms], ignore_index=True
    )[["arm", "time", "n_at_risk", "events", "survival", "ci_lower", "ci_upper"]]
    median = pd.DataFrame(
        [{"arm": a, **dict(zip(("median", "ci_lower", "ci_upper"), curves[a].median()))} for a in cohort.arms]
    )
    arm_row = cox.iloc[0]
    hazard_ratio = Estimate(
        measure="hazard ratio", value=float(arm_row.hazard_ratio), ci_lower=float(arm_row.ci_lower),
        ci_upper=float(arm_row.ci_upper), p_value=float(arm_row.p_value), alpha=alpha, se=float(arm_row.se),
    )

    last_times = {a: float(curves[a].time[-1]) for a in cohort.arms}
    common = min(last_times.values())
    if horizon is None:
        tau, rule = common, "the largest time both arms still have at risk"
    else:
        tau = float(horizon)
        if not tau > 0:
            raise InputError(f"horizon must be a positive number of days, not {horizon!r}")
        if tau > common:
            arm = min(last_times, key=last_times.get)
            raise InputError(
                f"horizon {tau:g} days is past the follow-up of arm {arm!r}, which ends at day {common:g}; "
                f"choose horizon <= {common:g}"
            )
        rule = "as requested"
    z = stats.norm.ppf(1 - alpha / 2)
    rmst_rows = []
    for a in cohort.arms:
        value, se = restricted_mean(curves[a], tau)
        rmst_rows.append({"arm": a, "rmst": value, "se": se, "ci_lower": value - z * se, "ci_upper": value + z * se})
    rmst = pd.DataFrame(rmst_rows)
    diff = float(rmst.rmst.iloc[1] - rmst.rmst.iloc[0])
    diff_se = float(np.hypot(rmst.se.iloc[0], rmst.se.iloc[1]))
    rmst_difference = Estimate(
        measure="RMST difference (days)", value=diff, ci_lower=diff - z * diff_se, ci_upper=diff + z * diff_se,
        p_value=float(2 * stats.norm.sf(abs(diff / diff_se))) if diff_se > 0 else float("nan"),
        alpha=alpha, se=diff_se,
    )
    return ArmComparison(
        outcome=outcome, event=event_name, arms=cohort.arms, alpha=alpha, km=km, median=median,
        logrank=logrank, cox=cox, hazard_ratio=hazard_ratio, ph_test=ph_test, rmst=rmst,
        rmst_difference=rmst_difference, horizon=tau, horizon_rule=rule, counts=pd.DataFrame(counts),
        adjust=adjust, strata=strata, robust=robust, cox_n=cox_n, cox_events=cox_events,
        n_excluded=n_excluded, curves=curves,
    )


def _require_events(counts: list[dict], event_name: str) -> None:
    for row in counts:
        if row["events"] == 0:
            raise NotEstimableError(
                f"arm {row['arm']!r} has no {event_name} events among its {row['n']} participants: "
                "the hazard ratio would be 0 or infinite and the median unknown; compare arms once events accrue"
            )

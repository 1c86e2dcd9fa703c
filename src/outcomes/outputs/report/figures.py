"""The figures of reports and grant applications. Each returns its own ``Figure`` (no pyplot state).

Counts from 1 to 10 never appear: at-risk tables print "<11", and enrollment
cells of 1-10 are not drawn (the caption says so).
"""

from __future__ import annotations

import dataclasses

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ...model import schema as s
from ...model.cohort import Cohort
from ...present.enrolled import Enrolled, enrolled
from ...analyses.compare_arms import ArmComparison
from ...analyses.competing import CompetingRisks
from ...analyses.exposure import ExposureComparison
from ...analyses.interviews import ChangeFromIntake
from ...analyses.recurrent import RecurrentComparison
from ...core.disclosure import is_small, show_count
from ...claims.reconcile import Reconciliation
from ...model.outcome_registry import SECONDARY_OUTCOMES
from ...core.results import Estimate
from ...analyses.propensity import Balance
from ...core.style import ARM_COLORS, CLAIM_COLOR, DOUBLE, ESTIMATE_COLOR, OKABE_ITO, SINGLE, house_style, ratio_axis
from ...core.formatting import plain

__all__ = ["km_figure", "cif_figure", "forest_figure", "claims_figure", "retention_figure", "enrollment_figure",
           "love_figure"]


MIN_FONT = 7  # points at print size: the smallest text in any figure (house style base 7.5)


def _figure(width: float, height_ratio: float = 0.75, height: float | None = None) -> Figure:
    """A figure of ``width`` inches; at double-column width no taller than 0.6 x its width (4.2 in), so it fits
    on a page under the text before it and prints at its drawn size (every font at least 7 pt)."""
    tall = height if height is not None else width * height_ratio
    return Figure(figsize=(width, min(tall, 0.6 * width) if width >= DOUBLE else tall), layout="constrained")


_SHORT = {
    "relapse_risk_ratio_12m": "relapse risk, 12 months",
    "sobriety_ratio_12m": "relapse-free, 12 months",
    "sobriety_ratio_10y": "abstinent, 10 years",
    "retention_ratio": "retained to program end",
    "dropout_ratio": "dropped out by program end",
}


def _short_labels() -> dict[str, str]:
    """Figure labels of the ratio estimands: the table above, and each secondary outcome's short name."""
    labels = dict(_SHORT)
    for spec in SECONDARY_OUTCOMES.values():
        for estimand, statistic in spec.estimands.items():
            if statistic in ("ratio", "reduction_ratio"):
                labels[estimand] = spec.short or spec.words
    return labels


def km_figure(res: ArmComparison, width: float = SINGLE, at_risk_times: Sequence[float] | None = None) -> Figure:
    """Kaplan-Meier curves by arm with CI bands and a number-at-risk table (unweighted; 1-10 as "<11")."""
    with house_style(width):
        fig = _figure(width, 0.82)
        ax, table_ax = fig.subplots(2, 1, height_ratios=[4, 1], sharex=True)
        res.plot(ax=ax)
        ax.set_title("")
        ax.set_xlabel("")
        ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0))  # above the data, not over it
        horizon = max(float(c.time[-1]) for c in res.curves.values())
        if at_risk_times is None:  # KMunicate: the numbers at risk sit under the axis ticks
            from matplotlib.ticker import MaxNLocator

            ticks = np.asarray(MaxNLocator(nbins=6, steps=[1, 2, 3, 5, 6, 10]).tick_values(0, horizon), float)
            days: np.ndarray = ticks[(ticks >= 0) & (ticks <= horizon)]
        else:
            days = np.asarray(at_risk_times, float)
        ax.set_xticks(days)
        for i, arm in enumerate(res.arms):
            counts = res.curves[arm].at(days).n_at_risk
            for t, n in zip(days, counts):
                table_ax.text(t, 1 - i, show_count(n), ha="center", va="center", fontsize=MIN_FONT,
                              color=ARM_COLORS[i])
        ax.set_xlim(-0.06 * horizon, 1.03 * horizon)  # room for the day-0 at-risk counts
        table_ax.set_ylim(-0.6, 1.6)
        table_ax.set_yticks([1, 0], [s.arm_label(a) for a in res.arms], fontsize=MIN_FONT)
        table_ax.tick_params(left=False)
        table_ax.spines["left"].set_visible(False)
        table_ax.set_xlabel("days since enrollment")
        table_ax.set_title("number at risk", fontsize=MIN_FONT, loc="left")
    return fig


def cif_figure(cr: CompetingRisks, width: float = SINGLE) -> Figure:
    """Cumulative incidence of dropout (solid), completion (dashed) and transfer (dotted), by arm."""
    with house_style(width):
        fig = _figure(width, 1.0)
        ax = fig.add_subplot()
        cr.plot(ax=ax)
        ax.set_title("Leaving treatment: dropout, completion and transfer", fontsize="medium")
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=ARM_COLORS[k], label=s.arm_label(a)) for k, a in enumerate(cr.arms)]
        handles += [Line2D([], [], color="grey", linestyle="-", label="dropout"),
                    Line2D([], [], color="grey", linestyle="--", label="completed"),
                    Line2D([], [], color="grey", linestyle=":", label="transferred")]
        ax.legend(handles=handles, frameon=False, fontsize=MIN_FONT, ncols=2, loc="upper center",
                  bbox_to_anchor=(0.5, -0.22))  # colour = arm, line = how people left: outside the data
    return fig


def _shown_running_totals(totals: np.ndarray) -> np.ndarray:
    """Which running totals may be drawn: none from 1 to 10, and none that differs from the last one drawn by 1 to
    10 (the difference would be a small count, e.g. enrolled this quarter).

    >>> _shown_running_totals(np.array([12.0, 14, 19, 21, 25, 40])).tolist()
    [True, False, False, False, True, True]
    """
    shown = np.zeros(len(totals), dtype=bool)
    last = 0.0
    for i, total in enumerate(totals):  # (a total hidden by the report is NaN: never drawn)
        if np.isfinite(total) and not is_small(total) and not is_small(total - last):
            shown[i], last = True, total
    return shown


def trend_figure(trend: pd.DataFrame, width: float = SINGLE) -> Figure:
    """The last quarters, each as known at its end: enrollment, 90-day retention, relapse hazard ratio (95% CIs)."""
    with house_style(width):
        wide = width >= DOUBLE  # side by side when wide: short enough to sit under the summary on page one
        fig = _figure(width, height=0.3 * width) if wide else _figure(width, 1.05)
        axes = fig.subplots(1, 3) if wide else fig.subplots(3, 1, sharex=True)
        x = np.arange(len(trend))
        enrolled = trend.enrolled.to_numpy(dtype=float)
        shown = _shown_running_totals(enrolled)
        axes[0].bar(x[shown], enrolled[shown], color=ESTIMATE_COLOR)
        axes[0].set_ylabel("enrolled\n(to date)")
        for ax, (value, low, high, label) in zip(axes[1:], (
                ("retained_90", "retained_90_lower", "retained_90_upper", "retained\nat 90 days"),
                ("hazard_ratio", "hr_lower", "hr_upper", "hazard ratio\nof relapse"))):
            v, lo, hi = (trend[c].to_numpy(dtype=float) for c in (value, low, high))
            ok = np.isfinite(v) & np.isfinite(lo) & np.isfinite(hi)
            ax.errorbar(x[ok], v[ok], yerr=[v[ok] - lo[ok], hi[ok] - v[ok]], fmt="o-", color=ESTIMATE_COLOR,
                        capsize=2, linewidth=1)
            ax.set_ylabel(label)
        axes[2].axhline(1.0, color="grey", linestyle="--", linewidth=0.8)
        axes[1].set_ylim(0, 1)
        for ax in (axes if wide else axes[2:]):  # each panel keeps its quarters when side by side
            ax.set_xticks(x, trend.quarter.tolist(), rotation=45, fontsize=MIN_FONT)
        fig.suptitle("The last quarters, each as known at its end", fontsize="medium")
    return fig


def forest_figure(estimates: Sequence[tuple[str, Estimate]], width: float = SINGLE,
                  xlabel: str = "hazard ratio (peer support + clinical vs clinical only)") -> Figure:
    """Forest plot of hazard ratios (e.g. unadjusted, adjusted, IPTW), log scale, 1 marked."""
    with house_style(width):
        fig = _figure(width, height=0.9 + 0.3 * len(estimates))
        ax = fig.add_subplot()
        for i, (_, e) in enumerate(estimates):
            y = len(estimates) - 1 - i
            ax.plot([e.ci_lower, e.ci_upper], [y, y], color="black", linewidth=1.2)
            ax.plot([e.value], [y], "s", color=ESTIMATE_COLOR, markersize=5)
            ax.text(1.02, y, f"{e.value:.2f} ({e.ci_lower:.2f}-{e.ci_upper:.2f})", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=MIN_FONT)
        ax.axvline(1, color="grey", linewidth=0.8, linestyle="--")
        ratio_axis(ax, [v for _, e in estimates for v in (e.ci_lower, e.ci_upper)])
        ax.set_yticks(range(len(estimates)), [label for label, _ in reversed(estimates)])
        ax.set_xlabel(xlabel)
        ax.set_ylim(-0.6, len(estimates) - 0.4)
    return fig


def exposure_figure(exposure: ExposureComparison, width: float = SINGLE) -> Figure:
    """The corrected estimates of peer support from its first contact beside the naive 'ever exposed' one."""
    return forest_figure([("ever had peer support (biased)", exposure.naive),
                          ("from the first contact", exposure.time_varying),
                          (f"landmark, day {plain(exposure.landmark_day)}", exposure.landmark),
                          ("emulated trial (risk ratio)", exposure.risk_ratio)], width,
                         xlabel="peer support vs none (below 1: fewer relapses with peer support)")


def recurrent_figure(rec: RecurrentComparison, width: float = SINGLE) -> Figure:
    """Relapses per person by day since enrollment, one curve per arm with its band."""
    fig = _figure(width)
    with house_style(width):
        ax = rec.plot(fig.add_subplot())
        ax.set_title("")
    return fig


def claims_figure(rec: Reconciliation, width: float = SINGLE) -> Figure:
    """What the articles claim (orange) against this cohort's estimates (blue, 95% CI), ratio measures."""
    from ...claims.catalog import SOURCES, registry

    figures_of = registry().set_index("claim_id")
    short = _short_labels()
    rows = rec.rows[rec.rows.estimate.notna() & rec.rows.estimand.isin(list(short))]
    rows = rows.drop_duplicates(subset=["estimand", "claimed"])
    with house_style(width):
        fig = _figure(width, height=0.8 + 0.24 * len(rows))
        ax = fig.add_subplot()
        labels, values = [], []
        for i, r in enumerate(rows.itertuples()):
            y = len(rows) - 1 - i
            ax.plot([r.claimed_low, r.claimed_high], [y, y], color=CLAIM_COLOR, linewidth=6, alpha=0.6,
                    solid_capstyle="butt")
            if r.claimed_low == r.claimed_high:
                ax.plot([r.claimed_low], [y], "D", color=CLAIM_COLOR, markersize=4)
            ax.plot([r.ci_lower, r.ci_upper], [y, y], color=ESTIMATE_COLOR, linewidth=1.4)
            ax.plot([r.estimate], [y], "o", color=ESTIMATE_COLOR, markersize=3.5)
            source = SOURCES[r.source][0]
            labels.append(f"{short[r.estimand]} ({source}: {figures_of.loc[r.claim_id, 'figure']})")
            values += [r.claimed_low, r.claimed_high, r.ci_lower, r.ci_upper]
        ax.set_yticks(range(len(rows)), list(reversed(labels)), fontsize=MIN_FONT)
        ax.axvline(1, color="grey", linewidth=0.8, linestyle="--")
        ratio_axis(ax, values)
        ax.set_xlabel("ratio, peer support + clinical\nvs clinical only (log scale)")
        ax.set_title("orange: claimed; blue: this cohort (95% CI)", fontsize=MIN_FONT, loc="right")
    return fig


def change_figure(change: ChangeFromIntake, width: float = SINGLE) -> Figure:
    """Intake and follow-up shares per domain and arm; a row whose pairs, or whose count with (or without) the
    outcome at either interview, is 1 to 10 is left out (the figure shows no small count)."""
    c = change.changes
    counts = [c.pairs, *(np.round(c[f] * c.pairs) for f in ("baseline_share", "followup_share"))]
    counts += [c.pairs - k for k in counts[1:]]
    shown = ~np.logical_or.reduce([(k > 0) & (k <= 10) for k in counts])
    with house_style(width):
        fig = _figure(width)
        dataclasses.replace(change, changes=c[np.asarray(shown)].reset_index(drop=True)).plot(ax=fig.add_subplot())
    return fig


def retention_figure(cr: CompetingRisks, width: float = SINGLE, days: Sequence[float] = (30, 90, 180)) -> Figure:
    """Retention (not dropped out) at 30, 90 and 180 days by arm, with 95% CIs (completion is not dropout)."""
    horizon = min(c.last_time for c in cr.curves.values())
    days = [d for d in days if d <= horizon] or [horizon]
    at = cr.cif_at(days)
    with house_style(width):
        fig = _figure(width)
        ax = fig.add_subplot()
        x = np.arange(len(days))
        for i, arm in enumerate(cr.arms):
            part = at[at.arm == arm]
            retained = 1 - part.cif.to_numpy()
            err = np.vstack([retained - (1 - part.ci_upper.to_numpy()), (1 - part.ci_lower.to_numpy()) - retained])
            ax.bar(x + (i - 0.5) * 0.38, retained, width=0.36, color=ARM_COLORS[i], label=s.arm_label(arm),
                   yerr=err, capsize=2, error_kw={"linewidth": 0.8})
        ax.set_xticks(x, [f"day {plain(d)}" for d in days])
        ax.set_ylim(0, 1)
        ax.set_ylabel("retained (not dropped out)")
        ax.legend(frameon=False, loc="upper right")
        ax.set_title("Treatment retention", fontsize="medium")
    return fig


def _enrollment_cells(view: Cohort | Enrolled) -> pd.DataFrame:
    """Participants per quarter (rows) and site (or arm), cells of 1-10 set to 0 (not drawn)."""
    table = (view if isinstance(view, Enrolled) else enrolled(view)).by_quarter()
    return table.where(~table.map(is_small), 0)


def enrollment_drawable(cohort: Cohort | Enrolled) -> bool:
    """Whether any bar of the enrollment figure can be drawn (a cell of 11 or more)."""
    return bool(_enrollment_cells(cohort).to_numpy().any())


def enrollment_figure(cohort: Cohort | Enrolled, width: float = SINGLE) -> Figure:
    """Participants enrolled per quarter, stacked by site; cells of 1-10 are not drawn."""
    shown = _enrollment_cells(cohort)
    palette = OKABE_ITO
    with house_style(width):
        fig = _figure(width)
        ax = fig.add_subplot()
        bottom = np.zeros(len(shown))
        for i, col in enumerate(shown.columns):
            ax.bar(range(len(shown)), shown[col], bottom=bottom, color=palette[i % 5], label=str(col), width=0.7)
            bottom += shown[col].to_numpy()
        ax.set_xticks(range(len(shown)), [q.replace("Q", "\nQ") for q in shown.index])
        ax.set_ylabel("participants enrolled")
        ax.legend(frameon=False, ncols=min(3, len(shown.columns)), fontsize=MIN_FONT)
        ax.set_title("Enrollment by quarter and site", fontsize="medium")
    return fig


def love_figure(bal: Balance, width: float = SINGLE) -> Figure:
    """Love plot of standardized mean differences before and after weighting."""
    with house_style(width):
        fig = _figure(width, height=0.9 + 0.2 * len(bal.rows))
        bal.plot(ax=fig.add_subplot())
    return fig

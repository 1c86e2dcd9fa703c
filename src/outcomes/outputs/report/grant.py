"""Grant figures: every figure at two widths in three formats, with captions and alt text generated from results."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ...data import schema as s
from ...data.cohort import Cohort
from ...analyses.compare import compare_arms
from ...analyses.competing import cumulative_incidence
from ...claims.reconcile import reconcile
from ...analyses.weighting import balance
from . import figures as F
from ...core.errors import OutcomesWarning
from ...core.style import DOUBLE, SINGLE

__all__ = ["grant_figures"]


@dataclass(frozen=True)
class _Spec:
    name: str
    draw: Callable[[float], Figure]
    caption: str
    alt: str


def _specs(cohort: Cohort, bootstrap: int, seed: int) -> list[_Spec]:
    confounders = [c for c in cohort.covariates if c in cohort.df.columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutcomesWarning)  # caveats are in the report's notes, not the figures
        rel = compare_arms(cohort, "relapse") if "relapse" in cohort.outcomes else None
        adj = compare_arms(cohort, "relapse", adjust=confounders) if rel and confounders else None
        iptw = (compare_arms(cohort, "relapse", adjust=confounders, weights="iptw", bootstrap=bootstrap, seed=seed)
                if rel and confounders else None)
        cr = cumulative_incidence(cohort) if "retention" in cohort.outcomes else None
        rec = reconcile(cohort)
        bal = balance(cohort, confounders, weights="iptw") if confounders else None
    ref, trt = (s.arm_label(a) for a in cohort.arms)
    specs = []
    if rel is not None:
        hr = rel.hazard_ratio
        specs.append(_Spec(
            "km_relapse", lambda w: F.km_figure(rel, w),
            f"Kaplan-Meier estimates of time to first relapse by arm, with 95% log(-log) confidence bands. Hazard "
            f"ratio {trt} vs {ref}: {hr.value:.2f} (95% CI {hr.ci_lower:.2f}-{hr.ci_upper:.2f}). Numbers at risk "
            "below the plot; counts of 1-10 are shown as <11.",
            f"Line chart of the share of participants without relapse over days since enrollment, one line per arm. "
            f"The {trt} line stays {'above' if hr.value < 1 else 'below'} the {ref} line; hazard ratio {hr.value:.2f}.",
        ))
        forest = [("unadjusted", rel.hazard_ratio)] + ([("adjusted", adj.hazard_ratio)] if adj else []) + \
                 ([("IPTW", iptw.hazard_ratio)] if iptw else [])
        specs.append(_Spec(
            "forest_hazard_ratios", lambda w: F.forest_figure(forest, w),
            "Hazard ratios of relapse, " + "; ".join(f"{k}: {e.value:.2f} ({e.ci_lower:.2f}-{e.ci_upper:.2f})"
                                                     for k, e in forest)
            + ". Adjusted and IPTW estimates account for " + ", ".join(confounders) + ".",
            "Forest plot: one row per estimate of the hazard ratio of relapse with its 95% confidence interval, "
            "on a log scale with a dashed line at 1 (no difference). " +
            "; ".join(f"{k} {e.value:.2f}" for k, e in forest) + ".",
        ))
    if cr is not None:
        specs.append(_Spec(
            "cumulative_incidence_dropout", lambda w: F.cif_figure(cr, w),
            "Cumulative incidence of dropout (solid) and of completion or transfer (dashed), by arm (Aalen-Johansen; "
            f"Gray's test p = {cr.gray.p_value:.3g}).",
            "Step chart of the share who left treatment over days since enrollment: solid lines for dropout, dashed "
            "for other exits, one color per arm.",
        ))
        specs.append(_Spec(
            "retention_30_90_180", lambda w: F.retention_figure(cr, w),
            "Retention (not dropped out) at 30, 90 and 180 days by arm, with 95% confidence intervals; completion and "
            "transfer are competing exits, not dropout.",
            "Grouped bar chart of the share retained at days 30, 90 and 180, two bars per day (one per arm).",
        ))
    if s.ENROLL_DATE in cohort.df:
        specs.append(_Spec(
            "enrollment_by_quarter", lambda w: F.enrollment_figure(cohort, w),
            "Participants enrolled per quarter, stacked by site. Cells of 1-10 participants are not drawn.",
            "Stacked bar chart of enrollment per quarter, one color per site.",
        ))
    specs.append(_Spec(
        "claims_vs_cohort", lambda w: F.claims_figure(rec, w),
        "Effects claimed in the source articles (orange) against this cohort's estimates with 95% confidence "
        "intervals (blue), on a ratio scale with 1 meaning no difference.",
        "Dot-and-interval chart: for each claimed ratio an orange marker and the cohort's blue estimate with its "
        "interval.",
    ))
    if bal is not None:
        specs.append(_Spec(
            "love_plot", lambda w: F.love_figure(bal, w),
            "Standardized mean differences of the covariates between arms before (open) and after (filled) inverse "
            "probability weighting; the dashed line marks 0.1.",
            "Dot chart of covariate imbalance before and after weighting; after weighting every dot is left of 0.1.",
        ))
    return specs


def grant_figures(cohort: Cohort, out: str | Path = "figures/", *, bootstrap: int = 100, seed: int = 0) -> Path:
    """Write every figure as 300 dpi PNG, PDF and SVG at 3.5 in and 7 in widths, with caption and alt text.

    Files: ``<name>_single.{png,pdf,svg}``, ``<name>_double.{...}``, ``<name>.caption.txt``,
    ``<name>.alt.txt``, and ``figures.csv`` listing them. Returns the folder.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for spec in _specs(cohort, bootstrap, seed):
        for label, width in (("single", SINGLE), ("double", DOUBLE)):
            fig = spec.draw(width)
            for ext in ("png", "pdf", "svg"):
                path = out / f"{spec.name}_{label}.{ext}"
                fig.savefig(path, dpi=300, metadata={"Software": None} if ext == "png" else None)
                rows.append({"figure": spec.name, "width_in": width, "format": ext, "file": path.name})
        (out / f"{spec.name}.caption.txt").write_text(spec.caption + "\n", encoding="utf-8")
        (out / f"{spec.name}.alt.txt").write_text(spec.alt + "\n", encoding="utf-8")
    pd.DataFrame(rows).to_csv(out / "figures.csv", index=False)
    return out

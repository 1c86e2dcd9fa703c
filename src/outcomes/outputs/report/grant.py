"""Grant figures: the quarterly report's figures, each as 300 dpi PNG, PDF and SVG at single (3.5 in) and
double (7 in) column width, with a caption and alt text. They reuse the report's computed quarter, so a
figure and the report never disagree; a figure that cannot be drawn is listed with the reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...core.errors import InputError, OutcomesError
from ...core.progress import step
from ...core.style import DOUBLE, SINGLE
from ...model import schema as s
from ...model.asof import previous_quarter, quarter_bounds
from ...model.cohort import Cohort
from ...model.labels import using_labels
from ...present.quarter import QuarterlyResults, compute_quarter
from ...present.scanned_quarter import compute_scanned_quarter
from ...sources.scan import ScannedCohort
from .config import program_labels
from .sections import quarterly_document
from .figures import enrollment_drawable

__all__ = ["grant_figures", "latest_quarter"]


def latest_quarter(cohort: Cohort | ScannedCohort) -> str:
    """The last quarter whose end the cohort has seen (its as-of date, or its latest enrollment).

    >>> import outcomes as oc
    >>> latest_quarter(oc.synthetic_cohort(n=50, seed=1))
    '2026Q3'
    """
    last = (cohort.last_enrollment() if isinstance(cohort, ScannedCohort)
            else cohort.df[s.ENROLL_DATE].max().date() if s.ENROLL_DATE in cohort.df.columns and len(cohort) else None)
    if last is None:
        raise InputError("grant figures need enrollment dates (enroll_date): they show the program as of a quarter")
    seen = cohort.as_of or last
    quarter = f"{seen.year}Q{(seen.month - 1) // 3 + 1}"
    return quarter if quarter_bounds(quarter)[1] <= seen else previous_quarter(quarter)


def grant_figures(cohort: Cohort | ScannedCohort, out: str | Path = "figures/", *, quarter: str | None = None,
                  bootstrap: int = 100, seed: int = 0, allow_exclusions: bool = False) -> Path:
    """Write every figure of the quarter's report that can be drawn, at two widths and in three formats.

    Files: ``<name>_single.{png,pdf,svg}``, ``<name>_double.{...}``, ``<name>.caption.txt``,
    ``<name>.alt.txt``; ``figures.csv`` lists them, and ``not_drawn.csv`` lists what could not be
    drawn this quarter with the reason. Returns the folder.

    Parameters
    ----------
    cohort : Cohort or ScannedCohort
        A scanned cohort's quarter is computed in its engine (:mod:`outcomes.present.scanned_quarter`).
    quarter : str, optional
        Default: the last quarter the cohort has seen to its end (:func:`latest_quarter`).
    allow_exclusions : bool
        As in :func:`quarterly`.
    """
    quarter = quarter or latest_quarter(cohort)
    with using_labels(program_labels()):
        results = (compute_scanned_quarter(cohort, quarter, bootstrap=bootstrap, seed=seed)
                   if isinstance(cohort, ScannedCohort) else
                   compute_quarter(cohort, quarter, bootstrap=bootstrap, seed=seed, allow_exclusions=allow_exclusions))
        return _write_figures(results, out)


def _write_figures(results: QuarterlyResults, out: str | Path) -> Path:
    """Every figure of the quarter's document at both widths and in three formats, and their lists."""
    report = quarterly_document(results)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows, skipped = [], [{"figure": what, "reason": why} for what, why in results.not_estimable.items()]
    if not enrollment_drawable(results.enrolled):  # the document says so in words instead of an empty chart
        skipped.append({"figure": "enrollment_by_quarter", "reason": "every site's enrollment per quarter is 1 to "
                        "10: no bar can be drawn (CMS cell-size rule)"})
    for figure in report.figures():
        try:
            with step(f"drawing {figure.name}"):
                drawn = {label: figure.draw(width) for label, width in (("single", SINGLE), ("double", DOUBLE))}
        except OutcomesError as exc:
            skipped.append({"figure": figure.name, "reason": str(exc)})
            continue
        for label, fig in drawn.items():
            for ext in ("png", "pdf", "svg"):
                path = out / f"{figure.name}_{label}.{ext}"
                fig.savefig(path, dpi=300, metadata={"Software": None} if ext == "png" else None)
                rows.append({"figure": figure.name, "width_in": SINGLE if label == "single" else DOUBLE,
                             "format": ext, "file": path.name})
        (out / f"{figure.name}.caption.txt").write_text(figure.caption + "\n", encoding="utf-8")
        (out / f"{figure.name}.alt.txt").write_text(figure.alt + "\n", encoding="utf-8")
    pd.DataFrame(rows, columns=["figure", "width_in", "format", "file"]).to_csv(out / "figures.csv", index=False)
    pd.DataFrame(skipped, columns=["figure", "reason"]).to_csv(out / "not_drawn.csv", index=False)
    return out



"""What evaluators hand over: the quarterly report (HTML + Excel) and grant figures (PNG, PDF, SVG).

- :func:`quarterly` executes the parameterized notebook ``templates/quarterly_report.ipynb``
  with papermill (parameters: a path and the quarter, never data), exports it to HTML
  with the code hidden, and writes an Excel workbook of its tables;
- :func:`grant_figures` writes every figure at single (3.5 in) and double (7 in) column
  width as 300 dpi PNG, PDF and SVG, each with a caption and an alt-text file.
"""

from __future__ import annotations

import tempfile
import warnings
from importlib import resources
from pathlib import Path

import pandas as pd

from ...data.cohort import Cohort
from ...core.errors import InputError
from . import figures
from .build import QuarterlyResults, build, suppress_table
from .grant import grant_figures

__all__ = ["quarterly", "grant_figures", "build", "write_workbook", "methods_text", "figures", "suppress_table",
           "QuarterlyResults"]


def write_workbook(results: QuarterlyResults, path: str | Path) -> Path:
    """The report's tables as an Excel workbook, one sheet per table (named for what it holds)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in results.tables.items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
        pd.DataFrame({"methods": methods_text(results).split("\n")}).to_excel(writer, sheet_name="methods", index=False)
    return path


def methods_text(results: QuarterlyResults) -> str:
    """The methods and caveats section, as Markdown bullet points."""
    conf = ", ".join(results.confounders) or "none"
    lines = [
        f"- Data as known on {results.as_of}: enrollment, events and exits after that date are not used.",
        "- Time to relapse and time to dropout: Kaplan-Meier with Greenwood log(-log) 95% intervals; log-rank test; "
        "Cox proportional hazards with Efron ties; restricted mean survival time with its Greenwood-type SE. All agree "
        "with R's survival package (tested).",
        "- Retention: dropout is the event; completion and transfer are competing exits (Aalen-Johansen cumulative "
        "incidence, Gray's test, Fine-Gray subdistribution hazard ratio), as R's cmprsk.",
        f"- Self-selection: participants choose peer support. Adjusted and IPTW estimates use {conf}; they remove "
        "only the confounding these covariates capture (see the E-value in the notebooks for unmeasured confounding).",
        "- Secondary outcomes: risk ratios (modified Poisson), rate ratios (negative binomial with exposure), and "
        "ANCOVA of follow-up scores on baseline.",
        "- The articles' figures are marketing claims, often unsourced and partly inconsistent; each is translated "
        "into an estimand with stated assumptions before it is compared with these data.",
        "- Privacy: counts from 1 to 10, and cells from which one could be derived, are suppressed (<11). No "
        "identifier appears in this report.",
    ]
    return "\n".join(lines)


def quarterly(cohort_or_path: Cohort | str | Path, quarter: str = "2026Q3", out: str | Path = "reports/") -> Path:
    """Write the quarterly report for ``quarter``: HTML (code hidden), the executed notebook, and an Excel workbook.

    Parameters
    ----------
    cohort_or_path : Cohort or path
        A cohort, or a cohort file written by :meth:`Cohort.write`. A Cohort is written to a
        temporary file for the notebook (papermill parameters never carry data) and removed.
    quarter : str
        ``"2026Q3"``: the report uses what was known on the quarter's last day.
    out : folder

    Returns
    -------
    Path of the HTML report (the workbook ``quarterly_<quarter>.xlsx`` sits beside it).
    """
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    from ...data.asof import quarter_bounds

    quarter_bounds(quarter)  # validate early, with a clear message
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    template = resources.files("outcomes.outputs").joinpath("templates/quarterly_report.ipynb")
    executed = out / f"quarterly_{quarter}.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        if isinstance(cohort_or_path, Cohort):
            path = cohort_or_path.write(Path(tmp) / "cohort.parquet")
        else:
            path = Path(cohort_or_path)
            if not path.exists():
                raise InputError(f"file '{path}' does not exist")
        with resources.as_file(template) as template_path, warnings.catch_warnings():
            # the notebook machinery's own deprecations; the analyses' warnings are notes in the report
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            papermill.execute_notebook(
                str(template_path), str(executed),
                parameters={"cohort_path": str(path.resolve()), "quarter": quarter, "output_dir": str(out.resolve())},
                kernel_name="python3", progress_bar=False, log_output=False,
            )
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    html = out / f"quarterly_{quarter}.html"
    html.write_text(body, encoding="utf-8")
    return html

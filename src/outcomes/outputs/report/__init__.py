"""What evaluators hand over: the quarterly report (HTML, Word, PDF, Excel, notebook) and grant figures.

The quarter is computed once (:func:`outcomes.present.quarter.compute_quarter`), described once as a
document (:func:`document` -> :class:`model.Report`, typed cells, audited as a whole), and rendered by one small
module per format: ``render_html`` (jinja2), ``render_docx`` (python-docx), ``render_pdf`` (WeasyPrint
from the HTML), ``render_xlsx`` (openpyxl), and the executed notebook (papermill; its parameters are a
path, the quarter and the program's name, never data). The grant figures are the report's figures.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ...core.errors import InputError
from ...core.progress import step
from ...model.asof import quarter_bounds
from ...model.cohort import Cohort
from ...model.labels import using_labels
from ...model.interviews import Interviews
from ...sources.extract.interviews import read_interviews
from .config import identity, imputation_count, program_labels
from ...present.quarter import QuarterlyResults, compute_quarter
from ...present.scanned_quarter import compute_scanned_quarter
from ...sources.scan import ScannedCohort
from . import figures
from .sections import methods_lines, quarterly_document
from .grant import grant_figures
from .model import Report
from .render_docx import write_docx
from .render_html import render_html, write_html
from .render_pdf import write_pdf
from .render_xlsx import write_xlsx

__all__ = ["FORMATS", "QuarterlyResults", "Report", "build", "compute_quarter", "document", "figures", "grant_figures",
           "identity", "methods_text", "program_labels", "quarterly", "quarterly_document", "render_html"]

#: Formats ``quarterly`` can write, and the writer of each.
WRITERS = {"html": write_html, "docx": write_docx, "pdf": write_pdf, "xlsx": write_xlsx}
FORMATS = (*WRITERS, "ipynb")
DEFAULT_FORMATS = ("html", "xlsx", "docx", "pdf")

build = compute_quarter  # the name the first round used


def methods_text(results: QuarterlyResults) -> str:
    """The methods and caveats section, as Markdown bullet points."""
    return "\n".join(methods_lines(results))


def document(cohort_or_path: Cohort | ScannedCohort | str | Path, quarter: str = "2026Q3", *,
             program: str | None = None, funder: str | None = None, grant_id: str | None = None,
             logo: str | None = None, bootstrap: int = 100, seed: int = 0, allow_exclusions: bool = False,
             primary: str | None = None,
             labels: dict[str, str] | None = None, imputations: int | None = None,
             interviews: str | Path | pd.DataFrame | None = None,
             interviews_mapping: str | Path | None = None) -> Report:
    """The quarterly report as a document, audited, before any format is rendered.

    Every renderer (HTML, Word, PDF, Excel) reads this object and nothing else. Each table cell that shows a
    number is a :class:`~outcomes.core.shown.Shown`: the text people read, its kind (count, share, number,
    p-value, interval, suppressed, ...) and its value; :meth:`Report.cells` lists them all. The document has
    passed the disclosure audit (:func:`outcomes.outputs.report.audit.audit_report`): no count from 1 to 10, no
    cell a stated total would reveal, no ``nan``, ``inf`` or scientific notation. Parameters are those of
    :func:`quarterly`.

    Examples
    --------
    >>> import outcomes as oc
    >>> doc = oc.report.document(oc.synthetic_cohort(n=300, seed=3), "2026Q3", bootstrap=20)
    >>> doc.sections[0].title
    'Summary'
    >>> counts = doc.cells().query("kind == 'count'")
    >>> len(counts) > 20, bool(counts.value.between(1, 10).any())
    (True, False)
    """
    quarter_bounds(quarter)  # a bad quarter fails before any work
    cohort = _resolved(cohort_or_path)
    who = identity(program, funder, grant_id, logo, primary=primary)
    with using_labels(program_labels(labels)):
        if isinstance(cohort, ScannedCohort):
            if interviews is not None:
                raise InputError("interview records are matched to participants in memory: load the scanned "
                                 "cohort with .to_cohort() to report on its interviews")
            results = compute_scanned_quarter(cohort, quarter, bootstrap=bootstrap, seed=seed, primary=who["primary"])
        else:
            results = compute_quarter(cohort, quarter, bootstrap=bootstrap, seed=seed,
                                      allow_exclusions=allow_exclusions, primary=who["primary"],
                                      imputations=imputation_count(imputations),
                                      interviews=_interviews(interviews, cohort, interviews_mapping))
        return quarterly_document(results, program=who["program"] or "", funder=who["funder"] or "",
                                  grant_id=who["grant_id"] or "", logo=who["logo"])


def quarterly(cohort_or_path: Cohort | ScannedCohort | str | Path, quarter: str = "2026Q3",
              out: str | Path = "reports/", *,
              formats: Sequence[str] = DEFAULT_FORMATS, program: str | None = None, funder: str | None = None,
              grant_id: str | None = None, logo: str | None = None, bootstrap: int = 100, seed: int = 0,
              allow_exclusions: bool = False, primary: str | None = None, labels: dict[str, str] | None = None,
              imputations: int | None = None, interviews: str | Path | pd.DataFrame | None = None,
              interviews_mapping: str | Path | None = None) -> Path:
    """Write the quarterly report for ``quarter`` in each of ``formats``, all from one computed quarter.

    Parameters
    ----------
    cohort_or_path : Cohort, ScannedCohort or path
        A cohort, a cohort file written by :meth:`Cohort.write`, or a scan (:func:`outcomes.scan`: sections are
        computed in its engine, :mod:`outcomes.present.scanned_quarter`).
    quarter : str
        ``"2026Q3"``: the report uses what was known on the quarter's last day.
    out : folder
        Files are ``quarterly_<quarter>.<format>``.
    formats : sequence of {"html", "docx", "pdf", "xlsx", "ipynb"}
        ``ipynb``: the executed notebook (papermill; parameters: a path, the quarter, the identity; never data).
    program, funder, grant_id, logo : str, optional
        The program's identity on the title and in each document's metadata (default: ``outcomes.toml``).
    allow_exclusions : bool
        Report even when many export rows, or rows selected by outcome, were left out (the summary says so).
    labels : dict, optional
        The program's names for its arms and columns, everywhere (default: ``[labels]`` in ``outcomes.toml``).
    primary : {"unadjusted", "adjusted", "weighted"}, optional
        The primary relapse analysis the summary leads with (default: ``[report] primary``, else adjusted).
    imputations : int, optional
        Imputations of confounders blank for over 5% of participants (``[report] impute``, else 20; 0: none).
    interviews, interviews_mapping : path or DataFrame, path
        The program's follow-up interviews (:func:`outcomes.read_interviews`, with its mapping): follow-up is then
        counted from them; without them it is a proxy from last-contact dates, and the report says so.

    Returns
    -------
    Path of the HTML report (or of the first format written without HTML).

    Examples
    --------
    >>> import outcomes as oc, tempfile
    >>> path = oc.report.quarterly(oc.synthetic_cohort(n=120, seed=3), "2026Q3", tempfile.mkdtemp(),
    ...                            formats=["html", "xlsx"], program="Harbor Peer Recovery")
    >>> path.name
    'quarterly_2026Q3.html'
    """
    formats = _check_formats(formats)
    quarter_bounds(quarter)  # a bad quarter fails before any work
    cohort, out = _resolved(cohort_or_path, formats), _folder(out)
    report = document(cohort, quarter, program=program, funder=funder, grant_id=grant_id, logo=logo,
                      bootstrap=bootstrap, seed=seed, allow_exclusions=allow_exclusions, primary=primary,
                      labels=labels, imputations=imputations, interviews=interviews,
                      interviews_mapping=interviews_mapping)
    with using_labels(program_labels(labels)):  # figures are drawn as they are written, in the program's words
        written = [_written(WRITERS[f], report, out / f"quarterly_{quarter}.{f}") for f in formats if f in WRITERS]
    if "ipynb" in formats and not isinstance(cohort_or_path, ScannedCohort):  # (refused above for a scan)
        who = identity(program, funder, grant_id, logo, primary=primary)
        written.append(_notebook(cohort_or_path, quarter, out, who))
    return next((p for p in written if p.suffix == ".html"), written[0])


def _written(writer: Any, report: Report, path: Path) -> Path:
    with step(f"writing {path.name}"):
        return Path(writer(report, path))


def _interviews(interviews: str | Path | pd.DataFrame | None, cohort: Cohort,
                mapping: str | Path | None) -> pd.DataFrame | Interviews | None:
    """A path is read (and checked) with its mapping; a frame is checked by the quarter."""
    return read_interviews(interviews, cohort, mapping) if isinstance(interviews, (str, Path)) else interviews


def _check_formats(formats: Sequence[str] | str) -> list[str]:
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    formats = [f.lower().lstrip(".") for f in formats]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(f"format {unknown[0] if unknown else '(none)'!r} is not one of {list(FORMATS)}; "
                         "write e.g. --format html,docx,pdf,xlsx")
    return formats


def _resolved(cohort_or_path: Cohort | ScannedCohort | str | Path,
              formats: Sequence[str] = ()) -> Cohort | ScannedCohort:
    """The cohort to report on: given, or read from its file; a scan cannot feed the notebook (it reads a file)."""
    cohort = cohort_or_path if isinstance(cohort_or_path, (Cohort, ScannedCohort)) else _read(cohort_or_path)
    if isinstance(cohort, ScannedCohort) and "ipynb" in formats:
        raise InputError("the report notebook reads a cohort file, not a scan: ask for html, docx, pdf or xlsx")
    return cohort


def _folder(out: str | Path) -> Path:
    """The output folder, made when it does not exist."""
    Path(out).mkdir(parents=True, exist_ok=True)
    return Path(out)


def _read(path: str | Path) -> Cohort:
    path = Path(path)
    if not path.exists():
        raise InputError(f"file '{path}' does not exist")
    return Cohort.read(path)


def _notebook(cohort_or_path: Cohort | str | Path, quarter: str, out: Path, who: dict) -> Path:
    """Execute the report notebook with papermill (parameters: a path, the quarter, the identity; never data)."""
    import papermill

    template = resources.files("outcomes.outputs").joinpath("templates/quarterly_report.ipynb")
    executed = out / f"quarterly_{quarter}.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        path = (cohort_or_path.write(Path(tmp) / "cohort.parquet") if isinstance(cohort_or_path, Cohort)
                else Path(cohort_or_path))
        parameters = {"cohort_path": str(path.resolve()), "quarter": quarter, "program": who["program"] or "",
                      "funder": who["funder"] or "", "grant_id": who["grant_id"] or ""}
        with resources.as_file(template) as template_path, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the notebook machinery's own deprecations
            papermill.execute_notebook(str(template_path), str(executed), parameters=parameters,
                                       kernel_name="python3", progress_bar=False, log_output=False,
                                       # the kernel's own start-up notices are not for evaluators
                                       extra_arguments=["--IPKernelApp.log_level=ERROR"])
    return executed

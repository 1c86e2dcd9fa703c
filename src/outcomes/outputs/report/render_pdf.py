"""PDF renderer: WeasyPrint lays out the HTML rendering (Pango/cairo from the system), for funders who file."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from .model import Report
from .render_html import render_html

__all__ = ["write_pdf"]


def write_pdf(report: Report, path: Path) -> Path:
    """The report as a tagged PDF (PDF/UA-1), with page numbers, a running header (program, quarter), table rows
    kept whole and headings kept with what follows; the title, author (program) and subject in its metadata."""
    with warnings.catch_warnings():
        # WeasyPrint subsets fonts with fontTools when the system has no HarfBuzz-Subset; the PDF is the same
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        import weasyprint

        logging.getLogger("weasyprint").setLevel(logging.ERROR)  # font-fallback chatter is not for evaluators
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        # PDF/UA-1: tagged structure, document title shown, language, alt text (Section 508 asks for it)
        weasyprint.HTML(string=render_html(report)).write_pdf(path, pdf_variant="pdf/ua-1")
    return path

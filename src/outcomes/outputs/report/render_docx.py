"""Word renderer (python-docx): headings, paragraphs, real tables and figures with captions, for funders who
edit and paste."""

from __future__ import annotations

import io
from pathlib import Path

from .model import Report, Section

__all__ = ["write_docx"]


def _section(doc, section: Section) -> None:
    from docx.shared import Inches, Pt

    doc.add_heading(section.title, level=1)
    for paragraph in section.text:
        if paragraph.startswith("- "):
            doc.add_paragraph(paragraph[2:], style="List Bullet")
        else:
            doc.add_paragraph(paragraph)
    for table in section.tables:
        frame = table.frame
        grid = doc.add_table(rows=1, cols=len(frame.columns), style="Light Grid Accent 1")
        for cell, heading in zip(grid.rows[0].cells, frame.columns):
            cell.text = str(heading)
        _row_flags(grid.rows[0], "w:tblHeader")  # the header row repeats on every page the table spans
        for row in frame.itertuples(index=False):
            added = grid.add_row()
            for cell, value in zip(added.cells, row):
                cell.text = "" if value is None else str(value)
            _row_flags(added, "w:cantSplit")  # a row is never split across pages
        caption = doc.add_paragraph(f"Table: {table.caption}", style="Caption")
        caption.runs[0].font.size = Pt(8)
    for figure in section.figures:
        doc.add_picture(io.BytesIO(figure.png()), width=Inches(6.0))
        picture = doc.inline_shapes[-1]._inline
        picture.docPr.set("descr", figure.alt)  # alt text, read by screen readers
        doc.add_paragraph(f"Figure: {figure.caption}", style="Caption")
    for note in section.notes:
        doc.add_paragraph(note, style="List Bullet")


def _row_flags(row, flag: str) -> None:
    from docx.oxml import OxmlElement

    properties = row._tr.get_or_add_trPr()
    element = OxmlElement(flag)
    element.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val", "true")
    properties.append(element)


def _field(paragraph, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the document out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), code)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _header_and_footer(doc, report: Report) -> None:
    """A running header (program, quarter) and "Page N of M" in the footer of every page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.text = " \u00b7 ".join(x for x in (report.program, f"Quarterly report {report.quarter}") if x)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def write_docx(report: Report, path: Path) -> Path:
    """The report as a Word document (metadata: title, author = program, subject = period)."""
    import docx

    doc = docx.Document()
    fit = _property_text  # Word keeps at most 255 characters in each document property
    doc.core_properties.title = fit(report.title)
    doc.core_properties.author = fit(report.program)
    doc.core_properties.subject = fit(f"Reporting period {report.period}")
    doc.core_properties.keywords = fit(", ".join(k for k in (report.funder, report.grant_id, report.quarter) if k))
    doc.core_properties.comments = fit(f"Quarterly outcomes report, {report.period}")  # not the tool's name
    doc.core_properties.last_modified_by = fit(report.program)
    _header_and_footer(doc, report)
    if report.logo:
        from docx.shared import Inches

        doc.add_picture(report.logo, width=Inches(1.2))
    doc.add_heading(report.title, level=0)
    doc.add_paragraph(report.subtitle)
    for section in report.sections:
        _section(doc, section)
    doc.save(str(path))
    return path


def _property_text(text: str) -> str:
    """A document property as Word stores it: at most 255 characters (a longer one is cut with an ellipsis)."""
    return text if len(text) <= 255 else text[:254] + "…"

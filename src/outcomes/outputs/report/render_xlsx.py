"""Excel renderer (openpyxl): the summary, every table on its own sheet (the same text as the report), and
the methods."""

from __future__ import annotations

from pathlib import Path

from .model import Report

__all__ = ["write_xlsx"]


def write_xlsx(report: Report, path: Path) -> Path:
    """A workbook: ``summary``, one sheet per table (named for what it holds), ``methods``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.create_sheet("summary", 0)
    book.remove(book.worksheets[1])  # the empty default sheet
    summary.append([report.title])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([report.subtitle])
    for paragraph in report.sections[0].text:
        summary.append([paragraph])
    summary.column_dimensions["A"].width = 120
    for table in report.tables():
        sheet = book.create_sheet(table.name[:31])
        sheet.append(list(map(str, table.frame.columns)))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.frame.itertuples(index=False):
            sheet.append(["" if v is None else str(v) for v in row])
        sheet.append([])
        sheet.append([f"Table: {table.caption}"])
        for k, column in enumerate(table.frame.columns):
            width = max([len(str(column))] + [len(str(v)) for v in table.frame.iloc[:, k]])
            sheet.column_dimensions[sheet.cell(1, k + 1).column_letter].width = min(60, width + 2)
    methods = book.create_sheet("methods")
    for section in report.sections:
        if section.title == "Methods and caveats":
            for line in section.text:
                methods.append([line[2:] if line.startswith("- ") else line])
    methods.column_dimensions["A"].width = 140
    book.properties.title = report.title
    book.properties.creator = report.program
    book.properties.subject = f"Reporting period {report.period}"
    book.save(path)
    return path

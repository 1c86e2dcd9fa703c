"""Excel renderer (openpyxl): the summary, every table on its own sheet (the same text as the report), and
the methods."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .model import Report

__all__ = ["write_xlsx"]


_COUNT = re.compile(r"^-?\d{1,3}(,\d{3})*$|^-?\d+$")
_DECIMAL = re.compile(r"^-?\d[\d,]*\.(\d+)$")
_PERCENT = re.compile(r"^(-?\d+(?:\.(\d+))?)%$")
_INTERVAL = re.compile(r"^(-?[\d,]*\.?\d+%?) to (-?[\d,]*\.?\d+%?)$")


def typed(text: object) -> tuple[object, str | None]:
    """A shown cell as Excel should hold it: a number with its display format when the text is one ("2,000",
    "0.54", "47%"), else the text ("<11", "not estimable", words).

    >>> typed("2,000"), typed("47.5%"), typed("0.54"), typed("<11")
    ((2000, '#,##0'), (0.475, '0.0%'), (0.54, '#,##0.00'), ('<11', None))
    """
    if not isinstance(text, str):
        return text, None
    value = text.strip()
    if _COUNT.match(value):
        return int(value.replace(",", "")), "#,##0"
    if m := _DECIMAL.match(value):
        return float(value.replace(",", "")), "#,##0." + "0" * len(m.group(1))
    if m := _PERCENT.match(value):
        return float(m.group(1)) / 100, "0" + ("." + "0" * len(m.group(2)) if m.group(2) else "") + "%"
    return text, None


def _with_interval_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A column of intervals ("0.54 to 0.74") becomes two, lower and upper, so each bound is a number."""
    out = frame.copy()
    for column in frame.columns:
        text = frame[column].astype(str).str.strip()
        matched = text.str.extract(_INTERVAL)
        filled = text != ""
        if filled.any() and matched[0].notna().sum() >= max(1, int(0.5 * filled.sum())):
            at = list(out.columns).index(column)
            out = out.drop(columns=column)
            out.insert(at, f"{column} (lower)", matched[0].where(matched[0].notna(), text))
            out.insert(at + 1, f"{column} (upper)", matched[1].fillna(""))
    return out


def _table_sheet(book, name: str, frame: pd.DataFrame, caption: str) -> None:
    """One table on its own sheet: a bold, frozen header row, numbers as numbers, sensible widths."""
    from openpyxl.styles import Font

    sheet = book.create_sheet(name.replace("_", " ").capitalize()[:31])
    sheet.append(list(map(str, frame.columns)))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for c, shown in enumerate(row, start=1):
            value, number_format = typed("" if shown is None else shown)
            cell = sheet.cell(r, c, value)
            if number_format:
                cell.number_format = number_format
    sheet.append([])
    sheet.append([f"Table: {caption}"])
    sheet.freeze_panes = "A2"
    for k, column in enumerate(frame.columns):
        width = max([len(str(column))] + [len(str(v)) for v in frame.iloc[:, k]])
        sheet.column_dimensions[sheet.cell(1, k + 1).column_letter].width = min(60, width + 2)


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
        _table_sheet(book, table.name, _with_interval_columns(table.frame), table.caption)
    methods = book.create_sheet("methods")
    for section in report.sections:
        if section.title == "Methods and caveats":
            for line in section.text:
                methods.append([line[2:] if line.startswith("- ") else line])
    methods.column_dimensions["A"].width = 140
    book.properties.title = report.title
    book.properties.creator = report.program
    book.properties.lastModifiedBy = report.program
    book.properties.subject = f"Reporting period {report.period}"
    book.save(path)
    return path

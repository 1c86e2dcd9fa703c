"""Excel renderer (openpyxl): the summary, every table on its own sheet (the same text as the report), and
the methods."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...core.shown import Shown
from .model import Report

__all__ = ["write_xlsx"]


def excel_value(cell: object) -> tuple[object, str | None]:
    """A document cell as Excel should hold it: the number a :class:`~outcomes.core.shown.Shown` shows, with its
    display format ("2,000" -> 2000 as ``#,##0``; "47.5%" -> 0.475 as ``0.0%``); anything else (words, "<11", a
    band, "not estimable", "< 0.001") as its text.

    >>> from outcomes.core import formatting as fmt
    >>> excel_value(fmt.count(2000)), excel_value(fmt.percent(0.475, 1)), excel_value(fmt.number(0.54))
    ((2000, '#,##0'), (0.475, '0.0%'), (0.54, '#,##0.00'))
    >>> excel_value(fmt.count(7)), excel_value(fmt.p_value(1e-9)), excel_value("Peer support added")
    (('<11', None), ('< 0.001', None), ('Peer support added', None))
    """
    if cell is None:
        return "", None
    if not isinstance(cell, Shown) or cell.value is None or cell.kind not in ("count", "number", "share", "p_value"):
        return str(cell), None
    decimals = "." + "0" * cell.digits if cell.digits else ""
    if cell.kind == "share":
        return float(cell.value), f"0{decimals}%"
    if cell.kind == "p_value":
        return float(cell.value), f"0{decimals}"
    return cell.value, f"#,##0{decimals}"


def _bound(cell: Shown, which: int) -> Shown:
    """One bound of an interval cell, as the number (or share) it is."""
    kind = "share" if cell.scale == "percent" else "number"
    return Shown(str(cell).split(" to ")[which], kind, cell.value[which], cell.digits)


def _with_interval_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A column of intervals ("0.54 to 0.74") becomes two, lower and upper, so each bound is a number."""
    out = frame.copy()
    for column in frame.columns:
        cells = list(frame[column])
        intervals = [isinstance(c, Shown) and c.kind == "interval" for c in cells]
        filled = sum(1 for c in cells if c not in ("", None))
        if not any(intervals) or sum(intervals) < max(1, int(0.5 * filled)):
            continue
        at = list(out.columns).index(column)
        out = out.drop(columns=column)
        out.insert(at, f"{column} (lower)", [_bound(c, 0) if i else c for c, i in zip(cells, intervals)])
        out.insert(at + 1, f"{column} (upper)", [_bound(c, 1) if i else "" for c, i in zip(cells, intervals)])
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
            value, number_format = excel_value(shown)
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

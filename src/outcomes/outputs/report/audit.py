"""One audit over the whole document, before any format is rendered.

The tables are built with their disclosure rules (:mod:`outcomes.core.disclosure`: small counts hidden, and the
cells that a stated total or difference would reveal); this pass is the last guard over everything a renderer will
print, in every section: titles, sentences, notes, table captions, headers and cells, figure captions and alt text.

- A cell that is a count (:class:`~outcomes.core.shown.Shown` of kind ``"count"``) from 1 to 10 becomes ``"<11"``.
- A count of people or events from 1 to 10 written in text becomes "fewer than 11" (:func:`audit_text`).
- A raw number left in a table (a float, an int, a boolean) is shown by the one number style
  (:func:`~outcomes.core.formatting.shown_cell`); ``nan`` and ``inf``, as numbers or in text, read "not
  estimable", and a number in scientific notation is written out.

What a figure draws comes from the same counts through the same rules (:mod:`.figures` suppresses its bars and
at-risk rows with :func:`~outcomes.core.disclosure.show_count`); its caption and alt text are audited here.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from ...core.disclosure import SUPPRESSED, audit_text, is_small
from ...core.formatting import NOT_ESTIMABLE, is_p_value_column, plain, shown_cell
from ...core.shown import Shown
from .model import Report, Section, Table

__all__ = ["audit_cell", "audit_report", "plain_text"]

_NOT_FINITE = re.compile(r"(?<![\w.'])-?(?:nan|inf|infinity)(?![\w'])", re.IGNORECASE)
_E_NOTATION = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?[eE][+-]?\d+(?![\w.])")


def plain_text(text: str) -> str:
    """Text as a person may read it: no ``nan`` or ``inf`` (they read "not estimable"), no scientific notation,
    and no count of people or events from 1 to 10.

    >>> plain_text("p = 1.77e-08; HR nan (nan to nan); 7 participants left out")
    'p = 0.0000000177; HR not estimable (not estimable to not estimable); fewer than 11 participants left out'
    """
    text = _NOT_FINITE.sub(NOT_ESTIMABLE, text)
    text = _E_NOTATION.sub(lambda m: str(plain(float(m.group(0)), 3)), text)
    return audit_text(text)


def audit_cell(cell: Any, p_column: bool = False) -> Any:
    """One table cell as the document may hold it.

    >>> audit_cell(Shown("7", "count", 7)), audit_cell(float("nan")), audit_cell(2.5e-7), audit_cell("inf")
    ('<11', 'not estimable', '0.00000025', 'not estimable')
    """
    if isinstance(cell, Shown):
        if cell.kind == "count" and is_small(float(cell.value)):
            return Shown(SUPPRESSED, "suppressed")
        return cell
    if isinstance(cell, str):
        return plain_text(cell)
    if cell is None:
        return ""
    if isinstance(cell, (float, np.floating)) and not math.isfinite(cell):
        return Shown(NOT_ESTIMABLE, "missing")  # nan or inf: a value that is not estimable says so in words
    return shown_cell(cell, p_column)


def _audited_table(table: Table) -> Table:
    frame = table.frame.copy()
    for column in frame.columns:
        p_column = is_p_value_column(column)
        frame[column] = pd.Series([audit_cell(v, p_column) for v in frame[column]], index=frame.index, dtype=object)
    frame.columns = [plain_text(str(c)) for c in frame.columns]
    return dataclasses.replace(table, caption=plain_text(table.caption), frame=frame)


def _audited_section(section: Section) -> Section:
    return dataclasses.replace(
        section, title=plain_text(section.title), text=tuple(plain_text(x) for x in section.text),
        notes=tuple(plain_text(x) for x in section.notes),
        tables=tuple(_audited_table(t) for t in section.tables),
        figures=tuple(dataclasses.replace(f, caption=plain_text(f.caption), alt=plain_text(f.alt))
                      for f in section.figures))


def audit_report(report: Report) -> Report:
    """The report with every section audited (see the module's rules); renderers receive only this.

    >>> section = Section("Enrollment", ("7 participants enrolled",),
    ...                   tables=(Table("t", "", pd.DataFrame({"n": [Shown("7", "count", 7), 2.5]})),))
    >>> audited = audit_report(Report("t", "p", "", "", "", "2026Q3", (section,)))
    >>> audited.sections[0].text[0], audited.tables()[0].frame.n.tolist()
    ('fewer than 11 participants enrolled', ['<11', '2.5'])
    """
    return dataclasses.replace(report, title=plain_text(report.title),
                               sections=tuple(_audited_section(sec) for sec in report.sections))

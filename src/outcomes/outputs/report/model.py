"""The document model every renderer reads: a Report is titled sections of sentences, tables and figures.

Renderers (HTML, Word, PDF, Excel, notebook) read a :class:`Report` and nothing
else, so every format shows the same numbers in the same order. A new format is
one new renderer module.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from ...core.shown import kind_of, value_of

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

__all__ = ["Figure", "Report", "Section", "Table"]


@dataclass(frozen=True)
class Table:
    """A table for people: cells of text with human headings, and a caption under it. A cell that shows a number
    is a :class:`~outcomes.core.shown.Shown`: the text people read, its kind and its value."""

    name: str  # short identifier (the Excel sheet name)
    caption: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class Figure:
    """A figure drawn on demand at a given width (inches), with a caption and alt text."""

    name: str
    caption: str
    alt: str
    draw: Callable[[float], MplFigure] = field(repr=False)
    _png: dict[tuple[float, int], bytes] = field(default_factory=dict, repr=False, compare=False)

    def png(self, width: float = 7.0, dpi: int = 150) -> bytes:
        """The figure as PNG bytes (drawn once per size: HTML, Word and PDF share it)."""
        if (width, dpi) not in self._png:
            buffer = io.BytesIO()
            self.draw(width).savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
            self._png[(width, dpi)] = buffer.getvalue()
        return self._png[(width, dpi)]


@dataclass(frozen=True)
class Section:
    """One section: a title, paragraphs (plain sentences; a paragraph starting "- " is a bullet), tables,
    figures and notes (caveats printed small after the section)."""

    title: str
    text: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """A whole document: identity, reporting period and sections (the summary first)."""

    title: str
    program: str
    funder: str
    grant_id: str
    period: str  # "1 July 2026 to 30 September 2026"
    quarter: str
    sections: tuple[Section, ...]
    logo: str | None = None

    @property
    def subtitle(self) -> str:
        parts = [self.program, f"Reporting period: {self.period}"]
        if self.funder:
            parts.append(f"Funder: {self.funder}" + (f" (grant {self.grant_id})" if self.grant_id else ""))
        return " · ".join(p for p in parts if p)

    def tables(self) -> list[Table]:
        """Every table of the report, in order."""
        return [t for section in self.sections for t in section.tables]

    def figures(self) -> list[Figure]:
        return [f for section in self.sections for f in section.figures]

    def cells(self) -> pd.DataFrame:
        """Every table cell of the document with its kind and the value it shows, one row each: ``section,
        table, row, column, kind, value, shown`` (kinds: :data:`outcomes.core.shown.KINDS`, or "text"). A
        suppressed or missing cell has no value: what is hidden is not in the document."""
        rows = [(section.title, table.name, i, str(column), kind_of(cell), value_of(cell), str(cell))
                for section in self.sections for table in section.tables
                for column in table.frame.columns for i, cell in enumerate(table.frame[column])]
        return pd.DataFrame(rows, columns=["section", "table", "row", "column", "kind", "value", "shown"])

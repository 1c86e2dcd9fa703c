"""A number as a document holds it: the text people read, with its kind and the value it shows.

Every formatting function (:mod:`outcomes.core.formatting`, :func:`outcomes.core.disclosure.show_count`) returns a
:class:`Shown`. It *is* the text (a ``str``: tables, sentences and renderers use it as they use any text), and it
keeps what the text shows, so that Excel can store the number itself with its display format and the document audit
can find every count without reading text back. A hidden count keeps no value: what is suppressed is not carried
into the document, so no renderer can leak it.

>>> from outcomes.core.shown import Shown
>>> cell = Shown("2,000", "count", 2000)
>>> cell, cell == "2,000", cell.kind, cell.value
('2,000', True, 'count', 2000)
"""

from __future__ import annotations

from typing import Any

__all__ = ["KINDS", "Shown", "kind_of", "value_of"]

#: What a shown value can be: a count of people or events; a share (the value a proportion, 0.47 for "47%"); a
#: number (an estimate, a ratio, a number of days); a p-value; an interval (the value ``(lower, upper)``); an
#: estimate with its interval (``(estimate, lower, upper)``); a suppressed cell ("<11", "suppressed", a band such as
#: "< 9%": no value); missing (a value that could not be estimated, said in words: no value).
KINDS = ("count", "share", "number", "p_value", "interval", "estimate", "suppressed", "missing")


class Shown(str):
    """Text for people that remembers the number it shows (it prints, compares and renders as its text).

    Parameters
    ----------
    text : str
        What people read.
    kind : one of :data:`KINDS`
    value : float, tuple or None
        The number as shown, rounded as the text is ("0.63" holds 0.63, so a sum in Excel is the sum of what
        people read); ``None`` for suppressed and missing cells, and for a bound such as "< 0.001".
    digits : int
        Decimals shown (for Excel's display format).
    scale : {"number", "percent"}
        How an interval or estimate is shown.
    """

    kind: str
    value: Any
    digits: int
    scale: str

    def __new__(cls, text: str, kind: str, value: Any = None, digits: int = 0, scale: str = "number") -> Shown:
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is not one of {KINDS}")
        shown = super().__new__(cls, text)
        shown.kind, shown.value, shown.digits, shown.scale = kind, value, digits, scale
        return shown

    def __getnewargs__(self) -> tuple[Any, ...]:  # pickling keeps the kind and value
        return str(self), self.kind, self.value, self.digits, self.scale



def kind_of(cell: object) -> str:
    """The kind of a document cell: a :class:`Shown`'s own, "text" for any other text.

    >>> kind_of(Shown("<11", "suppressed")), kind_of("Peer support added")
    ('suppressed', 'text')
    """
    return cell.kind if isinstance(cell, Shown) else "text"


def value_of(cell: object) -> Any:
    """The value a cell shows (``None`` for text, suppressed and missing cells)."""
    return cell.value if isinstance(cell, Shown) else None

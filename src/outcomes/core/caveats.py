"""Caveats: what a reader of a valid result must know (rows left out, an extrapolation, extreme weights).

A caveat travels on the result that it qualifies (its ``caveats`` field), so a report or a reconciliation reads
it from there. It is also issued once as a :class:`~outcomes.core.errors.StatisticalWarning`, so a person at
a notebook sees it when it happens, unless the caller said it will read the caveats from the results itself
(:func:`quiet_caveats`, which the quarterly report and the reconciliation use). The switch is a context
variable: it holds for the current thread or task only, unlike a warning filter, which is process-wide.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .disclosure import show_count
from .errors import StatisticalWarning

__all__ = ["caveat", "quiet_caveats"]

_QUIET: ContextVar[bool] = ContextVar("outcomes_quiet_caveats", default=False)


Counted = Callable[[Callable[[float], str]], str]


def caveat(text: str | Counted, stacklevel: int = 2) -> str:
    """Warn (unless inside :func:`quiet_caveats`) and return the text the result keeps.

    ``text`` may be a template that writes its counts with the formatter it is given: the warning, for the
    analyst holding the rows, counts exactly; the kept text, which reports may show, writes a count from 1
    to 10 as ``<11`` (:func:`~outcomes.core.disclosure.show_count`).

    >>> with quiet_caveats():
    ...     caveat(lambda n: f"{n(3)} of {n(250)} participants were left out")
    '<11 of 250 participants were left out'
    """
    if isinstance(text, str):
        exact = shown = text
    else:
        exact, shown = text(lambda n: f"{int(round(n))}"), text(show_count)
    if not _QUIET.get():
        warnings.warn(exact, StatisticalWarning, stacklevel=stacklevel + 1)
    return shown


@contextmanager
def quiet_caveats() -> Iterator[None]:
    """Within this block (this thread or task only), caveats are kept on the results but not warned."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)

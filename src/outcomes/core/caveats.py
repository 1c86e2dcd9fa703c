"""Caveats: what a reader of a valid result must know (rows left out, an extrapolation, extreme weights).

A caveat travels on the result that it qualifies (its ``caveats`` field), so a report or a reconciliation reads
it from there. It is also issued once as a :class:`~outcomes.core.errors.StatisticalWarning`, so a person at
a notebook sees it when it happens, unless the caller said it will read the caveats from the results itself
(:func:`quiet_caveats`, which the quarterly report and the reconciliation use). The switch is a context
variable: it holds for the current thread or task only, unlike a warning filter, which is process-wide.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import StatisticalWarning

__all__ = ["caveat", "quiet_caveats"]

_QUIET: ContextVar[bool] = ContextVar("outcomes_quiet_caveats", default=False)


def caveat(message: str, stacklevel: int = 2) -> str:
    """Warn with ``message`` (unless inside :func:`quiet_caveats`) and return it for the result to keep.

    >>> with quiet_caveats():
    ...     caveat("3 participants were left out")
    '3 participants were left out'
    """
    if not _QUIET.get():
        warnings.warn(message, StatisticalWarning, stacklevel=stacklevel + 1)
    return message


@contextmanager
def quiet_caveats() -> Iterator[None]:
    """Within this block (this thread or task only), caveats are kept on the results but not warned."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)

"""Dates given by people: one parser, one message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..core.errors import InputError

__all__ = ["parse_date"]


EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2262, 4, 11)


def parse_date(value: Any, what: str) -> dt.date:
    """A date from a ``date``, ``datetime``, pandas ``Timestamp`` or ``"YYYY-MM-DD"`` text.

    ``what`` names the argument in the error message.

    >>> parse_date("2026-06-30", "as_of")
    datetime.date(2026, 6, 30)
    >>> parse_date("2026-02-30", "as_of")
    Traceback (most recent call last):
    ...
    outcomes.core.errors.InputError: as_of '2026-02-30' is not a date (expected YYYY-MM-DD)
    """
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif isinstance(value, str):
        try:
            date = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(f"{what} {value!r} is not a date (expected YYYY-MM-DD)") from None
    else:
        raise InputError(f"{what} must be a date or a 'YYYY-MM-DD' text, not {type(value).__name__}")
    if not EARLIEST <= date <= LATEST:  # pandas counts nanoseconds: later dates overflow
        raise InputError(f"{what} {date.isoformat()} is outside the dates the package handles ({EARLIEST} to "
                         f"{LATEST}); check the year")
    return date

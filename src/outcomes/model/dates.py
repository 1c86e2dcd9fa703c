"""Dates given by people: one parser, one message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..core.errors import InputError

__all__ = ["parse_date"]


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
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(f"{what} {value!r} is not a date (expected YYYY-MM-DD)") from None
    raise InputError(f"{what} must be a date or a 'YYYY-MM-DD' text, not {type(value).__name__}")

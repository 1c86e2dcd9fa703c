"""Exposure that starts after enrollment: when each participant's peer support began, checked once.

A cohort may carry ``exposure_start_days`` (days from enrollment to the first peer contact; blank = never).
Its arm then records who was *ever* exposed, so the two must agree: a start belongs to the treatment arm, a
blank to the reference arm. A start before enrollment is impossible, and a start after the participant's last
contact cannot have been observed; both are refused with the row named. A start after an outcome's event or
censoring is valid data (peer support began after a relapse) and is ignored for that outcome, as R's ``tmerge``
ignores a change past the end of follow-up; :func:`outcomes.compare_exposure` counts and reports those.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.errors import InputError
from . import schema as s
from .validation import shown_value, where

__all__ = ["check_exposure_start"]


def check_exposure_start(df: pd.DataFrame, arms: tuple[str, str], source: str | None = None) -> np.ndarray:
    """``exposure_start_days`` as floats (NaN = never), after checking it against the arm and follow-up.

    Raises
    ------
    InputError
        A start that is not a number, before day 0, after the last contact (``followup_days``, or the outcome
        times when there is none), or that disagrees with the arm (which records who was ever exposed).

    Examples
    --------
    >>> df = pd.DataFrame({"arm": ["clinical", "peer_clinical"], "exposure_start_days": [None, 12],
    ...                    "relapse_days": [40.0, 90.0]})
    >>> check_exposure_start(df, ("clinical", "peer_clinical")).tolist()
    [nan, 12.0]
    """
    raw = df[s.EXPOSURE_START]
    start = pd.to_numeric(raw, errors="coerce").to_numpy(float)
    _first(np.isnan(start) & raw.notna().to_numpy(),
           "is not a number of days; write the days from enrollment to the first peer contact, or leave it blank",
           raw, source)
    _first(start < 0, "is before enrollment (day 0); correct the date of the first peer contact", raw, source)
    _first(np.isinf(start), "is not a finite number of days", raw, source)
    last = _last_contact(df)
    _first(start > last, "is after the participant's last contact; peer support cannot have been seen starting "
           "then: correct the date, or the last contact", raw, source)
    arm = df[s.ARM].astype(str).to_numpy()
    exposed = ~np.isnan(start)
    _first(exposed & (arm == arms[0]), f"is given, but the arm is {arms[0]!r}: with exposure start days the arm "
           f"records who was ever exposed ({arms[1]!r}); fix the arm or blank the start", raw, source)
    _first(~exposed & (arm == arms[1]), f"with the arm {arms[1]!r} (ever exposed): give the day peer support "
           "started, or the arm of someone never exposed", raw, source)
    return start


def _last_contact(df: pd.DataFrame) -> np.ndarray:
    """The latest day anything about the participant was known: follow-up, or else the outcome times."""
    if s.FOLLOWUP_DAYS in df.columns:
        return df[s.FOLLOWUP_DAYS].to_numpy(float)
    times = [df[c].to_numpy(float) for c in (s.RELAPSE_DAYS, s.EXIT_DAYS) if c in df.columns]
    return np.fmax.reduce(times) if times else np.full(len(df), np.inf)


def _first(bad: np.ndarray, problem: str, raw: pd.Series, source: str | None) -> None:
    rows = np.flatnonzero(bad)
    if rows.size:
        i = int(rows[0])
        shown = shown_value(raw.iloc[i])
        more = f" ({rows.size} rows like it)" if rows.size > 1 else ""
        raise InputError(f"{where(s.EXPOSURE_START, i + 1, source)}: exposure start {shown} {problem}{more}")

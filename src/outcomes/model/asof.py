"""What was known at a date: a cohort restricted to an as-of date.

A report for a quarter uses only what was known at the quarter's end:
participants enrolled later are left out, follow-up stops at the as-of date
(later events are not seen), and treatment still going on then counts as
``in_treatment``. So re-running an old quarter on a newer, larger extract
gives the same numbers.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from . import schema as s
from .cohort import Cohort
from .dates import parse_date
from .outcome_registry import SECONDARY_OUTCOMES
from ..core.errors import InputError

__all__ = ["as_of", "censor_event", "censor_exit", "quarter_bounds", "previous_quarter"]


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter written ``"2026Q3"``.

    >>> quarter_bounds("2026Q3")
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    """
    m = re.fullmatch(r"(\d{4})\s*-?\s*[Qq]([1-4])", str(quarter).strip())
    if not m:
        raise InputError(f"quarter {quarter!r} is not a quarter; write it like 2026Q3")
    year, q = int(m.group(1)), int(m.group(2))
    if not 1900 <= year <= 2200:
        raise InputError(f"quarter {quarter!r}: the year {year} is outside 1900-2200; check it")
    start = dt.date(year, 3 * q - 2, 1)
    end = (dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1))
    return start, end


def previous_quarter(quarter: str) -> str:
    """``"2026Q3"`` -> ``"2026Q2"``; ``"2026Q1"`` -> ``"2025Q4"``."""
    start, _ = quarter_bounds(quarter)
    prev = start - dt.timedelta(days=1)
    return f"{prev.year}Q{(prev.month - 1) // 3 + 1}"


def censor_event(days: np.ndarray, happened: np.ndarray, horizon: np.ndarray,
                 last_contact: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The as-of rule for an event: seen if it happened by the horizon, else follow-up ends at the last
    contact or the horizon, whichever is first. Returns (days, seen).

    >>> d, seen = censor_event(np.array([10.0, 50.0, 30.0]), np.array([True, True, False]), np.array([40.0] * 3))
    >>> d.tolist(), seen.tolist()
    ([10.0, 40.0, 30.0], [True, False, False])
    """
    seen = np.asarray(happened, dtype=bool) & (days <= horizon)
    last = np.minimum(days, horizon) if last_contact is None else np.fmin(last_contact, horizon)
    return np.where(seen, days, last), seen


def censor_exit(days: np.ndarray, reason: np.ndarray, horizon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The as-of rule for leaving treatment: an exit after the horizon (or none) is ``in_treatment`` at it.

    >>> d, why = censor_exit(np.array([20.0, 90.0, np.nan]), np.array(["dropout"] * 3, dtype=object),
    ...                      np.array([60.0] * 3))
    >>> d.tolist(), why.tolist()
    ([20.0, 60.0, 60.0], ['dropout', 'in_treatment', 'in_treatment'])
    """
    ended = ~np.isnan(days) & (days <= horizon)
    return np.where(ended, days, horizon), np.where(ended, reason, "in_treatment")


def as_of(cohort: Cohort, date: dt.date | str) -> Cohort:
    """The cohort as it was known on ``date`` (needs ``enroll_date``).

    Enrollment after ``date`` is left out; events and exits after it are not seen; follow-up stops there.
    Secondary measurements taken after it (per the outcome registry) are unknown, and counts that
    accumulate over follow-up without dates cannot be cut at an earlier date, so they are unknown too.

    Examples
    --------
    >>> import outcomes as oc
    >>> c = oc.synthetic_cohort(n=500, seed=1)
    >>> earlier = oc.as_of(c, "2025-12-31")
    >>> str(earlier.as_of), len(earlier) < len(c)
    ('2025-12-31', True)
    """
    date = parse_date(date, "as-of date")
    df = cohort.df
    if s.ENROLL_DATE not in df.columns:
        raise InputError("as_of needs enrollment dates (enroll_date); this cohort has none")
    if cohort.as_of is not None and date > cohort.as_of:
        raise InputError(f"as-of date {date} is after this cohort's own as-of date {cohort.as_of}: "
                         "what happened in between is not in the data")
    keep = (df[s.ENROLL_DATE] <= pd.Timestamp(date)).to_numpy()
    # Everyone enrolled by the date (a report of the extract's last quarter): a shallow copy, whose columns below
    # are replaced, never written into. Otherwise one copy of the rows kept (0.04 s at 1M rows, against 0.09 s for
    # .loc[...].copy()). A copy of every column of 1M rows took 0.8 s in a report's fresh process (measured).
    out = df.copy(deep=False) if keep.all() else df.take(np.flatnonzero(keep))
    out.index = pd.RangeIndex(len(out))  # not reset_index(): that copies every column again
    horizon = (pd.Timestamp(date) - out[s.ENROLL_DATE]).dt.days.to_numpy(dtype=float)
    if s.RELAPSE_DAYS in out:
        days, seen = censor_event(out[s.RELAPSE_DAYS].to_numpy(float), out[s.RELAPSE_EVENT].to_numpy() == 1, horizon)
        out[s.RELAPSE_DAYS], out[s.RELAPSE_EVENT] = days, seen.astype(np.int8)
    if s.EXIT_DAYS in out:
        out[s.EXIT_DAYS], out[s.EXIT_REASON] = _censored_exit(out, horizon)
    if s.FOLLOWUP_DAYS in out:
        out[s.FOLLOWUP_DAYS] = np.minimum(out[s.FOLLOWUP_DAYS].to_numpy(), horizon)
    if s.EXPOSURE_START in out:  # peer support that starts after the date is not known then: not (yet) exposed
        later = (out[s.EXPOSURE_START].to_numpy(float) > horizon)
        out[s.EXPOSURE_START] = out[s.EXPOSURE_START].where(~later)
        out[s.ARM] = out[s.ARM].astype(str).where(~later, cohort.arms[0])
    _hide_unknown_secondary(out, horizon, earlier=cohort.as_of != date)
    provenance = {**cohort.provenance, "as_of_view": date.isoformat()}
    return Cohort(out, reference=cohort.reference, as_of=date, covariates=cohort.covariates,
                  scenario=cohort.scenario, truth=cohort.truth, provenance=provenance, copy=False, arms=cohort.arms,
                  events=_known_events(cohort.events, out, horizon),
                  interviews=_known_events(cohort.interviews, out, horizon))


def _censored_exit(out: pd.DataFrame, horizon: np.ndarray) -> tuple[np.ndarray, pd.Series | np.ndarray]:
    """:func:`censor_exit` of the cohort's exit columns; a categorical reason (a cohort's is) stays one, recoded
    by its codes (its text took 0.1 s a view at 1M participants, and turning it back into categories 0.03 s)."""
    days, reason = out[s.EXIT_DAYS].to_numpy(float), out[s.EXIT_REASON]
    categories = reason.cat.categories if isinstance(reason.dtype, pd.CategoricalDtype) else None
    if categories is None or "in_treatment" not in categories or reason.isna().any():
        return censor_exit(days, reason.astype(str).to_numpy(), horizon)
    ended = ~np.isnan(days) & (days <= horizon)
    codes = np.where(ended, reason.cat.codes.to_numpy(), categories.get_loc("in_treatment"))
    return np.where(ended, days, horizon), pd.Series(pd.Categorical.from_codes(codes, categories), index=out.index)


def _known_events(events: pd.DataFrame | None, out: pd.DataFrame, horizon: np.ndarray) -> pd.DataFrame | None:
    """Relapse episodes (or interviews) of the participants enrolled by the date, on or before it."""
    if events is None:
        return None
    known = pd.Series(horizon, index=out[s.PARTICIPANT_ID].astype(str).to_numpy())
    limit = known.reindex(events[s.PARTICIPANT_ID].astype(str).to_numpy()).to_numpy(float)
    return events.loc[events["day"].to_numpy(float) <= np.nan_to_num(limit, nan=-1.0)].reset_index(drop=True)


def _hide_unknown_secondary(out: pd.DataFrame, horizon: np.ndarray, *, earlier: bool) -> None:
    """Secondary values not yet known at the as-of date become missing (per the outcome registry)."""
    for spec in SECONDARY_OUTCOMES.values():
        for column in spec.columns:
            if column.name not in out:
                continue
            if spec.accumulates and earlier:
                out[column.name] = np.nan  # counted over follow-up without dates: cannot be cut at an earlier date
            elif column.known_after_days is not None and (earlier or spec.kind == "score"):
                out[column.name] = out[column.name].where(horizon >= column.known_after_days)  # a new column

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
from ..core.errors import InputError

__all__ = ["as_of", "quarter_bounds", "previous_quarter"]


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter written ``"2026Q3"``.

    >>> quarter_bounds("2026Q3")
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    """
    m = re.fullmatch(r"(\d{4})\s*-?\s*[Qq]([1-4])", str(quarter).strip())
    if not m:
        raise InputError(f"quarter {quarter!r} is not a quarter; write it like 2026Q3")
    year, q = int(m.group(1)), int(m.group(2))
    start = dt.date(year, 3 * q - 2, 1)
    end = (dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1))
    return start, end


def previous_quarter(quarter: str) -> str:
    """``"2026Q3"`` -> ``"2026Q2"``; ``"2026Q1"`` -> ``"2025Q4"``."""
    start, _ = quarter_bounds(quarter)
    prev = start - dt.timedelta(days=1)
    return f"{prev.year}Q{(prev.month - 1) // 3 + 1}"


def as_of(cohort: Cohort, date: dt.date | str) -> Cohort:
    """The cohort as it was known on ``date`` (needs ``enroll_date``).

    Examples
    --------
    >>> import outcomes as oc
    >>> c = oc.synthetic_cohort(n=500, seed=1)
    >>> earlier = oc.as_of(c, "2025-12-31")
    >>> str(earlier.as_of), len(earlier) < len(c)
    ('2025-12-31', True)
    """
    date = date if isinstance(date, dt.date) else _parse(date)
    df = cohort.df
    if s.ENROLL_DATE not in df.columns:
        raise InputError("as_of needs enrollment dates (enroll_date); this cohort has none")
    if cohort.as_of is not None and date > cohort.as_of:
        raise InputError(f"as-of date {date} is after this cohort's own as-of date {cohort.as_of}: "
                         "what happened in between is not in the data")
    keep = (df[s.ENROLL_DATE] <= pd.Timestamp(date)).to_numpy()
    out = df.loc[keep].copy()
    horizon = (pd.Timestamp(date) - out[s.ENROLL_DATE]).dt.days.to_numpy(dtype=float)
    if s.RELAPSE_DAYS in out:
        seen = out[s.RELAPSE_DAYS].to_numpy() <= horizon
        out[s.RELAPSE_EVENT] = np.where(seen, out[s.RELAPSE_EVENT].to_numpy(), 0).astype(np.int8)
        out[s.RELAPSE_DAYS] = np.minimum(out[s.RELAPSE_DAYS].to_numpy(), horizon)
    if s.EXIT_DAYS in out:
        seen = out[s.EXIT_DAYS].to_numpy() <= horizon
        reason = out[s.EXIT_REASON].astype(str).to_numpy()
        out[s.EXIT_REASON] = np.where(seen, reason, "in_treatment")
        out[s.EXIT_DAYS] = np.minimum(out[s.EXIT_DAYS].to_numpy(), horizon)
    if "followup_days" in out:
        out["followup_days"] = np.minimum(out["followup_days"].to_numpy(), horizon)
    # measurements taken after the as-of date are not yet known
    for col, day in (("mh_score_12m", 365), ("use_days_followup", 180)):
        if col in out:
            out.loc[horizon < day, col] = np.nan
    for col in ("ed_visits_12m", "mh_admissions_12m", "sessions_attended", "aftercare_engaged"):
        if col in out and cohort.as_of != date:
            # counts accumulate over follow-up; without their dates they cannot be cut at the as-of date
            out[col] = np.nan if col != "aftercare_engaged" else out[col].where(horizon >= 365)
    provenance = {**cohort.provenance, "as_of_view": date.isoformat()}
    return Cohort(out.reset_index(drop=True), reference=cohort.reference, as_of=date, covariates=cohort.covariates,
                  scenario=cohort.scenario, truth=cohort.truth, provenance=provenance, copy=False)


def _parse(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InputError(f"as-of date {text!r} is not a date (expected YYYY-MM-DD)") from None

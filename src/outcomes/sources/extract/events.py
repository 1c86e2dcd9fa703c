"""``read_events``: every relapse (or any recurring event) of a program's export, as days since enrollment.

A long table, one row per event: the participant's id and the event's date (or its day since enrollment), in a
CSV, an Excel sheet or a Parquet file, as programs keep them beside the participant export. Dates become days from
each participant's enrollment in the cohort; every problem names the file, the row and the column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...core.errors import InputError
from ...model import schema as s
from ...model.cohort import Cohort
from ...model.validation import shown_value
from .mapping import check_date_format
from .read import read_raw

__all__ = ["read_events"]


def read_events(path: str | Path, cohort: Cohort, *, participant_id: str = "participant_id", date: str | None = None,
                day: str | None = None, date_format: str | None = None,
                sheet: str | int | None = None) -> pd.DataFrame:
    """One row per event: ``participant_id`` (as text) and ``day`` since the participant's enrollment.

    Parameters
    ----------
    path : file
        CSV, XLSX (``sheet``) or Parquet; never modified.
    cohort : Cohort
        The participants (ids matched as text), with ``enroll_date`` when events are dated.
    participant_id, date, day : str
        The columns of the id and of the event's date (``date_format``, default ISO) or its day.

    Examples
    --------
    >>> import outcomes as oc, pandas as pd, tempfile, pathlib
    >>> cohort = oc.synthetic_cohort(n=20, seed=1)
    >>> first = cohort.df.iloc[0]
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "relapses.csv"
    >>> pd.DataFrame({"Client": [first.participant_id], "Relapse": [(first.enroll_date + pd.Timedelta(days=9))
    ...               .strftime("%m/%d/%Y")]}).to_csv(path, index=False)
    >>> read_events(path, cohort, participant_id="Client", date="Relapse", date_format="%m/%d/%Y").day.tolist()
    [9.0]
    """
    path = Path(path)
    raw = read_raw(path, sheet)
    if (date is None) == (day is None):
        raise InputError(f"file '{path.name}': name the event's date column (date=) or its day column (day=), one "
                         "of the two")
    column = str(date or day)
    missing = [c for c in (participant_id, column) if c not in raw.columns]
    if missing:
        raise InputError(f"file '{path.name}': no column {missing[0]!r}; its columns are {list(raw.columns)}")
    ids = raw[participant_id].astype(str).str.strip()
    enrolled = cohort.df.assign(_id=cohort.df[s.PARTICIPANT_ID].astype(str)).set_index("_id")
    unknown = ~ids.isin(enrolled.index)
    _refuse(unknown.to_numpy(), path, participant_id, raw[participant_id], "is not a participant of the cohort")
    if day is not None:
        days = pd.to_numeric(raw[day], errors="coerce").to_numpy(float)
        _refuse(~np.isfinite(days), path, day, raw[day], "is not a number of days")
    else:
        days = _days_from_dates(raw[column], ids, enrolled, path, column, date_format)
    _refuse(days <= 0, path, column, raw[column], "is on or before the participant's enrollment")
    return pd.DataFrame({s.PARTICIPANT_ID: ids.to_numpy(), "day": days})


def _days_from_dates(values: pd.Series, ids: pd.Series, enrolled: pd.DataFrame, path: Path, column: str,
                     date_format: str | None) -> np.ndarray:
    if s.ENROLL_DATE not in enrolled.columns:
        raise InputError(f"file '{path.name}': dated events need the cohort's enrollment dates; give days instead "
                         "(day=)")
    fmt = check_date_format(date_format, f"file '{path.name}'") if date_format else "%Y-%m-%d"
    cells = values.map(lambda v: v.strftime(fmt) if hasattr(v, "strftime") else str(v).strip())
    when = pd.to_datetime(cells, format=fmt, errors="coerce")
    _refuse(when.isna().to_numpy(), path, column, values, f"is not a date ({fmt})")
    start = pd.Series(pd.to_datetime(enrolled[s.ENROLL_DATE].reindex(ids.to_numpy()).to_numpy()), index=values.index)
    return (when - start).dt.days.to_numpy(float)


def _refuse(bad: np.ndarray, path: Path, column: str, values: pd.Series, what: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"file '{path.name}', column '{column}' row {i + 1}: {shown_value(values.iloc[i])} {what}; "
                         "fix or drop that row (the file is not modified)")


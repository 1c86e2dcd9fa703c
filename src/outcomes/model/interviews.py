"""Follow-up interviews as data: one row per interview a program held (or tried to hold), validated with named rows.

A funder counts interviews, not contact dates. Since 1 October 2025 SAMHSA's SUPRT instruments replace the GPRA
tools: a baseline within 30 days of intake, a reassessment 180 days after intake (plus or minus 30), annual
reassessments (plus or minus 30) and a closeout within 30 days of the end of care. The canonical table:

- ``participant_id`` (matched to the cohort's ids as text), ``point`` (``baseline``, ``reassessment``, ``annual``,
  ``closeout``), ``day`` since intake (the enrollment date), and ``status`` (``completed``, the default, or
  ``refused``: attempted, not held);
- the legacy GPRA/NOMs items, each optional: ``alcohol_days_30`` and ``drug_days_30`` (days of use in the past
  30), ``arrests_30``, ``employed_or_school``, ``housing_stable``, ``social_support`` (0/1 each), and ``barc10``
  (the Brief Assessment of Recovery Capital, ten items, total 10 to 60).

Non-responses are kept apart from values: GPRA's codes -7 (refused), -8 (don't know) and -9 (missing), or those
words, become a blank value with the reason in :attr:`Interviews.codes`; any other value outside an item's range is
an error naming the row and the column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import InputError
from . import schema as s
from .cohort import Cohort
from .validation import shown_value

__all__ = ["ITEMS", "NONRESPONSE", "POINTS", "Interviews", "interviews_from_frame"]

POINTS = ("baseline", "reassessment", "annual", "closeout")
#: item -> (lowest, highest) valid value
ITEMS: dict[str, tuple[float, float]] = {
    "alcohol_days_30": (0, 30), "drug_days_30": (0, 30), "arrests_30": (0, 1), "employed_or_school": (0, 1),
    "housing_stable": (0, 1), "social_support": (0, 1), "barc10": (10, 60),
}
#: GPRA's non-response codes (and the words programs type for them)
NONRESPONSE = {"-7": "refused", "-8": "don't know", "-9": "missing", "refused": "refused", "don't know": "don't know",
               "dont know": "don't know", "dk": "don't know", "missing": "missing"}
STATUSES = ("completed", "refused")


@dataclass(frozen=True, eq=False)
class Interviews:
    """Validated interviews.

    Attributes
    ----------
    frame : DataFrame
        ``participant_id`` (text), ``point``, ``day``, ``status`` and the items present (numbers; blank when not
        answered), sorted by participant and day.
    codes : DataFrame
        The same rows: per item, ``""`` or why it has no value (``refused``, ``don't know``, ``missing``).
    source : str
        Where they came from (a file name, or "a frame").
    """

    frame: pd.DataFrame
    codes: pd.DataFrame
    source: str

    @property
    def items(self) -> list[str]:
        return [c for c in ITEMS if c in self.frame.columns]

    def __len__(self) -> int:
        return len(self.frame)


def interviews_from_frame(frame: pd.DataFrame, cohort: Cohort, *, source: str = "the interviews",
                          date_format: str | None = None) -> Interviews:
    """Validate canonical interview rows against the cohort (see the module notes); ``date`` instead of ``day`` is
    turned into days since the participant's enrollment.

    Raises
    ------
    InputError
        A missing column; an unknown participant or point; an interview before intake or after the cohort's as-of
        date; a participant with two baselines; an item value outside its range that is not a non-response code.
        Each names the row (counted from 1, as in the file below its header) and the column.

    Examples
    --------
    >>> import outcomes as oc
    >>> c = oc.synthetic_cohort(n=30, seed=1)
    >>> first = str(c.df.participant_id.iloc[0])
    >>> iv = interviews_from_frame(pd.DataFrame({"participant_id": [first, first], "point": ["baseline",
    ...     "reassessment"], "day": [3, 181], "housing_stable": [0, "-7"]}), c)
    >>> iv.frame.housing_stable.tolist(), iv.codes.housing_stable.tolist()
    ([0.0, nan], ['', 'refused'])
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{source}: interviews must be a table (DataFrame) with participant_id, point and day or date")
    missing = [c for c in ("participant_id", "point") if c not in frame.columns]
    if missing or not ({"day", "date"} & set(frame.columns)):
        raise InputError(f"{source}: interviews need columns participant_id, point and day (or date); missing "
                         f"{missing or ['day or date']}; the columns are {list(frame.columns)}")
    rows = frame.reset_index(drop=True)
    ids = rows["participant_id"].astype(str).str.strip()
    people = cohort.df.assign(_id=cohort.df[s.PARTICIPANT_ID].astype(str)).drop_duplicates("_id").set_index("_id")
    _refuse(~ids.isin(people.index).to_numpy(), source, "participant_id", rows["participant_id"],
            "is not a participant of the cohort (ids are matched as text)")
    point = rows["point"].astype(str).str.strip().str.lower()
    _refuse(~point.isin(POINTS).to_numpy(), source, "point", rows["point"], f"is not one of {list(POINTS)}")
    day = _days(rows, ids, people, source, date_format)
    _refuse(day < 0, source, "day" if "day" in rows else "date", rows.get("day", rows.get("date")),
            "is before the participant's intake (enrollment)")
    _after_as_of(rows, ids, day, people, cohort.as_of, source)
    status = (rows["status"].astype(str).str.strip().str.lower() if "status" in rows
              else pd.Series("completed", index=rows.index))
    _refuse(~status.isin(STATUSES).to_numpy(), source, "status", rows.get("status"), f"is not one of {list(STATUSES)}")
    base = (point == "baseline") & (status == "completed")
    _refuse((base & (base.astype(int).groupby(ids).cumsum() > 1)).to_numpy(), source,
            "point", rows["point"], "is a second completed baseline of the same participant (a re-enrollment is a new "
            "participant id: a new episode with its own baseline)")
    values, codes = _items(rows, source)
    out = pd.DataFrame({s.PARTICIPANT_ID: ids, "point": point, "day": day, "status": status, **values})
    order = np.lexsort((out["day"].to_numpy(), out[s.PARTICIPANT_ID].to_numpy()))
    return Interviews(frame=out.iloc[order].reset_index(drop=True),
                      codes=pd.DataFrame(codes, index=rows.index).iloc[order].reset_index(drop=True), source=source)


def _days(rows: pd.DataFrame, ids: pd.Series, people: pd.DataFrame, source: str,
          date_format: str | None) -> np.ndarray:
    if "day" in rows:
        day = pd.to_numeric(rows["day"], errors="coerce").to_numpy(float)
        _refuse(~np.isfinite(day), source, "day", rows["day"], "is not a number of days since intake")
        return day
    if s.ENROLL_DATE not in people.columns:
        raise InputError(f"{source}: dated interviews need the cohort's enrollment dates; give days since intake "
                         "(a 'day' column) instead")
    fmt = date_format or "%Y-%m-%d"
    cells = rows["date"].map(lambda v: v.strftime(fmt) if hasattr(v, "strftime") else str(v).strip())
    when = pd.to_datetime(cells, format=fmt, errors="coerce")
    _refuse(when.isna().to_numpy(), source, "date", rows["date"], f"is not a date ({fmt})")
    start = pd.to_datetime(people[s.ENROLL_DATE].reindex(ids.to_numpy()).to_numpy())
    return (when.to_numpy() - start.to_numpy()).astype("timedelta64[D]").astype(float)


def _after_as_of(rows: pd.DataFrame, ids: pd.Series, day: np.ndarray, people: pd.DataFrame, as_of: dt.date | None,
                 source: str) -> None:
    if as_of is None or s.ENROLL_DATE not in people.columns:
        return
    start = pd.to_datetime(people[s.ENROLL_DATE].reindex(ids.to_numpy()).to_numpy())
    held = start + pd.to_timedelta(day, unit="D")
    column = "date" if "date" in rows else "day"
    _refuse(np.asarray(held > pd.Timestamp(as_of)), source, column, rows[column],
            f"is after the cohort's as-of date {as_of}: re-run with a newer extract, or drop that row")


def _items(rows: pd.DataFrame, source: str) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Each item present: its values (blank for a non-response) and the non-response reasons."""
    values: dict[str, np.ndarray] = {}
    codes: dict[str, list[str]] = {}
    for item, (low, high) in ITEMS.items():
        if item not in rows:
            continue
        number, reason, blank = _coded(rows[item])
        bad = ~blank & (reason == "") & ~((number >= low) & (number <= high))
        _refuse(bad, source, item, rows[item], f"is outside {item}'s range {low:g} to {high:g} and is not a "
                "non-response code (-7 refused, -8 don't know, -9 missing)")
        values[item] = np.where(reason == "", number, np.nan)
        codes[item] = np.where(reason != "", reason, np.where(blank, "missing", "")).tolist()
    return values, codes


def _coded(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column's numbers, non-response reasons ("" for a value) and blanks. Numbers are read as numbers (a
    text pass over 800,000 cells took 2.4 s); text cells are matched to the non-response words and codes."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        number = column.to_numpy(float)
        codes = {-7.0: "refused", -8.0: "don't know", -9.0: "missing"}
        reason = np.array([""] * len(number), dtype=object)
        for code, why in codes.items():
            reason[number == code] = why
        return number, reason, np.isnan(number)
    text = column.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    reason = text.str.lower().str.replace(r"\.0$", "", regex=True).map(NONRESPONSE).fillna("")
    number = pd.to_numeric(text.where(reason == ""), errors="coerce").to_numpy(float)
    return number, reason.to_numpy(object), (text == "").to_numpy()


def _refuse(bad: np.ndarray, source: str, column: str, values: pd.Series | None, what: str) -> None:
    if values is not None and bool(np.any(bad)):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{source}, column '{column}' row {i + 1}: {shown_value(values.iloc[i])} {what}; fix or "
                         "drop that row (the file is not modified)")


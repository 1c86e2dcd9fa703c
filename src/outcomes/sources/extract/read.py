"""``read_extract``: a program's export (CSV, Excel, Parquet) into a validated Cohort, with a row-level report.

Every problem names the file, row, column and value and says how to fix it.
``on_error="raise"`` stops at the first; ``on_error="exclude"`` leaves the rows
out and the cohort carries an ingestion report in which rows read = rows kept +
rows excluded, by reason. The raw file is only read, never modified.

Rows are numbered from 1 at the first data row (for Excel files the message
also gives the spreadsheet row, one more because of the header).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...model import schema as s
from ...model.asof import censor_event, censor_exit
from ...model.cohort import Cohort
from ...model.dates import parse_date
from ...core.errors import InputError
from ...core.results import Result
from ...core.style import CAUSE_COLORS, new_axes
from .mapping import DATE_FIELDS, Mapping, infer_mapping, load_mapping
from .identifiers import age_from_dob, check_identifiers, group_ages_90, zip3

__all__ = ["IngestionReport", "read_extract", "validate_extract"]

ARMS = (s.CLINICAL, s.PEER_CLINICAL)
EXCLUDED_AFTER_AS_OF = "enrolled after the as-of date (not yet known then)"


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class IngestionReport(Result):
    """What happened to every row of an extract.

    Its counts are exact in every display: they describe the evaluator's own file, row by row, so that it can
    be fixed (a report's data-quality table suppresses them as every report table does).

    Attributes
    ----------
    source : str
    rows_read, rows_kept, rows_excluded : int
        ``rows_read == rows_kept + rows_excluded``.
    by_reason : DataFrame
        ``reason, rows`` (a row is counted once, under its first problem).
    problems : DataFrame
        ``row, column, value, problem, fix``: every problem found (a row can have several).
    mapping : dict
        The mapping used; ``inferred`` says whether it was guessed from column names.
    as_of : date
    """

    source: str
    rows_read: int
    rows_kept: int
    rows_excluded: int
    by_reason: pd.DataFrame
    problems: pd.DataFrame
    mapping: dict[str, Any]
    as_of: dt.date
    as_of_rule: str

    @property
    def title(self) -> str:
        return (f"Ingestion of '{self.source}' as of {self.as_of}: {self.rows_read} rows read, {self.rows_kept} kept, "
                f"{self.rows_excluded} excluded")

    def table(self) -> pd.DataFrame:
        kept = pd.DataFrame([{"reason": "kept", "rows": self.rows_kept}])
        return pd.concat([kept, self.by_reason], ignore_index=True)

    def notes(self) -> list[str]:
        lines = [f"As-of date: {self.as_of} ({self.as_of_rule})."]
        if self.mapping.get("inferred"):
            lines.append("No mapping was given; columns were recognised by name: " + ", ".join(
                f"{k} = '{v}'" for k, v in self.mapping["columns"].items()) + ".")
        return lines

    def summary(self) -> dict[str, Any]:
        """JSON-friendly counts for a cohort's provenance (no row-level values)."""
        out = {"source": self.source, "as_of": self.as_of.isoformat(), "rows read": self.rows_read,
               "rows kept": self.rows_kept, "rows excluded": self.rows_excluded}
        out.update({f"excluded: {r.reason}": int(r.rows) for r in self.by_reason.itertuples()})
        return out

    def plot(self, ax=None):
        """Rows kept and excluded by reason."""
        ax = new_axes(ax)
        t = self.table()
        ax.barh(t.reason, t.rows, color=[CAUSE_COLORS["completed"]] + [CAUSE_COLORS["dropout"]] * (len(t) - 1))
        ax.set_xlabel("rows")
        ax.set_title(self.title, fontsize="small")
        return ax


# ---------------------------------------------------------------------------------------------- reading
def _read_raw(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"file '{path}' does not exist")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            raise InputError(f"file '{path.name}' is empty: export the extract again, with a header row and one "
                             "row per participant") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputError(f"file '{path.name}' is not a readable CSV file ({exc}); save it again as CSV "
                             "(UTF-8)") from None
        return _not_header_only(raw, path)
    if suffix in (".xlsx", ".xlsm"):
        raw = pd.read_excel(path, dtype=object)
        return _not_header_only(raw.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else v),
                                path)
    if suffix in (".parquet", ".pq"):
        raw = pd.read_parquet(path).astype(object)
        return _not_header_only(raw.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else v),
                                path)
    raise InputError(f"file '{path}': unsupported extension {suffix!r}; use .csv, .xlsx or .parquet")


def _not_header_only(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    if raw.empty:
        raise InputError(f"file '{path.name}' has a header but no rows: export the extract again with its "
                         "participants")
    return raw


class _Problems:
    """Collects row-level problems; the first one per row decides its exclusion reason."""

    def __init__(self, source: str, excel: bool) -> None:
        self.source, self.excel = source, excel
        self.rows: list[dict[str, Any]] = []

    def add(self, mask: np.ndarray, column: str, values: pd.Series, problem: str, fix: str, reason: str) -> None:
        for i in np.flatnonzero(mask):
            value = values.iloc[i] if values is not None else ""
            text = problem.format(value=_show(value))
            self.rows.append({"row": int(i) + 1, "column": column, "value": _show(value), "problem": text,
                              "fix": fix, "reason": reason})

    def frame(self) -> pd.DataFrame:
        cols = ["row", "column", "value", "problem", "fix", "reason"]
        return pd.DataFrame(self.rows, columns=cols).sort_values(["row"], kind="stable").reset_index(drop=True)

    def message(self, row: dict[str, Any]) -> str:
        where = f"row {row['row']}" + (f" (spreadsheet row {row['row'] + 1})" if self.excel else "")
        return f"file '{self.source}', column '{row['column']}' {where}: {row['problem']}; {row['fix']}"


def _show(value: Any) -> str:
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    return repr(value) if isinstance(value, str) else str(value)


_SLASHED = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ISO = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def _parse_dates(values: pd.Series, fmt: str | None, column: str, problems: _Problems,
                 required: bool) -> pd.Series:
    """Dates from text (or Excel datetimes). Problems: not a date, ambiguous, mixed formats, missing."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    is_datetime = values.map(lambda v: isinstance(v, (dt.date, dt.datetime, pd.Timestamp)))
    out[is_datetime] = pd.to_datetime(values[is_datetime])
    text = values.where(~is_datetime, "").astype(str).str.strip()
    empty = (text == "") & ~is_datetime
    if required:
        problems.add(empty.to_numpy(), column, values, "the date is missing",
                     "fill it in the source system and export again", f"missing {column}")
    todo = ~empty & ~is_datetime
    if fmt:
        parsed = pd.to_datetime(text.where(todo), format=fmt, errors="coerce")
        bad = (todo & parsed.isna()).to_numpy()
        other_format = text.map(lambda v: bool(_ISO.match(v) or _SLASHED.match(v)))
        if bad.any():
            mixed = bad & other_format.to_numpy() & _parses_elsewhere(text)
            problems.add(mixed, column, values, "date {value} does not match the format " + fmt +
                         " of this column (mixed date formats)",
                         "export every date in one format, or fix this one", f"mixed date formats in {column}")
            problems.add(bad & ~mixed, column, values, "{value} is not a date (expected " + fmt + ")",
                         "correct the date in the source system", f"invalid date in {column}")
        out[todo] = parsed[todo]
        return out
    iso = text.map(lambda v: bool(_ISO.match(v))) & todo
    parsed = pd.to_datetime(text.where(iso), format="%Y-%m-%d", errors="coerce")
    problems.add((iso & parsed.isna()).to_numpy(), column, values, "{value} is not a date (expected YYYY-MM-DD)",
                 "correct the date in the source system", f"invalid date in {column}")
    slashed = text.map(lambda v: _SLASHED.match(v)) .where(todo & ~iso)
    for i in np.flatnonzero((todo & ~iso).to_numpy()):
        m = slashed.iloc[i]
        if m is None:
            problems.add(_one(len(values), int(i)), column, values, "{value} is not a date (expected YYYY-MM-DD)",
                         "correct it, or set [dates] format in the mapping", f"invalid date in {column}")
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if iso.any():
            problems.add(_one(len(values), int(i)), column, values, "{value} is not YYYY-MM-DD like the other dates of "
                         "this column (mixed date formats)", "export every date in one format",
                         f"mixed date formats in {column}")
        elif a <= 12 and b <= 12 and a != b:
            problems.add(_one(len(values), int(i)), column, values, "{value} is ambiguous (month/day or day/month?)",
                         "set [dates] format = \"%m/%d/%Y\" (US) or \"%d/%m/%Y\" in the mapping",
                         f"ambiguous date in {column}")
        else:
            guess = "%m/%d/%Y" if b > 12 or a <= 12 else "%d/%m/%Y"
            problems.add(_one(len(values), int(i)), column, values, "{value} is not an ISO date (YYYY-MM-DD)",
                         f"set [dates] format = \"{guess}\" in the mapping", f"non-ISO date in {column}")
    out[iso] = parsed[iso]
    return out


def _parses_elsewhere(text: pd.Series) -> np.ndarray:
    """Values that are valid dates in some common format (so a mismatch means mixed formats)."""
    ok = np.zeros(len(text), dtype=bool)
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y"):
        ok |= pd.to_datetime(text, format=fmt, errors="coerce").notna().to_numpy()
    return ok


def _one(n: int, i: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[i] = True
    return mask


def _ingest(path: str | Path, mapping: Any, as_of: dt.date | str | None,
            on_error: str) -> tuple[IngestionReport, pd.DataFrame, Mapping]:
    """Read, map, check every row, apply the as-of date; the canonical frame and its ingestion report."""
    if on_error not in ("raise", "exclude"):
        raise InputError(f"on_error must be 'raise' or 'exclude', not {on_error!r}")
    path = Path(path)
    raw = _read_raw(path)
    source = path.name
    if isinstance(mapping, Mapping):
        m = mapping
    else:
        m = load_mapping(mapping) or infer_mapping(list(raw.columns))
    _check_mapping(raw, m, source)
    problems = _Problems(source, path.suffix.lower() in (".xlsx", ".xlsm"))
    col = {f: raw[c] for f, c in m.columns.items()}
    ids, arm = _check_ids_and_arms(col, m, problems)
    today = pd.Timestamp(dt.date.today())
    dates = _check_dates(col, m, problems, today)
    reason = _check_exit_reasons(col, m, dates, problems)
    _check_peer_start(col, m, dates, arm, problems)
    extra = _derived_columns(raw, col, m, dates["enroll_date"], problems, source)
    _check_follow_up_known(raw, col, m, dates, problems)

    if as_of is None:
        latest = max((d.max() for d in dates.values() if d.notna().any()), default=pd.NaT)
        latest = min(latest, today) if pd.notna(latest) else today
        as_of_date, rule = latest.date(), "the latest date in the extract (pass as_of= to fix it)"
    else:
        as_of_date, rule = parse_date(as_of, "as_of"), "as requested"
    cutoff = pd.Timestamp(as_of_date)

    table = problems.frame()
    first_problem = table.drop_duplicates("row")
    if on_error == "raise" and len(table):
        raise InputError(problems.message(table.iloc[0].to_dict()))
    n = len(raw)
    bad_rows = np.zeros(n, dtype=bool)
    bad_rows[first_problem.row.to_numpy(dtype=int) - 1] = True
    late = ((dates["enroll_date"] > cutoff).to_numpy()) & ~bad_rows
    reasons = list(first_problem.reason) + [EXCLUDED_AFTER_AS_OF] * int(late.sum())
    by_reason = pd.Series(reasons, dtype=object).value_counts().rename_axis("reason").reset_index(name="rows")
    keep = ~bad_rows & ~late
    frame = _canonical(raw, m, ids, arm, dates, reason, extra, keep, cutoff)
    report = IngestionReport(source=source, rows_read=n, rows_kept=int(keep.sum()), rows_excluded=int(n - keep.sum()),
                             by_reason=by_reason, problems=table.drop(columns="reason"), mapping=m.to_dict(),
                             as_of=as_of_date, as_of_rule=rule)
    return report, frame, m


def _check_mapping(raw: pd.DataFrame, m: Mapping, source: str) -> None:
    """Identifiers handled, mapped columns present, required fields and at least one outcome mapped."""
    check_identifiers(list(raw.columns), set(m.drop) | set(m.transform), source)
    missing_sources = [f"{field} = '{col}'" for field, col in m.columns.items() if col not in raw.columns]
    if missing_sources:
        raise InputError(f"file '{source}': the mapping names column(s) not in the file: {missing_sources}; the file "
                         f"has {list(raw.columns)}")
    for required in ("participant_id", "arm", "enroll_date"):
        if required not in m.columns:
            hint = "add it to [columns] in the mapping" if not m.inferred else \
                "no column name was recognised for it: pass a mapping with [columns]"
            raise InputError(f"file '{source}': required column for {required} is missing; {hint}")
    if not any(f in m.columns for f in ("relapse_date", "last_contact_date", "exit_date")):
        raise InputError(f"file '{source}': no outcome columns: map relapse_date and last_contact_date (relapse) "
                         "and/or exit_date and exit_reason (retention)")


def _check_ids_and_arms(col: dict[str, pd.Series], m: Mapping, problems: _Problems) -> tuple[pd.Series, pd.Series]:
    ids = col["participant_id"].astype(str).str.strip()
    problems.add((ids == "").to_numpy(), m.columns["participant_id"], ids, "the participant id is empty",
                 "every row needs an id", "missing participant id")
    first_seen = ids.where(ids != "").duplicated(keep="first") & (ids != "")
    problems.add(first_seen.to_numpy(), m.columns["participant_id"], ids,
                 "participant id {value} appears more than once", "keep one row per participant", "duplicate id")
    arm = col["arm"].astype(str).str.strip().map(lambda v: m.values.get("arm", {}).get(v, v))
    problems.add((~arm.isin(ARMS)).to_numpy(), m.columns["arm"], col["arm"],
                 "arm code {value} is not known", "map it to clinical or peer_clinical in [values.arm]",
                 "unknown arm code")
    return ids, arm


def _check_dates(col: dict[str, pd.Series], m: Mapping, problems: _Problems,
                 today: pd.Timestamp) -> dict[str, pd.Series]:
    """Every mapped date parsed; none in the future, none before enrollment."""
    dates = {f: _parse_dates(col[f], m.date_format, m.columns[f], problems, required=(f == "enroll_date"))
             for f in DATE_FIELDS if f in col}
    enroll = dates["enroll_date"]
    for f, d in dates.items():
        problems.add((d > today).to_numpy(), m.columns[f], col[f], "date {value} is in the future",
                     "correct the date in the source system", f"{f.replace('_', ' ')} in the future")
        if f != "enroll_date":
            what = f.replace("_date", "").replace("_", " ")
            problems.add((d < enroll).to_numpy(), m.columns[f], col[f], f"{what} date {{value}} is before enrollment",
                         "check both dates in the source system", f"{what} before enrollment")
    return dates


def _check_peer_start(col: dict[str, pd.Series], m: Mapping, dates: dict[str, pd.Series], arm: pd.Series,
                      problems: _Problems) -> None:
    """With a peer start date, the arm records who was ever exposed; the start is within follow-up."""
    if "peer_start_date" not in dates:
        return
    start, column = dates["peer_start_date"], m.columns["peer_start_date"]
    problems.add((start.notna() & (arm == s.CLINICAL)).to_numpy(), column, col["peer_start_date"],
                 "a peer start date {value} is given, but the arm is clinical only",
                 "map the arm to peer_clinical, or blank the date if peer support never started",
                 "peer start date in the clinical arm")
    problems.add((start.isna() & (arm == s.PEER_CLINICAL)).to_numpy(), column, col["peer_start_date"],
                 "peer support with no start date", "fill in the date of the first peer contact",
                 "peer support without a start date")
    follow = [dates[f] for f in ("last_contact_date", "relapse_date", "exit_date") if f in dates]
    last = pd.concat(follow, axis=1).max(axis=1) if follow else pd.Series(pd.NaT, index=start.index)
    problems.add((start > last).to_numpy(), column, col["peer_start_date"],
                 "peer start date {value} is after the last contact", "check both dates in the source system",
                 "peer start after the last contact")


def _check_exit_reasons(col: dict[str, pd.Series], m: Mapping, dates: dict[str, pd.Series],
                        problems: _Problems) -> pd.Series | None:
    """Discharge codes mapped to exit reasons; a date needs a reason and a reason a date."""
    if "exit_reason" not in col:
        return None
    text = col["exit_reason"].astype(str).str.strip()
    reason = text.map(lambda v: m.values.get("exit_reason", {}).get(v, v))
    known = reason.isin(s.EXIT_REASONS) | (text == "")
    problems.add((~known).to_numpy(), m.columns["exit_reason"], col["exit_reason"],
                 "discharge code {value} is not known",
                 "map it to dropout, completed, transferred or in_treatment in [values.exit_reason]",
                 "unknown discharge code")
    if "exit_date" in dates:
        problems.add(((text == "") & dates["exit_date"].notna()).to_numpy(), m.columns["exit_reason"],
                     col["exit_reason"], "a discharge date has no discharge reason", "fill in the reason",
                     "discharge without reason")
        problems.add(((text != "") & known & ~reason.isin(["in_treatment"]) & dates["exit_date"].isna()).to_numpy(),
                     m.columns["exit_date"], col["exit_date"], "a discharge reason has no discharge date",
                     "fill in the date", "discharge without date")
    return reason


def _derived_columns(raw: pd.DataFrame, col: dict[str, pd.Series], m: Mapping, enroll: pd.Series,
                     problems: _Problems, source: str) -> dict[str, pd.Series]:
    """Age (checked, 90+ grouped) and the privacy transforms: ZIP3, age from date of birth, date offsets."""
    extra: dict[str, pd.Series] = {}
    if "age" in col:
        age = pd.to_numeric(col["age"].astype(str).str.strip().replace("", np.nan), errors="coerce")
        bad_age = (col["age"].astype(str).str.strip() != "") & (age.isna() | (age < 12) | (age > 110))
        problems.add(bad_age.to_numpy(), m.columns["age"], col["age"], "age {value} is impossible",
                     "correct it (ages 12 to 110)", "impossible age")
        extra["age"] = pd.Series(group_ages_90(age.to_numpy(dtype=float)))
    for source_col, how in m.transform.items():
        if source_col not in raw.columns:
            raise InputError(f"file '{source}': [privacy] transform names column '{source_col}', which is not in "
                             "the file")
        if how == "zip3":
            extra["zip3"] = zip3(raw[source_col])
        elif how == "age_from_dob":
            dob = _parse_dates(raw[source_col], m.date_format, source_col, problems, required=False)
            extra["age"] = pd.Series(age_from_dob(dob, enroll))
        elif how == "offset":
            when = _parse_dates(raw[source_col], m.date_format, source_col, problems, required=False)
            extra[f"{source_col} (days from enrollment)"] = pd.Series((when - enroll).dt.days.to_numpy(dtype=float))
    return extra


def _check_follow_up_known(raw: pd.DataFrame, col: dict[str, pd.Series], m: Mapping, dates: dict[str, pd.Series],
                           problems: _Problems) -> None:
    """For relapse, each row needs a relapse date or a last-contact date."""
    if "relapse_date" not in dates and "last_contact_date" not in dates:
        return
    none = pd.Series(pd.NaT, index=raw.index)
    no_info = dates.get("relapse_date", none).isna() & dates.get("last_contact_date", none).isna()
    problems.add(no_info.to_numpy(), str(m.columns.get("last_contact_date", m.columns.get("relapse_date"))),
                 col.get("last_contact_date", col.get("relapse_date")),
                 "no relapse date and no last-contact date: follow-up is unknown",
                 "fill in the last contact date", "follow-up unknown")


def _canonical(raw, m: Mapping, ids, arm, dates, reason, extra, keep, cutoff) -> pd.DataFrame:
    """Durations from dates, as known at the cutoff (later dates are invisible)."""
    enroll = dates["enroll_date"][keep]
    out = pd.DataFrame({s.PARTICIPANT_ID: ids[keep].to_numpy(), s.ARM: arm[keep].to_numpy()})
    out[s.ENROLL_DATE] = enroll.to_numpy()
    if "site" in m.columns:
        out[s.SITE] = raw[m.columns["site"]][keep].astype(str).map(
            lambda v: m.values.get("site", {}).get(v, v)).to_numpy()

    def days(d: pd.Series) -> np.ndarray:
        return (d - enroll).dt.days.to_numpy(dtype=float)

    horizon = days(pd.Series(cutoff, index=enroll.index))
    if "relapse_date" in dates or "last_contact_date" in dates:
        relapse = dates.get("relapse_date", pd.Series(pd.NaT, index=raw.index))[keep]
        contact = dates.get("last_contact_date", pd.Series(pd.NaT, index=raw.index))[keep]
        to_relapse, to_contact = days(relapse), days(contact)
        last_contact = np.where(np.isnan(to_contact), to_relapse, to_contact)
        out[s.RELAPSE_DAYS], seen = censor_event(to_relapse, relapse.notna().to_numpy(), horizon, last_contact)
        out[s.RELAPSE_EVENT] = seen.astype(int)
        out[s.FOLLOWUP_DAYS] = np.fmax(np.fmin(last_contact, horizon), np.where(seen, to_relapse, 0))
    if "peer_start_date" in dates:  # a start after the cutoff is not yet known: not (yet) exposed
        start = days(dates["peer_start_date"][keep])
        known = start <= horizon
        out[s.EXPOSURE_START] = np.where(known, start, np.nan)
        out[s.ARM] = np.where(known, s.PEER_CLINICAL, s.CLINICAL)
    if "exit_date" in dates:
        exit_ = dates["exit_date"][keep]
        why = reason[keep] if reason is not None else pd.Series("dropout", index=exit_.index)
        out[s.EXIT_DAYS], out[s.EXIT_REASON] = censor_exit(days(exit_), why.to_numpy(dtype=object), horizon)
    for name in m.keep:
        if name in extra:
            out[name] = extra[name][keep].to_numpy()
        elif name in m.columns:
            out[name] = _numbers_if_possible(raw[m.columns[name]][keep])
        elif name in raw.columns:
            out[name] = _numbers_if_possible(raw[name][keep])
        else:
            raise InputError(f"[covariates] keep names {name!r}, which is neither a mapped field nor a column")
    for name, values in extra.items():
        if name == "zip3" or name.endswith("(days from enrollment)"):
            out[name] = values[keep].to_numpy()
    return out.reset_index(drop=True)


def _numbers_if_possible(values: pd.Series) -> np.ndarray:
    text = values.astype(str).str.strip().replace("", np.nan)
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().sum() == text.notna().sum():
        return numbers.to_numpy(dtype=float)
    return text.to_numpy(dtype=object)


def read_extract(path: str | Path, mapping: str | Path | MappingABC | None = None,
                 as_of: dt.date | str | None = None, on_error: str = "raise") -> Cohort:
    """Read a program extract (CSV, XLSX or Parquet) into a Cohort.

    Parameters
    ----------
    path : file
        Never modified.
    mapping : TOML path or dict, optional
        ``[columns]``, ``[values.arm]``, ``[values.exit_reason]``, ``[dates] format``,
        ``[covariates] keep``, ``[privacy] drop/transform`` (see :mod:`outcomes.extract.mapping`).
        Without it, common column names are recognised and the mapping inferred is
        reported (``cohort.ingestion``).
    as_of : date or "YYYY-MM-DD", optional
        What was known that day: later enrollments are left out, later events unseen,
        follow-up stops there. Default: the latest date in the extract.
    on_error : {"raise", "exclude"}
        Stop at the first problem, or leave problem rows out and count them.

    Examples
    --------
    >>> import outcomes as oc
    >>> cohort = oc.read_extract("data/example_extract/program_extract.csv",
    ...                          mapping="data/example_extract/mapping.toml", as_of="2026-06-30",
    ...                          on_error="exclude")  # doctest: +SKIP
    """
    report, frame, m = _ingest(path, mapping, as_of, on_error)
    covariates = [c for c in m.keep if c in frame.columns] + ([s.SITE] if s.SITE in frame.columns else [])
    if report.rows_kept == 0:
        raise InputError(f"file '{report.source}': no row could be kept ({report.rows_excluded} excluded: "
                         f"{', '.join(report.by_reason.reason)})")
    return Cohort(frame, reference=s.CLINICAL, as_of=report.as_of, covariates=covariates,
                  provenance={"source": report.source, "mapping": report.mapping, "ingestion": report.summary()},
                  source=report.source, copy=False)


def validate_extract(path: str | Path, mapping: str | Path | MappingABC | None = None,
                     as_of: dt.date | str | None = None) -> IngestionReport:
    """Check an extract without building a cohort: every row problem, and what would be kept."""
    report, _, _ = _ingest(path, mapping, as_of, "exclude")
    return report

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
from dataclasses import dataclass, field
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
from .followup import FollowUpEnd, follow_up_end
from .mapping import DATE_FIELDS, Mapping, infer_mapping, load_mapping
from .identifiers import age_from_dob, check_identifiers, group_ages_90, zip3

__all__ = ["IngestionReport", "OutcomeCheck", "check_exclusions", "read_extract", "read_raw", "validate_extract"]

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
    followup: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["rule", "rows"]))
    outcome_check: OutcomeCheck | None = None

    @property
    def title(self) -> str:
        return (f"Ingestion of '{self.source}' as of {self.as_of}: {self.rows_read} rows read, {self.rows_kept} kept, "
                f"{self.rows_excluded} excluded")

    def table(self) -> pd.DataFrame:
        kept = pd.DataFrame([{"reason": "kept", "rows": self.rows_kept}])
        return pd.concat([kept, self.by_reason], ignore_index=True)

    def notes(self) -> list[str]:
        lines = [f"As-of date: {self.as_of} ({self.as_of_rule})."]
        if len(self.followup):
            lines.append("Follow-up of the kept rows ends at " + "; ".join(
                f"{r.rule}: {r.rows}" for r in self.followup.itertuples()) + " (rules tried in order: "
                + ", ".join(self.mapping.get("followup", {}).get("rules", [])) + ").")
        problem = self.outcome_check.problem() if self.outcome_check else None
        if problem:
            lines.append(problem)
        if self.mapping.get("inferred"):
            lines.append("No mapping was given; columns were recognised by name: " + ", ".join(
                f"{k} = '{v}'" for k, v in self.mapping["columns"].items()) + ".")
        return lines

    def summary(self) -> dict[str, Any]:
        """JSON-friendly counts for a cohort's provenance (no row-level values)."""
        out = {"source": self.source, "as_of": self.as_of.isoformat(), "rows read": self.rows_read,
               "rows kept": self.rows_kept, "rows excluded": self.rows_excluded}
        out.update({f"excluded: {r.reason}": int(r.rows) for r in self.by_reason.itertuples()})
        out.update({f"follow-up ends at {r.rule}": int(r.rows) for r in self.followup.itertuples()})
        return out

    def exclusions(self) -> dict[str, Any]:
        """What the analyses need to know later (a cohort's provenance carries it): counts, reasons and the
        outcome check's finding in words, no row."""
        check = self.outcome_check
        return {"source": self.source, "rows": check.excluded if check else 0,
                "rows considered": (check.excluded + check.kept) if check else self.rows_kept,
                "reasons": dict(check.reasons) if check else {}, "problem": check.problem() if check else None}

    def plot(self, ax=None):
        """Rows kept and excluded by reason."""
        ax = new_axes(ax)
        t = self.table()
        ax.barh(t.reason, t.rows, color=[CAUSE_COLORS["completed"]] + [CAUSE_COLORS["dropout"]] * (len(t) - 1))
        ax.set_xlabel("rows")
        ax.set_title(self.title, fontsize="small")
        return ax


_NO_RULES = pd.DataFrame(columns=["rule", "rows"])
EXCLUSION_THRESHOLD = 0.05  # a share of the rows considered (those enrolled by the as-of date)


@dataclass(frozen=True)
class OutcomeCheck:
    """The rows left out for problems against the kept rows, on the outcome field they do have.

    The excluded differ in outcome when a two-sided Fisher exact test of "has a relapse date" gives p < 0.05
    (a relapse dated after discharge still counts); too many are excluded above :data:`EXCLUSION_THRESHOLD`.
    """

    excluded: int
    kept: int
    relapse_excluded: int
    relapse_kept: int
    p_value: float
    reasons: dict[str, int]

    def problem(self, threshold: float = EXCLUSION_THRESHOLD) -> str | None:
        """Why analysing the kept rows alone would mislead, in words (None when it would not)."""
        considered = self.excluded + self.kept
        if not self.excluded or not considered:
            return None
        share = self.excluded / considered
        differs = self.p_value < 0.05
        if share <= threshold and not differs:
            return None
        why = ", ".join(f"{k}: {v}" for k, v in self.reasons.items())
        text = f"{self.excluded} of {considered} rows ({100 * share:.0f}%) were left out ({why})"
        if differs:
            p = "< 0.001" if self.p_value < 0.001 else f"= {self.p_value:.3f}"
            text += (f", and {100 * self.relapse_excluded / self.excluded:.0f}% of them have a relapse date against "
                     f"{100 * self.relapse_kept / max(self.kept, 1):.0f}% of the rows kept (Fisher exact p {p}): "
                     "the kept rows are an outcome-selected sample")
        return text + "."


def outcome_check(relapse: pd.Series | None, keep: np.ndarray, excluded: np.ndarray,
                  reasons: dict[str, int]) -> OutcomeCheck:
    """Compare the rows excluded for problems with the kept rows on the share with a relapse date."""
    from scipy.stats import fisher_exact

    has = relapse.notna().to_numpy() if relapse is not None else np.zeros(len(keep), dtype=bool)
    a, b = int((has & excluded).sum()), int((has & keep).sum())
    n_ex, n_kept = int(excluded.sum()), int(keep.sum())
    table = np.array([[a, n_ex - a], [b, n_kept - b]])
    p = float(fisher_exact(table).pvalue) if n_ex and n_kept and relapse is not None else 1.0
    return OutcomeCheck(excluded=n_ex, kept=n_kept, relapse_excluded=a, relapse_kept=b, p_value=p, reasons=reasons)


# ---------------------------------------------------------------------------------------------- reading
def read_raw(path: str | Path, sheet: str | int | None = None) -> pd.DataFrame:
    """An export's cells, as read (text for CSV; Excel and Parquet cells keep their type; blanks are "").

    Headers become text (a spreadsheet header cell may be a number or a date). Any file that cannot be read as
    what its extension says is an InputError naming it and the fix. ``sheet`` picks an Excel sheet by name or
    position (default: the first).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file '{path}' does not exist")
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in (".xlsx", ".xlsm"):
        raise InputError(f"file '{path.name}': a sheet is chosen only in an Excel file (.xlsx), not {suffix!r}")
    if suffix == ".csv":
        raw = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        raw = _read_excel(path, sheet)
    elif suffix in (".parquet", ".pq"):
        raw = _read_parquet(path)
    else:
        raise InputError(f"file '{path}': unsupported extension {suffix!r}; use .csv, .xlsx or .parquet")
    raw.columns = _headers(raw.columns, path)
    return _not_header_only(raw, path)


def _headers(columns: pd.Index, path: Path) -> list[str]:
    names = [c.strftime("%Y-%m-%d") if isinstance(c, (dt.date, pd.Timestamp)) else str(c).strip() for c in columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"file '{path.name}': column name {repeated[0]!r} appears more than once in the header; "
                         "rename one in the export")
    return names


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise InputError(f"file '{path.name}' is empty: export the extract again, with a header row and one "
                         "row per participant") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"file '{path.name}' is not a readable CSV file ({' '.join(str(exc).split())[:200]}); "
                         "save it again as CSV (UTF-8)") from None


def _read_excel(path: Path, sheet: str | int | None) -> pd.DataFrame:
    import zipfile

    try:
        raw = pd.read_excel(path, dtype=object, sheet_name=0 if sheet is None else sheet)
    except (zipfile.BadZipFile, OSError, KeyError, TypeError) as exc:
        raise InputError(f"file '{path.name}' is not a readable Excel workbook ({type(exc).__name__}); open it in "
                         "Excel and save it again as .xlsx, or export a CSV") from None
    except ValueError as exc:
        if "Worksheet" in str(exc) or "sheet" in str(exc).lower():
            import openpyxl

            names = openpyxl.load_workbook(path, read_only=True).sheetnames
            raise InputError(f"file '{path.name}' has no sheet {sheet!r}; its sheets are {names}") from None
        raise InputError(f"file '{path.name}' is not a readable Excel workbook ({exc}); save it again as "
                         ".xlsx") from None
    return raw.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else v)


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa

    try:
        raw = pd.read_parquet(path).astype(object)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"file '{path.name}' is not a readable Parquet file ({type(exc).__name__}); write it "
                         "again, or export a CSV") from None
    return raw.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else v)


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
            on_error: str, sheet: str | int | None = None) -> tuple[IngestionReport, pd.DataFrame, Mapping]:
    """Read, map, check every row, apply the as-of date; the canonical frame and its ingestion report."""
    if on_error not in ("raise", "exclude"):
        raise InputError(f"on_error must be 'raise' or 'exclude', not {on_error!r}")
    path = Path(path)
    raw = read_raw(path, sheet)
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
    as_of_date, rule = _as_of(dates, as_of, today)
    cutoff = pd.Timestamp(as_of_date)
    end = _follow_up(col, m, dates, reason, cutoff, problems)

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
    frame = _canonical(raw, m, ids, arm, dates, reason, extra, keep, cutoff, end)
    report = IngestionReport(source=source, rows_read=n, rows_kept=int(keep.sum()), rows_excluded=int(n - keep.sum()),
                             by_reason=by_reason, problems=table.drop(columns="reason"), mapping=m.to_dict(),
                             as_of=as_of_date, as_of_rule=rule,
                             followup=end.counts(keep) if end is not None else _NO_RULES,
                             outcome_check=outcome_check(dates.get("relapse_date"), keep, bad_rows, dict(
                                 first_problem.reason.value_counts())))
    return report, frame, m


def _as_of(dates: dict[str, pd.Series], as_of: dt.date | str | None, today: pd.Timestamp) -> tuple[dt.date, str]:
    if as_of is not None:
        return parse_date(as_of, "as_of"), "as requested"
    latest = max((d.max() for d in dates.values() if d.notna().any()), default=pd.NaT)
    if pd.isna(latest):
        return today.date(), ("today: no date in the extract could be read (set the as-of date: --as-of on the "
                              "command line, as_of= in Python)")
    return min(latest, today).date(), ("the latest date in the extract (set it with --as-of on the command line, "
                                       "as_of= in Python)")


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


def _follow_up(col: dict[str, pd.Series], m: Mapping, dates: dict[str, pd.Series], reason: pd.Series | None,
               cutoff: pd.Timestamp, problems: _Problems) -> FollowUpEnd | None:
    """For relapse: where follow-up ends, by the mapping's rules; a row no rule covers is a problem."""
    if "relapse_date" not in dates and "last_contact_date" not in dates:
        return None
    end = follow_up_end(dates, reason, m.followup, cutoff)
    field = "last_contact_date" if "last_contact_date" in m.columns else "relapse_date"
    if field == "last_contact_date" and "last_contact" in m.followup:
        fix = "fill in the last contact date in the source system"
    else:
        fix = ("map the export's last-contact column as last_contact_date in [columns], or its discharge date and "
               "reason (exit_date, exit_reason) so that the discharge and still-in-treatment rules of [followup] "
               "apply ('outcomes map EXPORT' drafts the mapping)")
    problems.add((end.rule == "").to_numpy(), m.columns[field], col[field],
                 "no relapse date, and no rule of [followup] (" + ", ".join(m.followup) + ") says where follow-up "
                 "ends: follow-up is unknown", fix, "follow-up unknown")
    return end


def _canonical(raw, m: Mapping, ids, arm, dates, reason, extra, keep, cutoff, end) -> pd.DataFrame:
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
    if end is not None:  # follow-up ends where the mapping's rules say (a relapse date without one: there)
        relapse = dates.get("relapse_date", pd.Series(pd.NaT, index=raw.index))[keep]
        to_relapse, to_end = days(relapse), days(end.date[keep])
        last_contact = np.where(np.isnan(to_end), to_relapse, to_end)
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
                 as_of: dt.date | str | None = None, on_error: str = "raise", *,
                 sheet: str | int | None = None) -> Cohort:
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
    sheet : str or int, optional
        The sheet of an Excel file (default: the first).

    Examples
    --------
    >>> import outcomes as oc
    >>> cohort = oc.read_extract("data/example_extract/program_extract.csv",
    ...                          mapping="data/example_extract/mapping.toml", as_of="2026-06-30",
    ...                          on_error="exclude")  # doctest: +SKIP
    """
    report, frame, m = _ingest(path, mapping, as_of, on_error, sheet)
    covariates = [c for c in m.keep if c in frame.columns] + ([s.SITE] if s.SITE in frame.columns else [])
    _check_arms_kept(report, frame)
    return Cohort(frame, reference=s.CLINICAL, as_of=report.as_of, covariates=covariates,
                  provenance={"source": report.source, "mapping": report.mapping, "ingestion": report.summary(),
                              "exclusions": report.exclusions()},
                  source=report.source, copy=False)


def _check_arms_kept(report: IngestionReport, frame: pd.DataFrame) -> None:
    """Both arms among the kept rows, or an error that names the codes not mapped (not a bare arm count)."""
    arms = set(frame[s.ARM]) if len(frame) else set()
    if len(arms) == 2:
        return
    unknown = report.problems.loc[report.problems.problem.str.startswith("arm code"), "value"].unique().tolist()
    kept = f"the kept rows hold only {sorted(arms)}" if arms else "no row could be kept"
    if unknown:
        raise InputError(f"file '{report.source}': arm code(s) {', '.join(map(str, unknown[:10]))} are not mapped, "
                         f"and {kept}: assign every code in [values.arm] of the mapping ('outcomes map "
                         f"{report.source}' drafts one)")
    if not arms:  # (one arm with every code mapped: the cohort's own check names the column)
        reasons = ", ".join(f"{r.reason}: {r.rows}" for r in report.by_reason.itertuples())
        raise InputError(f"file '{report.source}': no row could be kept ({reasons}); 'outcomes validate' lists "
                         "every problem with its fix")


def validate_extract(path: str | Path, mapping: str | Path | MappingABC | None = None,
                     as_of: dt.date | str | None = None, *, sheet: str | int | None = None) -> IngestionReport:
    """Check an extract without building a cohort: every row problem, and what would be kept."""
    report, _, _ = _ingest(path, mapping, as_of, "exclude", sheet)
    return report


def check_exclusions(cohort: Cohort, allow_exclusions: bool = False) -> None:
    """Refuse to analyse an outcome-selected or much-reduced sample unless told to (then reports say so).

    A cohort read from an export carries what was left out (``provenance["exclusions"]``). When more than 5% of
    its rows were left out for problems, or the rows left out differ from the kept ones in outcome (Fisher exact
    p < 0.05 on the share with a relapse date), the analysis of the kept rows alone would mislead: this raises
    InputError with the fix, unless ``allow_exclusions``.

    Examples
    --------
    >>> import outcomes as oc
    >>> check_exclusions(oc.synthetic_cohort(n=50, seed=1))  # not read from an export: nothing to check
    """
    info = cohort.provenance.get("exclusions") or {}
    if info.get("problem") and not allow_exclusions:
        raise InputError(f"file '{info.get('source')}': {info['problem']} Fix those rows ('outcomes validate' lists "
                         "each with its fix) or state in [followup] of the mapping where follow-up ends; to analyse "
                         "the kept rows anyway, pass --allow-exclusions (allow_exclusions=True in Python), and the "
                         "report will say what was left out")

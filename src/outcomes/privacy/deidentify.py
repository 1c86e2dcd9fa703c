"""``deidentify``: a program's raw export turned into a file that can leave the program.

Only what the mapping names leaves: the canonical outcome columns (days from
enrollment, never dates), the arm, the site and the covariates kept. Every other
column is dropped and listed with whatever identifiers were found in it. A column
that *would* leave and holds an identifier by its content (a phone number in the
"site" column, free text in a covariate) is refused, all such columns in one message.
The source id becomes a keyed pseudonym, ZIP codes their first three digits (the
restricted areas "000"), ages of 90 and over one group, and enrollment its year
(``safe_harbor``) or its date (``limited_data_set``, for use under a data use
agreement only: the file's metadata says so). The raw file is never modified.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import InputError
from ..core.results import Result
from ..model import schema as s
from ..model.cohort import Cohort
from ..sources.extract.mapping import DATE_FIELDS, Mapping, infer_mapping, load_mapping
from ..sources.extract.read import _ingest, read_raw
from ..sources.extract.detect import filled_rows, find_identifiers
from .risk import ReidentificationRisk, reidentification_risk
from .safe_harbor import RESTRICTED_ZIP3, load_key, pseudonyms, restrict_zip3

__all__ = ["DeidentifiedExtract", "LEVELS", "deidentify"]

LEVELS = {
    "safe_harbor": "HIPAA Safe Harbor (45 CFR 164.514(b)(2)): enrollment kept as its year only",
    "limited_data_set": ("HIPAA limited data set (45 CFR 164.514(e)): enrollment dates kept. Use and disclose "
                         "only under a data use agreement"),
}
_FORMAT = "outcomes-deidentified/1"
_ACTION_COLUMNS = ["column", "kind", "action", "rows", "detail"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class DeidentifiedExtract(Result):
    """A de-identified extract, what was done to get it, and how identifiable it still is.

    Attributes
    ----------
    df : DataFrame
        One row per participant, canonical columns: ``participant_id`` (a keyed pseudonym), ``arm``,
        ``site``, ``enroll_year`` (or ``enroll_date`` in a limited data set), days to relapse and exit,
        the covariates kept, ``zip3``.
    actions : DataFrame
        ``column, kind, action, rows, detail``: each source column dropped, transformed or
        pseudonymized (with the identifier kinds found in it), and any rows excluded.
    risk : ReidentificationRisk
        k, records unique and the share in groups under 11, over the quasi-identifiers.
    level : {"safe_harbor", "limited_data_set"}
    metadata : dict
        Written beside the data: the level and what it permits, the source, the as-of date.

    Notes
    -----
    ``actions`` and ``risk`` count rows of this very file (e.g. two ages grouped as 90): they travel with
    the rows and disclose nothing the rows do not, so they are exact, not suppressed as a report's are.
    """

    df: pd.DataFrame = field(repr=False)
    actions: pd.DataFrame
    risk: ReidentificationRisk
    level: str
    source: str
    as_of: dt.date
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        level = "Safe Harbor" if self.level == "safe_harbor" else "limited data set"
        return f"De-identified extract of '{self.source}' ({level}): {len(self.df)} records"

    def table(self) -> pd.DataFrame:
        return self.actions

    def notes(self) -> list[str]:
        return [f"{LEVELS[self.level]}.", *self.risk.notes()]

    def plot(self, ax=None):
        """How identifiable the file still is: :meth:`ReidentificationRisk.plot`."""
        return self.risk.plot(ax=ax)

    def write(self, path: str | os.PathLike) -> Path:
        """Write the rows (``.csv`` or ``.parquet``) as a cohort file (``oc.Cohort.read`` and ``outcomes report
        --data`` read it back, with its ``.meta.json``) and, beside them, ``<name>.privacy.json``: the level,
        the actions and the risk. The key is in none of them."""
        path = Path(path)
        if path.suffix.lower() not in (".csv", ".parquet", ".pq"):
            raise InputError(f"file '{path}': a de-identified extract is written as .csv or .parquet")
        path = self.to_cohort().write(path)
        sidecar = {**self.metadata, "actions": self.actions.to_dict("records"),
                   "risk": {k: v for k, v in self.risk.to_dict().items() if k != "suggestions"}
                   | {"suggestions": self.risk.suggestions.to_dict("records")}}
        path.with_name(path.stem + ".privacy.json").write_text(json.dumps(sidecar, indent=1, default=str) + "\n",
                                                              encoding="utf-8")
        return path

    def to_cohort(self) -> Cohort:
        """The extract as a :class:`Cohort` for analysis (covariates: those kept, and the site)."""
        covariates = [c for c in self.metadata.get("covariates", []) if c in self.df.columns]
        return Cohort(self.df, reference=s.CLINICAL, as_of=self.as_of, covariates=covariates,
                      provenance={"source": self.source, "deidentified": self.level})


def _carried_columns(m: Mapping, raw: pd.DataFrame) -> tuple[set[str], set[str]]:
    """Source columns whose values leave (after mapping), and those transformed on the way (exempt from the
    content check: an id becomes a pseudonym, a date becomes days)."""
    transformed = {m.columns["participant_id"]} if "participant_id" in m.columns else set()
    transformed |= {m.columns[f] for f in DATE_FIELDS if f in m.columns}
    transformed |= {c for c, how in m.transform.items() if how != "drop"}
    carried = set(m.columns.values()) | transformed | {c for c in m.keep if c in raw.columns}
    carried |= {m.columns[k] for k in m.keep if k in m.columns}
    return carried - set(m.drop), transformed


def _refuse_identifiers_that_would_leave(findings: pd.DataFrame, carried: set[str], source: str) -> None:
    leaving = findings[findings.column.isin(carried)]
    if leaving.empty:
        return
    parts = [f"'{r.column}' ({r.kind} in {r.rows} row{'s' if r.rows != 1 else ''}, first at row {r.first_row})"
             for r in leaving.itertuples()]
    columns = sorted(set(leaving.column))
    raise InputError(f"file '{source}': {len(columns)} column(s) the mapping would carry out hold identifiers or "
                     f"free text: {'; '.join(parts)}. Remove them from [columns]/[covariates] or list them in "
                     "[privacy] drop; the raw file is not modified")


def _dropped_actions(raw: pd.DataFrame, carried: set[str], m: Mapping, findings: pd.DataFrame) -> list[dict]:
    rows = []
    for column in raw.columns:
        if column in carried:
            continue
        found = findings[findings.column == column]
        kinds = ", ".join(f"{r.kind} ({r.found_by}, {r.rows} rows)" for r in found.itertuples())
        why = "dropped (the mapping drops it)" if column in m.drop else "dropped (not in the mapping)"
        present = filled_rows(raw[column])
        rows.append({"column": column, "kind": ", ".join(found.kind) or "none found", "action": why,
                     "rows": present, "detail": kinds or "no identifier found; not needed by the analysis"})
    return rows


def _kept_actions(raw: pd.DataFrame, carried: set[str], transformed: set[str], m: Mapping) -> list[dict]:
    """Columns that leave as they are (coded values mapped); age has its own line (90 and over grouped)."""
    kept = carried - transformed - {m.columns.get("age")}
    return [{"column": c, "kind": "none found", "action": "kept",
             "rows": filled_rows(raw[c]),
             "detail": "no identifier found by name or content"} for c in raw.columns if c in kept]


def deidentify(source: str | os.PathLike, mapping: str | os.PathLike | MappingABC | None = None, *,
               key: bytes | str | os.PathLike, level: str = "safe_harbor", as_of: dt.date | str | None = None,
               on_error: str = "raise") -> DeidentifiedExtract:
    """De-identify a program export (CSV, XLSX or Parquet) into a file that can leave the program.

    Parameters
    ----------
    source : path
        The raw export; never modified.
    mapping : TOML path or dict, optional
        As for :func:`outcomes.read_extract`: which columns are the id, arm, dates, outcome and covariates.
        Only the columns it names leave; ``[privacy] transform`` turns a ZIP column into ZIP3 and a date
        of birth into age.
    key : bytes, key file path, or ``"env:NAME"``
        Secret key of the pseudonyms (HMAC-SHA256): the same key links quarters. Required; never written.
    level : {"safe_harbor", "limited_data_set"}
        Safe Harbor keeps enrollment as its year; a limited data set keeps the date (data use agreement).
    as_of : date, optional
        What was known that day (as :func:`outcomes.read_extract`).
    on_error : {"raise", "exclude"}
        Stop at the first row problem, or leave problem rows out (counted in ``actions``).

    Raises
    ------
    InputError
        No key; a column that would leave holds identifiers or free text (all of them named, with rows);
        the problems :func:`outcomes.read_extract` reports.

    Examples
    --------
    >>> import outcomes as oc
    >>> out = oc.deidentify("data/example_extract/program_extract.csv", "data/example_extract/mapping.toml",
    ...                     key=b"a secret key of the program", as_of="2026-06-30")  # doctest: +SKIP
    >>> out.risk.k, out.write("shared/extract_2026Q2.csv")  # doctest: +SKIP
    """
    if level not in LEVELS:
        raise InputError(f"level must be one of {list(LEVELS)}, not {level!r}")
    secret = load_key(key)
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(f"deidentify reads the export file (CSV, XLSX or Parquet), not a {type(source).__name__}: "
                         "save it as a file first (the file is never modified)")
    path = Path(source)
    raw = read_raw(path)
    m = load_mapping(_as_mapping_source(mapping)) or infer_mapping(list(raw.columns))
    carried, transformed = _carried_columns(m, raw)
    findings = find_identifiers(raw, exempt=transformed)
    _refuse_identifiers_that_would_leave(findings, carried, path.name)
    dropped = _dropped_actions(raw, carried, m, findings) + _kept_actions(raw, carried, transformed, m)
    everything_else = tuple(c for c in raw.columns if c not in carried)
    report, frame, m = _ingest(path, dataclasses.replace(m, drop=everything_else), as_of, on_error)
    if report.rows_kept == 0:
        raise InputError(f"file '{path.name}': no row could be kept ({report.rows_excluded} excluded)")
    frame, transforms = _transform(frame, raw, m, secret, level, report)
    actions = pd.DataFrame(dropped + transforms, columns=_ACTION_COLUMNS)
    covariates = [c for c in m.keep if c in frame.columns] + ([s.SITE] if s.SITE in frame.columns else [])
    metadata = {"format": _FORMAT, "level": level, "permits": LEVELS[level], "source": path.name,
                "as_of": report.as_of.isoformat(), "records": len(frame), "covariates": covariates,
                "pseudonyms": "HMAC-SHA256 of the source id with the program's secret key (not included)"}
    return DeidentifiedExtract(df=frame, actions=actions, risk=reidentification_risk(frame), level=level,
                               source=path.name, as_of=report.as_of, metadata=metadata)


def _transform(frame: pd.DataFrame, raw: pd.DataFrame, m: Mapping, secret: bytes, level: str,
               report: Any) -> tuple[pd.DataFrame, list[dict]]:
    """Pseudonyms, enrollment year, restricted ZIP3: the frame that leaves, and one action per change."""
    n = len(frame)
    actions = [{"column": m.columns["participant_id"], "kind": "identifier (source id)", "action": "pseudonymized",
                "rows": n, "detail": "HMAC-SHA256 with the program's key: stable across extracts, not reversible"}]
    frame = frame.assign(**{s.PARTICIPANT_ID: pseudonyms(frame[s.PARTICIPANT_ID], secret)})
    enroll = pd.to_datetime(frame[s.ENROLL_DATE])
    if level == "safe_harbor":
        frame = frame.drop(columns=[s.ENROLL_DATE])
        frame.insert(2, "enroll_year", enroll.dt.year.astype(int).to_numpy())
        actions.append({"column": m.columns["enroll_date"], "kind": "date", "action": "transformed", "rows": n,
                        "detail": "kept as the year of enrollment only"})
    else:
        actions.append({"column": m.columns["enroll_date"], "kind": "date", "action": "kept (limited data set)",
                        "rows": n, "detail": "enrollment date kept: use only under a data use agreement"})
    for f in DATE_FIELDS[1:]:
        if f in m.columns:
            actions.append({"column": m.columns[f], "kind": "date", "action": "transformed", "rows": n,
                            "detail": "days from enrollment"})
    for column, how in m.transform.items():
        if how == "zip3":
            restricted = frame["zip3"].isin(RESTRICTED_ZIP3).to_numpy()
            frame["zip3"] = restrict_zip3(frame["zip3"])
            actions.append({"column": column, "kind": "ZIP code", "action": "transformed", "rows": n,
                            "detail": f"first three digits; {int(restricted.sum())} rows in restricted areas "
                                      "(20,000 people or fewer) set to 000"})
        elif how in ("age_from_dob", "offset"):
            actions.append({"column": column, "kind": "date", "action": "transformed", "rows": n,
                            "detail": "age in whole years" if how == "age_from_dob" else "days from enrollment"})
    if "age" in frame.columns:
        old = int((frame["age"] >= 90).sum())
        actions.append({"column": m.columns.get("age", "age"), "kind": "age", "action": "grouped", "rows": old,
                        "detail": "ages 90 and over shown as 90 (90 or older)"})
    if report.rows_excluded:
        actions.append({"column": "(rows)", "kind": "row problems", "action": "excluded", "rows": report.rows_excluded,
                        "detail": "; ".join(f"{r.reason}: {r.rows}" for r in report.by_reason.itertuples())})
    return frame, actions


def _as_mapping_source(mapping: str | os.PathLike[str] | MappingABC[str, Any] | None
                       ) -> str | Path | MappingABC[str, Any] | None:
    """A mapping as :func:`load_mapping` takes it: a dict, a path, or None (infer one from the columns)."""
    return mapping if mapping is None or isinstance(mapping, (MappingABC, str)) else Path(mapping)

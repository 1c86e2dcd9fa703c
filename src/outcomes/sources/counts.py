"""Count tables: what several providers can share instead of rows (42 CFR Part 2), and pool exactly.

The unadjusted comparison of two arms (Kaplan-Meier, log-rank, the arm-only Cox
model with Efron ties, its PH test, RMST) depends on the data only through the
number of participants removed and the number of events per (arm, day). A
:class:`CountTable` holds exactly that, optionally per stratum (e.g. site), and no
row-level data. Tables from several sites pool by adding their counts, and the
pooled comparison equals the all-rows one (tested to 1e-10).

A count table is **restricted data**: it has cells of 1 to 10 (a day on which one
participant relapsed). Share it only under a data use agreement; never publish it
unsuppressed. Its file says so in its first line.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import InputError
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.outcome_registry import TIME_TO_EVENT, outcome_arrays
from .scan import ScannedCohort, as_of_columns

__all__ = ["CountTable", "OTHER_EXITS", "RESTRICTED", "RowPatterns", "as_of_tables", "count_row_patterns",
           "pattern_counts", "pool", "summarize"]

RESTRICTED = ("RESTRICTED DATA: counts of participants per arm and day, including cells of 1-10. "
              "Share only under a data use agreement; never publish unsuppressed.")
_FORMAT = "outcomes-count-table/1"
_COLUMNS = ["stratum", "arm", "time", "removed", "events"]
# a retention table also counts the other exits, so competing risks need no rows either
# (``events`` counts dropouts; the rest of ``removed`` is still in treatment)
OTHER_EXITS = ("completed", "transferred")


@dataclass(frozen=True, kw_only=True, eq=False)
class CountTable:
    """Participants removed (event or censoring) and events, per stratum, arm and distinct time.

    Attributes
    ----------
    outcome, event : str
        ``relapse``/``relapse`` or ``retention``/``dropout``.
    arms : (reference, treatment)
    by : str or None
        The stratifying column (``stratum`` is ``"all"`` without one).
    counts : DataFrame
        ``stratum, arm, time, removed, events`` (whole numbers), sorted. A retention table has
        ``completed`` and ``transferred`` too (exits other than dropout), for
        :func:`~outcomes.cumulative_incidence`.
    provenance : dict
        Where the counts came from (source, as-of date, sites pooled).
    """

    outcome: str
    event: str
    arms: tuple[str, str]
    by: str | None
    counts: pd.DataFrame = field(repr=False)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.counts.removed.sum())

    @property
    def has_exits_by_cause(self) -> bool:
        """Whether the table counts every way of leaving treatment (needed for competing risks)."""
        return all(c in self.counts.columns for c in OTHER_EXITS)

    def arm_counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pooled over strata: distinct times, and removed and events as (times, 2) arrays (reference first)."""
        grouped = self.counts.groupby(["time", "arm"], observed=True)[["removed", "events"]].sum().unstack("arm")
        grouped = grouped.reindex(columns=pd.MultiIndex.from_product([["removed", "events"], list(self.arms)]),
                                  fill_value=0).fillna(0)
        times = grouped.index.to_numpy(dtype=float)
        return times, grouped["removed"].to_numpy(dtype=float), grouped["events"].to_numpy(dtype=float)

    def write(self, path: str | Path) -> Path:
        """Write as CSV (a ``#`` line says the table is restricted) or Parquet (the same in its metadata)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": _FORMAT, "outcome": self.outcome, "event": self.event, "arms": list(self.arms),
                "by": self.by, "provenance": self.provenance, "notice": RESTRICTED}
        if path.suffix.lower() == ".csv":
            with path.open("w", encoding="utf-8", newline="\n") as fh:
                fh.write(f"# {RESTRICTED}\n# {json.dumps(meta)}\n")
                self.counts.to_csv(fh, index=False, lineterminator="\n")
        elif path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(self.counts, preserve_index=False)
            table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                                   b"outcomes": json.dumps(meta).encode()})
            pq.write_table(table, path)
        else:
            raise InputError(f"file '{path}': a count table is written as .csv or .parquet")
        return path

    @classmethod
    def read(cls, path: str | Path) -> CountTable:
        """Read a table written by :meth:`write`; a damaged or edited file is an InputError naming what is wrong."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"file '{path}' does not exist")
        if path.suffix.lower() == ".csv":
            meta, counts = _read_csv_table(path)
        elif path.suffix.lower() in (".parquet", ".pq"):
            meta, counts = _read_parquet_table(path)
        else:
            raise InputError(f"file '{path}': a count table is read from .csv or .parquet")
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else meta
            raise InputError(f"file '{path.name}': not an outcomes count table (format {found!r})")
        missing = [k for k in ("outcome", "event", "arms") if k not in meta]
        arms = meta.get("arms")
        if missing or not (isinstance(arms, list) and len(arms) == 2):
            raise InputError(f"file '{path.name}': the metadata line lacks {missing or ['two arms']}; write the table "
                             "again with CountTable.write (it must not be edited by hand)")
        return _checked(counts, str(meta["outcome"]), str(meta["event"]), (str(arms[0]), str(arms[1])),
                        meta.get("by"), meta.get("provenance", {}), path.name)


def _read_csv_table(path: Path) -> tuple[Any, pd.DataFrame]:
    try:
        with path.open(encoding="utf-8") as fh:
            fh.readline()
            header = fh.readline()
            if not header.startswith("# {"):
                raise InputError(f"file '{path.name}' is not an outcomes count table (no metadata line)")
            meta = json.loads(header[2:])
            counts = pd.read_csv(fh, dtype={"stratum": str, "arm": str})
    except UnicodeDecodeError:
        raise InputError(f"file '{path.name}' is not UTF-8 text: write the count table again with "
                         "CountTable.write") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"file '{path.name}': its metadata line is not valid JSON ({exc.msg}); write the table "
                         "again with CountTable.write") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"file '{path.name}': the counts cannot be read ({type(exc).__name__}); write the table "
                         "again with CountTable.write") from None
    return meta, counts


def _read_parquet_table(path: Path) -> tuple[Any, pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(b"outcomes")
        if raw is None:
            raise InputError(f"file '{path.name}' is not an outcomes count table (no metadata)")
        return json.loads(raw), table.to_pandas()
    except (pa.ArrowException, OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"file '{path.name}' is not a readable count table ({type(exc).__name__}); write it again "
                         "with CountTable.write") from None


def _checked(counts: pd.DataFrame, outcome: str, event: str, arms: tuple[str, str], by: str | None,
             provenance: dict, source: str) -> CountTable:
    missing = [c for c in _COLUMNS if c not in counts.columns]
    if missing:
        raise InputError(f"file '{source}': count table column {missing[0]!r} is missing")
    if outcome not in TIME_TO_EVENT:
        raise InputError(f"file '{source}': outcome {outcome!r} is not one of {list(TIME_TO_EVENT)}")
    columns = _COLUMNS + [c for c in OTHER_EXITS if outcome == "retention" and c in counts.columns]
    counts = counts.assign(**{c: pd.to_numeric(counts[c], errors="coerce") for c in columns[2:]})  # "many" -> NaN
    values = counts[columns[2:]].to_numpy(dtype=float)
    exits = values[:, 2:].sum(axis=1)  # events, and the other exits when counted
    bad = ~np.isfinite(values).all(axis=1) | (values < 0).any(axis=1) | (values[:, 1:] != np.round(values[:, 1:])).any(
        axis=1) | (exits > values[:, 1])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"file '{source}' row {i + 1}: counts must be whole numbers >= 0 with events (and other "
                         "exits) adding up to no more than removed, and times finite and >= 0")
    unknown = sorted(set(counts["arm"].astype(str)) - set(arms))
    if unknown:
        raise InputError(f"file '{source}': arm {unknown[0]!r} is not one of the table's arms {list(arms)}")
    counts = counts.assign(stratum=counts["stratum"].astype(str), arm=counts["arm"].astype(str))
    counts = counts.sort_values(["stratum", "arm", "time"], ignore_index=True)[columns]
    return CountTable(outcome=outcome, event=event, arms=arms, by=by, counts=counts, provenance=provenance)


def summarize(cohort: Cohort | ScannedCohort, outcome: str = "relapse", by: str | None = None) -> CountTable:
    """Counts per (stratum,) arm and day: all a pooled unadjusted comparison needs, and no row.

    A scanned cohort (:func:`outcomes.scan`) is counted in its engine (a ``GROUP BY`` pushed down).

    Examples
    --------
    >>> import outcomes as oc
    >>> table = oc.summarize(oc.synthetic_cohort(n=500, seed=1), "relapse")
    >>> table.n, list(table.counts.columns)
    (500, ['stratum', 'arm', 'time', 'removed', 'events'])
    """
    if isinstance(cohort, ScannedCohort):
        return _count_in_engine(cohort, outcome, by)
    time, event, event_name = outcome_arrays(cohort, outcome)
    if by is not None and by not in cohort.df.columns:
        raise InputError(f"by column {by!r} is not in the cohort; columns are {list(map(str, cohort.df.columns))}")
    frame = pd.DataFrame({"stratum": cohort.df[by].astype(str).to_numpy() if by else "all",
                          "arm": cohort.df[s.ARM].astype(str).to_numpy(), "time": time, "removed": 1,
                          "events": event.astype(np.int64)})
    if outcome == "retention":
        reason = cohort.df[s.EXIT_REASON].astype(str).to_numpy()
        frame = frame.assign(**{c: (reason == c).astype(np.int64) for c in OTHER_EXITS})
    counted = [c for c in frame.columns if c not in ("stratum", "arm", "time")]
    counts = frame.groupby(["stratum", "arm", "time"], observed=True, sort=True)[counted].sum()
    provenance = {"source": cohort.provenance.get("source", "cohort"),
                  "as_of": cohort.as_of.isoformat() if cohort.as_of else None, "participants": len(cohort)}
    return CountTable(outcome=outcome, event=event_name, arms=cohort.arms, by=by, counts=counts.reset_index(),
                      provenance=provenance)


def as_of_tables(scanned: ScannedCohort, outcome: str, ends: Sequence[dt.date]) -> list[CountTable]:
    """What :func:`summarize` gives of ``scanned.as_of_view(end)`` for each of ``ends``, from one pass over the
    scanned files instead of a pass per date: each participant is joined to the dates on or after its enrollment
    and censored there, by the rule of :func:`outcomes.as_of` (a report's trend: 8 quarters of 10M participants
    took 16 scans and 3.4 s, measured in ``benchmarks/report_scale.py --scan``)."""
    if scanned.engine != "duckdb" or s.ENROLL_DATE not in scanned.columns or outcome not in scanned.outcomes:
        raise InputError("as-of counts need a DuckDB scan with enrollment dates and the outcome")
    values = ", ".join(f"({k}, DATE '{end.isoformat()}')" for k, end in enumerate(ends))
    known = ", ".join(as_of_columns("h", "relapse" in scanned.outcomes, "retention" in scanned.outcomes,
                                    s.EXPOSURE_START in scanned.columns, scanned.arms[0]))
    spec = TIME_TO_EVENT[outcome]
    reason = f", {s.EXIT_REASON}" if outcome == "retention" else ""
    events = (f"CAST(sum({s.RELAPSE_EVENT}) AS BIGINT)" if outcome == "relapse" else "0") + " AS events"
    frame = scanned.relation.query("t", f"""
        WITH ends(k, d) AS (VALUES {values}),
        joined AS (SELECT *, CAST(date_diff('day', {s.ENROLL_DATE}, d) AS DOUBLE) AS h FROM t JOIN ends
                   ON {s.ENROLL_DATE} <= d),
        v AS (SELECT * REPLACE ({known}) FROM joined)
        SELECT k, CAST({spec.time_column} AS DOUBLE) AS time, {s.ARM}{reason}, count(*) AS removed, {events}
        FROM v GROUP BY ALL ORDER BY ALL""").df()
    if outcome == "retention":  # exits by cause, pivoted as summarize does
        frame = frame.assign(events=frame.removed.where(frame[s.EXIT_REASON] == "dropout", 0),
                             **{c: frame.removed.where(frame[s.EXIT_REASON] == c, 0) for c in OTHER_EXITS})
        frame = frame.groupby(["k", "time", s.ARM], sort=True)[["removed", "events", *OTHER_EXITS]].sum().reset_index()
    tables = []
    for k, end in enumerate(ends):
        part = frame[frame.k == k].drop(columns="k").assign(stratum="all")
        provenance = {"source": scanned.source, "as_of": end.isoformat(), "participants": int(part.removed.sum()),
                      "engine": scanned.engine}
        tables.append(_checked(part, outcome, TIME_TO_EVENT[outcome].event, scanned.arms, None, provenance,
                               scanned.source))
    return tables


def _count_in_engine(scanned: ScannedCohort, outcome: str, by: str | None) -> CountTable:
    """Participants removed and events per (stratum,) arm and day, computed by the scan's engine."""
    keys = [by] if by else []
    if outcome == "retention":  # exits by cause: one more key, pivoted here (a few rows per day and arm)
        by_reason = scanned.group_counts(outcome, [*keys, s.EXIT_REASON])
        by_reason = by_reason.assign(**{c: by_reason.removed.where(by_reason[s.EXIT_REASON] == c, 0)
                                        for c in OTHER_EXITS})
        counted = ["removed", "events", *OTHER_EXITS]
        frame = by_reason.groupby(["time", s.ARM, *keys], sort=True)[counted].sum().reset_index()
    else:
        frame = scanned.group_counts(outcome, keys)
    frame["stratum"] = frame[by].astype(str) if by else "all"
    provenance = {"source": scanned.source, "as_of": scanned.as_of.isoformat() if scanned.as_of else None,
                  "participants": scanned.n, "engine": scanned.engine}
    return _checked(frame, outcome, TIME_TO_EVENT[outcome].event, scanned.arms, by, provenance, scanned.source)


def pattern_counts(scanned: ScannedCohort, outcome: str, columns: Sequence[str]) -> pd.DataFrame:
    """Participants removed and events per (day, arm, covariate pattern), computed by the scan's engine: all
    an adjusted Cox model needs, exactly (``fit_cox(..., weights=removed, event_counts=events)``).

    Columns: ``time``, ``arm``, the covariates, ``removed``, ``events``.
    """
    return scanned.group_counts(outcome, list(columns))


@dataclass(frozen=True)
class RowPatterns:
    """Rows counted per (time, covariate pattern[, stratum]): how many were removed and how many had the event."""

    X: np.ndarray
    time: np.ndarray
    stratum: np.ndarray | None
    removed: np.ndarray
    events: np.ndarray


def count_row_patterns(X: np.ndarray, time: np.ndarray, event: np.ndarray,
                       stratum: np.ndarray | None = None) -> RowPatterns:
    """Count in-memory rows per (time, covariate pattern, stratum) with DuckDB's GROUP BY.

    At 10M rows sharing few patterns the Cox model fitted from these counts equals the row fit (count-aware
    Efron) in a fraction of its time (BENCHMARKS.md); DuckDB groups a wide float key faster than pandas.

    >>> p = count_row_patterns(np.array([[0.0], [0.0], [1.0]]), np.array([5.0, 5.0, 5.0]), np.array([1.0, 0.0, 1.0]))
    >>> sorted(zip(p.X[:, 0].tolist(), p.removed.tolist(), p.events.tolist()))
    [(0.0, 2.0, 1.0), (1.0, 1.0, 1.0)]
    """
    import duckdb

    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    covariates = list(frame.columns)
    frame["t"], frame["e"] = time, event
    keys = ["t", *covariates]
    if stratum is not None:
        frame["s"] = pd.factorize(stratum, sort=True)[0]
        keys.append("s")
    with duckdb.connect() as connection:
        counted = connection.from_df(frame).aggregate(
            f"{', '.join(keys)}, count(*) AS removed, sum(e) AS events", ", ".join(keys)).df()
    return RowPatterns(X=counted[covariates].to_numpy(float), time=counted["t"].to_numpy(float),
                       stratum=None if stratum is None else counted["s"].to_numpy(),
                       removed=counted["removed"].to_numpy(float), events=counted["events"].to_numpy(float))


def pool(tables: Sequence[CountTable]) -> CountTable:
    """Add the counts of several tables (sites, providers) of the same outcome and arms.

    >>> import outcomes as oc
    >>> a, b = (oc.summarize(oc.synthetic_cohort(n=300, seed=k)) for k in (1, 2))
    >>> oc.pool([a, b]).n
    600
    """
    if isinstance(tables, (str, CountTable)) or not isinstance(tables, Sequence):
        raise InputError("pool takes a list of count tables (oc.summarize(...) or CountTable.read(...) of each)")
    tables = list(tables)
    if not tables:
        raise InputError("pool needs at least one count table")
    wrong = [k for k, t in enumerate(tables, start=1) if not isinstance(t, CountTable)]
    if wrong:
        raise InputError(f"pool: item {wrong[0]} is a {type(tables[wrong[0] - 1]).__name__}, not a count table; read "
                         "each file with CountTable.read first")
    first = tables[0]
    for k, t in enumerate(tables[1:], start=2):
        if (t.outcome, t.arms, t.by) != (first.outcome, first.arms, first.by):
            raise InputError(f"count table {k} is of {t.outcome} with arms {list(t.arms)} by {t.by!r}; table 1 is of "
                             f"{first.outcome} with arms {list(first.arms)} by {first.by!r}: only like tables pool")
    counted = ["removed", "events", *(OTHER_EXITS if all(t.has_exits_by_cause for t in tables) else ())]
    counts = pd.concat([t.counts for t in tables], ignore_index=True)
    counts = counts.groupby(["stratum", "arm", "time"], sort=True)[counted].sum().reset_index()
    provenance = {"pooled": [t.provenance for t in tables]}
    return CountTable(outcome=first.outcome, event=first.event, arms=first.arms, by=first.by, counts=counts,
                      provenance=provenance)

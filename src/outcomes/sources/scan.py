"""A cohort that stays where it is: Parquet or CSV files (or a DuckDB relation) scanned by DuckDB, or a Spark
DataFrame (the ``outcomes[spark]`` extra).

:func:`scan` maps the source's columns to the canonical names in SQL and validates
them in the engine, with the same messages as :class:`~outcomes.Cohort` (the
column, the first offending row, the fix). Nothing is loaded into memory: the
unadjusted comparison needs only counts per arm and day, which the engine computes
(:func:`summarize` pushes a ``GROUP BY`` down), and ``compare_arms`` turns them into
the same :class:`~outcomes.analyses.arm_comparison.ArmComparison` as in memory.

Adjusted and stratified Cox models come from counts per (day, stratum, covariate
pattern), exactly, and so do competing risks (per day, arm and exit reason:
:func:`~outcomes.cumulative_incidence`). Weighted comparisons and robust SEs of
``compare_arms`` need the rows: ``scanned.to_cohort()`` loads them.

Examples
--------
>>> import outcomes as oc, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cohort.parquet"
>>> _ = oc.synthetic_cohort(n=500, seed=1).write(path)
>>> scanned = oc.scan(path, arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"),
...                   participant_id="participant_id")
>>> len(scanned), scanned.arms
(500, ('clinical', 'peer_clinical'))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import InputError
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.dates import parse_date
from ..model.outcome_registry import TIME_TO_EVENT
from ..model.validation import two_arms, where

__all__ = ["ScannedCohort", "as_of_columns", "quote", "scan"]


@dataclass(frozen=True, eq=False)
class ScannedCohort:
    """A validated cohort held by its engine (DuckDB, or Spark): canonical columns, never loaded unless asked."""

    relation: Any = field(repr=False)  # a DuckDB relation or a Spark DataFrame with the canonical columns
    arms: tuple[str, str]
    outcomes: tuple[str, ...]
    covariates: tuple[str, ...]
    as_of: dt.date | None
    source: str
    n: int
    engine: str = "duckdb"

    @property
    def columns(self) -> list[str]:
        return list(self.relation.columns)

    def group_counts(self, outcome: str, keys: list[str]) -> pd.DataFrame:
        """Participants removed and events per (day, arm, keys...), counted by the engine.

        Columns: ``time``, ``arm``, the keys, ``removed``, ``events``; sorted.
        """
        if outcome not in self.outcomes:
            raise InputError(f"this scanned cohort has no {outcome} outcome (its outcomes: {list(self.outcomes)})")
        missing = [k for k in keys if k not in self.columns]
        if missing:
            raise InputError(f"column {missing[0]!r} is not in the scanned cohort; columns are {self.columns}")
        spec = TIME_TO_EVENT[outcome]  # the outcome registry says which column and value make the event
        time, event = spec.time_column, (spec.event_column, spec.event_value)
        if self.engine == "spark":
            from . import spark

            return spark.group_counts(self.relation, time, event, keys)
        condition = f"{event[0]} = {event[1]!r}" if isinstance(event[1], str) else f"{event[0]} = {event[1]}"
        names = ", ".join([f"CAST({time} AS DOUBLE) AS time", s.ARM, *(quote(k) for k in keys)])
        return self.relation.query("t", f"""
            SELECT {names}, count(*) AS removed, CAST(sum(CASE WHEN {condition} THEN 1 ELSE 0 END) AS BIGINT)
            AS events FROM t GROUP BY ALL ORDER BY ALL""").df()

    def landmark_view(self, outcome: str, day: float, labels: tuple[str, str]) -> ScannedCohort:
        """Those still followed after ``day``, time restarted there, the arm ``labels[1]`` if exposed by then
        (``exposure_start_days <= day``), else ``labels[0]``: a landmark analysis, in the engine."""
        if s.EXPOSURE_START not in self.columns:
            raise InputError("this scanned cohort has no exposure start days: scan it with exposure_start=COLUMN")
        if self.engine != "duckdb":
            raise InputError("a landmark view is computed in DuckDB; load Spark rows with to_cohort() first")
        time = TIME_TO_EVENT[outcome].time_column
        view = self.relation.query("t", f"""
            SELECT * EXCLUDE ({s.EXPOSURE_START}) REPLACE ({time} - {float(day)} AS {time},
                CASE WHEN {s.EXPOSURE_START} <= {float(day)} THEN '{labels[1]}' ELSE '{labels[0]}' END AS {s.ARM})
            FROM t WHERE {time} > {float(day)}""")
        n = int(view.aggregate("count(*)").fetchall()[0][0])
        return ScannedCohort(relation=view, arms=labels, outcomes=(outcome,), covariates=self.covariates,
                             as_of=self.as_of, source=self.source, n=n)

    def interval_counts(self, outcome: str, keys: list[str]) -> pd.DataFrame:
        """Participants per (start, stop] interval, exposure state and ``keys``, with the events at the stops,
        counted by the engine: the data of a time-varying Cox model (exposure switches on at
        ``exposure_start_days``; a start on or after the end of follow-up is ignored, as R's ``tmerge`` does).

        Columns: ``tstart``, ``tstop``, ``exposed`` (0/1), the keys, ``removed``, ``events``; only participants
        followed after day 0.
        """
        if s.EXPOSURE_START not in self.columns:
            raise InputError("this scanned cohort has no exposure start days: scan it with exposure_start=COLUMN")
        if self.engine != "duckdb":
            raise InputError("time-varying counts are computed in DuckDB; load Spark rows with to_cohort() first")
        missing = [k for k in keys if k not in self.columns]
        if missing:
            raise InputError(f"column {missing[0]!r} is not in the scanned cohort; columns are {self.columns}")
        spec = TIME_TO_EVENT[outcome]
        value = f"{spec.event_value!r}" if isinstance(spec.event_value, str) else f"{spec.event_value}"
        key_list = "".join(f", {quote(k)}" for k in keys)
        return self.relation.query("t", f"""
            WITH p AS (SELECT CAST({spec.time_column} AS DOUBLE) AS t,
                              CASE WHEN {spec.event_column} = {value} THEN 1 ELSE 0 END AS e,
                              CAST({s.EXPOSURE_START} AS DOUBLE) AS es{key_list}
                       FROM t WHERE {spec.time_column} > 0),
            iv AS (SELECT 0.0 AS tstart, CASE WHEN es > 0 AND es < t THEN es ELSE t END AS tstop,
                          CASE WHEN es <= 0 THEN 1 ELSE 0 END AS exposed,
                          CASE WHEN es > 0 AND es < t THEN 0 ELSE e END AS ev{key_list} FROM p
                   UNION ALL
                   SELECT es, t, 1, e{key_list} FROM p WHERE es > 0 AND es < t)
            SELECT tstart, tstop, exposed{key_list}, count(*) AS removed, CAST(sum(ev) AS BIGINT) AS events
            FROM iv GROUP BY ALL ORDER BY ALL""").df()

    def __len__(self) -> int:
        return self.n

    @property
    def reference(self) -> str:
        return self.arms[0]

    @property
    def treatment(self) -> str:
        return self.arms[1]

    @property
    def provenance(self) -> dict[str, Any]:
        return {"source": self.source, "scanned": True, "engine": self.engine}

    @property
    def interviews(self) -> None:
        """A scanned cohort carries no interview records (pass them to the report instead)."""
        return None

    @property
    def events(self) -> None:
        """A scanned cohort carries one row per participant, not every relapse episode."""
        return None

    @property
    def truth(self) -> dict[str, Any]:
        """Real data has no known truth (a synthetic cohort in memory carries its scenario's)."""
        return {}

    def yes_and_known(self, column: str) -> tuple[int, int]:
        """Participants with ``column`` = 1, and with ``column`` known (a 0/1 column), counted by the engine."""
        self._in_duckdb(f"counting {column}")
        yes, known = self.relation.aggregate(f"count_if({quote(column)} = 1), count({quote(column)})").fetchall()[0]
        return int(yes), int(known)

    def enrollment_counts(self) -> pd.DataFrame:
        """Participants per (site, arm, quarter of enrollment), counted by the engine: ``site`` (when scanned
        with sites), ``arm``, ``quarter`` (``year * 4 + quarter - 1``; -1 for a blank date) and ``n``."""
        if s.ENROLL_DATE not in self.columns:
            raise InputError("this scanned cohort has no enrollment dates: scan it with enroll_date=COLUMN")
        self._in_duckdb("enrollment counts")
        site = f"{s.SITE}, " if s.SITE in self.columns else ""
        return self.relation.query("t", f"""
            SELECT {site}{s.ARM}, CAST(coalesce(year({s.ENROLL_DATE}) * 4 + quarter({s.ENROLL_DATE}) - 1, -1)
                AS BIGINT) AS quarter, count(*) AS n
            FROM t GROUP BY ALL ORDER BY ALL""").df()

    def covariate_patterns(self, columns: list[str]) -> pd.DataFrame:
        """Participants per arm and values of ``columns`` (blank kept as missing), counted by the engine: ``arm``,
        the columns and ``n``; with a few coded confounders, a few hundred rows whatever the cohort's size."""
        self._in_duckdb("covariate patterns")
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise InputError(f"column {missing[0]!r} is not in the scanned cohort; columns are {self.columns}")
        keys = ", ".join([s.ARM, *(quote(c) for c in columns)])
        return self.relation.query("t", f"SELECT {keys}, count(*) AS n FROM t GROUP BY ALL ORDER BY ALL").df()

    def last_enrollment(self) -> dt.date | None:
        """The latest enrollment date, found by the engine (None without dates)."""
        self._in_duckdb("the latest enrollment")
        if s.ENROLL_DATE not in self.columns:
            return None
        latest = self.relation.aggregate(f"max({s.ENROLL_DATE})").fetchall()[0][0]
        return None if latest is None else pd.Timestamp(latest).date()

    def missing_counts(self) -> dict[str, int]:
        """Blank values per column (only columns with blanks), counted by the engine."""
        self._in_duckdb("missing values")
        columns = self.columns
        found = self.relation.aggregate(", ".join(f"count(*) - count({quote(c)})" for c in columns)).fetchall()[0]
        return {c: int(k) for c, k in zip(columns, found) if k}

    @property
    def recorded_covariates(self) -> tuple[str, ...]:
        """The covariates with at least one value (a column blank throughout is not adjusted for)."""
        blank = self.missing_counts()
        return tuple(c for c in self.covariates if blank.get(c, 0) < self.n)

    def as_of_view(self, cutoff: dt.date) -> ScannedCohort:
        """What was known on ``cutoff`` (enrolled by then; later events censored there), in the engine, as
        :func:`outcomes.as_of` does in memory."""
        self._in_duckdb("an as-of view")
        view = _as_of(self.relation, cutoff, self.source, s.ENROLL_DATE if s.ENROLL_DATE in self.columns else None,
                      "relapse" in self.outcomes, "retention" in self.outcomes, self.arms)
        n = int(view.aggregate("count(*)").fetchall()[0][0])
        return ScannedCohort(relation=view, arms=self.arms, outcomes=self.outcomes, covariates=self.covariates,
                             as_of=cutoff, source=self.source, n=n)

    def load(self, columns: list[str]) -> Cohort:
        """Only ``columns`` (with the arm) of every row, as a :class:`Cohort` in memory: text as categories, the
        participant ids replaced by row numbers (the analyses that load rows do not read ids)."""
        self._in_duckdb("loading some columns")
        wanted = [c for c in dict.fromkeys([s.ARM, *columns]) if c != s.PARTICIPANT_ID]
        text = {c for c, kind in zip(self.columns, self.relation.types) if str(kind) == "VARCHAR"}
        levels = {c: [v[0] for v in self.relation.query("t", f"SELECT DISTINCT {quote(c)} FROM t "
                                                              f"WHERE {quote(c)} IS NOT NULL").fetchall()]
                  for c in wanted if c in text}
        select = [f"CAST({quote(c)} AS ENUM ({', '.join(_sql_text(v) for v in levels[c])})) AS {quote(c)}"
                  if c in levels and levels[c] else quote(c) for c in wanted]
        rows = self.relation.query("t", f"SELECT row_number() OVER () AS {s.PARTICIPANT_ID}, {', '.join(select)} "
                                        "FROM t").df()
        return Cohort(rows, reference=self.arms[0], arms=self.arms,
                      covariates=tuple(c for c in self.covariates if c in wanted), as_of=self.as_of,
                      provenance={**self.provenance, "columns loaded": wanted}, copy=False)

    def _in_duckdb(self, what: str) -> None:
        if self.engine != "duckdb":
            raise InputError(f"{what} of a Spark cohort is not computed here: load its rows with to_cohort() first")

    def to_cohort(self) -> Cohort:
        """Load the rows into memory as a :class:`Cohort` (for analyses that need them)."""
        rows = self.relation.toPandas() if self.engine == "spark" else self.relation.df()
        return Cohort(rows, reference=self.arms[0], arms=self.arms, covariates=self.covariates,
                      as_of=self.as_of, provenance={"source": self.source, "scanned": True}, copy=False)


def quote(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + str(name).replace('"', '""') + '"'


def _relation(source: Any, connection: Any) -> tuple[Any, str]:
    """A DuckDB relation over the source, and its name for messages."""
    import duckdb

    if isinstance(source, duckdb.DuckDBPyRelation):
        return source, "the DuckDB relation"
    text = str(source)
    suffix = Path(text.replace("*", "x")).suffix.lower()
    if "*" not in text and not Path(text).exists():
        raise InputError(f"file '{text}' does not exist")
    if suffix not in (".parquet", ".pq", ".csv"):
        raise InputError(f"file '{text}': scan reads .parquet or .csv files (or a glob of them), not {suffix!r}")
    try:
        relation = connection.read_parquet(text) if suffix != ".csv" else connection.read_csv(text)
    except duckdb.Error as exc:  # an empty or damaged file, a glob that matches nothing
        first = str(exc).splitlines()[0].split("Error: ", 1)[-1]
        raise InputError(f"file '{text}' cannot be scanned ({first}); check the path, or write the file "
                         "again") from None
    return relation, Path(text).name


def scan(source: Any, *, arm: str, reference: Any, relapse: tuple[str, str] | None = None,
         retention: tuple[str, str] | None = None, covariates: tuple[str, ...] | list[str] = (),
         site: str | None = None, participant_id: str | None = None, enroll_date: str | None = None,
         as_of: dt.date | str | None = None, connection: Any = None,
         exposure_start: str | None = None) -> ScannedCohort:
    """Map and validate a cohort where it lives (Parquet/CSV path or glob, or a DuckDB relation).

    ``relapse`` and ``retention`` are ``(time column, event column)``; a retention event column holds
    1 = dropout / 0 = still in treatment, or exit reasons as text. ``as_of`` (with ``enroll_date``) keeps
    what was known that day, as :func:`outcomes.as_of` does. ``exposure_start`` (DuckDB only): days from
    enrollment to the first peer contact, blank = never; the arm then records who was ever exposed.
    """
    if relapse is None and retention is None:
        raise InputError("scan needs relapse=(time column, event column) and/or retention=(...)")
    if type(source).__module__.startswith("pyspark"):
        from . import spark

        if exposure_start is not None:
            raise InputError("exposure start days are read from Parquet/CSV files and DuckDB relations, not yet from "
                             "Spark: collect the DataFrame, or write it to Parquet and scan that")
        cutoff = None if as_of is None else parse_date(as_of, "as_of")
        mapped, arms, n = spark.map_and_validate(
            source, arm=arm, reference=reference, relapse=relapse, retention=retention, covariates=tuple(covariates),
            site=site, participant_id=participant_id, enroll_date=enroll_date, as_of=cutoff)
        outcomes = tuple(o for o, given in (("relapse", relapse), ("retention", retention)) if given)
        return ScannedCohort(relation=mapped, arms=arms, outcomes=outcomes, covariates=tuple(covariates),
                             as_of=cutoff, source="the Spark DataFrame", n=n, engine="spark")
    import duckdb

    connection = connection or duckdb.connect()
    raw, name = _relation(source, connection)
    needed = [arm, *(relapse or ()), *(retention or ()), *covariates,
              *(c for c in (site, participant_id, enroll_date, exposure_start) if c is not None)]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise InputError(f"file '{name}': column {missing[0]!r} is missing; the columns present are {raw.columns}")
    select = _canonical_select(arm, participant_id, site, enroll_date, relapse, retention, exposure_start)
    mapped = raw.query("raw", f"SELECT {', '.join([*select, *(quote(c) for c in covariates)])} FROM raw")
    arms, n = _validate(mapped, reference, name, relapse is not None, retention is not None)
    if exposure_start:
        _validate_exposure(mapped, arms, name)
    cutoff = None if as_of is None else parse_date(as_of, "as_of")
    if cutoff is not None:
        mapped = _as_of(mapped, cutoff, name, enroll_date, relapse is not None, retention is not None, arms)
    final = mapped
    if cutoff is not None:
        n = int(final.aggregate("count(*)").fetchall()[0][0])
    outcomes = tuple(o for o, given in (("relapse", relapse), ("retention", retention)) if given)
    return ScannedCohort(relation=final, arms=arms, outcomes=outcomes, covariates=tuple(covariates), as_of=cutoff,
                         source=name, n=n)


def _canonical_select(arm: str, participant_id: str | None, site: str | None, enroll_date: str | None,
                      relapse: tuple[str, str] | None, retention: tuple[str, str] | None,
                      exposure_start: str | None) -> list[str]:
    """The SELECT list that maps the source's columns onto the canonical ones."""
    select = [f"CAST({quote(arm)} AS VARCHAR) AS {s.ARM}",
              f"CAST({quote(participant_id)} AS VARCHAR) AS {s.PARTICIPANT_ID}" if participant_id else
              f"CAST(row_number() OVER () AS VARCHAR) AS {s.PARTICIPANT_ID}"]
    if site:
        select.append(f"CAST({quote(site)} AS VARCHAR) AS {s.SITE}")
    if enroll_date:
        select.append(f"CAST({quote(enroll_date)} AS DATE) AS {s.ENROLL_DATE}")
    if relapse:
        select += [f"TRY_CAST({quote(relapse[0])} AS DOUBLE) AS {s.RELAPSE_DAYS}",
                   f"TRY_CAST({quote(relapse[1])} AS DOUBLE) AS {s.RELAPSE_EVENT}"]
    if retention:
        reason = quote(retention[1])
        select += [f"TRY_CAST({quote(retention[0])} AS DOUBLE) AS {s.EXIT_DAYS}",
                   f"CASE WHEN TRY_CAST({reason} AS DOUBLE) IS NULL THEN CAST({reason} AS VARCHAR) "
                   f"WHEN TRY_CAST({reason} AS DOUBLE) = 1 THEN 'dropout' ELSE 'in_treatment' END AS {s.EXIT_REASON}"]
    if exposure_start:
        select.append(f"TRY_CAST({quote(exposure_start)} AS DOUBLE) AS {s.EXPOSURE_START}")
    return select


def _validate(mapped: Any, reference: Any, name: str, relapse: bool, retention: bool) -> tuple[tuple[str, str], int]:
    """The checks of Cohort, in the engine and in one pass (no row order kept: that would serialize the scan);
    when a check fails, a second query finds its first offending row. Returns the arms and the row count."""
    checks = [(f"{s.PARTICIPANT_ID} IS NULL OR {s.PARTICIPANT_ID} = ''", s.PARTICIPANT_ID,
               "the participant id is empty; every row needs an id"),
              (f"{s.ARM} IS NULL", s.ARM, "arm is missing; every participant belongs to an arm")]
    if s.SITE in mapped.columns:
        checks.append((f"{s.SITE} IS NULL", s.SITE, "site is missing; fill it in or drop the column"))
    for on, time, event in ((relapse, s.RELAPSE_DAYS, s.RELAPSE_EVENT), (retention, s.EXIT_DAYS, None)):
        if not on:
            continue
        checks += [(f"{time} IS NULL", time, "time is missing or not a number; every participant needs a "
                    "follow-up time in days"),
                   (f"NOT isfinite({time}) OR {time} < 0", time, "time is negative or infinite; times are days since "
                    "enrollment and must be >= 0")]
        if event:
            checks.append((f"{event} IS NULL OR {event} NOT IN (0, 1)", event,
                           "value is not 0 or 1 (expected 1 = relapse, 0 = censored); recode the column to 0/1"))
    if retention:
        checks.append((f"{s.EXIT_REASON} NOT IN ('dropout', 'completed', 'transferred', 'in_treatment')",
                       s.EXIT_REASON, "value is not one of dropout, completed, transferred, in_treatment"))
    failing = ", ".join(f"count_if({condition})" for condition, _, _ in checks)
    found = mapped.query("v", f"""SELECT {failing}, count(*) - count(DISTINCT {s.PARTICIPANT_ID}),
                                  list(DISTINCT {s.ARM}), count(*) FROM v""").fetchall()[0]
    numbered = mapped.query("v", "SELECT row_number() OVER () AS _row, * FROM v")
    for (condition, column, problem), count in zip(checks, found):
        if count:
            row = numbered.query("w", f"SELECT min(_row) FROM w WHERE {condition}").fetchall()[0][0]
            raise InputError(f"{where(column, int(row), name)}: {problem}")
    if found[len(checks)]:
        repeat = numbered.query("v", f"""SELECT min(_row) FROM (SELECT _row, row_number() OVER (PARTITION BY
            {s.PARTICIPANT_ID} ORDER BY _row) AS j FROM v) WHERE j > 1""").fetchall()[0][0]
        raise InputError(f"{where(s.PARTICIPANT_ID, int(repeat), name)}: this participant id repeats an earlier "
                         "row; ids must be unique (one row per participant): remove or merge the duplicate")
    labels = [label for label in found[len(checks) + 1] if label is not None]
    return two_arms(labels, reference, name), int(found[-1])


def _validate_exposure(mapped: Any, arms: tuple[str, str], name: str) -> None:
    """The checks of :func:`outcomes.model.exposure.check_exposure_start`, in the engine."""
    start, arm = s.EXPOSURE_START, s.ARM
    ends = [c for c in (s.RELAPSE_DAYS, s.EXIT_DAYS) if c in mapped.columns]
    last = f"greatest({', '.join(ends)})"
    checks = [(f"{start} < 0", "is before enrollment (day 0); correct the date of the first peer contact"),
              (f"{start} > {last}", "is after the participant's last contact; correct the date"),
              (f"{start} IS NOT NULL AND {arm} = '{arms[0]}'", f"is given, but the arm is {arms[0]!r}: the arm "
               "records who was ever exposed"),
              (f"{start} IS NULL AND {arm} = '{arms[1]}'", f"is blank with the arm {arms[1]!r} (ever exposed): give "
               "the day peer support started")]
    numbered = mapped.query("v", "SELECT row_number() OVER () AS _row, * FROM v")
    for condition, problem in checks:
        row = numbered.query("w", f"SELECT min(_row) FROM w WHERE {condition}").fetchall()[0][0]
        if row is not None:
            raise InputError(f"{where(start, int(row), name)}: exposure start {problem}")


def _as_of(mapped: Any, cutoff: dt.date, name: str, enroll_date: str | None, relapse: bool, retention: bool,
           arms: tuple[str, str] = ("", "")) -> Any:
    """What was known on ``cutoff``, by the rule of :func:`outcomes.model.asof.censor_event` and ``censor_exit``."""
    if enroll_date is None:
        raise InputError("as_of needs the enrollment date column: pass enroll_date=...")
    day = f"DATE '{cutoff.isoformat()}'"
    horizon = f"CAST(date_diff('day', {s.ENROLL_DATE}, {day}) AS DOUBLE)"
    replace = as_of_columns(horizon, relapse, retention, s.EXPOSURE_START in mapped.columns, arms[0])
    rest = f"REPLACE ({', '.join(replace)})" if replace else ""
    return mapped.query("m", f"SELECT * {rest} FROM m WHERE {s.ENROLL_DATE} <= {day}")


def as_of_columns(horizon: str, relapse: bool, retention: bool, exposure: bool, reference: str) -> list[str]:
    """The as-of rule in SQL: the canonical columns as known ``horizon`` days after enrollment (an expression),
    for a ``SELECT * REPLACE (...)``; one rule for an as-of view and for every quarter's counts at once."""
    replace = []
    if relapse:
        seen = f"({s.RELAPSE_EVENT} = 1 AND {s.RELAPSE_DAYS} <= {horizon})"
        replace += [f"CASE WHEN {seen} THEN {s.RELAPSE_DAYS} ELSE least({s.RELAPSE_DAYS}, {horizon}) END "
                    f"AS {s.RELAPSE_DAYS}", f"CASE WHEN {seen} THEN 1 ELSE 0 END AS {s.RELAPSE_EVENT}"]
    if retention:
        ended = f"({s.EXIT_DAYS} <= {horizon})"
        replace += [f"CASE WHEN {ended} THEN {s.EXIT_DAYS} ELSE {horizon} END AS {s.EXIT_DAYS}",
                    f"CASE WHEN {ended} THEN {s.EXIT_REASON} ELSE 'in_treatment' END AS {s.EXIT_REASON}"]
    if exposure:  # a start after the date is not known then: not (yet) exposed
        later = f"({s.EXPOSURE_START} > {horizon})"
        replace += [f"CASE WHEN {later} THEN NULL ELSE {s.EXPOSURE_START} END AS {s.EXPOSURE_START}",
                    f"CASE WHEN {later} THEN '{reference}' ELSE {s.ARM} END AS {s.ARM}"]
    return replace


def _sql_text(value: Any) -> str:
    """A SQL text literal."""
    return "'" + str(value).replace("'", "''") + "'"

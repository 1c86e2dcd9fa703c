"""Scanning a Spark DataFrame (the ``outcomes[spark]`` extra): the same mapping, checks and counts as DuckDB.

Spark rows have no order, so a problem is located by the first offending participant id
(in id order) instead of a row number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..core.errors import InputError
from ..model import schema as s
from ..model.validation import two_arms, where

__all__ = ["group_counts", "map_and_validate"]

_REASONS = ("dropout", "completed", "transferred", "in_treatment")


def _mapped(df: Any, arm: str, relapse, retention, covariates, site, participant_id, enroll_date) -> Any:
    from pyspark.sql import functions as F

    cols = [F.col(arm).cast("string").alias(s.ARM),
            (F.col(participant_id).cast("string") if participant_id else
             F.monotonically_increasing_id().cast("string")).alias(s.PARTICIPANT_ID)]
    if site:
        cols.append(F.col(site).cast("string").alias(s.SITE))
    if enroll_date:
        cols.append(F.col(enroll_date).cast("date").alias(s.ENROLL_DATE))
    if relapse:
        cols += [F.col(relapse[0]).try_cast("double").alias(s.RELAPSE_DAYS),
                 F.col(relapse[1]).try_cast("double").alias(s.RELAPSE_EVENT)]
    if retention:
        reason = F.col(retention[1])
        numeric = reason.try_cast("double")
        cols += [F.col(retention[0]).try_cast("double").alias(s.EXIT_DAYS),
                 F.when(numeric.isNull(), reason.cast("string")).when(numeric == 1, F.lit("dropout"))
                 .otherwise(F.lit("in_treatment")).alias(s.EXIT_REASON)]
    cols += [F.col(c) for c in covariates]
    return df.select(*cols)


def _checks(relapse: bool, retention: bool) -> list[tuple[Any, str, str]]:
    from pyspark.sql import functions as F

    pid, arm = F.col(s.PARTICIPANT_ID), F.col(s.ARM)
    checks = [(pid.isNull() | (pid == ""), s.PARTICIPANT_ID, "the participant id is empty; every row needs an id"),
              (arm.isNull(), s.ARM, "arm is missing; every participant belongs to an arm")]
    for on, time in ((relapse, s.RELAPSE_DAYS), (retention, s.EXIT_DAYS)):
        if on:
            t = F.col(time)
            checks += [(t.isNull(), time, "time is missing or not a number; every participant needs a follow-up "
                        "time in days"),
                       (F.isnan(t) | (t < 0) | (t == float("inf")), time, "time is negative or infinite; times are "
                        "days since enrollment and must be >= 0")]
    if relapse:
        e = F.col(s.RELAPSE_EVENT)
        checks.append((e.isNull() | ~e.isin(0.0, 1.0), s.RELAPSE_EVENT,
                       "value is not 0 or 1 (expected 1 = relapse, 0 = censored); recode the column to 0/1"))
    if retention:
        checks.append((~F.col(s.EXIT_REASON).isin(*_REASONS), s.EXIT_REASON,
                       "value is not one of dropout, completed, transferred, in_treatment"))
    return checks


def _validate(mapped: Any, reference: Any, name: str, relapse: bool, retention: bool) -> tuple[str, str]:
    """Every check in one Spark job; a problem names the first offending participant id (in id order)."""
    from pyspark.sql import functions as F

    checks = _checks(relapse, retention)
    found = mapped.agg(*[F.min(F.when(cond, F.coalesce(F.col(s.PARTICIPANT_ID), F.lit("(empty)"))))
                         for cond, _, _ in checks],
                       (F.count(F.lit(1)) - F.countDistinct(s.PARTICIPANT_ID)).alias("repeats"),
                       F.collect_set(s.ARM).alias("arms"), F.count(F.lit(1)).alias("n")).collect()[0]
    for (_, column, problem), pid in zip(checks, found):
        if pid is not None:
            raise InputError(f"{where(column, None, name)}: {problem} (first at participant id {pid!r})")
    if found["repeats"]:
        pid = mapped.groupBy(s.PARTICIPANT_ID).count().where("count > 1").agg(F.min(s.PARTICIPANT_ID)).collect()[0][0]
        raise InputError(f"{where(s.PARTICIPANT_ID, None, name)}: participant id {pid!r} appears more than once; ids "
                         "must be unique (one row per participant): remove or merge the duplicate")
    return two_arms(list(found["arms"]), reference, name)


def _as_of(mapped: Any, cutoff: dt.date, relapse: bool, retention: bool) -> Any:
    """What was known on ``cutoff``: the rule of :func:`outcomes.model.asof.censor_event` and ``censor_exit``."""
    from pyspark.sql import functions as F

    horizon = F.datediff(F.lit(cutoff), F.col(s.ENROLL_DATE)).cast("double")
    out = mapped.where(F.col(s.ENROLL_DATE) <= F.lit(cutoff))
    if relapse:
        seen = (F.col(s.RELAPSE_EVENT) == 1) & (F.col(s.RELAPSE_DAYS) <= horizon)
        out = out.withColumn(s.RELAPSE_DAYS, F.when(seen, F.col(s.RELAPSE_DAYS))
                             .otherwise(F.least(F.col(s.RELAPSE_DAYS), horizon)))
        out = out.withColumn(s.RELAPSE_EVENT, F.when(seen, F.lit(1.0)).otherwise(F.lit(0.0)))
    if retention:
        ended = F.col(s.EXIT_DAYS) <= horizon
        out = out.withColumn(s.EXIT_REASON, F.when(ended, F.col(s.EXIT_REASON)).otherwise(F.lit("in_treatment")))
        out = out.withColumn(s.EXIT_DAYS, F.when(ended, F.col(s.EXIT_DAYS)).otherwise(horizon))
    return out


def map_and_validate(df: Any, *, arm: str, reference: Any, relapse, retention, covariates: tuple[str, ...],
                     site: str | None, participant_id: str | None, enroll_date: str | None,
                     as_of: dt.date | None) -> tuple[Any, tuple[str, str], int]:
    """:func:`outcomes.scan` for a Spark DataFrame: the canonical DataFrame, the arms and the number of rows."""
    name = "the Spark DataFrame"
    needed = [arm, *(relapse or ()), *(retention or ()), *covariates,
              *(c for c in (site, participant_id, enroll_date) if c is not None)]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise InputError(f"{name}: column {missing[0]!r} is missing; the columns present are {df.columns}")
    mapped = _mapped(df, arm, relapse, retention, covariates, site, participant_id, enroll_date)
    arms = _validate(mapped, reference, name, relapse is not None, retention is not None)
    if as_of is not None:
        if enroll_date is None:
            raise InputError("as_of needs the enrollment date column: pass enroll_date=...")
        mapped = _as_of(mapped, as_of, relapse is not None, retention is not None)
    return mapped, arms, int(mapped.count())


def group_counts(df: Any, time: str, event: tuple[str, Any], keys: list[str]) -> pd.DataFrame:
    """Participants removed and events per (day, arm, keys...), counted by Spark."""
    from pyspark.sql import functions as F

    column, value = event
    hit = F.when(F.col(column) == F.lit(value), 1).otherwise(0)
    grouped = (df.groupBy(F.col(time).cast("double").alias("time"), F.col(s.ARM), *[F.col(k) for k in keys])
               .agg(F.count(F.lit(1)).alias("removed"), F.sum(hit).cast("long").alias("events")))
    frame = grouped.toPandas()
    return frame.sort_values(["time", s.ARM, *keys], ignore_index=True)

"""Relapse and retention from long records: weekly urine drug screens and attended visits.

Rules (days are counted from enrollment or randomization):

``"consecutive"`` (the X:BOT trial's definition; Lee et al., *Lancet* 2018;391:309-18)
    Week ``k`` covers days ``7k + week_window[0]`` to ``7k + week_window[1]``. A week
    is *positive* if any screen in it is positive, *negative* if it has screens and
    none is positive, *missing* if it has none. Relapse happens at day ``7k`` for the
    first week ``k`` that starts ``run_length`` consecutive weeks that are all positive
    (or missing, when ``missing_is_positive``), the whole run lying within weeks
    ``first_week`` to ``last_week``. Otherwise the participant is censored at day 7 x
    the last week with a screen (0 if none).
``"first_positive"``
    Relapse on the day of the first positive screen on or after week ``first_week``
    (days >= ``7 * first_week + week_window[0]``); otherwise censored as above.

An id listed in ``participants`` with no screens at all counts as all-missing.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ...core.errors import InputError
from ...model.validation import check_binary, check_nonnegative_times, require_columns

__all__ = ["derive_relapse", "derive_retention"]


def _week_index(day: np.ndarray, window: tuple[int, int]) -> np.ndarray:
    """The week ``k`` whose window holds each day, or -1 when the day falls in no window."""
    lo, hi = window
    if not (lo <= 0 <= hi and hi - lo <= 6):
        raise InputError(f"week_window {window} must contain 0 and span at most 7 days (e.g. (-3, 3))")
    k = np.floor((day - lo) / 7).astype(np.int64)
    offset = day - 7 * k
    return np.where((offset >= lo) & (offset <= hi), k, -1)


def _ids_and_rows(records: pd.DataFrame, participants: Iterable | None, what: str):
    require_columns(records, ["participant_id", "day"], what=what)
    ids = records["participant_id"].astype(str).to_numpy()
    day = check_nonnegative_times(records["day"], "day")
    universe = pd.unique(ids) if participants is None else pd.unique(np.asarray(list(participants), dtype=str))
    unknown = ~pd.Index(universe).get_indexer(ids).__ge__(0)
    if participants is not None and unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise InputError(f"column 'participant_id' row {i + 1}: id {ids[i]!r} is not among the participants given")
    return universe, pd.Index(universe).get_indexer(ids), day


def derive_relapse(screens: pd.DataFrame, *, participants: Iterable | None = None, rule: str = "consecutive",
                   first_week: int = 3, last_week: int = 24, run_length: int = 4, missing_is_positive: bool = True,
                   week_window: tuple[int, int] = (-3, 3), recurrent: bool = False,
                   recovery_weeks: int = 2) -> pd.DataFrame:
    """Time to relapse from weekly drug screens: ``participant_id, relapse_days, relapse_event``; with
    ``recurrent=True``, every episode: ``participant_id, day, episode``.

    Parameters
    ----------
    screens : DataFrame
        ``participant_id``, ``day`` (since enrollment), ``positive`` (0/1).
    participants : iterable, optional
        Every id to return (ids without screens count as all-missing); default: ids in ``screens``.
    rule : {"consecutive", "first_positive"}
    recurrent, recovery_weeks
        Every episode: one starts when the rule fires (as for the first); the next can start only after
        ``recovery_weeks`` consecutive weeks with a negative screen (a week without a screen is not negative:
        it interrupts a recovery, and counts toward a relapse run only when ``missing_is_positive``). The
        rule's parameters are in the result's ``attrs["provenance"]``.

    Examples
    --------
    >>> screens = pd.DataFrame({"participant_id": ["a"] * 6, "day": [21, 28, 35, 42, 49, 56],
    ...                         "positive": [0, 1, 1, 1, 1, 0]})
    >>> derive_relapse(screens).to_dict("records")
    [{'participant_id': 'a', 'relapse_days': 28.0, 'relapse_event': 1}]
    """
    if rule not in ("consecutive", "first_positive"):
        raise InputError(f"rule must be 'consecutive' or 'first_positive', not {rule!r}")
    if not (0 <= first_week <= last_week) or run_length < 1 or recovery_weeks < 1:
        raise InputError("need 0 <= first_week <= last_week, run_length >= 1 and recovery_weeks >= 1")
    require_columns(screens, ["positive"], what="screen")
    positive = check_binary(screens["positive"], "positive", meaning="1 = positive screen, 0 = negative")
    universe, who, day = _ids_and_rows(screens, participants, "screen")
    week = _week_index(day, week_window)
    n_ids, n_weeks = len(universe), max(last_week, int(week.max()) if len(week) else 0) + 1
    in_grid = week >= 0
    cell = who[in_grid] * n_weeks + week[in_grid]
    screened = np.bincount(cell, minlength=n_ids * n_weeks).reshape(n_ids, n_weeks) > 0
    pos = np.bincount(cell, weights=positive[in_grid], minlength=n_ids * n_weeks).reshape(n_ids, n_weeks) > 0
    last_screened = np.where(screened.any(axis=1), n_weeks - 1 - np.argmax(screened[:, ::-1], axis=1), 0)
    censor_day = 7.0 * np.where(screened.any(axis=1), last_screened, 0)

    if recurrent:
        parameters = dict(rule=rule, first_week=first_week, last_week=last_week, run_length=run_length,
                          recovery_weeks=recovery_weeks, missing_is_positive=missing_is_positive,
                          week_window=list(week_window))
        return _episodes(universe, pos, screened, parameters)
    if rule == "first_positive":
        earliest = 7 * first_week + week_window[0]
        days = np.full(n_ids, np.inf)
        eligible = (positive == 1) & (day >= earliest)
        np.minimum.at(days, who[eligible], day[eligible])
        event = np.isfinite(days)
    else:
        bad = pos | (~screened if missing_is_positive else np.zeros_like(screened))
        event, start = _first_run(bad[:, first_week:last_week + 1].astype(np.int64), run_length)
        days = 7.0 * (first_week + start)
    return pd.DataFrame({"participant_id": universe, "relapse_days": np.where(event, days, censor_day),
                         "relapse_event": event.astype(int)})


def _episodes(universe: np.ndarray, pos: np.ndarray, screened: np.ndarray, rule_parameters: dict) -> pd.DataFrame:
    """Every episode of each participant, week by week: a relapse run starts one (at day 7 x its first week;
    the first_positive rule is a run of one positive week), then ``recovery_weeks`` negative weeks in a row
    end it."""
    p = rule_parameters
    consecutive = p["rule"] == "consecutive"
    bad = pos | (~screened if p["missing_is_positive"] and consecutive else np.zeros_like(screened))
    negative = screened & ~pos
    rule, run_length = p["rule"], p["run_length"] if consecutive else 1
    first_week, last_week, recovery_weeks = p["first_week"], p["last_week"], p["recovery_weeks"]
    rows = []
    for i, pid in enumerate(universe):
        episode, week, weeks = 0, first_week, min(last_week, bad.shape[1] - 1)
        while week <= weeks:
            if week + run_length - 1 <= weeks and bad[i, week:week + run_length].all():
                episode += 1
                rows.append((str(pid), 7.0 * week, episode))
                week = _recovered(negative[i], week + run_length, weeks, recovery_weeks)
            else:
                week += 1
    out = pd.DataFrame(rows, columns=["participant_id", "day", "episode"])
    out.attrs["provenance"] = {"derived from": "weekly screens", **rule_parameters,
                               "rule words": f"an episode starts with {run_length} bad week(s) in a row ({rule}); "
                                             f"the next needs {recovery_weeks} negative weeks in a row first"}
    return out


def _recovered(negative: np.ndarray, week: int, last: int, recovery_weeks: int) -> int:
    """The first week after ``recovery_weeks`` consecutive negative weeks from ``week`` on (past ``last``:
    never recovered)."""
    run = 0
    while week <= last:
        run = run + 1 if negative[week] else 0
        week += 1
        if run == recovery_weeks:
            return week
    return last + 1


def _first_run(weeks: np.ndarray, run_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Per participant (row): whether ``run_length`` consecutive bad weeks occur, and the week the first starts."""
    n_ids, span = weeks.shape
    if span < run_length:
        return np.zeros(n_ids, dtype=bool), np.zeros(n_ids, dtype=np.int64)
    csum = np.concatenate([np.zeros((n_ids, 1), dtype=np.int64), np.cumsum(weeks, axis=1)], axis=1)
    runs = (csum[:, run_length:] - csum[:, :-run_length]) == run_length  # a run starting at each week
    return runs.any(axis=1), np.argmax(runs, axis=1)


def derive_retention(
    visits: pd.DataFrame,
    *,
    participants: Iterable | None = None,
    run_length: int = 4,
    last_week: int | None = None,
    week_window: tuple[int, int] = (-3, 3),
) -> pd.DataFrame:
    """Time in treatment from attended visits: ``participant_id, exit_days, exit_reason``.

    A participant drops out at the last attended week before ``run_length`` consecutive
    weeks with no visit (exit_days = 7 x that week, ``dropout``); without such a gap up
    to ``last_week`` (default: the last week with any visit in the data) they are still
    in treatment (``in_treatment``, censored at 7 x their last attended week).

    Examples
    --------
    >>> visits = pd.DataFrame({"participant_id": ["a"] * 3, "day": [0, 7, 14]})
    >>> derive_retention(visits, last_week=10).to_dict("records")
    [{'participant_id': 'a', 'exit_days': 14.0, 'exit_reason': 'dropout'}]
    """
    if run_length < 1:
        raise InputError("run_length must be at least 1")
    universe, who, day = _ids_and_rows(visits, participants, "visit")
    week = _week_index(day, week_window)
    top = int(week.max()) if len(week) else 0
    last_week = top if last_week is None else last_week
    n_ids, n_weeks = len(universe), max(last_week, top) + 1
    ok = week >= 0
    attended = np.bincount(who[ok] * n_weeks + week[ok], minlength=n_ids * n_weeks).reshape(n_ids, n_weeks) > 0
    attended = attended[:, : last_week + 1]
    missed = (~attended).astype(np.int64)
    csum = np.concatenate([np.zeros((n_ids, 1), dtype=np.int64), np.cumsum(missed, axis=1)], axis=1)
    span = attended.shape[1]
    dropped = np.zeros(n_ids, dtype=bool)
    exit_week = np.zeros(n_ids, dtype=np.int64)
    if span >= run_length:
        gaps = (csum[:, run_length:] - csum[:, :-run_length]) == run_length  # gap starting at each week
        # a gap only counts after a first attended week
        first_attended = np.where(attended.any(axis=1), np.argmax(attended, axis=1), span)
        starts = np.arange(gaps.shape[1])
        gaps &= starts[None, :] > first_attended[:, None]
        dropped = gaps.any(axis=1)
        exit_week = np.where(dropped, np.argmax(gaps, axis=1) - 1, 0)
    last_attended = np.where(attended.any(axis=1), span - 1 - np.argmax(attended[:, ::-1], axis=1), 0)
    exit_week = np.where(dropped, exit_week, last_attended)
    return pd.DataFrame({"participant_id": universe, "exit_days": 7.0 * exit_week,
                         "exit_reason": np.where(dropped, "dropout", "in_treatment")})

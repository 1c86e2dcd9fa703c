"""Episodes: (start, stop] rows per participant, built from one row per person and long tables of events.

A participant's follow-up ``(0, end]`` is cut wherever something changes: a covariate that switches on
(peer support starts on day 23) or an event (a relapse on day 40, another on day 95). Each piece is a row
``(start, stop]`` carrying the covariates in force during it and whether it ends in an event. This is the
shape exposures that start after enrollment and repeated relapses need, and it is how R's
``survival::tmerge`` builds it, tie rules included:

- a change dated ``t`` applies to the interval that starts at ``t`` (a participant is at risk at ``t`` with
  the value they had before); a change at or before day 0 applies from the start; a change at or after
  the end of follow-up never applies (counted in ``ignored``);
- an event at ``t`` inside ``(0, end)`` ends an interval at ``t``; an event at ``end`` marks the last
  interval; an event outside ``(0, end]`` is counted in ``ignored`` and left out;
- the episode number of a row is one plus the events before it (R's ``cumtdc(tstart)`` when only events
  cut the follow-up), the stratum of Prentice-Williams-Peterson models.

:meth:`Episodes.response` hands the rows to every kernel as a :class:`~outcomes.stats.response.SurvivalResponse`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import InputError
from ..stats.response import SurvivalResponse
from .validation import shown_value
from ..core.formatting import plain

__all__ = ["Episodes", "build_episodes"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Episodes:
    """(start, stop] rows per participant and what was left out building them.

    Attributes
    ----------
    df : DataFrame
        The participant id, the carried columns, ``start``, ``stop``, each event column, each change column
        and (if asked) the episode number, sorted by participant (in the people table's order) and start.
    id_column, start, stop : str
        Column names.
    event_columns, change_columns : tuple of str
    ignored : DataFrame
        ``what, rows``: changes after the end of follow-up, events outside it.
    """

    df: pd.DataFrame
    id_column: str
    start: str
    stop: str
    event_columns: tuple[str, ...]
    change_columns: tuple[str, ...]
    ignored: pd.DataFrame

    def __len__(self) -> int:
        return len(self.df)

    def response(self, event: str | None = None, strata: str | None = None) -> SurvivalResponse:
        """The rows as a survival response for ``event`` (default: the only event column)."""
        if event is None:
            if len(self.event_columns) != 1:
                raise InputError(f"these episodes have event columns {list(self.event_columns)}: name one")
            event = self.event_columns[0]
        if event not in self.event_columns:
            raise InputError(f"{event!r} is not an event column of these episodes ({list(self.event_columns)})")
        df = self.df
        return SurvivalResponse(df[self.stop].to_numpy(float), df[event].to_numpy(float),
                                entry=df[self.start].to_numpy(float), participant=df[self.id_column].to_numpy(),
                                strata=None if strata is None else df[strata].to_numpy())


def build_episodes(people: pd.DataFrame, *, id: str, end: str, end_event: str | None = None,
                   changes: Mapping[str, str] | None = None, events: pd.DataFrame | None = None,
                   event_time: str = "day", event_name: str = "event", episode: str | None = None,
                   carry: Sequence[str] | None = None, start: str = "tstart", stop: str = "tstop",
                   counts: Mapping[str, pd.DataFrame] | None = None) -> Episodes:
    """Cut each participant's follow-up into (start, stop] rows, as R's ``tmerge``.

    Parameters
    ----------
    people, id, end : DataFrame, str, str
        One row per participant; its id column; the column with the end of follow-up (days > 0).
    end_event : str, optional
        A 0/1 column: the event at the end of follow-up (R's ``event(futime, death)``), and its name.
    changes : dict, optional
        ``{new column: column of people}``: the day a 0/1 covariate switches on (blank = never; R's ``tdc``).
    events, event_time, event_name : DataFrame, str, str
        Long table, one row per event (``id`` and ``event_time`` columns), and the result's event column
        (R's ``event(day)``).
    episode : str, optional
        Name of a column numbering each participant's episodes (1 + events before the row).
    counts : dict, optional
        ``{new column: long table}`` (``id`` and ``event_time`` columns, e.g. peer contacts): the number of its
        rows on or before each interval's start (R's ``cumtdc``); each day inside follow-up cuts it.
    carry, start, stop
        Columns of ``people`` copied to each row (default: all not named above); the interval columns' names.

    Raises
    ------
    InputError
        Missing columns, a repeated participant, an end of follow-up not > 0, a change before day 0, an event
        of an unknown participant, a blank or repeated event day; the message names the row.

    Examples
    --------
    Peer support starts on day 23 for the first participant, never for the second:
    >>> people = pd.DataFrame({"pid": ["a", "b"], "futime": [100.0, 50.0], "relapse": [1, 0],
    ...                        "peer_day": [23.0, None]})
    >>> ep = build_episodes(people, id="pid", end="futime", end_event="relapse", changes={"peer": "peer_day"})
    >>> ep.df[["pid", "tstart", "tstop", "relapse", "peer"]].values.tolist()
    [['a', 0.0, 23.0, 0, 0], ['a', 23.0, 100.0, 1, 1], ['b', 0.0, 50.0, 0, 0]]
    """
    changes = dict(changes or {})
    follow_up = _checked_people(people, id, end, end_event, changes)
    event_pos, event_day, ignored = _events_inside(events, people[id], event_time, id, follow_up)
    switch = {name: pd.to_numeric(people[col], errors="coerce").to_numpy(float) for name, col in changes.items()}
    ignored.update({f"{name}: change at or after the end of follow-up": int((days >= follow_up).sum())
                    for name, days in switch.items()})
    tallies = {name: _tally_days(table, people[id], event_time, id) for name, table in (counts or {}).items()}
    pos, lo, hi = _intervals(follow_up, *_cuts(follow_up, event_pos, event_day, tallies.values()), switch)
    used = {id, end, *(changes.values()), *([end_event] if end_event else [])}
    df = people[[id, *([c for c in people.columns if c not in used] if carry is None else carry)]].iloc[pos]
    df = df.reset_index(drop=True).assign(**{start: lo, stop: hi})
    end_flag = None if end_event is None else pd.to_numeric(people[end_event], errors="coerce").fillna(0).to_numpy()
    names = _add_events(df, pos, hi, follow_up, end_event, end_flag, event_name if events is not None else None,
                        event_pos, event_day, episode)
    df = df.assign(**{name: (days[pos] <= lo).astype(np.int64) for name, days in switch.items()},  # NaN: never
                   **{name: _count_by(pos, lo, *tally) for name, tally in tallies.items()})
    return Episodes(df=df, id_column=id, start=start, stop=stop, event_columns=names, change_columns=tuple(switch),
                    ignored=pd.DataFrame(list(ignored.items()), columns=["what", "rows"]))


def _events_inside(events: pd.DataFrame | None, ids: pd.Series, event_time: str, id: str,
                   follow_up: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Each event's participant and day, those outside (0, end of follow-up] left out and counted."""
    if events is None:
        return np.zeros(0, np.int64), np.zeros(0), {"events outside follow-up": 0}
    event_pos, event_day = _checked_events(events, ids, event_time, id)
    inside = (event_day > 0) & (event_day <= follow_up[event_pos])
    return event_pos[inside], event_day[inside], {"events outside follow-up": int((~inside).sum())}


def _checked_people(people: pd.DataFrame, id: str, end: str, end_event: str | None,
                    changes: Mapping[str, str]) -> np.ndarray:
    """The end of follow-up of each participant, after checking the columns the cuts need."""
    if not isinstance(people, pd.DataFrame):
        raise InputError(f"people must be a DataFrame with one row per participant, not {type(people).__name__}")
    needed = [id, end, *changes.values(), *([end_event] if end_event else [])]
    missing = [c for c in needed if c not in people.columns]
    if missing:
        raise InputError(f"people has no column(s) {missing}; its columns: {list(people.columns)}")
    repeated = np.flatnonzero(people[id].duplicated().to_numpy())
    if repeated.size:
        raise InputError(f"people row {int(repeated[0])}: participant {people[id].iloc[repeated[0]]!r} appears "
                         "twice; give one row per participant")
    follow_up = pd.to_numeric(people[end], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(~(follow_up > 0) | ~np.isfinite(follow_up))
    if bad.size:
        raise InputError(f"people row {int(bad[0])}, column {end!r}: end of follow-up "
                         f"{shown_value(people[end].iloc[bad[0]])} is not a number of days > 0")
    for col in changes.values():
        days = pd.to_numeric(people[col], errors="coerce").to_numpy(float)
        early = np.flatnonzero(days < 0)
        if early.size:
            raise InputError(f"people row {int(early[0])}, column {col!r}: day {plain(days[early[0]])} is before "
                             "enrollment (day 0); correct the date or leave it blank")
    return follow_up


def _checked_events(events: pd.DataFrame, ids: pd.Series, event_time: str, id: str) -> tuple[np.ndarray, np.ndarray]:
    """Each event's participant (position in people) and day; unknown ids, missing and repeated days refused."""
    missing = [c for c in (id, event_time) if c not in events.columns]
    if missing:
        raise InputError(f"the events table has no column(s) {missing}; its columns: {list(events.columns)}")
    lookup = pd.Series(np.arange(len(ids)), index=ids.to_numpy())
    pos = events[id].map(lookup)
    unknown = np.flatnonzero(pos.isna().to_numpy())
    if unknown.size:
        raise InputError(f"events row {int(unknown[0])}: participant {events[id].iloc[unknown[0]]!r} is not in "
                         "the people table")
    day = pd.to_numeric(events[event_time], errors="coerce").to_numpy(float)
    blank = np.flatnonzero(~np.isfinite(day))
    if blank.size:
        raise InputError(f"events row {int(blank[0])}, column {event_time!r}: "
                         f"{shown_value(events[event_time].iloc[blank[0]])} is not a day")
    twice = np.flatnonzero(pd.DataFrame({"p": pos.to_numpy(), "d": day}).duplicated().to_numpy())
    if twice.size:
        raise InputError(f"events row {int(twice[0])}: participant {events[id].iloc[twice[0]]!r} has two events "
                         f"on day {plain(day[twice[0]])}; keep one")
    return pos.to_numpy(np.int64), day


def _intervals(follow_up: np.ndarray, event_pos: np.ndarray, event_day: np.ndarray,
               switch: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Participant position, start and stop of every interval: follow-up cut at inner events and changes."""
    n = len(follow_up)
    if event_pos.size == 0 and len(switch) <= 1:  # at most one cut each: no sort (a 1M-person exposure: 3x faster)
        return _one_cut(follow_up, next(iter(switch.values()), np.full(n, np.nan)))
    cut_pos = [np.arange(n), np.arange(n), event_pos]
    cut_day = [np.zeros(n), follow_up, event_day]
    for days in switch.values():
        inner = (days > 0) & (days < follow_up)
        cut_pos.append(np.flatnonzero(inner))
        cut_day.append(days[inner])
    p, d = np.concatenate(cut_pos), np.concatenate(cut_day)
    order = np.lexsort((d, p))  # by participant, then day (a numpy sort: 3x pandas' drop_duplicates + sort)
    p, d = p[order], d[order]
    distinct = np.r_[True, (p[1:] != p[:-1]) | (d[1:] != d[:-1])]
    p, d = p[distinct], d[distinct]
    same = p[1:] == p[:-1]
    return p[:-1][same].astype(np.int64), d[:-1][same], d[1:][same]


def _one_cut(follow_up: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each participant's (0, end], cut in two where ``days`` falls strictly inside it."""
    inner = (days > 0) & (days < follow_up)
    counts = 1 + inner.astype(np.int64)
    first = np.cumsum(counts) - counts
    lo, hi = np.zeros(int(counts.sum())), np.empty(int(counts.sum()))
    hi[first] = np.where(inner, days, follow_up)
    second = first[inner] + 1
    lo[second], hi[second] = days[inner], follow_up[inner]
    return np.repeat(np.arange(len(follow_up)), counts), lo, hi


def _add_events(df: pd.DataFrame, pos: np.ndarray, hi: np.ndarray, follow_up: np.ndarray, end_event: str | None,
                end_flag: np.ndarray | None, event_name: str | None, event_pos: np.ndarray, event_day: np.ndarray,
                episode: str | None) -> tuple[str, ...]:
    """The event columns (at the end of follow-up; from the events table) and the episode numbers, in place."""
    if end_event is not None and end_flag is not None:
        df[end_event] = ((hi == follow_up[pos]) & (end_flag[pos] == 1)).astype(np.int64)
    if event_name is not None:
        df[event_name] = _marks(pos, hi, event_pos, event_day)
    names = tuple(c for c in (end_event, event_name) if c is not None)
    if episode is not None:  # 1 + the events (of the events table, else of the end) before the row
        counted = df[names[-1]].to_numpy() if names else np.zeros(len(df), np.int64)
        df[episode] = 1 + pd.Series(counted).groupby(pos).cumsum().to_numpy() - counted
    return names


def _cuts(follow_up: np.ndarray, event_pos: np.ndarray, event_day: np.ndarray,
          tallies: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Where follow-up is cut besides the changes: the events, and counted days strictly inside follow-up."""
    pos, day = [event_pos], [event_day]
    for p, d in tallies:
        inside = (d > 0) & (d < follow_up[p])
        pos.append(p[inside])
        day.append(d[inside])
    return np.concatenate(pos).astype(np.int64), np.concatenate(day).astype(float)


def _tally_days(table: pd.DataFrame, ids: pd.Series, event_time: str, id: str) -> tuple[np.ndarray, np.ndarray]:
    """Participant position and day of each counted row (two on one day count twice); unknown ids refused."""
    missing = [c for c in (id, event_time) if c not in table.columns]
    if missing:
        raise InputError(f"the counted table has no column(s) {missing}; its columns: {list(table.columns)}")
    pos = table[id].map(pd.Series(np.arange(len(ids)), index=ids.to_numpy()))
    day = pd.to_numeric(table[event_time], errors="coerce").to_numpy(float)
    bad = np.flatnonzero(pos.isna().to_numpy() | ~(day >= 0))
    if bad.size:
        raise InputError(f"counted table row {int(bad[0])}: participant {shown_value(table[id].iloc[bad[0]])} on day "
                         f"{shown_value(table[event_time].iloc[bad[0]])}: the participant must be in the people "
                         "table and the day a number of days since enrollment (>= 0)")
    return pos.to_numpy(np.int64), day


def _count_by(pos: np.ndarray, lo: np.ndarray, t_pos: np.ndarray, t_day: np.ndarray) -> np.ndarray:
    """For each interval, its participant's counted days on or before the interval's start (one sorted key:
    participant * span + day, so one search answers every interval)."""
    span = float(max(t_day.max(initial=0.0), lo.max(initial=0.0))) + 2.0
    keys = np.sort(t_pos * span + t_day)
    base = pos * span
    return (np.searchsorted(keys, base + lo, side="right") - np.searchsorted(keys, base, side="left")).astype(np.int64)


def _marks(pos: np.ndarray, stop: np.ndarray, event_pos: np.ndarray, event_day: np.ndarray) -> np.ndarray:
    """1 where an interval ends on one of its participant's event days."""
    rows = pd.MultiIndex.from_arrays([pos, stop])
    marked = pd.MultiIndex.from_arrays([event_pos, event_day])
    return rows.isin(marked).astype(np.int64)

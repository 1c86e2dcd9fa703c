"""Synthetic GPRA/SUPRT follow-up interviews, consistent with each participant's relapse and retention.

Drawn after the cohort (so a cohort without them is unchanged, byte for byte), with their own generator:

- **who is interviewed**: a baseline within the 30 days after intake for 95%; a reassessment (days 150-210) and
  annual ones (335-395, ...) for those still in care after the window, and a closeout within 30 days of the end
  of care, each held with the arm's reach (``interview_reach_clinical`` / ``_peer``), half as often after a
  dropout (people who leave are harder to find), and only once held by the cohort's as-of date;
- **what they say**: at baseline most report recent use; at a follow-up, someone who had relapsed by the day of
  the interview reports days of use, someone who had not reports none; arrests, employment or school, stable
  housing and social support start from the person's own covariates (unstable housing at intake is not stable
  housing) and improve between interviews with a chance that is higher in the peer arm.

``truth["interview_truth"]`` holds what every due reassessment and closeout would have shown had all been held:
per arm, the share abstinent and the share stably housed among those due with a baseline.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..model import schema as s

__all__ = ["draw_interviews"]

#: chance an item improves (0 -> 1) between intake and a follow-up: (clinical, peer)
IMPROVES = {"employed_or_school": (0.10, 0.15), "housing_stable": (0.20, 0.30), "social_support": (0.25, 0.40)}


def draw_interviews(df: pd.DataFrame, as_of: dt.date | str, reach: tuple[float, float],
                    rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, float]]:
    """Interview rows (``participant_id, point, day`` and the items) and the reassessment truth, for a synthetic
    cohort's rows ``df`` (see the module notes)."""
    n = len(df)
    today = (pd.Timestamp(as_of) - pd.to_datetime(df[s.ENROLL_DATE])).dt.days.to_numpy(float)
    peer = (df[s.ARM].astype(str) == s.PEER_CLINICAL).to_numpy()
    relapse = np.where(df[s.RELAPSE_EVENT].to_numpy() == 1, df[s.RELAPSE_DAYS].to_numpy(float), np.inf)
    left = df[s.EXIT_REASON].astype(str).to_numpy() != "in_treatment"
    ended = np.where(left, df[s.EXIT_DAYS].to_numpy(float), np.inf)
    dropout = df[s.EXIT_REASON].astype(str).to_numpy() == "dropout"
    intake = _intake_items(df, rng)
    chance = np.where(peer, reach[1], reach[0]) * np.where(dropout, 0.5, 1.0)
    rows = []
    base_day = rng.integers(0, 31, n).astype(float)
    has_base = (rng.random(n) < 0.95) & (base_day <= today)
    rows.append(_rows(df, has_base, "baseline", base_day, intake))
    windows = [("reassessment", 150.0, 210.0), ("annual", 335.0, 395.0), ("annual", 700.0, 760.0)]
    truth_rows: tuple[np.ndarray, dict[str, np.ndarray], np.ndarray] = (np.zeros(n, dtype=bool), {}, peer)
    for point, opens, closes in windows:
        day = opens + rng.integers(0, int(closes - opens) + 1, n)
        owed = ended > closes  # still in care after the window
        items = _follow_up_items(intake, day, relapse, peer, rng)
        if point == "reassessment":
            truth_rows = (owed & has_base & (today > closes), items, peer)
        rows.append(_rows(df, owed & (rng.random(n) < chance) & (day <= today), point, day, items))
    day = ended + rng.integers(0, 31, n)
    close_items = _follow_up_items(intake, day, relapse, peer, rng)
    rows.append(_rows(df, np.isfinite(ended) & (rng.random(n) < chance) & (day <= today), "closeout", day,
                      close_items))
    closing = (np.isfinite(ended) & has_base & (today > ended + 30), close_items, peer)
    return pd.concat(rows, ignore_index=True), {**_truth("reassessment", *truth_rows), **_truth("closeout", *closing)}


def _intake_items(df: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(df)
    using = rng.random(n) < 0.85
    return {
        "alcohol_days_30": np.where(using, rng.integers(0, 20, n), 0).astype(float),
        "drug_days_30": np.where(using & (rng.random(n) < 0.6), rng.integers(1, 25, n), 0).astype(float),
        "arrests_30": (rng.random(n) < 0.12).astype(float),
        "employed_or_school": (rng.random(n) < 0.35).astype(float),
        "housing_stable": 1.0 - df["housing_unstable"].to_numpy(float) if "housing_unstable" in df
        else (rng.random(n) < 0.7).astype(float),
        "social_support": (rng.random(n) < 0.50).astype(float),
    }


def _follow_up_items(intake: dict[str, np.ndarray], day: np.ndarray, relapse: np.ndarray, peer: np.ndarray,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Items on ``day``: use when relapsed by then (none otherwise); improvements drawn per arm."""
    n = len(day)
    relapsed = relapse <= day
    out = {"alcohol_days_30": np.where(relapsed, rng.integers(1, 15, n), 0).astype(float),
           "drug_days_30": np.where(relapsed & (rng.random(n) < 0.5), rng.integers(1, 15, n), 0).astype(float),
           "arrests_30": ((rng.random(n) < 0.05) | (relapsed & (rng.random(n) < 0.05))).astype(float)}
    for item, (clinical, with_peer) in IMPROVES.items():
        gain = rng.random(n) < np.where(peer, with_peer, clinical)
        out[item] = np.maximum(intake[item], gain.astype(float))
    return out


def _rows(df: pd.DataFrame, held: np.ndarray, point: str, day: np.ndarray,
          items: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({"participant_id": df[s.PARTICIPANT_ID].astype(str).to_numpy()[held], "point": point,
                         "day": day[held], **{k: v[held] for k, v in items.items()}})


def _truth(point: str, owed: np.ndarray, items: dict[str, np.ndarray], peer: np.ndarray) -> dict[str, float]:
    """Every due interview of ``point`` (with a baseline), had all been held: the shares per arm."""
    out = {}
    for arm, mask in ((s.CLINICAL, ~peer), (s.PEER_CLINICAL, peer)):
        due = owed & mask
        if due.any():
            abstinent = (items["alcohol_days_30"][due] == 0) & (items["drug_days_30"][due] == 0)
            out[f"{point}_abstinent_{arm}"] = float(abstinent.mean())
            out[f"{point}_housed_{arm}"] = float(items["housing_stable"][due].mean())
    return out

"""An EHR-style extract rendered from a synthetic cohort: local codes, US dates, an identifier to drop.

``data/example_extract/`` holds one (``program_extract.csv``) with its mapping
(``mapping.toml``); :func:`example_extract` regenerates it byte for byte.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...model import schema as s
from ...model.cohort import Cohort

__all__ = ["example_extract", "EXAMPLE_MAPPING"]

ARM_CODES = {s.CLINICAL: "Standard", s.PEER_CLINICAL: "PRSS"}
EXIT_CODES = {"dropout": "Left against advice", "completed": "Completed program", "transferred": "Transferred out",
              "in_treatment": ""}

EXAMPLE_MAPPING = '''# How program_extract.csv maps onto the canonical cohort (see outcomes.extract.mapping).
[columns]
participant_id = "Client ID"
arm = "Program Track"
site = "Location"
enroll_date = "Intake Date"
relapse_date = "First Relapse Date"
last_contact_date = "Last Contact"
exit_date = "Discharge Date"
exit_reason = "Discharge Reason"
age = "Age at Intake"
sex = "Gender"

[values.arm]
"Standard" = "clinical"
"PRSS" = "peer_clinical"

[values.exit_reason]
"Completed program" = "completed"
"Left against advice" = "dropout"
"Transferred out" = "transferred"

[dates]
format = "%m/%d/%Y"

[covariates]
keep = ["age", "sex"]

[privacy]
drop = ["Client Name"]
transform = { "ZIP" = "zip3" }
'''


def _us_dates(enroll: pd.Series):
    """Days from enrollment as US dates (``MM/DD/YYYY``), blank where ``when`` is False."""
    def us(days: pd.Series, when: np.ndarray) -> list[str]:
        dates = enroll + pd.to_timedelta(days, unit="D")
        return [d.strftime("%m/%d/%Y") if w else "" for d, w in zip(dates, when)]
    return us


def example_extract(cohort: Cohort, seed: int = 0) -> pd.DataFrame:
    """The cohort as a program's export would show it (US dates, local codes, a name and a ZIP column)."""
    df = cohort.df
    rng = np.random.default_rng(seed)
    enroll = df[s.ENROLL_DATE]
    us = _us_dates(enroll)
    n = len(df)
    ended = (df[s.EXIT_REASON] != "in_treatment").to_numpy()
    return pd.DataFrame({
        "Client ID": [f"C{1000 + i}" for i in range(n)],
        "Client Name": [f"Client {i:04d}" for i in range(n)],
        "Program Track": df[s.ARM].astype(str).map(ARM_CODES).to_numpy(),
        "Location": df[s.SITE].to_numpy(),
        "Intake Date": enroll.dt.strftime("%m/%d/%Y").to_numpy(),
        "First Relapse Date": us(df[s.RELAPSE_DAYS], (df[s.RELAPSE_EVENT] == 1).to_numpy()),
        "Last Contact": us(df["followup_days"], np.ones(n, dtype=bool)),
        "Discharge Date": us(df[s.EXIT_DAYS], ended),
        "Discharge Reason": df[s.EXIT_REASON].astype(str).map(EXIT_CODES).to_numpy(),
        "Age at Intake": df["age"].astype(int).to_numpy(),
        "Gender": df["sex"].str.capitalize().to_numpy(),
        "ZIP": [f"{z:05d}" for z in rng.integers(10000, 99999, n)],
    })


#: the five innocently named columns of :func:`messy_export` and what hides in each
HIDDEN_IDENTIFIERS = {"Notes": "phone number", "Alt contact": "e-mail address", "Ref": "Social Security number",
                      "Directions": "street address", "Chart": "medical record or account number"}
_RACE = ["White", "Black or African American", "Hispanic or Latino", "Asian", "American Indian or Alaska Native",
         "More than one race"]


def messy_export(cohort: Cohort, seed: int = 0) -> pd.DataFrame:
    """A case-management export as programs really send it: :func:`example_extract` plus race/ethnicity,
    ZIP codes some of which are in restricted three-digit areas, and identifiers hidden in five innocently
    named columns (:data:`HIDDEN_IDENTIFIERS`), not on every row.

    >>> import outcomes as oc
    >>> export = messy_export(oc.synthetic_cohort(n=50, seed=1))
    >>> sorted(HIDDEN_IDENTIFIERS) == sorted(c for c in export.columns if c in HIDDEN_IDENTIFIERS)
    True
    """
    out = example_extract(cohort, seed)
    rng = np.random.default_rng(seed + 1)
    n = len(out)

    def some(values: list[str], share: float) -> list[str]:
        return [v if rng.random() < share else "" for v in values]

    phones = [f"({rng.integers(201, 989)}) {rng.integers(200, 999)}-{rng.integers(0, 9999):04d}" for _ in range(n)]
    notes = ["no answer" if rng.random() < 0.5 else f"called back on {p}, will come in after work" for p in phones]
    out["Notes"] = some(notes, 0.6)
    out["Alt contact"] = some([f"client{i}.{rng.integers(10, 99)}@example.org" for i in range(n)], 0.4)
    out["Ref"] = some([f"{rng.integers(100, 899)}-{rng.integers(10, 99)}-{rng.integers(1000, 9999)}"
                       for _ in range(n)], 0.3)
    streets = ["Main St", "Oak Avenue", "Elm Road", "Church Street", "Mill Lane"]
    out["Directions"] = some([f"{rng.integers(1, 999)} {streets[rng.integers(len(streets))]}, side door"
                              for _ in range(n)], 0.5)
    out["Chart"] = some([f"MR-{rng.integers(1_000_000, 9_999_999)}" for _ in range(n)], 0.7)
    out["Race/Ethnicity"] = rng.choice(_RACE, size=n, p=[0.55, 0.2, 0.15, 0.04, 0.03, 0.03])
    restricted = rng.random(n) < 0.08  # a few clients in small rural areas
    prefixes = rng.choice(["036", "059", "692", "821", "893"], size=n)
    out["ZIP"] = [f"{p}{rng.integers(0, 99):02d}" if r else z for p, r, z in zip(prefixes, restricted, out["ZIP"])]
    return out


TRACKER_ARMS = {s.CLINICAL: "Standard", s.PEER_CLINICAL: "Peer Mentor"}
TRACKER_EXITS = {"dropout": "AMA", "completed": "Completed", "transferred": "Transferred", "in_treatment": ""}


def tracker_export(cohort: Cohort, seed: int = 0) -> pd.DataFrame:
    """A small program's tracker as it is really kept: no last-contact column, a relapse date only for those who
    relapsed, discharge date and reason blank while in treatment, an empty notes column and one mistyped date.

    Without the follow-up rules of :mod:`outcomes.sources.extract.followup`, everyone who did not relapse would
    be lost from it. ``data/example_extract/tracker_export.csv`` holds ``tracker_export(synthetic_cohort(n=60,
    seed=22, as_of="2026-09-30"))``.

    >>> import outcomes as oc
    >>> export = tracker_export(oc.synthetic_cohort(n=60, seed=22))
    >>> list(export.columns)[:4]
    ['Client ID', 'Program Track', 'Intake Date', 'Discharge Date']
    """
    df = cohort.df
    rng = np.random.default_rng(seed)
    enroll = df[s.ENROLL_DATE]
    us = _us_dates(enroll)
    n = len(df)
    ended = (df[s.EXIT_REASON] != "in_treatment").to_numpy()
    out = pd.DataFrame({
        "Client ID": [f"{rng.integers(10000, 99999)}-{i:03d}" for i in range(n)],
        "Program Track": df[s.ARM].astype(str).map(TRACKER_ARMS).to_numpy(),
        "Intake Date": enroll.dt.strftime("%m/%d/%Y").to_numpy(),
        "Discharge Date": us(df[s.EXIT_DAYS], ended),
        "Discharge Reason": df[s.EXIT_REASON].astype(str).map(TRACKER_EXITS).to_numpy(),
        "Relapse Date": us(df[s.RELAPSE_DAYS], (df[s.RELAPSE_EVENT] == 1).to_numpy()),
        "Age": df["age"].astype(int).to_numpy(),
        "Gender": df["sex"].str.capitalize().to_numpy(),
        "Counselor Notes": "",
    })
    typo = int(rng.integers(n))
    out.loc[typo, "Intake Date"] = out.loc[typo, "Intake Date"].replace("/20", "/02", 1)  # 03/14/2026 -> 03/14/0226
    return out

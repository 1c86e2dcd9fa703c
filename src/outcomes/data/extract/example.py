"""An EHR-style extract rendered from a synthetic cohort: local codes, US dates, an identifier to drop.

``data/example_extract/`` holds one (``program_extract.csv``) with its mapping
(``mapping.toml``); :func:`example_extract` regenerates it byte for byte.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as s
from ..cohort import Cohort

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


def example_extract(cohort: Cohort, seed: int = 0) -> pd.DataFrame:
    """The cohort as a program's export would show it (US dates, local codes, a name and a ZIP column)."""
    df = cohort.df
    rng = np.random.default_rng(seed)
    enroll = df[s.ENROLL_DATE]

    def us(days: pd.Series, when: np.ndarray) -> list[str]:
        dates = enroll + pd.to_timedelta(days, unit="D")
        return [d.strftime("%m/%d/%Y") if w else "" for d, w in zip(dates, when)]

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

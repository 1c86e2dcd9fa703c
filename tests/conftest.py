"""Shared fixtures: reference data copied from R, and small synthetic cohorts."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

import outcomes as oc  # noqa: E402

REFERENCE = Path(__file__).parent / "reference"
SEEDS = REFERENCE / "seeds"
REPO = Path(__file__).parent.parent


def load_reference(name: str) -> dict:
    return json.loads((REFERENCE / f"{name}_reference.json").read_text())


@pytest.fixture(scope="session")
def addicts() -> oc.Cohort:
    """Methadone retention: dropout by clinic (reference 1), as R's reference script reads it."""
    df = pd.read_csv(REFERENCE / "addicts.csv")
    return oc.Cohort.from_frame(
        df, arm="clinic", reference=1, retention=("survtime", "status"), covariates=["prison", "maxdose"],
        participant_id="id",
    )


@pytest.fixture(scope="session")
def rossi() -> oc.Cohort:
    """Re-arrest by financial aid (reference "no"), treated as the relapse outcome."""
    df = pd.read_csv(REFERENCE / "rossi.csv")
    return oc.Cohort.from_frame(
        df, arm="fin", reference="no", relapse=("week", "arrest"),
        covariates=["age", "race", "wexp", "mar", "paro", "prio"],
    )


@pytest.fixture(scope="session")
def small_cohort() -> oc.Cohort:
    return oc.synthetic_cohort(n=2000, seed=11)

"""The data dictionary of the canonical cohort: one row per column, with the claim behind it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..model.outcome_registry import SECONDARY_OUTCOMES
from ..synthetic.scenario import Scenario

__all__ = ["data_dictionary"]

_SCENARIO_FIELD_FOR = {
    "relapse_days": "relapse_risk_reduction",
    "relapse_event": "relapse_risk_12m_clinical",
    "exit_days": "retention_increase",
    "exit_reason": "retention_increase",
    "co_occurring_mh": "co_occurring_mh_prevalence",
}
_TYPE_OF_CHECK = {"binary": "0/1", "count": "count", "number": "number"}

_COLUMNS = [
    ("participant_id", "text", "", "pseudonymous participant id (never a name, MRN or SSN)"),
    ("arm", "text", "", "clinical = clinical care only (reference); peer_clinical = peer support added"),
    ("site", "text", "", "program site; sites open in staggered quarters"),
    ("enroll_date", "date", "YYYY-MM-DD", "date of enrollment"),
    ("followup_days", "number", "days", "days from enrollment to last contact (the as-of date, or loss to follow-up)"),
    ("relapse_days", "number", "days", "days from enrollment to first relapse, or to last contact if none"),
    ("relapse_event", "0/1", "", "1 = relapsed at relapse_days; 0 = censored (no relapse seen)"),
    ("exit_days", "number", "days", "days in treatment: to dropout, completion or transfer, or to the as-of date"),
    ("exit_reason", "text", "", "dropout, completed, transferred, or in_treatment (still enrolled at the as-of date)"),
    ("age", "number", "years", "age at enrollment"),
    ("sex", "text", "", "female or male"),
    ("primary_substance", "text", "", "alcohol, opioids, stimulants or cannabis"),
    ("co_occurring_mh", "0/1", "", "1 = a co-occurring mental-health condition"),
    ("prior_treatments", "count", "episodes", "prior treatment episodes"),
    ("housing_unstable", "0/1", "", "1 = unstably housed at enrollment"),
]


def data_dictionary() -> pd.DataFrame:
    """One row per column of a synthetic cohort: ``name, type, unit, meaning, source_claim, source``.

    >>> d = data_dictionary()
    >>> d.set_index("name").loc["co_occurring_mh", "source"]
    '004_028f14ac17c65239.txt'
    """
    import dataclasses

    meta = {f.name: f.metadata for f in dataclasses.fields(Scenario)}
    columns = list(_COLUMNS)
    scenario_field = dict(_SCENARIO_FIELD_FOR)
    for spec in SECONDARY_OUTCOMES.values():  # the outcome registry describes the secondary outcomes
        for k, column in enumerate(spec.columns):
            columns.append((column.name, _TYPE_OF_CHECK[column.check], column.unit, column.meaning))
            if k == len(spec.columns) - 1 and spec.scenario_field:  # the outcome column, not its baseline
                scenario_field[column.name] = spec.scenario_field
    rows = []
    for name, kind, unit, meaning in columns:
        field = scenario_field.get(name)
        info: Mapping[str, Any] = meta.get(field, {}) if field else {}
        rows.append(
            {
                "name": name,
                "type": kind,
                "unit": unit,
                "meaning": meaning,
                "source_claim": info.get("claim", info.get("assumption", "")),
                "source": info.get("source", "assumption" if info else ""),
            }
        )
    return pd.DataFrame(rows)

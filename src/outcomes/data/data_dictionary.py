"""The data dictionary of the canonical cohort: one row per column, with the claim behind it."""

from __future__ import annotations

import pandas as pd

from .scenario import Scenario

__all__ = ["data_dictionary"]

_SCENARIO_FIELD_FOR = {
    "relapse_days": "relapse_risk_reduction",
    "relapse_event": "relapse_risk_12m_clinical",
    "exit_days": "retention_increase",
    "exit_reason": "retention_increase",
    "co_occurring_mh": "co_occurring_mh_prevalence",
    "aftercare_engaged": "aftercare_risk_ratio",
    "sessions_attended": "sessions_rate_ratio",
    "ed_visits_12m": "ed_visits_rate_ratio",
    "mh_admissions_12m": "mh_admissions_rate_ratio",
    "mh_score_12m": "mh_score_reduction_peer",
    "use_days_followup": "use_days_greater_reduction",
}

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
    ("aftercare_engaged", "0/1", "", "1 = engaged in aftercare"),
    ("sessions_attended", "count", "sessions", "treatment sessions attended while in treatment (exposure: exit_days)"),
    ("ed_visits_12m", "count", "visits", "emergency-department visits in the first 12 months (exposure: min(followup_days, 365))"),
    ("mh_admissions_12m", "count", "admissions", "mental-health crisis admissions in the first 12 months (same exposure)"),
    ("mh_score_baseline", "number", "points (0-27)", "mental-health symptom score at enrollment; higher is worse"),
    ("mh_score_12m", "number", "points (0-27)", "symptom score at 12 months; missing when follow-up is under 365 days"),
    ("use_days_baseline", "count", "days of past 30", "days of substance use in the 30 days before enrollment"),
    ("use_days_followup", "count", "days of past 30", "days of use in the 30 days before the 6-month follow-up; missing when follow-up is under 180 days"),
]


def data_dictionary() -> pd.DataFrame:
    """One row per column of a synthetic cohort: ``name, type, unit, meaning, source_claim, source``.

    >>> d = data_dictionary()
    >>> d.set_index("name").loc["co_occurring_mh", "source"]
    '004_028f14ac17c65239.txt'
    """
    import dataclasses

    meta = {f.name: f.metadata for f in dataclasses.fields(Scenario)}
    rows = []
    for name, kind, unit, meaning in _COLUMNS:
        field = _SCENARIO_FIELD_FOR.get(name)
        info = meta.get(field, {}) if field else {}
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

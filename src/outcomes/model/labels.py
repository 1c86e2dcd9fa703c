"""Words for people: the label of each canonical column and of its coded levels (never a code name in a report).

A column the package does not know keeps its own name with underscores as spaces, capitalised.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from ..core.errors import InputError
from . import schema as s
from .outcome_registry import SECONDARY_OUTCOMES

__all__ = ["level_label", "using_labels", "variable_label", "variable_words"]

VARIABLE_LABELS = {
    "participant_id": "Participant", "arm": "Arm", "site": "Site", "enroll_date": "Enrollment date",
    "followup_days": "Days of follow-up", "relapse_days": "Days to relapse", "relapse_event": "Relapsed",
    "exit_days": "Days in treatment", "exit_reason": "Reason for leaving treatment", "age": "Age, years",
    "sex": "Sex", "primary_substance": "Primary substance", "co_occurring_mh": "Co-occurring mental illness",
    "prior_treatments": "Prior treatment episodes", "housing_unstable": "Unstable housing",
    "exposure_start_days": "Days to first peer contact", "aftercare_engaged": "Engaged in aftercare",
    "sessions_attended": "Treatment sessions attended", "ed_visits_12m": "Emergency department visits in 12 months",
    "mh_admissions_12m": "Mental-health crisis admissions in 12 months",
    "mh_score_baseline": "Symptom score at enrollment", "mh_score_12m": "Symptom score at 12 months",
    "use_days_baseline": "Days of use in the 30 days before enrollment",
    "use_days_followup": "Days of use in the 30 days before the 6-month follow-up",
}
LEVEL_LABELS = {"in_treatment": "still in treatment", "dropout": "dropped out", "peer_clinical": "Peer support + "
                "clinical", "clinical": "Clinical only"}


@contextlib.contextmanager
def using_labels(labels: Mapping[str, str] | None) -> Iterator[None]:
    """Within the block, the program's own names: ``{"clinical": "Standard care", "peer_clinical": "Peer Mentor
    track", "housing_unstable": "Housing at risk"}`` (arms and columns; from ``[labels]`` in ``outcomes.toml``).

    >>> with using_labels({"peer_clinical": "Peer Mentor track", "age": "Age at intake"}):
    ...     s.arm_label("peer_clinical"), variable_label("age")
    ('Peer Mentor track', 'Age at intake')
    """
    if labels is not None and not (isinstance(labels, Mapping) and all(isinstance(v, str) for v in labels.values())):
        raise InputError(f"labels must be a table of names (e.g. clinical = \"Standard care\"), not {labels!r}")
    token = s.PROGRAM_LABELS.set(dict(labels or {}))
    try:
        yield
    finally:
        s.PROGRAM_LABELS.reset(token)


def variable_label(name: str) -> str:
    """The label of a column for people.

    >>> variable_label("co_occurring_mh"), variable_label("ed_visits_12m"), variable_label("housing_type")
    ('Co-occurring mental illness', 'Emergency department visits in 12 months', 'Housing type')
    """
    if s.PROGRAM_LABELS.get().get(name):
        return s.PROGRAM_LABELS.get()[name]
    if name in VARIABLE_LABELS:
        return VARIABLE_LABELS[name]
    for spec in SECONDARY_OUTCOMES.values():
        for column in spec.columns:
            if column.name == name:  # the registry's meaning, up to its first aside
                short = column.meaning.split(";")[0].split(" (")[0]
                return short[:1].upper() + short[1:]
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def variable_words(name: str) -> str:
    """A column as a sentence names it: its label without the unit, in lower case (an abbreviation kept).

    >>> variable_words("age"), variable_words("co_occurring_mh"), variable_words("SES_index")
    ('age', 'co-occurring mental illness', 'SES index')
    """
    label = variable_label(name).split(",")[0]
    first, _, rest = label.partition(" ")
    first = first if first.isupper() and len(first) > 1 else first.lower()
    return f"{first} {rest}".strip()


def level_label(value: object) -> str:
    """The label of a coded value: canonical codes in words, other text with underscores as spaces.

    >>> level_label("in_treatment"), level_label("opioids"), level_label(1.0)
    ('still in treatment', 'opioids', '1')
    """
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return LEVEL_LABELS.get(text, text.replace("_", " "))

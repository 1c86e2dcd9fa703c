"""The canonical cohort schema: column names, vocabularies and display labels.

One row per participant. Every analysis reads these names, whatever the
source data called them (see :meth:`outcomes.Cohort.from_frame` and
:func:`outcomes.read_extract`).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType

__all__ = [
    "PARTICIPANT_ID",
    "ARM",
    "SITE",
    "ENROLL_DATE",
    "RELAPSE_DAYS",
    "RELAPSE_EVENT",
    "EXIT_DAYS",
    "EXIT_REASON",
    "EXIT_REASONS",
    "CLINICAL",
    "PEER_CLINICAL",
    "ARM_LABELS",
    "STANDARD_COVARIATES",
    "FOLLOWUP_DAYS",
    "EXPOSURE_START",
    "arm_label",
]

PARTICIPANT_ID = "participant_id"
ARM = "arm"
SITE = "site"
ENROLL_DATE = "enroll_date"
RELAPSE_DAYS = "relapse_days"
RELAPSE_EVENT = "relapse_event"
EXIT_DAYS = "exit_days"
EXIT_REASON = "exit_reason"

#: Reasons a participant's time in treatment ends. ``dropout`` is the event of
#: interest for retention; ``completed`` and ``transferred`` are competing
#: exits; ``in_treatment`` means still enrolled at the as-of date (censored).
EXIT_REASONS = ("dropout", "completed", "transferred", "in_treatment")

CLINICAL = "clinical"
PEER_CLINICAL = "peer_clinical"
ARM_LABELS = {CLINICAL: "Clinical only", PEER_CLINICAL: "Peer support + clinical"}

STANDARD_COVARIATES = (
    "age",
    "sex",
    "primary_substance",
    "co_occurring_mh",
    "prior_treatments",
    "housing_unstable",
)

#: Days from enrollment to last contact (the as-of date, or loss to follow-up); the exposure of 12-month counts.
FOLLOWUP_DAYS = "followup_days"

#: Days from enrollment to the first peer-support contact; blank = never. When a cohort has it, the arm records
#: who was *ever* exposed, and :func:`outcomes.compare_exposure` analyses exposure from the day it starts.
EXPOSURE_START = "exposure_start_days"

# The outcomes themselves (time-to-event and secondary) are described in outcomes.model.outcome_registry.


#: the program's own names for its arms and columns, set for one report (:func:`outcomes.model.labels.using_labels`)
PROGRAM_LABELS: ContextVar[Mapping[str, str]] = ContextVar("program_labels", default=MappingProxyType({}))


def arm_label(arm: str) -> str:
    """Display label of an arm: the program's own name for it when one is set, "Clinical only" for
    ``clinical``, else the label itself.

    >>> arm_label("peer_clinical")
    'Peer support + clinical'
    >>> arm_label("2")
    '2'
    """
    return PROGRAM_LABELS.get().get(arm) or ARM_LABELS.get(arm, arm)

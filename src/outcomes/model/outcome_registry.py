"""The outcome registry: every outcome the package knows, described once.

Two time-to-event outcomes (relapse; retention, where dropout is the event) and
the secondary outcomes the articles cite. Each secondary outcome is one
:class:`SecondaryOutcome`: its columns and how each is validated, its kind
(``binary``, ``count`` or ``score``), the exposure of a count, when a value
becomes known, the words narration uses, and the estimands of the claims it
answers. Validation, as-of views, :func:`outcomes.compare_secondary`,
narration, reconciliation, the quarterly report, the data dictionary and the
synthetic generator all read this registry, so adding an outcome is one entry
here (plus a generator in ``synthetic.py`` if synthetic cohorts should have it):

>>> from outcomes.model.outcome_registry import SECONDARY_OUTCOMES, Column, SecondaryOutcome, Exposure
>>> spec = SecondaryOutcome(
...     name="arrests_12m", kind="count", words="arrests in the first 12 months",
...     columns=(Column("arrests_12m", "count", "arrests", "arrests in the first 12 months"),),
...     exposure=Exposure("followup_days", cap_days=365, per_days=365, words="person-years in the first 12 months"),
...     accumulates=True, estimands={"arrests_rate_ratio": "ratio"})
>>> SECONDARY_OUTCOMES[spec.name] = spec    # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..core.errors import InputError
from . import schema as s

if TYPE_CHECKING:
    from .cohort import Cohort

__all__ = [
    "Column",
    "Exposure",
    "SecondaryOutcome",
    "SECONDARY_OUTCOMES",
    "TimeToEvent",
    "TIME_TO_EVENT",
    "exit_status",
    "exit_status_of",
    "outcome_arrays",
    "secondary_outcome",
    "secondary_columns",
]


# ------------------------------------------------------------------------------------------ time to event
@dataclass(frozen=True)
class TimeToEvent:
    """A time-to-event outcome: its time column, and the column and value that make a row an event.

    Anything else in the event column censors: for retention, completion and transfer (cause-specific) and
    still being in treatment.
    """

    name: str
    time_column: str
    event: str  # the event's name: "relapse", "dropout"
    words: str  # "time to relapse"
    event_column: str
    event_value: object  # the event column's value that is the event (1, "dropout")

    def event_of(self, df) -> np.ndarray:
        """1.0 where a row of ``df`` has the event, else 0.0."""
        return (df[self.event_column] == self.event_value).to_numpy(float)


TIME_TO_EVENT: dict[str, TimeToEvent] = {
    "relapse": TimeToEvent("relapse", s.RELAPSE_DAYS, "relapse", "time to first relapse", s.RELAPSE_EVENT, 1),
    "retention": TimeToEvent("retention", s.EXIT_DAYS, "dropout", "time to dropping out of treatment",
                             s.EXIT_REASON, "dropout"),
}


def outcome_arrays(cohort: Cohort, outcome: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Time, event (0/1) and the event's name for a time-to-event ``outcome`` of ``cohort``.

    ``retention``: the event is dropout; completion and transfer censor (cause-specific),
    as does still being in treatment.

    >>> import outcomes as oc
    >>> time, event, name = outcome_arrays(oc.synthetic_cohort(n=20, seed=1), "retention")
    >>> name, time.shape
    ('dropout', (20,))
    """
    if outcome not in TIME_TO_EVENT:
        raise InputError(f"outcome must be one of {list(TIME_TO_EVENT)}, not {outcome!r}")
    if outcome not in cohort.outcomes:
        raise InputError(
            f"this cohort has no {outcome} outcome (its outcomes: {list(cohort.outcomes)}); "
            f"build it with {outcome}=(time column, event column)"
        )
    spec = TIME_TO_EVENT[outcome]
    return cohort.df[spec.time_column].to_numpy(float), spec.event_of(cohort.df), spec.event


def exit_status(reason: np.ndarray, cause: str) -> np.ndarray:
    """Competing-risks status of each exit: 1 = ``cause``, 2 = another way of leaving, 0 = still in treatment.

    >>> exit_status(np.array(["dropout", "completed", "in_treatment"]), "dropout").tolist()
    [1, 2, 0]
    """
    reason = np.asarray(reason)
    return np.where(reason == cause, 1, np.where(reason == "in_treatment", 0, 2))


def exit_status_of(reason: pd.Series, cause: str) -> np.ndarray:
    """:func:`exit_status` of a cohort's exit-reason column: a categorical one (a cohort's is) per category, then
    each row's by its code (1M rows: 0.02 s against 0.07 s through text, measured in the report's trend).

    >>> exit_status_of(pd.Series(["dropout", "completed", "dropout"], dtype="category"), "dropout").tolist()
    [1, 2, 1]
    """
    if isinstance(reason.dtype, pd.CategoricalDtype) and reason.notna().all():
        per_category = exit_status(np.asarray(reason.cat.categories.astype(str)), cause)
        status: np.ndarray = per_category[reason.cat.codes.to_numpy()]
        return status
    return exit_status(reason.astype(str).to_numpy(), cause)


# ------------------------------------------------------------------------------------------ secondary
@dataclass(frozen=True)
class Column:
    """One column of a secondary outcome, as the data dictionary describes it and validation checks it.

    ``check``: ``binary`` (0/1, missing allowed), ``count`` (whole number >= 0, missing allowed) or
    ``number`` (any finite number, missing allowed).
    """

    name: str
    check: str
    unit: str
    meaning: str
    known_after_days: float | None = None  # measured at this day of follow-up: unknown before it

    def __post_init__(self) -> None:
        if self.check not in ("binary", "count", "number"):
            raise InputError(f"column {self.name!r}: check must be 'binary', 'count' or 'number', not {self.check!r}")


@dataclass(frozen=True)
class Exposure:
    """The exposure of a count outcome: ``min(column, cap_days) / per_days`` (rates per ``per_days``)."""

    column: str
    words: str
    cap_days: float | None = None
    per_days: float = 1.0

    def values(self, df) -> np.ndarray | None:
        """Each participant's exposure, or None when the cohort has no such column."""
        if self.column not in df:
            return None
        x = df[self.column].to_numpy(float)
        if self.cap_days is not None:
            x = np.minimum(x, self.cap_days)
        return x / self.per_days


@dataclass(frozen=True)
class SecondaryOutcome:
    """A secondary outcome: what it is, how it is measured and compared, and what it answers.

    Attributes
    ----------
    name : str
        What users pass to ``compare_secondary``.
    kind : {"binary", "count", "score"}
        binary: risk ratio (modified Poisson); count: rate ratio (negative binomial with exposure);
        score: ANCOVA of the follow-up value on the baseline value (``columns`` = baseline, follow-up).
    columns : tuple of Column
    words : str
        How a sentence names it: "emergency-department visits in the first 12 months".
    short : str
        A figure label: "emergency visits".
    exposure : Exposure, optional
        Counts only.
    accumulates : bool
        Counted over follow-up without dates: an as-of view earlier than the data cannot cut it and
        leaves it unknown.
    estimands : dict
        Estimand of the claims registry -> the statistic that answers it: ``ratio`` (the main estimate),
        ``reduction_treatment`` (relative reduction in the treatment arm), ``reduction_ratio`` or
        ``reduction_difference`` (between arms).
    scenario_field : str, optional
        The synthetic scenario parameter that encodes the article's figure (for the data dictionary).
    """

    name: str
    kind: str
    columns: tuple[Column, ...]
    words: str
    short: str = ""
    exposure: Exposure | None = None
    accumulates: bool = False
    estimands: dict[str, str] = field(default_factory=dict)
    scenario_field: str | None = None

    def __post_init__(self) -> None:
        expected = {"binary": 1, "count": 1, "score": 2}
        if self.kind not in expected:
            raise InputError(f"secondary outcome {self.name!r}: kind must be binary, count or score, not {self.kind!r}")
        if len(self.columns) != expected[self.kind]:
            raise InputError(f"secondary outcome {self.name!r}: a {self.kind} outcome has {expected[self.kind]} "
                             f"column(s), not {len(self.columns)}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def measure(self) -> str:
        return {"binary": "risk ratio", "count": "rate ratio", "score": "adjusted mean difference"}[self.kind]


_TWELVE_MONTHS = Exposure(s.FOLLOWUP_DAYS, "person-years in the first 12 months", cap_days=365, per_days=365)

SECONDARY_OUTCOMES: dict[str, SecondaryOutcome] = {
    spec.name: spec
    for spec in (
        SecondaryOutcome(
            name="aftercare_engaged", kind="binary", words="aftercare engagement", short="engaged in aftercare",
            columns=(Column("aftercare_engaged", "binary", "", "1 = engaged in aftercare", known_after_days=365),),
            estimands={"aftercare_risk_ratio": "ratio"}, scenario_field="aftercare_risk_ratio",
        ),
        SecondaryOutcome(
            name="sessions_attended", kind="count", words="sessions attended", short="sessions attended",
            columns=(Column("sessions_attended", "count", "sessions",
                            "treatment sessions attended while in treatment (exposure: exit_days)"),),
            exposure=Exposure(s.EXIT_DAYS, "days in treatment (exit_days)"), accumulates=True,
            estimands={"sessions_rate_ratio": "ratio"}, scenario_field="sessions_rate_ratio",
        ),
        SecondaryOutcome(
            name="ed_visits_12m", kind="count", words="emergency-department visits in the first 12 months",
            short="emergency visits",
            columns=(Column("ed_visits_12m", "count", "visits", "emergency-department visits in the first 12 months "
                            "(exposure: min(followup_days, 365))"),),
            exposure=_TWELVE_MONTHS, accumulates=True,
            estimands={"ed_visits_rate_ratio": "ratio"}, scenario_field="ed_visits_rate_ratio",
        ),
        SecondaryOutcome(
            name="mh_admissions_12m", kind="count", words="mental-health crisis admissions in the first 12 months",
            short="MH crisis admissions",
            columns=(Column("mh_admissions_12m", "count", "admissions",
                            "mental-health crisis admissions in the first 12 months (same exposure)"),),
            exposure=_TWELVE_MONTHS, accumulates=True,
            estimands={"mh_admissions_rate_ratio": "ratio"}, scenario_field="mh_admissions_rate_ratio",
        ),
        SecondaryOutcome(
            name="mh_score", kind="score", words="mental-health symptom scores", short="reduction in symptom scores",
            columns=(Column("mh_score_baseline", "number", "points (0-27)",
                            "mental-health symptom score at enrollment; higher is worse"),
                     Column("mh_score_12m", "number", "points (0-27)",
                            "symptom score at 12 months; missing when follow-up is under 365 days",
                            known_after_days=365)),
            estimands={"mh_score_reduction_peer": "reduction_treatment"}, scenario_field="mh_score_reduction_peer",
        ),
        SecondaryOutcome(
            name="use_days", kind="score", words="days of substance use", short="reduction in days of use",
            columns=(Column("use_days_baseline", "count", "days of past 30",
                            "days of substance use in the 30 days before enrollment"),
                     Column("use_days_followup", "count", "days of past 30",
                            "days of use in the 30 days before the 6-month follow-up; missing when follow-up is "
                            "under 180 days", known_after_days=180)),
            estimands={"use_days_reduction_ratio": "reduction_ratio",
                       "use_days_reduction_difference": "reduction_difference"},
            scenario_field="use_days_greater_reduction",
        ),
    )
}


def secondary_outcome(name: str) -> SecondaryOutcome:
    """The registry entry of ``name`` (or of one of its columns, e.g. ``mh_score_12m``).

    >>> secondary_outcome("mh_score_12m").name
    'mh_score'
    """
    if name in SECONDARY_OUTCOMES:
        return SECONDARY_OUTCOMES[name]
    for spec in SECONDARY_OUTCOMES.values():
        if name in spec.column_names:
            return spec
    raise InputError(f"unknown secondary outcome {name!r}; choose one of {list(SECONDARY_OUTCOMES)}")


def secondary_columns() -> list[Column]:
    """Every column of every secondary outcome, in registry order."""
    return [column for spec in SECONDARY_OUTCOMES.values() for column in spec.columns]

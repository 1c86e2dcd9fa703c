"""Scenarios for synthetic cohorts: every parameter, and the article figure it encodes.

A :class:`Scenario` is a frozen dataclass. Each field's ``metadata`` says where
its value comes from: ``claim`` quotes the article figure and ``source`` names
the seed file, or ``assumption`` explains a value the articles do not give.
``Scenario.describe()`` lists them as a table.

Two scenarios are built in:

- ``articles``: the effects the articles claim for peer support added to clinical care;
- ``null``: the same population and design with no effect of peer support at all.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core.errors import InputError
from ..model.dates import parse_date

__all__ = ["Scenario", "SCENARIOS", "get_scenario"]

_003 = "003_ff7c981e9dde9836.txt"
_004 = "004_028f14ac17c65239.txt"


def _claim(quote: str, source: str) -> dict[str, str]:
    return {"claim": quote, "source": source}


def _assumption(why: str) -> dict[str, str]:
    return {"assumption": why}


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """Parameters of a synthetic two-arm recovery program.

    Pass any field to :func:`outcomes.synthetic_cohort` as a keyword to override it.

    Examples
    --------
    >>> from outcomes import Scenario
    >>> Scenario().relapse_risk_12m_clinical
    0.5
    >>> Scenario.describe().query("parameter == 'relapse_risk_reduction'").source.item()
    '003_ff7c981e9dde9836.txt'
    """

    name: str = field(default="articles", metadata=_assumption("scenario name"))
    randomized: bool = field(
        default=False,
        metadata=_assumption(
            "False: participants choose peer support, and the choice depends on covariates that also "
            "change relapse risk (self-selection), as in real programs; True: a coin flip"
        ),
    )

    peer_uptake: str = field(
        default="at_enrollment",
        metadata=_assumption(
            "at_enrollment: the arm is fixed from day 0; delayed: peer support starts days or weeks after "
            "enrollment (median about three weeks, some never), the arm records who was ever exposed and "
            "exposure_start_days when (see outcomes.synthetic.delayed_uptake)"
        ),
    )
    peer_effect: float = field(
        default=1.0,
        metadata=_assumption(
            "delayed uptake only: the true hazard ratio of relapse while exposed, conditional on the covariates "
            "(1.0 = no effect)"
        ),
    )
    grace_days: float = field(
        default=30.0,
        metadata=_assumption("delayed uptake only: the grace period of the emulated trial whose true risks "
                             "cohort.truth holds"),
    )
    recurrent: bool = field(
        default=False,
        metadata=_assumption(
            "also draw every relapse episode (cohort.events): a Poisson process per person over follow-up, at the "
            "first-relapse model's rate times a gamma frailty of variance recurrent_frailty (episodes cluster in "
            "the same people); the rate ratio of the peer arm is the conditional hazard ratio of relapse"
        ),
    )
    recurrent_frailty: float = field(
        default=0.5,
        metadata=_assumption("recurrent only: the variance of the gamma frailty (mean 1) shared by a person's "
                             "episodes; 0 = independent episodes"),
    )
    interviews: bool = field(
        default=False,
        metadata=_assumption(
            "also draw GPRA/SUPRT follow-up interviews (cohort.interviews): a baseline for nearly everyone, the "
            "reassessment and annual interviews of those still in care, a closeout after care ends, each reached "
            "with the arm's interview_reach (half as often after a dropout); items consistent with relapse"
        ),
    )
    interview_reach_clinical: float = field(
        default=0.70,
        metadata=_assumption("interviews only: the chance a follow-up interview due in the clinical arm is held"),
    )
    interview_reach_peer: float = field(
        default=0.80,
        metadata=_assumption("interviews only: the same in the peer support arm (peers keep people in contact)"),
    )

    # --- relapse -------------------------------------------------------------------------------
    relapse_risk_12m_clinical: float = field(
        default=0.50,
        metadata=_claim(
            "The National Institute on Drug Abuse (NIDA) reports that addiction relapse rates generally "
            "fall between 40% and 60%.", _003,
        ),
    )
    relapse_risk_reduction: float = field(
        default=0.35,
        metadata=_claim(
            "Research shows that incorporating peer support into recovery reduces the risk of relapse by "
            "35% compared to treatments without it [2].", _003,
        ),
    )
    relapse_weibull_shape: float = field(
        default=0.7,
        metadata=_assumption("Weibull shape < 1: the relapse hazard is highest early and falls over time"),
    )

    # --- retention -----------------------------------------------------------------------------
    program_days: int = field(default=180, metadata=_assumption("planned program length (6 months)"))
    dropout_risk_clinical: float = field(
        default=0.50,
        metadata=_assumption(
            "share of clinical-only participants who drop out before the program ends; 50% is the baseline "
            "at which '+20% retention' and '20% fewer dropouts' (within 15-25%) both hold"
        ),
    )
    retention_increase: float = field(
        default=0.20,
        metadata=_claim("Treatment Retention | Baseline | +20% increase |", _004),
    )
    dropout_weibull_shape: float = field(
        default=0.8, metadata=_assumption("dropout is most likely early in treatment")
    )
    transfer_risk: float = field(
        default=0.04, metadata=_assumption("4% transfer to another program before it ends, in both arms")
    )

    # --- population ----------------------------------------------------------------------------
    co_occurring_mh_prevalence: float = field(
        default=0.428,
        metadata=_claim(
            "Research highlights that 42.8% of individuals with substance use disorders also face mental "
            "health issues [8].", _004,
        ),
    )
    housing_unstable_prevalence: float = field(default=0.20, metadata=_assumption("one in five unstably housed"))
    female_share: float = field(default=0.35, metadata=_assumption("typical of US treatment admissions"))
    mean_age: float = field(default=38.0, metadata=_assumption("mean age at enrollment, years"))
    n_sites: int = field(default=4, metadata=_assumption("program sites (3 to 5), opening in staggered quarters"))

    # --- calendar ------------------------------------------------------------------------------
    enrollment_quarters: int = field(default=8, metadata=_assumption("enrollment over two years"))
    as_of: str = field(default="2026-09-30", metadata=_assumption("end of the last enrollment quarter"))
    annual_loss_to_follow_up: float = field(
        default=0.10, metadata=_assumption("10% a year lose contact (censored at last contact)")
    )

    # --- secondary outcomes --------------------------------------------------------------------
    aftercare_rate_clinical: float = field(default=0.35, metadata=_assumption("aftercare engagement, clinical only"))
    aftercare_risk_ratio: float = field(
        default=1.40,
        metadata=_claim(
            "Research shows that individuals involved in peer support are 40% more likely to stay engaged in "
            "aftercare programs [1][12].", _004,
        ),
    )
    sessions_per_week_clinical: float = field(default=2.0,
                                              metadata=_assumption("sessions attended per week in treatment"))
    sessions_rate_ratio: float = field(
        default=1.30, metadata=_claim("Program Attendance | Standard | +30% higher |", _004)
    )
    ed_visits_per_year_clinical: float = field(default=1.2, metadata=_assumption("emergency visits a year"))
    ed_visits_rate_ratio: float = field(
        default=0.75, metadata=_claim("Healthcare Utilization | Standard | 25% reduction |", _004)
    )
    mh_admissions_per_year_clinical: float = field(default=0.30, metadata=_assumption("MH crisis admissions a year"))
    mh_admissions_rate_ratio: float = field(
        default=0.50,
        metadata=_claim(
            "This combined approach has been linked to a 50% drop in hospital admissions for mental health "
            "crises [6].", _004,
        ),
    )
    mh_score_reduction_clinical: float = field(
        default=0.30, metadata=_assumption("symptom reduction over a year with clinical care only")
    )
    mh_score_reduction_peer: float = field(
        default=0.62,
        metadata=_claim(
            "Participants in these programs reported a 62% reduction in mental health symptoms over a year [8].",
            _004,
        ),
    )
    use_days_reduction_clinical: float = field(
        default=0.40, metadata=_assumption("reduction in days of use (past 30) at 6 months, clinical only")
    )
    use_days_greater_reduction: float = field(
        default=0.30,
        metadata=_claim(
            "A 2022 study by the University of Pennsylvania found that individuals engaging in peer support "
            "experienced a 30% greater reduction in substance use compared to those who did not participate [1].",
            _004,
        ),
    )

    def __post_init__(self) -> None:
        checks = {
            "relapse_risk_12m_clinical": 0.01 <= self.relapse_risk_12m_clinical <= 0.99,
            "relapse_risk_reduction": 0 <= self.relapse_risk_reduction < 1,
            "dropout_risk_clinical": 0 < self.dropout_risk_clinical < 1,
            "retention_increase": 0 <= (1 - self.dropout_risk_clinical) * (1 + self.retention_increase) < 1,
            "transfer_risk": 0 <= self.transfer_risk < 0.5,
            "co_occurring_mh_prevalence": 0 < self.co_occurring_mh_prevalence < 1,
            "n_sites": 3 <= self.n_sites <= 5,
            "enrollment_quarters": 1 <= self.enrollment_quarters <= 40,
            "program_days": 7 <= self.program_days <= 730,
            "peer_uptake": self.peer_uptake in ("at_enrollment", "delayed"),
            "peer_effect": 0 < self.peer_effect < 20,
            "grace_days": 1 <= self.grace_days <= 180,
            "recurrent_frailty": 0 <= self.recurrent_frailty <= 5,
            "interview_reach_clinical": 0 < self.interview_reach_clinical <= 1,
            "interview_reach_peer": 0 < self.interview_reach_peer <= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise InputError(f"scenario parameter {name}={getattr(self, name)!r} is out of range")
        parse_date(self.as_of, "scenario parameter as_of")  # a date that exists

    # derived targets -----------------------------------------------------------------------------
    @property
    def relapse_risk_12m_peer(self) -> float:
        return self.relapse_risk_12m_clinical * (1 - self.relapse_risk_reduction)

    @property
    def dropout_risk_peer(self) -> float:
        """Dropout share implied by the retention increase: ``1 - (1 - d0)(1 + increase)``."""
        return 1 - (1 - self.dropout_risk_clinical) * (1 + self.retention_increase)

    @property
    def use_days_reduction_peer(self) -> float:
        return self.use_days_reduction_clinical * (1 + self.use_days_greater_reduction)

    # serialisation -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Scenario:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise InputError(f"unknown scenario parameter(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**values)

    @classmethod
    def describe(cls) -> pd.DataFrame:
        """One row per parameter: default value, the claim quoted and its source, or the assumption."""
        rows = []
        for f in dataclasses.fields(cls):
            rows.append(
                {
                    "parameter": f.name,
                    "default": f.default,
                    "claim": f.metadata.get("claim", ""),
                    "source": f.metadata.get("source", ""),
                    "assumption": f.metadata.get("assumption", ""),
                }
            )
        return pd.DataFrame(rows)


_NULL_EFFECTS: dict[str, Any] = dict(
    relapse_risk_reduction=0.0,
    retention_increase=0.0,
    aftercare_risk_ratio=1.0,
    sessions_rate_ratio=1.0,
    ed_visits_rate_ratio=1.0,
    mh_admissions_rate_ratio=1.0,
    mh_score_reduction_peer=0.30,
    use_days_greater_reduction=0.0,
)

SCENARIOS: dict[str, Scenario] = {
    "articles": Scenario(),
    "null": Scenario(name="null", **_NULL_EFFECTS),
}


def get_scenario(scenario: str | Scenario, **overrides: Any) -> Scenario:
    """A built-in scenario by name (or a Scenario), with ``overrides`` applied."""
    if isinstance(scenario, Scenario):
        base = scenario
    elif scenario in SCENARIOS:
        base = SCENARIOS[scenario]
    else:
        raise InputError(f"unknown scenario {scenario!r}; choose one of {list(SCENARIOS)} or pass a Scenario")
    if not overrides:
        return base
    known = {f.name for f in dataclasses.fields(Scenario)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise InputError(f"unknown scenario parameter(s) {unknown}; see outcomes.Scenario.describe() for the list")
    return dataclasses.replace(base, **overrides)

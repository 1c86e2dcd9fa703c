"""outcomes: trustworthy comparisons of clinical-only and peer-support-plus-clinical recovery programs.

Build a :class:`Cohort` (synthetic, from a program extract, or from any
analysis-ready frame), then compare the arms::

    import outcomes as oc
    cohort = oc.synthetic_cohort(n=2000, seed=0)
    res = oc.compare_arms(cohort, "relapse")
    res.hazard_ratio, res.survival_at([90, 180, 365])

The package is layered along the data flow (``docs/architecture.md``)::

    core -> stats -> data -> analyses -> claims -> present -> outputs

``oc.report`` (papermill, nbconvert, matplotlib) is imported the first time it
is used, so ``import outcomes`` stays light.
"""

from typing import Any

from . import claims
from .claims import evidence
from .analyses import power
from .analyses.compare_arms import ArmComparison, compare_arms
from .analyses.competing import CompetingRisks, cumulative_incidence
from .analyses.baseline import BaselineTable, baseline_table
from .analyses.interviews import (ChangeFromIntake, FollowUpRates, InterviewRules, change_from_intake, follow_up,
                                  interview_schedule, interview_worklist)
from .analyses.recurrent import RecurrentComparison, compare_recurrent
from .analyses.impute import impute
from .analyses.exposure import ExposureComparison, compare_exposure, compare_landmark, compare_time_varying
from .analyses.extrapolate import ParametricFits, fit_parametric
from .analyses.twin_report import TwinReport, twin_report
from .synthetic.twin import synthetic_twin
from .analyses.secondary import SecondaryComparison, compare_secondary
from .analyses.evalue import EValue, e_value
from .analyses.propensity import Balance, PropensityWeights, balance, propensity_weights
from .claims.reconcile import Reconciliation, reconcile
from .core import disclosure
from .core.errors import (
    ConvergenceError,
    InputError,
    NotEstimableError,
    OutcomesError,
    OutcomesWarning,
    SmallCellWarning,
    StatisticalWarning,
)
from .core.results import Estimate
from .model import schema
from .model.asof import as_of
from .model.imputed import ImputedCohort
from .model.cohort import Cohort
from .sources.counts import CountTable, pool, summarize
from .sources.scan import ScannedCohort, scan
from .privacy import (
    DeidentifiedExtract,
    ReidentificationRisk,
    deidentify,
    find_identifiers,
    new_key,
    reidentification_risk,
)
from .sources.extract import (IngestionReport, MappingDraft, derive_relapse, derive_retention, draft_mapping,
                              read_events, read_extract, read_interviews, validate_extract)
from .synthetic.scenario import SCENARIOS, Scenario
from .synthetic.cohorts import scenario_truth, synthetic_cohort
from .present.narrate import narrate

__version__ = "0.1.0"

__all__ = [
    "ArmComparison",
    "Balance",
    "EValue",
    "ParametricFits",
    "PropensityWeights",
    "Reconciliation",
    "CompetingRisks",
    "ExposureComparison",
    "SecondaryComparison",
    "Cohort",
    "TwinReport",
    "CountTable",
    "DeidentifiedExtract",
    "ReidentificationRisk",
    "ConvergenceError",
    "Estimate",
    "IngestionReport",
    "InputError",
    "NotEstimableError",
    "OutcomesError",
    "OutcomesWarning",
    "SCENARIOS",
    "ScannedCohort",
    "Scenario",
    "SmallCellWarning",
    "StatisticalWarning",
    "as_of",
    "balance",
    "claims",
    "disclosure",
    "e_value",
    "evidence",
    "fit_parametric",
    "power",
    "report",
    "propensity_weights",
    "compare_arms",
    "compare_exposure",
    "compare_landmark",
    "ImputedCohort",
    "impute",
    "compare_recurrent",
    "change_from_intake",
    "follow_up",
    "interview_schedule",
    "interview_worklist",
    "ChangeFromIntake",
    "FollowUpRates",
    "InterviewRules",
    "RecurrentComparison",
    "baseline_table",
    "BaselineTable",
    "compare_time_varying",
    "narrate",
    "pool",
    "read_extract",
    "read_events",
    "read_interviews",
    "draft_mapping",
    "MappingDraft",
    "reconcile",
    "compare_secondary",
    "derive_relapse",
    "derive_retention",
    "cumulative_incidence",
    "deidentify",
    "find_identifiers",
    "new_key",
    "reidentification_risk",
    "scenario_truth",
    "scan",
    "schema",
    "summarize",
    "synthetic_cohort",
    "synthetic_twin",
    "twin_report",
    "validate_extract",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """``oc.report``: the report and figures module, imported on first use (it loads matplotlib)."""
    if name == "report":
        from .outputs import report

        return report
    raise AttributeError(f"module 'outcomes' has no attribute {name!r}")

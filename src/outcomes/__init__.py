"""outcomes: trustworthy comparisons of clinical-only and peer-support-plus-clinical recovery programs.

Build a :class:`Cohort` (synthetic, from a program extract, or from any
analysis-ready frame), then compare the arms::

    import outcomes as oc
    cohort = oc.synthetic_cohort(n=2000, seed=0)
    res = oc.compare_arms(cohort, "relapse")
    res.hazard_ratio, res.survival_at([90, 180, 365])
"""

from . import claims, disclosure, power, report, schema
from .asof import as_of
from .cohort import Cohort
from .compare import ArmComparison, compare_arms
from .competing import CompetingRisks, cumulative_incidence
from .errors import (
    ConvergenceError,
    InputError,
    NotEstimableError,
    OutcomesError,
    OutcomesWarning,
    SmallCellWarning,
    StatisticalWarning,
)
from .narrate import narrate
from .reconcile import Reconciliation, reconcile
from .results import Estimate
from .scenario import SCENARIOS, Scenario
from .secondary import SecondaryComparison, compare_secondary
from .extrapolate import ParametricFits, fit_parametric
from .extract import IngestionReport, derive_relapse, derive_retention, read_extract, validate_extract
from .weighting import Balance, EValue, PropensityWeights, balance, e_value, propensity_weights
from .synthetic import scenario_truth, synthetic_cohort

__version__ = "0.1.0"

__all__ = [
    "ArmComparison",
    "Balance",
    "EValue",
    "ParametricFits",
    "PropensityWeights",
    "Reconciliation",
    "CompetingRisks",
    "SecondaryComparison",
    "Cohort",
    "ConvergenceError",
    "Estimate",
    "IngestionReport",
    "InputError",
    "NotEstimableError",
    "OutcomesError",
    "OutcomesWarning",
    "SCENARIOS",
    "Scenario",
    "SmallCellWarning",
    "StatisticalWarning",
    "as_of",
    "balance",
    "claims",
    "e_value",
    "fit_parametric",
    "power",
    "report",
    "propensity_weights",
    "compare_arms",
    "narrate",
    "read_extract",
    "reconcile",
    "compare_secondary",
    "derive_relapse",
    "derive_retention",
    "cumulative_incidence",
    "scenario_truth",
    "schema",
    "synthetic_cohort",
    "validate_extract",
    "__version__",
]

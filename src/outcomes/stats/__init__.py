"""Statistical kernels in vectorized numpy (counting, Kaplan-Meier, log-rank, Cox, competing risks, RMST,
logistic regression, one Newton solver), tested against R's ``survival`` package. They know nothing of
cohorts or presentation: arrays in, arrays and plain dataclasses out."""

from .cox import CoxFit, fit_cox
from .kaplan_meier import KaplanMeier, kaplan_meier, median_follow_up
from .logrank import LogRankStatistic, logrank_terms, logrank_test
from .rmst import restricted_mean

__all__ = [
    "CoxFit",
    "KaplanMeier",
    "LogRankStatistic",
    "fit_cox",
    "kaplan_meier",
    "logrank_terms",
    "logrank_test",
    "median_follow_up",
    "restricted_mean",
]

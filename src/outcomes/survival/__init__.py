"""Survival estimators in vectorized numpy, tested against R's ``survival`` package."""

from .cox import CoxFit, fit_cox
from .kaplan_meier import KaplanMeier, kaplan_meier, median_follow_up
from .logrank import LogRankTest, logrank_test
from .rmst import restricted_mean

__all__ = [
    "CoxFit",
    "KaplanMeier",
    "LogRankTest",
    "fit_cox",
    "kaplan_meier",
    "logrank_test",
    "median_follow_up",
    "restricted_mean",
]

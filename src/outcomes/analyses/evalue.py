"""The E-value (VanderWeele and Ding, Ann Intern Med 2017): how strong an unmeasured confounder would have to
be, with both the arm and the outcome, to explain an estimate away; with the common-outcome conversion of a
hazard ratio."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import InputError
from ..core.results import Estimate, Result
from ..core.style import OKABE_ITO, new_axes

__all__ = ["EValue", "e_value"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class EValue(Result):
    """E-values for a ratio estimate (VanderWeele and Ding, Ann Intern Med 2017).

    ``point``: the minimum strength of association (risk-ratio scale) an unmeasured
    confounder would need with both the arm and the outcome to explain the estimate
    away; ``ci``: the same for the confidence limit closest to 1 (1 if the interval
    includes 1).
    """

    measure: str
    estimate: float
    ci_lower: float
    ci_upper: float
    risk_ratio: float
    point: float
    ci: float
    conversion: str

    @property
    def title(self) -> str:
        return f"E-value for the {self.measure}: {self.point:.2f} (confidence limit: {self.ci:.2f})"

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"measure": self.measure, "estimate": self.estimate, "ci_lower": self.ci_lower,
                              "ci_upper": self.ci_upper, "risk_ratio_scale": self.risk_ratio,
                              "e_value": self.point, "e_value_ci": self.ci, "conversion": self.conversion}])

    def plot(self, ax=None):
        """The bias curve: confounder associations (RR_AU = RR_UY) that would explain the estimate away."""
        ax = new_axes(ax)
        rr = max(self.risk_ratio, 1 / self.risk_ratio)
        x = np.linspace(1.001, max(self.point * 3, 3), 200)
        y = rr * (1 - x) / (rr - x)  # RR_UY needed for a given RR_AU: RR_AU*RR_UY/(RR_AU+RR_UY-1) = rr
        ax.plot(x[x > rr], y[x > rr], color="black")
        ax.plot([self.point], [self.point], "o", color=OKABE_ITO[5])
        ax.set_xlabel("confounder-arm risk ratio")
        ax.set_ylabel("confounder-outcome risk ratio")
        ax.set_title(self.title, fontsize="medium")
        return ax


def _e(rr: float) -> float:
    rr = 1 / rr if rr < 1 else rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def e_value(estimate: Estimate, *, common_outcome: bool = True) -> EValue:
    """E-value of a risk ratio, rate ratio or hazard ratio estimate.

    A hazard ratio of a common outcome (more than 15% have the event by the end of
    follow-up, as relapse does) is first converted to the risk-ratio scale with
    ``(1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))``; for a rare outcome the HR is used
    as a risk ratio.

    Examples
    --------
    >>> from outcomes import Estimate
    >>> rr = Estimate(measure="risk ratio", value=3.9, ci_lower=1.8, ci_upper=8.7, p_value=0.001)
    >>> round(e_value(rr).point, 2), round(e_value(rr).ci, 2)   # VanderWeele & Ding's example
    (7.26, 3.0)
    """
    if not isinstance(estimate, Estimate):
        raise InputError(f"e_value takes an Estimate (e.g. compare_arms(...).hazard_ratio, or Estimate(measure="
                         f"'risk ratio', value=..., ci_lower=..., ci_upper=...)), not {type(estimate).__name__} "
                         f"{estimate!r}")
    measure = estimate.measure
    if not any(word in measure for word in ("ratio",)):
        raise InputError(f"the E-value is defined for ratio measures, not for a {measure}")

    def to_rr(v: float) -> float:
        if "hazard" in measure and common_outcome:
            return float((1 - 0.5 ** np.sqrt(v)) / (1 - 0.5 ** np.sqrt(1 / v)))
        return float(v)

    rr, lo, hi = to_rr(estimate.value), to_rr(estimate.ci_lower), to_rr(estimate.ci_upper)
    if lo <= 1 <= hi:
        ci = 1.0
    else:
        ci = _e(lo if rr > 1 else hi)
    conversion = ("hazard ratio of a common outcome converted: (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))"
                  if "hazard" in measure and common_outcome else "none (ratio used as a risk ratio)")
    return EValue(measure=measure, estimate=estimate.value, ci_lower=estimate.ci_lower, ci_upper=estimate.ci_upper,
                  risk_ratio=rr, point=_e(rr), ci=ci, conversion=conversion)

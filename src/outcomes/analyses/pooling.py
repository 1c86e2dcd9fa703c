"""Rubin's rules over results: the one home for pooling an analysis run on each completed cohort.

An analysis given an :class:`~outcomes.ImputedCohort` runs on each of its m completed cohorts and hands the m
results here; what comes back is the same type as one result, with:

- **model tables** (a Cox or regression model's ``term, coef, se``): pooled by :func:`outcomes.stats.rubin.rubin_pool`
  with Barnard-Rubin degrees of freedom from ``dfcom`` (events minus coefficients for a Cox model, as mice sets it),
  gaining ``df`` and ``fmi`` (fraction of missing information) columns;
- **estimates** (a hazard ratio, a risk difference): on the scale their interval was built on (log for ratios); an
  estimate from a bootstrap percentile interval carries no SE, so its SE is read from the interval's width
  (``(upper - lower) / (2 z)`` on that scale);
- **survival curves** (Kaplan-Meier, weighted or not): on the complementary log-log scale, ``log(-log S)``, with
  each curve's SE by the delta method (``se(H) / H``, ``H = -log S``), as Marshall, Altman and Holder (2009) and
  Morris et al. (2014) recommend (the scale on which the sampling distribution is closest to normal); where a
  curve is at 1 (before the first event) or 0 the pooled value is the mean and the interval undefined, as in R;
- **RMST**: on its own scale (days), with ``dfcom`` infinite (mice's default for a quantity that is not a
  regression coefficient: ``df`` is then Barnard-Rubin's ``(m - 1) / lambda^2``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.errors import NotEstimableError
from ..core.inference import normal_quantile
from ..core.results import ChiSquareTest, Estimate
from ..stats import KaplanMeier
from ..stats.counting import step_at
from ..stats.rubin import PooledEstimates, rubin_pool
from .arm_comparison import ArmComparison, km_frame, median_frame

__all__ = ["pooled_comparison", "pooled_curve", "pooled_estimate", "pooled_model_table"]


def pooled_model_table(tables: Sequence[pd.DataFrame], *, dfcom: float, alpha: float,
                       ratio: bool = True) -> tuple[pd.DataFrame, PooledEstimates]:
    """Pool m model tables (``term, coef, se``, the same terms in the same order) into one.

    ``ratio`` adds ``hazard_ratio`` and exponentiates the interval (a Cox table); otherwise the interval stays on
    the coefficient's scale. Returns the table (with ``df`` and ``fmi``) and the pooled quantities.

    Examples
    --------
    >>> t = [pd.DataFrame({"term": ["arm"], "coef": [c], "se": [0.1]}) for c in (-0.2, -0.3)]
    >>> table, _ = pooled_model_table(t, dfcom=100, alpha=0.05)
    >>> round(float(table.coef.iloc[0]), 2), list(table.columns)[-2:]
    (-0.25, ['df', 'fmi'])
    """
    terms = tables[0]["term"].tolist()
    if any(t["term"].tolist() != terms for t in tables):
        raise NotEstimableError("the completed data sets' models have different terms (a category level missing "
                                "from one imputation): the model cannot be pooled")
    pooled = rubin_pool(np.array([t["coef"].to_numpy(float) for t in tables]),
                        np.array([t["se"].to_numpy(float) for t in tables]), dfcom=dfcom, terms=terms, alpha=alpha)
    frame = pd.DataFrame({"term": terms, "coef": pooled.estimate, "se": pooled.se})
    if ratio:
        frame["hazard_ratio"] = np.exp(pooled.estimate)
    back = np.exp if ratio else (lambda x: x)
    frame = frame.assign(ci_lower=back(pooled.ci_lower), ci_upper=back(pooled.ci_upper), p_value=pooled.p_value,
                         df=pooled.df, fmi=pooled.fmi)
    return frame, pooled


def pooled_estimate(estimates: Sequence[Estimate], *, dfcom: float = np.inf, ratio: bool) -> Estimate:
    """Pool m estimates of one quantity on the scale of their intervals (log for ``ratio``).

    Examples
    --------
    >>> e = [Estimate.from_wald("hazard ratio", np.log(v), 0.1, 0.05, ratio=True) for v in (0.7, 0.8)]
    >>> round(pooled_estimate(e, dfcom=200, ratio=True).value, 3)  # exp(mean(log 0.7, log 0.8))
    0.748
    """
    first = estimates[0]
    scale = np.log if ratio else (lambda x: x)
    values = np.array([[scale(e.value)] for e in estimates], float)
    ses = np.array([[_se_of(e, scale)] for e in estimates], float)
    pooled = rubin_pool(values, ses, dfcom=dfcom, alpha=first.alpha)
    back = np.exp if ratio else (lambda x: x)
    return Estimate(measure=first.measure, value=float(back(pooled.estimate[0])),
                    ci_lower=float(back(pooled.ci_lower[0])), ci_upper=float(back(pooled.ci_upper[0])),
                    p_value=float(pooled.p_value[0]), alpha=first.alpha, se=float(pooled.se[0]))


def _se_of(estimate: Estimate, scale) -> float:
    """The estimate's SE, or (a bootstrap percentile interval) its interval's width over 2 z."""
    if np.isfinite(estimate.se):
        return float(estimate.se)
    return float((scale(estimate.ci_upper) - scale(estimate.ci_lower)) / (2 * normal_quantile(estimate.alpha)))


def pooled_curve(curves: Sequence[KaplanMeier], *, alpha: float) -> KaplanMeier:
    """Pool m survival curves of the same participants on the complementary log-log scale (see the module notes).

    The at-risk, event and censoring counts are the first curve's (imputation changes covariates, not times).

    Examples
    --------
    >>> from outcomes.stats import kaplan_meier
    >>> t, e = np.array([1.0, 2, 3, 4, 5]), np.array([1.0, 0, 1, 1, 0])
    >>> a, b = kaplan_meier(t, e), kaplan_meier(t, e, weights=np.array([1.0, 2, 1, 1, 1]))
    >>> round(float(pooled_curve([a, b], alpha=0.05).survival[0]), 3)  # exp(-exp(mean(log(-log S))))
    0.817
    """
    grid = curves[0].time
    survival = np.array([step_at(c.time, c.survival, grid, before=1.0) for c in curves])
    std_err = np.array([step_at(c.time, c.std_err, grid, before=0.0) for c in curves])
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = -np.log(survival)
        g, se_g = np.log(hazard), std_err / hazard
    usable = np.all(np.isfinite(g) & np.isfinite(se_g) & (se_g > 0), axis=0)
    mean_s = survival.mean(axis=0)
    lower, upper, err = np.full(len(grid), np.nan), np.full(len(grid), np.nan), np.zeros(len(grid))
    if usable.any():
        pooled = rubin_pool(g[:, usable], se_g[:, usable], dfcom=np.inf, alpha=alpha)
        mean_s[usable] = np.exp(-np.exp(pooled.estimate))
        lower[usable], upper[usable] = np.exp(-np.exp(pooled.ci_upper)), np.exp(-np.exp(pooled.ci_lower))
        err[usable] = pooled.se * np.exp(pooled.estimate)  # back on the cumulative-hazard scale, as R's std.err
    first = curves[0]
    return KaplanMeier(time=grid, n_at_risk=first.n_at_risk, events=first.events, censored=first.censored,
                       survival=mean_s, std_err=err, ci_lower=lower, ci_upper=upper, alpha=alpha)


def pooled_comparison(fits: Sequence[ArmComparison]) -> ArmComparison:
    """Pool m arm comparisons of the completed cohorts: the Cox model, and under IPTW (whose weights differ between
    imputations) the weighted curves, medians and RMST as well. Unweighted curves, the log-rank test and RMST use
    no covariate and are the same in every completed cohort; the proportional-hazards test is the first completed
    data set's (Rubin's rules do not pool a test statistic), and the note says so."""
    first, m, alpha = fits[0], len(fits), fits[0].alpha
    cox, pooled = pooled_model_table([f.cox for f in fits], dfcom=first.cox_events - len(first.cox), alpha=alpha)
    hr = Estimate(measure="hazard ratio", value=float(cox.hazard_ratio.iloc[0]), ci_lower=float(cox.ci_lower.iloc[0]),
                  ci_upper=float(cox.ci_upper.iloc[0]), p_value=float(cox.p_value.iloc[0]), alpha=alpha,
                  se=float(cox.se.iloc[0]))
    changes: dict[str, object] = {"cox": cox, "hazard_ratio": hr}
    if first.weights == "iptw":
        curves = {arm: pooled_curve([f.curves[arm] for f in fits], alpha=alpha) for arm in first.arms}
        rmst = first.rmst.copy()
        for k in range(len(rmst)):
            per_arm = [Estimate(measure="RMST", value=f.rmst.rmst.iloc[k], ci_lower=f.rmst.ci_lower.iloc[k],
                                ci_upper=f.rmst.ci_upper.iloc[k], p_value=np.nan, alpha=alpha, se=f.rmst.se.iloc[k])
                       for f in fits]
            one = pooled_estimate(per_arm, ratio=False)
            rmst.loc[k, ["rmst", "se", "ci_lower", "ci_upper"]] = [one.value, one.se, one.ci_lower, one.ci_upper]
        changes.update(curves=curves, km=km_frame(curves, first.arms), median=median_frame(curves, first.arms),
                       rmst=rmst, rmst_difference=pooled_estimate([f.rmst_difference for f in fits], ratio=False))
        z2 = float((cox.coef.iloc[0] / cox.se.iloc[0]) ** 2)
        changes["test"] = ChiSquareTest(name="robust Wald test of the IPTW-weighted Cox model, pooled", statistic=z2,
                                        df=1, p_value=hr.p_value)
    what = "The Cox model and the weighted curves and RMST are" if first.weights == "iptw" else "The Cox model is"
    scale = "; curves on the complementary log-log scale" if first.weights == "iptw" else ""
    note = (f"{what} pooled over {m} completed data sets by Rubin's rules (Barnard-Rubin degrees of freedom{scale}); "
            f"the fraction of missing information for the arm is {100 * pooled.fmi[0]:.0f}%; the "
            "proportional-hazards test is the first completed data set's.")
    return dataclasses.replace(first, caveats=(*first.caveats, note), **changes)  # type: ignore[arg-type]

"""The IPTW-weighted arm comparison behind ``compare_arms(..., weights="iptw")``.

From 2,000 weighted participants (:data:`ANALYTIC_FROM`) the intervals come from one fit, by stacked influence
functions that carry the propensity model's uncertainty (:mod:`outcomes.analyses.iptw_influence`); below it, as
follows. Point estimates use the stabilized weights; intervals follow the advice of the
lifelines maintainers (issues 396 and 1147) that weighted Greenwood intervals are
invalid: the Cox model uses the robust (sandwich) variance, and Kaplan-Meier
bands, medians and RMST use a seeded bootstrap that refits the propensity model
in every replicate (so the uncertainty of the weights is included). At-risk rows
keep the unweighted counts people can check. ``res.test`` is the robust Wald test
of the weighted Cox model; ``res.logrank`` stays the plain, unweighted log-rank test.

Bootstrap replicates whose propensity model cannot be fitted (a resample in which
a covariate level predicts the arm perfectly, common in small programs) are
counted and left out; when more than a tenth fail, the intervals are not estimable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from ..core.caveats import caveat
from ..core.errors import ConvergenceError, InputError, NotEstimableError
from ..core.results import ChiSquareTest, Estimate
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.outcome_registry import outcome_arrays
from ..core.inference import normal_quantile
from ..stats import KaplanMeier, fit_cox, kaplan_meier, logrank_test, restricted_mean
from ..stats.cox import cox_table
from ..stats.counting import risk_table, step_at
from ..stats.logistic import logistic_fit
from .arm_comparison import ArmComparison, LogRankTest, choose_horizon, km_frame, median_frame, require_events
from .propensity import PropensityWeights, stabilized_weights, truncate_weights, weights_and_design

__all__ = ["compare_weighted"]

#: Largest share of bootstrap replicates that may fail before the intervals are declared not estimable.
MAX_FAILED_SHARE = 0.10
#: From this many weighted participants on, ``variance="auto"`` uses the stacked influence functions of
#: :mod:`outcomes.analyses.iptw_influence` (one fit) instead of the bootstrap (refits): over 200 cohorts each
#: (benchmarks/iptw_variance.py) they covered the true marginal hazard ratio 96.0% of the time at 1,000
#: participants and 95.5% at 2,000, with SEs within 1% of the bootstrap's. Below 2,000 the bootstrap is cheap
#: (under half a second) and its percentile intervals need no large-sample approximation, so it is kept there.
ANALYTIC_FROM = 2000


@dataclass(frozen=True)
class _Draws:
    """Bootstrap replicates: each arm's weighted curve on the full-data time grid, and the RMST per arm."""

    curves: dict[str, np.ndarray]  # arm -> (B, len(times))
    rmst: np.ndarray  # (B, 2)
    failed: int
    caveats: tuple[str, ...] = ()


def compare_weighted(cohort: Cohort, outcome: str, adjust: tuple[str, ...], *, horizon: float | None,
                     alpha: float, trim: float | None, bootstrap: int,
                     seed: int | np.random.Generator, variance: str = "auto") -> ArmComparison:
    """The IPTW-weighted comparison (see the module docstring); called by :func:`outcomes.compare_arms`."""
    if not adjust:
        raise InputError("weights='iptw' needs the confounders of the propensity model: pass adjust=[...]")
    if bootstrap < 50:
        raise InputError(f"bootstrap must be at least 50 replicates for percentile intervals, not {bootstrap}")
    time, event, event_name = outcome_arrays(cohort, outcome)
    pw, X = weights_and_design(cohort, adjust, trim=trim)
    t, e, treated, w = time[pw.rows], event[pw.rows], pw.treated, pw.weights
    arms = cohort.arms
    masks = {arms[0]: ~treated, arms[1]: treated}
    counts = [{"arm": arm, "n": int(m.sum()), "events": int(e[m].sum())} for arm, m in masks.items()]
    require_events(counts, event_name)
    weighted = {arm: kaplan_meier(t[m], e[m], weights=w[m], alpha=alpha) for arm, m in masks.items()}
    tau, rule = choose_horizon(weighted, horizon)
    fit = _weighted_cox(t, e, treated, w, cohort.treatment)
    analytic = variance == "analytic" or (variance == "auto" and len(t) >= ANALYTIC_FROM)
    if analytic:
        curves, rmst, rmst_difference, cox, draws = _analytic(cohort, X, pw, t, e, masks, weighted, tau, fit, alpha)
    else:
        draws = _bootstrap(cohort, X, pw, t, e, weighted, tau, trim, bootstrap, seed)
        curves = {arm: _banded_curve(weighted[arm], t[m], e[m], draws.curves[arm], alpha)
                  for arm, m in masks.items()}
        rmst, rmst_difference = _bootstrap_rmst(weighted, arms, tau, draws.rmst, alpha)
        cox = fit.frame(alpha)
    row = cox.iloc[0]
    z2 = float((row.coef / row.se) ** 2)
    test = ChiSquareTest(name="robust Wald test of the IPTW-weighted Cox model", statistic=z2, df=1,
                         p_value=float(stats.chi2.sf(z2, 1)))
    logrank = LogRankTest.from_statistic(logrank_test(t, e, treated), arms)
    return ArmComparison(
        outcome=outcome, event=event_name, arms=arms, alpha=alpha, km=km_frame(curves, arms),
        median=median_frame(curves, arms), logrank=logrank, test=test, cox=cox,
        hazard_ratio=Estimate.from_wald("hazard ratio", row.coef, row.se, alpha, ratio=True),
        ph_test=fit.ph_test.replace({"term": {s.ARM: cox.term.iloc[0]}}), rmst=rmst,
        rmst_difference=rmst_difference, horizon=tau, horizon_rule=rule, counts=pd.DataFrame(counts),
        adjust=tuple(adjust), strata=None, robust=True, cox_n=fit.n, cox_events=fit.events,
        n_excluded=pw.n_excluded, curves=curves, weights="iptw", propensity=pw,
        bootstrap=0 if analytic else bootstrap - draws.failed,
        bootstrap_failed=draws.failed, caveats=(*pw.caveats, *draws.caveats),
    )


def _bootstrap(cohort: Cohort, X: np.ndarray, pw: PropensityWeights, t: np.ndarray, e: np.ndarray,
               weighted: dict[str, KaplanMeier], tau: float, trim: float | None, replicates: int,
               seed: int | np.random.Generator) -> _Draws:
    """Resample participants, refit the propensity model (design ``X``), recompute the weighted curves and
    RMST."""
    treated = pw.treated
    rng = np.random.default_rng(seed)
    n = len(pw.rows)
    arms = cohort.arms
    curves = {arm: np.full((replicates, len(km.time)), np.nan) for arm, km in weighted.items()}
    rmst = np.full((replicates, 2), np.nan)
    failed = 0
    for b in range(replicates):
        idx = rng.integers(0, n, n)
        tr_b = treated[idx]
        if tr_b.all() or not tr_b.any():  # a resample with one arm only
            failed += 1
            continue
        try:
            score = special.expit(X[idx] @ logistic_fit(X[idx], tr_b.astype(float)))
        except ConvergenceError:
            failed += 1
            continue
        w_b, _ = truncate_weights(stabilized_weights(tr_b, score, True), trim)
        for k, (arm, m) in enumerate(((arms[0], ~tr_b), (arms[1], tr_b))):
            km_b = kaplan_meier(t[idx][m], e[idx][m], weights=w_b[m])
            curves[arm][b] = step_at(km_b.time, km_b.survival, weighted[arm].time, before=1.0)
            rmst[b, k] = restricted_mean(km_b, tau)[0]
    if failed > MAX_FAILED_SHARE * replicates:
        raise NotEstimableError(
            f"the IPTW intervals are not estimable: the propensity model could not be refitted in {failed} of "
            f"{replicates} bootstrap resamples (a covariate level predicts the arm perfectly in many resamples); "
            "adjust for fewer or coarser covariates"
        )
    caveats = (caveat(f"{failed} of {replicates} bootstrap replicates could not refit the propensity model and "
                      "were left out of the IPTW intervals", stacklevel=4),) if failed else ()
    return _Draws(curves=curves, rmst=rmst, failed=failed, caveats=caveats)


def _banded_curve(km_w: KaplanMeier, t: np.ndarray, e: np.ndarray, draws: np.ndarray, alpha: float) -> KaplanMeier:
    """The weighted curve with percentile bootstrap bands and the unweighted at-risk counts."""
    plain = risk_table(t, e)
    lower = np.nanpercentile(draws, 100 * alpha / 2, axis=0)
    upper = np.nanpercentile(draws, 100 * (1 - alpha / 2), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        std_err = np.nanstd(-np.log(draws), axis=0)
    return KaplanMeier(time=km_w.time, n_at_risk=plain.n_risk, events=plain.events, censored=plain.censored,
                       survival=km_w.survival, std_err=std_err, ci_lower=lower, ci_upper=upper, alpha=alpha)


def _bootstrap_rmst(weighted: dict[str, KaplanMeier], arms: tuple[str, str], tau: float, draws: np.ndarray,
                    alpha: float) -> tuple[pd.DataFrame, Estimate]:
    """RMST per arm and their difference, with bootstrap SEs and percentile intervals."""
    lo_q, hi_q = 100 * alpha / 2, 100 * (1 - alpha / 2)
    rows = []
    for k, arm in enumerate(arms):
        rows.append({"arm": arm, "rmst": restricted_mean(weighted[arm], tau)[0],
                     "se": float(np.nanstd(draws[:, k], ddof=1)),
                     "ci_lower": float(np.nanpercentile(draws[:, k], lo_q)),
                     "ci_upper": float(np.nanpercentile(draws[:, k], hi_q))})
    rmst = pd.DataFrame(rows)
    diffs = draws[:, 1] - draws[:, 0]
    diff = float(rmst.rmst.iloc[1] - rmst.rmst.iloc[0])
    wald = Estimate.from_wald("RMST difference (days)", diff, float(np.nanstd(diffs, ddof=1)), alpha, ratio=False)
    return rmst, Estimate(measure=wald.measure, value=diff, ci_lower=float(np.nanpercentile(diffs, lo_q)),
                          ci_upper=float(np.nanpercentile(diffs, hi_q)), p_value=wald.p_value, alpha=alpha,
                          se=wald.se)


def _analytic(cohort: Cohort, X: np.ndarray, pw: PropensityWeights, t: np.ndarray, e: np.ndarray,
              masks: dict[str, np.ndarray], weighted: dict[str, KaplanMeier], tau: float, fit, alpha: float):
    """Curves, RMST and the Cox model with the stacked influence functions' variances (no refit); ``X`` is the
    propensity model's design."""
    from .iptw_influence import arm_hazard, cox_se, km_with_influence, propensity_influence, rmst_influence

    raw = stabilized_weights(pw.treated, pw.score, pw.stabilized)
    ps = propensity_influence(X, pw.treated, pw.score, pw.weights, pw.stabilized, fixed=raw != pw.weights)
    z = normal_quantile(alpha)
    curves, influence = {}, {}
    for arm, m in masks.items():
        members, w = np.flatnonzero(m), pw.weights[m]
        hazard = arm_hazard(t[m], e[m], w, members, len(t))
        curves[arm] = km_with_influence(hazard, w, ps, weighted[arm], z)
        influence[arm] = rmst_influence(hazard, w, t[m], members, ps, weighted[arm], tau)
    arms = cohort.arms
    rows = []
    for arm in arms:
        value, se = restricted_mean(weighted[arm], tau)[0], float(np.sqrt(np.sum(influence[arm] ** 2)))
        lower, upper = Estimate.from_wald("RMST", value, se, alpha, ratio=False).interval
        rows.append({"arm": arm, "rmst": value, "se": se, "ci_lower": lower, "ci_upper": upper})
    rmst = pd.DataFrame(rows)
    diff_se = float(np.sqrt(np.sum((influence[arms[1]] - influence[arms[0]]) ** 2)))  # the shared part once
    difference = Estimate.from_wald("RMST difference (days)", float(rmst.rmst.iloc[1] - rmst.rmst.iloc[0]), diff_se,
                                    alpha, ratio=False)
    se = cox_se(pw.treated, t, e, pw.weights, float(fit.coef[0]), ps)
    cox = cox_table(fit.terms, fit.coef, np.array([se]), alpha)
    return curves, rmst, difference, cox, _Draws(curves={}, rmst=np.zeros((0, 2)), failed=0)


def _weighted_cox(t: np.ndarray, e: np.ndarray, treated: np.ndarray, w: np.ndarray, treatment: str):
    """The marginal Cox model: the arm only, IPTW weights, robust SEs."""
    return fit_cox(treated[:, None].astype(float), t, e, terms=[f"{s.ARM}{treatment}"], weights=w, robust=True)

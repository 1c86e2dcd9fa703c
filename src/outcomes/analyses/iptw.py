"""The IPTW-weighted arm comparison behind ``compare_arms(..., weights="iptw")``.

Point estimates use the stabilized weights; intervals follow the advice of the
lifelines maintainers (issues 396 and 1147) that weighted Greenwood intervals are
invalid: the Cox model uses the robust (sandwich) variance, and Kaplan-Meier
bands, medians and RMST use a seeded bootstrap that refits the propensity model
in every replicate (so the uncertainty of the weights is included). At-risk rows
keep the unweighted counts people can check.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..data import schema as s
from ..data.cohort import Cohort
from .design import design_matrix
from ..core.errors import InputError, NotEstimableError, StatisticalWarning
from ..core.results import Estimate
from ..stats import KaplanMeier, LogRankTest, fit_cox, kaplan_meier, restricted_mean
from ..stats.counting import risk_table
from .weighting import _stabilized, _truncate, logistic_fit, propensity_weights

__all__ = ["compare_arms_iptw"]


def _curve_on(times: np.ndarray, km: KaplanMeier) -> np.ndarray:
    """A Kaplan-Meier step function evaluated at ``times``."""
    pos = np.searchsorted(km.time, times, side="right") - 1
    return np.where(pos >= 0, km.survival[np.maximum(pos, 0)], 1.0)


def compare_arms_iptw(cohort: Cohort, outcome: str, adjust: Sequence[str], *, horizon: float | None, alpha: float,
                      trim: float | None, bootstrap: int, seed: int | np.random.Generator):
    from .compare import ArmComparison, outcome_arrays

    if not adjust:
        raise InputError("weights='iptw' needs the confounders of the propensity model: pass adjust=[...]")
    if bootstrap < 50:
        raise InputError(f"bootstrap must be at least 50 replicates for percentile intervals, not {bootstrap}")
    time, event, event_name = outcome_arrays(cohort, outcome)
    pw = propensity_weights(cohort, adjust, trim=trim)
    rows, treated, w = pw.rows, pw.treated, pw.weights
    t, e = time[rows], event[rows]
    arms = cohort.arms
    masks = {arms[0]: ~treated, arms[1]: treated}
    counts = []
    for arm, m in masks.items():
        counts.append({"arm": arm, "n": int(m.sum()), "events": int(e[m].sum())})
        if not e[m].any():
            raise NotEstimableError(f"arm {arm!r} has no {event_name} events: the weighted comparison is not estimable")
    weighted = {arm: kaplan_meier(t[m], e[m], weights=w[m], alpha=alpha) for arm, m in masks.items()}
    last = {arm: float(km.time[-1]) for arm, km in weighted.items()}
    common = min(last.values())
    if horizon is None:
        tau, rule = common, "the largest time both arms still have at risk"
    else:
        tau = float(horizon)
        if not 0 < tau <= common:
            raise InputError(f"horizon {tau:g} days must be positive and within both arms' follow-up (<= {common:g})")
        rule = "as requested"

    # ---- bootstrap: resample participants, refit the propensity model, recompute everything
    design = design_matrix(cohort.df, cohort.treatment, adjust)
    X = np.column_stack([np.ones(len(rows)), design.X[:, 1:]])
    rng = np.random.default_rng(seed)
    n = len(rows)
    boot_curves = {arm: np.empty((bootstrap, len(km.time))) for arm, km in weighted.items()}
    boot_rmst = np.empty((bootstrap, 2))
    for b in range(bootstrap):
        idx = rng.integers(0, n, n)
        tr_b = treated[idx]
        score = 1 / (1 + np.exp(-(X[idx] @ logistic_fit(X[idx], tr_b.astype(float)))))
        w_b, _ = _truncate(_stabilized(tr_b, score, True), trim)
        for k, (arm, m) in enumerate(((arms[0], ~tr_b), (arms[1], tr_b))):
            km_b = kaplan_meier(t[idx][m], e[idx][m], weights=w_b[m])
            boot_curves[arm][b] = _curve_on(weighted[arm].time, km_b)
            boot_rmst[b, k] = _rmst_on(km_b, tau)
    lo_q, hi_q = 100 * alpha / 2, 100 * (1 - alpha / 2)

    curves, km_frames, median_rows, rmst_rows = {}, [], [], []
    for k, (arm, m) in enumerate(masks.items()):
        km_w = weighted[arm]
        plain = risk_table(t[m], e[m])  # unweighted counts for the at-risk rows
        lower = np.percentile(boot_curves[arm], lo_q, axis=0)
        upper = np.percentile(boot_curves[arm], hi_q, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            std_err = np.nanstd(-np.log(boot_curves[arm]), axis=0)
        curve = KaplanMeier(time=km_w.time, n_at_risk=plain.n_risk, events=plain.events, censored=plain.censored,
                            survival=km_w.survival, std_err=std_err, ci_lower=lower, ci_upper=upper, alpha=alpha)
        curves[arm] = curve
        km_frames.append(curve.frame().drop(columns="censored").assign(arm=arm))
        median_rows.append({"arm": arm, **dict(zip(("median", "ci_lower", "ci_upper"), curve.median()))})
        value = _rmst_on(km_w, tau)
        rmst_rows.append({"arm": arm, "rmst": value, "se": float(np.std(boot_rmst[:, k], ddof=1)),
                          "ci_lower": float(np.percentile(boot_rmst[:, k], lo_q)),
                          "ci_upper": float(np.percentile(boot_rmst[:, k], hi_q))})
    km = pd.concat(km_frames, ignore_index=True)[["arm", "time", "n_at_risk", "events", "survival", "ci_lower",
                                                  "ci_upper"]]
    rmst = pd.DataFrame(rmst_rows)
    diffs = boot_rmst[:, 1] - boot_rmst[:, 0]
    diff = float(rmst.rmst.iloc[1] - rmst.rmst.iloc[0])
    diff_se = float(np.std(diffs, ddof=1))
    rmst_difference = Estimate(measure="RMST difference (days)", value=diff,
                               ci_lower=float(np.percentile(diffs, lo_q)), ci_upper=float(np.percentile(diffs, hi_q)),
                               p_value=float(2 * stats.norm.sf(abs(diff / diff_se))), alpha=alpha, se=diff_se)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        fit = fit_cox(treated[:, None].astype(float), t, e, terms=[f"{s.ARM}{cohort.treatment}"], weights=w,
                      robust=True)
    cox = fit.frame(alpha)
    row = cox.iloc[0]
    hazard_ratio = Estimate(measure="hazard ratio", value=float(row.hazard_ratio), ci_lower=float(row.ci_lower),
                            ci_upper=float(row.ci_upper), p_value=float(row.p_value), alpha=alpha, se=float(row.se))
    z2 = float((row.coef / row.se) ** 2)
    logrank = LogRankTest(statistic=z2, df=1, p_value=float(stats.chi2.sf(z2, 1)),
                          per_arm=_weighted_observed_expected(t, e, treated, w, arms),
                          method="robust Wald test of the IPTW-weighted Cox model")
    return ArmComparison(
        outcome=outcome, event=event_name, arms=arms, alpha=alpha, km=km, median=pd.DataFrame(median_rows),
        logrank=logrank, cox=cox, hazard_ratio=hazard_ratio,
        ph_test=fit.ph_test.replace({"term": {s.ARM: cox.term.iloc[0]}}), rmst=rmst,
        rmst_difference=rmst_difference, horizon=tau, horizon_rule=rule, counts=pd.DataFrame(counts),
        adjust=tuple(adjust), strata=None, robust=True, cox_n=fit.n, cox_events=fit.events,
        n_excluded=pw.n_excluded, curves=curves, weights="iptw", propensity=pw, bootstrap=bootstrap,
    )


def _rmst_on(km: KaplanMeier, tau: float) -> float:
    return restricted_mean(km, tau)[0]


def _weighted_observed_expected(t, e, treated, w, arms) -> pd.DataFrame:
    """Weighted observed and expected events per arm (the log-rank's O and E on the weighted data)."""
    from ..stats.counting import index_times

    ix = index_times(t)
    U = len(ix.times)
    n_all = np.cumsum(np.bincount(ix.inverse, weights=w, minlength=U)[::-1])[::-1]
    n_trt = np.cumsum(np.bincount(ix.inverse, weights=w * treated, minlength=U)[::-1])[::-1]
    d_all = np.bincount(ix.inverse, weights=w * e, minlength=U)
    d_trt = np.bincount(ix.inverse, weights=w * e * treated, minlength=U)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_trt = np.nansum(np.where(n_all > 0, d_all * n_trt / n_all, 0.0))
    observed = [float(d_all.sum() - d_trt.sum()), float(d_trt.sum())]
    expected = [float(d_all.sum() - e_trt), float(e_trt)]
    return pd.DataFrame({"arm": list(arms), "observed": observed, "expected": expected})

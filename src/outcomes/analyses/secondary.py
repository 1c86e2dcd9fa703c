"""Secondary outcomes the articles cite: aftercare, attendance, healthcare visits, crisis admissions,
symptom scores and days of use, compared between arms with statsmodels.

=====================  ======================================  ==========================================
outcome                model                                   estimate (peer support vs clinical only)
=====================  ======================================  ==========================================
aftercare_engaged      modified Poisson (log link, robust SE)  risk ratio (and risk difference)
sessions_attended      negative binomial, exposure exit_days   rate ratio per day in treatment
ed_visits_12m          negative binomial, exposure 12 months   rate ratio per person-year
mh_admissions_12m      negative binomial, exposure 12 months   rate ratio per person-year
mh_score               ANCOVA: 12-month score on baseline      adjusted mean difference; relative reductions
use_days               ANCOVA: follow-up on baseline           adjusted mean difference; relative reductions
=====================  ======================================  ==========================================

Exposure for the 12-month counts is ``min(followup_days, 365)`` when the cohort
has ``followup_days`` (the synthetic cohorts do), else equal exposure is assumed
and said. Rows with a missing outcome (or zero exposure) are left out, counted
and reported in a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..data import schema as s
from ..data.cohort import Cohort
from .design import design_matrix
from ..core.errors import ConvergenceError, InputError, NotEstimableError, StatisticalWarning
from ..core.results import Estimate, Result, adjustment_phrase, new_axes

__all__ = ["SecondaryComparison", "compare_secondary", "SECONDARY"]

#: outcome name -> (kind, columns)
SECONDARY = {
    "aftercare_engaged": ("binary", ("aftercare_engaged",)),
    "sessions_attended": ("count", ("sessions_attended",)),
    "ed_visits_12m": ("count", ("ed_visits_12m",)),
    "mh_admissions_12m": ("count", ("mh_admissions_12m",)),
    "mh_score": ("score", ("mh_score_baseline", "mh_score_12m")),
    "use_days": ("score", ("use_days_baseline", "use_days_followup")),
}
_ALIASES = {"mh_score_12m": "mh_score", "use_days_followup": "use_days"}


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class SecondaryComparison(Result):
    """A secondary outcome compared between arms.

    Attributes
    ----------
    outcome : str
    measure : str
        ``"risk ratio"``, ``"rate ratio"`` or ``"adjusted mean difference"``.
    estimate : Estimate
        Peer support + clinical vs clinical only.
    per_arm : DataFrame
        ``arm, n, mean`` (proportion, rate per exposure unit, or follow-up mean) and,
        for scores, ``baseline_mean`` and ``relative_reduction``.
    secondary_estimates : DataFrame
        Further estimates with CIs: the risk difference (binary), the ratio of relative
        reductions (scores); ``measure, value, ci_lower, ci_upper, p_value``.
    model : DataFrame
        ``term, coef, se, ci_lower, ci_upper, p_value`` of the fitted model (link scale).
    n_used, n_excluded : int
    exposure : str
    adjust : tuple of str
    alpha : float
    """

    outcome: str
    measure: str
    estimate: Estimate
    per_arm: pd.DataFrame
    secondary_estimates: pd.DataFrame
    model: pd.DataFrame
    n_used: int
    n_excluded: int
    exposure: str
    adjust: tuple[str, ...]
    arms: tuple[str, str]
    alpha: float
    weights: str | None = None

    @property
    def title(self) -> str:
        adj = adjustment_phrase(self.adjust, self.weights)
        return f"{self.outcome}: {self.measure}, {s.arm_label(self.arms[1])} vs {s.arm_label(self.arms[0])}{adj}"

    def table(self) -> pd.DataFrame:
        main = self.estimate.table()
        return pd.concat([main, self.secondary_estimates], ignore_index=True)

    def notes(self) -> list[str]:
        lines = [f"Exposure: {self.exposure}."]
        if self.n_excluded:
            lines.append(f"{self.n_excluded} participants without a value were left out.")
        return lines

    def plot(self, ax=None):
        """The per-arm means (proportions, rates or follow-up scores)."""
        ax = new_axes(ax)
        from .compare import ARM_COLORS

        labels = [s.arm_label(a) for a in self.per_arm["arm"]]
        ax.bar(labels, self.per_arm["mean"], color=ARM_COLORS)
        ax.set_ylabel(self.per_arm_label)
        ax.set_title(self.title, fontsize="medium")
        return ax

    @property
    def per_arm_label(self) -> str:
        return {"risk ratio": "proportion", "rate ratio": f"rate ({self.exposure})"}.get(self.measure, "mean at follow-up")


def _resolve(outcome: str) -> str:
    name = _ALIASES.get(outcome, outcome)
    if name not in SECONDARY:
        raise InputError(f"unknown secondary outcome {outcome!r}; choose one of {list(SECONDARY)}")
    return name


def _exposure(df: pd.DataFrame, name: str) -> tuple[np.ndarray | None, str]:
    if name == "sessions_attended":
        if s.EXIT_DAYS in df:
            return df[s.EXIT_DAYS].to_numpy(float), "days in treatment (exit_days)"
    elif name in ("ed_visits_12m", "mh_admissions_12m"):
        if "followup_days" in df:
            return np.minimum(df["followup_days"].to_numpy(float), 365.0) / 365.0, "person-years in the first 12 months"
    return None, "equal for everyone (no exposure column in this cohort)"


def _table(names: list[str], coef: np.ndarray, se: np.ndarray, alpha: float) -> pd.DataFrame:
    z = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame({"term": names, "coef": coef, "se": se, "ci_lower": coef - z * se, "ci_upper": coef + z * se,
                         "p_value": 2 * stats.norm.sf(np.abs(coef / se))})


def _ratio_estimate(measure: str, row: pd.Series, alpha: float) -> Estimate:
    return Estimate(measure=measure, value=float(np.exp(row.coef)), ci_lower=float(np.exp(row.ci_lower)),
                    ci_upper=float(np.exp(row.ci_upper)), p_value=float(row.p_value), alpha=alpha, se=float(row.se))


def _fit(model_fn, what: str):
    import statsmodels.tools.sm_exceptions as sme

    with warnings.catch_warnings():
        warnings.simplefilter("error", sme.ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return model_fn()
        except (sme.ConvergenceWarning, np.linalg.LinAlgError, sme.PerfectSeparationError) as exc:
            raise ConvergenceError(f"the {what} did not converge: {exc}") from None


def compare_secondary(
    cohort: Cohort, outcome: str = "ed_visits_12m", *, adjust: Sequence[str] = (), weights: str | None = None,
    alpha: float = 0.05,
) -> SecondaryComparison:
    """Compare a secondary outcome between the arms.

    Parameters
    ----------
    cohort : Cohort
    outcome : str
        One of ``aftercare_engaged``, ``sessions_attended``, ``ed_visits_12m``,
        ``mh_admissions_12m``, ``mh_score``, ``use_days``.
    adjust : sequence of str
        Covariates added to the model (numeric as is, text dummy-coded); with
        ``weights="iptw"``, the confounders of the propensity model instead.
    weights : None or "iptw"
        ``"iptw"``: stabilized inverse probability of treatment weights on ``adjust``;
        the model then has the arm only (a marginal effect) with robust (sandwich)
        SEs, and counts use a weighted Poisson model (robust to overdispersion).
    alpha : float

    Examples
    --------
    >>> import outcomes as oc
    >>> cohort = oc.synthetic_cohort(n=3000, seed=2, randomized=True)
    >>> res = oc.compare_secondary(cohort, "aftercare_engaged")
    >>> res.measure, bool(res.estimate.value > 1)
    ('risk ratio', True)
    """
    import statsmodels.api as sm

    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    name = _resolve(outcome)
    kind, columns = SECONDARY[name]
    df = cohort.df
    missing_cols = [c for c in columns if c not in df.columns]
    if missing_cols:
        raise InputError(f"this cohort has no {missing_cols[0]!r} column, needed for the {name} comparison")
    adjust = tuple(adjust)
    exposure, exposure_text = _exposure(df, name) if kind == "count" else (None, "not applicable")
    usable = np.ones(len(df), dtype=bool)
    for c in columns:
        usable &= df[c].notna().to_numpy()
    if exposure is not None:
        usable &= exposure > 0
    if weights not in (None, "iptw"):
        raise InputError(f"weights must be None or 'iptw', not {weights!r}")
    design = design_matrix(df, cohort.treatment, adjust)
    usable &= design.complete
    iptw = np.ones(len(df))
    if weights == "iptw":
        from .weighting import propensity_weights

        if not adjust:
            raise InputError("weights='iptw' needs the confounders of the propensity model: pass adjust=[...]")
        pw = propensity_weights(cohort, adjust)
        iptw = np.zeros(len(df))
        iptw[pw.rows] = pw.weights
        design = design_matrix(df, cohort.treatment, ())  # marginal model: the arm only
    n_excluded = int((~usable).sum())
    arm_values = df[s.ARM].to_numpy()
    for arm in cohort.arms:
        if (usable & (arm_values == arm)).sum() < 2:
            raise NotEstimableError(f"arm {arm!r} has fewer than 2 participants with a usable {name} value")
    if n_excluded:
        warnings.warn(
            f"{n_excluded} of {len(df)} participants have no usable {name} value "
            f"({'missing value, zero exposure or missing covariate'}) and are left out",
            StatisticalWarning, stacklevel=2,
        )
    rows = usable[design.complete]
    X = sm.add_constant(design.X[rows], has_constant="add")
    w = iptw[usable]
    terms = ["(intercept)", *design.terms]
    treated = X[:, 1] == 1
    for arm, mask in zip(cohort.arms, (~treated, treated)):
        if mask.sum() < 2:
            raise NotEstimableError(f"arm {arm!r} has fewer than 2 participants with a {name} value")
    data = df.loc[usable]
    z = stats.norm.ppf(1 - alpha / 2)
    extra = pd.DataFrame(columns=["measure", "value", "ci_lower", "ci_upper", "p_value"])

    if kind == "binary":
        y = data[columns[0]].to_numpy(float)
        fit = _fit(lambda: sm.GLM(y, X, family=sm.families.Poisson(), var_weights=w).fit(cov_type="HC0"),
                   "modified Poisson model")
        model = _table(terms, fit.params, fit.bse, alpha)
        estimate = _ratio_estimate("risk ratio", model.iloc[1], alpha)
        p1, p0 = y[treated].mean(), y[~treated].mean()
        n1, n0 = treated.sum(), (~treated).sum()
        se = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        diff = p1 - p0
        extra = pd.DataFrame([{"measure": "risk difference (unadjusted)", "value": diff, "ci_lower": diff - z * se,
                               "ci_upper": diff + z * se, "p_value": 2 * stats.norm.sf(abs(diff / se))}])
        per_arm = pd.DataFrame({"arm": list(cohort.arms), "n": [int(n0), int(n1)], "mean": [p0, p1]})
        measure = "risk ratio"
    elif kind == "count":
        y = data[columns[0]].to_numpy(float)
        e = exposure[usable] if exposure is not None else np.ones(len(y))
        if weights == "iptw":  # weighted Poisson with sandwich SEs: consistent for the rate ratio under overdispersion
            fit = _fit(lambda: sm.GLM(y, X, family=sm.families.Poisson(), exposure=e, var_weights=w).fit(
                cov_type="HC0"), "weighted Poisson model")
            model = _table(terms, np.asarray(fit.params), np.asarray(fit.bse), alpha)
        else:
            # start Newton from the Poisson fit (alpha 0.5): the default start fails on rare counts
            poisson = _fit(lambda: sm.GLM(y, X, family=sm.families.Poisson(), exposure=e).fit(), "Poisson model")
            nb = _fit(lambda: sm.NegativeBinomial(y, X, exposure=e).fit(
                start_params=np.append(poisson.params, 0.5), method="newton", disp=0, maxiter=300),
                "negative binomial model")
            model = _table([*terms, "alpha (overdispersion)"], np.asarray(nb.params), np.asarray(nb.bse), alpha)
        estimate = _ratio_estimate("rate ratio", model.iloc[1], alpha)
        per_arm = pd.DataFrame({"arm": list(cohort.arms), "n": [int((~treated).sum()), int(treated.sum())],
                                "mean": [y[~treated].sum() / e[~treated].sum(), y[treated].sum() / e[treated].sum()]})
        measure = "rate ratio"
    else:
        base, follow = data[columns[0]].to_numpy(float), data[columns[1]].to_numpy(float)
        Xs = np.column_stack([X, base])
        ols = sm.WLS(follow, Xs, weights=w).fit(cov_type="HC0") if weights == "iptw" else sm.OLS(follow, Xs).fit()
        model = _table([*terms, columns[0]], np.asarray(ols.params), np.asarray(ols.bse), alpha)
        row = model.iloc[1]
        tq = stats.t.ppf(1 - alpha / 2, ols.df_resid)
        estimate = Estimate(measure="adjusted mean difference", value=float(row.coef),
                            ci_lower=float(row.coef - tq * row.se), ci_upper=float(row.coef + tq * row.se),
                            p_value=float(ols.pvalues[1]), alpha=alpha, se=float(row.se))
        reductions = [_relative_reduction(base[m], follow[m]) for m in (~treated, treated)]
        per_arm = pd.DataFrame({
            "arm": list(cohort.arms), "n": [int((~treated).sum()), int(treated.sum())],
            "mean": [follow[~treated].mean(), follow[treated].mean()],
            "baseline_mean": [base[~treated].mean(), base[treated].mean()],
            "relative_reduction": [r for r, _ in reductions],
            "relative_reduction_se": [se for _, se in reductions],
        })
        (r0, se0), (r1, se1) = reductions
        rows_extra = []
        for arm, (r, se_r) in zip(cohort.arms, reductions):
            rows_extra.append({"measure": f"relative reduction, {arm}", "value": r, "ci_lower": r - z * se_r,
                               "ci_upper": r + z * se_r, "p_value": 2 * stats.norm.sf(abs(r / se_r))})
        if r0 > 0 and r1 > 0:
            log_ratio = np.log(r1 / r0)
            se_log = np.hypot(se1 / r1, se0 / r0)
            rows_extra.append({"measure": "ratio of relative reductions", "value": r1 / r0,
                               "ci_lower": np.exp(log_ratio - z * se_log), "ci_upper": np.exp(log_ratio + z * se_log),
                               "p_value": 2 * stats.norm.sf(abs(log_ratio / se_log))})
        extra = pd.DataFrame(rows_extra)
        measure = "adjusted mean difference"

    return SecondaryComparison(
        outcome=name, measure=measure, estimate=estimate, per_arm=per_arm, secondary_estimates=extra, model=model,
        n_used=int(usable.sum()), n_excluded=n_excluded, exposure=exposure_text, adjust=adjust,
        arms=cohort.arms, alpha=alpha, weights=weights,
    )


def _relative_reduction(base: np.ndarray, follow: np.ndarray) -> tuple[float, float]:
    """``1 - mean(follow) / mean(base)`` for paired scores, with its delta-method SE."""
    n = len(base)
    mb, mf = base.mean(), follow.mean()
    ratio = mf / mb
    cov = np.cov(np.vstack([follow, base]), ddof=1) / n
    var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / mb**2
    return float(1 - ratio), float(np.sqrt(var))

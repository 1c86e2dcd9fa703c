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

import dataclasses

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..model import schema as s
from ..model.cohort import Cohort
from ..model.imputed import ImputedCohort
from ..core.inference import wald
from ..model.outcome_registry import SecondaryOutcome, secondary_outcome
from ..model.design_matrix import column_names, design_matrix
from ..stats.count_models import negative_binomial_fit, poisson_fit
from ..stats.least_squares import least_squares
from .pooling import pooled_model_table
from .propensity import propensity_weights
from ..core.errors import ConvergenceError, InputError, NotEstimableError
from ..core.caveats import caveat
from ..core.disclosure import show_count
from ..core.results import Estimate, Result, adjustment_phrase
from ..core.style import ARM_COLORS, new_axes

__all__ = ["SecondaryComparison", "compare_secondary"]


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
    method_notes : tuple of str
        Anything the reader must know about how the estimate was made (e.g. a fallback model).
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
    method_notes: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        adj = adjustment_phrase(self.adjust, self.weights)
        return f"{self.outcome}: {self.measure}, {s.arm_label(self.arms[1])} vs {s.arm_label(self.arms[0])}{adj}"

    @property
    def effect(self) -> Estimate:
        """The headline effect: :attr:`estimate` (risk ratio, rate ratio or adjusted mean difference)."""
        return self.estimate

    def table(self) -> pd.DataFrame:
        main = self.estimate.table()
        return pd.concat([main, self.secondary_estimates], ignore_index=True)

    def notes(self) -> list[str]:
        lines = [f"Exposure: {self.exposure}.", *self.method_notes]
        if self.n_excluded:
            lines.append(f"{show_count(self.n_excluded)} participants without a value were left out.")
        return lines

    def plot(self, ax=None):
        """The per-arm means (proportions, rates or follow-up scores)."""
        ax = new_axes(ax)

        labels = [s.arm_label(a) for a in self.per_arm["arm"]]
        ax.bar(labels, self.per_arm["mean"], color=ARM_COLORS)
        ax.set_ylabel(self.per_arm_label)
        ax.set_title(self.title, fontsize="medium")
        return ax

    @property
    def per_arm_label(self) -> str:
        labels = {"risk ratio": "proportion", "rate ratio": f"rate ({self.exposure})"}
        return labels.get(self.measure, "mean at follow-up")


@dataclass(frozen=True)
class _Data:
    """The rows a secondary comparison uses, and how it models them."""

    spec: SecondaryOutcome
    frame: pd.DataFrame  # the usable rows
    X: np.ndarray  # intercept, arm, covariates
    terms: list[str]
    treated: np.ndarray
    weights: np.ndarray  # IPTW weights, or ones
    exposure: np.ndarray | None
    exposure_text: str
    n_excluded: int
    caveats: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Model:
    measure: str
    estimate: Estimate
    per_arm: pd.DataFrame
    extra: pd.DataFrame
    model: pd.DataFrame
    notes: tuple[str, ...] = ()


_NO_EXTRA = pd.DataFrame(columns=["measure", "value", "ci_lower", "ci_upper", "p_value"])


def _wald_table(names: list[str], coef: np.ndarray, se: np.ndarray, alpha: float) -> pd.DataFrame:
    lower, upper, p_value = wald(np.asarray(coef, dtype=float), np.asarray(se, dtype=float), alpha)
    return pd.DataFrame({"term": names, "coef": coef, "se": se, "ci_lower": lower, "ci_upper": upper,
                         "p_value": p_value})


def _fit(model_fn, what: str):
    """Fit a statsmodels model; failures become ConvergenceError, and a fit with non-finite estimates too."""
    import statsmodels.tools.sm_exceptions as sme

    with warnings.catch_warnings():
        warnings.simplefilter("error", sme.ConvergenceWarning)
        warnings.simplefilter("error", sme.SingularMatrixWarning)  # collinear columns: no unique estimate
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            fit = model_fn()
        except sme.SingularMatrixWarning:
            raise ConvergenceError(f"the {what} cannot be fitted: its covariates are collinear (one is constant "
                                   "among these participants, or duplicates another); adjust for fewer") from None
        except (sme.ConvergenceWarning, np.linalg.LinAlgError, sme.PerfectSeparationError, ValueError) as exc:
            raise ConvergenceError(f"the {what} did not converge: {exc}") from None
    if not (np.all(np.isfinite(np.asarray(fit.params))) and np.all(np.isfinite(np.asarray(fit.bse)))):
        raise ConvergenceError(f"the {what} gave no finite estimate or standard error")
    return fit


def _prepare(cohort: Cohort, spec: SecondaryOutcome, adjust: tuple[str, ...], weights: str | None) -> _Data:
    """The usable rows (value present, exposure positive, covariates complete), the design and the weights."""
    df = cohort.df
    missing_cols = [c for c in spec.column_names if c not in df.columns]
    if missing_cols:
        raise InputError(f"this cohort has no {missing_cols[0]!r} column, needed for the {spec.name} comparison")
    exposure = spec.exposure.values(df) if spec.exposure is not None else None
    exposure_text = (spec.exposure.words if spec.exposure is not None and exposure is not None else
                     "equal for everyone (no exposure column in this cohort)" if spec.kind == "count" else
                     "not applicable")
    usable = np.logical_and.reduce([df[c].notna().to_numpy() for c in spec.column_names])
    if exposure is not None:
        usable &= exposure > 0
    design = design_matrix(df, cohort.treatment, adjust)
    usable &= design.complete
    iptw = np.ones(len(df))
    if weights == "iptw":
        pw = propensity_weights(cohort, adjust)
        iptw = np.zeros(len(df))
        iptw[pw.rows] = pw.weights
        design = design_matrix(df, cohort.treatment, ())  # marginal model: the arm only
    n_excluded = int((~usable).sum())
    caveats = (caveat(f"{show_count(n_excluded)} of {show_count(len(df))} participants have no usable value of "
                      f"{spec.words} (missing value, zero exposure or missing covariate) and are left out",
                      stacklevel=3),) if n_excluded else ()
    rows = design.X[usable[design.complete]]
    treated = rows[:, 0] == 1
    for arm, mask in zip(cohort.arms, (~treated, treated)):
        if mask.sum() < 2:
            raise NotEstimableError(f"arm {arm!r} has fewer than 2 participants with a usable value of {spec.words}")
    X = np.column_stack([np.ones(len(rows)), rows])  # the intercept first
    return _Data(spec=spec, frame=df.loc[usable], X=X, terms=["(intercept)", *design.terms], treated=treated,
                 weights=iptw[usable], exposure=None if exposure is None else exposure[usable],
                 exposure_text=exposure_text, n_excluded=n_excluded, caveats=caveats)


def _binary(d: _Data, arms: tuple[str, str], alpha: float) -> _Model:
    """Modified Poisson (log link, robust SE): the risk ratio; and the unadjusted risk difference."""
    y = d.frame[d.spec.column_names[0]].to_numpy(float)
    t = d.treated
    for arm, mask in zip(arms, (~t, t)):
        if not y[mask].any():
            raise NotEstimableError(f"nobody in arm {arm!r} has {d.spec.words}: the risk ratio would be 0 or "
                                    "infinite")
    model = _wald_table(d.terms, *_robust_poisson(y, d.X, np.ones(len(y)), d.weights, "modified Poisson model"),
                        alpha)
    p1, p0 = y[t].mean(), y[~t].mean()
    se = np.sqrt(p1 * (1 - p1) / t.sum() + p0 * (1 - p0) / (~t).sum())
    diff = Estimate.from_wald("risk difference (unadjusted)", p1 - p0, se, alpha, ratio=False)
    per_arm = pd.DataFrame({"arm": list(arms), "n": [int((~t).sum()), int(t.sum())], "mean": [p0, p1]})
    return _Model("risk ratio", _arm_ratio("risk ratio", model, alpha), per_arm, diff.table(), model)


def _count(d: _Data, arms: tuple[str, str], alpha: float, weighted: bool) -> _Model:
    """Negative binomial with exposure (weighted: Poisson with sandwich SEs); the rate ratio."""
    y = d.frame[d.spec.column_names[0]].to_numpy(float)
    return count_rate_ratio(y, d.exposure, d.X, d.terms, d.treated, d.weights, arms, d.spec.words, alpha, weighted)


def count_rate_ratio(y: np.ndarray, exposure: np.ndarray | None, X: np.ndarray, terms: list[str], treated: np.ndarray,
                     weights: np.ndarray, arms: tuple[str, str], words: str, alpha: float, weighted: bool) -> _Model:
    """The rate ratio of counts ``y`` over ``exposure`` (person-time) by arm: the package's one count model,
    used by the secondary outcomes and by recurrent relapses.

    Negative binomial with exposure (weighted: Poisson with sandwich SEs). When the negative binomial's
    overdispersion cannot be estimated (rare counts, or no extra variation), the rate ratio comes from a Poisson
    model with robust (sandwich) SEs, as R users do with ``sandwich::vcovHC``, and the result says so.
    """
    e = exposure if exposure is not None else np.ones(len(y))
    t = treated
    for arm, mask in zip(arms, (~t, t)):
        if not y[mask].any():
            raise NotEstimableError(f"arm {arm!r} has no {words} at all: the rate ratio would be 0 or infinite")
    per_arm = pd.DataFrame({"arm": list(arms), "n": [int((~t).sum()), int(t.sum())],
                            "mean": [y[~t].sum() / e[~t].sum(), y[t].sum() / e[t].sum()]})

    def robust_poisson(what: str) -> pd.DataFrame:
        return _wald_table(terms, *_robust_poisson(y, X, e, weights, what), alpha)

    notes: tuple[str, ...] = ()
    if weighted:  # consistent for the rate ratio under overdispersion
        model = robust_poisson("weighted Poisson model")
    else:
        try:
            params, se = _negative_binomial(y, X, e)
            model = _wald_table([*terms, "alpha (overdispersion)"], params, se, alpha)
        except ConvergenceError:
            model = robust_poisson("Poisson model with robust SEs")
            notes = ("The negative binomial model could not estimate the overdispersion of these counts; the rate "
                     "ratio is from a Poisson model with robust (sandwich) standard errors instead.",)
    return _Model("rate ratio", _arm_ratio("rate ratio", model, alpha), per_arm, _NO_EXTRA, model, notes)


def _robust_poisson(y: np.ndarray, X: np.ndarray, e: np.ndarray, weights: np.ndarray,
                    what: str) -> tuple[np.ndarray, np.ndarray]:
    """A Poisson model's coefficients with sandwich (HC0) SEs, case-weighted: the package's own Newton-Raphson
    (0.9 s through statsmodels' GLM for a binary outcome of 1M participants, about 0.3 s this way, equal to
    1e-6: measured and tested), statsmodels for the fits it declines."""
    try:
        fit = poisson_fit(X, y, e, weights=weights, robust=True)
        return fit.params, fit.se
    except (ConvergenceError, np.linalg.LinAlgError):
        pass
    import statsmodels.api as sm

    glm = _fit(lambda: sm.GLM(y, X, family=sm.families.Poisson(), exposure=e, var_weights=weights).fit(
        cov_type="HC0"), what)
    return np.asarray(glm.params), np.asarray(glm.bse)


def _negative_binomial(y: np.ndarray, X: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The NB2 coefficients (then alpha) and their SEs, Newton-Raphson from the Poisson fit with overdispersion
    0.5 (the default start fails on rare counts). The package's own solver first (2.2-2.8 s an outcome through
    statsmodels at 1M participants, about 0.6 s this way, equal to 1e-6: measured and tested); statsmodels for
    the fits it declines, whose failure is the caller's ConvergenceError."""
    try:
        fit = negative_binomial_fit(X, y, e)
        return fit.params, fit.se
    except (ConvergenceError, np.linalg.LinAlgError):
        pass
    import statsmodels.api as sm

    poisson = _fit(lambda: sm.GLM(y, X, family=sm.families.Poisson(), exposure=e).fit(), "Poisson model")
    nb = _fit(lambda: sm.NegativeBinomial(y, X, exposure=e).fit(
        start_params=np.append(poisson.params, 0.5), method="newton", disp=0, maxiter=300),
        "negative binomial model")
    return np.asarray(nb.params), np.asarray(nb.bse)


def _score(d: _Data, arms: tuple[str, str], alpha: float, weighted: bool) -> _Model:
    """ANCOVA of the follow-up value on the baseline value; relative reductions per arm and their ratio."""
    base_col, follow_col = d.spec.column_names
    base, follow = d.frame[base_col].to_numpy(float), d.frame[follow_col].to_numpy(float)
    Xs = np.column_stack([d.X, base])
    try:
        ols = least_squares(follow, Xs, d.weights if weighted else None, robust=weighted)
    except (ConvergenceError, np.linalg.LinAlgError):
        raise ConvergenceError("the ANCOVA model cannot be fitted: its covariates are collinear (one is constant "
                               "among these participants, or duplicates another); adjust for fewer") from None
    model = _wald_table([*d.terms, base_col], ols.params, ols.se, alpha)
    row = model.iloc[1]
    tq = stats.t.ppf(1 - alpha / 2, ols.df_resid)
    estimate = Estimate(measure="adjusted mean difference", value=float(row.coef),
                        ci_lower=float(row.coef - tq * row.se), ci_upper=float(row.coef + tq * row.se),
                        p_value=float(ols.p_value[1]), alpha=alpha, se=float(row.se))
    t = d.treated
    reductions = [_relative_reduction(base[m], follow[m]) for m in (~t, t)]
    per_arm = pd.DataFrame({
        "arm": list(arms), "n": [int((~t).sum()), int(t.sum())], "mean": [follow[~t].mean(), follow[t].mean()],
        "baseline_mean": [base[~t].mean(), base[t].mean()],
        "relative_reduction": [r for r, _ in reductions], "relative_reduction_se": [se for _, se in reductions],
    })
    extra = [Estimate.from_wald(f"relative reduction, {arm}", r, se_r, alpha, ratio=False).table()
             for arm, (r, se_r) in zip(arms, reductions)]
    (r0, se0), (r1, se1) = reductions
    if r0 > 0 and r1 > 0:
        ratio = Estimate.from_wald("ratio of relative reductions", np.log(r1 / r0), np.hypot(se1 / r1, se0 / r0),
                                   alpha, ratio=True)
        extra.append(ratio.table())
    return _Model("adjusted mean difference", estimate, per_arm, pd.concat(extra, ignore_index=True), model)


def _arm_ratio(measure: str, model: pd.DataFrame, alpha: float) -> Estimate:
    row = model.iloc[1]
    return Estimate.from_wald(measure, row.coef, row.se, alpha, ratio=True)


def _checked_arguments(alpha: float, adjust: Sequence[str] | str, weights: str | None) -> tuple[str, ...]:
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if weights not in (None, "iptw"):
        raise InputError(f"weights must be None or 'iptw', not {weights!r}")
    adjust = column_names(adjust, "adjust")
    if weights == "iptw" and not adjust:
        raise InputError("weights='iptw' needs the confounders of the propensity model: pass adjust=[...]")
    return adjust


def compare_secondary(
    cohort: Cohort | ImputedCohort, outcome: str = "ed_visits_12m", *, adjust: Sequence[str] | str = (),
    weights: str | None = None,
    alpha: float = 0.05,
) -> SecondaryComparison:
    """Compare a secondary outcome between the arms (the model follows the outcome's kind in the registry).

    Parameters
    ----------
    cohort : Cohort
    outcome : str
        A secondary outcome of :data:`outcomes.model.outcome_registry.SECONDARY_OUTCOMES` (``aftercare_engaged``,
        ``sessions_attended``, ``ed_visits_12m``, ``mh_admissions_12m``, ``mh_score``, ``use_days``), or
        one of its columns.
    adjust : str or sequence of str
        Covariates added to the model (numeric as is, text dummy-coded); with
        ``weights="iptw"``, the confounders of the propensity model instead.
    weights : None or "iptw"
        ``"iptw"``: stabilized inverse probability of treatment weights on ``adjust``;
        the model then has the arm only (a marginal effect) with robust (sandwich)
        SEs, and counts use a weighted Poisson model (robust to overdispersion).
    alpha : float

    Raises
    ------
    InputError
        An unknown outcome, a missing column, bad arguments.
    NotEstimableError
        Fewer than 2 usable values in an arm, an arm without any event or count (the ratio would be 0 or
        infinite), or a model that cannot be fitted.

    Examples
    --------
    >>> import outcomes as oc
    >>> cohort = oc.synthetic_cohort(n=3000, seed=2, randomized=True)
    >>> res = oc.compare_secondary(cohort, "aftercare_engaged")
    >>> res.measure, bool(res.estimate.value > 1)
    ('risk ratio', True)
    """
    adjust = _checked_arguments(alpha, adjust, weights)
    if isinstance(cohort, ImputedCohort):
        return _pooled(cohort, outcome, adjust, weights, alpha)
    spec = secondary_outcome(outcome)
    data = _prepare(cohort, spec, adjust, weights)
    try:
        fit = (_binary(data, cohort.arms, alpha) if spec.kind == "binary"
               else (_count if spec.kind == "count" else _score)(data, cohort.arms, alpha, weights == "iptw"))
    except ConvergenceError as exc:
        raise NotEstimableError(f"{spec.name}: {exc}") from None
    return SecondaryComparison(
        outcome=spec.name, measure=fit.measure, estimate=fit.estimate, per_arm=fit.per_arm,
        secondary_estimates=fit.extra, model=fit.model, n_used=len(data.frame), n_excluded=data.n_excluded,
        exposure=data.exposure_text, adjust=adjust, arms=cohort.arms, alpha=alpha, weights=weights,
        method_notes=fit.notes, caveats=data.caveats,
    )


def _pooled(imputed: ImputedCohort, outcome: str, adjust: tuple[str, ...], weights: str | None,
            alpha: float) -> SecondaryComparison:
    """The comparison on each completed cohort, its model pooled by Rubin's rules (dfcom: rows used minus
    coefficients, as mice sets it for a regression). The per-arm summaries use no covariate: the same in each."""
    fits = [compare_secondary(c, outcome, adjust=adjust, weights=weights, alpha=alpha) for c in imputed.completed]
    first = fits[0]
    ratio = first.measure != "adjusted mean difference"
    model, pooled = pooled_model_table([f.model for f in fits], dfcom=first.n_used - len(first.model), alpha=alpha,
                                       ratio=False)
    value, lower, upper = (float(np.exp(x[1]) if ratio else x[1])
                           for x in (pooled.estimate, pooled.ci_lower, pooled.ci_upper))
    estimate = Estimate(measure=first.measure, value=value, ci_lower=lower, ci_upper=upper,
                        p_value=float(pooled.p_value[1]), alpha=alpha, se=float(pooled.se[1]))
    note = (f"Pooled over {imputed.m} completed data sets by Rubin's rules; the further estimates (risk difference, "
            "ratio of reductions) are not pooled and are left out.")
    return dataclasses.replace(first, estimate=estimate, model=model, secondary_estimates=first.secondary_estimates
                               .iloc[0:0], method_notes=(*first.method_notes, note))


def _relative_reduction(base: np.ndarray, follow: np.ndarray) -> tuple[float, float]:
    """``1 - mean(follow) / mean(base)`` for paired scores, with its delta-method SE."""
    n = len(base)
    mb, mf = base.mean(), follow.mean()
    ratio = mf / mb
    cov = np.cov(np.vstack([follow, base]), ddof=1) / n
    var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / mb**2
    return float(1 - ratio), float(np.sqrt(var))

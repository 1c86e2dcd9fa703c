"""Propensity weighting for self-selected arms: IPTW weights and covariate balance.

When people choose peer support, those who join differ from those who do not.
Inverse probability of treatment weighting (IPTW) re-weights each arm to the
covariate mix of the whole cohort, so the weighted comparison estimates the
*marginal* effect (what would happen if everyone, versus no one, had peer
support added), provided every confounder is among the covariates
(:mod:`outcomes.analyses.evalue` says how strong an unmeasured one would have to be).

- :func:`propensity_weights`: logistic propensity model (Newton-Raphson; statsmodels for collinear designs),
  stabilized weights ``P(arm) / P(arm | covariates)``, optional truncation at
  quantiles, and positivity diagnostics;
- :func:`balance`: standardized mean differences before and after weighting,
  with a love plot.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from ..model import schema as s
from ..model.labels import variable_words
from ..model.cohort import Cohort
from ..model.labels import level_label, variable_label
from ..model.design_matrix import DesignMatrix, design_matrix
from ..core.caveats import caveat, quiet_caveats
from ..core.disclosure import show_count
from ..core.errors import ConvergenceError, InputError, NotEstimableError
from ..core.results import Result
from ..core.style import ARM_COLORS, OKABE_ITO, new_axes
from ..core.formatting import plain
from ..stats.logistic import logistic_fit_and_information

__all__ = ["PropensityWeights", "Balance", "propensity_weights", "balance", "stabilized_weights", "truncate_weights"]

POSITIVITY_BOUNDS = (0.025, 0.975)


def stabilized_weights(treated: np.ndarray, score: np.ndarray, stabilized: bool) -> np.ndarray:
    share = treated.mean()
    if stabilized:
        return np.where(treated, share / score, (1 - share) / (1 - score))
    return np.where(treated, 1 / score, 1 / (1 - score))


def truncate_weights(w: np.ndarray, trim: float | None) -> tuple[np.ndarray, int]:
    if not trim:
        return w, 0
    lo, hi = np.quantile(w, [trim, 1 - trim])
    clipped = np.clip(w, lo, hi)
    return clipped, int((clipped != w).sum())


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class PropensityWeights(Result):
    """A fitted propensity model and the weights it gives.

    Attributes
    ----------
    covariates : tuple of str
    score : ndarray
        P(treatment arm | covariates) for each complete-case participant.
    weights : ndarray
        IPTW weights, aligned with ``rows``.
    rows : ndarray
        Positions (in ``cohort.df``) of the participants used (complete covariates).
    model : DataFrame
        ``term, coef, se, p_value`` of the logistic model.
    positivity : DataFrame
        Per arm: ``arm, n, score_min, score_max, outside_bounds, effective_n``.
    stabilized : bool
    trim : float or None
        Weights truncated at the ``trim`` and ``1 - trim`` quantiles.
    n_truncated, n_excluded : int
    caveats : tuple of str
        Positivity and missing covariates, as warned.
    """

    count_columns = ("n", "outside_bounds")

    covariates: tuple[str, ...]
    score: np.ndarray
    weights: np.ndarray
    rows: np.ndarray
    model: pd.DataFrame
    positivity: pd.DataFrame
    stabilized: bool
    trim: float | None
    n_truncated: int
    n_excluded: int
    arms: tuple[str, str]
    treated: np.ndarray  # True for the treatment arm, aligned with ``rows``
    caveats: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        kind = "stabilized " if self.stabilized else ""
        return f"Propensity model ({kind}IPTW weights) on {', '.join(variable_words(c) for c in self.covariates)}"

    def table(self) -> pd.DataFrame:
        return self.positivity

    def notes(self) -> list[str]:
        out = []
        if self.n_truncated:
            trim = float(self.trim or 0.0)  # a weight is truncated only under trim=
            out.append(f"{show_count(self.n_truncated)} weights were truncated at the {plain(trim)} and "
                       f"{plain(1 - trim)} quantiles.")
        if self.n_excluded:
            out.append(f"{show_count(self.n_excluded)} participants with a missing covariate have no weight and are "
                       "left out.")
        return out

    def plot(self, ax=None):
        """Propensity-score distributions by arm (overlap)."""

        ax = new_axes(ax)
        treated = self.treated
        bins = np.linspace(0, 1, 41)
        for label, mask, color in ((self.arms[0], ~treated, ARM_COLORS[0]), (self.arms[1], treated, ARM_COLORS[1])):
            ax.hist(self.score[mask], bins=bins, alpha=0.5, color=color, label=s.arm_label(label), density=True)
        ax.set_xlabel("propensity score: P(peer support | covariates)")
        ax.set_ylabel("density")
        ax.legend(frameon=False)
        return ax


def _check_overlap(design: DesignMatrix, treated: np.ndarray, arms: tuple[str, str]) -> None:
    """Before fitting: both arms present, and no covariate level found in one arm only (perfect separation)."""
    for arm, mask in zip(arms, (~treated, treated)):
        if not mask.any():
            raise NotEstimableError(f"arm {arm!r} has nobody with every covariate recorded: the propensity model "
                                    "is not estimable")
    X = design.X[:, 1:]  # whole-matrix reductions: a column at a time of a row-major matrix took 0.12 s at 1M rows
    same = X.max(axis=0) == X.min(axis=0)
    binary = np.all((X == 0.0) | (X == 1.0), axis=0)
    present, in_treated = X.sum(axis=0), treated.astype(float) @ X
    for j, term in enumerate(design.terms[1:]):
        if same[j]:
            raise NotEstimableError(f"covariate {term!r} is the same for everyone with complete data: drop it from "
                                    "the propensity model")
        for arm, elsewhere in ((arms[0], in_treated[j]), (arms[1], present[j] - in_treated[j])):
            if binary[j] and present[j] > 0 and elsewhere == 0:
                raise NotEstimableError(
                    f"everyone with {term!r} is in arm {arm!r}: that covariate level predicts the arm perfectly "
                    "(no overlap), so the propensity model cannot be fitted; merge the level with another, or "
                    "leave the covariate out")


def _positivity(score: np.ndarray, weights: np.ndarray, treated: np.ndarray, arms: tuple[str, str]) -> pd.DataFrame:
    """Per arm: participants, the range of their scores, how many fall outside the bounds, the effective n."""
    lo, hi = POSITIVITY_BOUNDS
    rows = []
    for arm, mask in ((arms[0], ~treated), (arms[1], treated)):
        w = weights[mask]
        rows.append({"arm": arm, "n": int(mask.sum()), "score_min": float(score[mask].min()),
                     "score_max": float(score[mask].max()),
                     "outside_bounds": int(((score[mask] < lo) | (score[mask] > hi)).sum()),
                     "effective_n": float(w.sum() ** 2 / (w**2).sum())})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class _LogisticFit:
    """The propensity model's coefficients, their SEs and Wald p-values, and the fitted scores."""

    params: np.ndarray
    bse: np.ndarray
    pvalues: np.ndarray
    fittedvalues: np.ndarray


def _fit_propensity(treated: np.ndarray, X: np.ndarray) -> _LogisticFit:
    """The logistic propensity model; a fit that fails or does not converge is not estimable.

    Newton-Raphson (:func:`outcomes.stats.logistic.logistic_fit`) first: measured on the 1M-participant report's
    design (12 columns), 0.32 s against 3.47 s for statsmodels' GLM, coefficients equal to 3e-13. A design it
    cannot fit (collinear columns in a tiny cohort, or separation) goes to statsmodels, whose pseudo-inverse
    gives the unique fitted scores of a collinear design and whose checks name the separation.
    """
    try:
        beta, information = logistic_fit_and_information(X, treated.astype(float))
    except (ConvergenceError, np.linalg.LinAlgError):
        return _fit_with_statsmodels(treated, X)
    score = special.expit(X @ beta)
    if np.linalg.cond(information) > 1e12:  # collinear columns: the coefficients are not unique
        return _fit_with_statsmodels(treated, X)
    se = np.sqrt(np.diag(np.linalg.inv(information)))
    return _LogisticFit(beta, se, 2 * stats.norm.sf(np.abs(beta / se)), score)


def _fit_with_statsmodels(treated: np.ndarray, X: np.ndarray) -> _LogisticFit:
    """statsmodels' GLM for the designs Newton-Raphson cannot fit; its failures become ConvergenceError."""
    import statsmodels.api as sm
    import statsmodels.tools.sm_exceptions as sme

    with warnings.catch_warnings():
        warnings.simplefilter("error", sme.ConvergenceWarning)
        warnings.simplefilter("error", sme.PerfectSeparationWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="statsmodels")
        # collinear covariates (a constant column in a tiny cohort): the coefficients are not unique but the
        # fitted scores, all the weights use, are; the positivity checks still apply
        warnings.simplefilter("ignore", sme.SingularMatrixWarning)
        try:
            fit = sm.GLM(treated.astype(float), X, family=sm.families.Binomial()).fit()
        except (sme.ConvergenceWarning, sme.PerfectSeparationWarning, sme.PerfectSeparationError,
                np.linalg.LinAlgError, ValueError) as exc:
            raise ConvergenceError(f"the propensity model could not be fitted ({exc}); a combination of "
                                   "covariates may predict the arm perfectly: adjust for fewer or coarser "
                                   "covariates") from None
    if not np.all(np.isfinite(np.asarray(fit.params))):
        raise ConvergenceError("the propensity model gave infinite coefficients (separation)")
    return _LogisticFit(np.asarray(fit.params), np.asarray(fit.bse), np.asarray(fit.pvalues),
                        np.asarray(fit.fittedvalues))


def propensity_weights(cohort: Cohort, covariates: Sequence[str], *, stabilized: bool = True,
                       trim: float | None = None) -> PropensityWeights:
    """Fit ``P(treatment arm | covariates)`` by logistic regression and return IPTW weights.

    Parameters
    ----------
    cohort : Cohort
    covariates : sequence of str
        Confounders: everything that affects both joining peer support and the outcome.
    stabilized, trim : bool, float
        Multiply by the marginal arm share (weights average about 1); truncate weights at the ``trim`` and
        ``1 - trim`` quantiles (e.g. 0.01).

    Warns
    -----
    StatisticalWarning
        Propensity scores outside [0.025, 0.975] (positivity), or missing covariates; kept in ``caveats``.

    Examples
    --------
    >>> import outcomes as oc
    >>> pw = oc.propensity_weights(oc.synthetic_cohort(n=3000, seed=1), ["co_occurring_mh", "prior_treatments"])
    >>> round(float(pw.weights.mean()), 1)
    1.0
    """
    return weights_and_design(cohort, covariates, stabilized=stabilized, trim=trim)[0]


def weights_and_design(cohort: Cohort, covariates: Sequence[str], *, stabilized: bool = True,
                       trim: float | None = None) -> tuple[PropensityWeights, np.ndarray]:
    """:func:`propensity_weights` and the model's design (intercept first, the complete rows), which the IPTW
    comparison's influence functions and bootstrap use (building it again took 0.15 s at 1M participants)."""
    covariates = tuple(covariates)
    if not covariates:
        raise InputError("propensity weighting needs covariates: pass adjust=[...] with the confounders")
    if trim is not None and not 0 < trim < 0.5:
        raise InputError(f"trim must be between 0 and 0.5 (a quantile), not {trim!r}")
    design = design_matrix(cohort.df, cohort.treatment, covariates)
    rows, treated = np.flatnonzero(design.complete), design.X[:, 0] == 1
    _check_overlap(design, treated, cohort.arms)
    X = np.column_stack([np.ones(len(design.X)), design.X[:, 1:]])  # the intercept first
    fit = _fit_propensity(treated, X)
    score = np.asarray(fit.fittedvalues)
    if not (np.all(np.isfinite(score)) and score.min() > 0 and score.max() < 1):
        raise NotEstimableError("some propensity scores are 0 or 1 (participants certain to be in one arm): there is "
                                "no overlap between the arms, so weighting cannot compare them; adjust for fewer "
                                "covariates or restrict the cohort")
    weights, n_truncated = truncate_weights(stabilized_weights(treated, score, stabilized), trim)
    model = pd.DataFrame({"term": ["(intercept)", *design.terms[1:]], "coef": np.asarray(fit.params),
                          "se": np.asarray(fit.bse), "p_value": np.asarray(fit.pvalues)})
    positivity = _positivity(score, weights, treated, cohort.arms)
    outside = int(positivity.outside_bounds.sum())
    lo, hi = POSITIVITY_BOUNDS
    caveats = []
    if outside:
        caveats.append(caveat(lambda n: f"positivity: {n(outside)} participants have a propensity score outside "
                              f"[{lo}, {hi}] (almost certain to be in one arm); their weights are extreme. Consider "
                              "trim=0.01, or restricting the cohort"))
    if design.n_missing:
        caveats.append(caveat(lambda n: f"{n(design.n_missing)} participants have a missing covariate and get no "
                              "weight (left out)"))
    return PropensityWeights(covariates=covariates, score=score, weights=weights, rows=rows, model=model,
                             positivity=positivity, stabilized=stabilized, trim=trim, n_truncated=n_truncated,
                             n_excluded=design.n_missing, arms=cohort.arms, treated=treated,
                             caveats=tuple(caveats)), X


# ------------------------------------------------------------------------------------------ balance
@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Balance(Result):
    """Standardized mean differences (treatment minus reference) before and after weighting."""

    rows: pd.DataFrame
    weighted: bool
    threshold: float = 0.1

    @property
    def title(self) -> str:
        what = "after IPTW" if self.weighted else "(unweighted: the SMD after repeats the SMD before)"
        return f"Covariate balance {what}; |SMD| < {self.threshold} is balanced"

    def table(self) -> pd.DataFrame:
        return self.rows

    def plot(self, ax=None):
        """Love plot: |SMD| per covariate before (open) and after (filled) weighting."""
        ax = new_axes(ax, figsize=(6.0, max(3.0, 0.28 * len(self.rows) + 1)))
        y = np.arange(len(self.rows))
        ax.scatter(self.rows.smd_before.abs(), y, facecolors="none", edgecolors=OKABE_ITO[5], label="before")
        ax.scatter(self.rows.smd_after.abs(), y, color=OKABE_ITO[0], label="after weighting")
        ax.axvline(self.threshold, color="grey", linestyle="--", linewidth=0.8)
        words = [variable_label(c) if ": " not in c else
                 f"{variable_label(c.split(': ')[0])}: {level_label(c.split(': ', 1)[1])}" for c in self.rows.covariate]
        ax.set_yticks(y, words, fontsize="small")
        ax.set_xlabel("absolute standardized mean difference")
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside the data
        ax.set_title("Covariate balance (love plot)", fontsize="medium")
        return ax


def _smd(x: np.ndarray, treated: np.ndarray, w: np.ndarray) -> float:
    def moments(arm_weights: np.ndarray) -> tuple[float, float]:  # dot products, no copy of the arm's rows
        total = arm_weights.sum()
        m = float(arm_weights @ x / total)
        return m, float(arm_weights @ (x - m) ** 2 / total)

    treated_weights = np.where(treated, w, 0.0)
    m1, v1 = moments(treated_weights)
    m0, v0 = moments(w - treated_weights)
    pooled = np.sqrt((v1 + v0) / 2)
    return float((m1 - m0) / pooled) if pooled > 0 else 0.0


def _weights_of(cohort: Cohort, covariates: Sequence[str], trim: float | None, propensity: PropensityWeights | None,
                rows: int) -> np.ndarray:
    """The IPTW weights of the complete rows: the given model's when it was fitted on these covariates and rows,
    else a new fit."""
    if propensity is not None:
        if tuple(propensity.covariates) != tuple(covariates) or len(propensity.weights) != rows:
            raise InputError("the propensity model given was fitted on other covariates or rows than these")
        return propensity.weights
    with quiet_caveats():  # balance shows the weights' effect; propensity_weights' own caveats are its own
        return propensity_weights(cohort, covariates, trim=trim).weights


def balance(cohort: Cohort, covariates: Sequence[str], weights: str | None = None, *,
            trim: float | None = None, propensity: PropensityWeights | None = None) -> Balance:
    """Standardized mean differences of each covariate (each level of a categorical one).

    Parameters
    ----------
    cohort : Cohort
    covariates : sequence of str
    weights : None or "iptw"
        ``"iptw"``: ``smd_after`` uses the stabilized IPTW weights of a propensity
        model on ``covariates``; None: no weighting (``smd_after`` equals ``smd_before``).
    propensity : PropensityWeights, optional
        A propensity model already fitted on this cohort and these covariates (an IPTW comparison's), whose
        weights are used instead of fitting it again (at 1M participants the refit took 4.5 s).

    Examples
    --------
    >>> import outcomes as oc
    >>> bal = oc.balance(oc.synthetic_cohort(n=3000, seed=1), ["co_occurring_mh", "age"], weights="iptw")
    >>> bal.table().columns.tolist()
    ['covariate', 'smd_before', 'smd_after']
    """
    if weights not in (None, "iptw"):
        raise InputError(f"weights must be None or 'iptw', not {weights!r}")
    design = design_matrix(cohort.df, cohort.treatment, covariates)
    treated = design.X[:, 0] == 1
    if weights == "iptw":
        w = _weights_of(cohort, covariates, trim, propensity, int(design.complete.sum()))
    else:
        w = np.ones(len(treated))
    ones = np.ones(len(treated))
    labels = {}
    for covariate, columns in design.term_columns.items():
        for j in columns:
            term = design.terms[j]
            labels[j] = covariate if term == covariate else f"{covariate}: {term[len(covariate):]}"
    rows = [{"covariate": labels[j], "smd_before": _smd(design.X[:, j], treated, ones),
             "smd_after": _smd(design.X[:, j], treated, w)} for j in range(1, len(design.terms))]
    return Balance(rows=pd.DataFrame(rows), weighted=weights == "iptw")

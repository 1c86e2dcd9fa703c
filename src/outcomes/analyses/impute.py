"""``impute``: multiple imputation of blank covariates by chained equations, instead of dropping people.

Each covariate with blanks is imputed in turn from all the others, the arm, the event indicator and the
Nelson-Aalen cumulative hazard at the participant's time (White and Royston's advice for survival outcomes), for
``iterations`` cycles, independently ``m`` times (as R's ``mice``):

- a number: predictive mean matching (mice's ``pmm``, type-1 matching): a linear model's coefficients are drawn
  from their posterior, each blank gets the observed value of one of the 5 participants whose predicted mean is
  closest to its own (so imputations are values that occur, within the observed range);
- a 0/1 number: a logistic model's coefficients drawn from their approximate posterior, then a Bernoulli draw;
- text (a category): a multinomial logistic model, drawn the same way.

The arm, outcomes, times and ids are predictors, never imputed. Pool the results with
:func:`outcomes.compare_arms` (Rubin's rules) on the :class:`~outcomes.ImputedCohort` this returns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.errors import InputError, NotEstimableError
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.imputed import ImputedCohort
from ..model.outcome_registry import TIME_TO_EVENT, outcome_arrays
from ..stats.counting import risk_table
from ..synthetic.cohorts import checked_seed

__all__ = ["impute"]

DONORS = 5
_NEVER = (s.PARTICIPANT_ID, s.ARM, s.ENROLL_DATE, s.FOLLOWUP_DAYS, s.EXPOSURE_START)


def impute(cohort: Cohort, *, m: int = 20, method: str = "pmm", seed: int = 0, include: Sequence[str] | None = None,
           outcome: str = "relapse", iterations: int = 10) -> ImputedCohort:
    """``m`` completed copies of the cohort, its blank covariates imputed by chained equations.

    Parameters
    ----------
    cohort : Cohort
    m, iterations : int
        Completed data sets (at least 2) and cycles through the covariates for each.
    method : {"pmm"}
        For numbers; 0/1 numbers and text get logistic and multinomial draws.
    seed : int
        The same seed gives the same imputations.
    include : columns, optional
        Default: the cohort's covariates that have blanks. Ids, arms, times and events are refused.
    outcome : {"relapse", "retention"}
        Whose event indicator and cumulative hazard enter every imputation model.

    Examples
    --------
    >>> import numpy as np, outcomes as oc
    >>> c = oc.synthetic_cohort(n=300, seed=1)
    >>> df = c.df.assign(age=c.df.age.where(np.arange(300) % 5 != 0))
    >>> gaps = oc.Cohort(df, reference="clinical", as_of=c.as_of, covariates=c.covariates)
    >>> imputed = oc.impute(gaps, m=3, seed=1)
    >>> imputed.m, int(imputed.completed[0].df.age.isna().sum())
    (3, 0)
    """
    columns = _checked(cohort, m, method, include, outcome, iterations)
    rng = np.random.default_rng(checked_seed(seed))
    time, event, _ = outcome_arrays(cohort, outcome)
    fixed = np.column_stack([np.ones(len(time)), (cohort.df[s.ARM].astype(str) == cohort.treatment).to_numpy(float),
                             event, _cumulative_hazard(time, event)])
    others = [c for c in cohort.covariates if c not in columns]
    completed = [_one_chain(cohort, columns, others, fixed, iterations, rng) for _ in range(int(m))]
    return ImputedCohort.from_completed(completed, blanks={c: cohort.df[c].isna().to_numpy() for c in columns})


def _checked(cohort: Cohort, m: int, method: str, include: Sequence[str] | None, outcome: str,
             iterations: int) -> list[str]:
    if not isinstance(cohort, Cohort):
        raise InputError(f"impute takes a Cohort, not {type(cohort).__name__}")
    if method != "pmm":
        raise InputError(f"method must be 'pmm' (numbers; 0/1 and text get logistic draws), not {method!r}")
    if not (isinstance(m, int) and m >= 2) or not (isinstance(iterations, int) and iterations >= 1):
        raise InputError(f"m must be a whole number >= 2 and iterations >= 1, not m={m!r}, iterations={iterations!r}")
    if outcome not in cohort.outcomes:
        raise InputError(f"the imputation models use the {outcome} outcome, which this cohort does not have")
    protected = {*_NEVER, *(c for spec in TIME_TO_EVENT.values() for c in (spec.time_column, spec.event_column))}
    columns = [c for c in cohort.covariates if cohort.df[c].isna().any()] if include is None else list(include)
    refused = [c for c in columns if c in protected]
    if refused:
        raise InputError(f"{refused[0]!r} is never imputed (ids, arms, times and events are what the imputations "
                         "are conditioned on); impute covariates only")
    unknown = [c for c in columns if c not in cohort.df.columns]
    if unknown:
        raise InputError(f"column {unknown[0]!r} is not in the cohort")
    if not columns:
        raise InputError("no covariate has a blank to impute (include= names none, or the covariates are complete)")
    empty = [c for c in columns if cohort.df[c].notna().sum() < 2]
    if empty:
        raise NotEstimableError(f"column {empty[0]!r} has fewer than 2 observed values: nothing to impute from")
    return columns


def _cumulative_hazard(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """The Nelson-Aalen cumulative hazard at each participant's own time."""
    rt = risk_table(time, event)
    cumulative = np.cumsum(np.where(rt.n_risk > 0, rt.events / np.maximum(rt.n_risk, 1), 0.0))
    return cumulative[np.searchsorted(rt.times, time, side="right") - 1]


def _one_chain(cohort: Cohort, columns: list[str], others: list[str], fixed: np.ndarray, iterations: int,
               rng: np.random.Generator) -> Cohort:
    df = cohort.df.copy()
    missing = {c: df[c].isna().to_numpy() for c in columns}
    for c in columns:  # start from random observed values
        observed = df.loc[~missing[c], c].to_numpy()
        df.loc[missing[c], c] = rng.choice(observed, size=int(missing[c].sum()))
    for _ in range(iterations):
        for c in columns:
            X = np.column_stack([fixed, _predictors(df, [o for o in [*columns, *others] if o != c])])
            df.loc[missing[c], c] = _draw(df[c], missing[c], X, rng)
    return Cohort(df, reference=cohort.reference, as_of=cohort.as_of, covariates=cohort.covariates,
                  provenance={**cohort.provenance, "imputed": columns}, arms=cohort.arms, copy=False)


def _predictors(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Numbers as they are (blanks of covariates not imputed: their mean), text as 0/1 dummies."""
    blocks = [np.zeros((len(df), 0))]
    for c in columns:
        values = df[c]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            x = values.to_numpy(float)
            blocks.append(np.where(np.isnan(x), np.nanmean(x), x)[:, None])
        else:
            levels = sorted(values.dropna().astype(str).unique())[1:]
            blocks.append(np.column_stack([(values.astype(str) == lv).to_numpy(float) for lv in levels])
                          if levels else np.zeros((len(df), 0)))
    return np.column_stack(blocks)


def _draw(values: pd.Series, missing: np.ndarray, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    observed = ~missing
    if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        return _multinomial(values.astype(str).to_numpy(), observed, X, rng)
    y = values.to_numpy(float)
    if set(np.unique(y[observed])) <= {0.0, 1.0}:
        return _logistic(y, observed, X, rng)
    return _pmm(y, observed, X, rng)


def _pmm(y: np.ndarray, observed: np.ndarray, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Predictive mean matching (type 1): the blank's mean under drawn coefficients, matched to the observed
    means under the fitted ones; one of the closest ``DONORS`` observed values."""
    Xo, yo = X[observed], y[observed]
    beta, *_ = np.linalg.lstsq(Xo, yo, rcond=None)
    residual = yo - Xo @ beta
    dof = max(len(yo) - np.linalg.matrix_rank(Xo), 1)
    sigma2 = float(residual @ residual) / rng.chisquare(dof)
    covariance = sigma2 * np.linalg.pinv(Xo.T @ Xo)
    drawn = rng.multivariate_normal(beta, covariance, method="eigh")
    own, blanks = Xo @ beta, X[~observed] @ drawn
    return yo[_nearest(own, blanks, min(DONORS, len(yo)), rng)]


def _nearest(own: np.ndarray, blanks: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """For each blank, one of the ``k`` observed participants whose predicted mean is closest, at random.

    The k closest lie within k places either side of the blank's place among the sorted means, so only those 2k
    are compared (a full blanks x observed distance matrix took 3.2 of 5.6 s imputing 10,000 participants)."""
    order = np.argsort(own, kind="stable")
    ranked = own[order]
    width = min(2 * k, len(ranked))
    first = np.clip(np.searchsorted(ranked, blanks) - k, 0, len(ranked) - width)
    window = first[:, None] + np.arange(width)[None, :]
    closest = np.argpartition(np.abs(ranked[window] - blanks[:, None]), k - 1, axis=1)[:, :k]
    chosen = closest[np.arange(len(blanks)), rng.integers(0, k, len(blanks))]
    return order[window[np.arange(len(blanks)), chosen]]


def _logistic(y: np.ndarray, observed: np.ndarray, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    beta, covariance = _fit_logit(X[observed], y[observed])
    drawn = rng.multivariate_normal(beta, covariance, method="eigh")
    p = 1 / (1 + np.exp(-np.clip(X[~observed] @ drawn, -30, 30)))
    return (rng.random(len(p)) < p).astype(float)


def _fit_logit(X: np.ndarray, y: np.ndarray, ridge: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Newton-Raphson with a small ridge (as mice augments the data: separation stays finite)."""
    beta = np.zeros(X.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(X @ beta, -30, 30)))
        information = X.T @ (X * (p * (1 - p))[:, None]) + ridge * np.eye(X.shape[1])
        step = np.linalg.solve(information, X.T @ (y - p) - ridge * beta)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta, np.linalg.inv(information)


def _multinomial(text: np.ndarray, observed: np.ndarray, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One-against-the-first logistic draws per level, combined into category probabilities."""
    levels = sorted(set(text[observed]))
    if len(levels) == 1:
        return np.full(int((~observed).sum()), levels[0], dtype=object)
    base = text[observed] == levels[0]
    scores = [np.zeros(int((~observed).sum()))]
    for level in levels[1:]:
        pair = base | (text[observed] == level)  # the level against the first, on their participants
        beta, covariance = _fit_logit(X[observed][pair], (text[observed][pair] == level).astype(float))
        scores.append(X[~observed] @ rng.multivariate_normal(beta, covariance, method="eigh"))
    logits = np.column_stack(scores)
    probability = np.exp(logits - logits.max(axis=1, keepdims=True))
    probability /= probability.sum(axis=1, keepdims=True)
    chosen = (probability.cumsum(axis=1) < rng.random(len(probability))[:, None]).sum(axis=1)
    return np.array(levels, dtype=object)[np.minimum(chosen, len(levels) - 1)]

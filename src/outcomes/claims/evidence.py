"""``oc.evidence``: what controlled studies found, pooled as R's ``metafor`` pools them.

:func:`meta_analysis` pools published estimates on the scale given (log risk ratios, log odds ratios, log hazard
ratios, mean differences) by inverse-variance weighting, as ``metafor::rma(yi, vi, method=...)`` with its default
z-tests:

- ``"FE"`` (fixed effect, also called common effect): weights ``1 / v_i``; tau-squared 0;
- ``"DL"`` (DerSimonian-Laird): ``tau2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w))``;
- ``"REML"`` (restricted maximum likelihood, metafor's default): Fisher scoring on the restricted likelihood
  from the Hedges estimate, ``tau2 <- tau2 + (y' P P y - tr P) / tr(P P)`` with ``P = W - W 1 1' W / sum W``,
  ``W = diag(1 / (v_i + tau2))``, steps halved to stay at or above 0, until tau2 changes by less than 1e-5, as
  metafor iterates.

Then the estimate is the weighted mean with weights ``1 / (v_i + tau2)`` and SE ``1 / sqrt(sum of them)``; the
interval and p-value are normal (z); ``Q`` is Cochran's heterogeneity statistic (fixed-effect weights) on ``k -
1`` degrees of freedom; I-squared is metafor's: ``100 tau2 / (tau2 + s2)`` with the typical within-study
variance ``s2 = (k - 1) sum w / ((sum w)^2 - sum w^2)`` (for FE, ``100 (Q - (k - 1)) / Q``, at least 0); the
95% prediction interval for a new study's effect is ``estimate -/+ z sqrt(se^2 + tau2)`` (for FE it equals the
confidence interval). Equal to metafor 3.8 on its BCG vaccine example to 1e-6 (``tests/test_evidence.py``).

:func:`log_risk_ratio` turns a trial's counts into the log risk ratio and its variance (``metafor::escalc(measure =
"RR")``), so a paper that reports counts can be recomputed rather than quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import InputError, NotEstimableError
from ..core import formatting as fmt
from ..core.formatting import plain
from ..core.inference import normal_quantile
from ..core.results import Result
from ..core.style import ESTIMATE_COLOR, new_axes, ratio_axis

__all__ = ["MetaAnalysis", "log_risk_ratio", "meta_analysis"]

METHODS = ("REML", "DL", "FE")


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class MetaAnalysis(Result):
    """A pooled estimate of k published estimates (on their scale, e.g. log risk ratios).

    Attributes
    ----------
    method : {"REML", "DL", "FE"}
    k : int
        Estimates pooled.
    estimate, se, ci_lower, ci_upper, p_value : float
        The pooled estimate, its SE, its ``1 - alpha`` interval and the z-test of no effect.
    tau2, i2, q, q_p : float
        Between-study variance, I-squared (percent), Cochran's Q and its p-value.
    pi_lower, pi_upper : float
        Where a new study's effect is expected to fall (the prediction interval).
    """

    method: str
    k: int
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    p_value: float
    tau2: float
    i2: float
    q: float
    q_p: float
    pi_lower: float
    pi_upper: float
    alpha: float = 0.05
    yi: tuple[float, ...] = field(default=(), repr=False)  # the studies pooled, for the forest plot
    vi: tuple[float, ...] = field(default=(), repr=False)
    labels: tuple[str, ...] = field(default=(), repr=False)

    @property
    def title(self) -> str:
        return f"Pooled estimate of {self.k} studies ({self.method})"

    def table(self) -> pd.DataFrame:
        """One row: ``method, k, estimate, se, ci_lower, ci_upper, p_value, tau2, i2, q, q_p, pi_lower,
        pi_upper``."""
        return pd.DataFrame([{name: getattr(self, name) for name in (
            "method", "k", "estimate", "se", "ci_lower", "ci_upper", "p_value", "tau2", "i2", "q", "q_p",
            "pi_lower", "pi_upper")}])

    def ratio_sentence(self) -> str:
        """The pooled ratio in words, for estimates on the log scale."""
        return (f"Pooled over {self.k} studies ({self.method}), the ratio is {fmt.ratio(np.exp(self.estimate))} "
                f"({plain(100 * (1 - self.alpha))}% CI {fmt.interval(np.exp(self.ci_lower), np.exp(self.ci_upper))}); "
                f"a new study's ratio would be expected between {fmt.ratio(np.exp(self.pi_lower))} and "
                f"{fmt.ratio(np.exp(self.pi_upper))} (I-squared {fmt.percent(self.i2 / 100)}).")

    def notes(self) -> list[str]:
        return [self.ratio_sentence()]

    def plot(self, ax=None):
        """A forest plot on the ratio scale: each study with its interval, the pooled estimate (diamond) and the
        prediction interval (line under it)."""
        ax = new_axes(ax, figsize=(6.0, 1.2 + 0.3 * (self.k + 2)))
        z = normal_quantile(self.alpha)
        y = np.asarray(self.yi, dtype=float)
        half = z * np.sqrt(np.asarray(self.vi, dtype=float))
        rows = np.arange(len(y))[::-1] + 2
        ax.errorbar(np.exp(y), rows, xerr=[np.exp(y) - np.exp(y - half), np.exp(y + half) - np.exp(y)], fmt="s",
                    color=ESTIMATE_COLOR, markersize=4, capsize=0, linewidth=1)
        pooled = np.exp([self.ci_lower, self.estimate, self.ci_upper, self.estimate])
        ax.fill(pooled, [1, 1.25, 1, 0.75], color=ESTIMATE_COLOR)
        ax.plot(np.exp([self.pi_lower, self.pi_upper]), [0.5, 0.5], color=ESTIMATE_COLOR, linewidth=1)
        ax.axvline(1.0, color="0.5", linewidth=0.8, linestyle=":")
        labels = list(self.labels) if len(self.labels) == self.k else [f"study {i + 1}" for i in range(self.k)]
        ax.set_yticks([*rows, 1, 0.5], [*labels, f"pooled ({self.method})", "prediction interval"])
        ratio_axis(ax, np.exp([*(y - half), *(y + half), self.pi_lower, self.pi_upper]))
        ax.set_xlabel("ratio (log scale)")
        ax.set_title(self.title, fontsize="medium")
        return ax


def log_risk_ratio(events_treated: Sequence[float], n_treated: Sequence[float], events_control: Sequence[float],
                   n_control: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Log risk ratios and their variances from counts (``metafor::escalc(measure = "RR")``, no zero cells).

    Examples
    --------
    >>> yi, vi = log_risk_ratio([4], [123], [11], [139])  # BCG trial 1 (Aronson 1948)
    >>> round(float(yi[0]), 4), round(float(vi[0]), 4)
    (-0.8893, 0.3256)
    """
    a, n1, c, n2 = (np.asarray(x, dtype=float) for x in (events_treated, n_treated, events_control, n_control))
    if not (a.shape == n1.shape == c.shape == n2.shape) or a.ndim != 1:
        raise InputError("give one count per study in each of the four sequences")
    if np.any((a <= 0) | (c <= 0) | (a > n1) | (c > n2)):
        raise NotEstimableError("a study with no events in an arm (or more events than people) has no finite log "
                                "risk ratio; metafor adds 0.5 to each cell there, which this function leaves to you")
    return np.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2


def meta_analysis(yi: Sequence[float], vi: Sequence[float], method: str = "REML", *, alpha: float = 0.05,
                  labels: Sequence[str] = ()) -> MetaAnalysis:
    """Pool estimates ``yi`` with sampling variances ``vi`` (see the module notes), as ``metafor::rma``.

    Raises
    ------
    InputError
        Fewer than 2 estimates, lengths that differ, a variance that is not positive, an unknown method.

    Examples
    --------
    >>> m = meta_analysis([-0.5, -0.1, -0.3], [0.04, 0.02, 0.05], method="FE")
    >>> round(m.estimate, 4), m.tau2, m.pi_lower == m.ci_lower
    (-0.2474, 0.0, True)
    """
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    if method not in METHODS:
        raise InputError(f"method must be one of {list(METHODS)}, not {method!r}")
    if y.shape != v.shape or y.ndim != 1 or len(y) < 2:
        raise InputError(f"meta_analysis needs at least 2 estimates with one variance each; got {y.size} and {v.size}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)) or not 0 < alpha < 1:
        raise InputError("every estimate must be a finite number and every variance positive (alpha in (0, 1))")
    k = len(y)
    w = 1 / v
    fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - fixed) ** 2))
    tau2 = {"FE": lambda: 0.0, "DL": lambda: _dersimonian_laird(w, q, k), "REML": lambda: _reml(y, v)}[method]()
    weights = 1 / (v + tau2)
    estimate = float(np.sum(weights * y) / np.sum(weights))
    se = float(1 / np.sqrt(np.sum(weights)))
    z = normal_quantile(alpha)
    s2 = (k - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w ** 2))
    i2 = (max(0.0, 100 * (q - (k - 1)) / q) if q > 0 else 0.0) if method == "FE" else float(100 * tau2 / (tau2 + s2))
    half = float(z * np.sqrt(se ** 2 + tau2))
    return MetaAnalysis(method=method, k=k, estimate=estimate, se=se, ci_lower=estimate - z * se,
                        ci_upper=estimate + z * se, p_value=float(2 * stats.norm.sf(abs(estimate / se))), tau2=tau2,
                        i2=i2, q=q, q_p=float(stats.chi2.sf(q, k - 1)), pi_lower=estimate - half,
                        pi_upper=estimate + half, alpha=alpha, yi=tuple(map(float, y)), vi=tuple(map(float, v)),
                        labels=tuple(str(x) for x in labels))


def _dersimonian_laird(w: np.ndarray, q: float, k: int) -> float:
    return float(max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w ** 2) / np.sum(w))))


def _reml(y: np.ndarray, v: np.ndarray, threshold: float = 1e-5, max_iter: int = 100) -> float:
    """metafor's REML: from the Hedges estimate (``var(y) - mean(v)``, at least 0), Fisher scoring steps, halved
    while they would make tau2 negative, until tau2 changes by less than ``threshold`` (metafor's default 1e-5,
    kept so that I-squared, which is sensitive to it, equals metafor's)."""
    tau2 = max(0.0, float(np.var(y, ddof=1) - np.mean(v)))
    for _ in range(max_iter):
        w = 1 / (v + tau2)
        P = np.diag(w) - np.outer(w, w) / np.sum(w)
        Py = P @ y
        step = float((Py @ Py - np.trace(P)) / np.sum(P * P))
        while tau2 + step < 0:
            step /= 2
        previous, tau2 = tau2, tau2 + step
        if abs(tau2 - previous) < threshold:
            return tau2
    raise NotEstimableError("the REML estimate of the between-study variance did not converge; use method='DL'")

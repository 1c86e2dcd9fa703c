"""IPTW intervals from one fit: influence functions that carry the propensity model's own uncertainty.

The weighted estimates (Kaplan-Meier per arm, RMST, the marginal Cox hazard ratio) depend on the weights, and the
weights on the estimated propensity model ``alpha`` and, for stabilized weights, the treated share ``p``. Stacking
their estimating equations (Lunceford and Davidian 2004; for survival, Hajage et al. 2018, Stat Med) gives each
participant's influence on an estimate ``E``:

    IF_i(E) = own_i(E) + g(E) . phi_i,     phi_i = (I_alpha^-1 x_i (a_i - e_i), (a_i - p) / n),

where ``own_i`` is the participant's influence with the weights held fixed (what the robust sandwich uses),
``g(E) = sum_j dE/dw_j dw_j/d(alpha, p)`` how the estimate moves with the propensity parameters, and ``phi_i`` the
influence of the participant on those parameters (``I_alpha`` the logistic information). The variance is
``sum_i IF_i^2``; a difference between the arms keeps the shared ``phi_i`` once, which is why it is narrower than
treating the arms as independent. For the weighted Nelson-Aalen hazard of an arm, with ``Y(s)`` the weighted
number at risk, ``a(s) = 1/Y(s)`` and ``C(u) = sum_{s <= u} dLambda(s)/Y(s)``:

    own_i(Lambda(t)) = w_i [d_i 1{t_i <= t} a(t_i) - C(min(t, t_i))],   dLambda(t)/dw_j = own_j(t) / w_j,

and the survival curve's is ``-S(t)`` times it (the delta method); RMST integrates it over the curve's steps. For
the Cox model, ``own_i = w_i r_i / I_beta`` with ``r_i`` the score residual, and ``dU/dw_j = r_j``. Truncated
weights are treated as fixed where they were truncated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ..stats import KaplanMeier
from ..stats.cox import score_residuals
from ..stats.counting import risk_table, step_at

__all__ = ["ArmHazard", "PropensityInfluence", "arm_hazard", "cox_se", "km_with_influence", "propensity_influence",
           "rmst_influence"]


@dataclass(frozen=True)
class PropensityInfluence:
    """Per participant: ``phi`` (n, q) the influence on the propensity parameters, ``dw`` (n, q) how the
    participant's weight moves with them; ``gram`` is ``phi' phi`` (q, q), which every curve's variance reads."""

    phi: np.ndarray
    dw: np.ndarray
    gram: np.ndarray


def propensity_influence(X: np.ndarray, treated: np.ndarray, score: np.ndarray, weights: np.ndarray,
                         stabilized: bool = True, fixed: np.ndarray | None = None) -> PropensityInfluence:
    """``X`` the propensity design with its intercept; ``fixed`` marks truncated weights (they do not move)."""
    a, e = treated.astype(float), np.asarray(score, dtype=float)
    n, k = X.shape
    information = X.T @ (X * (e * (1 - e))[:, None])
    p = a.mean() if stabilized else 1.0
    # filled in place, the logistic part by the information's inverse (13 x 13): at 1M participants 0.83 s went
    # to solving for 1M right-hand sides and stacking columns onto (participants x 14) copies (measured)
    phi, dw = np.empty((n, k + stabilized)), np.empty((n, k + stabilized))
    np.matmul(X * (a - e)[:, None], np.linalg.inv(information), out=phi[:, :k])
    np.multiply(X, ((-a * p * (1 - e) / e + (1 - a) * (1 - p) * e / (1 - e)) if stabilized
                    else (-a * (1 - e) / e + (1 - a) * e / (1 - e)))[:, None], out=dw[:, :k])
    if stabilized:
        phi[:, k] = (a - p) / n
        dw[:, k] = a / e - (1 - a) / (1 - e)
    if fixed is not None:
        dw[fixed] = 0.0
    return PropensityInfluence(phi=phi, dw=dw, gram=phi.T @ phi)


def cox_se(treated: np.ndarray, time: np.ndarray, event: np.ndarray, weights: np.ndarray, beta: float,
           ps: PropensityInfluence) -> float:
    """The marginal (arm-only) Cox coefficient's SE with the propensity model's uncertainty."""
    X = treated.astype(float)[:, None]
    r, info = score_residuals(X, time, event, beta=np.array([beta]), weights=weights)
    slope = r[:, 0] @ ps.dw  # dU / d(alpha, p)
    influence = (weights * r[:, 0] + ps.phi @ slope) / float(info[0, 0])
    return float(np.sqrt(np.sum(influence**2)))


class _TimeSums:
    """Sums over an arm's members at each of its times of ``v_i * M[member_i]``, for (participants x q) matrices
    ``M``, as one sparse (times x participants) product: no (members x q) copy of ``M`` (at 1M participants the
    copies and per-column sums took most of the curves' 0.57 s, measured in ``benchmarks/report_scale.py``)."""

    def __init__(self, position: np.ndarray, members: np.ndarray, k: int, n: int) -> None:
        order = np.argsort(position, kind="stable")
        self.order, self.columns, self.shape = order, members[order], (k, n)
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(position, minlength=k))])

    def __call__(self, v: np.ndarray, M: np.ndarray) -> np.ndarray:
        indicator = sparse.csr_matrix((v[self.order], self.columns, self.indptr), shape=self.shape)
        return np.asarray(indicator @ M)


@dataclass(frozen=True)
class ArmHazard:
    """One arm's weighted Nelson-Aalen pieces on its distinct times, and its members (their rows among all
    participants) grouped by time: what the arm's curve and RMST influence functions share."""

    times: np.ndarray
    dlam: np.ndarray
    C: np.ndarray  # sum_{s <= t} dLambda(s) / Y(s)
    h: np.ndarray  # per member: d_i a(t_i) - C(t_i)
    position: np.ndarray  # per member: its time's index
    by_time: _TimeSums


def arm_hazard(t: np.ndarray, d: np.ndarray, w: np.ndarray, members: np.ndarray, n: int) -> ArmHazard:
    """The arm's pieces (``members``: the arm's rows among the ``n`` participants)."""
    table = risk_table(t, d, weights=w)
    y = np.maximum(table.n_risk, 1e-300)
    dlam = np.where(table.n_risk > 0, table.events / y, 0.0)
    C = np.cumsum(dlam / y)
    position = np.searchsorted(table.times, t)
    return ArmHazard(table.times, dlam, C, d / y[position] - C[position], position,
                     _TimeSums(position, members, len(table.times), n))


def km_with_influence(arm: ArmHazard, w: np.ndarray, ps: PropensityInfluence, curve: KaplanMeier,
                      z: float) -> KaplanMeier:
    """The arm's weighted curve (``curve``, on its own times) with pointwise log(-log) intervals from the stacked
    influence functions: ``Var Lambda(t) = sum_{t_i<=t} w_i^2 h_i^2 + C(t)^2 sum_{t_i>t} w_i^2`` plus the
    propensity terms, all by cumulative sums (no participants x times matrix); ``w`` the members' weights."""
    k = len(arm.times)
    own_sq = np.bincount(arm.position, weights=(w * arm.h) ** 2, minlength=k).cumsum()
    after_sq = _after(np.bincount(arm.position, weights=w**2, minlength=k))
    cross = arm.by_time(w * arm.h, ps.phi).cumsum(axis=0) - arm.C[:, None] * _after_rows(arm.by_time(w, ps.phi))
    g = arm.by_time(arm.h, ps.dw).cumsum(axis=0) - arm.C[:, None] * _after_rows(arm.by_time(np.ones_like(w), ps.dw))
    total = own_sq + arm.C**2 * after_sq + 2 * np.sum(g * cross, axis=1) + np.einsum("ti,ij,tj->t", g, ps.gram, g)
    se = np.sqrt(np.maximum(total, 0.0))
    se_on_curve = step_at(arm.times, se, curve.time, before=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = -np.log(curve.survival)
        spread = z * se_on_curve / hazard
        lower, upper = np.exp(-hazard * np.exp(spread)), np.exp(-hazard * np.exp(-spread))
    undefined = (curve.survival <= 0) | (curve.survival >= 1)
    return KaplanMeier(time=curve.time, n_at_risk=curve.n_at_risk, events=curve.events, censored=curve.censored,
                       survival=curve.survival, std_err=se_on_curve, ci_lower=np.where(undefined, np.nan, lower),
                       ci_upper=np.where(undefined, np.nan, upper), alpha=curve.alpha)


def rmst_influence(arm: ArmHazard, w: np.ndarray, t: np.ndarray, members: np.ndarray, ps: PropensityInfluence,
                   curve: KaplanMeier, tau: float) -> np.ndarray:
    """Every participant's influence on the arm's RMST to ``tau`` (zero own part outside the arm); ``w`` and
    ``t`` the members' weights and times."""
    grid = np.concatenate([[0.0], arm.times[arm.times < tau]])
    width = np.diff(np.concatenate([grid, [tau]]))
    surv = step_at(curve.time, curve.survival, grid, before=1.0)
    c = surv * width  # RMST = sum_k c_k; dRMST = -sum_k c_k dLambda(t_k)
    C_grid = step_at(arm.times, arm.C, grid, before=0.0)
    # own_i: -w_i [h_i * sum_{t_k >= t_i} c_k - sum_{t_k < t_i} c_k C(t_k)]
    at_or_after = np.concatenate([np.cumsum(c[::-1])[::-1], [0.0]])
    before = np.concatenate([[0.0], np.cumsum(c * C_grid)])
    first = np.searchsorted(grid, t, side="left")
    part = arm.h * at_or_after[first] - before[first]
    spread = np.zeros(len(ps.dw))
    spread[members] = part
    influence = ps.phi @ -(spread @ ps.dw)  # g = -sum_i part_i dw_i: one product, no (members x q) copy
    influence[members] -= w * part
    return influence


def _after(per_time: np.ndarray) -> np.ndarray:
    """Sums over the times strictly after each time."""
    return per_time[::-1].cumsum()[::-1] - per_time


def _after_rows(per_time: np.ndarray) -> np.ndarray:
    return per_time[::-1].cumsum(axis=0)[::-1] - per_time

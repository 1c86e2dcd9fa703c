"""Study design: events and participants needed, power, minimum detectable hazard ratio, and simulation.

Analytic formulas for the log-rank test / Cox arm coefficient:

- Schoenfeld (1983): ``D = (z_{1-alpha/2} + z_power)^2 / (p (1 - p) log(HR)^2)``;
- Freedman (1982): ``D = (z_{1-alpha/2} + z_power)^2 (1 + k HR)^2 / (k (1 - HR)^2)``,
  ``k = p / (1 - p)`` participants in the peer arm per clinical-only participant;

with ``p`` the share allocated to peer support. Events become participants
through the probability of observing an event under uniform accrual, a Weibull
(or exponential) baseline calibrated to the clinical-only risk at ``horizon``,
proportional hazards and exponential loss to follow-up.

:func:`simulate_power` checks a design by simulation: the log-rank test is
computed for all replicates at once (one ``bincount`` over replicate-by-day
cells, no Python loop per replicate).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..core.inference import normal_quantile
from ..core.errors import ConvergenceError, InputError, NotEstimableError
from ..core.results import Result
from ..stats.aggregated import ArmTable, cox_of_table
from ..stats.counting import reverse_cumsum
from ..stats.logrank import logrank_terms
from ..core.style import ESTIMATE_COLOR, OKABE_ITO, new_axes
from ..core.formatting import plain

__all__ = ["Design", "PowerCurve", "SimulatedPower", "events_needed", "sample_size", "power",
           "minimum_detectable_hr", "simulate_power", "power_curve", "grant_sentence"]


def _check(hazard_ratio: float, power_: float, alpha: float, allocation: float) -> None:
    for name, value in (("hazard_ratio", hazard_ratio), ("power", power_), ("alpha", alpha),
                        ("allocation", allocation)):
        if not _is_real(value):
            raise InputError(f"{name} must be a number, not {value!r}")
    if not (hazard_ratio > 0 and hazard_ratio != 1):
        raise InputError(f"hazard_ratio must be positive and not 1, not {hazard_ratio!r}")
    if not 0 < power_ < 1:
        raise InputError(f"power must be between 0 and 1, not {power_!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if not 0 < allocation < 1:
        raise InputError(f"allocation (share in the peer-support arm) must be between 0 and 1, not {allocation!r}")


def events_needed(hazard_ratio: float, power: float = 0.8, alpha: float = 0.05, allocation: float = 0.5,
                  method: str = "schoenfeld") -> int:
    """Events needed for a two-sided log-rank test (rounded up).

    Examples
    --------
    >>> events_needed(0.65)   # 7.849 / (0.25 * log(0.65)^2) = 169.2
    170
    >>> events_needed(0.65, method="freedman")   # 7.849 * 1.65^2 / 0.35^2 = 174.4
    175
    """
    _check(hazard_ratio, power, alpha, allocation)
    z = normal_quantile(alpha) + stats.norm.ppf(power)
    if method == "schoenfeld":
        d = z**2 / (allocation * (1 - allocation) * math.log(hazard_ratio) ** 2)
    elif method == "freedman":
        k = allocation / (1 - allocation)
        d = z**2 * (1 + k * hazard_ratio) ** 2 / (k * (1 - hazard_ratio) ** 2)
    else:
        raise InputError(f"method must be 'schoenfeld' or 'freedman', not {method!r}")
    return int(math.ceil(d - 1e-9))


def design_from(fields: dict[str, Any]) -> Design:
    """A :class:`Design` from keyword arguments, with an InputError naming any unknown one."""
    known = [f.name for f in dataclasses.fields(Design)]
    unknown = [k for k in fields if k not in known]
    if unknown:
        raise InputError(f"unknown design argument {unknown[0]!r}; the design's arguments are {known}")
    return Design(**fields)


@dataclass(frozen=True, kw_only=True)
class Design:
    """A two-arm recovery study: who is enrolled when, how long they are followed, and the baseline risk.

    Attributes
    ----------
    baseline_risk : float
        Clinical-only risk of the event (relapse) by ``horizon`` days (NIDA: 40-60% at 12 months).
    horizon : float
        Days at which ``baseline_risk`` applies.
    accrual : float
        Days over which participants enroll (uniformly).
    follow_up : float
        Days of follow-up after the last enrollment (the first enrolled are followed accrual + follow_up).
    dropout : float
        Share lost to follow-up by ``horizon`` (exponential).
    shape : float
        Weibull shape of the baseline hazard (1: exponential; < 1: risk highest early).
    allocation : float
        Share allocated to peer support.
    """

    baseline_risk: float = 0.5
    horizon: float = 365.0
    accrual: float = 730.0
    follow_up: float = 365.0
    dropout: float = 0.0
    shape: float = 1.0
    allocation: float = 0.5

    def __post_init__(self) -> None:
        for name in ("baseline_risk", "horizon", "accrual", "follow_up", "dropout", "shape", "allocation"):
            if not _is_real(getattr(self, name)):
                raise InputError(f"{name} must be a number, not {getattr(self, name)!r}")
        if not 0 < self.allocation < 1:
            raise InputError(f"allocation (share in the peer-support arm) must be between 0 and 1, "
                             f"not {self.allocation!r}")
        if not 0 < self.baseline_risk < 1:
            raise InputError(f"baseline_risk must be between 0 and 1, not {self.baseline_risk!r}")
        if not 0 <= self.dropout < 1:
            raise InputError(f"dropout must be between 0 and 1, not {self.dropout!r}")
        if self.horizon <= 0 or self.accrual < 0 or self.follow_up < 0 or self.accrual + self.follow_up <= 0:
            raise InputError("horizon must be positive and accrual, follow_up non-negative (not both zero)")
        if self.shape <= 0:
            raise InputError(f"shape must be positive, not {self.shape!r}")

    @classmethod
    def from_scenario(cls, scenario="articles", *, allocation: float = 0.5, **overrides) -> Design:
        """The design of a synthetic scenario: its clinical-only 12-month relapse risk, Weibull shape,
        enrollment over its quarters (no follow-up after the last enrollment, as at its as-of date)
        and its yearly loss to follow-up.

        >>> Design.from_scenario().baseline_risk
        0.5
        """
        from ..synthetic.scenario import get_scenario

        sc = get_scenario(scenario, **overrides)
        return cls(baseline_risk=sc.relapse_risk_12m_clinical, horizon=365.0,
                   accrual=91.3 * sc.enrollment_quarters, follow_up=0.0,
                   dropout=sc.annual_loss_to_follow_up, shape=sc.relapse_weibull_shape, allocation=allocation)

    @property
    def scale(self) -> float:
        """Baseline cumulative hazard per day^shape: ``H0(t) = scale * t^shape``."""
        return -math.log(1 - self.baseline_risk) / self.horizon**self.shape

    @property
    def loss_rate(self) -> float:
        return -math.log(1 - self.dropout) / self.horizon

    def event_probability(self, hazard_ratio: float = 1.0) -> float:
        """P(an event is observed) for a participant of an arm with this hazard ratio."""
        total = self.accrual + self.follow_up
        t = np.linspace(0.0, total, 4001)
        mid = (t[1:] + t[:-1]) / 2
        cum = self.scale * hazard_ratio * t**self.shape
        density = -np.diff(np.exp(-cum)) * np.exp(-self.loss_rate * mid)  # event in [t_i, t_i+1) while not lost
        # followed for C ~ Uniform(follow_up, total): P(C > t)
        if self.accrual > 0:
            p_followed = np.clip((total - mid) / self.accrual, 0, 1)
        else:
            p_followed = (mid < total).astype(float)
        return float(np.sum(density * p_followed))

    def expected_events(self, n: int, hazard_ratio: float) -> float:
        a = self.allocation
        return n * ((1 - a) * self.event_probability(1.0) + a * self.event_probability(hazard_ratio))


def sample_size(hazard_ratio: float, *, design: Design | None = None, power: float = 0.8, alpha: float = 0.05,
                method: str = "schoenfeld", **design_fields) -> int:
    """Participants needed: events needed divided by the probability of observing an event.

    Examples
    --------
    >>> n = sample_size(0.65, baseline_risk=0.5, horizon=365, accrual=730, follow_up=365)
    >>> events_needed(0.65) <= n
    True
    """
    design = design or design_from(design_fields)
    d = events_needed(hazard_ratio, power, alpha, design.allocation, method)
    per_person = design.expected_events(1, hazard_ratio)
    return int(math.ceil(d / per_person - 1e-9))


def power(*, hazard_ratio: float, n: int | None = None, events: float | None = None, design: Design | None = None,
          alpha: float = 0.05, method: str = "schoenfeld", **design_fields) -> float:
    """Power of the two-sided log-rank test, from events or from participants (through the design).

    >>> round(power(hazard_ratio=0.65, events=170), 3)
    0.802
    """
    return _power(hazard_ratio, n, events, design or design_from(design_fields), alpha, method)


def _check_size(n: int | None, events: float | None) -> None:
    """Exactly one of participants (a whole number >= 2) or events (a number > 0)."""
    if (n is None) == (events is None):
        raise InputError("give exactly one of n (participants) or events")
    if n is not None and not (_is_real(n) and n >= 2 and float(n) == int(n)):
        raise InputError(f"n must be a whole number of participants >= 2, not {n!r}")
    if events is not None and not (_is_real(events) and events > 0):
        raise InputError(f"events must be a positive number, not {events!r}")


def _is_real(x: object) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def _power(hazard_ratio: float, n: int | None, events: float | None, design: Design, alpha: float,
           method: str) -> float:
    _check_size(n, events)
    if not (_is_real(hazard_ratio) and hazard_ratio > 0 and hazard_ratio != 1):
        raise InputError(f"hazard_ratio must be positive and not 1, not {hazard_ratio!r}")
    if not (_is_real(alpha) and 0 < alpha < 1):
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    d = design.expected_events(n, hazard_ratio) if n is not None else float(events or 0)
    a = design.allocation
    z_a = normal_quantile(alpha)
    if method == "schoenfeld":
        signal = math.sqrt(d * a * (1 - a)) * abs(math.log(hazard_ratio))
    elif method == "freedman":
        k = a / (1 - a)
        signal = math.sqrt(d * k) * abs(1 - hazard_ratio) / (1 + k * hazard_ratio)
    else:
        raise InputError(f"method must be 'schoenfeld' or 'freedman', not {method!r}")
    return float(stats.norm.cdf(signal - z_a) + stats.norm.cdf(-signal - z_a))


def minimum_detectable_hr(*, n: int | None = None, events: float | None = None, power: float = 0.8,
                          alpha: float = 0.05, design: Design | None = None, method: str = "schoenfeld",
                          **design_fields) -> float:
    """The smallest protective effect (hazard ratio below 1) detectable with the given power.

    From events (Schoenfeld): ``exp(-(z_{1-alpha/2} + z_power) / sqrt(D p (1 - p)))``; from
    participants, the HR at which the expected events give that power (solved numerically).

    >>> round(minimum_detectable_hr(events=170), 3)
    0.651
    """
    design = design or design_from(design_fields)
    _check_size(n, events)
    if not (_is_real(power) and 0 < power < 1):
        raise InputError(f"power must be between 0 and 1, not {power!r}")
    if not (_is_real(alpha) and 0 < alpha < 1):
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    target = power

    def f(hr: float) -> float:
        return _power(hr, n, events, design, alpha, method) - target

    if f(1e-6) < 0:
        raise InputError("this design cannot reach that power even for a very large effect")
    return float(optimize.brentq(f, 1e-6, 1 - 1e-9, xtol=1e-12))


# -------------------------------------------------------------------------------------------- simulation
@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class SimulatedPower(Result):
    """Power estimated by simulation: the share of replicates with p < alpha, and its Monte Carlo SE."""

    power: float
    mc_se: float
    reps: int
    n: int
    hazard_ratio: float
    test: str
    alpha: float
    mean_events: float
    analytic_power: float
    p_values: np.ndarray = field(repr=False)

    @property
    def title(self) -> str:
        return (f"Simulated power {100 * self.power:.1f}% (Monte Carlo SE {100 * self.mc_se:.1f}) for HR "
                f"{plain(self.hazard_ratio)}, n = {self.n}, {self.reps} replicates ({self.test})")

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"n": self.n, "hazard_ratio": self.hazard_ratio, "test": self.test, "reps": self.reps,
                              "power": self.power, "mc_se": self.mc_se, "analytic_power": self.analytic_power,
                              "mean_events": self.mean_events}])

    def plot(self, ax=None):
        """Distribution of the replicate p-values, with alpha marked."""
        ax = new_axes(ax)
        ax.hist(self.p_values, bins=np.linspace(0, 1, 41), color=ESTIMATE_COLOR)
        ax.axvline(self.alpha, color=OKABE_ITO[5])
        ax.set_xlabel("p-value")
        ax.set_ylabel("replicates")
        ax.set_title(self.title, fontsize="medium")
        return ax


def _simulate_design(design: Design, n: int, hazard_ratio: float, reps: int, rng: np.random.Generator):
    """Whole-day times, events and arms for ``reps`` trials of ``n`` participants: arrays (reps, n)."""
    treated = np.zeros((reps, n), dtype=bool)
    n_treated = int(round(design.allocation * n))
    treated[:, :n_treated] = True
    hr = np.where(treated, hazard_ratio, 1.0)
    t_event = (-np.log(rng.random((reps, n))) / (design.scale * hr)) ** (1 / design.shape)
    follow = design.follow_up + design.accrual * rng.random((reps, n))
    if design.loss_rate > 0:
        follow = np.minimum(follow, rng.exponential(1 / design.loss_rate, (reps, n)))
    event = t_event <= follow
    time = np.ceil(np.where(event, t_event, np.maximum(follow, 0)))
    return time, event, treated


def _replicate_counter(time: np.ndarray):
    """A function summing any (reps, n) array into (replicate, day) cells: one bincount for all replicates."""
    reps = time.shape[0]
    days = int(time.max()) + 1
    cell = (np.arange(reps)[:, None] * days + time.astype(np.int64)).ravel()

    def count(values: np.ndarray) -> np.ndarray:
        return np.bincount(cell, weights=values.ravel().astype(float), minlength=reps * days).reshape(reps, days)

    return count


def _logrank_many(time: np.ndarray, event: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Log-rank chi-square for each row (replicate), all rows at once (the one log-rank kernel on 2-D counts)."""
    count = _replicate_counter(time)
    o1, e1, var = logrank_terms(reverse_cumsum(count(np.ones_like(time)), axis=1),
                                reverse_cumsum(count(treated), axis=1), count(event), count(event & treated))
    return np.where(var > 0, (o1 - e1) ** 2 / np.where(var > 0, var, 1), 0.0)


def _cox_wald_many(time: np.ndarray, event: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Wald chi-square of the arm coefficient of a Cox model (Efron ties) for each replicate.

    Each replicate is fitted from its (day x arm) table by the package's Cox-from-counts code (the
    same Newton solver, with its convergence check). A replicate whose coefficient is not estimable
    (an arm without events) counts as not significant.
    """
    count = _replicate_counter(time)
    removed = np.stack([count(~treated), count(treated)], axis=-1)  # (reps, days, 2)
    deaths = np.stack([count(event & ~treated), count(event & treated)], axis=-1)
    days = np.arange(removed.shape[1], dtype=float)
    chi2 = np.zeros(len(time))
    for r in range(len(time)):
        keep = removed[r].sum(axis=1) > 0
        try:
            fit = cox_of_table(ArmTable(days[keep], removed[r][keep], deaths[r][keep]), ph_test=False)
        except (ConvergenceError, NotEstimableError):
            continue
        chi2[r] = (fit.coef[0] / fit.se[0]) ** 2
    return chi2


def simulate_power(n: int, hazard_ratio: float, *, reps: int = 1000, seed: int | np.random.Generator = 0,
                   test: str = "logrank", scenario=None, design: Design | None = None, alpha: float = 0.05,
                   progress: bool | None = None, **design_fields) -> SimulatedPower:
    """Power of a design by simulation: ``reps`` randomized trials of ``n`` participants.

    Times follow the design (uniform accrual, Weibull baseline calibrated to
    ``baseline_risk`` at ``horizon``, proportional hazards, exponential loss);
    the log-rank test is computed for all replicates at once (the Cox Wald test,
    Efron ties, one replicate at a time). Replicates are simulated in blocks with a progress bar when the run
    is long (``progress=None``: automatic). ``scenario`` (a name such as ``"articles"``, or a
    :class:`~outcomes.Scenario`) takes the design from a synthetic scenario
    (:meth:`Design.from_scenario`): its baseline risk, hazard shape, accrual and loss to follow-up.

    Examples
    --------
    >>> res = simulate_power(400, 0.65, reps=200, seed=1, baseline_risk=0.5)
    >>> 0 <= res.power <= 1
    True
    """
    from tqdm.auto import tqdm

    if scenario is not None:
        if design is not None or design_fields:
            raise InputError("give a scenario or a design (or design fields), not both")
        design = Design.from_scenario(scenario)
    design = design or design_from(design_fields)
    if test not in ("logrank", "cox"):
        raise InputError(f"test must be 'logrank' or 'cox', not {test!r}")
    if not (_is_real(n) and n >= 4 and float(n) == int(n)) or not (_is_real(reps) and reps >= 1):
        raise InputError(f"n must be a whole number >= 4 and reps at least 1, not n={n!r}, reps={reps!r}")
    if not (_is_real(alpha) and 0 < alpha < 1):
        raise InputError(f"alpha must be between 0 and 1, not {alpha!r}")
    if not (_is_real(hazard_ratio) and hazard_ratio > 0):
        raise InputError(f"hazard_ratio must be positive, not {hazard_ratio!r}")
    rng = np.random.default_rng(seed)
    block = max(1, min(reps, 2_000_000 // n))  # bounded memory: about 2M simulated participants at a time
    chi2, events = [], []
    show = progress if progress is not None else reps * n > 20_000_000
    with tqdm(total=reps, disable=not show, desc="simulating trials") as bar:
        done = 0
        while done < reps:
            k = min(block, reps - done)
            time, event, treated = _simulate_design(design, n, hazard_ratio, k, rng)
            stat = _logrank_many(time, event, treated) if test == "logrank" else _cox_wald_many(time, event, treated)
            chi2.append(stat)
            events.append(event.sum(axis=1))
            done += k
            bar.update(k)
    p_values = np.asarray(stats.chi2.sf(np.concatenate(chi2), 1), dtype=float)
    hit = float(np.mean(p_values < alpha))
    return SimulatedPower(power=hit, mc_se=math.sqrt(hit * (1 - hit) / reps), reps=reps, n=n,
                          hazard_ratio=hazard_ratio, test=test, alpha=alpha,
                          mean_events=float(np.concatenate(events).mean()),
                          analytic_power=_power(hazard_ratio, n, None, design, alpha, "schoenfeld"),
                          p_values=p_values)


# -------------------------------------------------------------------------------------------- curves and words
@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class PowerCurve(Result):
    """Power against the number of participants for one or more hazard ratios."""

    curve: pd.DataFrame  # n, hazard_ratio, events, power
    design: Design
    alpha: float
    target: float = 0.8

    @property
    def title(self) -> str:
        return f"Power of the log-rank test (two-sided alpha {plain(self.alpha)})"

    def table(self) -> pd.DataFrame:
        return self.curve

    def plot(self, ax=None):
        ax = new_axes(ax)
        for hr, part in self.curve.groupby("hazard_ratio"):
            ax.plot(part.n, part.power, label=f"HR {plain(hr)}")
        ax.axhline(self.target, color="grey", linestyle="--", linewidth=0.8)
        ax.set_ylim(0, 1)
        ax.set_xlabel("participants enrolled")
        ax.set_ylabel("power")
        ax.set_title(self.title, fontsize="medium")
        ax.legend(frameon=False)
        return ax


def power_curve(hazard_ratios=(0.57, 0.65, 0.75), *, n_max: int = 1500, design: Design | None = None,
                alpha: float = 0.05, **design_fields) -> PowerCurve:
    """Analytic power for ``n`` from 20 to ``n_max`` at each hazard ratio."""
    design = design or design_from(design_fields)
    rows = []
    for hr in hazard_ratios:
        for n in np.unique(np.linspace(20, n_max, 75).astype(int)):
            rows.append({"n": int(n), "hazard_ratio": hr, "events": design.expected_events(int(n), hr),
                         "power": _power(hr, int(n), None, design, alpha, "schoenfeld")})
    return PowerCurve(curve=pd.DataFrame(rows), design=design, alpha=alpha)


def grant_sentence(hazard_ratio: float, *, power: float = 0.8, alpha: float = 0.05, design: Design | None = None,
                   method: str = "schoenfeld", outcome: str = "relapse", **design_fields) -> str:
    """A sentence for a grant application, generated from the design (never typed by hand).

    >>> s = grant_sentence(0.65, baseline_risk=0.5, accrual=730, follow_up=365)
    >>> s.startswith("With ") and "80% power to detect a 35% lower relapse hazard" in s
    True
    """
    design = design or design_from(design_fields)
    n = sample_size(hazard_ratio, design=design, power=power, alpha=alpha, method=method)
    events = events_needed(hazard_ratio, power, alpha, design.allocation, method)
    years = design.accrual / 365.25
    lower = f"{100 * (1 - hazard_ratio):.0f}% lower" if hazard_ratio < 1 else f"{100 * (hazard_ratio - 1):.0f}% higher"
    return (
        f"With {n:,} participants enrolled over {plain(years, 3)} years ({100 * design.allocation:.0f}% offered peer "
        f"support) and followed at least {design.follow_up / 30.44:.0f} months after the last enrollment, the study "
        f"has {100 * power:.0f}% power to detect a {lower} {outcome} hazard (hazard ratio {plain(hazard_ratio)}) "
        "with a "
        f"two-sided log-rank test at the {plain(100 * alpha)}% level, assuming a {100 * design.baseline_risk:.0f}% "
        f"{design.horizon / 30.44:.0f}-month {outcome} risk with clinical care alone"
        + (f" and {100 * design.dropout:.0f}% loss to follow-up" if design.dropout else "")
        + f"; {events:,} {outcome} events are needed ({method.capitalize()}'s method)."
    )

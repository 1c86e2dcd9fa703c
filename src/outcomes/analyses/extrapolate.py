"""Parametric survival fits per arm, for extrapolating past follow-up (e.g. 10-year abstinence).

Weibull, log-normal and log-logistic models are fitted to each arm by maximum
likelihood (lifelines), compared by AIC, and used to predict survival at a
horizon. A prediction past the last follow-up time is an extrapolation: it
rests entirely on the model's shape, and a ``StatisticalWarning`` says so.
"""

from __future__ import annotations

import warnings
from typing import Any
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model import schema as s
from ..model.cohort import Cohort
from ..model.outcome_registry import outcome_arrays
from ..core.caveats import caveat
from ..core.errors import ConvergenceError, InputError, NotEstimableError
from ..core.results import Result
from ..core.style import ARM_COLORS, new_axes
from ..core.formatting import plain

__all__ = ["ParametricFits", "fit_parametric", "MODELS"]

MODELS = ("weibull", "lognormal", "loglogistic")


def _fitter(name: str):
    from lifelines import LogLogisticFitter, LogNormalFitter, WeibullFitter

    return {"weibull": WeibullFitter, "lognormal": LogNormalFitter, "loglogistic": LogLogisticFitter}[name]()


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ParametricFits(Result):
    """Parametric fits per arm and their predictions at ``horizon``.

    Attributes
    ----------
    fits : DataFrame
        ``arm, model, aic, log_likelihood, survival_at_horizon, best`` (lowest AIC per arm).
    horizon : float
    last_follow_up : dict
        Last follow-up time per arm; a horizon past it is an extrapolation.
    extrapolated : bool
    """

    outcome: str
    arms: tuple[str, str]
    horizon: float
    fits: pd.DataFrame
    last_follow_up: dict[str, float]
    extrapolated: bool
    curves: dict[tuple[str, str], object]
    caveats: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain values, except ``curves`` (lifelines fitters: refit them from the cohort)."""
        return {k: v for k, v in super().to_dict().items() if k != "curves"}

    @property
    def title(self) -> str:
        tag = " (EXTRAPOLATED past follow-up)" if self.extrapolated else ""
        return f"Parametric survival at day {plain(self.horizon)}{tag}"

    def table(self) -> pd.DataFrame:
        return self.fits

    def notes(self) -> list[str]:
        if not self.extrapolated:
            return []
        last = ", ".join(f"{a}: day {plain(t)}" for a, t in self.last_follow_up.items())
        return [f"Follow-up ends at {last}; survival at day {plain(self.horizon)} is an extrapolation that depends on "
                "the chosen model, not on data. Compare the models before citing it."]

    def best(self) -> pd.DataFrame:
        """The lowest-AIC model per arm."""
        return self.fits[self.fits.best].reset_index(drop=True)

    def plot(self, ax=None):
        """Best-AIC parametric curves per arm out to the horizon; dashed past follow-up."""
        ax = new_axes(ax)
        for arm, color in zip(self.arms, ARM_COLORS):
            model = self.best().set_index("arm").loc[arm, "model"]
            fitter = self.curves[(arm, model)]
            last = self.last_follow_up[arm]
            inside = np.linspace(0.5, last, 200)  # the models start at S(0) = 1; day 0 itself is log(0)
            ax.plot(np.r_[0.0, inside], np.r_[1.0, fitter.survival_function_at_times(inside).to_numpy()],
                    color=color, label=f"{s.arm_label(arm)} ({model})")
            if self.horizon > last:
                beyond = np.linspace(last, self.horizon, 200)
                ax.plot(beyond, fitter.survival_function_at_times(beyond).to_numpy(), color=color, linestyle="--")
        ax.set_ylim(0, 1)
        ax.set_xlabel("days since enrollment")
        ax.set_ylabel("event-free")
        ax.set_title(self.title, fontsize="medium")
        ax.legend(frameon=False)
        return ax


def fit_parametric(cohort: Cohort, outcome: str = "relapse", *, horizon: float = 3650.0) -> ParametricFits:
    """Fit Weibull, log-normal and log-logistic models per arm; predict survival at ``horizon`` days.

    Warns (``StatisticalWarning``) when the horizon is past an arm's follow-up.

    Examples
    --------
    >>> import outcomes as oc, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", oc.StatisticalWarning)  # 10 years is past follow-up: it warns
    ...     fits = oc.fit_parametric(oc.synthetic_cohort(n=1000, seed=2), horizon=3650)
    >>> fits.extrapolated
    True
    """
    if not horizon > 0:
        raise InputError(f"horizon must be a positive number of days, not {horizon!r}")
    time, event, event_name = outcome_arrays(cohort, outcome)
    arm = cohort.df[s.ARM].to_numpy()
    rows, curves, last = [], {}, {}
    for a in cohort.arms:
        t, e = time[arm == a], event[arm == a]
        if e.sum() < 2 or len(t) < 3:
            raise NotEstimableError(f"arm {a!r} has fewer than 2 {event_name} events (or 3 participants): a "
                                    "parametric model cannot be fitted to it")
        t = np.maximum(t, 0.5)  # parametric likelihoods need positive times: day 0 counts as half a day
        last[a] = float(t.max())
        for name in MODELS:
            fitter = _fitter(name)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", module="lifelines")  # its fitting chatter; failures raise below
                try:
                    fitter.fit(t, e)
                except Exception as exc:  # lifelines raises its own ConvergenceError subclasses
                    raise ConvergenceError(f"the {name} model did not converge in arm {a!r}: {exc}") from None
            curves[(a, name)] = fitter
            rows.append({"arm": a, "model": name, "aic": float(fitter.AIC_),
                         "log_likelihood": float(fitter.log_likelihood_),
                         "survival_at_horizon": float(fitter.survival_function_at_times([horizon]).iloc[0])})
    fits = pd.DataFrame(rows)
    fits["best"] = fits.groupby("arm")["aic"].transform("min") == fits["aic"]
    extrapolated = horizon > min(last.values())
    ends = ", ".join(f"{a}: {plain(v)}" for a, v in last.items())
    caveats = (caveat(f"day {plain(horizon)} is past the follow-up ({ends}); "
                      "survival there is an extrapolation from the model's shape, not an observation"),
               ) if extrapolated else ()
    return ParametricFits(outcome=outcome, arms=cohort.arms, horizon=float(horizon), fits=fits, last_follow_up=last,
                          extrapolated=extrapolated, curves=curves, caveats=caveats)

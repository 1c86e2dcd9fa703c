"""``reconcile``: each testable claim against this cohort's estimate of the same estimand.

For every reading of every claim (``oc.claims.readings()``) the cohort's
estimate and confidence interval are computed with ``compare_arms``,
``cumulative_incidence`` and ``compare_secondary``, and a verdict is given. The
verdict text starts with one of:

- ``consistent``: the interval overlaps what the claim says (a value, a range,
  or for "up to" claims anything between no effect and the bound);
- ``smaller effect``: the interval lies between no effect and the claim (for a
  level such as a prevalence: the whole interval is below the claim);
- ``larger effect``: the interval lies beyond the claim (for a level: above it);
- ``opposite direction``: the interval lies entirely on the other side of no effect;
- ``not estimable``: with the reason (no 10-year follow-up, no symptom scores, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
import pandas as pd

from . import catalog
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.outcome_registry import SECONDARY_OUTCOMES, SecondaryOutcome
from ..sources.scan import ScannedCohort
from ..core.formatting import is_number
from ..core.inference import normal_quantile
from ..core.caveats import quiet_caveats
from ..core.errors import InputError, NotEstimableError, OutcomesError
from ..core.results import Result
from ..core.style import CLAIM_COLOR, ESTIMATE_COLOR, new_axes, ratio_axis
from ..core.formatting import plain

__all__ = ["ESTIMANDS", "Reconciliation", "estimand_info", "reconcile"]

# estimand -> (null value or None for levels, scale: "log" for ratios, "linear" otherwise, what it measures)
ESTIMANDS: dict[str, tuple[float | None, str, str]] = {
    "relapse_risk_ratio_12m": (1.0, "log", "12-month relapse risk ratio"),
    "relapse_risk_difference_12m": (0.0, "linear", "12-month relapse risk difference"),
    "relapse_risk_12m_clinical": (None, "linear", "12-month relapse risk, clinical only"),
    "relapse_rate_ratio": (1.0, "log", "relapses per person-year, rate ratio (every episode counted)"),
    "sobriety_ratio_12m": (1.0, "log", "ratio of 12-month relapse-free probabilities"),
    "sobriety_ratio_10y": (1.0, "log", "ratio of 10-year abstinence probabilities"),
    "retention_ratio": (1.0, "log", "ratio of retention (not dropped out) at program end"),
    "dropout_ratio": (1.0, "log", "ratio of dropout by program end"),
    "aftercare_risk_ratio": (1.0, "log", "aftercare engagement risk ratio"),
    "sessions_rate_ratio": (1.0, "log", "sessions attended per day in treatment, rate ratio"),
    "ed_visits_rate_ratio": (1.0, "log", "emergency visits per person-year, rate ratio"),
    "mh_admissions_rate_ratio": (1.0, "log", "mental-health crisis admissions per person-year, rate ratio"),
    "mh_score_reduction_peer": (0.0, "linear", "relative reduction of symptom scores over 12 months, peer arm"),
    "use_days_reduction_ratio": (1.0, "log", "ratio of relative reductions in days of use"),
    "use_days_reduction_difference": (0.0, "linear", "difference of relative reductions in days of use"),
    "interview_completion_ratio": (1.0, "log", "follow-up interviews completed in their window (reassessment, "
                                                "annual, closeout), ratio of the arms' shares"),
    "co_occurring_mh_prevalence": (None, "linear", "prevalence of co-occurring mental illness"),
    "studies_reviewed": (None, "linear", "number of studies reviewed"),
}


_STATISTIC_SCALE = {"ratio": (1.0, "log"), "reduction_ratio": (1.0, "log"), "reduction_treatment": (0.0, "linear"),
                    "reduction_difference": (0.0, "linear")}


def estimand_info(estimand: str) -> tuple[float | None, str, str]:
    """(null value, scale, words) of an estimand: the table above, or the outcome registry's entry.

    >>> estimand_info("relapse_risk_ratio_12m")
    (1.0, 'log', '12-month relapse risk ratio')
    """
    if estimand in ESTIMANDS:
        return ESTIMANDS[estimand]
    for spec in SECONDARY_OUTCOMES.values():
        if estimand in spec.estimands:
            statistic = spec.estimands[estimand]
            null, scale = _STATISTIC_SCALE[statistic]
            words = spec.measure if statistic == "ratio" else statistic.replace("_", " ")
            return null, scale, f"{spec.words}, {words}"
    raise KeyError(estimand)


class _NotEstimable(Exception):
    pass


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Reconciliation(Result):
    """The articles' claims against one cohort.

    Attributes
    ----------
    rows : DataFrame
        ``claim_id, source, reading, estimand, claimed, claimed_low, claimed_high, estimate,
        ci_lower, ci_upper, verdict`` (one row per reading of each claim).
    program_days : float
        The program length used for retention claims.
    alpha : float
    """

    rows: pd.DataFrame
    program_days: float
    alpha: float

    @property
    def title(self) -> str:
        counts = self.rows.verdict.str.split(":").str[0].value_counts()
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        return f"The articles' claims against this cohort ({summary})"

    def table(self) -> pd.DataFrame:
        """The readings this cohort could estimate: ``claim_id, estimand, claimed`` (the claim as read, in words:
        "0.65", "at most 1.5"), ``estimate, ci_lower, ci_upper`` (numbers, never NaN) and ``verdict``. The readings
        it could not estimate are left out here; they are in :attr:`rows` with their reason in ``verdict``, and
        counted in :attr:`title`."""
        estimable = self.rows[self.rows.estimate.map(is_number) & self.rows.ci_lower.map(is_number)
                              & self.rows.ci_upper.map(is_number)]
        return estimable[["claim_id", "estimand", "claimed", "estimate", "ci_lower", "ci_upper",
                          "verdict"]].reset_index(drop=True)

    def plot(self, ax=None):
        """Each estimable reading: the claim (diamond or bar) and this cohort's estimate with its CI."""
        est = self.rows[self.rows.estimate.notna() & self.rows.estimand.map(lambda e: estimand_info(e)[1] == "log")]
        ax = new_axes(ax, figsize=(7.0, max(3.0, 0.3 * len(est) + 1)))
        for i, row in enumerate(est.itertuples()):
            ax.plot([row.ci_lower, row.ci_upper], [i, i], color=ESTIMATE_COLOR, linewidth=2)
            ax.plot([row.estimate], [i], "o", color=ESTIMATE_COLOR)
            if not np.isnan(row.claimed_low):
                ax.plot([row.claimed_low, row.claimed_high], [i, i], color=CLAIM_COLOR, linewidth=6, alpha=0.5)
        ax.set_yticks(range(len(est)), [f"{r.claim_id} ({r.reading})" for r in est.itertuples()], fontsize="x-small")
        ax.axvline(1.0, color="grey", linewidth=0.8)
        ratio_axis(ax, [*est.ci_lower, *est.ci_upper, *est.claimed_low, *est.claimed_high])
        ax.set_xlabel("ratio (peer support + clinical vs clinical only); orange: claimed")
        ax.set_title("Claims (orange) against this cohort's estimates (blue, 95% CI)", fontsize="medium")
        return ax


class _Estimator:
    """Computes each estimand once, from the analyses of one cohort."""

    def __init__(self, cohort: Cohort | ScannedCohort, program_days: float, alpha: float,
                 known: Mapping[str, Any] | None = None) -> None:
        self.cohort = cohort
        self.columns = list(cohort.columns if isinstance(cohort, ScannedCohort) else cohort.df.columns)
        self.L = program_days
        self.alpha = alpha
        self._cache: dict[str, Any] = {}
        for key, value in (known or {}).items():
            if isinstance(value, OutcomesError):
                self._cache[key] = _NotEstimable(str(value))
            elif value is not None:
                if getattr(value, "alpha", alpha) != alpha:
                    raise InputError(f"results[{key!r}] was computed with alpha={value.alpha}, not {alpha}")
                self._cache[key] = value

    def _get(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._cache:
            try:
                with quiet_caveats():  # a verdict needs the estimate; the caveats stay on the result
                    self._cache[key] = fn()
            except OutcomesError as exc:
                self._cache[key] = _NotEstimable(str(exc))
        value = self._cache[key]
        if isinstance(value, _NotEstimable):
            raise value
        return value

    def _km_at(self, day: float) -> pd.DataFrame:
        from ..analyses.compare_arms import compare_arms

        if "relapse" not in self.cohort.outcomes:
            raise _NotEstimable("this cohort has no relapse outcome")
        res = self._get("relapse", lambda: compare_arms(self.cohort, "relapse", alpha=self.alpha))
        try:
            frames = []
            for arm in self.cohort.arms:
                km = res.curves[arm]
                if km.time[-1] < day:
                    raise _NotEstimable(f"arm {arm!r} has no follow-up to day {plain(day)} (it ends at day "
                                        f"{plain(km.time[-1])})")
                frames.append(km.at([day]).assign(arm=arm))
        except NotEstimableError as exc:
            raise _NotEstimable(str(exc)) from None
        return pd.concat(frames, ignore_index=True).set_index("arm")

    def _secondary(self, outcome: str):
        from ..analyses.secondary import compare_secondary

        return self._get(f"secondary:{outcome}", lambda: compare_secondary(self._rows(outcome), outcome,
                                                                            alpha=self.alpha))

    def _rows(self, what: str) -> Cohort:
        """The cohort in memory, for the analyses that read its rows (of a scan: not estimable here, and why)."""
        if isinstance(self.cohort, ScannedCohort):
            raise _NotEstimable(f"{what} is estimated from rows, and a scanned cohort stays in its engine: load it "
                                "with to_cohort()")
        return self.cohort



    def estimate(self, estimand: str) -> tuple[float, float, float]:
        """The estimate of ``estimand`` and its interval, or ``_NotEstimable`` with the reason."""
        with np.errstate(divide="ignore", invalid="ignore"):  # a zero risk is caught just below, with a reason
            found = self._estimate(estimand)
        if not np.all(np.isfinite(np.asarray(found, dtype=float))):
            raise _NotEstimable("a risk of 0 or 1 in an arm leaves the ratio or its interval undefined")
        return found

    def _estimate(self, estimand: str) -> tuple[float, float, float]:
        if estimand in _SURVIVAL_ESTIMANDS:
            return self._survival(estimand)
        if estimand in ("retention_ratio", "dropout_ratio"):
            return self._retention(estimand)
        secondary = _secondary_estimands()
        if estimand in secondary:
            return self._secondary_estimand(*secondary[estimand])
        if estimand == "co_occurring_mh_prevalence":
            if "co_occurring_mh" not in self.columns:
                raise _NotEstimable("this cohort has no co_occurring_mh column")
            if isinstance(self.cohort, ScannedCohort):
                return _wilson(*self.cohort.yes_and_known("co_occurring_mh"), self.alpha)
            x = self.cohort.df["co_occurring_mh"].dropna()
            return _wilson(int(x.sum()), len(x), self.alpha)
        if estimand == "relapse_rate_ratio":
            return self._recurrent()
        if estimand == "interview_completion_ratio":
            return self._interviews()
        if estimand == "studies_reviewed":
            raise _NotEstimable("the number of studies reviewed is a property of the literature, not of a cohort")
        raise _NotEstimable(f"no estimator for {estimand}")

    def _interviews(self) -> tuple[float, float, float]:
        """The share of due follow-up interviews completed in their window, peer arm over clinical arm, with the
        delta-method interval of a ratio of independent proportions (from ``results["interviews"]``, or the
        cohort's own interviews)."""
        from ..analyses.interviews import follow_up

        if "interviews" not in self._cache and self.cohort.interviews is None:
            raise _NotEstimable("no interview records were given (follow-up from contact dates is only a proxy)")
        rates = self._get("interviews", lambda: follow_up(self._rows("interview follow-up"), self.cohort.interviews))
        due = rates.rates[rates.rates.window != "baseline"].groupby("arm")[["due", "completed"]].sum()
        ref, trt = self.cohort.arms
        if not all(arm in due.index and due.loc[arm, "completed"] > 0 for arm in (ref, trt)):
            raise _NotEstimable("an arm has no follow-up interview completed (or none due) yet")
        (n0, c0), (n1, c1) = due.loc[ref].to_numpy(float), due.loc[trt].to_numpy(float)
        p0, p1 = c0 / n0, c1 / n1
        return _log_ci(p1 / p0, np.sqrt((1 - p0) / c0 + (1 - p1) / c1), normal_quantile(self.alpha))

    def _survival(self, estimand: str) -> tuple[float, float, float]:
        """Risks and survival ratios at 12 months or 10 years, from the Kaplan-Meier curves (Greenwood); when the
        cohort says when peer support started, the 12-month ones from the emulated trial instead."""
        if estimand != "sobriety_ratio_10y" and s.EXPOSURE_START in self.columns:
            return self._trial(estimand)
        z = normal_quantile(self.alpha)
        ref, trt = self.cohort.arms
        at = self._km_at(3650.0 if estimand == "sobriety_ratio_10y" else 365.0)
        s0, s1 = at.loc[ref, "survival"], at.loc[trt, "survival"]
        v0, v1 = at.loc[ref, "std_err"] ** 2, at.loc[trt, "std_err"] ** 2  # var of log S (Greenwood)
        p0, p1 = 1 - s0, 1 - s1
        if estimand == "relapse_risk_12m_clinical":
            return p0, 1 - at.loc[ref, "ci_upper"], 1 - at.loc[ref, "ci_lower"]
        if estimand in ("sobriety_ratio_12m", "sobriety_ratio_10y"):
            return _log_ci(s1 / s0, np.sqrt(v0 + v1), z)
        if estimand == "relapse_risk_ratio_12m":
            return _log_ci(p1 / p0, np.sqrt(v0 * (s0 / p0) ** 2 + v1 * (s1 / p1) ** 2), z)
        se = np.sqrt(v0 * s0**2 + v1 * s1**2)
        return p1 - p0, p1 - p0 - z * se, p1 - p0 + z * se

    def _trial(self, estimand: str) -> tuple[float, float, float]:
        """12-month relapse by strategy of the emulated trial: "start within grace" against "do not"."""
        from ..analyses.exposure import compare_exposure

        exposure = self._get("exposure", lambda: compare_exposure(self._rows("relapse from the first peer contact"),
                                                                  "relapse", adjust=self.cohort.recorded_covariates,
                                                                  alpha=self.alpha))
        if exposure.horizon != 365:
            raise _NotEstimable(f"the emulated trial's horizon is day {plain(exposure.horizon)}, not 12 months")
        at = exposure.trial[exposure.trial.day == exposure.horizon].set_index("strategy")
        start, wait = at.iloc[0], at.iloc[1]
        if estimand == "relapse_risk_ratio_12m":
            e = exposure.risk_ratio
            return e.value, e.ci_lower, e.ci_upper
        if estimand == "relapse_risk_difference_12m":
            e = exposure.risk_difference
            return e.value, e.ci_lower, e.ci_upper
        if estimand == "relapse_risk_12m_clinical":
            return wait.risk, wait.ci_lower, wait.ci_upper
        raise _NotEstimable(f"peer support started after enrollment: the emulated trial gives the risks of relapse "
                            f"({100 * start.risk:.0f}% when starting within {plain(exposure.grace)} days, "
                            f"{100 * wait.risk:.0f}% when not) and their ratio, not a ratio of relapse-free shares")

    def _recurrent(self) -> tuple[float, float, float]:
        """A claim about relapse *rates*: relapses per person-year from every episode (the cohort's ``events``)."""
        from ..analyses.recurrent import compare_recurrent

        events = self.cohort.events
        if events is None:
            raise _NotEstimable("a relapse rate needs every relapse episode, and this cohort records only the first")
        res = self._get("recurrent", lambda: compare_recurrent(self._rows("a relapse rate"), events, alpha=self.alpha))
        if res.rate_ratio is None:
            raise _NotEstimable("the rate ratio of relapses is not estimable (no relapse in an arm)")
        e = res.rate_ratio
        return e.value, e.ci_lower, e.ci_upper

    def _retention(self, estimand: str) -> tuple[float, float, float]:
        """Dropout and retention ratios at the program's end, from the cumulative incidence of dropout."""
        from ..analyses.competing import cumulative_incidence

        if "retention" not in self.cohort.outcomes:
            raise _NotEstimable("this cohort has no retention outcome")
        ref, trt = self.cohort.arms
        cr = self._get("competing", lambda: cumulative_incidence(self.cohort, alpha=self.alpha))
        for arm in (ref, trt):
            if cr.curves[arm].last_time < self.L:
                raise _NotEstimable(f"arm {arm!r} has no follow-up to the program end (day {plain(self.L)})")
        d0, d1 = (cr.curves[a].at(np.array([self.L])) for a in (ref, trt))
        f0, f1 = d0.cif.iloc[0], d1.cif.iloc[0]
        se0, se1 = d0.se.iloc[0], d1.se.iloc[0]
        z = normal_quantile(self.alpha)
        if estimand == "dropout_ratio":
            return _log_ci(f1 / f0, np.hypot(se0 / f0, se1 / f1), z)
        return _log_ci((1 - f1) / (1 - f0), np.hypot(se0 / (1 - f0), se1 / (1 - f1)), z)

    def _secondary_estimand(self, spec: SecondaryOutcome, statistic: str) -> tuple[float, float, float]:
        """A claim about a secondary outcome, answered by the statistic its registry entry names."""
        missing = [c for c in spec.column_names if c not in self.columns]
        if missing:
            raise _NotEstimable(f"this cohort has no {spec.words} ({', '.join(spec.column_names)})")
        res = self._secondary(spec.name)
        if statistic == "ratio":
            e = res.estimate
            return e.value, e.ci_lower, e.ci_upper
        if statistic == "reduction_ratio":
            if "ratio of relative reductions" not in set(res.secondary_estimates.measure):
                raise _NotEstimable(f"{spec.words} did not fall in both arms: no ratio of reductions")
            row = res.secondary_estimates.set_index("measure").loc["ratio of relative reductions"]
            return row.value, row.ci_lower, row.ci_upper
        per = res.per_arm.set_index("arm")
        ref, trt = self.cohort.arms
        z = normal_quantile(self.alpha)
        if statistic == "reduction_treatment":
            r, se = per.loc[trt, "relative_reduction"], per.loc[trt, "relative_reduction_se"]
            return r, r - z * se, r + z * se
        diff = per.loc[trt, "relative_reduction"] - per.loc[ref, "relative_reduction"]
        se = np.hypot(per.loc[trt, "relative_reduction_se"], per.loc[ref, "relative_reduction_se"])
        return diff, diff - z * se, diff + z * se


_SURVIVAL_ESTIMANDS = ("relapse_risk_ratio_12m", "relapse_risk_difference_12m", "relapse_risk_12m_clinical",
                       "sobriety_ratio_12m", "sobriety_ratio_10y")


def _secondary_estimands() -> dict[str, tuple[SecondaryOutcome, str]]:
    """Estimand -> (secondary outcome, statistic), from the outcome registry."""
    return {estimand: (spec, statistic) for spec in SECONDARY_OUTCOMES.values()
            for estimand, statistic in spec.estimands.items()}


def _log_ci(value: float, se_log: float, z: float) -> tuple[float, float, float]:
    return float(value), float(value * np.exp(-z * se_log)), float(value * np.exp(z * se_log))


def _wilson(successes: int, n: int, alpha: float) -> tuple[float, float, float]:
    """A proportion with its Wilson score interval (statsmodels' ``proportion_confint(method="wilson")``, equal to
    1e-12 in a test; written out here because importing statsmodels took 0.7 s of every report, measured)."""
    if n == 0:
        raise _NotEstimable("nobody has a recorded value")
    p, z = successes / n, float(stats.norm.isf(alpha / 2))
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return p, float(centre - half), float(centre + half)


def _verdict(estimand: str, claimed_low: float, claimed_high: float, bound: str,
             estimate: float, lower: float, upper: float) -> str:
    null, _, _ = estimand_info(estimand)
    shown = _fmt(estimand, estimate), _fmt(estimand, lower), _fmt(estimand, upper)
    est = f"this cohort's {shown[0]} ({shown[1]} to {shown[2]})"
    if bound == "at most" and null is not None:
        # "up to X" claims an effect in X's direction, at most X: the interval (no effect, X]
        direction = np.sign(claimed_high - null)
        claim = f"up to {_fmt(estimand, claimed_high)}"
        reaches_effect = upper > null if direction > 0 else lower < null
        within_bound = lower <= claimed_high if direction > 0 else upper >= claimed_high
        if reaches_effect and within_bound:
            return f"consistent: {est} overlaps the claimed {claim}"
        if not within_bound:
            return f"larger effect: {est} is beyond the claimed {claim}"
        if (direction > 0 and upper < null) or (direction < 0 and lower > null):
            return f"opposite direction: {est} lies on the other side of no effect from the claimed {claim}"
        return f"smaller effect: {est} does not exclude no effect, below the claimed {claim}"
    claim = _fmt(estimand, claimed_low) if claimed_low == claimed_high else \
        f"{_fmt(estimand, claimed_low)} to {_fmt(estimand, claimed_high)}"
    if upper >= claimed_low and lower <= claimed_high:
        return f"consistent: {est} includes the claimed {claim}"
    if null is None:  # a level (prevalence, baseline risk): below or above the claim
        if upper < claimed_low:
            return f"smaller effect: {est} is below the claimed {claim}"
        return f"larger effect: {est} is above the claimed {claim}"
    direction = np.sign((claimed_low + claimed_high) / 2 - null)
    if (direction > 0 and upper < null) or (direction < 0 and lower > null):
        return f"opposite direction: {est} lies on the other side of no effect from the claimed {claim}"
    if (direction > 0 and lower > claimed_high) or (direction < 0 and upper < claimed_low):
        return f"larger effect: {est} is further from no effect than the claimed {claim}"
    return f"smaller effect: {est} is closer to no effect than the claimed {claim}"


def _fmt(estimand: str, value: float) -> str:
    if estimand == "studies_reviewed":
        return f"{plain(value)}"
    _, scale, _ = estimand_info(estimand)
    if scale == "log":
        return f"{value:.2f}"
    return f"{100 * value:.1f}%"


def reconcile(cohort: Cohort | ScannedCohort, *, program_days: float | None = None, alpha: float = 0.05,
              results: Mapping[str, object] | None = None) -> Reconciliation:
    """Test every claim in the registry that this cohort can test.

    Parameters
    ----------
    cohort : Cohort
    program_days : float, optional
        Planned program length for the retention claims; default: the synthetic
        scenario's (``cohort.truth["program_days"]``), else 180 days.
    alpha : float
    results : dict, optional
        Analyses of this very cohort already run, so that nothing is computed twice: ``"relapse"``
        (``compare_arms(cohort, "relapse")``), ``"competing"`` (``cumulative_incidence(cohort)``) and
        ``"secondary:<outcome>"`` (``compare_secondary``); a value may be the ``OutcomesError`` that analysis
        raised. Anything not given is computed here.

    Examples
    --------
    >>> import outcomes as oc
    >>> rec = oc.reconcile(oc.synthetic_cohort(n=2000, seed=1, randomized=True))
    >>> rec.table().columns.tolist()
    ['claim_id', 'estimand', 'claimed', 'estimate', 'ci_lower', 'ci_upper', 'verdict']
    """
    if program_days is None:
        program_days = float(cohort.truth.get("program_days", 180))
    estimator = _Estimator(cohort, float(program_days), alpha, results)
    registry = catalog.registry().set_index("claim_id")
    rows = []
    for r in catalog.readings().itertuples():
        low = r.low if r.bound == "range" else r.value
        high = r.high if r.bound == "range" else r.value
        base = {"claim_id": r.claim_id, "source": registry.loc[r.claim_id, "source"], "reading": r.reading,
                "estimand": r.estimand, "claimed": catalog._claimed_text(r), "bound": r.bound,
                "claimed_low": low, "claimed_high": high}
        try:
            estimate, lower, upper = estimator.estimate(r.estimand)
        except _NotEstimable as exc:
            rows.append({**base, "estimate": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
                         "verdict": f"not estimable: {exc}"})
            continue
        if r.bound == "at most":
            null = estimand_info(r.estimand)[0]
            base["claimed_low"], base["claimed_high"] = sorted((null, r.value))
        rows.append({**base, "estimate": estimate, "ci_lower": lower, "ci_upper": upper,
                     "verdict": _verdict(r.estimand, low, high, r.bound, estimate, lower, upper)})
    return Reconciliation(rows=pd.DataFrame(rows), program_days=float(program_days), alpha=alpha)

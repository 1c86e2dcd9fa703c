"""``synthetic_twin``: a synthetic cohort that mirrors a real program, fitted to it and never copied from it.

A program cannot hand its records to an outside analyst, but it can hand a twin:

* **who enrolled**: covariates, site, enrollment date and secondary outcomes are drawn,
  per arm, from a Gaussian copula fitted to the real ones (each column's own
  distribution, smoothed between observed values, and their rank correlations);
  missing values at the real rate;
* **what happened**: time to relapse from a Cox model stratified by arm (the real
  covariate effects and each arm's own baseline hazard), and leaving treatment from
  one cause-specific Cox model per exit (dropout, completion, transfer), the first
  exit winning; loss to follow-up from each arm's own censoring distribution, and the
  real as-of date stops follow-up as it did for the real participants.

:func:`outcomes.twin_report` then says how useful and how private the twin is: its hazard
ratios and 12-month rates beside the real ones with their intervals, records copied
(none: any twin record equal to a real one on every quasi-identifier and time is
drawn again), and each twin record's distance to the closest real record against the
real records' distance to their own nearest neighbour.

Relapse and retention are drawn independently given the covariates, and secondary
outcomes depend on the arm and covariates only: the twin serves analysis of each
outcome, not of how they depend on one another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..core.errors import InputError, NotEstimableError
from ..model import schema as s
from ..model.cohort import Cohort
from ..model.outcome_registry import secondary_columns
from ..stats import fit_cox
from ..stats.baseline_hazard import discrete_baseline_hazard
from ..model.design_matrix import design_matrix

__all__ = ["MATCH_COLUMNS", "MATCH_LABELS", "MIN_ARM", "copied_records", "synthetic_twin"]

MIN_ARM = 50  # participants per arm: below it the models describe individuals, not a program
_DISCRETE_LEVELS = 15  # numeric columns with this many distinct values or fewer are drawn as categories
MATCH_COLUMNS = ("age", "sex", s.SITE, s.ENROLL_DATE, s.RELAPSE_DAYS, s.RELAPSE_EVENT, s.EXIT_DAYS, s.EXIT_REASON)
MATCH_LABELS = {s.ENROLL_DATE: "enrollment date", s.RELAPSE_DAYS: "days to relapse or censoring",
                 s.RELAPSE_EVENT: "relapse", s.EXIT_DAYS: "days in treatment", s.EXIT_REASON: "way of leaving"}


# ------------------------------------------------------------------------------------------- copula
def _normal_scores(values: pd.Series) -> np.ndarray:
    """Mid-ranks mapped to normal quantiles; a missing value scores 0 (the median)."""
    present = values.notna().to_numpy()
    z = np.zeros(len(values))
    if present.any():
        ranks = stats.rankdata(pd.factorize(values[present], sort=True)[0] if not
                               pd.api.types.is_numeric_dtype(values) else values[present].to_numpy(float))
        z[present] = stats.norm.ppf((ranks - 0.5) / present.sum())
    return z


def _draw_column(real: pd.Series, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Values for uniforms ``u`` from the real column's distribution: categories by their frequencies,
    numbers by the quantile function interpolated between observed values (rounded if whole numbers)."""
    present = real.dropna()
    out = np.full(len(u), np.nan, dtype=object)
    if present.empty:
        return out
    numeric = pd.api.types.is_numeric_dtype(real) and not pd.api.types.is_bool_dtype(real)
    if numeric and present.nunique() > _DISCRETE_LEVELS:
        ordered = np.sort(present.to_numpy(float))
        drawn = np.interp(u, (np.arange(len(ordered)) + 0.5) / len(ordered), ordered)
        if np.all(ordered == np.round(ordered)):
            drawn = np.round(drawn)
        out = drawn.astype(float)
    else:
        levels, counts = np.unique(present.to_numpy(), return_counts=True)
        cumulative = np.cumsum(counts) / counts.sum()
        out = levels[np.minimum(np.searchsorted(cumulative, u, side="right"), len(levels) - 1)]
        if numeric:
            out = out.astype(float)
    missing = rng.random(len(u)) < real.isna().mean()
    if missing.any():
        out = out.astype(object) if not numeric else out
        out[missing] = np.nan if numeric else None
    return out


def _enrollment_within_site(table: pd.DataFrame, arm_rows: np.ndarray, sites: np.ndarray,
                            rng: np.random.Generator) -> np.ndarray:
    """Days from the first enrollment, drawn from the real ones of the same site and arm (of the same site,
    both arms, when the arm has fewer than 20 there), smoothed between observed days."""
    out = np.empty(len(sites))
    for site in np.unique(sites):
        pick = sites == site
        same = (table[s.SITE].astype(str) == str(site)).to_numpy()
        pool = table.loc[same & arm_rows, "_enroll_day"] if (same & arm_rows).sum() >= 20 else \
            table.loc[same, "_enroll_day"]
        out[pick] = _draw_column(pool.astype(float), rng.random(pick.sum()), rng)
    return out


def _copula_draw(real: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` rows with the real columns' distributions and rank correlations."""
    z = np.column_stack([_normal_scores(real[c]) for c in real.columns]) if len(real.columns) else np.zeros((0, 0))
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column: no correlation (0), set below
        corr = np.corrcoef(z, rowvar=False) if z.shape[1] > 1 else np.ones((1, 1))
    corr = np.nan_to_num(corr, nan=0.0)
    np.fill_diagonal(corr, 1.0)
    eigenvalues, vectors = np.linalg.eigh(corr)  # nearest valid correlation: negative eigenvalues clipped
    root = vectors * np.sqrt(np.clip(eigenvalues, 1e-9, None))
    draws = stats.norm.cdf(rng.standard_normal((n, len(real.columns))) @ root.T)
    return pd.DataFrame({c: _draw_column(real[c], draws[:, j], rng) for j, c in enumerate(real.columns)})


# ------------------------------------------------------------------------------------------- times
@dataclass(frozen=True)
class _HazardModel:
    """A Cox model stratified by arm: coefficients and each arm's Breslow cumulative baseline hazard."""

    beta: np.ndarray
    times: dict[str, np.ndarray]
    cumulative: dict[str, np.ndarray]

    def draw(self, arm: np.ndarray, lp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Event times drawn by inversion of S(t) = exp(-H(t) exp(lp)) over the discrete hazard; infinity
        when the participant outlives the last real event."""
        out = np.full(len(arm), np.inf)
        for a, times in self.times.items():
            rows = arm == a
            if not times.size or not rows.any():
                continue
            target = rng.exponential(size=rows.sum()) / np.exp(lp[rows])
            at = np.searchsorted(self.cumulative[a], target, side="left")
            hit = at < len(times)
            drawn = np.full(rows.sum(), np.inf)
            drawn[hit] = times[at[hit]]
            out[rows] = drawn
        return out


def _hazard_model(X: np.ndarray, terms: list[str], time: np.ndarray, event: np.ndarray, arm: np.ndarray,
                  arms: tuple[str, str]) -> _HazardModel:
    """Covariate effects from a Cox model stratified by arm (none if it cannot be fitted), baselines per arm."""
    beta = np.zeros(X.shape[1])
    if X.shape[1]:
        try:
            beta = fit_cox(X, time, event, terms=terms, strata=arm).coef
        except NotEstimableError:
            pass  # too sparse for covariate effects: each arm's own curve alone
    risk = np.exp(X @ beta) if X.shape[1] else np.ones(len(time))
    times, cumulative = {}, {}
    for a in arms:
        rows = arm == a
        times[a], cumulative[a] = discrete_baseline_hazard(time[rows], event[rows], risk[rows])
    return _HazardModel(beta, times, cumulative)


# ------------------------------------------------------------------------------------------- the twin
def _mirrored_columns(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Columns drawn from the copula, and those left out because they look like identifiers or free text."""
    outcome = {s.PARTICIPANT_ID, s.ARM, s.ENROLL_DATE, s.FOLLOWUP_DAYS, s.RELAPSE_DAYS, s.RELAPSE_EVENT,
               s.EXIT_DAYS, s.EXIT_REASON}
    kept: list[str] = []
    skipped: list[str] = []
    for c in df.columns:
        if c in outcome:
            continue
        values = df[c].dropna()
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        near_unique = values.nunique() > 50 or (len(values) and values.nunique() > 0.5 * len(values))
        (skipped if (not numeric and near_unique) else kept).append(c)
    return kept, skipped


def _model_frame(real: pd.DataFrame, twin: pd.DataFrame, covariates: list[str],
                 treatment: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """One design for real and twin rows (same levels), missing values filled with the real mean or mode; a
    covariate blank for every real participant carries no information and is left out."""
    covariates = [c for c in covariates if real[c].notna().any()]
    both = pd.concat([real[[s.ARM, *covariates]], twin[[s.ARM, *covariates]]], ignore_index=True)
    for c in covariates:
        numeric = pd.api.types.is_numeric_dtype(real[c]) and not pd.api.types.is_bool_dtype(real[c])
        fill = real[c].mean() if numeric else real[c].mode().iloc[0]
        both[c] = pd.to_numeric(both[c], errors="coerce").fillna(fill) if numeric else both[c].fillna(fill).astype(str)
    design = design_matrix(both, treatment, covariates)
    X = design.X[:, 1:]  # the arm is a stratum, not a term
    X = X - X[: len(real)].mean(axis=0)  # centred: baselines are those of an average participant
    keep = np.ptp(X[: len(real)], axis=0) > 0 if X.size else np.zeros(0, dtype=bool)
    return X[: len(real)][:, keep], X[len(real):][:, keep], [t for t, k in zip(design.terms[1:], keep) if k]


def _horizon(df: pd.DataFrame, as_of) -> np.ndarray:
    if as_of is None or s.ENROLL_DATE not in df.columns:
        return np.full(len(df), np.inf)
    return (pd.Timestamp(as_of) - pd.to_datetime(df[s.ENROLL_DATE])).dt.days.to_numpy(float)


@dataclass(frozen=True)
class _TimeModel:
    """One outcome's fitted models: the event hazards (one per cause) and loss to follow-up, per arm."""

    causes: tuple[str, ...]
    hazards: tuple[_HazardModel, ...]
    loss: _HazardModel
    longest: float  # the real follow-up's end: no twin is followed longer

    def draw(self, arm: np.ndarray, X: np.ndarray, horizon: np.ndarray,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Observed time, the cause (index, -1 if censored) and the end of follow-up of each twin record."""
        latent = np.column_stack([h.draw(arm, X @ h.beta if X.size else np.zeros(len(arm)), rng)
                                  for h in self.hazards])
        first = latent.argmin(axis=1)
        event_time = latent[np.arange(len(arm)), first]
        stop = np.fmin(np.fmin(self.loss.draw(arm, np.zeros(len(arm)), rng), horizon), self.longest)
        seen = event_time <= stop
        return np.where(seen, event_time, stop), np.where(seen, first, -1), stop


def _time_model(cohort: Cohort, X: np.ndarray, terms: list[str], time: np.ndarray, causes: list[np.ndarray],
                censored: np.ndarray, names: tuple[str, ...]) -> _TimeModel:
    real = cohort.df
    arm = real[s.ARM].astype(str).to_numpy()
    hazards = tuple(_hazard_model(X, terms, time, event.astype(float), arm, cohort.arms) for event in causes)
    lost = censored & (time < _horizon(real, cohort.as_of) - 1)  # censored before the as-of date stopped it
    loss = _hazard_model(np.zeros((len(time), 0)), [], time, lost.astype(float), arm, cohort.arms)
    return _TimeModel(names, hazards, loss, float(time.max()))


def _fit_time_models(cohort: Cohort, X: np.ndarray, terms: list[str]) -> dict[str, _TimeModel]:
    """Relapse (one cause) and leaving treatment (dropout, completion, transfer), fitted once."""
    real, models = cohort.df, {}
    if "relapse" in cohort.outcomes:
        time, event = real[s.RELAPSE_DAYS].to_numpy(float), real[s.RELAPSE_EVENT].to_numpy() == 1
        models["relapse"] = _time_model(cohort, X, terms, time, [event], ~event, ("relapse",))
    if "retention" in cohort.outcomes:
        time, reason = real[s.EXIT_DAYS].to_numpy(float), real[s.EXIT_REASON].astype(str).to_numpy()
        causes = tuple(c for c in s.EXIT_REASONS if c != "in_treatment")
        models["retention"] = _time_model(cohort, X, terms, time, [reason == c for c in causes],
                                          reason == "in_treatment", causes)
    return models


def _check_mirrorable(cohort: Cohort) -> None:
    if not {"relapse", "retention"} & set(cohort.outcomes):
        raise InputError("a synthetic twin needs a relapse or retention outcome to mirror")
    for a in cohort.arms:
        rows = cohort.df[s.ARM] == a
        if rows.sum() < MIN_ARM:
            raise NotEstimableError(f"arm {a!r} has fewer than {MIN_ARM} participants: a twin of so few would mirror "
                                    "individuals, not the program. Pool quarters or sites first, or share counts")
        for outcome, events in (("relapse", s.RELAPSE_EVENT), ("retention", s.EXIT_REASON)):
            if outcome in cohort.outcomes:
                seen = (cohort.df.loc[rows, events] == 1) if outcome == "relapse" else \
                    (cohort.df.loc[rows, events].astype(str) != "in_treatment")
                if seen.sum() < 11:
                    raise NotEstimableError(f"arm {a!r} has fewer than 11 {outcome} events: its curve would be "
                                            "drawn from a few real people's times")


def _match_keys(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One text key per record over ``columns`` (numbers as numbers, dates as days)."""
    parts = []
    for c in columns:
        v = df[c]
        if c == s.ENROLL_DATE:
            v = pd.to_datetime(v).dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_numeric_dtype(v):
            v = pd.to_numeric(v).round(6)
        parts.append(v.astype(str).to_numpy())
    return pd.Series(["|".join(p) for p in zip(*parts)], index=df.index) if parts else pd.Series("", index=df.index)


def copied_records(real: pd.DataFrame, twin: pd.DataFrame) -> np.ndarray:
    """Twin records equal to some real record on every quasi-identifier and time both have (bool per twin row)."""
    columns = [c for c in MATCH_COLUMNS if c in real.columns and c in twin.columns]
    return _match_keys(twin, columns).isin(set(_match_keys(real, columns))).to_numpy()


@dataclass(frozen=True)
class _People:
    """Who enrolls: the real covariates, secondary outcomes and enrollment days per arm, for the copula."""

    arms: tuple[str, str]
    table: pd.DataFrame  # the mirrored columns, and _enroll_day (days from the first enrollment)
    arm: np.ndarray
    columns: list[str]
    skipped: list[str]
    first: pd.Timestamp | None

    @classmethod
    def fit(cls, cohort: Cohort) -> _People:
        real = cohort.df
        columns, skipped = _mirrored_columns(real)
        table = real[columns].reset_index(drop=True)
        first = None
        if s.ENROLL_DATE in real.columns:
            first = pd.to_datetime(real[s.ENROLL_DATE]).min()
            table["_enroll_day"] = (pd.to_datetime(real[s.ENROLL_DATE]) - first).dt.days.astype(float).to_numpy()
        return cls(cohort.arms, table, real[s.ARM].astype(str).to_numpy(), columns, skipped, first)

    def draw(self, arms: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
        """One new person per entry of ``arms``, in that order."""
        by_site = self.first is not None and s.SITE in self.table.columns
        parts = []
        for a in self.arms:
            pick = np.flatnonzero(arms == a)
            if not pick.size:
                continue
            rows = self.arm == a
            copula = self.table.loc[rows].drop(columns=["_enroll_day"] if by_site else []).reset_index(drop=True)
            part = _copula_draw(copula, len(pick), rng)
            if by_site:  # sites open at different times: enrollment drawn within the site
                part["_enroll_day"] = _enrollment_within_site(self.table, rows, part[s.SITE].to_numpy(), rng)
            parts.append(part.set_index(pick))
        out = pd.concat(parts).sort_index()
        out.insert(0, s.ARM, np.asarray(arms, dtype=object))
        if self.first is not None:
            out.insert(1, s.ENROLL_DATE, self.first + pd.to_timedelta(out.pop("_enroll_day").astype(float), unit="D"))
        return out.reset_index(drop=True)


@dataclass(frozen=True)
class _Outcomes:
    """The fitted outcome models and how to code a twin's covariates for them."""

    cohort: Cohort
    covariates: list[str]
    models: dict[str, _TimeModel]

    @classmethod
    def fit(cls, cohort: Cohort) -> _Outcomes:
        real = cohort.df
        covariates = [c for c in cohort.covariates if c in real.columns
                      and (pd.api.types.is_numeric_dtype(real[c]) or real[c].nunique() <= 20)]
        X, _, terms = _model_frame(real, real.iloc[:0], covariates, cohort.treatment)
        return cls(cohort, covariates, _fit_time_models(cohort, X, terms))

    def draw(self, twin: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        """``twin`` with relapse, follow-up and exit drawn for each record."""
        _, X, _ = _model_frame(self.cohort.df, twin, self.covariates, self.cohort.treatment)
        arm, horizon, out = twin[s.ARM].to_numpy(str), _horizon(twin, self.cohort.as_of), twin.copy()
        if "relapse" in self.models:
            days, cause, stop = self.models["relapse"].draw(arm, X, horizon, rng)
            out[s.RELAPSE_DAYS], out[s.RELAPSE_EVENT], out[s.FOLLOWUP_DAYS] = days, (cause == 0).astype(int), \
                np.fmax(stop, days)
        if "retention" in self.models:
            model = self.models["retention"]
            days, cause, _ = model.draw(arm, X, horizon, rng)
            out[s.EXIT_DAYS] = days
            out[s.EXIT_REASON] = np.where(cause >= 0, np.array(model.causes, dtype=object)[np.maximum(cause, 0)],
                                          "in_treatment")
        follow = out[s.FOLLOWUP_DAYS].to_numpy(float) if s.FOLLOWUP_DAYS in out else horizon
        for column in secondary_columns():  # measured at a day of follow-up: unknown before it, as in the real data
            if column.name in out.columns and column.known_after_days is not None:
                out.loc[follow < column.known_after_days, column.name] = np.nan
        return out


MAX_FIRST_COPIES = 0.05  # share of first draws equal to a real record above which redrawing would bias outcomes


def _refuse_coarse(real: pd.DataFrame, twin: pd.DataFrame) -> None:
    """Redrawing the twin records that equal a real one is harmless while they are rare. When many are
    (ages and a common censoring week are all an outsider could know), redrawing keeps only the outcomes no
    real record has, e.g. relapses: the twin would stop mirroring the program, so it is refused."""
    share = float(copied_records(real, twin).mean())
    if share > MAX_FIRST_COPIES:
        columns = [MATCH_LABELS.get(c, c) for c in MATCH_COLUMNS if c in real.columns and c in twin.columns]
        raise NotEstimableError(
            f"{100 * share:.0f}% of drawn twin records equal a real record on {', '.join(columns)}: these columns "
            "are too coarse for a twin that is both faithful and unlike every real record (redrawing so many "
            "would favour outcomes no real record has). Share counts (oc.summarize) or a de-identified extract")


def synthetic_twin(cohort: Cohort, seed: int = 0) -> Cohort:
    """A synthetic cohort mirroring ``cohort``: fitted models, not copied rows (see the module notes).

    Parameters
    ----------
    cohort : Cohort
        The real cohort. Each arm needs 50 participants and 11 events of each outcome present.
    seed : int
        The same seed gives the same twin.

    Returns
    -------
    Cohort
        As many participants per arm as the real one, ids ``TWIN-000001``..., the same columns, as-of
        date and covariates. No record equals a real one on every quasi-identifier and time.
        ``twin.provenance`` says what was mirrored; :func:`outcomes.twin_report` measures it.

    Raises
    ------
    NotEstimableError
        A cohort too small to mirror safely, or whose quasi-identifiers and times are so coarse that more
        than 5% of drawn records equal a real one, with the reason.

    Examples
    --------
    >>> import outcomes as oc
    >>> real = oc.synthetic_cohort(n=600, seed=2)
    >>> twin = oc.synthetic_twin(real, seed=1)
    >>> len(twin) == len(real), twin.df.participant_id.iloc[0]
    (True, 'TWIN-000001')
    """
    if not isinstance(cohort, Cohort):
        raise InputError(f"synthetic_twin mirrors a Cohort, not {type(cohort).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, not {seed!r}")
    _check_mirrorable(cohort)
    rng = np.random.default_rng(seed)
    real = cohort.df
    people = _People.fit(cohort)
    outcomes = _Outcomes.fit(cohort)
    arms = np.concatenate([np.full(int((real[s.ARM] == a).sum()), a, dtype=object) for a in cohort.arms])
    twin = outcomes.draw(people.draw(arms, rng), rng)
    _refuse_coarse(real, twin)
    redrawn = 0
    for _ in range(20):  # a twin record equal to a real one on everything an outsider could know: a new person
        copied = copied_records(real, twin)
        if not copied.any():
            break
        redrawn += int(copied.sum())
        fresh = outcomes.draw(people.draw(twin.loc[copied, s.ARM].to_numpy(), rng), rng)
        twin.loc[copied] = fresh[twin.columns].to_numpy()
    kept = ~copied_records(real, twin)
    twin = _as_real_columns(twin.loc[kept].reset_index(drop=True), real, people.columns)
    provenance = {"synthetic_twin_of": cohort.provenance.get("source", "a cohort"), "seed": seed,
                  "mirrored": people.columns, "not_mirrored": people.skipped, "records_redrawn": redrawn,
                  "records_dropped": int((~kept).sum())}
    return Cohort(twin, reference=cohort.reference, arms=cohort.arms, as_of=cohort.as_of,
                  covariates=cohort.covariates, provenance=provenance)


def _as_real_columns(twin: pd.DataFrame, real: pd.DataFrame, mirrored: list[str]) -> pd.DataFrame:
    """Twin ids ``TWIN-000001``..., numbers typed as the real ones, the real column order."""
    twin.insert(0, s.PARTICIPANT_ID, [f"TWIN-{i + 1:06d}" for i in range(len(twin))])
    for c in mirrored:
        if pd.api.types.is_numeric_dtype(real[c]) and not pd.api.types.is_bool_dtype(real[c]):
            twin[c] = pd.to_numeric(twin[c])
    return twin[[c for c in real.columns if c in twin.columns]]

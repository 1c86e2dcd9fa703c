"""Recurrent relapses (issue 25): validity over seeded cohorts, and the speed of Andersen-Gill at scale.

    .venv/bin/python benchmarks/recurrent.py coverage     # 200 cohorts of 2,000, about 3 minutes
    .venv/bin/python benchmarks/recurrent.py speed        # 1M participants, about 3M episodes

coverage: ``synthetic_cohort(n=2000, seed=k, recurrent=True)`` (gamma frailty of variance 0.5, and 2.0 with more
episodes per person), Andersen-Gill
adjusted for the cohort's covariates; how often the robust (clustered) 95% CI covers the true rate ratio, and how
often the model-based CI (which ignores that a person's episodes are alike) does; bias on the log scale.

speed: Andersen-Gill as compare_recurrent fits it (the events validated, then the Cox model on one row per
participant with the events at their days, adjusted) against the first-event Cox with the same covariates on the
same cohort, each three times in turn in one run (the first round and the best are printed); and the same model
on the split (start, stop] rows, as it was fitted before.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

import outcomes as oc
from outcomes.analyses.recurrent import _andersen_gill as andersen_gill_fit
from outcomes.analyses.recurrent import _checked, _fit
from outcomes.model import schema as s
from outcomes.model.design_matrix import design_matrix
from outcomes.model.episodes import build_episodes
from outcomes.stats import fit_cox


def coverage(reps: int = 200) -> None:
    for frailty, risk in ((0.5, 0.5), (2.0, 0.8)):
        _coverage(reps, frailty, risk)


def _coverage(reps: int, frailty: float, risk: float) -> None:
    robust = model = 0
    logs = []
    events = 0
    for k in range(reps):
        cohort = oc.synthetic_cohort(n=2000, seed=1000 + k, recurrent=True, recurrent_frailty=frailty,
                                     relapse_risk_12m_clinical=risk)
        events += len(cohort.events)
        truth = np.log(cohort.truth["relapse_rate_ratio"])
        r = oc.compare_recurrent(cohort, cohort.events, adjust=list(cohort.covariates))
        row = r.cox.iloc[0]
        robust += abs(row.coef - truth) <= 1.959964 * row.robust_se
        model += abs(row.coef - truth) <= 1.959964 * row.se
        logs.append(row.coef - truth)
    print(f"| Andersen-Gill, adjusted, {reps} cohorts of 2,000 (frailty variance {frailty}, 12-month risk "
          f"{risk:.0%}, {events / reps / 2000:.2f} episodes per person) | robust CI covers "
          f"{100 * robust / reps:.1f}% | model-based CI covers {100 * model / reps:.1f}% | bias (log scale) "
          f"{np.mean(logs):+.4f} | |")


def _andersen_gill(cohort: oc.Cohort, adjust: list[str]) -> tuple[float, float]:
    """Seconds of the events' validation and of the Andersen-Gill fit, as compare_recurrent runs them (one row
    per participant, the events at their days)."""
    start = time.perf_counter()
    people, events = _checked(cohort, cohort.events)
    checked = time.perf_counter()
    andersen_gill_fit(people, events, cohort, tuple(adjust), None, 0.05)
    return checked - start, time.perf_counter() - checked


def _split_rows(cohort: oc.Cohort, adjust: list[str]) -> int:
    """The same model on the (start, stop] rows split at each event (tmerge), clustered by participant."""
    people, events = _checked(cohort, cohort.events)
    rows = build_episodes(people, id=s.PARTICIPANT_ID, end=s.FOLLOWUP_DAYS, events=events, event_name="event",
                          episode="enum").df
    _fit(rows, cohort, "andersen_gill", tuple(adjust), None, 0.05)
    return len(rows)


def _first_event(cohort: oc.Cohort, adjust: list[str]) -> None:
    df = cohort.df
    design = design_matrix(df, cohort.treatment, adjust)
    fit_cox(design.X, df[s.RELAPSE_DAYS].to_numpy(float), df[s.RELAPSE_EVENT].to_numpy(float), terms=design.terms,
            ph_test=False)


def speed(runs: int = 3) -> None:
    """The first-event Cox and Andersen-Gill measured in turn, ``runs`` times each in one process: the first
    round pays for the process's first use of a few hundred MB (page faults), the best is the steady cost."""
    adjust = ["age", "sex", "co_occurring_mh", "prior_treatments", "housing_unstable"]
    cohort = oc.synthetic_cohort(n=1_000_000, seed=1, recurrent=True, relapse_risk_12m_clinical=0.99)
    episodes = len(cohort.events)
    first, checks, fits = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        _first_event(cohort, adjust)
        first.append(time.perf_counter() - start)
        checked, fitted = _andersen_gill(cohort, adjust)
        checks.append(checked)
        fits.append(fitted)
    totals = [c + f for c, f in zip(checks, fits)]
    print(f"runs (s): first-event {_list(first)}; Andersen-Gill validation {_list(checks)}, fit {_list(fits)}")
    print(f"| Andersen-Gill (validation + Cox on one row per participant, events at their days), 1M participants, "
          f"{episodes:,} episodes, best of {runs} | {min(totals):.2f} (validation {min(checks):.2f}, fit "
          f"{min(fits):.2f}) | first-event Cox, same covariates, same cohort ({min(first):.2f} s) | "
          f"{min(totals) / min(first):.2f}x (fit alone {min(fits) / min(first):.2f}x) | <= 3x |")
    print(f"| the same, first round of the process | {totals[0]:.2f} | first-event Cox ({first[0]:.2f} s) | "
          f"{totals[0] / first[0]:.2f}x | |")
    start = time.perf_counter()
    rows = _split_rows(cohort, adjust)
    split = time.perf_counter() - start
    print(f"| the same model on the {rows:,} split (start, stop] rows (tmerge + clustered Cox) | {split:.2f} | "
          f"first-event Cox ({min(first):.2f} s) | {split / min(first):.2f}x | (before) |")


def _list(seconds: list[float]) -> str:
    return ", ".join(f"{s:.2f}" for s in seconds)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    {"coverage": coverage, "speed": speed}[sys.argv[1] if len(sys.argv) > 1 else "coverage"]()

"""IPTW intervals from one fit (issue 29): coverage of the stacked influence-function intervals over seeded
confounded cohorts, against the bootstrap that refits the propensity model, and the time each takes.

    .venv/bin/python benchmarks/iptw_variance.py [reps] [n ...]

Each replicate: ``synthetic_cohort(n, seed=k)`` (observational: peer support chosen by covariates; the true marginal
hazard ratio of peer support is in ``cohort.truth``), the IPTW comparison adjusted for the six covariates of the
propensity model, once with ``variance="analytic"`` and once with the bootstrap (200 refits). Printed per n: how
often the 95% interval of the marginal hazard ratio covers the truth (analytic stacked SE; the robust sandwich
that treats the weights as known, as the bootstrap path reports it), how often each arm's interval of survival at
day 365 covers the arm's true marginal survival (``1 - truth["relapse_risk_12m"][arm]``; stacked influence
functions, and the bootstrap's percentile band), the mean ratio of the analytic to the
bootstrap SE for the RMST difference and for each arm's survival at day 365, and the seconds of each path.
Replicates run on two processes.
"""

from __future__ import annotations

import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import outcomes as oc
from outcomes.analyses.weighted_comparison import compare_weighted

ADJUST = ("age", "sex", "primary_substance", "co_occurring_mh", "prior_treatments", "housing_unstable")


def replicate(job: tuple[int, int]) -> dict[str, float]:
    n, k = job
    warnings.simplefilter("ignore")
    cohort = oc.synthetic_cohort(n=n, seed=9000 + k)
    truth = np.log(cohort.truth["marginal_hr_relapse"])
    out: dict[str, float] = {}
    for how in ("analytic", "bootstrap"):
        start = time.perf_counter()
        res = compare_weighted(cohort, "relapse", ADJUST, horizon=365.0, alpha=0.05, trim=None, bootstrap=200,
                               seed=k, variance=how)
        out[f"{how} seconds"] = time.perf_counter() - start
        hr = res.hazard_ratio
        out[f"{how} covers"] = float(np.log(hr.ci_lower) <= truth <= np.log(hr.ci_upper))
        out[f"{how} rmst se"] = res.rmst_difference.se
        at = {arm: res.curves[arm].at([365.0]) for arm in cohort.arms}
        for arm, row in at.items():
            out[f"{how} S365 se {arm}"] = float(row.std_err.iloc[0] * row.survival.iloc[0])
            survival = 1 - cohort.truth["relapse_risk_12m"][arm]  # the arm's marginal 12-month survival
            out[f"{how} S365 covers {arm}"] = float(row.ci_lower.iloc[0] <= survival <= row.ci_upper.iloc[0])
    return out


def main(reps: int, sizes: list[int]) -> None:
    for n in sizes:
        with ProcessPoolExecutor(max_workers=2) as pool:
            rows = list(pool.map(replicate, [(n, k) for k in range(reps)]))
        mean = {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
        ratio_rmst = np.mean([r["analytic rmst se"] / r["bootstrap rmst se"] for r in rows])
        ratio_s = np.mean([r[f"analytic S365 se {a}"] / r[f"bootstrap S365 se {a}"] for r in rows
                           for a in ("clinical", "peer_clinical")])
        covers = {how: 100 * np.mean([r[f"{how} S365 covers {a}"] for r in rows for a in ("clinical", "peer_clinical")])
                  for how in ("analytic", "bootstrap")}
        print(f"| {n:,} | {100 * mean['analytic covers']:.1f}% | {100 * mean['bootstrap covers']:.1f}% | "
              f"{covers['analytic']:.1f}% | {covers['bootstrap']:.1f}% | "
              f"{ratio_rmst:.3f} | {ratio_s:.3f} | {mean['analytic seconds']:.3f} | {mean['bootstrap seconds']:.3f} |")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    print("| n | HR 95% CI covers (stacked, one fit) | HR 95% CI covers (robust, weights as known) | "
          "survival at day 365 covered, both arms (stacked) | the same (bootstrap percentile) | "
          "SE ratio, RMST difference (analytic / bootstrap) | SE ratio, survival at day 365 | seconds, analytic | "
          "seconds, bootstrap (200) |\n|---|---|---|---|---|---|---|---|---|")
    main(args[0] if args else 200, args[1:] or [1000, 2000])

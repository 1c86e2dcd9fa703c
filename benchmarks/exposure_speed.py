"""Speed of the exposure analyses (issue 24), as ratios to baselines measured in the same run.

    .venv/bin/python benchmarks/exposure_speed.py

1. The time-varying Cox model for 1M participants with delayed uptake (episodes built as tmerge does, then the
   Cox fit with robust SEs clustered by participant), against the fixed-arm adjusted Cox (``compare_arms`` with
   the same covariates) on the same cohort. Target: within 3x.
2. The same model from a scanned Parquet file (``compare_time_varying``, counts per interval, exposure and
   covariate pattern computed in DuckDB; model SE), against the in-memory fit.
3. ``compare_exposure`` on 10,000 participants with 200 bootstrap replicates of the emulated trial. Target: 60 s.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import outcomes as oc
from outcomes.analyses.exposure import _time_varying
from outcomes.model import schema as s
from outcomes.model.design_matrix import design_matrix
from outcomes.stats import fit_cox


def best(fn, repeats: int = 4) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def time_varying_cox(cohort: oc.Cohort, adjust: list[str]) -> int:
    """The time-varying part of compare_exposure: episodes as tmerge builds them, then the clustered Cox fit."""
    df = cohort.df
    design = design_matrix(df, cohort.treatment, adjust)
    keep = df[s.RELAPSE_DAYS].to_numpy(float) > 0
    intervals, _ = _time_varying(df[s.PARTICIPANT_ID].to_numpy()[keep], df[s.RELAPSE_DAYS].to_numpy(float)[keep],
                                 df[s.RELAPSE_EVENT].to_numpy(float)[keep],
                                 df[s.EXPOSURE_START].to_numpy(float)[keep], design.X[keep, 1:], design.terms[1:])
    return len(intervals)


def fixed_arm_cox_by_rows(cohort: oc.Cohort, adjust: list[str]) -> None:
    """The fixed-arm adjusted Cox fitted on the participants' rows (compare_arms fits 1M rows from counts)."""
    df = cohort.df
    design = design_matrix(df, cohort.treatment, adjust)
    fit_cox(design.X, df[s.RELAPSE_DAYS].to_numpy(float), df[s.RELAPSE_EVENT].to_numpy(float), terms=design.terms)


def main() -> None:
    warnings.simplefilter("ignore")
    adjust = ["age", "sex", "co_occurring_mh", "prior_treatments", "housing_unstable"]
    cohort = oc.synthetic_cohort(n=1_000_000, seed=1, peer_uptake="delayed", peer_effect=0.8)
    rows = time_varying_cox(cohort, adjust)
    fixed = best(lambda: oc.compare_arms(cohort, "relapse", adjust=adjust))
    by_rows = best(lambda: fixed_arm_cox_by_rows(cohort, adjust))
    varying = best(lambda: time_varying_cox(cohort, adjust))
    print("| task | seconds | baseline | ratio | target |\n|---|---|---|---|---|")
    print(f"| time-varying Cox (robust, clustered), 1M participants ({rows:,} intervals) | {varying:.2f} | "
          f"compare_arms adjusted on the same cohort ({fixed:.2f} s; from counts) | {varying / fixed:.2f}x | "
          "<= 3x |", flush=True)
    print(f"| the same | {varying:.2f} | the fixed-arm adjusted Cox fitted on the 1M rows ({by_rows:.2f} s) | "
          f"{varying / by_rows:.2f}x | |", flush=True)
    scan_adjust = ["sex", "co_occurring_mh", "housing_unstable"]  # few values each: patterns, not people
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "delayed.parquet"
        cohort.df.to_parquet(path)
        scanned = oc.scan(path, arm="arm", reference="clinical", relapse=(s.RELAPSE_DAYS, s.RELAPSE_EVENT),
                          covariates=scan_adjust, exposure_start=s.EXPOSURE_START)
        engine = best(lambda: oc.compare_time_varying(scanned, adjust=scan_adjust))
    memory = best(lambda: oc.compare_time_varying(cohort, adjust=scan_adjust))
    print(f"| time-varying Cox of a scanned Parquet cohort, 1M, adjusted for 3 categories (model SE) | "
          f"{engine:.2f} | compare_time_varying in memory, same covariates ({memory:.2f} s; robust SE) | "
          f"{engine / memory:.2f}x | |", flush=True)
    small = oc.synthetic_cohort(n=10_000, seed=2, peer_uptake="delayed", peer_effect=0.8)
    full = best(lambda: oc.compare_exposure(small, adjust=adjust, bootstrap=200), 1)
    print(f"| compare_exposure, 10,000 participants, 200 bootstrap replicates | {full:.1f} | the 60 s target | "
          f"{full / 60:.2f}x | <= 60 s |")


if __name__ == "__main__":
    main()

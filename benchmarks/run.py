"""Benchmarks: wall time (median of repeats) and ratios to baselines measured in the same run.

Run ``make benchmark`` (or ``python benchmarks/run.py [name ...]``); results are
printed as a Markdown table to paste into BENCHMARKS.md. Benchmarks are not
part of the test suite: timings belong here, not in unit tests.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import outcomes as oc


def timed(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_synthetic(repeats: int) -> list[tuple[str, float, str, float]]:
    n = 1_000_000
    oc.synthetic_cohort(n=1000, seed=0)  # calibrate the scenario once (cached), as any session does
    cold_start = time.perf_counter()
    oc.synthetic_cohort(n=1000, seed=0, relapse_risk_12m_clinical=0.55)  # a new scenario: calibration cost
    calibration = time.perf_counter() - cold_start
    t = timed(lambda: oc.synthetic_cohort(n=n, seed=1), repeats)
    rng = np.random.default_rng(0)
    x = rng.random(n)
    sort = timed(lambda: np.argsort(x), repeats)
    draws = timed(lambda: np.random.default_rng(1).random((23, n)), repeats)
    return [
        ("synthetic_cohort, 1M participants (scenario calibrated)", t, "np.argsort of 1M floats", t / sort),
        ("synthetic_cohort, 1M participants (scenario calibrated)", t, "23 x 1M uniform draws", t / draws),
        ("calibrating a new scenario (once per scenario)", calibration, "np.argsort of 1M floats", calibration / sort),
    ]


def bench_compare(repeats: int) -> list[tuple[str, float, str, float]]:
    cohort = oc.synthetic_cohort(n=1_000_000, seed=2)
    t = timed(lambda: oc.compare_arms(cohort, "relapse"), repeats)
    x = cohort.df["relapse_days"].to_numpy()
    sort = timed(lambda: np.argsort(x), repeats)
    return [("compare_arms unadjusted (KM + log-rank + Cox + RMST), 1M", t, "np.argsort of the time column", t / sort)]


def bench_power(repeats: int) -> list[tuple[str, float, str, float]]:
    from outcomes import power as pw

    t = timed(lambda: pw.simulate_power(1000, 0.65, reps=1000, seed=1), repeats)
    x = np.random.default_rng(0).random(1_000_000)
    sort = timed(lambda: np.argsort(x), repeats)
    return [("simulate_power: 1,000 log-rank trials of 1,000 participants", t, "np.argsort of 1M floats", t / sort)]


BENCHMARKS = {"synthetic": bench_synthetic, "compare": bench_compare, "power": bench_power}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), help=f"any of {list(BENCHMARKS)}")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {sys.version.split()[0]}, "
          f"numpy {np.__version__}, outcomes {oc.__version__}, median of {args.repeats} repeats\n")
    print("| task | seconds | baseline | ratio |\n|---|---|---|---|")
    for name in args.names:
        for task, seconds, baseline, ratio in BENCHMARKS[name](args.repeats):
            print(f"| {task} | {seconds:.3f} | {baseline} | {ratio:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

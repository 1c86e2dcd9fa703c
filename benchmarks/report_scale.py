"""The quarterly report at state scale (issue 29): one process builds the cohort, fits the adjusted Cox model and
writes the four formats; the report's seconds against that fit's, and the process's peak memory.

    .venv/bin/python benchmarks/report_scale.py 1000000      # about a minute on 2 cores

Peak memory is the process's own high-water mark (``VmHWM`` in ``/proc/self/status``), which includes building the
cohort. ``--verbose`` prints the report's steps with their seconds on stderr.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

import outcomes as oc
from outcomes.core.progress import showing_progress


def _peak_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def main(n: int, verbose: bool) -> None:
    warnings.simplefilter("ignore")
    cohort = oc.synthetic_cohort(n=n, seed=1)
    start = time.perf_counter()
    oc.compare_arms(cohort, adjust=list(cohort.covariates))
    fit = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        with showing_progress(2 if verbose else 0):
            oc.report.quarterly(cohort, "2026Q3", out, formats=["html", "xlsx", "docx", "pdf"])
        report = time.perf_counter() - start
    print(f"| {n:,} participants, four formats | {report:.1f} (peak {_peak_gb():.2f} GB for the whole process) | "
          f"adjusted Cox {fit:.2f} s | {report / fit:.0f}x | 10x, 1.5 GB |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, "--verbose" in sys.argv)

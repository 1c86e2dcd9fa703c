"""The quarterly report at state scale (issue 29): one process builds the cohort, fits the adjusted Cox model and
writes the four formats; the report's seconds against that fit's, and the process's peak memory.

    .venv/bin/python benchmarks/report_scale.py                   # both below, each in a fresh process
    .venv/bin/python benchmarks/report_scale.py 1000000          # in memory: about a minute on 2 cores
    .venv/bin/python benchmarks/report_scale.py 10000000 --scan   # scanned from Parquet files

In memory, the process builds a synthetic cohort. With ``--scan``, the Parquet files (the synthetic cohort's
enrollment, site, relapse, retention and three confounders, written once to ``/tmp/outcomes_report_<n>``
by a separate process) are scanned by DuckDB and never loaded: the process scans and validates them, fits
``compare_arms(scanned, adjust=scanned.covariates)`` and writes the report from the scan.

Peak memory is the process's own high-water mark (``VmHWM`` in ``/proc/self/status``), which includes building
(or scanning) the cohort. ``--verbose`` prints the report's steps with their seconds on stderr.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import outcomes as oc
from outcomes.core.progress import showing_progress

COLUMNS = ["participant_id", "arm", "site", "enroll_date", "relapse_days", "relapse_event", "exit_days",
           "exit_reason", "age", "sex", "co_occurring_mh"]
PART = 5_000_000


def _peak_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return float("nan")


def write_files(n: int) -> Path:
    """The synthetic cohort's report columns as Parquet files of 5M rows each (kept for later runs)."""
    folder = Path(f"/tmp/outcomes_report_{n}")
    parts = -(-n // PART)
    if folder.exists() and len(list(folder.glob("*.parquet"))) == parts:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(parts):
        df = oc.synthetic_cohort(n=min(PART, n - k * PART), seed=200 + k).df[COLUMNS]
        df = df.assign(participant_id=f"R{k:02d}-" + df.participant_id.astype(str))
        df.to_parquet(folder / f"part-{k:02d}.parquet", index=False)
        del df
    return folder


def scanned(folder: Path) -> oc.ScannedCohort:
    return oc.scan(f"{folder}/*.parquet", arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"),
                   retention=("exit_days", "exit_reason"), participant_id="participant_id", site="site",
                   enroll_date="enroll_date", covariates=["age", "sex", "co_occurring_mh"])


def main(n: int, scan: bool, verbose: bool) -> None:
    warnings.simplefilter("ignore")
    if scan:  # the files are written by another process, so that this one's peak is the scanned report's own
        subprocess.run([sys.executable, __file__, str(n), "--write"], check=True)
        cohort = scanned(Path(f"/tmp/outcomes_report_{n}"))
    else:
        cohort = oc.synthetic_cohort(n=n, seed=1)
    start = time.perf_counter()
    oc.compare_arms(cohort, adjust=list(cohort.covariates))
    fit = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        with showing_progress(2 if verbose else 0):
            oc.report.quarterly(cohort, "2026Q3", out, formats=["html", "xlsx", "docx", "pdf"])
        report = time.perf_counter() - start
    where = "scanned from Parquet" if scan else "in memory"
    print(f"| {n:,} participants {where}, four formats | {report:.1f} (peak {_peak_gb():.2f} GB for the whole "
          f"process) | adjusted Cox {fit:.2f} s | {report / fit:.1f}x |")


def both() -> None:
    """The issue's pair in one run: 1M in memory and 10M scanned from Parquet, each its own process."""
    print("| report | seconds | baseline in the same process | ratio |\n|---|---|---|---|", flush=True)
    for arguments in (["1000000"], ["10000000", "--scan"]):
        subprocess.run([sys.executable, __file__, *arguments], check=True)


if __name__ == "__main__":
    sizes = [a for a in sys.argv[1:] if a.isdigit()]
    if not sizes:
        both()
    elif "--write" in sys.argv:
        write_files(int(sizes[0]))
    else:
        main(int(sizes[0]), "--scan" in sys.argv, "--verbose" in sys.argv)

"""Benchmarks: wall time (median of repeats) and ratios to baselines measured in the same run.

    make benchmark                      # everything (about 15 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py synthetic compare   # a selection

Results print as a Markdown table (pasted into BENCHMARKS.md). Benchmarks are
not part of the test suite: timings belong here, not in unit tests. Peak memory
is measured in a fresh subprocess (``ru_maxrss``). R is used when ``Rscript``
with the survival package is installed.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import outcomes as oc

ADJUST = ["age", "sex", "primary_substance", "co_occurring_mh", "prior_treatments", "housing_unstable"]
Row = tuple[str, float, str, float]


def timed(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def lifelines_same_work(cohort: oc.Cohort, horizon: float) -> None:
    """What lifelines needs for the same unadjusted comparison: KM per arm, log-rank, Cox, RMST."""
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test
    from lifelines.utils import restricted_mean_survival_time

    df = cohort.df
    t, e = df.relapse_days.to_numpy(), df.relapse_event.to_numpy()
    g = (df.arm == cohort.treatment).to_numpy()
    for mask in (~g, g):
        km = KaplanMeierFitter().fit(t[mask], e[mask])
        restricted_mean_survival_time(km, t=horizon)
    logrank_test(t[~g], t[g], e[~g], e[g])
    CoxPHFitter().fit(pd.DataFrame({"T": t, "E": e, "arm": g.astype(float)}), "T", "E")


def bench_synthetic(repeats: int) -> list[Row]:
    n = 1_000_000
    oc.synthetic_cohort(n=1000, seed=0)  # calibrate the scenario once (cached), as any session does
    cold = time.perf_counter()
    oc.synthetic_cohort(n=1000, seed=0, relapse_risk_12m_clinical=0.55)
    calibration = time.perf_counter() - cold
    t = timed(lambda: oc.synthetic_cohort(n=n, seed=1), repeats)
    x = np.random.default_rng(0).random(n)
    sort = timed(lambda: np.argsort(x), repeats)
    return [("synthetic_cohort, 1M participants (scenario calibrated)", t, "np.argsort of 1M floats", t / sort),
            ("calibrating a new scenario (once per scenario)", calibration, "np.argsort of 1M floats",
             calibration / sort)]


def bench_compare(repeats: int, sizes=(1_000_000, 10_000_000)) -> list[Row]:
    rows = []
    for n in sizes:
        cohort = oc.synthetic_cohort(n=n, seed=2)
        x = cohort.df["relapse_days"].to_numpy()
        sort = timed(lambda: np.argsort(x), repeats)
        ours = timed(lambda: oc.compare_arms(cohort, "relapse"), repeats)
        horizon = oc.compare_arms(cohort, "relapse").horizon
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = timed(lambda: lifelines_same_work(cohort, horizon), 1)
        label = f"{n // 1_000_000}M"
        rows += [(f"compare_arms unadjusted (KM + log-rank + Cox + RMST), {label}", ours,
                  "np.argsort of the time column", ours / sort),
                 (f"compare_arms unadjusted, {label}", ours, "lifelines doing the same work", ours / theirs),
                 (f"(baseline) lifelines KM + log-rank + Cox + RMST, {label}", theirs, "np.argsort", theirs / sort)]
        del cohort
    return rows


def bench_construction(repeats: int) -> list[Row]:
    """Building a 10M-row Cohort against analysing it, and reading it against pyarrow reading the same file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = oc.synthetic_cohort(n=10_000_000, seed=5).write(Path(tmp) / "cohort.parquet")
        cohort = oc.Cohort.read(path)
        df, covariates = cohort.df, cohort.covariates
        validate = timed(lambda: oc.Cohort(df, reference="clinical", covariates=covariates, copy=False), repeats)
        with_copy = timed(lambda: oc.Cohort(df, reference="clinical", covariates=covariates), repeats)
        one = timed(lambda: oc.compare_arms(cohort, "relapse"), repeats)
        both = timed(lambda: (oc.compare_arms(cohort, "relapse"), oc.compare_arms(cohort, "retention")), repeats)
        del df
        read = timed(lambda: oc.Cohort.read(path), repeats)
        bare = timed(lambda: pd.read_parquet(path), repeats)
    return [("(baseline) compare_arms unadjusted, relapse and retention, 10M", both, "", 1.0),
            ("building a Cohort (validation), 10M rows", validate, "both comparisons", validate / both),
            ("building a Cohort (validation), 10M rows", validate, "compare_arms, relapse only", validate / one),
            ("Cohort(df) with its default protective copy, 10M", with_copy, "both comparisons", with_copy / both),
            ("(baseline) pandas.read_parquet of the 10M-row file", bare, "", 1.0),
            ("Cohort.read of that file (decoding + validation)", read, "pandas.read_parquet", read / bare)]


def bench_adjusted(repeats: int) -> list[Row]:
    from lifelines import CoxPHFitter

    from outcomes.model.design_matrix import design_matrix
    from outcomes.stats import fit_cox

    cohort = oc.synthetic_cohort(n=1_000_000, seed=3)
    design = design_matrix(cohort.df, cohort.treatment, ADJUST)
    t, e = cohort.df.relapse_days.to_numpy(), cohort.df.relapse_event.to_numpy(float)
    plain = timed(lambda: fit_cox(design.X, t, e, terms=design.terms), repeats)
    robust = timed(lambda: fit_cox(design.X, t, e, terms=design.terms, robust=True), repeats)
    frame = pd.DataFrame(design.X, columns=[f"x{i}" for i in range(design.X.shape[1])]).assign(T=t, E=e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = timed(lambda: CoxPHFitter().fit(frame, "T", "E"), 1)
    full = timed(lambda: oc.compare_arms(cohort, adjust=ADJUST), 1)
    return [("Cox, arm + 6 covariates (10 terms), Efron, 1M: fit", plain, "lifelines CoxPHFitter", plain / theirs),
            ("(baseline) lifelines CoxPHFitter, same design, 1M", theirs, "", 1.0),
            ("Cox with robust (sandwich) SEs, 1M", robust, "the plain fit", robust / plain),
            ("compare_arms adjusted (KM + log-rank + Cox + PH test + RMST), 1M", full, "lifelines Cox alone",
             full / theirs)]


def bench_power(repeats: int) -> list[Row]:
    from outcomes import power as pw

    t = timed(lambda: pw.simulate_power(1000, 0.65, reps=1000, seed=1), repeats)
    x = np.random.default_rng(0).random(1_000_000)
    sort = timed(lambda: np.argsort(x), repeats)
    return [("simulate_power: 1,000 log-rank trials of 1,000 participants", t, "np.argsort of 1M floats", t / sort)]


def bench_report(repeats: int) -> list[Row]:
    cohort = oc.synthetic_cohort(n=100_000, seed=4)
    with tempfile.TemporaryDirectory() as tmp:
        path = cohort.write(Path(tmp) / "cohort.parquet")
        t = timed(lambda: oc.report.quarterly(path, quarter="2026Q3", out=Path(tmp) / "out"), 1)
    return [("quarterly report (HTML, Excel, Word, PDF) for 100,000 participants, end to end", t, "the 60 s target",
             t / 60)]


def bench_scan(repeats: int, n: int = 10_000_000) -> list[Row]:
    """A scanned Parquet cohort against DuckDB's own work on the same file, and against the in-memory path."""
    import duckdb

    adjust = ["age", "sex", "co_occurring_mh"]
    columns = dict(arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"),
                   participant_id="participant_id", covariates=adjust)
    with tempfile.TemporaryDirectory() as tmp:
        cohort = oc.synthetic_cohort(n=n, seed=11)
        path = str(cohort.write(Path(tmp) / "cohort.parquet"))
        con = duckdb.connect()
        group_by = f"SELECT arm, relapse_days, count(*), sum(relapse_event) FROM '{path}' GROUP BY ALL"
        duck_group = timed(lambda: con.sql(group_by).fetchall(), repeats)
        duck_validate = timed(lambda: (con.sql(f"SELECT count(DISTINCT participant_id) FROM '{path}'").fetchall(),
                                       con.sql(group_by).fetchall()), repeats)
        scanned = oc.scan(path, **columns)
        validate = timed(lambda: oc.scan(path, **columns), repeats)
        unadjusted = timed(lambda: oc.compare_arms(scanned), repeats)
        adjusted = timed(lambda: oc.compare_arms(scanned, adjust=adjust), repeats)
        in_memory = timed(lambda: oc.compare_arms(cohort, adjust=adjust), 1)
    size = f"{n / 1e6:g}M"
    return [(f"compare_arms on a scanned Parquet cohort, {size}", unadjusted, "DuckDB GROUP BY arm, day",
             unadjusted / duck_group),
            (f"oc.scan validation (exact duplicate-id check), {size}", validate,
             "DuckDB count(DISTINCT id) + GROUP BY", validate / duck_validate),
            (f"adjusted compare_arms (age, sex, co_occurring_mh) from Parquet, {size}", adjusted,
             "in-memory adjusted compare_arms", adjusted / in_memory)]


_MEMORY_SCRIPT = textwrap.dedent('''
    import json, sys, time
    import outcomes as oc
    path = sys.argv[1]
    start = time.perf_counter()
    cohort = oc.Cohort.read(path)
    read = time.perf_counter() - start
    start = time.perf_counter()
    oc.compare_arms(cohort, "relapse")
    oc.compare_arms(cohort, "retention")
    analysis = time.perf_counter() - start
    # VmHWM: this process's own high-water mark (ru_maxrss would include the parent's, kept across exec)
    with open("/proc/self/status") as fh:
        hwm_kb = int(next(line for line in fh if line.startswith("VmHWM")).split()[1])
    print(json.dumps({"peak_gb": hwm_kb / 1e6, "read": read, "analysis": analysis}))
''')


def bench_memory(repeats: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cohort.parquet"
        oc.synthetic_cohort(n=10_000_000, seed=6).write(path)
        done = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(path)], capture_output=True, text=True,
                              check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
    return [("peak memory: read a 10M-row cohort (Parquet) and compare both outcomes (GB)", result["peak_gb"],
             "the 4 GB target", result["peak_gb"] / 4),
            ("reading that 10M-row cohort (Parquet + validation), s", result["read"], "both comparisons",
             result["read"] / result["analysis"])]


_R_SCRIPT = textwrap.dedent('''
    suppressMessages(library(survival))
    d <- read.csv(commandArgs(TRUE)[1])
    t <- system.time({ km <- survfit(Surv(relapse_days, relapse_event) ~ arm, data = d)
                       lr <- survdiff(Surv(relapse_days, relapse_event) ~ arm, data = d)
                       cx <- coxph(Surv(relapse_days, relapse_event) ~ arm, data = d)
                       print(km, rmean = 700) })[["elapsed"]]
    cat("ELAPSED", t, "\\n")
''')


def bench_r(repeats: int) -> list[Row]:
    if shutil.which("Rscript") is None:
        return []
    cohort = oc.synthetic_cohort(n=1_000_000, seed=7)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.csv"
        cohort.df[["arm", "relapse_days", "relapse_event"]].assign(arm=lambda d: d.arm.astype(str)).to_csv(path, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(_R_SCRIPT)
        done = subprocess.run(["Rscript", str(script), str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            return []
        elapsed = float(done.stdout.split("ELAPSED")[-1].split()[0])
    ours = timed(lambda: oc.compare_arms(cohort, "relapse"), repeats)
    return [("(baseline) R survival 3.5: survfit + survdiff + coxph + rmean, 1M", elapsed, "", 1.0),
            ("compare_arms unadjusted, 1M", ours, "R survival doing the same work", ours / elapsed)]


BENCHMARKS = {"synthetic": bench_synthetic, "compare": bench_compare, "construction": bench_construction,
              "adjusted": bench_adjusted, "power": bench_power, "report": bench_report, "scan": bench_scan,
              "memory": bench_memory, "r": bench_r}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(BENCHMARKS), help=f"any of {list(BENCHMARKS)}")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    import lifelines
    import scipy

    print(f"machine: {platform.machine()}, {platform.system()}, {__import__('os').cpu_count()} cores; Python "
          f"{sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}, scipy {scipy.__version__}, "
          f"lifelines {lifelines.__version__}, outcomes {oc.__version__}; median of {args.repeats} repeats\n")
    print("| task | value | baseline | ratio |\n|---|---|---|---|")
    for name in args.names:
        for task, seconds, baseline, ratio in BENCHMARKS[name](args.repeats):
            print(f"| {task} | {seconds:.3f} | {baseline} | {ratio:.3g}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Large-data benchmark: scanned Parquet cohorts of 30M and 100M rows, against DuckDB's own work on the same
files, with the peak memory of each step measured in a fresh process (VmHWM). For the analyses of a validated
scan the peak is reset after validation (``/proc/self/clear_refs``), so it is the analysis's own.

    .venv/bin/python benchmarks/large_data.py 30 100      # millions of rows; writes /tmp/outcomes_large_<n>M/

The cohort is written in chunks of 10M synthetic participants (unique ids across chunks), so building it
never needs more than one chunk in memory. DuckDB runs at its default memory limit (issue 29: a 1 GB cap made
its own distinct count spill to disk and look slower than it is); every step is the best of two fresh
processes on a warm file cache. The headline pair (issue 29, point 5): ``oc.scan`` validation plus the unadjusted
``compare_arms``, against DuckDB's ``count(DISTINCT participant_id)`` plus its ``(arm, day) GROUP BY``; peak
memory against DuckDB's distinct count alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import outcomes as oc

CHUNK = 10_000_000


def write_cohort(millions: int) -> Path:
    folder = Path(f"/tmp/outcomes_large_{millions}M")
    if folder.exists() and len(list(folder.glob("*.parquet"))) == millions // 10:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(millions // 10):
        df = oc.synthetic_cohort(n=CHUNK, seed=100 + k).df
        table = pa.Table.from_pandas(df[["participant_id", "arm", "site", "relapse_days", "relapse_event", "age",
                                         "sex", "co_occurring_mh"]], preserve_index=False)
        ids = pc.binary_join_element_wise(pa.scalar(f"C{k:02d}-"), table["participant_id"].cast(pa.string()), "")
        table = table.set_column(0, "participant_id", ids)
        pq.write_table(table, folder / f"part-{k:02d}.parquet")
        del df, table
    return folder


STEP = r'''
import json, sys, time
import duckdb, outcomes as oc
folder, step = sys.argv[1], sys.argv[2]
con = duckdb.connect()
files = f"{folder}/*.parquet"
columns = dict(arm="arm", reference="clinical", relapse=("relapse_days", "relapse_event"),
               participant_id="participant_id", covariates=["age", "sex", "co_occurring_mh"], connection=con)
start = time.perf_counter()
if step == "duckdb_group_by":
    con.sql(f"SELECT arm, relapse_days, count(*), sum(relapse_event) FROM '{files}' GROUP BY ALL").fetchall()
elif step == "duckdb_distinct":
    con.sql(f"SELECT count(DISTINCT participant_id) FROM '{files}'").fetchall()
elif step == "duckdb_validate":
    con.sql(f"SELECT count(DISTINCT participant_id) FROM '{files}'").fetchall()
    con.sql(f"SELECT arm, relapse_days, count(*), sum(relapse_event) FROM '{files}' GROUP BY ALL").fetchall()
else:
    relation = con.read_parquet(files)
    if step == "scan_validate":
        oc.scan(relation, **columns)
    elif step == "scan_and_compare":
        oc.compare_arms(oc.scan(relation, **columns))
    else:
        scanned = oc.scan(relation, **columns)
        with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (Linux >= 4.0): the analysis alone
            fh.write("5")
        start = time.perf_counter()  # the analysis alone, on an already validated scan
        if step == "compare_unadjusted":
            oc.compare_arms(scanned)
        elif step == "compare_adjusted":
            oc.compare_arms(scanned, adjust=["age", "sex", "co_occurring_mh"])
elapsed = time.perf_counter() - start
with open("/proc/self/status") as fh:
    hwm_kb = int(next(line for line in fh if line.startswith("VmHWM")).split()[1])
print(json.dumps({"seconds": elapsed, "peak_gb": hwm_kb / 1e6}))
'''


def run(folder: Path, step: str, repeats: int = 2) -> dict:
    """The best of ``repeats`` fresh processes (seconds; the peak of the fastest)."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", STEP, str(folder), step], capture_output=True, text=True,
                              check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r["seconds"])


def main(sizes: list[int]) -> None:
    print("| rows | task | seconds | peak memory (GB) | baseline | ratio |\n|---|---|---|---|---|---|")
    for millions in sizes:
        start = time.perf_counter()
        folder = write_cohort(millions)
        print(f"<!-- wrote {millions}M rows in {time.perf_counter() - start:.0f} s -->", flush=True)
        result = {step: run(folder, step) for step in ("duckdb_group_by", "duckdb_distinct", "duckdb_validate",
                                                       "scan_and_compare", "scan_validate", "compare_unadjusted",
                                                       "compare_adjusted")}
        rows = [("oc.scan validation + compare_arms, unadjusted", "scan_and_compare", "duckdb_validate"),
                ("compare_arms, unadjusted (validated scan)", "compare_unadjusted", "duckdb_group_by"),
                ("oc.scan validation (exact duplicate ids)", "scan_validate", "duckdb_validate"),
                ("compare_arms adjusted (age, sex, co_occurring_mh)", "compare_adjusted", None)]
        for task, step, base in rows:
            r = result[step]
            ratio = f"{r['seconds'] / result[base]['seconds']:.2f}x" if base else ""
            print(f"| {millions}M | {task} | {r['seconds']:.2f} | {r['peak_gb']:.2f} | "
                  f"{base or ''} {result[base]['seconds']:.2f} s |  {ratio} |" if base else
                  f"| {millions}M | {task} | {r['seconds']:.2f} | {r['peak_gb']:.2f} | | |", flush=True)
        distinct = result["duckdb_distinct"]
        print(f"| {millions}M | peak memory of scan validation + comparison, against DuckDB's distinct count alone "
              f"({distinct['seconds']:.2f} s, {distinct['peak_gb']:.2f} GB) | | "
              f"{result['scan_and_compare']['peak_gb']:.2f} | | "
              f"{result['scan_and_compare']['peak_gb'] / distinct['peak_gb']:.2f}x |", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [30])

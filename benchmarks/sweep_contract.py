"""Sweep of the contract over 300 cohorts of our own: sizes 5-300, randomized and self-selected synthetic
cohorts and odd shapes (lopsided arms, no events, blank covariates, ties), several quarters each.

Counts, for every public analysis and the quarterly report, how many calls returned finite numbers, raised
InputError or NotEstimableError, or broke the contract (another exception, a NaN/inf number, or nan/inf/
e-notation or a count 1-10 in the report's text). Run against any checkout to compare before and after:

    python benchmarks/sweep_contract.py            # this checkout
    python benchmarks/sweep_contract.py --families # only the ingestion/mapping/count-table/scan/argument cases
    PYTHONPATH=/path/to/old/src python benchmarks/sweep_contract.py
"""

from __future__ import annotations

import collections
import re
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import outcomes as oc  # noqa: E402
from tests.contract import bad_text, nonfinite, run_checked  # noqa: E402
from tests.shapes import Shape, analyses, cohort_of  # noqa: E402

QUARTERS = ("2025Q4", "2026Q2", "2026Q3")


def cohorts(count: int = 300):
    rng = np.random.default_rng(20261125)
    for k in range(count):
        n = int(rng.integers(5, 301))
        if k % 3 == 0:
            yield f"synthetic randomized n={n}", oc.synthetic_cohort(n=n, seed=k, randomized=True)
        elif k % 3 == 1:
            yield f"synthetic self-selected n={n}", oc.synthetic_cohort(n=n, seed=k)
        else:
            shape = Shape(n=n, treated_share=float(rng.choice([0.02, 0.2, 0.5, 0.9, 0.98])),
                          relapse_rate=float(rng.choice([0.0, 0.05, 0.4, 1.0])),
                          dropout_rate=float(rng.choice([0.0, 0.3, 1.0])), sites=int(rng.integers(1, 4)),
                          covariates=str(rng.choice(["normal", "constant", "blank", "sparse"])),
                          ties=bool(rng.random() < 0.5), seed=k)
            yield f"shape {shape}", cohort_of(shape)


def report_check(results) -> list[str]:
    """The report's text: no nan/inf/e-notation, no shown count from 1 to 10."""
    try:
        from outcomes.outputs.report import quarterly_document, render_html

        text = re.sub(r'src="data:image/png;base64,[^"]+"', "", render_html(quarterly_document(results)))
    except ImportError:  # an older checkout: its tables are what a person reads
        text = " ".join(t.to_string() for t in results.tables.values())
    problems = bad_text([text])
    for table in results.tables.values():
        for column in table.columns:
            if any(w in str(column).lower() for w in ("enrolled", "due", "reached", "participants")):
                for value in table[column].astype(str):
                    digits = value.replace(",", "")
                    if digits.isdigit() and 0 < int(digits) <= 10:
                        problems.append(f"{column}={value}")
    return problems


def families() -> None:
    """The table of tests/contract_families.py: each case's outcome, and the count by outcome."""
    import tempfile

    from tests.contract_families import ingestion_cases

    tally = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, call in ingestion_cases(Path(tmp), oc.synthetic_cohort(n=120, seed=1)):
            outcome = run_checked(name, call)
            tally[outcome.status] += 1
            if outcome.status == "crash":
                print(f"  contract broken: {name}: {outcome.detail[:160]}")
    print(f"{sum(tally.values())} family cases: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))


def main() -> None:
    if "--families" in sys.argv:
        families()
        return
    tally = collections.Counter()
    crashes = collections.Counter()
    examples = {}
    start = time.perf_counter()
    build = getattr(oc.report, "compute_quarter", None) or oc.report.build
    for k, (label, cohort) in enumerate(cohorts()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            calls = dict(analyses(cohort))
            quarter = QUARTERS[k % len(QUARTERS)]  # several quarters across the sweep
            calls[f"report {quarter}"] = lambda q=quarter: build(cohort, q, bootstrap=50)
            for what, fn in calls.items():
                check = report_check if what.startswith("report") else (nonfinite if what != "as_of" else
                                                                         lambda r: [])
                outcome = run_checked(what, fn, check)
                tally[outcome.status] += 1
                if outcome.status == "crash":
                    kind = what.split(" 20")[0]
                    crashes[kind] += 1
                    examples.setdefault(kind, f"{label}: {outcome.detail[:160]}")
    total = sum(tally.values())
    print(f"{total} calls on 300 cohorts in {time.perf_counter() - start:.0f} s: " +
          ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    for kind, count in crashes.most_common():
        print(f"  contract broken {count:4d} x {kind}: e.g. {examples[kind]}")


if __name__ == "__main__":
    main()

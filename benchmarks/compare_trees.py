"""Before and after: the same public calls timed on two source trees, in the same run, alternating.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/compare_trees.py /tmp/before/src src

Each case runs in a fresh subprocess per tree (``PYTHONPATH`` points at that tree's ``src``), twice per tree,
alternating before/after so that the machine's drift hits both; the best of the runs is kept. Only the public
API is called (``oc.*``), so the script works on trees from before and after a refactor. Prints a Markdown table:
seconds before, seconds after, and after / before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SETUP = textwrap.dedent("""
    import json, time, warnings
    import numpy as np
    import outcomes as oc
    warnings.simplefilter("ignore")
    def best(fn, repeats=3):
        times = []
        for _ in range(repeats):
            start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
        return min(times)
""")

CASES = {
    "compare_arms unadjusted, 10M": """
        c = oc.synthetic_cohort(n=10_000_000, seed=2)
        oc.compare_arms(c, "relapse")
        t = best(lambda: oc.compare_arms(c, "relapse"))""",
    "compare_arms adjusted (6 covariates), 1M": """
        c = oc.synthetic_cohort(n=1_000_000, seed=3)
        adjust = ["age", "sex", "primary_substance", "co_occurring_mh", "prior_treatments", "housing_unstable"]
        t = best(lambda: oc.compare_arms(c, "relapse", adjust=adjust), 2)""",
    "compare_arms robust, 1M": """
        c = oc.synthetic_cohort(n=1_000_000, seed=3)
        t = best(lambda: oc.compare_arms(c, "relapse", adjust=["age", "sex"], robust=True), 2)""",
    "cumulative_incidence adjusted, 1M": """
        c = oc.synthetic_cohort(n=1_000_000, seed=4)
        t = best(lambda: oc.cumulative_incidence(c, adjust=["age", "co_occurring_mh"]), 2)""",
    "compare_arms IPTW (100 bootstrap), 20k": """
        c = oc.synthetic_cohort(n=20_000, seed=5)
        t = best(lambda: oc.compare_arms(c, "relapse", adjust=["age", "co_occurring_mh"], weights="iptw",
                                         bootstrap=100), 1)""",
    "simulate_power, 1,000 log-rank trials of 1,000": """
        t = best(lambda: oc.power.simulate_power(1000, 0.7, reps=1000, seed=1, progress=False))""",
    "simulate_power, 1,000 Cox trials of 1,000": """
        t = best(lambda: oc.power.simulate_power(1000, 0.7, reps=1000, seed=1, test="cox", progress=False))""",
    "synthetic_cohort, 1M": """
        oc.synthetic_cohort(n=1000, seed=0)
        t = best(lambda: oc.synthetic_cohort(n=1_000_000, seed=1))""",
    "reconcile, 20k": """
        c = oc.synthetic_cohort(n=20_000, seed=6)
        t = best(lambda: oc.reconcile(c), 2)""",
    "quarterly report (HTML + Excel), 20k": """
        import tempfile
        c = oc.synthetic_cohort(n=20_000, seed=7)
        with tempfile.TemporaryDirectory() as out:
            t = best(lambda: oc.report.quarterly(c, quarter="2026Q3", out=out, formats=("html", "xlsx")), 1)""",
}


def run_case(src: str, body: str) -> float:
    code = SETUP + textwrap.dedent(body) + "\nprint(json.dumps(t))\n"
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def main(before: str, after: str, names: list[str]) -> None:
    print("| task | before (s) | after (s) | after / before |")
    print("|---|---|---|---|")
    for name in names or list(CASES):
        b, a = [], []
        for _ in range(2):  # alternate, so that drift in the machine's speed hits both trees
            b.append(run_case(before, CASES[name]))
            a.append(run_case(after, CASES[name]))
        print(f"| {name} | {min(b):.3f} | {min(a):.3f} | {min(a) / min(b):.2f}x |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])

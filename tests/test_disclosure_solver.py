"""No hidden count can be worked out from what a quarterly report states (issue 23): 200 reports of programs of
5 to 300 participants (observational and randomized designs, three quarters, and programs read from an extract),
each solved by tests/disclosure_solver.py for every suppressed cell by the sums, differences, bounds and shares
the report shows."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.core.disclosure import audit_text
from outcomes.present.quarter import compute_quarter

from .conftest import REPO
from .disclosure_solver import build_system, recovered

EXAMPLE = REPO / "data" / "example_extract"
REPORTS = 200


def _document(enrollment: list[tuple[str, str, str, str]], summary: str) -> types.SimpleNamespace:
    table = pd.DataFrame(enrollment, columns=["Site", "Arm", "Enrolled this quarter", "Enrolled to date"])
    return types.SimpleNamespace(tables={"enrollment": table}, summary=[summary])


def test_the_solver_finds_what_subtraction_and_bounds_reveal():
    by_difference = _document([("A", "Clinical only", "<11", "17"), ("B", "Clinical only", "<11", "<11")],
                              "In 2026Q3, 12 participants enrolled; 25 have enrolled to date (25 with clinical care "
                              "only and 0 with peer support added).")
    assert "to date B Clinical only = 8" in recovered(build_system(by_difference))
    by_bounds = _document([("A", "Clinical only", "<11", "30"), ("B", "Clinical only", "<11", "<11"),
                           ("C", "Clinical only", "<11", "<11")],
                          "In 2026Q3, 12 participants enrolled; 50 have enrolled to date (50 with clinical care "
                          "only and 0 with peer support added).")
    assert {"to date B Clinical only = 10", "to date C Clinical only = 10"} <= set(recovered(build_system(by_bounds)))
    safe = _document([("A", "Clinical only", "<11", "30"), ("B", "Clinical only", "<11", "<11"),
                      ("C", "Clinical only", "<11", "suppressed")],
                     "In 2026Q3, 12 participants enrolled; 50 have enrolled to date (50 with clinical care only and "
                     "0 with peer support added).")
    assert recovered(build_system(safe)) == []


def _program(k: int, tmp_path) -> tuple[oc.Cohort, str] | None:
    rng = np.random.default_rng(k)
    n = int(np.exp(rng.uniform(np.log(5), np.log(300))))
    if k % 4 == 3:  # a program read from its export: a sample of the bundled extract's rows
        rows = pd.read_csv(EXAMPLE / "program_extract.csv", dtype=str)
        path = tmp_path / f"extract_{k}.csv"
        rows.sample(n=min(n, len(rows)), random_state=k).to_csv(path, index=False)
        return oc.read_extract(path, EXAMPLE / "mapping.toml", on_error="exclude"), "2026Q2"
    return oc.synthetic_cohort(n=n, seed=k, randomized=bool(k % 2)), ("2026Q1", "2026Q2", "2026Q3")[k % 3]


def test_no_hidden_count_of_200_reports_can_be_worked_out(tmp_path):
    solved, leaks, small_in_words = 0, [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(REPORTS):
            try:
                cohort, quarter = _program(k, tmp_path)
                results = compute_quarter(cohort, quarter, bootstrap=50, allow_exclusions=True)
            except oc.InputError:
                continue  # a sample with one arm, or nobody enrolled by the quarter's end: no report
            solved += 1
            found = recovered(build_system(results))
            if found:
                leaks.append((k, found))
            small_in_words += [s for s in results.summary if audit_text(s) != s]
    assert solved >= 0.9 * REPORTS
    assert leaks == []
    assert small_in_words == []


@pytest.mark.parametrize("sizes, revealed_total", [((10, 10), True), ((1, 1), True), ((9, 10), False)])
def test_a_total_that_would_give_two_small_arms_is_not_stated(sizes, revealed_total):
    base = oc.synthetic_cohort(n=200, seed=5)
    df = base.df
    keep = pd.concat([df[df.arm == "clinical"].head(sizes[0]), df[df.arm == "peer_clinical"].head(sizes[1])])
    cohort = oc.Cohort(keep, reference="clinical", as_of=base.as_of, covariates=base.covariates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = compute_quarter(cohort, "2026Q3", bootstrap=50)
    total = f" {sum(sizes)} have enrolled"
    assert (total not in results.summary[0]) == revealed_total
    shown = results.tables["change_since_last_quarter"].set_index("Measure").loc["Participants enrolled to date"]
    assert (shown["This quarter"] == "suppressed") == revealed_total

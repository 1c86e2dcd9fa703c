"""Disclosure over the whole document (issue 23): no count from 1 to 10 can be worked out from what a report
states by sums and differences: the summary's totals against the enrollment table's cells, the follow-up sentence
against its table, a secondary outcome's participants against the cohort's size."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import outcomes as oc
from outcomes.present.quarter import compute_quarter

from .contract import bad_text

SIZES = [(n, seed) for seed, n in enumerate([5, 12, 18, 25, 33, 40, 55, 70, 90, 120, 160, 220, 300] * 2)]
HIDDEN = ("<11", "suppressed")


def _quarter(n: int, seed: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = oc.synthetic_cohort(n=n, seed=seed, randomized=seed % 2 == 0)
        return cohort, compute_quarter(cohort, "2026Q3", bootstrap=50)


@pytest.mark.parametrize("n, seed", SIZES)
def test_no_small_count_follows_from_the_summary_and_the_tables(n, seed):
    cohort, q = _quarter(n, seed)
    enrollment = q.tables["enrollment"]
    for column, groups in (("Enrolled to date", enrollment.groupby("Arm").indices.values()),
                           ("Enrolled this quarter", [np.arange(len(enrollment))])):
        for rows in groups:  # the summary states these totals: one hidden cell alone would be their difference
            hidden = [i for i in rows if enrollment[column].iloc[i] in HIDDEN]
            assert len(hidden) != 1, (column, enrollment)
    sizes = cohort.df.arm.value_counts()
    summary = " ".join(q.summary)
    for arm, other in (("clinical", "peer_clinical"), ("peer_clinical", "clinical")):
        if 1 <= sizes.get(arm, 0) <= 10:  # the other arm's exact count beside the total would reveal this one
            assert not re.search(rf"\b{sizes.get(other, 0):,} with", summary)
    assert not bad_text(list(q.summary)), summary


def test_a_small_number_left_out_of_a_secondary_outcome_is_not_revealed_by_the_number_used():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = oc.synthetic_cohort(n=60, seed=3)
        df = cohort.df.copy()
        assert df.aftercare_engaged.notna().all()
        df.loc[df.index[:4], "aftercare_engaged"] = np.nan
        cohort = oc.Cohort(df, reference="clinical", as_of=cohort.as_of, covariates=cohort.covariates)
        text = oc.narrate(oc.compare_secondary(cohort, "aftercare_engaged"))
    assert "fewer than 11 without one were left out" in text
    assert not re.search(r"from \d+ participants", text)

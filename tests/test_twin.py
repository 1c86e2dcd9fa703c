"""Synthetic twins: they mirror the real cohort's estimates, copy none of its records, and refuse cohorts too
small to mirror safely."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.analyses.twin_report import closest_distances

from .conftest import REPO


@pytest.fixture(scope="module")
def real():
    return oc.Cohort.read(REPO / "data" / "synthetic" / "cohort.csv")


@pytest.fixture(scope="module")
def twin(real):
    return oc.synthetic_twin(real)


@pytest.fixture(scope="module")
def report(real, twin):
    return oc.twin_report(real, twin)


@pytest.mark.parametrize("outcome", ["relapse", "retention"])
def test_twin_hazard_ratios_fall_inside_the_real_intervals(real, twin, outcome):
    r, t = oc.compare_arms(real, outcome).hazard_ratio, oc.compare_arms(twin, outcome).hazard_ratio
    assert r.ci_lower < t.value < r.ci_upper


def test_the_report_sets_twin_estimates_beside_the_real_intervals(report):
    u = report.utility
    assert len(u) == 6 and u.twin_inside_real_ci.all()
    assert (u.real_ci_lower < u.real).all() and (u.real < u.real_ci_upper).all()
    assert "6 of 6 twin estimates" in report.notes()[0]


def test_no_twin_record_copies_a_real_one(real, twin, report):
    columns = ["age", "sex", "site", "enroll_date", "relapse_days", "relapse_event", "exit_days", "exit_reason"]
    merged = twin.df[columns].astype(str).merge(real.df[columns].astype(str).drop_duplicates(), how="inner")
    assert merged.empty and report.copied == 0
    assert "No twin record equals a real record" in report.notes()[1]
    # not a resample either: few twins even share a real person's age, sex, site and enrollment day
    key = ["age", "sex", "site", "enroll_date"]
    shared = twin.df[key].astype(str).agg("|".join, axis=1).isin(set(real.df[key].astype(str).agg("|".join, axis=1)))
    assert shared.mean() < 0.1


def test_the_report_states_distances_against_the_real_records_own(real, twin, report):
    d, nn = report.distance_to_closest_real, report.real_nearest_neighbour
    assert len(d) == len(twin) and len(nn) == len(real)
    assert np.median(d) >= 0.5 * np.median(nn)  # twins are no closer to real people than real people are
    assert f"median {np.median(d):.3f}" in report.notes()[2] and f"median {np.median(nn):.3f}" in report.notes()[2]


def test_gower_distance_by_hand():
    real = pd.DataFrame({"age": [20.0, 40.0, 60.0], "sex": ["f", "m", "f"]})
    twin = pd.DataFrame({"age": [30.0, 60.0], "sex": ["m", "f"]})
    # age range 40: twin 1 is 10/40 from the 40-year-old man -> (0.25 + 0) / 2; twin 2 equals the third row
    np.testing.assert_allclose(closest_distances(real, twin, ["age", "sex"]), [0.125, 0.0])
    # real nearest neighbours: 20f-60f (1.0 + 0) / 2 = 0.5 or 20f-40m (0.5 + 1) / 2 = 0.75 -> 0.5; ...
    np.testing.assert_allclose(closest_distances(real, real, ["age", "sex"], exclude_self=True), [0.5, 0.75, 0.5])


def test_the_twin_mirrors_the_mix_by_arm_and_enrollment_by_site(real, twin):
    assert twin.arms == real.arms and len(twin) == len(real)
    assert twin.df.arm.value_counts().to_dict() == real.df.arm.value_counts().to_dict()
    for column in ("co_occurring_mh", "housing_unstable"):
        r, t = (c.df.groupby("arm", observed=True)[column].mean() for c in (real, twin))
        assert (r - t).abs().max() < 0.05, column
    quarters = [pd.crosstab(c.df.site, c.df.enroll_date.dt.to_period("Q"), normalize=True) for c in (real, twin)]
    assert (quarters[1].reindex_like(quarters[0]).fillna(0) - quarters[0]).abs().sum().sum() / 2 < 0.1
    assert quarters[1].loc["Site D", :"2025Q3"].sum() == 0  # a site that opened later is not back-dated
    exits = [pd.crosstab(c.df.arm, c.df.exit_reason, normalize="index") for c in (real, twin)]
    assert (exits[0] - exits[1]).abs().max().max() < 0.05


def test_the_same_seed_gives_the_same_twin(real, twin):
    pd.testing.assert_frame_equal(oc.synthetic_twin(real, seed=0).df, twin.df)
    assert not oc.synthetic_twin(real, seed=1).df[["relapse_days"]].equals(twin.df[["relapse_days"]])
    assert twin.provenance["records_dropped"] == 0 and twin.df.participant_id.iloc[0] == "TWIN-000001"
    assert twin.provenance["records_redrawn"] < 0.01 * len(real)  # so rare that redrawing cannot bias outcomes


def test_cohorts_too_small_to_mirror_are_refused():
    small = oc.synthetic_cohort(n=80, seed=1)
    with pytest.raises(oc.NotEstimableError, match="fewer than 50 participants"):
        oc.synthetic_twin(small)
    with pytest.raises(oc.InputError, match="mirrors a Cohort"):
        oc.synthetic_twin(small.df)


def test_a_twin_of_a_cohort_without_enrollment_dates(real):
    undated = oc.Cohort(real.df.drop(columns=["enroll_date"]), reference="clinical", covariates=real.covariates)
    twin = oc.synthetic_twin(undated, seed=2)
    assert len(twin) == len(undated) and "enroll_date" not in twin.df.columns
    r = oc.compare_arms(undated).hazard_ratio
    assert r.ci_lower < oc.compare_arms(twin).hazard_ratio.value < r.ci_upper


def test_a_cohort_too_coarse_to_twin_without_biasing_it_is_refused(rossi):
    # Rossi: age and a week of arrest, everyone else censored at week 52. Most draws equal a real record, and
    # keeping only those that do not would keep the arrests: the twin's HR came out 0.9-1.3 against 0.69.
    with pytest.raises(oc.NotEstimableError, match="too coarse for a twin"):
        oc.synthetic_twin(rossi, seed=2)


def test_a_bad_seed_is_an_input_error(real):
    with pytest.raises(oc.InputError, match="seed must be a whole number"):
        oc.synthetic_twin(real, seed="first")


def test_a_covariate_blank_for_everyone_is_left_out_of_the_twin_model():
    # the 300-cohort sweep found an IndexError here (the mode of an all-blank column)
    cohort = oc.synthetic_cohort(n=300, seed=4)
    blank = oc.Cohort(cohort.df.assign(housing_unstable=np.nan), reference="clinical", as_of=cohort.as_of,
                      covariates=cohort.covariates)
    twin = oc.synthetic_twin(blank, seed=1)
    assert len(twin) == len(blank) and twin.df.housing_unstable.isna().all()

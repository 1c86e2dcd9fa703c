"""Multiple imputation by chained equations (issue 26, first part): seeded, values that occur, categories and 0/1
columns drawn from their own models, and a pooled estimate that recovers the full-data one under missingness that
depends on the outcome."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import outcomes as oc

ADJUST = ["age", "co_occurring_mh", "housing_unstable", "primary_substance"]


@pytest.fixture(scope="module")
def full() -> oc.Cohort:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return oc.synthetic_cohort(n=2000, seed=11)


@pytest.fixture(scope="module")
def gaps(full) -> oc.Cohort:
    rng = np.random.default_rng(5)
    df = full.df.copy()
    # missing at random: blanks more common among those who relapsed and those with mental illness
    p = 0.1 + 0.25 * df.relapse_event.to_numpy() + 0.1 * df.co_occurring_mh.to_numpy()
    df.loc[rng.random(len(df)) < p, "age"] = np.nan
    df.loc[rng.random(len(df)) < 0.15, "housing_unstable"] = np.nan
    df.loc[rng.random(len(df)) < 0.1, "primary_substance"] = None
    return oc.Cohort(df, reference="clinical", as_of=full.as_of, covariates=full.covariates)


def test_imputations_are_seeded_observed_values_and_complete(gaps):
    a = oc.impute(gaps, m=3, seed=7, iterations=5)
    b = oc.impute(gaps, m=3, seed=7, iterations=5)
    for x, y in zip(a.completed, b.completed):
        assert x.df[["age", "housing_unstable", "primary_substance"]].equals(
            y.df[["age", "housing_unstable", "primary_substance"]])
    first = a.completed[0].df
    observed_ages = set(gaps.df.age.dropna())
    assert first.age.notna().all() and set(first.age) <= observed_ages  # pmm: values that occur
    assert set(first.housing_unstable.unique()) <= {0.0, 1.0}
    assert set(first.primary_substance.unique()) <= set(gaps.df.primary_substance.dropna().unique())
    imputed = a.imputed.set_index("covariate")["values imputed"]
    assert imputed["age"] > 300 and imputed["sex"] == 0


def test_the_pooled_estimate_recovers_the_full_data_one(full, gaps):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        truth = oc.compare_arms(full, adjust=ADJUST).cox.set_index("term")
        pooled = oc.compare_arms(oc.impute(gaps, m=10, seed=3), adjust=ADJUST).cox.set_index("term")
    for term in ("armpeer_clinical", "age", "co_occurring_mh"):
        assert abs(pooled.loc[term, "coef"] - truth.loc[term, "coef"]) < 2 * pooled.loc[term, "se"], term
    assert (pooled.fmi > 0).all() and (pooled.df > 10).all()


def test_what_is_never_imputed_is_refused(gaps):
    for column in ("arm", "relapse_days", "participant_id"):
        with pytest.raises(oc.InputError, match="never imputed"):
            oc.impute(gaps, include=[column])
    with pytest.raises(oc.InputError, match="m must be a whole number >= 2"):
        oc.impute(gaps, m=1)
    with pytest.raises(oc.InputError, match="no covariate has a blank"):
        oc.impute(oc.synthetic_cohort(n=50, seed=1))


def test_the_summary_sets_imputed_values_beside_the_observed(gaps):
    summary = oc.impute(gaps, m=3, seed=2, iterations=5).summary().set_index("covariate")
    age = summary.loc["age"]
    assert age.statistic == "mean" and 0.1 < age["share imputed"] < 0.6
    assert abs(age.imputed - age.observed) < 5  # ages imputed near the observed ones (their mean shifts with MAR)
    assert summary.loc["primary_substance", "statistic"].startswith("share ")
    for column in ("age", "housing_unstable", "primary_substance"):  # every blank, even one imputed alike each time
        assert summary.loc[column, "values imputed"] == gaps.df[column].isna().sum()


def test_secondary_outcomes_pool_an_imputed_cohort(full, gaps):
    imputed = oc.impute(gaps, m=5, seed=4, iterations=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        each = [oc.compare_secondary(c, "aftercare_engaged", adjust=["age"]) for c in imputed.completed]
        pooled = oc.compare_secondary(imputed, "aftercare_engaged", adjust=["age"])
    logs = np.log([e.estimate.value for e in each])
    assert np.log(pooled.estimate.value) == pytest.approx(logs.mean(), abs=1e-12)  # Rubin: the mean of the m
    within = np.mean([e.estimate.se ** 2 for e in each])
    assert pooled.estimate.se ** 2 == pytest.approx(within + (1 + 1 / 5) * logs.var(ddof=1), rel=1e-9)
    assert "Pooled over 5 completed data sets" in pooled.method_notes[-1] and pooled.secondary_estimates.empty


def test_predictive_mean_matching_draws_one_of_the_k_closest_donors():
    from outcomes.analyses.impute import _nearest

    rng = np.random.default_rng(0)
    for n_obs, k in ((50, 5), (7, 5), (3, 3), (200, 1)):
        own = np.round(rng.normal(size=n_obs), 1)  # rounded: ties, as with whole-number ages
        blanks = rng.normal(scale=2, size=40)
        donors = _nearest(own, blanks, k, np.random.default_rng(1))
        distance = np.abs(own[None, :] - blanks[:, None])
        kth = np.sort(distance, axis=1)[:, k - 1]  # a brute-force k-th smallest distance
        assert np.all(distance[np.arange(len(blanks)), donors] <= kth + 1e-12)

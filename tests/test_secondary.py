"""Secondary outcomes: truth recovered on the randomized articles scenario; small hand checks; bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import outcomes as oc


@pytest.fixture(scope="module")
def randomized() -> oc.Cohort:
    return oc.synthetic_cohort(n=20_000, seed=21, randomized=True)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", oc.StatisticalWarning)
        return fn(*args, **kwargs)


@pytest.mark.parametrize(
    "outcome, measure, truth_key",
    [
        ("aftercare_engaged", "risk ratio", "aftercare_risk_ratio"),  # +40% (004)
        ("sessions_attended", "rate ratio", "sessions_rate_ratio"),  # +30% attendance (004)
        ("ed_visits_12m", "rate ratio", "ed_visits_rate_ratio"),  # 25% fewer healthcare visits (004)
        ("mh_admissions_12m", "rate ratio", "mh_admissions_rate_ratio"),  # 50% fewer crisis admissions (004)
    ],
)
def test_ratio_cis_cover_the_truth(randomized, outcome, measure, truth_key):
    res = quiet(oc.compare_secondary, randomized, outcome)
    assert res.measure == measure
    assert res.estimate.ci_lower < randomized.truth[truth_key] < res.estimate.ci_upper


@pytest.mark.parametrize("outcome, truth_key", [("mh_score", "mh_score_reduction"), ("use_days", "use_days_reduction")])
def test_relative_reductions_cover_the_truth(randomized, outcome, truth_key):
    res = quiet(oc.compare_secondary, randomized, outcome)
    table = res.secondary_estimates.set_index("measure")
    for arm, truth in randomized.truth[truth_key].items():
        row = table.loc[f"relative reduction, {arm}"]
        assert row.ci_lower - 0.005 < truth < row.ci_upper + 0.005  # scores are rounded to 0.1 or whole days
    assert res.estimate.value < 0  # lower symptom / use scores with peer support


def test_adjustment_keeps_the_randomized_estimate(randomized):
    plain = quiet(oc.compare_secondary, randomized, "ed_visits_12m")
    adjusted = quiet(oc.compare_secondary, randomized, "ed_visits_12m", adjust=["co_occurring_mh", "housing_unstable"])
    assert adjusted.adjust == ("co_occurring_mh", "housing_unstable")
    assert abs(np.log(adjusted.estimate.value / plain.estimate.value)) < 0.03


def test_binary_by_hand():
    df = pd.DataFrame({
        "participant_id": [str(i) for i in range(40)],
        "arm": ["a"] * 20 + ["b"] * 20,
        "relapse_days": [100.0] * 40, "relapse_event": [0] * 40,
        "aftercare_engaged": [1] * 5 + [0] * 15 + [1] * 10 + [0] * 10,
    })
    res = oc.compare_secondary(oc.Cohort(df, reference="a"), "aftercare_engaged")
    assert res.estimate.value == pytest.approx(2.0)  # 10/20 vs 5/20
    diff = res.secondary_estimates.set_index("measure").loc["risk difference (unadjusted)"]
    assert diff.value == pytest.approx(0.25)
    assert diff.ci_upper - diff.value == pytest.approx(1.959964 * np.sqrt(0.25 / 20 + 0.1875 / 20), rel=1e-5)


def test_missing_values_are_counted(randomized):
    with pytest.warns(oc.StatisticalWarning, match=r"participants have no usable value of mental-health symptom scores"):
        res = oc.compare_secondary(randomized, "mh_score")
    assert res.n_excluded == int(randomized.df.mh_score_12m.isna().sum())
    assert res.n_used + res.n_excluded == len(randomized)


def test_bad_input(rossi, randomized):
    with pytest.raises(oc.InputError, match="unknown secondary outcome 'happiness'"):
        oc.compare_secondary(randomized, "happiness")
    with pytest.raises(oc.InputError, match="no 'ed_visits_12m' column"):
        oc.compare_secondary(rossi, "ed_visits_12m")

"""A new secondary outcome is one registry entry: it flows into validation, as-of views, the comparison,
narration, reconciliation, figures, the quarterly report and the data dictionary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.claims.reconcile import _Estimator, estimand_info
from outcomes.present.data_dictionary import data_dictionary
from outcomes.model.outcome_registry import SECONDARY_OUTCOMES, Column, Exposure, SecondaryOutcome, secondary_outcome

TRUE_RATE_RATIO = 0.6
# a few synthetic participants have zero follow-up (no exposure): the comparison warns that it leaves them out
pytestmark = pytest.mark.filterwarnings("ignore:.*have no usable value of arrests:outcomes.StatisticalWarning")

ARRESTS = SecondaryOutcome(
    name="arrests_12m", kind="count", words="arrests in the first 12 months", short="arrests",
    columns=(Column("arrests_12m", "count", "arrests", "arrests in the first 12 months (exposure: follow-up)"),),
    exposure=Exposure("followup_days", "person-years in the first 12 months", cap_days=365, per_days=365),
    accumulates=True, estimands={"arrests_rate_ratio": "ratio"},
)


@pytest.fixture()
def registered(monkeypatch):
    monkeypatch.setitem(SECONDARY_OUTCOMES, ARRESTS.name, ARRESTS)
    return ARRESTS


def _with_arrests(n: int = 4000, seed: int = 5) -> oc.Cohort:
    """A randomized synthetic cohort plus Poisson arrests at 0.5 a person-year, times 0.6 with peer support."""
    base = oc.synthetic_cohort(n=n, seed=seed, randomized=True)
    df = base.df.copy()
    rng = np.random.default_rng(seed)
    years = np.minimum(df["followup_days"].to_numpy(), 365) / 365
    rate = 0.5 * np.where(df["arm"] == "peer_clinical", TRUE_RATE_RATIO, 1.0)
    df["arrests_12m"] = rng.poisson(rate * years).astype(float)
    return oc.Cohort(df, reference="clinical", as_of=base.as_of, covariates=base.covariates,
                     scenario=base.scenario, truth=base.truth, copy=False)


def test_registry_entry_is_found_by_name_and_column(registered):
    assert secondary_outcome("arrests_12m") is registered
    assert estimand_info("arrests_rate_ratio") == (1.0, "log", "arrests in the first 12 months, rate ratio")


def test_new_outcome_is_validated_at_construction(registered):
    df = _with_arrests(n=200).df.copy()
    df.loc[7, "arrests_12m"] = -1
    with pytest.raises(oc.InputError, match=r"column 'arrests_12m' row 8: value -1(\.0)? is not a whole number"):
        oc.Cohort(df, reference="clinical")


def test_new_outcome_is_compared_and_recovers_its_true_rate_ratio(registered):
    res = oc.compare_secondary(_with_arrests(), "arrests_12m")
    assert res.measure == "rate ratio"
    assert res.exposure == "person-years in the first 12 months"
    assert res.estimate.ci_lower < TRUE_RATE_RATIO < res.estimate.ci_upper
    assert 0.5 < res.estimate.value < 0.72


def test_new_outcome_is_narrated_with_its_words(registered):
    text = oc.narrate(oc.compare_secondary(_with_arrests(), "arrests_12m"))
    assert text.startswith("For arrests in the first 12 months, the rate ratio of peer support + clinical")


def test_new_outcome_answers_its_estimand_in_reconciliation(registered):
    cohort = _with_arrests()
    estimate, lower, upper = _Estimator(cohort, 180.0, 0.05).estimate("arrests_rate_ratio")
    direct = oc.compare_secondary(cohort, "arrests_12m").estimate
    assert (estimate, lower, upper) == pytest.approx((direct.value, direct.ci_lower, direct.ci_upper), rel=1e-12)


def test_new_outcome_is_unknown_in_an_earlier_as_of_view(registered):
    cohort = _with_arrests(n=600)
    earlier = oc.as_of(cohort, "2025-12-31")
    assert earlier.df["arrests_12m"].isna().all()  # counted without dates: cannot be cut at an earlier date
    assert oc.as_of(cohort, cohort.as_of).df["arrests_12m"].notna().all()


def test_new_outcome_is_in_the_data_dictionary(registered):
    row = data_dictionary().set_index("name").loc["arrests_12m"]
    assert (row["type"], row["unit"]) == ("count", "arrests")
    assert row["meaning"].startswith("arrests in the first 12 months")


def test_new_outcome_is_in_the_quarterly_report(registered):
    from outcomes.outputs.report import build
    from outcomes.outputs.report.figures import _short_labels

    cohort = _with_arrests(n=1500)
    assert str(cohort.as_of) == "2026-09-30"  # the quarter's end: the counts are known as they are
    results = build(cohort, "2026Q3", bootstrap=50)
    assert "arrests_12m" in results.secondary
    table = results.tables["secondary_outcomes"].set_index("Outcome")
    assert table.loc["Arrests in the first 12 months", "Measure"] == "Rate ratio"
    assert _short_labels()["arrests_rate_ratio"] == "arrests"


def test_a_registry_entry_must_be_well_formed():
    with pytest.raises(oc.InputError, match="a score outcome has 2 column"):
        SecondaryOutcome(name="x", kind="score", words="x", columns=(Column("x", "number", "", ""),))
    with pytest.raises(oc.InputError, match="check must be 'binary', 'count' or 'number'"):
        Column("x", "text", "", "")


def test_the_registry_lists_the_articles_outcomes():
    assert list(SECONDARY_OUTCOMES) == ["aftercare_engaged", "sessions_attended", "ed_visits_12m",
                                        "mh_admissions_12m", "mh_score", "use_days"]
    assert isinstance(pd.DataFrame([vars(c) for s in SECONDARY_OUTCOMES.values() for c in s.columns]), pd.DataFrame)

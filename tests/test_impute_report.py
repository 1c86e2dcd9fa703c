"""The quarterly report imputes blank confounders (issue 26, part 3): above 5% blank, the adjusted and weighted
analyses run on imputations with the complete-case results beside them, the summary says who was imputed on
what, methods say how, outcomes.toml can turn it off, and small counts stay hidden."""

from __future__ import annotations

import numpy as np
import pytest

import outcomes as oc
from outcomes.outputs.report import methods_text
from outcomes.outputs.report.config import imputation_count
from outcomes.present.quarter import compute_quarter


def _with_blanks(n: int, share: float, seed: int = 3) -> oc.Cohort:
    full = oc.synthetic_cohort(n=n, seed=seed)
    df = full.df.copy()
    df.loc[np.random.default_rng(1).random(len(df)) < share, "age"] = np.nan
    return oc.Cohort(df, reference="clinical", as_of=full.as_of, covariates=full.covariates)


@pytest.fixture(scope="module")
def gaps() -> oc.Cohort:
    return _with_blanks(1200, 0.2)


@pytest.fixture(scope="module")
def quarter(gaps):
    return compute_quarter(gaps, "2026Q3", bootstrap=50, imputations=3)


def test_a_confounder_blank_for_over_5_percent_is_imputed_with_complete_cases_beside(gaps, quarter):
    record = quarter.imputation
    blank = int(quarter.cohort.df.age.isna().sum())
    assert record is not None and record.m == 3
    assert record.blanks.set_index("covariate").loc["age", "blank"] == blank
    assert record.n_complete == len(quarter.cohort) - blank
    confounders = list(quarter.confounders)
    with pytest.warns(oc.StatisticalWarning, match=f"{blank} of .* left out of the Cox model"):
        complete = oc.compare_arms(quarter.cohort, adjust=confounders)  # what R's default (complete cases) gives
    assert record.complete_cases["adjusted"].hazard_ratio.value == pytest.approx(complete.hazard_ratio.value)
    assert {"df", "fmi"} <= set(quarter.relapse_adjusted.cox.columns)  # the pooled model
    assert {"df", "fmi"} <= set(quarter.relapse_iptw.cox.columns)
    measures = quarter.tables["relapse"].Measure.tolist()
    assert "Hazard ratio, adjusted (blanks imputed)" in measures
    assert "Hazard ratio, IPTW-weighted (complete cases only)" in measures


def test_the_summary_and_methods_say_who_was_imputed_on_what(quarter):
    blank = int(quarter.cohort.df.age.isna().sum())
    sentence = next(x for x in quarter.summary if x.startswith("Blank confounders"))
    assert f"age for {blank:,} (" in sentence.lower()
    assert f"on the {quarter.imputation.n_complete:,} participants with every confounder recorded" in sentence
    cc = quarter.imputation.complete_cases["adjusted"].hazard_ratio
    assert f"{cc.value:.2f}" in sentence
    assert "3 multiple imputations by chained equations" in methods_text(quarter)


def test_imputation_is_off_when_asked_and_below_the_threshold(gaps):
    off = compute_quarter(gaps, "2026Q3", bootstrap=50, imputations=0)
    assert off.imputation is None and "df" not in off.relapse_adjusted.cox.columns
    assert not any(x.startswith("Blank confounders") for x in off.summary)
    few = compute_quarter(_with_blanks(1200, 0.02), "2026Q3", bootstrap=50, imputations=3)
    assert few.imputation is None  # 2% blank: complete cases, counted in the notes as before
    with pytest.raises(oc.InputError, match="imputations must be 0"):
        compute_quarter(gaps, "2026Q3", imputations=1)


def test_a_small_number_imputed_is_not_shown_nor_its_complement(tmp_path):
    full = oc.synthetic_cohort(n=150, seed=8)
    df = full.df.copy()
    df.loc[df.index[:9], "age"] = np.nan  # 9 of 150 blank: 6%, above the threshold, and a small count
    cohort = oc.Cohort(df, reference="clinical", as_of=full.as_of, covariates=full.covariates)
    r = compute_quarter(cohort, "2026Q3", bootstrap=50, imputations=2)
    if r.imputation is None:
        pytest.skip("fewer than 9 of these participants were enrolled by the quarter's end")
    sentence = next(x for x in r.summary if x.startswith("Blank confounders"))
    assert "fewer than 11 participants" in sentence
    assert str(r.imputation.n_complete) not in sentence  # the total minus it would give the small count


def test_outcomes_toml_sets_the_number_of_imputations(tmp_path):
    config = tmp_path / "outcomes.toml"
    config.write_text("[report]\nimpute = 0\n", encoding="utf-8")
    assert imputation_count(config=config) == 0
    config.write_text("[report]\nimpute = 10\n", encoding="utf-8")
    assert imputation_count(config=config) == 10 and imputation_count(5, config=config) == 5
    config.write_text("[report]\nimpute = false\n", encoding="utf-8")
    assert imputation_count(config=config) == 0
    for bad in ("1", "-3", '"twenty"', "2.5"):
        config.write_text(f"[report]\nimpute = {bad}\n", encoding="utf-8")
        with pytest.raises(oc.InputError, match="impute"):
            imputation_count(config=config)


def test_blanks_only_in_one_arm_still_give_a_report():
    """Imputed for the weighted analysis, the complete cases alone may lack overlap (a level only in one arm):
    the baseline table then shows the crude differences instead of failing the whole report."""
    from .shapes import Shape, cohort_of
    from .test_contract import _missingness

    cohort = _missingness(cohort_of(Shape(120, 0.5, 0.4, 0.3, 2, "normal", True, 3)), "blanks only in one arm", 3)
    with pytest.raises(oc.NotEstimableError, match="predicts the arm perfectly"):
        oc.baseline_table(cohort, ["age", "sex", "co_occurring_mh", "site"], weights="iptw")
    r = compute_quarter(cohort, "2026Q3", bootstrap=50, imputations=2)
    assert r.imputation is not None and "SMD after weighting" not in r.tables["baseline"].columns

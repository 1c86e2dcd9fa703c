"""The result protocol as a checked contract: every public result class, a real instance, every method.

The walk finds every concrete subclass of ``outcomes.core.results.Result`` in the package: a new result class
without a factory here fails ``test_every_result_class_has_a_real_instance``, so none escapes the check.
"""

from __future__ import annotations

import importlib
import json
from html import escape as html_escape
import pkgutil
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import outcomes as oc  # noqa: E402
from outcomes.core.results import ChiSquareTest, Estimate, Result  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example_extract"


def _all_result_classes() -> set[type]:
    for module in pkgutil.walk_packages(oc.__path__, "outcomes."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found, todo = set(), [Result]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if not getattr(sub, "__abstractmethods__", None):
                found.add(sub)
    return found


@pytest.fixture(scope="module")
def cohort() -> oc.Cohort:
    return oc.synthetic_cohort(n=600, seed=21)


@pytest.fixture(scope="module")
def factories(cohort) -> dict:
    return _factories(cohort)


def _factories(cohort: oc.Cohort) -> dict:
    adjust = ["age", "sex", "co_occurring_mh"]
    relapse = oc.compare_arms(cohort, "relapse")
    extract = oc.synthetic_cohort(n=80, seed=3).df.drop(columns=["followup_days"])
    return {
        "Estimate": lambda: relapse.hazard_ratio,
        "ChiSquareTest": lambda: oc.cumulative_incidence(cohort).gray,
        "LogRankTest": lambda: relapse.logrank,
        "ArmComparison": lambda: relapse,
        "CompetingRisks": lambda: oc.cumulative_incidence(cohort),
        "SecondaryComparison": lambda: oc.compare_secondary(cohort, "aftercare_engaged"),
        "PropensityWeights": lambda: oc.propensity_weights(cohort, adjust),
        "Balance": lambda: oc.balance(cohort, adjust, weights="iptw"),
        "EValue": lambda: oc.e_value(relapse.hazard_ratio),
        "ParametricFits": lambda: oc.fit_parametric(cohort, horizon=365),
        "SimulatedPower": lambda: oc.power.simulate_power(200, 0.7, reps=50, seed=1, progress=False),
        "PowerCurve": lambda: oc.power.power_curve([0.6, 0.8], n_max=400),
        "TwinReport": lambda: oc.twin_report(cohort, oc.synthetic_twin(cohort, seed=1)),
        "ClaimsAudit": lambda: oc.claims.audit(),
        "Reconciliation": lambda: oc.reconcile(cohort),
        "ReidentificationRisk": lambda: oc.reidentification_risk(extract),
        "DeidentifiedExtract": lambda: oc.deidentify(EXAMPLE / "program_extract.csv", EXAMPLE / "mapping.toml",
                                                     key=b"k" * 32),
        "ExposureComparison": lambda: oc.compare_exposure(_jasa(), adjust=["age"], bootstrap=50),
        "IngestionReport": lambda: oc.validate_extract(EXAMPLE / "program_extract.csv", EXAMPLE / "mapping.toml"),
        "BaselineTable": lambda: oc.baseline_table(cohort, adjust),
        "RecurrentComparison": lambda: oc.compare_recurrent(*_cgd(), adjust=["age"]),
        "FollowUpRates": lambda: oc.follow_up(*_interviews()),
        "ChangeFromIntake": lambda: oc.change_from_intake(*_interviews()),
        "MetaAnalysis": lambda: oc.evidence.meta_analysis([-0.5, -0.1, -0.3, -0.9], [0.04, 0.02, 0.05, 0.1],
                                                          labels=["a", "b", "c", "d"]),
    }


def test_every_result_class_has_a_real_instance(factories):
    names = {c.__name__ for c in _all_result_classes()}
    assert names == set(factories) == set(RESULT_NAMES), "add a factory for each new result class"


def _interviews() -> tuple[oc.Cohort, pd.DataFrame]:
    from .test_interviews import _seeded

    return _seeded(n=200, seed=5)


def _cgd() -> tuple[oc.Cohort, pd.DataFrame]:
    people = pd.read_csv(Path(__file__).parent / "reference" / "cgd_people.csv")
    cohort = oc.Cohort.from_frame(people, arm="treat", reference="placebo", follow_up="futime", participant_id="id",
                                  covariates=["age", "inherit", "steroids"])
    events = pd.read_csv(Path(__file__).parent / "reference" / "cgd_events.csv")
    return cohort, events.rename(columns={"id": "participant_id"})


def _jasa() -> oc.Cohort:
    people = pd.read_csv(Path(__file__).parent / "reference" / "jasa_people.csv")
    return oc.Cohort.from_frame(people.assign(ever=people.transplant_day.notna()), arm="ever", reference=False,
                                relapse=("futime", "death"), covariates=["age"], exposure_start="transplant_day")


RESULT_NAMES = ["ExposureComparison", "Estimate", "ChiSquareTest", "LogRankTest", "ArmComparison", "CompetingRisks", "SecondaryComparison",
                "PropensityWeights", "Balance", "EValue", "ParametricFits", "SimulatedPower", "PowerCurve",
                "TwinReport", "ClaimsAudit", "Reconciliation", "ReidentificationRisk", "DeidentifiedExtract",
                "IngestionReport", "BaselineTable", "RecurrentComparison", "MetaAnalysis",
                "FollowUpRates", "ChangeFromIntake"]
NUMBER_IN_E_NOTATION = re.compile(r"\d(\.\d+)?e[+-]?\d")


@pytest.mark.parametrize("name", RESULT_NAMES)
def test_result_honours_the_protocol(factories, name):
    result = factories[name]()
    assert type(result).__name__ == name and isinstance(result, Result)
    assert isinstance(result.title, str) and result.title
    table = result.table()
    assert isinstance(table, pd.DataFrame) and not table.empty
    fig, ax = plt.subplots()
    assert result.plot(ax=ax) is ax
    assert ax.has_data() or ax.texts or ax.patches or ax.lines
    plt.close(fig)
    own = result.plot()
    assert own is not None and own.figure is not None
    plt.close(own.figure)
    markdown, html = result.to_markdown(), result._repr_html_()
    assert markdown.startswith(f"**{result.title}**") and html_escape(result.title) in html
    json.dumps(result.to_dict())
    for shown in (markdown, repr(result)):
        assert "nan" not in shown.lower().replace("financial", ""), shown
    effect = result.effect
    assert effect is None or isinstance(effect, Estimate)


@pytest.mark.parametrize("name, effect", [("ArmComparison", "hazard_ratio"), ("SecondaryComparison", "estimate"),
                                          ("CompetingRisks", "fine_gray"), ("Estimate", None)])
def test_the_headline_effect_has_one_name(factories, name, effect):
    result = factories[name]()
    assert result.effect is (result if effect is None else getattr(result, effect))


def test_small_counts_are_suppressed_in_every_display_from_one_place():
    """Seven peer participants: every display shows '<11', never 7, while the table itself stays exact."""
    full = oc.synthetic_cohort(n=2000, seed=5).df
    small_df = pd.concat([full[full.arm == "clinical"].head(300), full[full.arm == "peer_clinical"].head(7)])
    small = oc.Cohort(small_df, reference="clinical", as_of="2026-09-30", covariates=["age", "sex"])
    result = oc.compare_arms(small, "relapse")
    assert 7 in result.table().n.tolist()
    for shown in (result.to_markdown(), result._repr_html_(), repr(result)):
        assert "<11" in shown or "&lt;11" in shown
        assert not re.search(r"(?<![\d.])7(?![\d.])", shown.split("Log-rank")[0])

    class Counts(Result):  # any result that declares its count columns gets the same rule
        count_columns = ("n",)
        title = "counts"

        def table(self):
            return pd.DataFrame({"arm": ["a", "b"], "n": [7, 40], "share": [0.15, np.nan]})

        def plot(self, ax=None):
            return ax

    shown = Counts().display_table()
    assert shown.n.tolist() == ["<11", "40"] and shown.Share.tolist() == ["0.15", ""]  # words, no nan
    assert "nan" not in Counts().to_markdown() and "7" not in Counts().to_markdown()


def test_a_result_without_plot_cannot_be_built():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Half(Result):
        @property
        def title(self) -> str:
            return "half"

        def table(self) -> pd.DataFrame:
            return pd.DataFrame({"x": [1]})

    with pytest.raises(TypeError, match="abstract"):
        Half()


def test_chi_square_test_is_the_one_test_result():
    from outcomes.analyses.arm_comparison import LogRankTest

    assert issubclass(LogRankTest, ChiSquareTest)
    weighted = oc.compare_arms(oc.synthetic_cohort(n=300, seed=2), "relapse", adjust=["age"], weights="iptw",
                               bootstrap=50)
    assert type(weighted.test) is ChiSquareTest and weighted.test.name.startswith("robust Wald")
    assert np.isfinite(weighted.test.statistic)


@pytest.mark.parametrize("name", RESULT_NAMES)
def test_every_result_can_be_narrated_in_plain_numbers(factories, name):
    from .contract import bad_text

    text = oc.narrate(factories[name]())
    assert text and not bad_text([text]), text

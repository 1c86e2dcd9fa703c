"""The claims registry against the seed texts, the audit's arithmetic by hand, reconciliation and narration."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import outcomes as oc
from outcomes.claims import hazard_ratio_from_risks, hazard_ratio_from_survival

from .conftest import SEEDS


@pytest.fixture(scope="module")
def registry() -> pd.DataFrame:
    return oc.claims.registry()


def test_every_quote_is_verbatim_in_its_source(registry):
    for row in registry.itertuples():
        text = (SEEDS / row.source).read_text(encoding="utf-8")
        assert row.quote in text, row.claim_id
        assert row.figure.replace("between ", "").split(" ")[0] in row.quote or row.figure in row.quote, row.claim_id


def test_registry_has_the_required_columns_and_stable_unique_ids(registry):
    for col in ("claim_id", "source", "quote", "value", "low", "high", "unit", "outcome", "comparison", "horizon",
                "citation", "readings"):
        assert col in registry.columns
    assert registry.claim_id.is_unique
    assert set(registry.source) == {"000_7c043d74180a1d70.txt", "003_ff7c981e9dde9836.txt", "004_028f14ac17c65239.txt"}


def _numbers(text: str) -> list[str]:
    """Figures in a text: percentages, ranges, decimals and counts of studies, as printed."""
    return re.findall(r"\d+(?:\.\d+)?(?:-\d+)?%|\d+\.\d+ times|\d+ studies", text)


@pytest.mark.parametrize("source", ["000_7c043d74180a1d70.txt", "003_ff7c981e9dde9836.txt", "004_028f14ac17c65239.txt"])
def test_every_figure_in_the_articles_is_registered(registry, source):
    text = (SEEDS / source).read_text(encoding="utf-8")
    quotes = " ".join(registry[registry.source == source].quote)
    for figure in _numbers(text):
        assert figure in quotes, f"{figure} in {source} has no claim"
    for word in ("twice", "double"):
        if re.search(rf"\b{word}\b", text):
            assert registry[(registry.source == source) & (registry.figure == word)].shape[0] == 1


def test_the_kinds_the_issue_lists_are_all_there(registry):
    figures = set(registry.figure)
    for expected in ("between 40% and 60%", "15-25%", "48 studies", "42.8%", "twice", "double", "2.9 times",
                     "21% vs 33%"):
        assert expected in figures
    pair = registry.set_index("claim_id").loc["H004-abstinence-10y"]
    assert (pair.low, pair.high) == (0.21, 0.33)


def test_ambiguous_claims_carry_every_reading():
    readings = oc.claims.readings()
    ten = readings[readings.claim_id == "S000-relapse-10a"].set_index("reading")
    assert ten.loc["relative", "value"] == pytest.approx(0.90)
    assert ten.loc["absolute", "value"] == pytest.approx(-0.10)
    assert set(readings.claim_id) == set(oc.claims.registry().claim_id)


# ------------------------------------------------------------------------------ the audit, by hand
def test_implied_hazard_ratios_by_hand():
    # 35% lower 12-month risk at a 50% baseline: p1 = 0.325, HR = log(0.675) / log(0.5)
    assert float(hazard_ratio_from_risks(0.5, 0.325)) == pytest.approx(math.log(0.675) / math.log(0.5))
    assert float(hazard_ratio_from_risks(0.5, 0.325)) == pytest.approx(0.567, abs=1e-3)
    # 10-year abstinence 21% vs 33%: HR = log(0.33) / log(0.21)
    assert hazard_ratio_from_survival(0.21, 0.33) == pytest.approx(math.log(0.33) / math.log(0.21))
    assert hazard_ratio_from_survival(0.21, 0.33) == pytest.approx(0.71, abs=5e-3)  # "implies HR 0.71"


def test_audit_finds_the_conflicts_the_issue_describes():
    res = oc.claims.audit()
    pairs = res.pairs.set_index(["claim_a", "claim_b"])
    # "35% lower" and "twice as likely to stay sober": 0.65 p0 = 1 - 2 (1 - p0)  =>  p0 = 1 / 1.35
    twice = pairs.loc[("35% lower 12-month relapse risk", "2 times as likely to stay sober")]
    assert twice.verdict == "conflict"
    assert twice.compatible_baselines == f"{100 / 1.35:.1f}%"
    # 21% vs 33% abstinence (HR 0.71) against 35% lower 12-month risk (HR 0.57 at 50%)
    ten_year = pairs.loc[("35% lower 12-month relapse risk", "10-year abstinence 21% vs 33%")]
    assert ten_year.verdict == "conflict"
    assert "HR 0.57" in ten_year.arithmetic and "HR 0.71" in ten_year.arithmetic
    # "approximately 10%" read as 10 points: 0.35 p0 = 0.10  =>  p0 = 28.6%
    points = pairs.loc[("35% lower 12-month relapse risk", "10 percentage points lower 12-month relapse risk")]
    assert points.compatible_baselines == "28.6%" and points.verdict == "conflict"


def test_retention_claims_reconcile_only_at_some_baselines():
    # +20% retention and 15-25% fewer dropouts: 1 - 1.2 (1 - d) = f d with f in [0.75, 0.85]
    #   => d = 0.2 / (1.2 - f): from 0.2 / 0.45 = 44.4% to 0.2 / 0.35 = 57.1%
    res = oc.claims.audit()
    row = res.pairs.set_index(["claim_a", "claim_b"]).loc[("20% higher retention", "15-25% fewer dropouts")]
    assert row.verdict == "compatible"
    assert row.compatible_baselines == f"{100 * 0.2 / 0.45:.1f}-{100 * 0.2 / 0.35:.1f}%"


def test_audit_implied_table_and_plot():
    res = oc.claims.audit()
    at50 = res.implied[(res.implied.claim == "35% lower 12-month relapse risk") & np.isclose(res.implied.baseline, 0.5)]
    assert at50.risk_ratio_low.item() == pytest.approx(0.65)
    assert at50.hazard_ratio_low.item() == pytest.approx(math.log(0.675) / math.log(0.5))
    twice = res.implied[(res.implied.claim == "2 times as likely to stay sober") & np.isclose(res.implied.baseline, 0.4)]
    assert np.isnan(twice.peer_risk_low.item())  # impossible: 1 - 2 * 0.6 < 0
    assert res.plot().get_xlabel().startswith("implied hazard ratio")


# ------------------------------------------------------------------------------ reconciliation
CALIBRATED = ["I003-relapse-35-research", "H004-retention-20-table", "H004-dropout-15-25", "H004-aftercare-40",
              "H004-attendance-30", "H004-healthcare-25-table", "H004-mh-admissions-50", "H004-mh-symptoms-62",
              "H004-use-reduction-30", "H004-co-occurring-42.8", "I003-nida-baseline"]
EFFECTS = [c for c in CALIBRATED if c not in ("H004-mh-symptoms-62", "H004-co-occurring-42.8", "I003-nida-baseline")]


@pytest.fixture(scope="module")
def reconciled():
    # A 95% interval misses the truth 1 time in 20 by design; with eleven calibrated claims some seed will show
    # a miss. The seed is fixed, so the outcome is deterministic; the null scenario shows the verdicts discriminate.
    out = {}
    for scenario in ("articles", "null"):
        cohort = oc.synthetic_cohort(n=20_000, seed=32, randomized=True, scenario=scenario)
        out[scenario] = oc.reconcile(cohort)
    return out


def _first_reading(rec, claim_id):
    rows = rec.rows[rec.rows.claim_id == claim_id]
    return rows[rows.reading.isin(["relative", "level", "within person", "pair"])].iloc[0]


@pytest.mark.parametrize("claim_id", CALIBRATED)
def test_calibrated_claims_are_consistent_on_the_articles_scenario(reconciled, claim_id):
    row = _first_reading(reconciled["articles"], claim_id)
    assert row.verdict.startswith("consistent"), row.verdict


@pytest.mark.parametrize("claim_id", EFFECTS)
def test_effect_claims_are_not_consistent_on_the_null_scenario(reconciled, claim_id):
    row = _first_reading(reconciled["null"], claim_id)
    assert row.verdict.startswith("smaller effect"), row.verdict


def test_not_estimable_claims_say_why(reconciled):
    rows = reconciled["articles"].rows.set_index("claim_id")
    assert rows.loc["H004-abstinence-10y", "verdict"].startswith("not estimable: arm")
    assert "day 3,650" in rows.loc["H004-abstinence-10y", "verdict"]
    assert rows.loc["I003-review-48-relapse", "verdict"].startswith("not estimable: the number of studies")


def test_reconcile_on_real_data_without_secondary_columns(rossi):
    rec = oc.reconcile(rossi)
    verdicts = rec.rows.set_index(["claim_id", "reading"]).verdict
    assert verdicts.loc[("H004-aftercare-40", "relative")].startswith("not estimable: this cohort has no aftercare")
    assert verdicts.loc[("H004-retention-20-table", "relative")].startswith("not estimable: this cohort has no retention")
    # rossi follows 52 weeks: "12 months" (365 days) is past its follow-up in the data's own time unit
    assert verdicts.loc[("I003-relapse-35-research", "relative")].startswith("not estimable")
    table = rec.table()
    assert table.columns.tolist() == ["claim_id", "estimand", "claimed", "estimate", "ci_lower", "ci_upper", "verdict"]
    assert all(v.split(":")[0] in {"consistent", "smaller effect", "larger effect", "opposite direction"}
               for v in table.verdict)
    # table() holds the estimable readings as numbers, never NaN; the others stay in rows with their reason
    assert not table[["estimate", "ci_lower", "ci_upper"]].isna().any().any()
    assert len(table) == rec.rows.estimate.notna().sum() < len(rec.rows)


def test_verdicts_by_hand():
    from outcomes.claims.reconcile import _verdict

    assert _verdict("relapse_risk_ratio_12m", 0.65, 0.65, "equal", 0.64, 0.60, 0.70).startswith("consistent")
    assert _verdict("relapse_risk_ratio_12m", 0.65, 0.65, "equal", 0.90, 0.80, 1.02).startswith("smaller effect")
    assert _verdict("relapse_risk_ratio_12m", 0.65, 0.65, "equal", 0.40, 0.30, 0.55).startswith("larger effect")
    assert _verdict("relapse_risk_ratio_12m", 0.65, 0.65, "equal", 1.30, 1.10, 1.50).startswith("opposite direction")
    assert _verdict("retention_ratio", 1.2, 1.2, "at most", 1.1, 1.05, 1.15).startswith("consistent")
    assert _verdict("retention_ratio", 1.2, 1.2, "at most", 1.0, 0.95, 1.0).startswith("smaller effect")
    assert _verdict("co_occurring_mh_prevalence", 0.428, 0.428, "equal", 0.5, 0.48, 0.52).startswith("larger effect")


# ------------------------------------------------------------------------------ narration
def test_narration_is_generated_from_the_result(reconciled):
    cohort = oc.synthetic_cohort(n=20_000, seed=32, randomized=True)
    res = oc.compare_arms(cohort)
    text = oc.narrate(res)
    at = res.survival_at([365]).set_index("arm")
    assert f"12-month relapse was {100 * (1 - at.loc['clinical', 'survival']):.0f}%" in text
    assert f"hazard ratio {res.hazard_ratio.value:.2f}" in text
    claims_text = oc.narrate(reconciled["articles"])
    assert "'10 Benefits of Peer Support in Recovery' (003) claims 35%" in claims_text
    assert "consistent with it" in claims_text
    assert "21% vs 33%" in claims_text and "not estimable" in claims_text
    assert "74.1%" in oc.narrate(oc.claims.audit())


def test_narration_never_prints_a_small_count():
    arms = ["a"] * 30
    for i in (2, 6, 11, 15, 19, 24, 28):
        arms[i] = "b"  # seven participants, spread over the follow-up
    df = pd.DataFrame({"participant_id": [str(i) for i in range(30)], "arm": arms,
                       "relapse_days": np.arange(30) * 10.0 + 5, "relapse_event": [1, 0, 1] * 10})
    cohort = oc.Cohort(df, reference="a")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = oc.narrate(oc.compare_arms(cohort))
    assert "fewer than 11 arm b" in text
    assert not re.search(r"\b([1-9]|10) (participants|arm|relapses)\b", text)


def test_narrate_refuses_unknown_objects():
    with pytest.raises(oc.InputError, match="does not know how to describe a dict"):
        oc.narrate({})

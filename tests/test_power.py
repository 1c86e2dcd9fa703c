"""Study design: events by hand (Schoenfeld, Freedman), power, minimum detectable HR and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import outcomes as oc
from outcomes import power as pw
from outcomes.outputs.cli import main

Z = 1.959963984540054 + 0.8416212335729143  # z_{0.975} + z_{0.80}


@pytest.mark.parametrize("hr", [0.5, 0.57, 0.65, 0.7, 0.8, 1.25])
def test_schoenfeld_events_by_hand(hr):
    # D = (z_a + z_b)^2 / (p (1 - p) log(HR)^2), rounded up
    assert pw.events_needed(hr) == math.ceil(Z**2 / (0.25 * math.log(hr) ** 2))


@pytest.mark.parametrize("hr", [0.5, 0.65, 0.7, 0.8])
def test_freedman_events_by_hand(hr):
    # D = (z_a + z_b)^2 (1 + HR)^2 / (1 - HR)^2 for 1:1 allocation
    assert pw.events_needed(hr, method="freedman") == math.ceil(Z**2 * (1 + hr) ** 2 / (1 - hr) ** 2)


def test_known_values():
    assert pw.events_needed(0.65) == 170  # 7.849 / (0.25 * 0.18557) = 169.2
    assert pw.events_needed(0.65, method="freedman") == 175  # 7.849 * 22.22 = 174.4
    assert pw.events_needed(0.5) == 66 and pw.events_needed(0.5, method="freedman") == 71
    # unequal allocation: 2:1 needs more events than 1:1
    assert pw.events_needed(0.65, allocation=2 / 3) == math.ceil(Z**2 / ((2 / 9) * math.log(0.65) ** 2))


def test_power_and_minimum_detectable_hr_invert_events_needed():
    d = pw.events_needed(0.65)
    assert pw.power(hazard_ratio=0.65, events=d) == pytest.approx(0.80, abs=0.005)
    assert pw.minimum_detectable_hr(events=d) == pytest.approx(0.65, abs=0.002)
    # exactly: HR = exp(-(z_a + z_b) / sqrt(D / 4))
    assert pw.minimum_detectable_hr(events=200) == pytest.approx(math.exp(-Z / math.sqrt(50)), rel=1e-6)


def test_event_probability_by_hand_for_an_exponential_design():
    # no accrual spread, 365 days of follow-up, exponential baseline with 50% risk at 365 days, no loss:
    design = pw.Design(baseline_risk=0.5, horizon=365, accrual=0, follow_up=365)
    assert design.event_probability() == pytest.approx(0.5, abs=1e-6)
    # uniform accrual over A then F more days: P = 1 - (exp(-l F) - exp(-l (A + F))) / (l A)
    d2 = pw.Design(baseline_risk=0.5, horizon=365, accrual=730, follow_up=365)
    lam = math.log(2) / 365
    expected = 1 - (math.exp(-lam * 365) - math.exp(-lam * 1095)) / (lam * 730)
    assert d2.event_probability() == pytest.approx(expected, abs=1e-5)


def test_sample_size_turns_events_into_participants():
    design = pw.Design(baseline_risk=0.5, horizon=365, accrual=730, follow_up=365, dropout=0.1)
    n = pw.sample_size(0.65, design=design)
    assert design.expected_events(n, 0.65) >= pw.events_needed(0.65) > design.expected_events(n - 1, 0.65)


def test_simulated_power_agrees_with_schoenfeld_within_3_points():
    design = pw.Design(baseline_risk=0.5, horizon=365, accrual=730, follow_up=365)
    n = pw.sample_size(0.65, design=design)
    sim = pw.simulate_power(n, 0.65, reps=2000, seed=3, design=design)
    assert abs(sim.power - 0.80) < 0.03
    assert sim.mc_se == pytest.approx(math.sqrt(sim.power * (1 - sim.power) / 2000))
    cox = pw.simulate_power(n, 0.65, reps=1000, seed=4, design=design, test="cox")
    assert abs(cox.power - 0.80) < 0.04


def test_vectorized_logrank_equals_the_single_test():
    from outcomes.stats import logrank_test

    rng = np.random.default_rng(0)
    time, event, treated = pw._simulate_design(pw.Design(), 80, 0.7, 5, rng)
    many = pw._logrank_many(time, event, treated)
    for r in range(5):
        single = logrank_test(time[r], event[r].astype(float), treated[r], ("a", "b"))
        assert many[r] == pytest.approx(single.statistic, rel=1e-10)


def test_null_simulation_holds_its_size():
    sim = pw.simulate_power(300, 1.0 + 1e-12, reps=2000, seed=5)
    assert abs(sim.power - 0.05) < 0.015


def test_simulation_is_seeded():
    a = pw.simulate_power(200, 0.7, reps=100, seed=9)
    b = pw.simulate_power(200, 0.7, reps=100, seed=9)
    np.testing.assert_array_equal(a.p_values, b.p_values)


def test_sentence_and_curve():
    text = pw.grant_sentence(0.65, baseline_risk=0.5, accrual=730, follow_up=365)
    n = pw.sample_size(0.65, baseline_risk=0.5, accrual=730, follow_up=365)
    assert text.startswith(f"With {n:,} participants enrolled over 2 years")
    assert "80% power to detect a 35% lower relapse hazard (hazard ratio 0.65)" in text
    curve = pw.power_curve((0.65,), n_max=600)
    assert curve.table().power.is_monotonic_increasing
    assert curve.plot().get_ylabel() == "power"


def test_bad_input():
    with pytest.raises(oc.InputError, match="hazard_ratio must be positive and not 1"):
        pw.events_needed(1.0)
    with pytest.raises(oc.InputError, match="method must be"):
        pw.events_needed(0.7, method="lakatos")
    with pytest.raises(oc.InputError, match="exactly one of n"):
        pw.power(hazard_ratio=0.7)
    with pytest.raises(oc.InputError, match="baseline_risk must be between 0 and 1"):
        pw.Design(baseline_risk=1.5)


def test_power_command(tmp_path, capsys):
    assert main(["power", "--hr", "0.65", "--n", "300", "--simulate", "200", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "events needed: 170" in out and "simulated power" in out and "minimum detectable hazard ratio" in out
    assert (tmp_path / "power_curve.png").exists()


def test_power_from_a_scenario_design():
    design = pw.Design.from_scenario("articles")
    assert (design.baseline_risk, design.shape, design.dropout) == (0.5, 0.7, 0.1)
    assert design.accrual == pytest.approx(8 * 91.3)
    sim = pw.simulate_power(400, 0.57, reps=400, seed=2, scenario="articles")
    assert abs(sim.power - sim.analytic_power) < 4 * sim.mc_se + 0.01
    with pytest.raises(oc.InputError, match="a scenario or a design"):
        pw.simulate_power(400, 0.57, reps=10, scenario="articles", baseline_risk=0.4)

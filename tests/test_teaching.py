"""The teaching guide's three experiments (docs/teaching.md) behave as the guide says, at the page's size.

Runs are built exactly as the browser page builds them (start settings -> ``browser_parameters``,
300 citizens, 240 months) and the live lever is moved with ``set_lever`` as the page's buttons
do. The guide quotes medians over seeds 1-10; the key figures are checked here within a
tolerance, and every claim of its prose (who is ahead, what falls, what recovers) exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.core.model import CoCreationModel
from simulation.viz.settings import StartSettings, browser_parameters

SEEDS = range(1, 11)


def run(settings: StartSettings, seed: int, months: int, live: dict[int, float] | None = None) -> pd.DataFrame:
    params, notices = browser_parameters(settings, seed=seed)
    assert notices == []
    model = CoCreationModel(parameters=params)
    for _ in range(months):
        if live and model.steps in live:
            model.set_lever("steering_intensity", live[model.steps])   # "Over-steer" / "Ease off" pressed now
        model.step()
    return model.results()


def median(frames: list[pd.DataFrame], column: str, month: int | slice) -> float:
    return float(np.median([f[column].iloc[month].mean() for f in frames]))


YEAR_1, YEAR_10 = slice(1, 13), slice(109, 121)


@pytest.fixture(scope="module")
def episode():
    base = StartSettings()
    return ([run(base, s, 240, live={24: 0.9, 60: 0.2}) for s in SEEDS],
            [run(base, s, 240) for s in SEEDS])


def test_experiment_1_over_steering_costs_for_years(episode):
    ep, control = episode
    trust = {m: median(ep, "trust_municipality", m) for m in (24, 60, 84, 120, 240)}
    assert trust[60] == pytest.approx(0.47, abs=0.03) and trust[24] == pytest.approx(0.64, abs=0.03)
    assert trust[60] < 0.8 * trust[24]                                   # a quarter lost in three years
    assert median(control, "trust_municipality", 60) - trust[60] > 0.15
    assert trust[84] < median(control, "trust_municipality", 84) - 0.08  # two years after easing: still well below
    assert trust[120] > trust[60] + 0.5 * (median(control, "trust_municipality", 120) - trust[60])  # most regained in 5 years
    civil = {m: median(ep, "civil_output", m) for m in (24, 60)}
    assert civil[60] < 0.65 * civil[24]                                  # civil output about halves
    # volunteering is lowest after the municipality eased off, not during the episode
    series = np.median([f["volunteering_rate"].rolling(12).mean().to_numpy() for f in ep], axis=0)
    assert 60 < int(np.nanargmin(series[24:])) + 24 <= 120


@pytest.fixture(scope="module")
def modes():
    return {mode: [run(StartSettings().with_mode(mode), s, 120) for s in SEEDS] for mode in ("npm", "npg", "hierarchy")}


def test_experiment_2_suppliers_lead_first_partners_after(modes):
    m = {mode: {col: median(frames, col, YEAR_10) for col in
                ("volunteering_rate", "trust_municipality", "service_orientation", "democratic_voice", "synergy", "service_output")}
         for mode, frames in modes.items()}
    first_year = {mode: median(frames, "service_output", YEAR_1) for mode, frames in modes.items()}
    assert first_year["npm"] > first_year["hierarchy"] > first_year["npg"]
    assert m["npg"]["service_output"] > m["hierarchy"]["service_output"] > m["npm"]["service_output"]
    assert m["npm"]["volunteering_rate"] < m["hierarchy"]["volunteering_rate"] < m["npg"]["volunteering_rate"]
    assert m["npg"]["volunteering_rate"] == pytest.approx(0.40, abs=0.03)
    assert m["npm"]["volunteering_rate"] == pytest.approx(0.24, abs=0.03)
    assert m["npm"]["service_orientation"] > 0.85 > 0.55 > m["npg"]["service_orientation"]
    assert m["npm"]["democratic_voice"] < 0.1 * m["npg"]["democratic_voice"]
    assert m["npg"]["synergy"] > 10 * max(m["npm"]["synergy"], m["hierarchy"]["synergy"])
    assert m["npg"]["trust_municipality"] > m["hierarchy"]["trust_municipality"] > m["npm"]["trust_municipality"]


def test_experiment_3_inclusive_targeting_bridges_and_pressure_pulls_back():
    arms = {"group-specific": StartSettings().with_lever("targeting", 0.0),
            "inclusive": StartSettings().with_lever("targeting", 1.0),
            "inclusive + pressure": StartSettings().with_lever("targeting", 1.0).with_lever("quick_results_pressure", 1.0)}
    frames = {arm: [run(st, s, 120) for s in SEEDS] for arm, st in arms.items()}
    r = {arm: {col: median(fs, col, YEAR_10) for col in ("ei_index", "bridging_capital", "volunteering_rate_vulnerable")}
         for arm, fs in frames.items()}
    assert r["inclusive"]["ei_index"] - r["group-specific"]["ei_index"] > 0.1
    assert r["group-specific"]["ei_index"] == pytest.approx(-0.73, abs=0.04)
    assert r["inclusive"]["ei_index"] == pytest.approx(-0.55, abs=0.04)
    assert r["inclusive"]["bridging_capital"] > 1.3 * r["group-specific"]["bridging_capital"]
    assert r["inclusive"]["volunteering_rate_vulnerable"] > r["group-specific"]["volunteering_rate_vulnerable"]
    assert r["group-specific"]["ei_index"] < r["inclusive + pressure"]["ei_index"] < r["inclusive"]["ei_index"]
    assert r["inclusive + pressure"]["bridging_capital"] < r["inclusive"]["bridging_capital"]

"""The teaching guide's three experiments (docs/teaching.md) behave as the guide says, at the page's size.

Runs are built exactly as the browser page builds them (start settings -> ``browser_parameters``,
300 citizens, 240 months) and the live lever is moved with ``set_lever`` as the page's buttons
do. Every number in the guide's three tables is read from the guide itself and compared with
the medians over seeds 1-10 (equal to the printed digits), and each row's "one seed within"
with the largest distance of a single seed from the median; every claim of the guide's prose
(who is ahead, what falls, what recovers, and when) is checked below its table.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.core.model import CoCreationModel
from simulation.viz.settings import StartSettings, browser_parameters

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "teaching.md"
SEEDS = range(1, 11)
YEAR_1, YEAR_10 = slice(1, 13), slice(109, 121)


def run(settings: StartSettings, seed: int, months: int, live: dict[int, float] | None = None) -> pd.DataFrame:
    params, notices = browser_parameters(settings, seed=seed)
    assert notices == []
    model = CoCreationModel(parameters=params)
    for _ in range(months):
        if live and model.steps in live:
            model.set_lever("steering_intensity", live[model.steps])   # "Over-steer" / "Ease off" pressed now
        model.step()
    return model.results()


def values(frames: list[pd.DataFrame], column: str, month: int | slice, scale: float = 1.0) -> np.ndarray:
    """One value per seed: ``column`` at ``month`` (or its mean over a slice of months)."""
    return scale * np.array([f[column].iloc[month].mean() for f in frames])


def median(frames: list[pd.DataFrame], column: str, month: int | slice) -> float:
    return float(np.median(values(frames, column, month)))


# --- the guide's tables, read from the guide ----------------------------------------------------

def guide_table(first_column: str) -> tuple[list[str], dict[str, list[str]]]:
    """The guide's table whose first column of numbers is headed ``first_column``: column heads and cells by row label."""
    lines = GUIDE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("|") and [c.strip() for c in line.strip().strip("|").split("|")][1:2] == [first_column])
    heads = [c.strip() for c in lines[start].strip().strip("|").split("|")][1:]
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip().replace("**", "") for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return heads, rows


NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?")


def numbers(cell: str) -> list[str]:
    """The numbers printed in a cell, as printed: ``"0.61 (0.73)"`` -> ``["0.61", "0.73"]``."""
    return [n.replace("−", "-") for n in NUMBER.findall(cell)]


def check_row(stated: list[str], spread: str, per_seed: list[np.ndarray], where: str) -> None:
    """Each stated number is the median to its printed digits; no seed lies further from it than ``spread``."""
    assert len(stated) == len(per_seed), where
    for text, v in zip(stated, per_seed, strict=True):
        decimals = len(text.split(".")[1]) if "." in text else 0
        assert abs(np.median(v) - float(text)) <= 0.5 * 10 ** -decimals + 1e-9, f"{where}: the guide says {text}, the median is {np.median(v):.4f}"
    (limit,) = numbers(spread)
    worst = max(float(np.max(np.abs(v - np.median(v)))) for v in per_seed)
    assert worst <= float(limit), f"{where}: a seed lies {worst:.3f} from the median; the guide says within ±{limit}"


# --- experiment 1: over-steering and the long way back -------------------------------------------

@pytest.fixture(scope="module")
def episode():
    base = StartSettings()
    return ([run(base, s, 240, live={24: 0.9, 60: 0.2}) for s in SEEDS],
            [run(base, s, 240) for s in SEEDS])


EPISODE_ROWS = {"trust in the municipality": ("trust_municipality", 1.0),
                "volunteering, % of citizens": ("volunteering_rate", 100.0),
                "civil output per citizen": ("civil_output", 1.0)}


def test_experiment_1_table(episode):
    ep, control = episode
    heads, rows = guide_table("month 24")
    months = [int(h.split()[1]) for h in heads[:-1]]
    assert months == [24, 60, 84, 120, 240] and set(rows) == set(EPISODE_ROWS)
    for label, (column, scale) in EPISODE_ROWS.items():
        stated = [n for cell in rows[label][:-1] for n in numbers(cell)]        # episode (control), month by month
        per_seed = [v for m in months for v in (values(ep, column, m, scale), values(control, column, m, scale))]
        check_row(stated, rows[label][-1], per_seed, f"experiment 1, {label}")


def test_experiment_1_over_steering_costs_for_years(episode):
    ep, control = episode
    trust = {m: median(ep, "trust_municipality", m) for m in (24, 60, 84, 120, 240)}
    calm = {m: median(control, "trust_municipality", m) for m in (60, 84, 120, 240)}
    assert 0.85 * trust[24] < trust[60] < 0.95 * trust[24] and calm[60] > trust[24]   # falls by a tenth; the control grows
    assert trust[84] < calm[84] - 0.08                                  # two years after easing off: well behind
    assert trust[120] > trust[60] + 0.5 * (calm[120] - trust[60])       # more than half the gap regained in five years
    assert trust[120] < calm[120] - 0.05 and abs(trust[240] - calm[240]) < 0.02   # caught up only in the second decade
    vol = {m: 100 * median(ep, "volunteering_rate", m) for m in (120, 240)}
    vol_calm = {m: 100 * median(control, "volunteering_rate", m) for m in (120, 240)}
    assert vol[120] < vol_calm[120] - 3 and abs(vol[240] - vol_calm[240]) < 2  # back at the control's level after ~15 years
    # volunteering is lowest about a year after the municipality eased off, not during the episode
    series = np.median([f["volunteering_rate"].rolling(12).mean().to_numpy() for f in ep], axis=0)
    assert 66 <= int(np.nanargmin(series[24:])) + 24 <= 90
    assert median(ep, "civil_output", 60) < 0.5 * median(ep, "civil_output", 24)     # civil output more than halves


# --- experiment 2: suppliers or partners ---------------------------------------------------------

MODES = {"NPM (suppliers)": "npm", "NPG (partners)": "npg", "Hierarchy": "hierarchy"}
MODE_ROWS = {"volunteering, % of citizens": ("volunteering_rate", 100.0, YEAR_10),
             "trust in the municipality": ("trust_municipality", 1.0, YEAR_10),
             "associations' orientation (0 voice … 1 service)": ("service_orientation", 1.0, YEAR_10),
             "democratic voice": ("democratic_voice", 1.0, YEAR_10),
             "synergy (welfare beyond the sum of the parts)": ("synergy", 1.0, YEAR_10),
             "measured service output, first year": ("service_output", 1.0, YEAR_1),
             "measured service output, tenth year": ("service_output", 1.0, YEAR_10)}


@pytest.fixture(scope="module")
def modes():
    return {mode: [run(StartSettings().with_mode(mode), s, 120) for s in SEEDS] for mode in ("npm", "npg", "hierarchy")}


def test_experiment_2_table(modes):
    heads, rows = guide_table("NPM (suppliers)")
    assert heads[:-1] == list(MODES) and set(rows) == set(MODE_ROWS)
    for label, (column, scale, months) in MODE_ROWS.items():
        per_seed = [values(modes[MODES[h]], column, months, scale) for h in heads[:-1]]
        check_row([numbers(c)[0] for c in rows[label][:-1]], rows[label][-1], per_seed, f"experiment 2, {label}")


def test_experiment_2_suppliers_lead_first_partners_after(modes):
    m = {mode: {col: median(frames, col, YEAR_10) for col in
                ("volunteering_rate", "trust_municipality", "service_orientation", "democratic_voice", "synergy", "service_output")}
         for mode, frames in modes.items()}
    first_year = {mode: median(frames, "service_output", YEAR_1) for mode, frames in modes.items()}
    assert first_year["npm"] > first_year["hierarchy"] > first_year["npg"]
    assert m["npg"]["service_output"] > m["hierarchy"]["service_output"] > m["npm"]["service_output"]
    # NPG overtakes NPM by the end of the second year and stays ahead
    gap = np.median([f["service_output"].to_numpy() for f in modes["npg"]], axis=0) - \
        np.median([f["service_output"].to_numpy() for f in modes["npm"]], axis=0)
    overtakes = next(i for i in range(1, len(gap)) if (gap[i:] > 0).all())
    assert 12 < overtakes <= 24
    assert m["npm"]["volunteering_rate"] < m["hierarchy"]["volunteering_rate"] < m["npg"]["volunteering_rate"]
    assert m["npm"]["service_orientation"] > m["npg"]["service_orientation"] + 0.2        # turned toward service
    assert 0.15 < m["npm"]["democratic_voice"] / m["npg"]["democratic_voice"] < 0.35   # a quarter of the partners' voice
    assert m["npg"]["synergy"] > 10 * max(m["npm"]["synergy"], m["hierarchy"]["synergy"])
    assert m["npg"]["trust_municipality"] > m["hierarchy"]["trust_municipality"] > m["npm"]["trust_municipality"]


# --- experiment 3: who is reached --------------------------------------------------------------

# as the guide has students set the sliders: pressure 0 in the first two runs, then 1
ARMS = {"group-specific": StartSettings().with_lever("targeting", 0.0).with_lever("quick_results_pressure", 0.0),
        "inclusive": StartSettings().with_lever("targeting", 1.0).with_lever("quick_results_pressure", 0.0),
        "inclusive + pressure": StartSettings().with_lever("targeting", 1.0).with_lever("quick_results_pressure", 1.0)}
ARM_ROWS = {"E-I index": ("ei_index", 1.0),
            "bridging capital (tie weight across groups per citizen)": ("bridging_capital", 1.0),
            "volunteering among vulnerable citizens, %": ("volunteering_rate_vulnerable", 100.0)}


@pytest.fixture(scope="module")
def arms():
    return {arm: [run(st, s, 120) for s in SEEDS] for arm, st in ARMS.items()}


def test_experiment_3_table(arms):
    heads, rows = guide_table("group-specific")
    assert heads[:-1] == list(ARMS) and set(rows) == set(ARM_ROWS)
    for label, (column, scale) in ARM_ROWS.items():
        per_seed = [values(arms[h], column, YEAR_10, scale) for h in heads[:-1]]
        check_row([numbers(c)[0] for c in rows[label][:-1]], rows[label][-1], per_seed, f"experiment 3, {label}")


def test_experiment_3_inclusive_targeting_bridges_and_pressure_pulls_back(arms):
    r = {arm: {col: median(fs, col, YEAR_10) for col in ("ei_index", "bridging_capital", "volunteering_rate_vulnerable")}
         for arm, fs in arms.items()}
    assert 1.5 < r["inclusive"]["bridging_capital"] / r["group-specific"]["bridging_capital"] < 1.9   # up by about 70 %
    assert r["inclusive"]["ei_index"] - r["group-specific"]["ei_index"] > 0.1
    vulnerable = {arm: r[arm]["volunteering_rate_vulnerable"] for arm in r}
    assert abs(vulnerable["inclusive"] - vulnerable["group-specific"]) < 0.02   # not by itself more vulnerable citizens
    # pressure: most of the bridging lost (cream-skimming), fewer vulnerable volunteers than either effort without it
    assert r["group-specific"]["ei_index"] < r["inclusive + pressure"]["ei_index"] < r["inclusive"]["ei_index"]
    assert r["inclusive + pressure"]["bridging_capital"] - r["group-specific"]["bridging_capital"] < \
        0.5 * (r["inclusive"]["bridging_capital"] - r["group-specific"]["bridging_capital"])
    assert vulnerable["inclusive + pressure"] < min(vulnerable["inclusive"], vulnerable["group-specific"]) - 0.03

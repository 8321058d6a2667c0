"""The seven patterns of MODEL.md at a small size: each test fails if the mechanism behind it breaks.

Small means 400 citizens, 3 seeds, at most 20 years; the whole file takes well under a minute.
The thresholds are the report's criteria (simulation/report.py) where those are robust at this
size, and otherwise the direction of the effect only; none was tuned to make a test pass. The
committed report (docs/report/REPORT.md) checks the same patterns at the full size.
"""

from functools import cache

import numpy as np
import pandas as pd
import pytest

from simulation.core.parameters import make_parameters
from simulation.experiment.runs import simulate
from simulation.experiment.scenarios import resolve
from simulation.report import half_time

N = 400
SEEDS = (1, 2, 3)


@cache
def _runs(scenario: str, items: tuple, policy: tuple = ()) -> pd.DataFrame:
    """All seeds' time series of a scenario with overrides, stacked (column ``seed``)."""
    settings = {**resolve(scenario).settings, "n_citizens": N, **dict(items)}
    frames = []
    for seed in SEEDS:
        p = make_parameters(**{**settings, "seed": seed}, policy_schedule=[dict(c) for c in policy])
        frames.append(simulate(p).assign(seed=seed))
    return pd.concat(frames, ignore_index=True)


def runs(scenario: str = "denmark", policy: tuple = (), **overrides) -> pd.DataFrame:
    return _runs(scenario, tuple(sorted(overrides.items())), policy)


def late(frame: pd.DataFrame, col: str, months: int = 24) -> float:
    """Mean over seeds of the last ``months`` months."""
    return float(frame[frame["step"] > frame["step"].max() - months][col].mean())


def series(frame: pd.DataFrame, col: str) -> pd.Series:
    return frame.groupby("step")[col].mean()


# --- 1. crowding out -------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["npg", "npm"])
def test_civil_output_is_an_inverted_u_over_steering(mode):
    levels = (0.0, 0.1, 0.2, 0.3, 0.4, 1.0)
    civil = {s: late(runs(governance_mode=mode, steering_intensity=s), "civil_output") for s in levels}
    peak_at = max(civil, key=civil.get)
    assert 0.0 < peak_at < 1.0, f"peak at the edge: {civil}"
    assert civil[peak_at] > 1.1 * civil[0.0], f"light steering does not help: {civil}"
    assert civil[1.0] < 0.5 * civil[peak_at], f"full steering is not well below the peak: {civil}"


def test_volunteer_hours_never_rise_with_steering():
    # the rising side of the U is coordination (what an hour achieves), not more hours
    hours = [late(runs(steering_intensity=s), "volunteer_hours") for s in (0.0, 0.2, 0.4, 1.0)]
    assert all(a >= b * 0.97 for a, b in zip(hours, hours[1:], strict=False)), hours
    assert hours[-1] < 0.3 * hours[0]


def test_synergy_peaks_at_light_steering_under_npg():
    syn = {s: late(runs(steering_intensity=s), "synergy") for s in (0.0, 0.2, 1.0)}
    assert syn[0.2] > syn[0.0] and syn[0.2] > 2 * syn[1.0], syn


# --- 2. hysteresis ---------------------------------------------------------------------------

ONSET, RELEASE, HORIZON = 12, 72, 192
EPISODE = (frozenset({"step": ONSET, "steering_intensity": 0.9}.items()),
           frozenset({"step": RELEASE, "steering_intensity": 0.2}.items()))


def _fall_and_recovery(col: str):
    e = series(runs(policy=EPISODE, steps=HORIZON), col)
    before = e.loc[:ONSET - 1].mean()
    low = e.loc[RELEASE - 12:RELEASE - 1].mean()
    half = (before + low) / 2
    return before, low, half_time(e, ONSET, half, "down"), half_time(e, RELEASE, half, "up"), e


def test_trust_recovers_more_slowly_than_it_fell():
    before, low, fall, recovery, _ = _fall_and_recovery("trust_municipality")
    assert before - low > 0.1, (before, low)
    assert fall is not None
    assert recovery is None or recovery >= 1.5 * fall, (fall, recovery)


def test_volunteering_recovers_more_slowly_than_it_fell():
    before, low, fall, recovery, e = _fall_and_recovery("volunteering_rate")
    assert before - low > 0.04, (before, low)
    assert fall is not None
    assert recovery is None or recovery > fall, (fall, recovery)
    # as long after release as the fall took to reach halfway, less than half is regained
    assert e.loc[RELEASE + fall - 3:RELEASE + fall + 3].mean() < (before + low) / 2


def test_without_the_episode_trust_does_not_fall():
    c = series(runs(steps=HORIZON), "trust_municipality")
    assert c.iloc[-12:].mean() > c.iloc[:12].mean() - 0.02


# --- 3. country levels -----------------------------------------------------------------------

def test_denmark_settles_near_40_and_southern_europe_near_10_percent():
    dk = late(runs("denmark"), "volunteering_rate")
    se = late(runs("southern_europe"), "volunteering_rate")
    assert dk > se + 0.15, (dk, se)
    assert 0.30 <= dk <= 0.48, dk   # EU-SILC 2015 DK 38.7 %
    assert 0.05 <= se <= 0.20, se   # EU-SILC 2015 IT 12.0 %, ES 10.7 %


def test_starting_trust_not_association_density_sets_the_level():
    low_trust = late(runs("southern_europe"), "volunteering_rate")
    high_trust = late(runs("southern_europe", initial_generalised_trust=0.7), "volunteering_rate")
    dense = late(runs("southern_europe", n_associations=30), "volunteering_rate")
    assert high_trust - low_trust > 0.08, (low_trust, high_trust)
    assert abs(dense - low_trust) < (high_trust - low_trust) / 2, (low_trust, dense, high_trust)


# --- 4. being asked --------------------------------------------------------------------------

def test_about_half_of_recruits_were_asked_in_the_danish_baseline():
    asked = late(runs(), "share_recruited_by_asking")
    assert 0.40 <= asked <= 0.65, asked   # CPS 2006: 43 % asked vs 41 % own initiative


def test_asking_needs_askers_fewer_are_asked_where_few_volunteer():
    assert late(runs("southern_europe"), "share_recruited_by_asking") < late(runs(), "share_recruited_by_asking")


# --- 5. voice to service ---------------------------------------------------------------------

def test_supplier_contracting_moves_associations_from_voice_to_service():
    npm, npg = runs(governance_mode="npm"), runs(governance_mode="npg")
    o_npm, o_npg = series(npm, "service_orientation"), series(npg, "service_orientation")
    assert o_npm.iloc[-1] - o_npm.iloc[0] >= 0.2
    assert abs(o_npg.iloc[-1] - o_npg.iloc[0]) < 0.1
    assert late(npm, "association_autonomy", 1) < late(npg, "association_autonomy", 1) - 0.05
    assert late(npm, "democratic_voice") < 0.5 * late(npg, "democratic_voice")


def test_supplier_contracting_makes_volunteering_more_episodic():
    def turnover(frame):
        f = frame[frame["step"] >= 1]
        return float((f["quit"] / f["volunteers"].clip(lower=1)).mean())

    assert turnover(runs(governance_mode="npm")) > turnover(runs(governance_mode="npg"))


# --- 6. bonding vs bridging ------------------------------------------------------------------

def test_inclusive_targeting_builds_bridging_and_group_specific_builds_bonding():
    narrow, wide = runs(targeting=0.0), runs(targeting=1.0)
    assert late(wide, "ei_index") > late(narrow, "ei_index") + 0.03
    assert late(wide, "bridging_capital") > late(narrow, "bridging_capital")
    assert late(narrow, "bonding_capital") > late(wide, "bonding_capital")


def test_pressure_for_quick_results_lowers_the_e_i_index_under_inclusive_targeting():
    calm = late(runs(targeting=1.0, quick_results_pressure=0.0), "ei_index")
    rushed = late(runs(targeting=1.0, quick_results_pressure=1.0), "ei_index")
    assert rushed < calm, (calm, rushed)


def test_npg_ends_with_a_higher_e_i_index_than_npm():
    assert late(runs(governance_mode="npg"), "ei_index") > late(runs(governance_mode="npm"), "ei_index")


# --- 7. time ---------------------------------------------------------------------------------

def test_npm_leads_on_service_output_early_and_npg_overtakes_within_the_decade():
    npm, npg = runs(governance_mode="npm"), runs(governance_mode="npg")
    diff = series(npg, "service_output") - series(npm, "service_output")
    assert diff.loc[1:12].mean() < 0, "npm should lead in the first year"
    assert diff.loc[109:120].mean() > 0, "npg should lead in year 10"
    ahead = diff.loc[1:] > 0
    crossing = int(ahead[~ahead].index[-1]) + 1
    assert 12 < crossing < 96, crossing


@pytest.mark.parametrize("col", ["synergy", "trust_municipality", "democratic_voice"])
def test_npg_is_ahead_on_synergy_trust_and_voice_after_ten_years(col):
    assert late(runs(governance_mode="npg"), col, 12) > late(runs(governance_mode="npm"), col, 12)


def test_linear_thinking_forgoes_the_learned_synergy():
    # 'time, time, time': synergy under npg grows because complementarity is learned over years
    learning = series(runs(governance_mode="npg"), "synergy")
    linear = series(runs(governance_mode="npg", linear_thinking=True), "synergy")
    assert learning.iloc[-1] > learning.iloc[12] + 0.05
    assert linear.iloc[-1] < learning.iloc[-1]


def test_patterns_use_the_declared_defaults():
    # the tests above must not pass because of a quietly changed default
    p = make_parameters()
    assert (p.governance_mode, p.steering_intensity) == ("npg", 0.2)
    assert np.isclose(resolve("southern_europe").parameters.initial_generalised_trust, 0.35)

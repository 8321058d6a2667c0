"""Each mechanism moves its indicator the way the theory says, all else fixed.

Every comparison uses the same seeds on both sides (common random numbers), so the
difference is the lever's effect, not noise.
"""

import numpy as np
import pytest

from simulation import CoCreationModel, make_parameters
from simulation.core import processes as sm

SEEDS = (1, 2)
BASE = {"n_citizens": 400, "n_associations": 10, "n_staff": 4}


def mean_of(indicator, months=36, last=12, **levers):
    """Mean over seeds of the indicator's mean over the last months of a run."""
    values = []
    for seed in SEEDS:
        m = CoCreationModel(**{**BASE, "steps": months, "seed": seed, **levers})
        for _ in range(months):
            m.step()
        values.append(m.results()[indicator].iloc[-last:].mean())
    return float(np.mean(values))


@pytest.mark.parametrize("indicator", ["mean_motivation", "volunteer_hours"])
def test_steering_above_tolerance_crowds_out_motivation_and_hours(indicator):
    # steering held where the lever puts it: a listening municipality would ease it (tested with the review)
    fixed = {"steering_response": 0.0}
    assert mean_of(indicator, steering_intensity=0.95, **fixed) < 0.85 * mean_of(indicator, steering_intensity=0.4, **fixed)


def test_steering_below_tolerance_does_no_harm_to_motivation():
    # without its recognition side, control below the tolerance leaves motivation as it is
    kw = {"recognition_weight": 0.0}
    light, none = mean_of("mean_motivation", steering_intensity=0.2, **kw), mean_of("mean_motivation", steering_intensity=0.0, **kw)
    assert light == pytest.approx(none, rel=0.03)


def test_light_steering_is_felt_as_recognition_and_crowds_motivation_in():
    """Direction, infrastructure and legitimacy are felt as support (Frey & Jegen 2001): light steering raises motivation."""
    light, none = mean_of("mean_motivation", steering_intensity=0.2), mean_of("mean_motivation", steering_intensity=0.0)
    assert light > none * 1.02


def test_coordination_raises_what_an_hour_achieves_with_diminishing_returns():
    p = make_parameters()
    gains = [sm.coordination(s, p) for s in (0.0, 0.1, 0.2, 0.3)]
    assert gains[0] == 0 and all(b > a for a, b in zip(gains, gains[1:], strict=False))
    assert gains[1] - gains[0] > gains[3] - gains[2]


@pytest.mark.parametrize("indicator", ["mean_motivation", "volunteer_hours"])
def test_facilitation_crowds_in_motivation_and_hours(indicator):
    assert mean_of(indicator, facilitation=0.9) > mean_of(indicator, facilitation=0.1)


def _trust_response(side):
    """Rate and level of the line that one month's change of trust follows, on one side of experience.

    Every citizen has the same experience (no volunteers, equal needs met) and no contacts' pull,
    but a different starting trust; the month's change is fitted as rate * (level - trust)
    separately where trust rose (side > 0) and where it fell (side < 0).
    """
    # everyone engages alike and fully, so the month's change shows the learning rule alone
    m = CoCreationModel(**BASE, initial_volunteering=0.0, trust_diffusion=0.0, trust_engagement=0.0, contact_rate=1.0, seed=1)
    c = m.world.citizens
    start = np.linspace(0.0, 1.0, c.n)
    c.needs_met[:] = 0.6
    c.trust_municipality[:] = start
    sm.update_trust(m.world, m.p)
    change = c.trust_municipality - start
    here = np.sign(change) == side
    assert here.sum() > 10
    slope, intercept = np.polyfit(start[here], change[here], 1)
    residual = change[here] - (slope * start[here] + intercept)
    assert np.abs(residual).max() < 1e-9  # a straight line: proportional to the gap
    return -slope, intercept / -slope


def test_trust_moves_toward_experience_and_falls_faster_than_it_rises():
    """Asymmetric learning (Slovic 1993): the same gap to experience moves trust loss-ratio times faster down than up."""
    rate_up, level_up = _trust_response(+1)
    rate_down, level_down = _trust_response(-1)
    p = make_parameters()
    assert 0 < level_up < 1 and level_up == pytest.approx(level_down, abs=1e-9)  # both sides move toward one level
    assert rate_up == pytest.approx(p.trust_gain_rate, rel=1e-9)
    assert rate_down / rate_up == pytest.approx(p.trust_loss_ratio, rel=1e-9)


def test_the_distrustful_engage_less_and_so_learn_less_of_the_municipality():
    """The trust trap (Denrell 2005): the same gap to experience moves a trusting citizen's trust more than a distrustful one's."""
    def learning(trust, **kw):
        # no volunteers, no contacts' pull, experience = own service alone = 1: everyone would rise toward 1
        m = CoCreationModel(**BASE, initial_volunteering=0.0, trust_diffusion=0.0, trust_anchor_weight=0.0,
                            own_service_experience_weight=1.0, seed=1, **kw)
        c = m.world.citizens
        c.needs_met[:] = 1.0
        c.trust_municipality[:] = trust
        sm.update_trust(m.world, m.p)
        return float((c.trust_municipality - trust).mean()) / (1.0 - trust)  # the share of the gap closed

    # relative to the gap, a distrustful citizen (0.2) learns far less than a trusting one (0.8)...
    assert learning(0.2) < 0.3 * learning(0.8)
    # ...and with engagement independent of trust (the trap switched off) the two learn alike
    assert learning(0.2, trust_engagement=0.0) == pytest.approx(learning(0.8, trust_engagement=0.0), rel=0.05)


def test_better_experience_raises_trust_and_worse_lowers_it():
    def trust_after(needs_met):
        m = CoCreationModel(**BASE, initial_volunteering=0.0, trust_diffusion=0.0, seed=1)
        m.world.citizens.needs_met[:] = needs_met
        before = m.world.citizens.trust_municipality.copy()
        sm.update_trust(m.world, m.p)
        return float((m.world.citizens.trust_municipality - before).mean())

    assert trust_after(1.0) > 0 > trust_after(0.0)


def test_being_asked_raises_recruitment_and_is_recorded_as_the_channel():
    def joined(asks):
        total, shares = 0.0, []
        for seed in SEEDS:
            m = CoCreationModel(**BASE, steps=12, seed=seed, asks_per_volunteer=asks, outreach_per_member=0.0,
                                outreach_per_association=0.0)
            for _ in range(12):
                m.step()
            total += m.results()["joined"].sum()
            shares.append(m.results()["share_recruited_by_asking"].iloc[-1])
        return total, shares

    (none, shares_none), (many, shares_many) = joined(0.0), joined(0.5)
    assert many > 1.5 * none
    assert all(share == 0.0 for share in shares_none)
    assert all(share > 0.3 for share in shares_many)


def test_inclusive_targeting_builds_bridging_capital():
    kw = {"months": 60}
    assert mean_of("bridging_capital", targeting=1.0, **kw) > mean_of("bridging_capital", targeting=0.0, **kw)
    assert mean_of("ei_index", targeting=1.0, **kw) > mean_of("ei_index", targeting=0.0, **kw)


def test_inclusive_targeting_reaches_vulnerable_citizens():
    kw = {"months": 60}
    assert mean_of("participation_inequality", targeting=1.0, **kw) < mean_of("participation_inequality", targeting=0.0, **kw)


def test_supplier_contracts_pull_toward_service_and_lower_autonomy():
    kw = {"months": 48}
    assert mean_of("service_orientation", relation_offered="supplier", **kw) > mean_of(
        "service_orientation", relation_offered="partnership", **kw) + 0.1
    assert mean_of("association_autonomy", relation_offered="supplier", **kw) < mean_of(
        "association_autonomy", relation_offered="partnership", **kw)


def test_staff_threat_raises_control_when_sense_making_is_low():
    kw = {"governance_mode": "npm", "volunteer_substitution": 1.0, "months": 36}
    low_sense = {"sense_making": 0.0, **kw}
    assert mean_of("staff_threat", threat_sensitivity=1.0, **low_sense) > 0.01
    assert mean_of("staff_control", threat_sensitivity=1.0, **low_sense) > mean_of("staff_control", threat_sensitivity=0.0, **low_sense)
    high_sense = {"sense_making": 1.0, **kw}
    assert mean_of("staff_threat", threat_sensitivity=1.0, **high_sense) == 0.0


def test_contract_competition_weakens_cooperation_and_synergy():
    kw = {"governance_mode": "npm", "months": 60}
    assert mean_of("collaboration_quality", contract_competition=1.0, **kw) < mean_of("collaboration_quality", contract_competition=0.0, **kw)


def test_linear_thinking_stops_learning_complementarity():
    assert mean_of("complementarity", linear_thinking=True) == make_parameters().complementarity
    assert mean_of("synergy", linear_thinking=False) > mean_of("synergy", linear_thinking=True)


@pytest.mark.parametrize("empty_side", [{"max_hours": 0.0}, {"staff_service_capacity": 0.0}])
def test_synergy_is_zero_when_either_side_contributes_nothing(empty_side):
    assert mean_of("synergy", months=12, **empty_side) == 0.0
    assert mean_of("synergy", months=12) > 0.0


def test_supplier_use_of_volunteers_as_labour_moves_associations_from_voice_to_service():
    kw = {"months": 60}
    assert mean_of("democratic_voice", governance_mode="npm", **kw) < mean_of("democratic_voice", governance_mode="npg", **kw)


def test_ties_strengthen_through_shared_activity_and_decay_without_it():
    m = CoCreationModel(**BASE, seed=1)
    W = m.world
    c, T = W.citizens, W.ties
    together = (c.association[T.u] >= 0) & (c.association[T.u] == c.association[T.v])
    keys, before = T.keys.copy(), T.w.copy()
    sm.update_ties(W, m.p, np.random.default_rng(0))
    after = T.w[np.searchsorted(T.keys, keys)]  # the same ties, found by key
    assert together.any() and (~together).any()
    assert np.all(after[together] > before[together])
    assert np.all(after[~together] < before[~together])
    assert len(T) > len(keys)  # co-volunteers formed new ties


def test_new_ties_are_bridging_only_where_associations_mix_groups():
    """Ties formed within associations (no joint activities between associations) bridge only where members mix."""
    def new_bridging_share(mixed):
        m = CoCreationModel(**BASE, seed=1, tie_formation_rate=1.0, joint_activity_rate=0.0)
        W = m.world
        c = W.citizens
        vol = np.flatnonzero(c.volunteer)
        if mixed:  # members drawn from every group
            c.association[vol] = np.random.default_rng(1).integers(0, W.associations.n, len(vol))
        else:  # each association recruits within one group
            c.association[vol] = c.group[vol] % W.associations.n
        old = set(W.ties.keys.tolist())
        sm.update_ties(W, m.p, np.random.default_rng(0))
        new = np.array([k for k in W.ties.keys.tolist() if k not in old])
        u, v = new // W.ties.n, new % W.ties.n
        return float(np.mean(c.group[u] != c.group[v]))

    assert new_bridging_share(mixed=False) == 0.0
    assert new_bridging_share(mixed=True) > 0.5


def _new_tie_bridging(cooperation, seed=1):
    """Share of a month's new ties that cross groups, with every association of one group and the given cooperation."""
    m = CoCreationModel(**BASE, seed=seed, tie_formation_rate=1.0)
    W = m.world
    c = W.citizens
    vol = np.flatnonzero(c.volunteer)
    c.association[vol] = c.group[vol] % W.associations.n  # no association mixes groups
    W.associations.cooperation[:] = cooperation
    old = set(W.ties.keys.tolist())
    sm.update_ties(W, m.p, np.random.default_rng(seed))
    new = np.array([k for k in W.ties.keys.tolist() if k not in old])
    return float(np.mean(c.group[new // W.ties.n] != c.group[new % W.ties.n]))


def test_joint_activities_between_cooperating_associations_bridge_groups():
    """Organisational egoism closes a road to bridging: cooperating associations' joint activities form ties across groups."""
    assert _new_tie_bridging(0.0) == 0.0
    assert _new_tie_bridging(0.9) > 0.1


def test_contract_competition_lowers_cooperation_and_bridging_capital():
    """Competition for contracts (organisational egoism): less cooperation, fewer joint activities, less bridging."""
    kw = {"relation_offered": "supplier", "months": 60}
    assert mean_of("bridging_capital", contract_competition=0.9, **kw) < mean_of("bridging_capital", contract_competition=0.0, **kw)

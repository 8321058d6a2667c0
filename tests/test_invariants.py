"""Invariants over random valid parameters (property-based)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import CoCreationModel
from simulation.core.agents import Citizen, Volunteer
from simulation.core.indicators import INDICATORS
from simulation.core.parameters import FIELDS

UNIT = [k for k in INDICATORS if k not in ("volunteer_hours", "bonding_capital", "bridging_capital", "ei_index",
                                           "service_output", "civil_output", "synergy", "municipal_output",
                                           "coproduced_welfare", "complementarity", "joined", "quit", "volunteers", "ties",
                                           "cost_per_service", "spending", "service_target")]
unit = st.floats(0.0, 1.0)

params = st.fixed_dictionaries({
    "n_citizens": st.integers(10, 150),
    "n_associations": st.integers(1, 6),
    "n_staff": st.integers(1, 3),
    "n_groups": st.integers(1, 5),
    "mean_degree": st.floats(1.0, 12.0),
    "homophily": unit,
    "vulnerable_share": unit,
    "initial_volunteering": unit,
    "initial_generalised_trust": unit,
    "initial_trust_municipality": unit,
    "governance_mode": st.sampled_from(["hierarchy", "npm", "npg"]),
    "steering_intensity": unit,
    "facilitation": unit,
    "quick_results_pressure": unit,
    "sense_making": unit,
    "targeting": unit,
    "contract_competition": unit,
    "linear_thinking": st.booleans(),
    "relation_offered": st.sampled_from(["none", "supplier", "partnership"]),
    "asks_per_volunteer": st.floats(0.0, 3.0),
    "seed": st.integers(0, 2**32),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params)
def test_rates_in_range_no_nan_population_conserved(kw):
    m = CoCreationModel(steps=8, **kw)
    n = kw["n_citizens"]
    for _ in range(8):
        m.step()
        c = m.world.citizens
        assert len(m.agents_by_type.get(Citizen, [])) + len(m.agents_by_type.get(Volunteer, [])) == n
        # volunteers are a subset of citizens, each in exactly one existing association
        assert np.all(c.association[c.volunteer] >= 0) and np.all(c.association[c.volunteer] < kw["n_associations"])
        assert np.all(c.association[~c.volunteer] == -1)
        assert m.world.associations.members.sum() == c.volunteer.sum()
        for arr in (c.trust_municipality, c.generalised_trust, c.motivation, c.needs_met, c.autonomy, m.world.ties.w):
            assert np.all((arr >= 0) & (arr <= 1))
    frame = m.results()
    assert not frame.isna().any().any()
    assert ((frame[UNIT] >= 0) & (frame[UNIT] <= 1)).all().all()
    assert ((frame["ei_index"] >= -1) & (frame["ei_index"] <= 1)).all()
    assert (frame[["volunteer_hours", "service_output", "civil_output", "synergy", "cost_per_service", "spending",
                   "service_target"]] >= 0).all().all()


#: Every declared mechanism strength and initial condition, drawn over its whole declared range.
_DECLARED = {name: f for name, f in FIELDS.items() if f.metadata["kind"] in ("behaviour", "population")
             and not name.startswith("n_") and name not in ("mean_degree",)}


def _over_range(f):
    lo, hi = f.metadata["range"]
    return st.integers(lo, hi) if f.type in ("int", int) else st.floats(lo, hi)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(_DECLARED)), st.just(None), min_size=1, max_size=12).flatmap(
    lambda picked: st.fixed_dictionaries({name: _over_range(_DECLARED[name]) for name in picked})))
def test_any_declared_strength_or_initial_condition_in_its_range_keeps_levels_in_range(kw):
    m = CoCreationModel(n_citizens=60, n_associations=4, n_staff=2, steps=6, seed=1, **kw)
    for _ in range(6):
        m.step()
    frame = m.results()
    assert not frame.isna().any().any()
    assert ((frame[UNIT] >= 0) & (frame[UNIT] <= 1)).all().all()
    a = m.world.associations
    for arr in (a.orientation, a.autonomy, a.openness, a.cooperation, a.understanding, a.partner_trust, m.world.ties.w):
        assert np.all((arr >= 0) & (arr <= 1))

"""The model as a user meets it: four agent kinds, seeds, exports, Mesa's batch_run."""

import gc

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from simulation import CoCreationModel, ParameterError
from simulation.core.agents import Association, Citizen, Staff, Volunteer
from simulation.core.indicators import PUBLIC_INDICATORS


def small(**kw):
    return CoCreationModel(**{"n_citizens": 300, "n_associations": 8, "n_staff": 4, "steps": 24, **kw})


def run(model, steps=None):
    for _ in range(steps or model.parameters.steps):
        model.step()
    return model


def test_four_agent_kinds_every_step_and_nobody_lost_or_counted_twice():
    m = small(seed=2)
    for _ in range(24):
        m.step()
        by_type = m.agents_by_type
        assert {Citizen, Volunteer, Association, Staff} <= set(by_type)
        citizens, volunteers = by_type[Citizen], by_type[Volunteer]
        assert len(citizens) + len(volunteers) == 300
        assert len(volunteers) == int(m.world.citizens.volunteer.sum())
        assert all(m.world.citizens.volunteer[a.index] for a in volunteers)
        assert len({a.index for a in citizens} | {a.index for a in volunteers}) == 300
        assert len(by_type[Association]) == 8 and len(by_type[Staff]) == 4


def test_role_changes_keep_the_agent_and_its_id():
    m = small(seed=4)
    ids = {a.index: a.unique_id for a in m.citizen_agents}
    run(m)
    assert m.world.citizens.channel.max() > 0  # someone joined during the run
    assert {a.index: a.unique_id for a in m.citizen_agents} == ids


def test_agent_views_show_live_state():
    m = run(small(seed=5), 6)
    v = next(iter(m.agents_by_type[Volunteer]))
    assert v.trust == pytest.approx(m.world.citizens.trust_municipality[v.index])
    assert v.association.index == m.world.citizens.association[v.index]
    assert v.recruited_by in ("asked", "own initiative", "before the run")
    assert 0 <= v.association.staff.control <= 1


def test_datacollector_has_one_tidy_row_per_month_with_the_public_columns():
    m = run(small(seed=1, steps=12))
    frame = m.results()
    assert list(frame["step"]) == list(range(13))
    for col in [*PUBLIC_INDICATORS, "seed", "governance_mode"]:
        assert col in frame.columns
    assert not m.running


def test_same_seed_same_frames_different_seed_differs():
    a = run(small(seed=11)).results()
    b = run(small(seed=11)).results()
    c = run(small(seed=12)).results()
    pd.testing.assert_frame_equal(a, b)
    assert not a.drop(columns="seed").equals(c.drop(columns="seed"))


def test_mesa_rng_argument_is_the_seed():
    a = run(small(rng=9), 5).results()
    b = run(small(seed=9), 5).results()
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ParameterError, match="not both"):
        small(rng=1, seed=2)


def test_population_does_not_depend_on_the_network_stream():
    """Common random numbers: a different network leaves the drawn population as it was."""
    a, b = small(seed=3, mean_degree=4), small(seed=3, mean_degree=16)
    for name in ("group", "vulnerable", "generalised_trust", "baseline_motivation", "volunteer"):
        np.testing.assert_array_equal(getattr(a.world.citizens, name), getattr(b.world.citizens, name))
    assert len(a.world.ties) < len(b.world.ties)


def test_mesa_batch_run_drives_the_model():
    rows = mesa.batch_run(CoCreationModel, parameters={"n_citizens": 100, "steps": 3, "governance_mode": ["npm", "npg"]},
                          rng=[1], max_steps=3, number_processes=1, display_progress=False)
    frame = pd.DataFrame(rows)
    assert set(frame["governance_mode"]) == {"npm", "npg"}
    assert "volunteering_rate" in frame.columns



def test_no_seed_means_fresh_entropy_recorded_so_batch_run_iterations_differ():
    """Mesa's convention: rng=None (what batch_run passes for ``iterations``) is a fresh seed, and it is on record."""
    rows = pd.DataFrame(mesa.batch_run(CoCreationModel, parameters={"n_citizens": 100, "steps": 3}, rng=[None] * 3,
                                       max_steps=3, number_processes=1, display_progress=False, data_collection_period=-1))
    assert rows["seed"].nunique() == 3 and rows["trust_municipality"].nunique() == 3
    again = run(CoCreationModel(n_citizens=100, steps=3, seed=int(rows["seed"].iloc[1]))).results().iloc[-1]
    assert again["trust_municipality"] == rows["trust_municipality"].iloc[1]      # the recorded seed reproduces the run
    assert small().parameters.seed == small().parameters.seed == 1                  # no rng at all: the declared default


def test_relation_offered_changed_during_a_run_reaches_every_association():
    """A scheduled or live change of the relation (directly or through a mode) renegotiates every association's relation."""
    base = run(small(seed=3, governance_mode="npg", steps=24)).results()
    switched = small(seed=3, governance_mode="npg", steps=24, policy_schedule=[{"step": 12, "relation_offered": "supplier"}])
    run(switched)
    assert {a.relation for a in switched.agents_by_type[Association]} == {"supplier"}
    after = switched.results()
    pd.testing.assert_frame_equal(after.iloc[:12], base.iloc[:12])
    assert after["service_orientation"].iloc[-1] > base["service_orientation"].iloc[-1] + 0.05   # suppliers turn to service

    live = small(seed=3, governance_mode="npm")
    run(live, 2)
    live.set_lever("governance_mode", "hierarchy")
    run(live, 1)
    assert {a.relation for a in live.agents_by_type[Association]} == {"none"}
    assert list(live.results()["governance_mode"]) == ["npm", "npm", "npm", "hierarchy"]

def test_network_has_homophily_and_the_requested_degree():
    m = CoCreationModel(n_citizens=4000, homophily=0.8, mean_degree=10, seed=1)
    T, g = m.world.ties, m.world.citizens.group
    within = np.mean(g[T.u] == g[T.v])
    assert within == pytest.approx(0.8, abs=0.02)
    assert 2 * len(T) / 4000 == pytest.approx(10, rel=0.05)
    mixed = CoCreationModel(n_citizens=4000, homophily=0.25, mean_degree=10, seed=1)
    assert np.mean(g[mixed.world.ties.u] == g[mixed.world.ties.v]) < 0.3


def test_network_snapshot_and_graphml_carry_kind_group_and_tie_type(tmp_path):
    m = run(small(seed=1), 3)
    G = m.network_snapshot()
    kinds = nx.get_node_attributes(G, "kind")
    assert set(kinds.values()) == {"citizen", "volunteer", "association", "staff"}
    types = set(nx.get_edge_attributes(G, "tie_type").values())
    assert types == {"bonding", "bridging", "membership", "working"}
    path = tmp_path / "net.graphml"
    m.write_graphml(path)
    H = nx.read_graphml(path)
    assert H.number_of_nodes() == G.number_of_nodes()
    assert H.nodes["a0"]["kind"] == "association"


def test_model_runs_without_the_browser_stack():
    import subprocess
    import sys
    code = ("import sys; sys.modules['solara'] = None; sys.modules['ipyvuetify'] = None\n"
            "from simulation import CoCreationModel\n"
            "m = CoCreationModel(n_citizens=50, steps=2); m.step(); m.step(); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_a_model_nobody_refers_to_is_freed():
    """Agents refer to their model; kept where the cycle collector sees them, a finished model is freed (page servers, sweeps)."""
    def run_one():
        m = CoCreationModel(n_citizens=200, steps=3, seed=1)
        m.step()

    gc.collect()
    before = sum(isinstance(o, CoCreationModel) for o in gc.get_objects())
    run_one()
    run_one()
    gc.collect()
    assert sum(isinstance(o, CoCreationModel) for o in gc.get_objects()) == before

"""What simulation/core/mesa_bridge.py assumes about Mesa, checked against the installed Mesa.

The bridge registers agent views in bulk and moves agents between classes without going
through ``Agent.__init__`` and ``Model.register_agent`` one by one. These tests pin the Mesa
version and compare the bulk path with Mesa's own calls, so an upgrade that changes how Mesa
registers agents fails here, loudly, instead of silently corrupting ``model.agents``.
"""

import mesa
import numpy as np
import pandas as pd
import pytest
from mesa.experimental.mesa_signals import ModelSignals

from simulation import CoCreationModel
from simulation.core.agents import Citizen, Volunteer
from simulation.core.mesa_bridge import (
    AGENT_ATTRIBUTES,
    MESA_VERSION,
    change_class,
    create_views,
    ensure_agent_set,
    registry_is_plain,
)


class Row(mesa.Agent):
    """A view like the model's: ``Row(model, index)``."""

    def __init__(self, model, index):
        super().__init__(model)
        self.index = index


class OtherRow(Row):
    """A second kind, to switch to."""


def _state(model):
    """Everything Mesa keeps about the agents: order, ids, attributes, per-class sets, the id counter."""
    def attributes(agent):
        return sorted((k, "this model" if v is model else v) for k, v in vars(agent).items())

    return ([(type(a).__name__, a.unique_id, attributes(a)) for a in model.agents],
            {cls.__name__: [a.unique_id for a in s] for cls, s in model.agents_by_type.items()},
            model.agent_id_counter)


def test_mesa_is_the_version_the_bridge_was_checked_on():
    assert mesa.__version__ == MESA_VERSION, (
        f"Mesa {mesa.__version__} is installed; simulation/core/mesa_bridge.py mirrors Mesa {MESA_VERSION}'s agent "
        "registration. Run tests/test_mesa_bridge.py, fix the bridge where it fails, then set MESA_VERSION.")


def test_agent_init_sets_exactly_the_attributes_the_bridge_sets():
    model = mesa.Model(rng=1)
    agent = mesa.Agent(model)
    assert set(vars(agent)) == set(AGENT_ATTRIBUTES)
    assert agent.unique_id == 1 and model.agent_id_counter == 2
    assert list(model.agents) == [agent] and list(model.agents_by_type[mesa.Agent]) == [agent]


def test_the_registry_exposes_what_the_bridge_reads():
    model = mesa.Model(rng=1)
    assert isinstance(model.subscribers, dict) and isinstance(model.data_registry.datasets, dict)
    assert registry_is_plain(model)
    model.observe("agents", ModelSignals.AGENT_ADDED, _ignore)
    assert not registry_is_plain(model)
    quiet = mesa.Model(rng=1)
    quiet.data_registry.track_model(quiet, "steps_seen", fields="steps")
    assert not registry_is_plain(quiet)


def _ignore(signal):
    return None


def test_bulk_creation_equals_creation_through_mesa():
    classes = [Row, OtherRow, Row, Row, OtherRow]
    by_mesa, bulk = mesa.Model(rng=1), mesa.Model(rng=1)
    expected = [cls(by_mesa, k) for k, cls in enumerate(classes)]
    views = create_views(bulk, classes)
    assert _state(bulk) == _state(by_mesa)
    assert [(type(v), v.unique_id, v.index) for v in views] == [(type(v), v.unique_id, v.index) for v in expected]
    more = create_views(bulk, [OtherRow])  # later agents continue the ids
    assert more[0].unique_id == len(classes) + 1


def test_an_empty_kind_gets_its_set_without_using_an_id():
    model = mesa.Model(rng=1)
    create_views(model, [Row, Row])
    ensure_agent_set(model, OtherRow)
    assert OtherRow in model.agents_by_type and len(model.agents_by_type[OtherRow]) == 0
    assert model.agent_id_counter == 3 and len(model.agents) == 2
    assert create_views(model, [OtherRow])[0].unique_id == 3


def test_changing_class_in_bulk_equals_moving_through_mesa_except_the_place_in_model_agents():
    bulk = mesa.Model(rng=1)
    views = create_views(bulk, [Row] * 5)
    change_class(bulk, [views[1], views[3]], OtherRow)
    assert [type(v) for v in views] == [Row, OtherRow, Row, OtherRow, Row]
    assert [v.unique_id for v in views] == [1, 2, 3, 4, 5]
    assert list(bulk.agents) == views  # each keeps its place
    assert list(bulk.agents_by_type[Row]) == [views[0], views[2], views[4]]
    assert list(bulk.agents_by_type[OtherRow]) == [views[1], views[3]]
    change_class(bulk, [views[1]], Row)
    assert list(bulk.agents_by_type[OtherRow]) == [views[3]] and views[1] in bulk.agents_by_type[Row]


def test_with_a_listener_every_agent_goes_through_mesa_and_is_heard():
    heard = []

    def listen(signal):
        heard.append(signal.signal_type)

    model = mesa.Model(rng=1)
    model.observe("agents", ModelSignals.AGENT_ADDED, listen)
    model.observe("agents", ModelSignals.AGENT_REMOVED, listen)
    views = create_views(model, [Row, Row])
    assert heard == [ModelSignals.AGENT_ADDED] * 2
    change_class(model, [views[0]], OtherRow)
    assert heard[2:] == [ModelSignals.AGENT_REMOVED, ModelSignals.AGENT_ADDED]
    assert views[0].unique_id == 1 and type(views[0]) is OtherRow
    assert list(model.agents_by_type[OtherRow]) == [views[0]]


def _run(model, months):
    for _ in range(months):
        model.step()
    return model


def test_the_model_gives_the_same_run_and_agents_whether_or_not_anyone_listens():
    plain = _run(CoCreationModel(n_citizens=200, steps=12, seed=4), 12)
    heard = []

    def listen(signal):
        heard.append(signal)

    listened = CoCreationModel(n_citizens=200, steps=12, seed=4)
    listened.observe("agents", ModelSignals.AGENT_ADDED, listen)
    _run(listened, 12)
    pd.testing.assert_frame_equal(plain.results(), listened.results())
    assert heard, "nobody joined or quit: the test did not exercise the listened path"
    for m in (plain, listened):
        vol = m.world.citizens.volunteer
        assert {a.index for a in m.agents_by_type[Volunteer]} == set(np.flatnonzero(vol).tolist())
        assert {a.index for a in m.agents_by_type[Citizen]} == set(np.flatnonzero(~vol).tolist())
    assert [a.unique_id for a in plain.citizen_agents] == [a.unique_id for a in listened.citizen_agents]


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_both_citizen_kinds_exist_even_when_one_is_empty(share):
    m = CoCreationModel(n_citizens=50, steps=2, initial_volunteering=share, seed=1)
    assert {Citizen, Volunteer} <= set(m.agents_by_type)
    assert [a.unique_id for a in m.citizen_agents] == list(range(1, 51))


def test_a_citizen_who_changes_class_leaves_no_object_for_the_cycle_collector():
    """Joining or quitting builds the agent's dict (Python does so on a class change); it must hold numbers only.

    A dict that held the model would be tracked by the cycle collector for the rest of the run:
    at 650,000 citizens ~11,000 a month, making the collector's full passes twice as frequent.
    """
    import gc

    model = CoCreationModel(n_citizens=200, n_associations=5, n_staff=2, seed=4)
    citizen = model.citizen_agents[int(np.flatnonzero(~model.world.citizens.volunteer)[0])]
    change_class(model, [citizen], Volunteer)
    assert isinstance(citizen, Volunteer) and citizen.model is model
    assert not gc.is_tracked(vars(citizen)), f"the agent's dict holds a container: {sorted(vars(citizen))}"
    assert citizen in model.agents_by_type[Volunteer]

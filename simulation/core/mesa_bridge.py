"""The one place that knows how Mesa keeps its agents (checked against Mesa 3.5.1).

The model's agents are thin views onto rows of numpy arrays (:mod:`simulation.core.agents`),
and a citizen who starts or stops volunteering changes class between ``Citizen`` and
``Volunteer``. Mesa's public API does both, agent by agent: ``Agent.__init__`` registers an
agent, ``Model.deregister_agent``/``register_agent`` move it. At 650,000 citizens that took
seconds, so when nothing else watches the registry this module does the same in bulk:

* :func:`create_views` builds the agent objects without calling ``Agent.__init__`` and adds them
  to ``model.agents`` and ``model.agents_by_type[cls]`` with the sets' public ``add``;
* :func:`change_class` moves agents between the per-class sets and changes their class.

What this relies on, beyond Mesa's documented API, is that in Mesa 3.5 registering an agent is
exactly: set ``model``, ``unique_id`` (from ``model.agent_id_counter``) and ``pos``, add the agent
to ``model.agents`` and to ``model.agents_by_type[type(agent)]``, emit a signal and feed the
model's data sets. Signals and data sets are checked for (:func:`registry_is_plain`): when
anyone listens or a data set exists, every agent goes through Mesa's own calls. No private
Mesa name is used. ``tests/test_mesa_bridge.py`` checks these assumptions against the
installed Mesa (:data:`MESA_VERSION` names the version they were checked on) and fails loudly
if an upgrade changes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import mesa

#: The Mesa version whose registration this module mirrors (tests/test_mesa_bridge.py pins it).
MESA_VERSION = "3.5.1"

#: The attributes ``mesa.Agent.__init__`` sets on an agent (besides registering it).
AGENT_ATTRIBUTES = ("model", "unique_id", "pos")


def registry_is_plain(model: mesa.Model) -> bool:
    """Whether registering an agent in ``model`` is only adding it to the agent sets.

    False when anyone listens to the model's agent signals (AGENT_ADDED/AGENT_REMOVED) or the
    model has a data set (which may track agents): then agents must go through Mesa one by one.
    """
    listened = any(name == "agents" and refs for (name, _signal), refs in model.subscribers.items())
    return not listened and not model.data_registry.datasets


def ensure_agent_set(model: mesa.Model, cls: type) -> None:
    """Give ``cls`` a set in ``model.agents_by_type`` even while it has no agent.

    Mesa creates a class's set when its first agent registers; a placeholder ``cls(model, -1)``
    is registered and removed again through Mesa's public calls, and the id it took is given back.
    """
    if cls in model.agents_by_type:
        return
    counter = model.agent_id_counter
    placeholder = cls(model, -1)
    model.deregister_agent(placeholder)
    model.agent_id_counter = counter


def create_views(model: mesa.Model, classes: Sequence[type]) -> list:
    """Create and register one view per entry of ``classes``: view k is ``classes[k](model, k)``.

    The same objects, unique_ids, attributes and registration order as
    ``[cls(model, k) for k, cls in enumerate(classes)]``, about five times faster when the
    registry is plain (see :func:`registry_is_plain`); otherwise exactly that.
    """
    if not registry_is_plain(model):
        return [cls(model, k) for k, cls in enumerate(classes)]
    kinds = list(dict.fromkeys(classes))
    for cls in kinds:
        ensure_agent_set(model, cls)
    first = model.agent_id_counter
    views: list[Any] = []
    by_kind: dict[type, list] = {cls: [] for cls in kinds}
    append, new = views.append, object.__new__
    for k, cls in enumerate(classes):
        view = new(cls)
        # what mesa.Agent.__init__ sets (AGENT_ATTRIBUTES), then the row the view shows
        view.model, view.unique_id, view.pos = model, first + k, None
        view.index = k
        append(view)
        by_kind[cls].append(view)
    model.agent_id_counter = first + len(views)
    everyone = model.agents
    everyone |= views
    for cls, members in by_kind.items():
        kind_set = model.agents_by_type[cls]
        kind_set |= members
    return views


def change_class(model: mesa.Model, agents: Iterable, new: type) -> None:
    """Make each of ``agents`` an instance of ``new``, keeping the object and its unique_id.

    With a plain registry the agent keeps its place in ``model.agents`` and moves from
    ``model.agents_by_type[old]`` to ``model.agents_by_type[new]``; otherwise it goes through
    Mesa's ``deregister_agent``/``register_agent`` (signals and data sets see it).
    """
    if not registry_is_plain(model):
        for agent in agents:
            uid = agent.unique_id
            model.deregister_agent(agent)
            agent.__class__ = new
            model.register_agent(agent)
            agent.unique_id = uid
        return
    ensure_agent_set(model, new)
    by_type = model.agents_by_type
    moved = []
    for agent in agents:
        by_type[type(agent)].remove(agent)
        agent.__class__ = new
        moved.append(agent)
    new_set = by_type[new]
    new_set |= moved

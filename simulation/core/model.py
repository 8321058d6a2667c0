"""The co-creation model: a Mesa model whose rules run vectorised over state arrays.

    >>> from simulation import CoCreationModel
    >>> model = CoCreationModel(governance_mode="npm", steering_intensity=0.9, n_citizens=300, seed=1)
    >>> for _ in range(12):
    ...     model.step()
    >>> frame = model.datacollector.get_model_vars_dataframe()

One month is one step. Each step runs the eleven processes of MODEL.md in the order declared in
:data:`simulation.core.processes.PROCESSES`, then records every indicator in Mesa's DataCollector.
How the agent views are registered with Mesa lives in :mod:`simulation.core.mesa_bridge`.
"""

from __future__ import annotations

from typing import Any

import mesa
import networkx as nx
import numpy as np

from simulation.core import processes as sm
from simulation.core.agents import Association, Citizen, Staff, Volunteer
from simulation.core.indicators import INDICATORS, compute_indicators
from simulation.core.mesa_bridge import change_class, create_views, ensure_agent_set
from simulation.core.parameters import ParameterError, Parameters, make_parameters
from simulation.core.state import CHANNEL_NAMES, RELATIONS, initial_world

#: Independent random streams, one per process that draws (common random numbers): each is
#: a child of the run's SeedSequence, so turning one mechanism off leaves the others' draws
#: as they were. New streams go at the end so existing ones keep their numbers.
STREAMS = ("network", "population", "contribution", "recruitment", "ties")


def seed_from_rng(rng: Any) -> int:
    """The integer seed for Mesa's ``rng=`` argument (an int, a SeedSequence or a Generator)."""
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return int(rng)
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(2, np.uint64)[0] >> np.uint64(1))
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63 - 1))
    raise ParameterError(f"rng = {rng!r} is not allowed: expected an integer seed, a SeedSequence or a Generator")


def _reporter(name: str):
    def report(model: CoCreationModel) -> float:
        return model.indicators[name]

    report.__name__ = name
    return report


_NOT_GIVEN: Any = object()  # no ``rng`` argument: the declared default seed, so a bare model is reproducible


def _seed_of(model: CoCreationModel) -> int:
    return model.parameters.seed


class CoCreationModel(mesa.Model):
    """Co-creation between a municipality and civil society (see docs/ODD.md).

    Args:
        rng: Mesa's seed argument; an int (or SeedSequence/Generator) used as the run's
            ``seed``. Give either ``rng`` or ``seed``. ``rng=None`` (as ``mesa.batch_run``
            passes for each of its ``iterations``) draws a fresh seed, recorded in
            ``model.parameters.seed``; with neither, the run uses the declared default seed.
        parameters: a :class:`~simulation.core.parameters.Parameters` to start from (keyword
            arguments override its values); anything else raises ParameterError.
        **kwargs: any parameter of :class:`~simulation.core.parameters.Parameters`, e.g.
            ``governance_mode="npm"``, ``steering_intensity=0.9``, ``n_citizens=500``,
            ``policy_schedule=[{"step": 24, "steering_intensity": 0.9}]``. Unknown names and
            values out of range raise :class:`~simulation.core.parameters.ParameterError`.
    """

    def __init__(self, rng: Any = _NOT_GIVEN, parameters: Parameters | None = None, **kwargs: Any) -> None:
        if rng is None and kwargs.get("seed") is None:
            # Mesa's convention (and mesa.batch_run's ``iterations``/``rng=[None] * n``): no seed
            # means fresh entropy. The seed drawn is recorded in ``parameters.seed``.
            rng = np.random.SeedSequence()
        if rng is not _NOT_GIVEN and rng is not None:
            seed = seed_from_rng(rng)
            if kwargs.get("seed") not in (None, seed):
                raise ParameterError(f"give either rng ({rng!r}) or seed ({kwargs['seed']!r}), not both")
            kwargs["seed"] = seed
        if parameters is not None and not isinstance(parameters, Parameters):
            raise ParameterError(
                f"parameters: expected a Parameters (from make_parameters), got {type(parameters).__name__}; "
                "give the values as keyword arguments instead, e.g. CoCreationModel(**values)"
            )
        if parameters is not None:
            if kwargs:
                parameters = make_parameters(**{**parameters.to_dict(), **kwargs})
        else:
            parameters = make_parameters(**kwargs)
        self.parameters: Parameters = parameters
        #: The levers in force now (the policy schedule and :meth:`set_lever` change them).
        self.p: Parameters = parameters
        super().__init__(rng=parameters.seed)
        root = np.random.SeedSequence(parameters.seed)
        self.streams = {name: np.random.default_rng(child) for name, child in zip(STREAMS, root.spawn(len(STREAMS)), strict=True)}
        self.world = initial_world(parameters, self.streams["network"], self.streams["population"])
        self.lever_log: list[tuple[int, str, Any]] = []

        # One view per row, citizens first, with the unique_ids Mesa would give them one by one.
        vol = self.world.citizens.volunteer
        # A plain list, not a numpy object array: Python's cycle collector cannot see into object
        # arrays, and each agent refers back to the model, so the model would never be freed.
        self.citizen_agents: list = list(create_views(self, [Volunteer if v else Citizen for v in vol.tolist()]))
        for kind in (Citizen, Volunteer):  # both kinds always present, even while one is empty
            ensure_agent_set(self, kind)
        self.association_agents = create_views(self, [Association] * parameters.n_associations)
        self.staff_agents = create_views(self, [Staff] * parameters.n_staff)

        # month 0: what the starting state looks like under the starting levers
        sm.offer_relation(self.world, self.p)
        sm.perceive_steering(self.world, self.p)
        sm.give_hours(self.world, self.p)
        self.world.municipality.needs_knowledge = sm.needs_voiced(sm.democratic_voice(self.world), self.p)  # what the municipality knows at the start
        sm.produce_outcomes(self.world, self.p)
        sm.set_service_target(self.world, self.p)
        self.indicators: dict[str, float] = compute_indicators(self.world)
        # The seed is collected too, so that mesa.batch_run's rows name the seed each run used.
        self.datacollector = mesa.DataCollector(model_reporters={"seed": _seed_of, **{k: _reporter(k) for k in INDICATORS}})
        self.datacollector.collect(self)
        #: The governance mode in force in each collected month (a mode change during a run shows here).
        self.mode_by_month: list[str] = [self.p.governance_mode]

    # --- the month ---------------------------------------------------------------------
    def step(self) -> None:
        """One month: the processes of :data:`~simulation.core.processes.PROCESSES` in order, then the indicators."""
        was_volunteer = self.world.citizens.volunteer.copy()
        for process in sm.PROCESSES:
            process.run(self)
        self._sync_roles(was_volunteer)
        self.indicators = compute_indicators(self.world)
        self.datacollector.collect(self)
        self.mode_by_month.append(self.p.governance_mode)
        if self.steps >= self.parameters.steps:
            self.running = False

    def set_lever(self, name: str, value: Any) -> None:
        """Change a lever now, during a run (the browser's live control); validated like any parameter."""
        self.p = self.p.with_levers(**{name: value})
        self.lever_log.append((self.steps, name, getattr(self.p, name)))

    def _sync_roles(self, was_volunteer: np.ndarray) -> None:
        """Switch the agent views of citizens who joined or quit this month between Citizen and Volunteer.

        The same object changes class and keeps its unique_id; it moves from
        ``agents_by_type[Citizen]`` to ``agents_by_type[Volunteer]`` or back
        (see :func:`~simulation.core.mesa_bridge.change_class`).
        """
        now = self.world.citizens.volunteer
        changed = np.flatnonzero(now != was_volunteer)
        if len(changed) == 0:
            return
        joined = now[changed]
        agents = self.citizen_agents
        change_class(self, [agents[i] for i in changed[joined].tolist()], Volunteer)
        change_class(self, [agents[i] for i in changed[~joined].tolist()], Citizen)

    # --- results and exports -------------------------------------------------------------
    def results(self):
        """The run so far as a tidy table: one row per month, indicator columns, seed and mode."""
        frame = self.datacollector.get_model_vars_dataframe()
        frame.insert(0, "step", np.arange(len(frame)))
        frame.insert(1, "seed", frame.pop("seed"))
        frame.insert(2, "governance_mode", self.mode_by_month[: len(frame)])
        return frame.reset_index(drop=True)

    def network_snapshot(self) -> nx.Graph:
        """The current network as a networkx graph.

        Nodes ``c<i>`` (citizens; kind ``citizen`` or ``volunteer``), ``a<j>`` (associations)
        and ``s<k>`` (staff) carry ``kind`` and ``group``; edges carry ``tie_type``
        (``bonding``/``bridging`` between citizens, ``membership``, ``working``) and ``weight``.
        """
        W = self.world
        c, a, T = W.citizens, W.associations, W.ties
        G = nx.Graph()
        for i in range(c.n):
            G.add_node(f"c{i}", kind="volunteer" if c.volunteer[i] else "citizen", group=int(c.group[i]),
                       vulnerable=bool(c.vulnerable[i]), trust=float(c.trust_municipality[i]),
                       recruited_by=CHANNEL_NAMES[int(c.channel[i])])
        for j in range(a.n):
            G.add_node(f"a{j}", kind="association", group=int(a.group[j]), orientation=float(a.orientation[j]),
                       relation=RELATIONS[int(a.relation[j])])
        for k in range(W.staff.n):
            G.add_node(f"s{k}", kind="staff", group=-1, control=float(W.staff.control[k]))
        cross = c.group[T.u] != c.group[T.v]
        G.add_edges_from(
            (f"c{u}", f"c{v}", {"tie_type": "bridging" if x else "bonding", "weight": float(w)})
            for u, v, w, x in zip(T.u.tolist(), T.v.tolist(), T.w.tolist(), cross.tolist(), strict=True)
        )
        for i in np.flatnonzero(c.volunteer):
            G.add_edge(f"c{i}", f"a{c.association[i]}", tie_type="membership", weight=1.0)
        for j in range(a.n):
            G.add_edge(f"a{j}", f"s{a.staff[j]}", tie_type="working", weight=float(a.partner_trust[j]))
        return G

    def write_graphml(self, path) -> None:
        """Write :meth:`network_snapshot` as GraphML (for Gephi and other tools)."""
        nx.write_graphml(self.network_snapshot(), path)

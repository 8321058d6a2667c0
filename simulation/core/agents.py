"""The four agent kinds as Mesa agents: thin views onto the model's state arrays.

An agent object holds only its row index; every attribute reads (and, for a few, writes)
the arrays in :mod:`simulation.core.state`, so ``print(agent.trust)`` shows the live value while
all rules run vectorised. A citizen who is recruited becomes a :class:`Volunteer` and goes
back to being a :class:`Citizen` when they quit: the same object changes class and keeps
its ``unique_id``, so nobody is lost or counted twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from simulation.core.state import CHANNEL_NAMES, RELATIONS

if TYPE_CHECKING:  # pragma: no cover
    from simulation.core.model import CoCreationModel


class _View(mesa.Agent):
    """A Mesa agent that is row ``index`` of its kind's state arrays."""

    # The model reference lives in a slot, not in the instance dict: a citizen who joins or
    # quits changes class, which makes Python build the agent's dict, and a dict that holds
    # only numbers (unique_id, index, pos) is not tracked by the cycle collector, where one
    # holding the model is. Otherwise every class change adds a tracked object for good and
    # the collector's full passes over ~1 M objects come about twice as often (~5 % of a month at 650k).
    __slots__ = ("model",)

    def __init__(self, model: CoCreationModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.unique_id} (row {self.index})>"


class Citizen(_View):
    """A resident of the municipality (not volunteering now)."""

    @property
    def _c(self):
        return self.model.world.citizens

    @property
    def group(self) -> int:
        """Social group, 0..G-1."""
        return int(self._c.group[self.index])

    @property
    def vulnerable(self) -> bool:
        """Whether the citizen is vulnerable."""
        return bool(self._c.vulnerable[self.index])

    @property
    def trust(self) -> float:
        """Trust in the municipality, in [0, 1]."""
        return float(self._c.trust_municipality[self.index])

    @property
    def generalised_trust(self) -> float:
        """Generalised trust, in [0, 1]."""
        return float(self._c.generalised_trust[self.index])

    @property
    def motivation(self) -> float:
        """Intrinsic motivation to contribute, in [0, 1]."""
        return float(self._c.motivation[self.index])

    @property
    def needs_met(self) -> float:
        """How far the citizen's needs are met, in [0, 1]."""
        return float(self._c.needs_met[self.index])

    @property
    def role(self) -> str:
        """``"volunteer"`` or ``"citizen"``."""
        return "volunteer" if self._c.volunteer[self.index] else "citizen"


class Volunteer(Citizen):
    """A citizen in the volunteer role."""

    @property
    def association(self) -> Association:
        """The association the volunteer is active in."""
        return self.model.association_agents[int(self._c.association[self.index])]

    @property
    def hours(self) -> float:
        """Hours given this month."""
        return float(self._c.hours[self.index])

    @property
    def autonomy(self) -> float:
        """Perceived autonomy, in [0, 1]."""
        return float(self._c.autonomy[self.index])

    @property
    def recruited_by(self) -> str:
        """How the volunteer was recruited: asked, own initiative, or before the run."""
        return CHANNEL_NAMES[int(self._c.channel[self.index])]

    @property
    def months_active(self) -> int:
        """Months in the current volunteering spell."""
        return int(self._c.months_active[self.index])


class Association(_View):
    """A voluntary association."""

    @property
    def _a(self):
        return self.model.world.associations

    @property
    def group(self) -> int:
        """The group the association grew out of."""
        return int(self._a.group[self.index])

    @property
    def orientation(self) -> float:
        """0 voice (expressive) ... 1 service."""
        return float(self._a.orientation[self.index])

    @property
    def autonomy(self) -> float:
        """Autonomy, in [0, 1]."""
        return float(self._a.autonomy[self.index])

    @property
    def openness(self) -> float:
        """Outreach beyond its own group, 0 bonding ... 1 bridging."""
        return float(self._a.openness[self.index])

    @property
    def relation(self) -> str:
        """Relation to the municipality: none, supplier or partnership."""
        return RELATIONS[int(self._a.relation[self.index])]

    @property
    def cooperation(self) -> float:
        """Cooperation with other associations, in [0, 1]."""
        return float(self._a.cooperation[self.index])

    @property
    def partner_trust(self) -> float:
        """Trust between the association and its staff contact, in [0, 1]."""
        return float(self._a.partner_trust[self.index])

    @property
    def members(self) -> int:
        """Number of volunteers."""
        return int(self._a.members[self.index])

    @property
    def staff(self) -> Staff:
        """The staff member with a working tie to this association."""
        return self.model.staff_agents[int(self._a.staff[self.index])]


class Staff(_View):
    """A municipal staff member working with associations."""

    @property
    def _s(self):
        return self.model.world.staff

    @property
    def control(self) -> float:
        """Control exerted, in [0, 1]."""
        return float(self._s.control[self.index])

    @property
    def facilitation_skill(self) -> float:
        """Facilitation skill, in [0, 1]."""
        return float(self._s.facilitation_skill[self.index])

    @property
    def threat(self) -> float:
        """Felt threat to professionalism and job security, in [0, 1]."""
        return float(self._s.threat[self.index])

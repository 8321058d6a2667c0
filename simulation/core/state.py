"""The model's state: one numpy array per state variable and agent kind.

Agents of a kind are rows of these arrays; the Mesa agent objects (``agents.py``) are thin
views onto them. Every rule in ``processes.py`` updates whole arrays at once. The few rules
that both the initial state and a process use (:func:`readiness`, :func:`member_mix`)
live here, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.core.network import GroupIndex, Ties, homophilous_ties
from simulation.core.parameters import Parameters

#: Months in the survey's window: "in the last 12 months" (EU-SILC, Eurostat ilc_scp19).
YEAR = 12

#: How a volunteer was recruited (``Citizens.channel``).
CHANNEL_NONE, CHANNEL_ASKED, CHANNEL_OWN_INITIATIVE, CHANNEL_BEFORE_RUN = 0, 1, 2, 3
CHANNEL_NAMES = {CHANNEL_NONE: "none", CHANNEL_ASKED: "asked", CHANNEL_OWN_INITIATIVE: "own initiative",
                 CHANNEL_BEFORE_RUN: "before the run"}

#: Relation of an association to the municipality (``Associations.relation``).
RELATIONS = ("none", "supplier", "partnership")
NO_RELATION, SUPPLIER, PARTNERSHIP = (RELATIONS.index(r) for r in RELATIONS)


@dataclass
class Citizens:
    """State of all citizens; volunteers are citizens with ``volunteer`` true."""

    group: np.ndarray  # int, social group 0..G-1
    vulnerable: np.ndarray  # bool
    trust_municipality: np.ndarray  # [0, 1]
    generalised_trust: np.ndarray  # [0, 1]
    motivation: np.ndarray  # [0, 1] intrinsic motivation to contribute
    baseline_motivation: np.ndarray  # [0, 1] personal resting point of motivation
    needs_met: np.ndarray  # [0, 1]
    volunteer: np.ndarray  # bool: in the volunteer role
    association: np.ndarray  # int, -1 when not volunteering
    hours: np.ndarray  # volunteer hours this month
    autonomy: np.ndarray  # [0, 1] perceived autonomy of a volunteer
    channel: np.ndarray  # int8, CHANNEL_* of the current volunteering spell
    months_active: np.ndarray  # int, months in the current volunteering spell
    months_since_volunteered: np.ndarray  # int, months since the citizen last gave hours (0: this month)
    frame: np.ndarray  # [0, 1] transactional frame: volunteering seen as a job done for the municipality
    service_preference: np.ndarray  # [0, 1] preference for service (1) over voice (0) work
    peer_volunteering: np.ndarray  # [0, 1] tie-weighted share of contacts volunteering (as of last month's trust step)
    bridging_share: np.ndarray  # [0, 1] share of own tie weight that crosses groups (as of last month's trust step)
    by_group: GroupIndex  # citizens sorted by group (groups never change)

    @property
    def n(self) -> int:
        """Number of citizens."""
        return len(self.group)


@dataclass
class Associations:
    """State of all associations."""

    group: np.ndarray  # int, the group the association grew out of
    orientation: np.ndarray  # [0, 1]: 0 voice (expressive) ... 1 service
    orientation_own: np.ndarray  # [0, 1] the association's own orientation (without pulls)
    autonomy: np.ndarray  # [0, 1]
    autonomy_own: np.ndarray  # [0, 1] autonomy it would have without control
    openness: np.ndarray  # [0, 1] how far its members come from other groups (bonding 0 ... bridging 1)
    relation: np.ndarray  # int8 index into RELATIONS
    cooperation: np.ndarray  # [0, 1] cooperation with other associations
    partner_trust: np.ndarray  # [0, 1] trust between the association and its staff contact
    understanding: np.ndarray  # [0, 1] shared understanding with the municipality
    staff: np.ndarray  # int, index of the staff member with a working tie
    control_felt: np.ndarray  # [0, 1] perceived control kappa
    support_felt: np.ndarray  # [0, 1] perceived support sigma
    members: np.ndarray  # int, number of volunteers
    dependence: np.ndarray  # [0, 1] share of its resources that comes from a supplier contract
    contract_funds: np.ndarray  # what its supplier contract pays it this month (relative to what members bring)
    by_group: GroupIndex  # associations sorted by the group they grew out of

    @property
    def n(self) -> int:
        """Number of associations."""
        return len(self.group)


@dataclass
class Staff:
    """State of municipal staff working with associations."""

    control: np.ndarray  # [0, 1] control exerted
    facilitation_skill: np.ndarray  # [0, 1]
    threat: np.ndarray  # [0, 1] felt threat to professionalism and job security

    @property
    def n(self) -> int:
        """Number of staff."""
        return len(self.control)


@dataclass
class Municipality:
    """Model-level quantities of the municipality and of co-production."""

    coordination: float = 0.0  # [0, 1) share of the coordination gain steering lends
    effectiveness: float = 1.0  # output of one volunteer hour relative to baseline
    complementarity: float = 0.0  # gamma, learned unless linear thinking
    collaboration_quality: float = 0.0  # Q
    municipal_output: float = 0.0  # R, per citizen
    civil_output: float = 0.0  # C, per citizen
    civil_service_output: float = 0.0  # the service-oriented part of C, per citizen
    service_output: float = 0.0  # S, co-produced service output per citizen
    coproduced_welfare: float = 0.0  # Y, per citizen
    synergy: float = 0.0  # Y / (R + C) - 1
    substitution: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per staff
    # the municipality as an actor with a budget (processes 10 and 11)
    steering: float = 0.0  # steering intensity in force: the policy lever plus the municipality's own adjustment
    facilitation: float = 0.0  # facilitation in force, likewise
    steering_adjustment: float = 0.0  # what the municipality added to the steering lever by its reviews
    facilitation_adjustment: float = 0.0  # what it added to the facilitation lever
    service_target: float = 0.0  # target for measured service output per citizen (set at month 0)
    staffing: float = 1.0  # share of the staff the municipality started with that it keeps
    needs_knowledge: float = 1.0  # [0, 1] what the municipality knows of citizens' needs (from voice)
    democratic_voice: float = 0.0  # expressive activity per citizen
    spending: float = 0.0  # budget spent per citizen per month (staff and contract payments)
    control_spending: float = 0.0  # budget spent on staff time exerting control and measuring output
    facilitation_spending: float = 0.0  # budget spent on staff time facilitating
    joined_asked: int = 0
    joined_own_initiative: int = 0
    switched: int = 0  # volunteers who moved to another association this month (poached)
    quit: int = 0


@dataclass
class World:
    """Everything that changes during a run."""

    citizens: Citizens
    associations: Associations
    staff: Staff
    ties: Ties
    municipality: Municipality


def clip01(x):
    """``x`` clipped to [0, 1]: a numerical guard that keeps levels in their range, not a model constant."""
    return np.clip(x, 0.0, 1.0)


def readiness(motivation: np.ndarray, generalised_trust: np.ndarray, trust_municipality: np.ndarray,
              peer_volunteering: np.ndarray, p: Parameters) -> np.ndarray:
    """Readiness to volunteer: one's own inclination, and the descriptive norm among one's contacts.

    own_i   = (1 - w_t) (m_i + g_i) / 2 + w_t t_i          w_t = municipal_trust_readiness
    norm_i  = min(1, vbar_i / norm_reference)              vbar_i the share of contacts volunteering
    r_i     = (1 - w_n) own_i + w_n norm_i                 w_n = norm_weight (conditional cooperation)
    """
    w_t, w_n = p.municipal_trust_readiness, p.norm_weight
    own = (1.0 - w_t) * 0.5 * (motivation + generalised_trust) + w_t * trust_municipality
    norm = np.minimum(1.0, peer_volunteering / p.norm_reference)
    return (1.0 - w_n) * own + w_n * norm


def member_mix(members_group: np.ndarray, members_association: np.ndarray, association_group: np.ndarray,
               n_associations: int, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """How far each association's members come from other groups than the one it grew out of.

    mix_a = (share of members of a not of a's group) / (1 - 1/G), clipped to [0, 1]: 0 all from its
    own group (bonding), 1 as mixed as the population (bridging). Returns (mix, number of members).
    """
    members = np.bincount(members_association, minlength=n_associations)
    outside = np.bincount(members_association, members_group != association_group[members_association], minlength=n_associations)
    # max(.., 1) and the 1e-9: guards against dividing by zero (no members, one group), not model constants
    share = outside / np.maximum(members, 1)
    return np.minimum(1.0, share / max(1e-9, 1.0 - 1.0 / n_groups)), members


def initial_world(p: Parameters, rng_network: np.random.Generator, rng_population: np.random.Generator) -> World:
    """Build the population, associations, staff and network of month 0 from the parameters."""
    n, na, ns, g = p.n_citizens, p.n_associations, p.n_staff, p.n_groups
    r = rng_population
    group = r.integers(0, g, n)
    vulnerable = r.random(n) < p.vulnerable_share
    gen_trust = clip01(r.normal(p.initial_generalised_trust, p.trust_spread, n))
    trust = clip01(r.normal(p.initial_trust_municipality, p.trust_spread, n))
    baseline = clip01(r.normal(p.baseline_motivation, p.motivation_spread, n))

    a_group = np.arange(na) % g  # associations grow out of every group in turn
    orientation_own = clip01(r.normal(p.initial_orientation, p.orientation_spread, na))
    autonomy_own = clip01(r.normal(p.initial_autonomy, p.autonomy_spread, na))
    associations = Associations(
        group=a_group, orientation=orientation_own.copy(), orientation_own=orientation_own,
        autonomy=autonomy_own.copy(), autonomy_own=autonomy_own,
        openness=np.zeros(na),  # the mix of the initial members, below
        relation=np.zeros(na, dtype=np.int8),  # set from the lever by processes.offer_relation
        cooperation=np.full(na, p.initial_cooperation),
        partner_trust=clip01(r.normal(p.initial_trust_municipality, p.partner_trust_spread, na)),
        understanding=np.full(na, p.initial_understanding), staff=np.arange(na) % ns,
        control_felt=np.zeros(na), support_felt=np.zeros(na), members=np.zeros(na, dtype=np.int64),
        dependence=np.zeros(na), contract_funds=np.zeros(na), by_group=GroupIndex.of(a_group, g),
    )

    # Initial volunteers: the most ready citizens are likelier to volunteer; each joins an
    # association of its own group where one exists.
    peers = np.full(n, p.initial_volunteering)
    weight = np.exp(p.initial_volunteer_selectivity * readiness(baseline, gen_trust, trust, peers, p))
    k = int(round(p.initial_volunteering * n))
    volunteer = np.zeros(n, dtype=bool)
    if k > 0:
        volunteer[r.choice(n, size=k, replace=False, p=weight / weight.sum())] = True
    association = np.full(n, -1, dtype=np.int64)
    vol_idx = np.flatnonzero(volunteer)
    association[vol_idx] = associations.by_group.draw(group[vol_idx], r)
    associations.openness, associations.members = member_mix(group[vol_idx], association[vol_idx], a_group, na, g)
    motivation = baseline.copy()
    channel = np.where(volunteer, CHANNEL_BEFORE_RUN, CHANNEL_NONE).astype(np.int8)

    # needs_met is computed by month 0's outcomes (processes.produce_outcomes) before anything reads it
    citizens = Citizens(
        group=group, vulnerable=vulnerable, trust_municipality=trust, generalised_trust=gen_trust,
        motivation=motivation, baseline_motivation=baseline, needs_met=np.zeros(n),
        volunteer=volunteer, association=association, hours=np.zeros(n), autonomy=np.zeros(n),
        channel=channel, months_active=np.where(volunteer, p.initial_months_active, 0).astype(np.int64),
        # before the run nothing is known of citizens' past volunteering: only the initial volunteers
        # count as having volunteered within a year, until month 12 fills the window
        months_since_volunteered=np.where(volunteer, 0, YEAR).astype(np.int64),
        frame=np.zeros(n), service_preference=np.zeros(n), peer_volunteering=peers,
        bridging_share=np.full(n, 1.0 - p.homophily), by_group=GroupIndex.of(group, g),
    )
    skill = clip01(r.normal(p.initial_facilitation_skill, p.facilitation_skill_spread, ns))
    staff = Staff(control=np.zeros(ns), facilitation_skill=skill, threat=np.zeros(ns))
    ties = homophilous_ties(group, g, p.mean_degree, p.homophily, rng_network, weight_min=p.initial_tie_weight_min)
    # drawn last, so the draws above are those of model 1 for the same seed
    citizens.service_preference = clip01(r.normal(p.service_preference, p.service_preference_spread, n))
    municipality = Municipality(complementarity=p.complementarity, substitution=np.zeros(ns))
    return World(citizens=citizens, associations=associations, staff=staff, ties=ties, municipality=municipality)

"""Every parameter of the model, declared once: type, default, allowed range, meaning.

These declarations are the single source for validation, the command line, the ODD
parameter table and the browser sliders. A governance mode is a named preset of lever
values and nothing more (see :data:`GOVERNANCE_MODES`).

Use :func:`make_parameters` to build a validated :class:`Parameters` from keyword
arguments; it applies the governance mode's preset first and then any override.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.errors import ParameterError, suggest

#: Parameter kinds, in the order they are documented.
KINDS = ("run", "population", "lever", "behaviour")


def _param(default, lo=None, hi=None, *, meaning: str, kind: str, choices=None, unit: str = ""):
    return field(
        default=default,
        metadata={"range": (lo, hi), "meaning": meaning, "kind": kind, "choices": choices, "unit": unit},
    )


@dataclass(frozen=True)
class PolicyChange:
    """A scheduled change of levers: at the start of month ``step`` the levers take these values.

    ``step`` is a whole number of months (numpy integers and integral floats are made plain
    ints); ``changes`` are (lever, value) pairs or a mapping, each lever once, each value
    checked and converted like any parameter. Anything else raises :class:`ParameterError`.
    """

    step: int
    changes: tuple[tuple[str, Any], ...]

    def __post_init__(self) -> None:
        try:
            step, changes = _checked_change(self.step, self.changes)
        except ParameterError as exc:
            raise ParameterError(f"policy change (step {_shown(self.step)}): {exc}") from None
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "changes", changes)

    def as_dict(self) -> dict[str, Any]:
        """The change as a flat mapping with its step, as written in scenario files."""
        return {"step": self.step, **dict(self.changes)}


@dataclass(frozen=True)
class Parameters:
    """All parameters of one run. Frozen: a run's levers change only via the policy schedule."""

    # --- run -------------------------------------------------------------------------------
    seed: int = _param(1, 0, 2**63 - 1, meaning="root seed of every random stream of the run", kind="run")
    steps: int = _param(120, 1, 100_000, meaning="horizon in monthly steps (120 = 10 years)", kind="run", unit="months")

    # --- population and initial conditions ------------------------------------------------
    n_citizens: int = _param(1000, 10, 10_000_000, meaning="number of citizens (volunteers are citizens in a role)", kind="population")
    n_associations: int = _param(25, 1, 1_000_000, meaning="number of voluntary associations", kind="population")
    n_staff: int = _param(10, 1, 1_000_000, meaning="number of municipal staff working with associations", kind="population")
    n_groups: int = _param(4, 1, 64, meaning="number of social groups G (ties within a group are bonding, across are bridging)", kind="population")
    mean_degree: float = _param(10.0, 1.0, 200.0, meaning="mean number of social ties per citizen at the start", kind="population", unit="ties")
    homophily: float = _param(0.8, 0.0, 1.0, meaning="share of initial ties within one's own group (bonding vs bridging balance)", kind="population")
    initial_tie_weight_min: float = _param(0.2, 0.0, 1.0, meaning="lowest weight of a tie at the start: initial tie weights are uniform between it and 1", kind="population")
    vulnerable_share: float = _param(0.15, 0.0, 1.0, meaning="share of citizens who are vulnerable (higher needs, harder to reach)", kind="population")
    initial_volunteering: float = _param(0.35, 0.0, 1.0, meaning="share of citizens volunteering at the start", kind="population")
    initial_generalised_trust: float = _param(0.7, 0.0, 1.0, meaning="mean generalised trust at the start", kind="population")
    initial_trust_municipality: float = _param(0.65, 0.0, 1.0, meaning="mean trust in the municipality at the start", kind="population")
    trust_spread: float = _param(0.1, 0.0, 0.5, meaning="standard deviation of initial trust between citizens", kind="population")
    baseline_motivation: float = _param(0.55, 0.0, 1.0, meaning="mean personal baseline of intrinsic motivation to contribute", kind="population")
    motivation_spread: float = _param(0.15, 0.0, 0.5, meaning="standard deviation of baseline motivation between citizens", kind="population")
    initial_volunteer_selectivity: float = _param(4.0, 0.0, 50.0, meaning="how strongly readiness to volunteer (see readiness in the ODD) picks the volunteers at the start: weight exp(k * readiness)", kind="population")
    initial_months_active: int = _param(12, 0, 1200, meaning="months already spent volunteering by those volunteering at the start", kind="population", unit="months")
    initial_orientation: float = _param(0.4, 0.0, 1.0, meaning="mean own orientation of associations at the start, 0 voice ... 1 service", kind="population")
    orientation_spread: float = _param(0.15, 0.0, 0.5, meaning="standard deviation of associations' own orientation", kind="population")
    initial_autonomy: float = _param(0.8, 0.0, 1.0, meaning="mean autonomy associations would have without control", kind="population")
    autonomy_spread: float = _param(0.1, 0.0, 0.5, meaning="standard deviation of associations' own autonomy", kind="population")
    initial_cooperation: float = _param(0.5, 0.0, 1.0, meaning="cooperation between associations at the start", kind="population")
    partner_trust_spread: float = _param(0.05, 0.0, 0.5, meaning="standard deviation of associations' initial trust in their staff contact around initial_trust_municipality", kind="population")
    initial_understanding: float = _param(0.15, 0.0, 1.0, meaning="shared understanding between associations and the municipality at the start", kind="population")
    initial_facilitation_skill: float = _param(0.6, 0.0, 1.0, meaning="mean facilitation skill of staff", kind="population")
    facilitation_skill_spread: float = _param(0.15, 0.0, 0.5, meaning="standard deviation of staff's facilitation skill", kind="population")

    societal_trust: float = _param(0.7, 0.0, 1.0, meaning="the country's long-run condition for trust (institutions, rule of law): the level generalised trust, and what is heard of the municipality, are anchored to", kind="population")
    service_preference: float = _param(0.4, 0.0, 1.0, meaning="mean preference of citizens for service work over voice (advocacy, expressive) work", kind="population")
    service_preference_spread: float = _param(0.2, 0.0, 0.5, meaning="standard deviation of the preference for service work between citizens", kind="population")

    # --- governance levers (a mode is a preset of these) -----------------------------------
    governance_mode: str = _param("npg", meaning="named preset of the levers below: hierarchy, npm (supplier) or npg (partner)", kind="lever", choices=("hierarchy", "npm", "npg"))
    steering_intensity: float = _param(0.2, 0.0, 1.0, meaning="municipal control over how associations and volunteers do their work", kind="lever")
    facilitation: float = _param(0.7, 0.0, 1.0, meaning="support, dialogue and infrastructure the municipality offers", kind="lever")
    quick_results_pressure: float = _param(0.2, 0.0, 1.0, meaning="pressure for quick, visible results (short time horizon)", kind="lever")
    sense_making: float = _param(0.7, 0.0, 1.0, meaning="investment in shared sense-making and a shared task", kind="lever")
    threat_sensitivity: float = _param(0.5, 0.0, 1.0, meaning="how strongly staff feel volunteer substitution threatens their job and professionalism", kind="lever")
    targeting: float = _param(0.7, 0.0, 1.0, meaning="outreach: 0 group-specific (same group, easy recruits), 1 inclusive (other groups, vulnerable)", kind="lever")
    contract_competition: float = _param(0.1, 0.0, 1.0, meaning="competition between associations for municipal contracts (organisational egoism)", kind="lever")
    linear_thinking: bool = _param(False, meaning="if true, experience of collaboration is not fed back into plans (complementarity is not learned)", kind="lever")
    relation_offered: str = _param("partnership", meaning="relation the municipality offers associations", kind="lever", choices=("none", "supplier", "partnership"))
    volunteer_substitution: float = _param(0.1, 0.0, 1.0, meaning="how far volunteers are used as labour for pre-defined core staff tasks", kind="lever")

    # --- behaviour (mechanism strengths) ---------------------------------------------------
    coordination_gain: float = _param(0.6, 0.0, 5.0, meaning="maximum gain in what an hour achieves from coordination by steering", kind="behaviour")
    coordination_scale: float = _param(0.15, 0.01, 1.0, meaning="steering at which coordination reaches 63 % of its gain (diminishing returns)", kind="behaviour")
    unrelated_control_exposure: float = _param(0.5, 0.0, 1.0, meaning="share of municipal control felt by associations with no relation to the municipality", kind="behaviour")
    control_tolerance: float = _param(0.3, 0.0, 1.0, meaning="perceived control below which control does no harm (kappa*)", kind="behaviour")
    quick_results_control: float = _param(0.3, 0.0, 1.0, meaning="how much full pressure for quick results adds to the control staff exert", kind="behaviour")
    control_buffering: float = _param(0.4, 0.0, 1.0, meaning="how much an association's autonomy, and separately its trust in staff, soften the control it perceives", kind="behaviour")
    facilitation_skill_weight: float = _param(0.5, 0.0, 1.0, meaning="share of the support felt that depends on the staff contact's facilitation skill (the rest comes with facilitation alone)", kind="behaviour")
    crowding_in_rate: float = _param(0.04, 0.0, 1.0, meaning="a_in: monthly rise of motivation per unit of perceived support", kind="behaviour")
    crowding_out_rate: float = _param(0.12, 0.0, 2.0, meaning="a_out: monthly fall of motivation per unit of control above tolerance", kind="behaviour")
    personal_relation_crowding: float = _param(0.5, 0.0, 2.0, meaning="extra crowding out for volunteers who joined because they were asked (by a contact or by their association's outreach): a personal relation", kind="behaviour")
    motivation_drift_volunteer: float = _param(0.01, 0.0, 1.0, meaning="monthly drift of a volunteer's motivation toward their baseline", kind="behaviour")
    motivation_drift_citizen: float = _param(0.04, 0.0, 1.0, meaning="monthly drift of a non-volunteer's motivation toward their baseline", kind="behaviour")
    max_hours: float = _param(16.0, 0.0, 200.0, meaning="hours a month given by a fully motivated, fully autonomous volunteer", kind="behaviour", unit="h/month")
    quit_motivation_threshold: float = _param(0.2, 0.0, 1.0, meaning="motivation below which a volunteer quits", kind="behaviour")
    base_quit_rate: float = _param(0.01, 0.0, 1.0, meaning="monthly probability of quitting for life reasons", kind="behaviour")
    quit_trust_autonomy_rate: float = _param(0.03, 0.0, 1.0, meaning="extra monthly quitting probability as trust times perceived autonomy goes to zero", kind="behaviour")
    asks_per_volunteer: float = _param(0.1, 0.0, 10.0, meaning="asks a volunteer makes per month if none of its contacts volunteer yet: each contact not volunteering is asked with probability asks_per_volunteer / degree", kind="behaviour")
    outreach_per_member: float = _param(0.02, 0.0, 10.0, meaning="asks an association makes per month per member through outreach", kind="behaviour")
    join_probability: float = _param(0.5, 0.0, 1.0, meaning="highest probability that an asked, ready citizen joins", kind="behaviour")
    join_readiness_midpoint: float = _param(0.55, 0.0, 1.0, meaning="readiness (mean of motivation and generalised trust) at which joining is half its maximum", kind="behaviour")
    join_readiness_steepness: float = _param(12.0, 0.0, 100.0, meaning="how steeply joining rises with readiness", kind="behaviour")
    vulnerable_barrier: float = _param(0.5, 0.0, 1.0, meaning="how much less likely a vulnerable citizen is to join when the asking association's outreach is not inclusive", kind="behaviour")
    self_join_rate: float = _param(0.0075, 0.0, 1.0, meaning="monthly probability that a ready citizen joins on own initiative", kind="behaviour")
    tie_strengthening: float = _param(0.1, 0.0, 1.0, meaning="monthly strengthening of a tie between two people active in the same association", kind="behaviour")
    tie_decay: float = _param(0.005, 0.0, 1.0, meaning="monthly relative decay of a tie without shared activity", kind="behaviour")
    tie_formation_rate: float = _param(0.05, 0.0, 1.0, meaning="monthly probability that a volunteer forms a new tie with a co-volunteer", kind="behaviour")
    new_tie_weight: float = _param(0.3, 0.01, 1.0, meaning="weight of a tie newly formed between co-volunteers", kind="behaviour")
    tie_drop_threshold: float = _param(0.02, 0.0, 1.0, meaning="tie weight below which a tie is lost", kind="behaviour")
    experience_sensitivity: float = _param(0.5, 0.0, 1.0, meaning="how far the balance of support over control moves an experience of the municipality away from neutral (0.5)", kind="behaviour")
    own_service_experience_weight: float = _param(0.5, 0.0, 1.0, meaning="weight of one's own met needs, against the municipality's stance toward civil society as heard, in a non-volunteer's experience", kind="behaviour")
    trust_gain_rate: float = _param(0.02, 0.0, 1.0, meaning="monthly rate at which trust in the municipality rises toward better experience", kind="behaviour")
    trust_loss_ratio: float = _param(3.0, 1.0, 20.0, meaning="how many times faster trust falls than it rises (Slovic 1993)", kind="behaviour")
    trust_diffusion: float = _param(0.05, 0.0, 1.0, meaning="monthly pull of trust in the municipality toward contacts' trust", kind="behaviour")
    generalised_trust_rate: float = _param(0.01, 0.0, 1.0, meaning="monthly rate at which generalised trust moves toward the level set by volunteering around one", kind="behaviour")
    generalised_trust_floor: float = _param(0.2, 0.0, 1.0, meaning="level generalised trust drifts to with no volunteering in or around one", kind="behaviour")
    volunteering_reference: float = _param(0.5, 0.01, 1.0, meaning="exposure to volunteering (own and contacts') at which generalised trust's target reaches 1", kind="behaviour")
    partner_trust_rate: float = _param(0.05, 0.0, 1.0, meaning="monthly rate at which staff-association trust rises toward experience", kind="behaviour")
    partnership_trust_bonus: float = _param(0.1, 0.0, 1.0, meaning="how much better a partnership is experienced by its association than the same support and control without it", kind="behaviour")
    threat_rate: float = _param(0.1, 0.0, 1.0, meaning="monthly rate at which staff threat moves toward its target", kind="behaviour")
    threat_control_weight: float = _param(0.5, 0.0, 1.0, meaning="how much felt threat raises the control staff exert", kind="behaviour")
    contract_control: float = _param(0.1, 0.0, 1.0, meaning="control added by output measurement in a supplier contract", kind="behaviour")
    association_drift_rate: float = _param(0.03, 0.0, 1.0, meaning="monthly rate of association drift in autonomy, openness (toward its members' mix) and cooperation", kind="behaviour")
    control_autonomy_loss: float = _param(0.5, 0.0, 1.0, meaning="share of its own autonomy an association gives up under full perceived control", kind="behaviour")
    partnership_autonomy_shield: float = _param(0.5, 0.0, 1.0, meaning="share of that loss of autonomy a partnership spares the association", kind="behaviour")
    cooperation_ceiling: float = _param(0.8, 0.0, 1.0, meaning="cooperation associations drift toward with no competition for contracts", kind="behaviour")
    understanding_rate: float = _param(0.03, 0.0, 1.0, meaning="monthly rate at which shared understanding moves toward its target (time, time, time)", kind="behaviour")
    understanding_facilitation_weight: float = _param(0.3, 0.0, 1.0, meaning="weight of facilitation in the shared understanding an association can reach", kind="behaviour")
    understanding_sense_making_weight: float = _param(0.3, 0.0, 1.0, meaning="weight of shared sense-making in the shared understanding an association can reach", kind="behaviour")
    understanding_coordination_weight: float = _param(0.2, 0.0, 1.0, meaning="weight of coordination by steering in the shared understanding an association can reach", kind="behaviour")
    understanding_partnership_weight: float = _param(0.2, 0.0, 1.0, meaning="weight of a partnership in the shared understanding an association can reach", kind="behaviour")
    understanding_cooperation_weight: float = _param(0.4, 0.0, 1.0, meaning="share of the reachable understanding that depends on cooperation between associations (the rest is reached without it)", kind="behaviour")
    complementarity: float = _param(0.5, 0.0, 5.0, meaning="gamma at the start: how much municipal and civil output complement each other", kind="behaviour")
    complementarity_max: float = _param(2.0, 0.0, 10.0, meaning="highest complementarity reached by learning from collaboration", kind="behaviour")
    synergy_learning_rate: float = _param(0.02, 0.0, 1.0, meaning="monthly rate of learning complementarity from collaboration quality", kind="behaviour")
    staff_service_capacity: float = _param(1.0, 0.0, 100.0, meaning="municipal output per citizen per month with no control overhead", kind="behaviour", unit="units/citizen")
    control_cost: float = _param(0.05, 0.0, 1.0, meaning="share of staff output lost to exerting full control", kind="behaviour")
    facilitation_cost: float = _param(0.1, 0.0, 1.0, meaning="share of staff output spent on facilitation and dialogue at full facilitation", kind="behaviour")
    vulnerable_need: float = _param(2.0, 1.0, 10.0, meaning="needs of a vulnerable citizen relative to others' (1)", kind="behaviour")
    hour_value: float = _param(0.1, 0.0, 10.0, meaning="output units of one volunteer hour at baseline effectiveness", kind="behaviour", unit="units/h")
    quick_results_boost: float = _param(0.6, 0.0, 2.0, meaning="extra visible service output per hour under full pressure for quick results", kind="behaviour")

    # --- model 2: the feedbacks the patterns come from (docs/ODD.md, section 4) ------------------
    recognition_weight: float = _param(0.5, 0.0, 2.0, meaning="how much steering's coordination (direction, infrastructure, legitimacy) is felt as recognition and support: the crowding-in side of steering", kind="behaviour")
    frame_rate: float = _param(0.1, 0.0, 1.0, meaning="monthly rise of a volunteer's transactional frame per unit of perceived control above tolerance (Gneezy & Rustichini 2000)", kind="behaviour")
    frame_unlearning: float = _param(0.05, 0.0, 1.0, meaning="monthly fall of a volunteer's transactional frame per unit of perceived support; the frame does not fade by itself", kind="behaviour")
    frame_weight: float = _param(0.6, 0.0, 1.0, meaning="how far a full transactional frame lowers a person's resting motivation", kind="behaviour")
    contact_rate: float = _param(0.3, 0.0, 1.0, meaning="how much a fully trusting non-volunteer learns of the municipality in a month, relative to a volunteer", kind="behaviour")
    trust_engagement: float = _param(1.0, 0.0, 1.0, meaning="how far a non-volunteer's engagement with the municipality depends on trusting it (1: the distrustful avoid it; 0: all engage alike): the trust trap (Denrell 2005)", kind="behaviour")
    engagement_midpoint: float = _param(0.5, 0.0, 1.0, meaning="trust in the municipality at which a non-volunteer engages with it half as much as one who fully trusts it", kind="behaviour")
    engagement_steepness: float = _param(10.0, 0.0, 100.0, meaning="how sharply engagement falls as trust in the municipality drops below the midpoint", kind="behaviour")
    municipal_trust_readiness: float = _param(0.3, 0.0, 1.0, meaning="weight of trust in the municipality (against motivation and generalised trust) in readiness to join co-creation", kind="behaviour")
    norm_weight: float = _param(0.1, 0.0, 1.0, meaning="weight of the descriptive norm (share of one's contacts volunteering) in readiness to join: conditional cooperation (Fischbacher et al. 2001)", kind="behaviour")
    norm_reference: float = _param(0.5, 0.01, 1.0, meaning="share of contacts volunteering at which the descriptive norm is full", kind="behaviour")
    trust_anchor_weight: float = _param(0.8, 0.0, 1.0, meaning="weight of the country's societal trust in what generalised trust, and what is heard of the municipality, move toward; the rest is one's own experience", kind="behaviour")
    bridging_trust_weight: float = _param(0.4, 0.0, 1.0, meaning="weight of bridging contact (tie weight across groups) against shared activity in the experience that builds generalised trust (Putnam 2000)", kind="behaviour")
    bridging_reference: float = _param(0.3, 0.01, 1.0, meaning="share of one's tie weight across groups at which bridging contact counts fully", kind="behaviour")
    outreach_per_association: float = _param(0.3, 0.0, 10.0, meaning="asks an association makes per month through outreach whatever its size: the density of associations (per citizen) reaches citizens; keep associations per citizen when comparing population sizes", kind="behaviour")
    outgroup_join_penalty: float = _param(0.3, 0.0, 1.0, meaning="how much less likely an asked citizen is to join an association grown out of another group (social distance)", kind="behaviour")
    yield_selection: float = _param(1.0, 0.0, 1.0, meaning="how far pressure for quick results makes outreach weigh a second, own-group candidate and ask the likelier recruit (cream-skimming)", kind="behaviour")
    contract_funding: float = _param(1.0, 0.0, 20.0, meaning="resources a supplier contract pays an association for service delivered, relative to what its members bring at an average size (resource dependence, Pfeffer & Salancik 1978)", kind="behaviour")
    poaching_share: float = _param(0.5, 0.0, 1.0, meaning="share of the outreach of an association holding a supplier contract that goes to other associations' volunteers instead of citizens not yet volunteering, at full contract competition (competition for the same volunteers; the outreach actually diverted is this times contract_competition)", kind="behaviour")
    orientation_adjustment: float = _param(0.3, 0.0, 1.0, meaning="monthly rate at which an association re-plans its mix of service and voice work to its resources and members", kind="behaviour")
    fit_weight: float = _param(0.6, 0.0, 1.0, meaning="how much a mismatch between a volunteer's preference and the association's orientation lowers motivation and joining: member turnover", kind="behaviour")

    # --- model 3: the municipality as an actor with a budget (issue 11; docs/ODD.md, section 7.4) -------
    contract_management_cost: float = _param(0.05, 0.0, 1.0, meaning="share of staff time spent tendering and managing contracts when every association is a supplier", kind="behaviour")
    measurement_cost: float = _param(0.05, 0.0, 1.0, meaning="share of staff time spent measuring and reporting output under full pressure for quick results", kind="behaviour")
    contract_price: float = _param(0.5, 0.0, 10.0, meaning="budget paid per unit of service output delivered under a supplier contract, in units of what a unit of staff output costs (1)", kind="behaviour", unit="budget/unit")
    staffing_adjustment_rate: float = _param(0.02, 0.0, 1.0, meaning="monthly rate at which staffing moves toward what the municipality keeps once volunteers' service substitutes staff work", kind="behaviour")
    steering_response: float = _param(0.1, 0.0, 1.0, meaning="how strongly the municipality adapts its steering to a shortfall of measured service output against its target (0: it never adapts; the control spiral is switched off)", kind="behaviour")
    steering_relaxation: float = _param(0.02, 0.0, 1.0, meaning="monthly return of steering and facilitation toward their policy settings while the service target is met", kind="behaviour")
    service_ambition: float = _param(0.0, -0.5, 1.0, meaning="the municipality's target for measured service output, relative to the output it measured at the start (0: keep what it had)", kind="behaviour")
    aspiration_rate: float = _param(0.01, 0.0, 1.0, meaning="monthly rate at which the service target follows the output achieved (aspiration adaptation, Cyert & March 1963): a slow target absorbs small shortfalls, a spiral outruns it", kind="behaviour")
    threat_saturation: float = _param(0.25, 0.01, 1.0, meaning="substitution of staff work by volunteers (core tasks taken over plus staff cut) at which staff threat reaches its full sensitivity", kind="behaviour")
    threat_withholding: float = _param(0.5, 0.0, 1.0, meaning="how far staff who feel fully threatened withhold information and joint work: support offered and the shared understanding reachable fall by this share", kind="behaviour")
    joint_activity_rate: float = _param(0.3, 0.0, 1.0, meaning="share of a volunteer's new ties formed in joint activities with other associations' volunteers, at full cooperation between associations", kind="behaviour")
    voice_reference: float = _param(0.2, 0.01, 10.0, meaning="democratic voice (expressive activity per citizen) at which the municipality knows its citizens' needs fully", kind="behaviour")
    needs_knowledge_rate: float = _param(0.05, 0.0, 1.0, meaning="monthly rate at which the municipality's knowledge of citizens' needs moves toward what voice tells it", kind="behaviour")
    needs_fit_weight: float = _param(0.3, 0.0, 1.0, meaning="share of municipal output that misses citizens' needs when the municipality knows nothing of them (fit of services to needs)", kind="behaviour")

    # --- scheduled lever changes ------------------------------------------------------------
    policy_schedule: tuple[PolicyChange, ...] = field(
        default=(),
        metadata={"range": (None, None), "kind": "schedule", "choices": None, "unit": "",
                  "meaning": "lever changes at given months, e.g. steering raised at 24, lowered at 60"},
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.name == "policy_schedule":
                continue
            _check_value(f, getattr(self, f.name))
        if not isinstance(self.policy_schedule, tuple):
            raise ParameterError(f"policy_schedule: expected a tuple of PolicyChange, got {_shown(self.policy_schedule)}; "
                                 "make_parameters(policy_schedule=[...]) builds it from a list of tables")
        changed: set[tuple[int, str]] = set()
        for change in self.policy_schedule:
            if not isinstance(change, PolicyChange):
                raise ParameterError(f"policy_schedule: expected PolicyChange entries, got {_shown(change)}")
            if not 1 <= change.step <= self.steps:
                raise ParameterError(
                    f"policy_schedule: a change at step {change.step} lies outside the run's horizon "
                    f"(allowed: 1 to steps = {self.steps})"
                )
            for name, _value in change.changes:
                if (change.step, name) in changed:
                    raise ParameterError(
                        f"policy_schedule: {name!r} is changed twice at step {change.step}; which value is meant cannot "
                        "be told. Give each lever one change per step."
                    )
                changed.add((change.step, name))

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping of every parameter (the schedule as a list of flat tables)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["policy_schedule"] = [c.as_dict() for c in self.policy_schedule]
        return d

    def levers(self) -> dict[str, Any]:
        """The current lever values."""
        return {name: getattr(self, name) for name in LEVERS}

    def with_levers(self, **changes: Any) -> Parameters:
        """A copy with levers changed; setting ``governance_mode`` applies its preset first."""
        for name in changes:
            if name not in LEVERS:
                raise ParameterError(f"{name!r} is not a lever{suggest(name, LEVERS)}; levers: {', '.join(LEVERS)}")
        values = {}
        if "governance_mode" in changes:
            mode = coerce_value("governance_mode", changes["governance_mode"])
            values.update(GOVERNANCE_MODES[mode])
        values.update({k: coerce_value(k, v) for k, v in changes.items()})
        return dataclasses.replace(self, **values)


FIELDS: dict[str, dataclasses.Field] = {f.name: f for f in dataclasses.fields(Parameters)}
LEVERS: tuple[str, ...] = tuple(n for n, f in FIELDS.items() if f.metadata["kind"] == "lever")

#: Governance modes: named presets of lever values (MODEL.md, "Governance modes").
GOVERNANCE_MODES: dict[str, dict[str, Any]] = {
    "hierarchy": dict(
        governance_mode="hierarchy", steering_intensity=0.7, facilitation=0.15, quick_results_pressure=0.3,
        sense_making=0.2, threat_sensitivity=0.5, targeting=0.3, contract_competition=0.0,
        linear_thinking=True, relation_offered="none", volunteer_substitution=0.1,
    ),
    "npm": dict(
        governance_mode="npm", steering_intensity=0.5, facilitation=0.2, quick_results_pressure=0.7,
        sense_making=0.2, threat_sensitivity=0.5, targeting=0.3, contract_competition=0.7,
        linear_thinking=True, relation_offered="supplier", volunteer_substitution=0.6,
    ),
    "npg": dict(
        governance_mode="npg", steering_intensity=0.2, facilitation=0.7, quick_results_pressure=0.2,
        sense_making=0.7, threat_sensitivity=0.5, targeting=0.7, contract_competition=0.1,
        linear_thinking=False, relation_offered="partnership", volunteer_substitution=0.1,
    ),
}


def _shown(value: Any) -> str:
    """``value`` as a message shows it: its repr, shortened; a huge whole number by its size, not its digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"a whole number of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}... ({len(text)} characters)"


def _whole_month(step: Any) -> int:
    """``step`` as a plain int if it is a whole number of months (numpy integers, integral floats), else ParameterError."""
    if isinstance(step, (numbers.Integral, float, np.floating)) and not isinstance(step, (bool, np.bool_)):
        if isinstance(step, numbers.Integral):
            return int(step)
        if float(step).is_integer():
            return int(step)
    raise ParameterError(f"'step' must be a whole number of months, got {_shown(step)}")


def _checked_change(step: Any, changes: Any) -> tuple[int, tuple[tuple[str, Any], ...]]:
    """The month and the (lever, value) pairs of one policy change, checked and converted (the one rule for both)."""
    step = _whole_month(step)
    if isinstance(changes, Mapping):
        pairs = list(changes.items())
    elif isinstance(changes, (list, tuple)) and all(isinstance(c, (list, tuple)) and len(c) == 2 for c in changes):
        pairs = [tuple(c) for c in changes]
    else:
        raise ParameterError(f"expected the levers to change as (lever, value) pairs or a mapping, got {_shown(changes)}")
    if not pairs:
        raise ParameterError("names no lever to change")
    seen: set[str] = set()
    out = []
    for name, value in pairs:
        if not isinstance(name, str) or name not in LEVERS:
            raise ParameterError(f"{_shown(name)} is not a lever{suggest(str(name), LEVERS)}; levers: {', '.join(LEVERS)}")
        if name in seen:
            raise ParameterError(f"changes {name!r} twice")
        seen.add(name)
        out.append((name, coerce_value(name, value)))
    return step, tuple(out)


def allowed(name: str) -> str:
    """Human description of the allowed values of parameter ``name``."""
    f = FIELDS[name]
    if f.metadata["choices"]:
        return "one of " + ", ".join(repr(c) for c in f.metadata["choices"])
    if f.type in ("bool", bool):
        return "true or false"
    lo, hi = f.metadata["range"]
    kind = "a whole number" if f.type in ("int", int) else "a number"
    return f"{kind} from {lo} to {hi}"


def _check_value(f: dataclasses.Field, value: Any) -> None:
    name, typ = f.name, f.type
    bad = ParameterError(f"parameter {name!r} = {_shown(value)} is not allowed: expected {allowed(name)}")
    if typ in ("bool", bool):
        if not isinstance(value, bool):
            raise bad
        return
    if typ in ("str", str):
        if value not in f.metadata["choices"]:
            raise bad
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad
    if typ in ("int", int) and not isinstance(value, int):
        raise bad
    lo, hi = f.metadata["range"]
    if not (lo <= value <= hi):  # also rejects NaN
        raise bad


#: Text (a command line, a text box) for a whole number and for a number: plain decimal notation.
_DECIMAL_INT = re.compile(r"[+-]?[0-9]+")
#: More digits than any whole-number parameter's range allows (the largest bound, 2**63 - 1, has 19).
_MAX_WHOLE_DIGITS = 19
_DECIMAL_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _parse_text(f: dataclasses.Field, text: str) -> Any:
    """A value typed as text (a command line, a text box), in the declared type of ``f``.

    Whole numbers in plain decimal (``200``; not ``0x10``, ``1_000`` or ``2e2``), numbers in
    decimal or exponent notation (``0.5``, ``1e-3``), ``true``/``false``. Anything else
    (``0.5 # note``) is refused.
    """
    value = text.strip()
    if f.type in ("bool", bool):
        if value.lower() not in ("true", "false"):
            raise ParameterError(f"parameter {f.name!r} = {_shown(text)} is not allowed: expected {allowed(f.name)}")
        return value.lower() == "true"
    whole = f.type in ("int", int)
    if not (_DECIMAL_INT if whole else _DECIMAL_FLOAT).fullmatch(value):
        raise ParameterError(f"parameter {f.name!r} = {_shown(text)} is not allowed: expected {allowed(f.name)} "
                             "in plain decimal notation")
    if whole and len(value.lstrip("+-").lstrip("0")) > _MAX_WHOLE_DIGITS:
        # longer than any declared range allows (and than Python converts from text): out of range, said without the digits
        raise ParameterError(f"parameter {f.name!r} = {_shown(text)} is not allowed: expected {allowed(f.name)}")
    return int(value) if whole else float(value)


def coerce_value(name: str, value: Any) -> Any:
    """Convert ``value`` to the declared type of parameter ``name`` and check it.

    Accepts the text a command line or a text box gives (``"0.5"``, ``"true"``, ``"12"``; see
    :func:`_parse_text`), integral floats for whole-number parameters (a slider's ``10.0``),
    and ints for floats. Raises :class:`ParameterError` naming the parameter, the value and
    what is allowed.
    """
    if name not in FIELDS or name == "policy_schedule":
        raise ParameterError(f"unknown parameter {name!r}{suggest(name, FIELDS)}")
    f = FIELDS[name]
    typ = f.type
    v = value
    if isinstance(v, str) and typ not in ("str", str):
        v = _parse_text(f, v)
    # numpy scalars (a value taken from an array) count as the plain number or truth value they hold
    if isinstance(v, np.bool_):
        v = bool(v)
    elif isinstance(v, numbers.Integral) and not isinstance(v, bool):
        v = int(v)
    elif isinstance(v, np.floating):
        v = float(v)
    if typ in ("int", int) and isinstance(v, float) and not isinstance(v, bool) and v.is_integer():
        v = int(v)
    if typ in ("float", float) and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    _check_value(f, v)
    return v


def parse_policy_schedule(entries: Any) -> tuple[PolicyChange, ...]:
    """Build a schedule from flat tables like ``{"step": 24, "steering_intensity": 0.9}`` (or PolicyChange objects).

    The changes are sorted by month, keeping the given order within a month.
    """
    if isinstance(entries, (str, bytes, Mapping)) or not isinstance(entries, Iterable):
        raise ParameterError(f"policy_schedule: expected a list of changes, each a table like "
                             f"{{'step': 24, 'steering_intensity': 0.9}}, got {_shown(entries)}")
    schedule = []
    for i, entry in enumerate(entries):
        if isinstance(entry, PolicyChange):
            schedule.append(entry)
            continue
        if not isinstance(entry, Mapping):
            raise ParameterError(f"policy_schedule entry {i + 1}: expected a table with 'step' and levers, got {_shown(entry)}")
        entry = dict(entry)
        step = entry.pop("step", None)
        try:
            step, changes = _checked_change(step, entry)
        except ParameterError as exc:
            where = f" (step {_shown(step)})" if isinstance(step, (int, float)) and not isinstance(step, bool) else ""
            raise ParameterError(f"policy_schedule entry {i + 1}{where}: {exc}") from None
        schedule.append(PolicyChange(step=step, changes=changes))
    return tuple(sorted(schedule, key=lambda c: c.step))


def make_parameters(**kwargs: Any) -> Parameters:
    """Validated parameters: defaults, then the governance mode's preset, then every override.

    Unknown names are rejected with the closest valid name; values are coerced and checked
    against their declared range. ``policy_schedule`` may be given as PolicyChange objects or
    as flat tables (see :func:`parse_policy_schedule`).
    """
    unknown = [k for k in kwargs if k not in FIELDS]
    if unknown:
        name = unknown[0]
        raise ParameterError(f"unknown parameter {name!r}{suggest(name, FIELDS)}")
    values: dict[str, Any] = {}
    mode = coerce_value("governance_mode", kwargs.get("governance_mode", FIELDS["governance_mode"].default))
    values.update(GOVERNANCE_MODES[mode])
    for k, v in kwargs.items():
        if k == "policy_schedule":
            values[k] = parse_policy_schedule(() if v is None else v)
        elif v is not None or k != "seed":
            values[k] = coerce_value(k, v)
    return Parameters(**values)


def describe(name: str) -> dict[str, Any]:
    """Default, allowed values, meaning, kind and unit of one parameter (for CLI, ODD, sliders)."""
    f = FIELDS[name]
    return {
        "name": name,
        "default": f.default,
        "allowed": allowed(name) if name != "policy_schedule" else "list of {step, lever = value}",
        "range": f.metadata["range"],
        "choices": f.metadata["choices"],
        "meaning": f.metadata["meaning"],
        "kind": f.metadata["kind"],
        "unit": f.metadata["unit"],
        "type": f.type if isinstance(f.type, str) else f.type.__name__,
    }


def parameter_table_markdown() -> str:
    """The parameter table of docs/ODD.md, generated from the declarations."""
    lines = ["| parameter | kind | default | allowed | unit | meaning |", "|---|---|---|---|---|---|"]
    for name in FIELDS:
        d = describe(name)
        default = d["default"]
        default = "npg preset" if d["kind"] == "lever" and name != "governance_mode" else repr(default)
        lines.append(f"| `{name}` | {d['kind']} | {default} | {d['allowed']} | {d['unit']} | {d['meaning']} |")
    lines.append("")
    lines.append("Lever presets of the governance modes (any lever can be overridden on top of a mode):")
    lines.append("")
    modes = list(GOVERNANCE_MODES)
    lines.append("| lever | " + " | ".join(modes) + " |")
    lines.append("|---|" + "---|" * len(modes))
    for lever in LEVERS:
        lines.append(f"| `{lever}` | " + " | ".join(repr(GOVERNANCE_MODES[m][lever]) for m in modes) + " |")
    return "\n".join(lines) + "\n"

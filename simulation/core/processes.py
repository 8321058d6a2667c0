"""The eleven processes of a month, in the order they run (MODEL.md, "Processes").

:data:`PROCESSES` is that order, declared once: :meth:`CoCreationModel.step
<simulation.core.model.CoCreationModel.step>` runs its records one after the other, and
docs/ODD.md's submodel section is generated from it. Each function models one mechanism over
all agents of a kind at once, with its equation in the docstring. ``W`` is the
:class:`~simulation.core.state.World`, ``p`` the current
:class:`~simulation.core.parameters.Parameters` (levers included), ``rng`` the process's own
random stream. Symbols: s steering intensity, f facilitation, q pressure for quick results,
kappa perceived control, sigma perceived support, m motivation, t trust in the municipality,
g generalised trust. Every number in an equation is a declared parameter; what is left
(0.5 as "neutral", means of two quantities, clips to [0, 1], guards against dividing by
zero) is arithmetic, not a model constant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from simulation.core.parameters import Parameters
from simulation.core.state import (
    CHANNEL_ASKED,
    CHANNEL_NONE,
    CHANNEL_OWN_INITIATIVE,
    NO_RELATION,
    PARTNERSHIP,
    RELATIONS,
    SUPPLIER,
    World,
    clip01,
    member_mix,
    readiness,
)


class RunningModel(Protocol):
    """What a process needs of the running model (:class:`~simulation.core.model.CoCreationModel` has it)."""

    world: World
    parameters: Parameters  # as the run started, with its policy schedule
    p: Parameters  # the levers in force now
    streams: dict[str, np.random.Generator]
    steps: int
    lever_log: list[tuple[int, str, Any]]


@dataclass(frozen=True)
class Process:
    """One process of the month: its title in MODEL.md and the ODD, and the function that models it.

    Attributes:
        title: numbered domain name, e.g. ``"3. Motivation crowding"``.
        function: called as ``function(W, p)``, ``function(W, p, rng)`` when it draws from the
            random stream named ``stream``, or ``function(model)`` when ``on_model`` (the policy,
            which changes the levers in force).
        stream: name of the model's random stream the process draws from (None: it draws nothing).
        on_model: the function acts on the running model rather than on the world.
    """

    title: str
    function: Callable[..., None]
    stream: str | None = None
    on_model: bool = False

    def run(self, model: RunningModel) -> None:
        """Run this process once on ``model``'s world under the levers in force."""
        if self.on_model:
            self.function(model)
        elif self.stream is None:
            self.function(model.world, model.p)
        else:
            self.function(model.world, model.p, model.streams[self.stream])


def coordination(s: float, p: Parameters) -> float:
    """Share of the coordination gain that steering lends: ``1 - exp(-s / s0)`` (diminishing returns)."""
    return float(1.0 - np.exp(-s / p.coordination_scale))


def apply_policy(model: RunningModel) -> None:
    """1. Policy: the lever changes scheduled for this month take effect.

    levers(month) = levers(month - 1), updated by every change of the policy schedule at this month
    (setting a governance mode applies its preset of levers first). Each change is logged.
    """
    for change in model.parameters.policy_schedule:
        if change.step == model.steps:
            model.p = model.p.with_levers(**dict(change.changes))
            model.lever_log.extend((model.steps, k, v) for k, v in change.changes)


def offer_relation(W: World, p: Parameters) -> None:
    """1. Policy (continued): every association takes the relation the municipality offers now.

    relation_a = relation_offered   (none | supplier | partnership)
    A change of ``relation_offered`` during a run (by the policy schedule, a change of
    governance mode, or live) renegotiates every association's relation from that month on.
    """
    W.associations.relation[:] = RELATIONS.index(p.relation_offered)


def perceive_steering(W: World, p: Parameters) -> None:
    """2. Steering felt: staff exert control; associations perceive control and support.

    Levers in force      s = clip(s_lever + adj_s),  f = clip(f_lever + adj_f)   (adj: the municipality's own
                         adjustments of its last review, process 11)
    Staff control        c_s = 1 - (1 - s)(1 - quick_results_control * q)(1 - threat_control_weight * threat_s)
    Perceived control    kappa_a = min(1, x_a c_s(a) + contract_control * [supplier])
                                   * (1 - b * autonomy_a) * (1 - b * partner_trust_a)
    Coordination         coord = 1 - exp(-s / s0)    (diminishing returns),  e = 1 + coordination_gain * coord
    Perceived support    sigma_a = min(1, f * ((1 - w_skill) + w_skill * skill_s(a)) (1 - w_th threat_s(a))
                                          + recognition_weight * coord) * (1 - kappa_a)
                         (direction, infrastructure and legitimacy are felt as recognition: the
                         crowding-in side of steering; support given under heavy control is felt
                         as control, not support)

    Steering is both coordination (e, the rising side of the inverted U) and control
    (kappa, felt as distrust above a tolerance). b is ``control_buffering``; x_a is
    ``unrelated_control_exposure`` for an association with no relation to the municipality, else 1;
    w_skill is ``facilitation_skill_weight``; w_th is ``threat_withholding``: threatened staff
    withhold information and joint work.
    """
    st, a, mu = W.staff, W.associations, W.municipality
    mu.steering = float(clip01(p.steering_intensity + mu.steering_adjustment))
    mu.facilitation = float(clip01(p.facilitation + mu.facilitation_adjustment))
    st.control = 1.0 - (1.0 - mu.steering) * (1.0 - p.quick_results_control * p.quick_results_pressure) * (
        1.0 - p.threat_control_weight * st.threat
    )
    exposure = np.where(a.relation == NO_RELATION, p.unrelated_control_exposure, 1.0)
    exerted = np.minimum(1.0, exposure * st.control[a.staff] + p.contract_control * (a.relation == SUPPLIER))
    b = p.control_buffering
    a.control_felt = exerted * (1.0 - b * a.autonomy) * (1.0 - b * a.partner_trust)
    w_skill = p.facilitation_skill_weight
    mu.coordination = coordination(mu.steering, p)
    mu.effectiveness = 1.0 + p.coordination_gain * mu.coordination
    withheld = 1.0 - p.threat_withholding * st.threat[a.staff]
    offered = (mu.facilitation * ((1.0 - w_skill) + w_skill * st.facilitation_skill[a.staff]) * withheld
               + p.recognition_weight * mu.coordination)
    a.support_felt = np.minimum(1.0, offered) * (1.0 - a.control_felt)


def crowd_motivation(W: World, p: Parameters) -> None:
    """3. Motivation crowding in and out (Frey & Jegen 2001), with a resting point and a frame.

    Volunteers:  dm = a_in * sigma * t * (1 - m)
                      - a_out * (1 + rho * asked) * max(0, kappa - kappa*) * m
                      + d_v * (rest_i - m)
    Others:      dm = d_c * (rest_i - m)
    Resting point      rest_i = m0_i (1 - frame_weight * phi_i) (1 - fit_weight |pi_i - o_a| [volunteer of a])
    Frame (volunteers) dphi = frame_rate * max(0, kappa - kappa*) (1 - phi) - frame_unlearning * sigma * phi

    The transactional frame phi (Gneezy & Rustichini 2000) is built by control above the
    tolerance and unlearned only through support while volunteering; it does not fade by
    itself, so it stays with those who quit and keeps their motivation low. A volunteer whose
    preference pi for service over voice work differs from the association's orientation o
    rests lower (fit): the turnover that makes who stays and who joins follow what an
    association does.

    Crowding out is proportional to m, so it hits the highly motivated harder, and is
    stronger (factor 1 + rho) for volunteers who joined because they were asked, by a contact
    or by their association's outreach: a personal relation (asked = 1 for them, else 0).
    Crowding in needs trust: recognition from a municipality one distrusts (t, trust in
    the municipality) motivates little, so motivation recovers only as trust is rebuilt.
    """
    c, a = W.citizens, W.associations
    vol = c.volunteer
    m = c.motivation
    idx = np.flatnonzero(vol)
    aa = c.association[idx]
    kappa, sigma = a.control_felt[aa], a.support_felt[aa]
    rest = c.baseline_motivation * (1.0 - p.frame_weight * c.frame)
    rest[idx] *= 1.0 - p.fit_weight * np.abs(c.service_preference[idx] - a.orientation[aa])
    drift = np.where(vol, p.motivation_drift_volunteer, p.motivation_drift_citizen) * (rest - m)
    personal = 1.0 + p.personal_relation_crowding * (c.channel[idx] == CHANNEL_ASKED)
    dm = drift
    dm[idx] += p.crowding_in_rate * sigma * c.trust_municipality[idx] * (1.0 - m[idx]) - p.crowding_out_rate * personal * np.maximum(
        0.0, kappa - p.control_tolerance
    ) * m[idx]
    c.motivation = clip01(m + dm)
    phi = c.frame[idx]
    c.frame[idx] = clip01(phi + p.frame_rate * np.maximum(0.0, kappa - p.control_tolerance) * (1.0 - phi)
                          - p.frame_unlearning * sigma * phi)


def give_hours(W: World, p: Parameters) -> np.ndarray:
    """Hours of every volunteer this month, from motivation and perceived autonomy.

    Perceived autonomy   alpha_i = autonomy_a * (1 - max(0, kappa_a - kappa*) / (1 - kappa*))
    Hours                h_i = max_hours * m_i * alpha_i

    Returns the volunteers' row indices.
    """
    c, a = W.citizens, W.associations
    idx = np.flatnonzero(c.volunteer)
    aa = c.association[idx]
    # 1e-9: a guard against dividing by zero at control_tolerance = 1, not a model constant
    excess = np.maximum(0.0, a.control_felt[aa] - p.control_tolerance) / max(1e-9, 1.0 - p.control_tolerance)
    c.autonomy[idx] = a.autonomy[aa] * (1.0 - np.minimum(1.0, excess))
    c.hours[idx] = p.max_hours * c.motivation[idx] * c.autonomy[idx]
    return idx


def contribute_and_quit(W: World, p: Parameters, rng: np.random.Generator) -> None:
    """4. Contribution and quitting.

    Hours as in :func:`give_hours`: h_i = max_hours * m_i * alpha_i, alpha_i the perceived
    autonomy (the association's autonomy, reduced by control above the tolerance).
    Quitting             quits if m_i < m_quit, else with probability
                         base_quit_rate + quit_trust_autonomy_rate * (1 - tau_i * alpha_i),
                         tau_i = (t_i + g_i) / 2   (low-trust volunteers quit more; Bekkers 2012)
    Every volunteer of the month, quitting or not, has volunteered this month
    (months_since_volunteered = 0); everyone else's count grows by one.
    """
    c, mu = W.citizens, W.municipality
    idx = give_hours(W, p)
    c.months_since_volunteered += 1
    c.months_since_volunteered[idx] = 0
    alpha = c.autonomy[idx]
    tau = 0.5 * (c.trust_municipality[idx] + c.generalised_trust[idx])
    p_quit = p.base_quit_rate + p.quit_trust_autonomy_rate * (1.0 - tau * alpha)
    quits = (c.motivation[idx] < p.quit_motivation_threshold) | (rng.random(len(idx)) < p_quit)
    c.months_active[idx[~quits]] += 1
    end_volunteering(W, idx[quits])
    mu.quit = int(quits.sum())


def end_volunteering(W: World, who: np.ndarray) -> None:
    """Return citizens ``who`` from the volunteer role to the citizen role."""
    c = W.citizens
    c.volunteer[who] = False
    c.association[who] = -1
    c.hours[who] = 0.0
    c.autonomy[who] = 0.0
    c.channel[who] = CHANNEL_NONE
    c.months_active[who] = 0


def join_probability(r: np.ndarray, p: Parameters) -> np.ndarray:
    """Logistic readiness to join: ``1 / (1 + exp(-k (r - r0)))`` with r the readiness of :func:`readiness`."""
    return 1.0 / (1.0 + np.exp(-p.join_readiness_steepness * (r - p.join_readiness_midpoint)))


def expected_join(who: np.ndarray, assoc: np.ndarray, ready: np.ndarray, W: World, p: Parameters) -> np.ndarray:
    """How likely citizen ``who`` is to join association ``assoc`` when asked, before tie strength.

    E_ja = L(r_j) (1 - vulnerable_barrier [vulnerable_j] (1 - openness_a))
                  (1 - outgroup_join_penalty [g_j != g_a]) (1 - fit_weight |pi_j - o_a|)

    L(r_j) is ``ready[who]``; openness_a the mix of a's members (:func:`member_mix`), so a
    mixed association welcomes the vulnerable and other groups more easily.
    """
    c, a = W.citizens, W.associations
    barrier = p.vulnerable_barrier * c.vulnerable[who] * (1.0 - a.openness[assoc])
    distance = p.outgroup_join_penalty * (c.group[who] != a.group[assoc])
    misfit = p.fit_weight * np.abs(c.service_preference[who] - a.orientation[assoc])
    return ready[who] * (1.0 - barrier) * (1.0 - distance) * (1.0 - misfit)


def poach_volunteers(poacher: np.ndarray, ready: np.ndarray, W: World, p: Parameters,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Competition for the same volunteers: associations ``poacher`` each ask a random volunteer of another association.

    A supplier contract pays per unit delivered (step 9), so under competition for contracts an
    association gains from members taken from others: a share poaching_share * contract_competition
    of a supplier's outreach asks goes to a random volunteer instead of to a citizen not yet
    volunteering (:func:`recruit_by_asking`). The volunteer moves with probability

        P = join_probability * E_ja      if E_ja > E_jb, else 0

    (E as in :func:`expected_join`; b the volunteer's own association: nobody moves to an association
    that suits them less). Their ties to former co-volunteers are then no longer strengthened by shared
    activity (step 6). Returns the volunteers who move (each once, to the first successful asker) and
    their new associations.
    """
    c = W.citizens
    volunteers = np.flatnonzero(c.volunteer)
    if len(poacher) == 0 or len(volunteers) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    who = volunteers[rng.integers(0, len(volunteers), len(poacher))]
    current = c.association[who]
    offer = expected_join(who, poacher, ready, W, p)
    moves = (poacher != current) & (offer > expected_join(who, current, ready, W, p))
    moves &= rng.random(len(who)) < p.join_probability * offer
    moved, first = np.unique(who[moves], return_index=True)
    return moved, poacher[moves][first]


def recruit_by_asking(W: World, p: Parameters, rng: np.random.Generator) -> None:
    """5. Recruitment: being asked through ties and by outreach, and own initiative.

    Each volunteer asks each contact j with probability asks_per_volunteer / degree_i;
    each association makes Poisson(outreach_per_association + outreach_per_member * members)
    outreach asks (so the density of associations, per citizen, reaches citizens), to a random citizen of any group with probability targeting, else of its
    own group. Under pressure for quick results an outreach ask, with probability
    yield_selection * q, weighs a second candidate from its own group and asks whichever is
    likelier to join (cream-skimming: similar, ready, not vulnerable). An asked citizen joins
    the asker's association with probability

        P = join_probability * w_ij * E_ja,   E_ja as in :func:`expected_join`

    (w_ij = 1 for outreach). A non-volunteer also joins on own initiative with probability
    self_join_rate * L(r_j), an association of its own group. The channel (asked / own
    initiative) is recorded. Readiness r_j includes the descriptive norm among j's contacts
    (:func:`readiness`), so joining is conditional cooperation. Under competition for contracts a
    supplier's outreach ask goes, with probability poaching_share * contract_competition, to another
    association's volunteer instead (:func:`poach_volunteers`).
    """
    c, a, T, mu = W.citizens, W.associations, W.ties, W.municipality
    n = c.n
    vol = c.volunteer
    ready = join_probability(readiness(c.motivation, c.generalised_trust, c.trust_municipality, c.peer_volunteering, p), p)

    # asks along ties, in both directions of every tie
    ask_rate = p.asks_per_volunteer / np.maximum(T.degree(), 1)  # per contact, by the asker
    vol_u, vol_v = vol[T.u], vol[T.v]
    # ties from a volunteer to a non-volunteer, each way, by position
    up, down = np.flatnonzero(vol_u > vol_v), np.flatnonzero(vol_v > vol_u)
    asker = np.concatenate((T.u[up], T.v[down]))
    is_ask = np.flatnonzero(rng.random(len(asker)) < ask_rate[asker])
    tie = np.concatenate((up, down))[is_ask]
    asker = asker[is_ask]
    asked = np.where(is_ask < len(up), T.v[tie], T.u[tie])
    w = T.w[tie]
    ask_assoc = c.association[asker]

    # outreach asks by associations
    n_out = rng.poisson(p.outreach_per_association + p.outreach_per_member * a.members)
    out_assoc = np.repeat(np.arange(a.n), n_out)
    # competition for the same volunteers: part of a supplier's outreach goes to other associations' volunteers
    poach_share = p.poaching_share * p.contract_competition * (a.relation == SUPPLIER)
    poacher = np.zeros(0, dtype=np.int64)
    if poach_share.any():  # no draw otherwise: runs without supplier contracts keep their random numbers
        poaching = rng.random(len(out_assoc)) < poach_share[out_assoc]
        poacher, out_assoc = out_assoc[poaching], out_assoc[~poaching]
    wide = rng.random(len(out_assoc)) < p.targeting
    out_target = np.empty(len(out_assoc), dtype=np.int64)
    out_target[wide] = rng.integers(0, n, int(wide.sum()))
    narrow = ~wide
    out_target[narrow] = c.by_group.draw(a.group[out_assoc[narrow]], rng)
    # quick results: weigh a second, own-group candidate and ask the likelier recruit
    second = c.by_group.draw(a.group[out_assoc], rng)
    weighs = rng.random(len(out_assoc)) < p.yield_selection * p.quick_results_pressure
    likelier = expected_join(second, out_assoc, ready, W, p) > expected_join(out_target, out_assoc, ready, W, p)
    out_target = np.where(weighs & likelier, second, out_target)
    keep = ~vol[out_target]
    out_assoc, out_target = out_assoc[keep], out_target[keep]

    poached, new_assoc = poach_volunteers(poacher, ready, W, p, rng)  # among those volunteering before this month's joins

    target = np.concatenate((asked, out_target))
    assoc = np.concatenate((ask_assoc, out_assoc))
    strength = np.concatenate((w, np.ones(len(out_target))))
    p_join = p.join_probability * strength * expected_join(target, assoc, ready, W, p)
    success = rng.random(len(target)) < p_join
    target, assoc = target[success], assoc[success]
    # a citizen asked successfully more than once joins the first asker's association
    joined, first = np.unique(target, return_index=True)
    c.volunteer[joined] = True
    c.association[joined] = assoc[first]
    c.channel[joined] = CHANNEL_ASKED
    c.months_active[joined] = 0
    mu.joined_asked = len(joined)
    c.association[poached] = new_assoc
    mu.switched = len(poached)

    # own initiative
    candidates = np.flatnonzero(~c.volunteer)
    own = candidates[rng.random(len(candidates)) < p.self_join_rate * ready[candidates]]
    c.volunteer[own] = True
    c.association[own] = a.by_group.draw(c.group[own], rng)
    c.channel[own] = CHANNEL_OWN_INITIATIVE
    c.months_active[own] = 0
    mu.joined_own_initiative = len(own)
    a.members = np.bincount(c.association[c.volunteer], minlength=a.n)


def update_ties(W: World, p: Parameters, rng: np.random.Generator) -> None:
    """6. Ties form and strengthen through shared activity and decay without it.

    Tie between two volunteers of the same association:  w += tie_strengthening * (1 - w)
    Any other tie:                                       w -= tie_decay * w
    Ties with w < tie_drop_threshold are lost. Each volunteer forms, with probability
    tie_formation_rate, a new tie (w = new_tie_weight) with a random co-volunteer of its association:
    bridging where the association mixes groups, bonding where it does not. With probability
    joint_activity_rate * coop_a the tie is formed instead in a joint activity with a random
    volunteer of any association: associations that cooperate bring their members together
    across associations (and so across groups); competition for contracts, lowering
    cooperation (step 9), closes that road to bridging (organisational egoism).
    """
    c, T = W.citizens, W.ties
    both = np.flatnonzero(c.volunteer[T.u] & c.volunteer[T.v])
    together = both[c.association[T.u[both]] == c.association[T.v[both]]]
    w_old = T.w
    w = w_old * (1.0 - p.tie_decay)
    w[together] = w_old[together] + p.tie_strengthening * (1.0 - w_old[together])
    T.w = w
    if p.tie_drop_threshold > 0:
        weak = T.w < p.tie_drop_threshold
        if weak.any():
            T.keep(~weak)
    vols = np.flatnonzero(c.volunteer)
    if len(vols) < 2:
        return
    makers = vols[rng.random(len(vols)) < p.tie_formation_rate]
    if len(makers) == 0:
        return
    by_assoc = np.sort(c.association[vols] * c.n + vols) % c.n  # by association, then by index
    counts = np.bincount(c.association[vols], minlength=W.associations.n)
    start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    ma = c.association[makers]
    partner = by_assoc[start[ma] + (rng.random(len(makers)) * counts[ma]).astype(np.int64)]
    joint = rng.random(len(makers)) < p.joint_activity_rate * W.associations.cooperation[ma]
    partner[joint] = vols[rng.integers(0, len(vols), int(joint.sum()))]
    T.add(makers, partner, p.new_tie_weight)  # a volunteer drawn as its own partner forms no tie


def update_trust(W: World, p: Parameters) -> None:
    """7. Trust: learning from experience as far as one engages, diffusion over ties, a societal anchor.

    Experience      x_i = clip(0.5 + e (sigma_a - kappa_a))  for a volunteer of association a
                    x_i = w_a T + (1 - w_a) (w_own needs_met_i + (1 - w_own) clip(0.5 + e (mean sigma - mean kappa)))
                                    for other citizens: what a society with trust condition T
                                    (societal_trust) hears of its institutions, own service, and
                                    the municipality's stance toward civil society as heard
                    e = experience_sensitivity, w_own = own_service_experience_weight,
                    w_a = trust_anchor_weight; 0.5 is neutral
    Engagement      eps_i = 1 for volunteers
                    eps_i = contact_rate ((1 - w_e) + w_e / (1 + exp(-k_e (t_i - t_e))))  for others
                    (w_e = trust_engagement, k_e, t_e engagement steepness and midpoint): those who
                    distrust the municipality avoid it and so learn little of it (the trust trap,
                    Denrell 2005)
    Trust in the municipality:
                    dt = eps_i r (x - t)            if x >= t
                    dt = min(1, eps_i L r) (x - t)  if x <  t (L = trust_loss_ratio; Slovic 1993)
                    t += d (tbar_i - t),  tbar_i the tie-weighted mean of contacts' trust
    Generalised trust (much slower; Bekkers 2012; Putnam 2000):
                    activity_i = min(1, (vol_i + vbar_i) / 2 / v_ref)      vbar_i: share of contacts volunteering
                    bridging_i = min(1, b_i / b_ref)                      b_i: share of tie weight across groups
                    g* = w_a T + (1 - w_a) (g_floor + (1 - g_floor) ((1 - w_b) activity_i + w_b bridging_i))
                    dg = r_g (g* - g)           w_b = bridging_trust_weight
    Partner trust between association a and its staff contact, asymmetric as above:
                    x_a = clip(0.5 + e (sigma_a - kappa_a) + partnership_trust_bonus [partnership])
    vbar_i and b_i are kept for next month's readiness (the descriptive norm).
    """
    c, a, T = W.citizens, W.associations, W.ties
    vol = c.volunteer
    stance = float(experience(a.support_felt.mean() - a.control_felt.mean(), p))
    w_own, w_a = p.own_service_experience_weight, p.trust_anchor_weight
    x = w_a * p.societal_trust + (1.0 - w_a) * (w_own * c.needs_met + (1.0 - w_own) * stance)
    aa = c.association[vol]
    x[vol] = experience(a.support_felt[aa] - a.control_felt[aa], p)
    avoids = 1.0 / (1.0 + np.exp(-p.engagement_steepness * (c.trust_municipality - p.engagement_midpoint)))
    engagement = np.where(vol, 1.0, p.contact_rate * ((1.0 - p.trust_engagement) + p.trust_engagement * avoids))
    c.trust_municipality = _asymmetric_step(c.trust_municipality, x, p.trust_gain_rate * engagement, p.trust_loss_ratio)
    # one pass over the ties: contacts' trust, contacts' volunteering, tie strength
    sums = T.neighbour_sum(np.column_stack((c.trust_municipality, vol, np.ones(c.n))))
    strength = sums[:, 2]
    has = strength > 0
    safe = np.where(has, strength, 1.0)
    tbar = np.where(has, sums[:, 0] / safe, c.trust_municipality)
    c.trust_municipality = clip01(c.trust_municipality + p.trust_diffusion * (tbar - c.trust_municipality))
    vbar = np.where(has, sums[:, 1] / safe, 0.0)
    cross = T.crossing_index(c.group)  # bridging ties
    w_cross = T.w[cross]
    across = np.bincount(T.u[cross], w_cross, minlength=c.n) + np.bincount(T.v[cross], w_cross, minlength=c.n)
    c.peer_volunteering = vbar
    c.bridging_share = np.where(has, across / safe, 0.0)
    activity = np.minimum(1.0, 0.5 * (vol + vbar) / p.volunteering_reference)
    bridging = np.minimum(1.0, c.bridging_share / p.bridging_reference)
    w_b = p.bridging_trust_weight
    lived = p.generalised_trust_floor + (1.0 - p.generalised_trust_floor) * ((1.0 - w_b) * activity + w_b * bridging)
    g_target = w_a * p.societal_trust + (1.0 - w_a) * lived
    c.generalised_trust = clip01(c.generalised_trust + p.generalised_trust_rate * (g_target - c.generalised_trust))
    x_a = experience(a.support_felt - a.control_felt, p, bonus=p.partnership_trust_bonus * (a.relation == PARTNERSHIP))
    a.partner_trust = _asymmetric_step(a.partner_trust, x_a, p.partner_trust_rate, p.trust_loss_ratio)


def experience(balance, p: Parameters, bonus=0.0):
    """Experience of the municipality from the balance of support over control: ``clip(0.5 + e * balance + bonus)``.

    0.5 is a neutral experience; e is ``experience_sensitivity``.
    """
    return clip01(0.5 + p.experience_sensitivity * balance + bonus)


def _asymmetric_step(level: np.ndarray, experience: np.ndarray, rate, loss_ratio: float) -> np.ndarray:
    """Move ``level`` toward ``experience``: at ``rate`` (a number or one per row) when rising, ``loss_ratio`` times faster when falling."""
    r = np.where(experience >= level, rate, np.minimum(1.0, np.multiply(rate, loss_ratio)))
    return clip01(level + r * (experience - level))


def update_staff_threat(W: World, p: Parameters) -> None:
    """8. Staff threat: volunteer substitution of core tasks, unless shared sense-making.

    Substitution     sub_s = min(1, volunteer_substitution * C_service,s / R_s)
                     C_service,s = hour_value * e * sum_i h_i o_a(i) over the volunteers of
                     staff s's associations (service-oriented civil output, without the
                     quick-results boost of step 10); R_s = R_prev * N / n_staff, the
                     municipal output staff s is responsible for, R_prev being last month's
                     municipal output per citizen (outputs are computed in step 10)
    Job threat       cut = 1 - staffing   (the share of its staff the municipality no longer keeps, step 11)
    Target threat    theta*_s = threat_sensitivity * min(1, (sub_s + cut) / threat_saturation) * (1 - sense_making)
                     dtheta = threat_rate (theta* - theta)
    Threat raises control and makes staff withhold information and joint work in the next
    month (see :func:`perceive_steering` and :func:`drift_associations`): a feedback loop
    toward over-steering that shared sense-making and clear roles dampen.
    """
    c, a, st, mu = W.citizens, W.associations, W.staff, W.municipality
    vol = np.flatnonzero(c.volunteer)
    aa = c.association[vol]
    service_hours = np.bincount(aa, c.hours[vol] * a.orientation[aa], minlength=a.n)
    per_staff = np.bincount(a.staff, service_hours, minlength=st.n) * p.hour_value * mu.effectiveness
    staff_capacity = max(mu.municipal_output, 1e-9) * c.n / st.n  # 1e-9: a guard against dividing by zero
    mu.substitution = np.minimum(1.0, p.volunteer_substitution * per_staff / staff_capacity)
    target = p.threat_sensitivity * np.minimum(1.0, (mu.substitution + 1.0 - mu.staffing) / p.threat_saturation) * (1.0 - p.sense_making)
    st.threat = clip01(st.threat + p.threat_rate * (target - st.threat))


def contract_funds(a, member_association: np.ndarray, member_hours: np.ndarray, p: Parameters) -> np.ndarray:
    """What each association's supplier contract pays this month (step 9): competition tenders the same funds by delivery.

    K_a = contract_funding [supplier] ((1 - c) o_a + c obar D_a / Dbar), D_a = o_a hours_a (service
    delivered), hours_a the hours its members (``member_association``, ``member_hours``) gave this month,
    obar and Dbar the suppliers' means, c = contract_competition. Without competition a contract pays for
    the association's orientation to service; with it, the suppliers that deliver most win the funds the
    others lose.
    """
    supplier = a.relation == SUPPLIER
    pay = p.contract_funding * supplier * a.orientation
    c = p.contract_competition
    if c == 0 or not supplier.any():
        return pay
    delivered = a.orientation * np.bincount(member_association, member_hours, minlength=a.n)
    mean_delivered = float(delivered[supplier].mean())
    if mean_delivered <= 0:
        return pay
    tendered = p.contract_funding * supplier * float(a.orientation[supplier].mean()) * delivered / mean_delivered
    return (1.0 - c) * pay + c * tendered


def drift_associations(W: World, p: Parameters) -> None:
    """9. Associations: resource dependence and members set the orientation; autonomy, openness, cooperation, understanding drift.

    Dependence     d_a = K_a / (K_a + M_a),  M_a = members_a / mean members (what members bring)
    Contract funds K_a = contract_funding [supplier] ((1 - c) o_a + c obar D_a / Dbar)  (a supplier contract
                   pays for service delivered; c = contract_competition: the same funds are tendered,
                   so a share c of them goes by the service each supplier delivered, D_a = o_a times
                   its members' hours this month, relative to the suppliers' mean Dbar; obar the
                   suppliers' mean orientation, so the funds in total do not change with c)
    Orientation    o* = (1 - d_a) pibar_a + d_a,  pibar_a the mean preference of a's members for
                   service over voice work (o_own while it has none): resource dependence (Pfeffer &
                   Salancik 1978) and member turnover (who stays and who joins follows the fit, step 3
                   and 5), not a pull written into the target
                   do = orientation_adjustment (o* - o)
    Autonomy       a* = a_own (1 - control_autonomy_loss kappa_a (1 - partnership_autonomy_shield [partnership]))
    Openness       open* = mix_a, how far a's members come from other groups (:func:`member_mix`)
    Cooperation    coop* = cooperation_ceiling (1 - contract_competition [relation != none])
    Autonomy, openness and cooperation move as x += association_drift_rate (x* - x).
    Understanding  u* = (w_f f + w_sm sense_making + w_c coordination(s) + w_p [partnership])
                        * ((1 - w_coop) + w_coop coop) * (1 - w_th threat_s(a))
                   (f and s the levers in force; w_th = threat_withholding: threatened staff share less)
                   du = understanding_rate (u* - u)       (time, time, time)
    w_f, w_sm, w_c, w_p, w_coop are understanding_facilitation_weight, understanding_sense_making_weight,
    understanding_coordination_weight, understanding_partnership_weight, understanding_cooperation_weight.
    """
    a, c = W.associations, W.citizens
    r = p.association_drift_rate
    partner = a.relation == PARTNERSHIP
    vol = np.flatnonzero(c.volunteer)
    aa = c.association[vol]
    mix, members = member_mix(c.group[vol], aa, a.group, a.n, p.n_groups)
    has = members > 0
    preference = np.where(has, np.bincount(aa, c.service_preference[vol], minlength=a.n) / np.maximum(members, 1), a.orientation_own)
    brought = members / max(float(members.mean()), 1e-9)  # 1e-9: a guard against dividing by zero
    paid = contract_funds(a, aa, c.hours[vol], p)
    a.contract_funds = paid
    a.dependence = np.where(paid > 0, paid / np.maximum(paid + brought, 1e-9), 0.0)
    o_target = (1.0 - a.dependence) * preference + a.dependence
    aut_target = a.autonomy_own * (1.0 - p.control_autonomy_loss * a.control_felt * (1.0 - p.partnership_autonomy_shield * partner))
    open_target = np.where(has, mix, a.openness)
    coop_target = p.cooperation_ceiling * (1.0 - p.contract_competition * (a.relation != NO_RELATION))
    a.orientation += p.orientation_adjustment * (o_target - a.orientation)
    a.autonomy += r * (aut_target - a.autonomy)
    a.openness += r * (open_target - a.openness)
    a.cooperation += r * (coop_target - a.cooperation)
    mu = W.municipality
    reachable = (p.understanding_facilitation_weight * mu.facilitation + p.understanding_sense_making_weight * p.sense_making
                 + p.understanding_coordination_weight * mu.coordination
                 + p.understanding_partnership_weight * partner)
    w_coop = p.understanding_cooperation_weight
    u_target = reachable * ((1.0 - w_coop) + w_coop * a.cooperation) * (1.0 - p.threat_withholding * W.staff.threat[a.staff])
    a.understanding = clip01(a.understanding + p.understanding_rate * (u_target - a.understanding))


def produce_outcomes(W: World, p: Parameters) -> None:
    """10. Outcomes, synergy and the budget: co-production with complementarity (Ostrom 1996).

    Staff time        overhead = control_cost * mean staff control + facilitation_cost * f
                                 + contract_management_cost * supplier share + measurement_cost * q
    Municipal output  R = staff_service_capacity * staffing * (1 - overhead)
    Civil output      C = hour_value * e * sum(h) / N
    Service part      C_s = hour_value * e * (1 + quick_results_boost q) * sum(h * o_a) / N
    Quality           Q = member-weighted mean of partner_trust_a * understanding_a
    Learning          gamma += synergy_learning_rate * Q * (gamma_max - gamma), unless linear thinking
    Welfare           Y = R + C + gamma Q sqrt(R C)
    Synergy           Y / (R + C) - 1   (0 when R + C = 0)
    Service output    S = R + C_s + gamma Q sqrt(R C_s)   (what formal output metrics see)
    Needs met         needs_i = 1 - exp(-(R (1 + synergy) fit + served_g(i)) / need_i), need_i = vulnerable_need if vulnerable else 1,
                      served_g the civil service output reaching group g (own group, and
                      everyone in proportion to openness); fit = 1 - needs_fit_weight (1 - K),
                      K the municipality's knowledge of needs (from voice, step 11)
    Budget            spending E = staff_service_capacity * staffing + contract_price * C_s,supplier
                      (staff are paid whatever they spend their time on; a unit of staff output
                      capacity costs 1; contracted service is paid per unit delivered)
                      control spending = staff_service_capacity * staffing * (control_cost * mean control
                                         + measurement_cost * q)
                      facilitation spending = staff_service_capacity * staffing * facilitation_cost * f
    Democratic voice  V = sum over volunteers of (1 - o_a) alpha_i / N (:func:`democratic_voice`)
    """
    c, a, st, mu = W.citizens, W.associations, W.staff, W.municipality
    n = c.n
    vol = np.flatnonzero(c.volunteer)
    aa = c.association[vol]
    h = c.hours[vol]
    staff_time = p.staff_service_capacity * mu.staffing
    supplier = a.relation == SUPPLIER
    control_time = p.control_cost * float(st.control.mean()) + p.measurement_cost * p.quick_results_pressure
    facilitation_time = p.facilitation_cost * mu.facilitation
    overhead = control_time + facilitation_time + p.contract_management_cost * float(supplier.mean())
    mu.municipal_output = staff_time * (1.0 - overhead)
    per_hour = p.hour_value * mu.effectiveness
    mu.civil_output = per_hour * float(h.sum()) / n
    service_by_assoc = np.bincount(aa, h * a.orientation[aa], minlength=a.n) * per_hour * (
        1.0 + p.quick_results_boost * p.quick_results_pressure
    )
    mu.civil_service_output = float(service_by_assoc.sum()) / n
    mu.spending = staff_time + p.contract_price * float(service_by_assoc[supplier].sum()) / n
    mu.control_spending = staff_time * control_time
    mu.facilitation_spending = staff_time * facilitation_time
    mu.democratic_voice = democratic_voice(W)
    members = a.members
    quality = a.partner_trust * a.understanding
    mu.collaboration_quality = float(np.average(quality, weights=members) if members.sum() > 0 else quality.mean())
    if not p.linear_thinking:
        mu.complementarity += p.synergy_learning_rate * mu.collaboration_quality * (p.complementarity_max - mu.complementarity)
    R, C, Q = mu.municipal_output, mu.civil_output, mu.collaboration_quality
    mu.coproduced_welfare = R + C + mu.complementarity * Q * np.sqrt(R * C)
    mu.synergy = float(mu.coproduced_welfare / (R + C) - 1.0) if R + C > 0 else 0.0
    Cs = mu.civil_service_output
    mu.service_output = R + Cs + mu.complementarity * Q * np.sqrt(R * Cs)

    group_size = np.maximum(np.bincount(c.group, minlength=p.n_groups), 1)
    to_own = np.bincount(a.group, service_by_assoc * (1.0 - a.openness), minlength=p.n_groups)
    to_all = float((service_by_assoc * a.openness).sum())
    served = (to_own + to_all * group_size / n) / group_size
    need = np.where(c.vulnerable, p.vulnerable_need, 1.0)
    fit = 1.0 - p.needs_fit_weight * (1.0 - mu.needs_knowledge)
    c.needs_met = 1.0 - np.exp(-(R * (1.0 + mu.synergy) * fit + served[c.group]) / need)


def democratic_voice(W: World) -> float:
    """Expressive activity per citizen: ``V = sum_i (1 - o_a(i)) alpha_i / N`` over volunteers (voice orientation times autonomy)."""
    c, a = W.citizens, W.associations
    idx = np.flatnonzero(c.volunteer)
    return float(((1.0 - a.orientation[c.association[idx]]) * c.autonomy[idx]).sum()) / c.n


def needs_voiced(voice: float, p: Parameters) -> float:
    """What voice tells the municipality of citizens' needs: ``K* = min(1, V / voice_reference)``, V as in :func:`democratic_voice`."""
    return min(1.0, voice / p.voice_reference)


def set_service_target(W: World, p: Parameters) -> None:
    """Month 0, after the first outcomes: the target for measured service output, ``S* = (1 + service_ambition) S_0``."""
    W.municipality.service_target = (1.0 + p.service_ambition) * W.municipality.service_output


def review_municipality(W: World, p: Parameters) -> None:
    """11. Municipal review: the municipality compares measured service with its target and adapts steering, facilitation and staffing.

    Shortfall        short = max(0, 1 - S / S*)
    Over-control     over = max(0, mean kappa_a - kappa*)   (what a municipality that listens hears)
    Listening        l = 0 under linear thinking, else sense_making
    Steering         d adj_s = r_s [q (1 - l) short - l over]  - [short = 0] relax adj_s
    Facilitation     d adj_f = r_s l short                      - [short = 0] relax adj_f
                     (r_s = steering_response, relax = steering_relaxation; s and f in force stay in [0, 1])
    Staffing         staffing* = 1 - volunteer_substitution * min(1, C_s / staff_service_capacity)
                     d staffing = staffing_adjustment_rate (staffing* - staffing)
    Target           dS* = aspiration_rate (S - S*)   (aspirations follow performance, Cyert & March 1963)
    Knowledge        K* = min(1, V / voice_reference),  dK = needs_knowledge_rate (K* - K)

    A municipality under pressure for quick results that does not feed experience back
    (linear thinking) answers a shortfall with more control; if the shortfall comes from
    contributions crowded out by control, control deepens it: the control spiral. One that
    listens (sense-making, feedback) eases control it hears is too much and facilitates more.
    Substitution makes the spiral possible: staff cut where volunteers deliver service leave
    measured output dependent on contributions that control crowds out.
    """
    a, mu = W.associations, W.municipality
    short = max(0.0, 1.0 - mu.service_output / mu.service_target) if mu.service_target > 0 else 0.0
    over = max(0.0, float(a.control_felt.mean()) - p.control_tolerance)
    listening = 0.0 if p.linear_thinking else p.sense_making
    r = p.steering_response
    adj_s = mu.steering_adjustment + r * (p.quick_results_pressure * (1.0 - listening) * short - listening * over)
    adj_f = mu.facilitation_adjustment + r * listening * short
    if short == 0.0:
        adj_s -= p.steering_relaxation * adj_s
        adj_f -= p.steering_relaxation * adj_f
    # the adjustment never pushes the levers in force out of [0, 1]
    mu.steering_adjustment = float(np.clip(adj_s, -p.steering_intensity, 1.0 - p.steering_intensity))
    mu.facilitation_adjustment = float(np.clip(adj_f, -p.facilitation, 1.0 - p.facilitation))
    kept = 1.0 - p.volunteer_substitution * min(1.0, mu.civil_service_output / max(p.staff_service_capacity, 1e-9))
    mu.staffing += p.staffing_adjustment_rate * (kept - mu.staffing)
    mu.service_target += p.aspiration_rate * (mu.service_output - mu.service_target)
    mu.needs_knowledge += p.needs_knowledge_rate * (needs_voiced(mu.democratic_voice, p) - mu.needs_knowledge)


#: The month, in order: :meth:`CoCreationModel.step <simulation.core.model.CoCreationModel.step>` runs
#: these records one after the other, and docs/ODD.md's submodel section lists them in this order.
PROCESSES: tuple[Process, ...] = (
    Process("1. Policy", apply_policy, on_model=True),
    Process("1. Policy: the relation offered", offer_relation),
    Process("2. Steering felt", perceive_steering),
    Process("3. Motivation crowding", crowd_motivation),
    Process("4. Contribution and quitting", contribute_and_quit, stream="contribution"),
    Process("5. Recruitment", recruit_by_asking, stream="recruitment"),
    Process("6. Ties", update_ties, stream="ties"),
    Process("7. Trust", update_trust),
    Process("8. Staff threat", update_staff_threat),
    Process("9. Associations", drift_associations),
    Process("10. Outcomes, synergy and the budget", produce_outcomes),
    Process("11. Municipal review", review_municipality),
)

#: Rules that several processes use, documented beside them in the ODD.
HELPERS: tuple[Callable[..., Any], ...] = (coordination, give_hours, poach_volunteers, contract_funds, democratic_voice, needs_voiced, set_service_target, join_probability, readiness, expected_join, experience, member_mix)

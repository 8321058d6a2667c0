"""The idiomatic way, for comparison: a plain per-agent Mesa loop of two of the model's rules.

    python benchmarks/reference_loop.py              # 10,000 citizens, 12 months, best of 3
    python benchmarks/reference_loop.py --citizens 2000 --steps 3 --repeats 1

The reference implements motivation crowding (``crowd_motivation``) and trust (trust in
the municipality from experience and diffusion over ties, generalised trust from
volunteering around one: the citizens' part of ``update_trust``) the way a Mesa model is
usually written: one Python object per citizen with its own attributes and a list of
``(contact, weight)`` pairs, rules as agent methods run with ``AgentSet.shuffle_do``. The
rules are simultaneous in the model (every citizen reads last month's values), so each
method writes a "next" value and ``advance`` commits them, as in Mesa's
simultaneous-activation idiom; the shuffled order then changes nothing.

The script starts both from the same month-0 state of a :class:`CoCreationModel`, runs the
two rules for ``--steps`` months each way and prints:

* the largest difference between the two (motivation, trust, generalised trust): the
  rules are deterministic, so "the same numbers in expectation" means equal up to
  floating-point rounding (summation order of the neighbour sums);
* agent-steps per second of the reference, of the model's vectorised versions of the same
  two rules, and of the model's whole month (all ten processes and data collection).

Associations' partner trust (also in ``update_trust``) is left out: it is per association,
not per citizen. If a rule's equation changes in ``simulation/core/processes.py``, change it here
too; the smoke test in ``tests/test_benchmarks_smoke.py`` fails until they agree.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from pathlib import Path

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulation import CoCreationModel  # noqa: E402
from simulation.core import processes as sm  # noqa: E402
from simulation.core.state import CHANNEL_ASKED  # noqa: E402

TARGET_SPEEDUP = 100.0


def clip01(x: float) -> float:
    """Clip to [0, 1]."""
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def asymmetric_step(level: float, experience: float, rate: float, loss_ratio: float) -> float:
    """Move toward experience at ``rate`` when rising, ``loss_ratio`` times faster when falling."""
    r = rate if experience >= level else min(1.0, rate * loss_ratio)
    return clip01(level + r * (experience - level))


class ReferenceAssociation(mesa.Agent):
    """An association as plain attributes: the control and support its volunteers feel, and what it does."""

    def __init__(self, model: ReferenceModel, control_felt: float, support_felt: float, orientation: float) -> None:
        super().__init__(model)
        self.control_felt = control_felt
        self.support_felt = support_felt
        self.orientation = orientation


class ReferenceCitizen(mesa.Agent):
    """A citizen as plain attributes, with its contacts as ``(citizen, weight)`` pairs."""

    def __init__(self, model: ReferenceModel, *, trust: float, generalised_trust: float, motivation: float,
                 baseline_motivation: float, needs_met: float, volunteer: bool,
                 association: ReferenceAssociation | None, asked: bool, frame: float, service_preference: float,
                 group: int) -> None:
        super().__init__(model)
        self.frame = frame
        self.service_preference = service_preference
        self.group = group
        self.trust = trust
        self.generalised_trust = generalised_trust
        self.motivation = motivation
        self.baseline_motivation = baseline_motivation
        self.needs_met = needs_met
        self.volunteer = volunteer
        self.association = association
        self.asked = asked
        self.contacts: list[tuple[ReferenceCitizen, float]] = []

    def crowd_motivation(self) -> None:
        """3. Motivation crowding in and out, with drift to a resting point lowered by frame and misfit (own state only)."""
        p, m = self.model.p, self.motivation
        rest = self.baseline_motivation * (1.0 - p.frame_weight * self.frame)
        self.next_frame = self.frame
        if self.volunteer:
            a = self.association
            rest *= 1.0 - p.fit_weight * abs(self.service_preference - a.orientation)
            personal = 1.0 + p.personal_relation_crowding * self.asked
            excess = max(0.0, a.control_felt - p.control_tolerance)
            dm = p.motivation_drift_volunteer * (rest - m) + (
                p.crowding_in_rate * a.support_felt * self.trust * (1.0 - m) - p.crowding_out_rate * personal * excess * m
            )
            self.next_frame = clip01(self.frame + p.frame_rate * excess * (1.0 - self.frame)
                                     - p.frame_unlearning * a.support_felt * self.frame)
        else:
            dm = p.motivation_drift_citizen * (rest - m)
        self.next_motivation = clip01(m + dm)

    def learn_trust(self) -> None:
        """7a. Trust in the municipality moves toward experience as far as one engages, losses faster than gains."""
        p = self.model.p
        if self.volunteer:
            a = self.association
            experience = clip01(0.5 + p.experience_sensitivity * (a.support_felt - a.control_felt))
            engagement = 1.0
        else:
            w, anchor = p.own_service_experience_weight, p.trust_anchor_weight
            experience = anchor * p.societal_trust + (1.0 - anchor) * (w * self.needs_met + (1.0 - w) * self.model.stance)
            engages = 1.0 / (1.0 + math.exp(-p.engagement_steepness * (self.trust - p.engagement_midpoint)))
            engagement = p.contact_rate * ((1.0 - p.trust_engagement) + p.trust_engagement * engages)
        self.learned_trust = asymmetric_step(self.trust, experience, p.trust_gain_rate * engagement, p.trust_loss_ratio)

    def diffuse_trust(self) -> None:
        """7b. Pull toward contacts' (learned) trust; generalised trust toward volunteering around one."""
        p = self.model.p
        strength = weighted_trust = weighted_volunteering = across = 0.0
        for other, w in self.contacts:
            strength += w
            weighted_trust += w * other.learned_trust
            weighted_volunteering += w * other.volunteer
            across += w * (other.group != self.group)
        t = self.learned_trust
        tbar = weighted_trust / strength if strength > 0 else t
        vbar = weighted_volunteering / strength if strength > 0 else 0.0
        bridging_share = across / strength if strength > 0 else 0.0
        self.next_trust = clip01(t + p.trust_diffusion * (tbar - t))
        activity = min(1.0, 0.5 * (self.volunteer + vbar) / p.volunteering_reference)
        bridging = min(1.0, bridging_share / p.bridging_reference)
        w_b, anchor = p.bridging_trust_weight, p.trust_anchor_weight
        lived = p.generalised_trust_floor + (1.0 - p.generalised_trust_floor) * ((1.0 - w_b) * activity + w_b * bridging)
        target = anchor * p.societal_trust + (1.0 - anchor) * lived
        self.next_generalised_trust = clip01(self.generalised_trust + p.generalised_trust_rate * (target - self.generalised_trust))

    def advance(self) -> None:
        """Commit this month's values."""
        self.motivation = self.next_motivation
        self.frame = self.next_frame
        self.trust = self.next_trust
        self.generalised_trust = self.next_generalised_trust


class ReferenceModel(mesa.Model):
    """The two rules as a per-agent Mesa model, started from a CoCreationModel's state."""

    def __init__(self, source: CoCreationModel) -> None:
        super().__init__(rng=source.parameters.seed)
        W, self.p = source.world, source.p
        c, a, T = W.citizens, W.associations, W.ties
        self.associations = [ReferenceAssociation(self, float(k), float(s), float(o))
                             for k, s, o in zip(a.control_felt, a.support_felt, a.orientation, strict=True)]
        self.citizens = [
            ReferenceCitizen(
                self, trust=float(c.trust_municipality[i]), generalised_trust=float(c.generalised_trust[i]),
                motivation=float(c.motivation[i]), baseline_motivation=float(c.baseline_motivation[i]),
                needs_met=float(c.needs_met[i]), volunteer=bool(c.volunteer[i]),
                association=self.associations[c.association[i]] if c.volunteer[i] else None,
                asked=bool(c.channel[i] == CHANNEL_ASKED), frame=float(c.frame[i]),
                service_preference=float(c.service_preference[i]), group=int(c.group[i]),
            )
            for i in range(c.n)
        ]
        for u, v, w in zip(T.u.tolist(), T.v.tolist(), T.w.tolist(), strict=True):
            self.citizens[u].contacts.append((self.citizens[v], w))
            self.citizens[v].contacts.append((self.citizens[u], w))
        self.people = self.agents_by_type[ReferenceCitizen]

    def step(self) -> None:
        """One month of the two rules, simultaneous: compute next values in shuffled order, then commit."""
        n = len(self.associations)
        self.stance = clip01(0.5 + self.p.experience_sensitivity * (sum(a.support_felt for a in self.associations) / n
                                                                   - sum(a.control_felt for a in self.associations) / n))
        self.people.shuffle_do("crowd_motivation")
        self.people.shuffle_do("learn_trust")
        self.people.shuffle_do("diffuse_trust")
        self.people.do("advance")

    def state(self) -> dict[str, np.ndarray]:
        """Motivation, frame, trust and generalised trust of every citizen, as arrays."""
        return {
            "motivation": np.array([c.motivation for c in self.citizens]),
            "frame": np.array([c.frame for c in self.citizens]),
            "trust_municipality": np.array([c.trust for c in self.citizens]),
            "generalised_trust": np.array([c.generalised_trust for c in self.citizens]),
        }


def vectorised_rules(world, p) -> None:
    """The model's own implementation of the same two rules, one month."""
    sm.crowd_motivation(world, p)
    sm.update_trust(world, p)


def source_model(n: int, seed: int) -> CoCreationModel:
    """A model at month 0 (associations and staff in the scale benchmark's proportions), steered hard enough
    (0.9) that control exceeds the tolerance, so crowding out and the transactional frame act too."""
    return CoCreationModel(n_citizens=n, n_associations=max(1, round(n / 40)), n_staff=max(1, round(n / 100)), seed=seed,
                           steering_intensity=0.9)


def compare(n: int = 2000, steps: int = 12, seed: int = 1) -> dict[str, float]:
    """Largest absolute difference per state variable after ``steps`` months of both implementations."""
    source = source_model(n, seed)
    ref = ReferenceModel(source)
    world = copy.deepcopy(source.world)
    for _ in range(steps):
        ref.step()
        vectorised_rules(world, source.p)
    c = world.citizens
    got = ref.state()
    return {name: float(np.max(np.abs(got[name] - getattr(c, name)))) for name in got}


def best_time(fn, repeats: int) -> float:
    """Best wall time of ``fn()`` over ``repeats`` calls."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def benchmark(n: int = 10_000, steps: int = 12, repeats: int = 3, seed: int = 1) -> dict[str, float]:
    """Agent-steps per second of the reference loop, the vectorised rules and the whole model month."""
    source = source_model(n, seed)

    def reference():
        ref = ReferenceModel(source)  # built outside the timed part below
        t = time.perf_counter()
        for _ in range(steps):
            ref.step()
        return time.perf_counter() - t

    ref_s = min(reference() for _ in range(repeats))

    def vectorised():
        world = copy.deepcopy(source.world)
        t = time.perf_counter()
        for _ in range(steps):
            vectorised_rules(world, source.p)
        return time.perf_counter() - t

    vec_s = min(vectorised() for _ in range(repeats))

    def whole_month():
        model = source_model(n, seed)
        t = time.perf_counter()
        for _ in range(steps):
            model.step()
        return time.perf_counter() - t

    model_s = min(whole_month() for _ in range(repeats))
    return {
        "citizens": n, "steps": steps,
        "reference": n * steps / ref_s, "vectorised_rules": n * steps / vec_s, "model_month": n * steps / model_s,
    }


def main(argv: list[str] | None = None) -> int:
    """Check agreement, then time the three implementations and print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--citizens", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=12, help="months per timed run (default 12)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs; the fastest counts (default 3)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    n_check = min(args.citizens, 2000)
    diff = compare(n_check, args.steps, args.seed)
    print(f"agreement after {args.steps} months at {n_check:,} citizens (largest absolute difference):")
    for name, d in diff.items():
        print(f"  {name:<20} {d:.2e}")
    agree = max(diff.values()) < 1e-9
    print(f"  -> {'the same numbers' if agree else 'DIFFERENT: the reference no longer mirrors the model'}\n")

    r = benchmark(args.citizens, args.steps, args.repeats, args.seed)
    print(f"agent-steps per second at {r['citizens']:,} citizens ({r['steps']} months, best of {args.repeats}):")
    print(f"  {'per-agent Mesa loop (shuffle_do), 2 rules':<46} {r['reference']:>14,.0f}")
    print(f"  {'vectorised, the same 2 rules':<46} {r['vectorised_rules']:>14,.0f}   "
          f"{r['vectorised_rules'] / r['reference']:>7.1f} x the loop")
    print(f"  {'whole model month (10 processes + collection)':<46} {r['model_month']:>14,.0f}   "
          f"{r['model_month'] / r['reference']:>7.1f} x the loop")
    ratio = r["vectorised_rules"] / r["reference"]
    print(f"\ntarget: the same rules >= {TARGET_SPEEDUP:g} x the per-agent loop: {ratio:.0f} x, "
          f"{'met' if ratio >= TARGET_SPEEDUP else 'NOT met'}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())

"""Pattern probes: a small, fixed set of runs per pattern that says whether the pattern holds.

The report judges each pattern on its own experiments (``experiments/*.toml``). To ask *why* a
pattern holds, the same question must be put many times: with the feedback named as its
cause switched off (it should go), with each other single term switched off (it should stay),
at other sizes and seeds, and under ±25 % of every declared parameter. A probe answers it with
the fewest runs that show the pattern, common random numbers (the same seeds in every
condition), and criteria fixed before the runs that judge them (docs/ODD.md, section 4).

``probe(name, overrides, seeds, n_citizens)`` returns a :class:`ProbeResult`: the numbers the
criterion reads and whether the pattern holds. :data:`KNOCKOUTS` names, per pattern, the
parameter settings that switch off its cause and those that switch off other single terms.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from simulation.core.model import CoCreationModel
from simulation.core.parameters import PolicyChange

#: Associations and staff per 1,000 citizens in every probe (the model's defaults); probes of other sizes
#: keep these densities, so that a size is a size and not a denser or sparser civil society.
ASSOCIATIONS_PER_1000, STAFF_PER_1000 = 25, 10

#: Structural conditions of the two countries of pattern 3: societal trust and associations per 1,000 citizens.
HIGH_TRUST = {"societal_trust": 0.70, "initial_generalised_trust": 0.70, "initial_trust_municipality": 0.65, "associations_per_1000": 30}
LOW_TRUST = {"societal_trust": 0.35, "initial_generalised_trust": 0.35, "initial_trust_municipality": 0.40, "associations_per_1000": 8}


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """What a probe measured and whether its pattern holds under the probe's criterion."""

    pattern: str
    holds: bool
    numbers: dict[str, float]
    criterion: str


def _series(indicator: str | Sequence[str], seeds: Sequence[int], n_citizens: int, steps: int,
            schedule: Sequence[tuple[int, Mapping[str, Any]]] = (), **parameters: Any) -> np.ndarray:
    """Monthly values (months 0..steps) of one or more indicators, one row per seed: shape (seeds, steps + 1[, k])."""
    names = [indicator] if isinstance(indicator, str) else list(indicator)
    policy = tuple(PolicyChange(step=s, changes=tuple(c.items())) for s, c in schedule)
    per_1000 = parameters.pop("associations_per_1000", ASSOCIATIONS_PER_1000)
    sizes = {"n_citizens": n_citizens, "n_associations": max(1, round(per_1000 * n_citizens / 1000)),
             "n_staff": max(1, round(STAFF_PER_1000 * n_citizens / 1000))}
    out = []
    for seed in seeds:
        m = CoCreationModel(rng=seed, **{**sizes, "steps": steps, "policy_schedule": policy, **parameters})
        rows = [[m.indicators[k] for k in names]]
        for _ in range(steps):
            m.step()
            rows.append([m.indicators[k] for k in names])
        out.append(rows)
    arr = np.asarray(out, dtype=float)
    return arr[..., 0] if isinstance(indicator, str) else arr


#: Probes of patterns whose levers are imposed (steering levels, episodes, the modes' presets as fixed policy) hold
#: steering where they put it: the municipality's own review (process 11) is switched off. A lever probe asks what
#: steering at a level does; the control spiral (its knock-out below) asks what the municipality does.
HELD_STEERING = {"steering_response": 0.0}


def _tail(a: np.ndarray, k: int = 24) -> np.ndarray:
    """Mean of the last ``k`` months of each seed's series."""
    return a[:, -k:].mean(axis=1)


def crowding_out(seeds, n_citizens, **o) -> ProbeResult:
    """Pattern 1 in contributions: volunteer hours rise from no steering to light steering and fall at full steering.

    Holds when the best of steering 0.1 and 0.2 gives at least 5 % more hours than steering 0 and
    full steering gives less than half the hours of steering 0 (npg, last two of ten years).
    The report's own test also switches coordination's productivity effect off, so that the rise is
    in the hours people give, not in what an hour achieves.
    """
    o = {**HELD_STEERING, **o}
    hours = {s: _tail(_series("volunteer_hours", seeds, n_citizens, 120, governance_mode="npg", steering_intensity=s, **o))
             for s in (0.0, 0.1, 0.2, 1.0)}
    none, light, full = hours[0.0].mean(), max(hours[0.1].mean(), hours[0.2].mean()), hours[1.0].mean()
    rise = light / none - 1.0 if none > 0 else 0.0
    return ProbeResult("crowding_out", bool(rise >= 0.05 and full < 0.5 * none),
                       {"hours_none": none, "hours_light": light, "hours_full": full, "rise": rise},
                       "hours at light steering >= 1.05 x hours at none, and full steering < 0.5 x none")


def hysteresis(seeds, n_citizens, **o) -> ProbeResult:
    """Pattern 2: after over-steering (0.9 from month 60 to 144), trust and volunteering recover slower than they fell.

    The gap to a control run without the episode (same seeds) is measured; the fall half-time is the
    months from onset until the gap reaches half its size at release, the recovery half-time the months
    from release until it is half that again. Holds when, for both trust in the municipality and the
    volunteering rate, recovery takes at least 1.5 times as long as the fall.
    """
    o = {**HELD_STEERING, **o}
    onset, release, end = 60, 144, 360
    cols = ("trust_municipality", "volunteering_rate")
    episode = _series(cols, seeds, n_citizens, end, [(onset, {"steering_intensity": 0.9}), (release, {"steering_intensity": 0.2})],
                      governance_mode="npg", **o).mean(axis=0)
    control = _series(cols, seeds, n_citizens, end, governance_mode="npg", **o).mean(axis=0)
    numbers, ok = {}, True
    for j, col in enumerate(cols):
        gap = control[:, j] - episode[:, j]
        size = gap[release]
        fall = next((t - onset for t in range(onset, release + 1) if gap[t] >= 0.5 * size), None) if size > 0 else None
        rec = next((t - release for t in range(release, end + 1) if gap[t] <= 0.5 * size), end - release) if size > 0 else None
        numbers.update({f"{col}_gap": float(size), f"{col}_half_fall": float(fall or 0), f"{col}_half_recovery": float(rec or 0)})
        ok = ok and size > 0.02 and fall is not None and rec is not None and rec >= 1.5 * max(fall, 1)
    return ProbeResult("hysteresis", bool(ok), numbers, "recovery half-time >= 1.5 x fall half-time, trust and volunteering")


def country_levels(seeds, n_citizens, quick: bool = False, **o) -> ProbeResult:
    """Pattern 3 as attractors: both countries started at 10 % and at 40 % settle near their own level, and stay.

    Holds when, after 10 and after 50 years, the high-trust setting is within 8 points of 38.7 % and the
    low-trust one between 5 % and 18 % from both starts, and the two starts of a country end within
    8 points of each other.
    """
    years = (10,) if quick else (10, 50)
    levels = {}
    for name, cond in (("high", HIGH_TRUST), ("low", LOW_TRUST)):
        for start in (0.10, 0.40):
            s = _series("volunteering_rate", seeds, n_citizens, 12 * max(years), governance_mode="npg", initial_volunteering=start,
                        **{**cond, **o})
            for year in years:
                levels[f"{name}_from_{int(start * 100)}_year{year}"] = float(s[:, 12 * year - 11:12 * year + 1].mean())
    ok = True
    for year in years:
        high = [levels[f"high_from_{s}_year{year}"] for s in (10, 40)]
        low = [levels[f"low_from_{s}_year{year}"] for s in (10, 40)]
        ok = ok and (all(abs(v - 0.387) <= 0.08 for v in high) and all(0.05 <= v <= 0.18 for v in low)
                     and abs(high[0] - high[1]) <= 0.08 and abs(low[0] - low[1]) <= 0.08)
    return ProbeResult("country_levels", bool(ok), levels,
                       ("at year 10 (quick variant)" if quick else "at years 10 and 50") + ": high trust within 0.387 +/- 0.08 and low trust in [0.05, 0.18] from both starts; starts within 0.08")


def being_asked(seeds, n_citizens, **o) -> ProbeResult:
    """Pattern 4: most recruits of the last two years joined because someone asked them (between 40 % and 70 %)."""
    share = float(_tail(_series("share_recruited_by_asking", seeds, n_citizens, 120, governance_mode="npg", **o)).mean())
    return ProbeResult("being_asked", bool(0.40 <= share <= 0.70), {"share_asked": share}, "share asked in [0.40, 0.70]")


def voice_to_service(seeds, n_citizens, **o) -> ProbeResult:
    """Pattern 5: under supplier contracts associations drift toward service, and keep drifting after the first year.

    Holds when npm's service orientation after 10 years exceeds npg's by at least 0.15 and npm's
    orientation still rises by at least 0.03 between year 1 and year 10 (a drift, not only a jump).
    """
    npm = _series("service_orientation", seeds, n_citizens, 120, governance_mode="npm", **o).mean(axis=0)
    npg = _series("service_orientation", seeds, n_citizens, 120, governance_mode="npg", **o).mean(axis=0)
    numbers = {"npm_year1": float(npm[12]), "npm_year10": float(npm[120]), "npg_year10": float(npg[120])}
    ok = npm[120] - npg[120] >= 0.15 and npm[120] - npm[12] >= 0.03
    return ProbeResult("voice_to_service", bool(ok), numbers, "npm - npg >= 0.15 at year 10, and npm rises >= 0.03 after year 1")


def bonding_bridging(seeds, n_citizens, **o) -> ProbeResult:
    """Pattern 6: inclusive targeting builds bridging, group-specific targeting and quick-results pressure build bonding.

    E-I index after 10 years (npg): inclusive without pressure above group-specific, and pressure lowers
    the inclusive E-I; holds when both differences exceed 0.02.
    """
    ei = {(t, q): float(_tail(_series("ei_index", seeds, n_citizens, 120, governance_mode="npg", targeting=t,
                                      quick_results_pressure=q, **o), 12).mean())
          for t, q in ((1.0, 0.0), (0.0, 0.0), (1.0, 1.0))}
    numbers = {"ei_inclusive": ei[1.0, 0.0], "ei_group_specific": ei[0.0, 0.0], "ei_inclusive_pressure": ei[1.0, 1.0]}
    ok = ei[1.0, 0.0] - ei[0.0, 0.0] > 0.02 and ei[1.0, 0.0] - ei[1.0, 1.0] > 0.02
    return ProbeResult("bonding_bridging", bool(ok), numbers, "E-I inclusive - group-specific > 0.02 and inclusive - inclusive under pressure > 0.02")


def time_horizon(seeds, n_citizens, **o) -> ProbeResult:
    """Pattern 7: npm leads on service output in year 1; npg leads from some month before year 10 on for good.

    Holds when npm's mean service output over months 1-12 exceeds npg's and npg is ahead in every
    month of years 6-10.
    """
    o = {**HELD_STEERING, **o}
    npm = _series("service_output", seeds, n_citizens, 120, governance_mode="npm", **o).mean(axis=0)
    npg = _series("service_output", seeds, n_citizens, 120, governance_mode="npg", **o).mean(axis=0)
    lead = npm[1:13].mean() - npg[1:13].mean()
    ahead = npg - npm
    overtakes = next((t for t in range(1, 121) if (ahead[t:] > 0).all()), None)
    ok = lead > 0 and overtakes is not None and overtakes <= 60
    return ProbeResult("time_horizon", bool(ok), {"npm_lead_year1": float(lead), "npg_ahead_for_good_from": float(overtakes or -1)},
                       "npm ahead over months 1-12, npg ahead in every month from month 60 on at the latest")


# --- the new loops of model 3 (issue 11): the municipality as an actor ----------------------

#: The spiral conditions: the npm preset (pressure for quick results 0.7, linear thinking, supplier contracts,
#: volunteer substitution 0.6, steering lever 0.5).
SPIRAL = {"governance_mode": "npm"}


def control_spiral(seeds, n_citizens, **o) -> ProbeResult:
    """The control spiral: under pressure and linear thinking the municipality steers harder by itself.

    npm preset, 10 years, the steering lever held at its preset: holds when steering in force over
    year 10 exceeds the lever by at least 0.2 (mean over seeds): a drift no schedule imposes.
    """
    settings = {**SPIRAL, **o}
    steering = _series("steering_in_force", seeds, n_citizens, 120, **settings)
    lever = float(steering[:, 0].mean())
    drift = float(_tail(steering, 12).mean()) - lever
    return ProbeResult("control_spiral", bool(drift >= 0.2), {"steering_lever": lever, "steering_year10": lever + drift, "drift": drift},
                       "steering in force over year 10 - steering at month 0 >= 0.2")


def staff_threat(seeds, n_citizens, **o) -> ProbeResult:
    """Staff threat with teeth: under npm contracting with substitution, threatened staff cost contributions.

    npm preset, 5 years, threat_sensitivity 0 against 1 (same seeds): holds when volunteer hours
    over years 4-5 are at least 10 % lower with threatened staff.
    """
    settings = {**SPIRAL, **o}
    hours = {t: float(_tail(_series("volunteer_hours", seeds, n_citizens, 60, **{**settings, "threat_sensitivity": t})).mean())
             for t in (0.0, 1.0)}
    fall = 1.0 - hours[1.0] / hours[0.0] if hours[0.0] > 0 else 0.0
    return ProbeResult("staff_threat", bool(fall >= 0.10), {"hours_unthreatened": hours[0.0], "hours_threatened": hours[1.0], "fall": fall},
                       "volunteer hours at threat_sensitivity 1 <= 0.9 x hours at 0 (npm, years 4-5)")


def joint_activities(seeds, n_citizens, **o) -> ProbeResult:
    """Organisational egoism as competition: contract competition closes joint activities, a road to bridging.

    npg, 10 years, contract_competition 0.1 against 0.9 (same seeds): holds when the E-I index over the
    last two years is at least 0.02 lower under competition.
    """
    ei = {k: float(_tail(_series("ei_index", seeds, n_citizens, 120, **{"governance_mode": "npg", **o, "contract_competition": k})).mean())
          for k in (0.1, 0.9)}
    fall = ei[0.1] - ei[0.9]
    return ProbeResult("joint_activities", bool(fall >= 0.02), {"ei_cooperating": ei[0.1], "ei_competing": ei[0.9], "fall": fall},
                       "E-I index at contract_competition 0.9 <= E-I at 0.1 - 0.02 (npg, years 9-10)")


def _needs_and_trust(seeds, n_citizens, steps, **parameters) -> tuple[float, float]:
    """Mean over seeds and the last 24 months of citizens' needs met and of trust in the municipality."""
    sizes = {"n_citizens": n_citizens, "n_associations": max(1, round(ASSOCIATIONS_PER_1000 * n_citizens / 1000)),
             "n_staff": max(1, round(STAFF_PER_1000 * n_citizens / 1000))}
    needs, trust = [], []
    for seed in seeds:
        m = CoCreationModel(rng=seed, **{**sizes, "steps": steps, **parameters})
        for t in range(steps):
            m.step()
            if t >= steps - 24:
                needs.append(float(m.world.citizens.needs_met.mean()))
                trust.append(m.indicators["trust_municipality"])
    return float(np.mean(needs)), float(np.mean(trust))


def voice_informs_needs(seeds, n_citizens, **o) -> ProbeResult:
    """Voice with consequences: what voice tells the municipality of needs makes its output meet them.

    npg, 10 years; a municipality that hears voice (voice_reference at its setting) against one that
    hears none of it (voice_reference 10: it learns almost nothing of needs), same seeds. Holds when
    citizens' mean needs met over the last two years is at least 0.005 higher where voice is heard
    and trust in the municipality is higher too.
    """
    settings = {"governance_mode": "npg", **o}
    heard = _needs_and_trust(seeds, n_citizens, 120, **settings)
    deaf = _needs_and_trust(seeds, n_citizens, 120, **{**settings, "voice_reference": 10.0})
    ok = heard[0] - deaf[0] >= 0.005 and heard[1] > deaf[1]
    return ProbeResult("voice_informs_needs", bool(ok),
                       {"needs_met_heard": heard[0], "needs_met_deaf": deaf[0], "trust_heard": heard[1], "trust_deaf": deaf[1]},
                       "needs met with voice heard - needs met deaf >= 0.005, and trust higher where voice is heard")


#: One probe per pattern, in MODEL.md's order.
PROBES: dict[str, Callable[..., ProbeResult]] = {
    "crowding_out": crowding_out, "hysteresis": hysteresis, "country_levels": country_levels, "being_asked": being_asked,
    "voice_to_service": voice_to_service, "bonding_bridging": bonding_bridging, "time_horizon": time_horizon,
}

#: Probes of model 3's loops (issue 11): knock-outs, not patterns of MODEL.md (the report does not judge them).
LOOP_PROBES: dict[str, Callable[..., ProbeResult]] = {
    "control_spiral": control_spiral, "staff_threat": staff_threat, "joint_activities": joint_activities,
    "voice_informs_needs": voice_informs_needs,
}


@dataclasses.dataclass(frozen=True)
class Knockout:
    """A pattern's named cause, and other single terms, as parameter settings that switch them off."""

    cause: str                                  # the feedback docs/ODD.md names as the pattern's cause
    cause_off: Mapping[str, Any]                # settings that switch the cause off: the pattern should go
    others_off: Mapping[str, Mapping[str, Any]]  # other single terms switched off one at a time: it should stay
    condition: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # settings under which the test is made
    note: str = ""                              # how to read the knock-outs, where the probe alone would mislead


#: What each pattern's knock-out switches off (docs/ODD.md, section 4).
KNOCKOUTS: dict[str, Knockout] = {
    "crowding_out": Knockout(
        cause="motivation crowding in by recognition, and out by control above the tolerance",
        cause_off={"crowding_in_rate": 0.0, "recognition_weight": 0.0},
        others_off={"coordination's productivity effect": {"coordination_gain": 0.0},
                    "the descriptive norm": {"norm_weight": 0.0},
                    "the transactional frame": {"frame_rate": 0.0}},
        condition={"coordination_gain": 0.0}),
    "hysteresis": Knockout(
        cause="a slow way back in: control empties the volunteer base fast, while re-entry waits to be asked by the "
              "diminished base (or for the slow own-initiative rate) with readiness to rebuild; trust follows, since "
              "volunteers learn of the municipality first-hand",
        cause_off={"self_join_rate": 0.3},
        others_off={"the trust trap": {"trust_engagement": 0.0, "contact_rate": 1.0},
                    "the transactional frame": {"frame_rate": 0.0},
                    "the descriptive norm": {"norm_weight": 0.0},
                    "buffering of control by autonomy and partner trust": {"control_buffering": 0.0}},
        condition={"trust_loss_ratio": 1.0}),
    "country_levels": Knockout(
        cause="the countries' structural conditions (societal trust as the anchor of generalised trust and of what is "
              "heard of the municipality; the number of associations reaching out), carried into volunteering by readiness and asking",
        cause_off={"trust_anchor_weight": 0.0},
        others_off={"the descriptive norm": {"norm_weight": 0.0},
                    "bridging contact feeding generalised trust": {"bridging_trust_weight": 0.0},
                    "faster losses of trust": {"trust_loss_ratio": 1.0}}),
    "being_asked": Knockout(
        cause="asking through ties and outreach by associations",
        cause_off={"asks_per_volunteer": 0.0, "outreach_per_member": 0.0, "outreach_per_association": 0.0},
        others_off={"the descriptive norm": {"norm_weight": 0.0},
                    "faster losses of trust": {"trust_loss_ratio": 1.0}}),
    "voice_to_service": Knockout(
        cause="resource dependence on a contract that pays for service delivered",
        cause_off={"contract_funding": 0.0},
        others_off={"member turnover by fit": {"fit_weight": 0.0},
                    "pressure for quick results": {"quick_results_pressure": 0.0},
                    "faster losses of trust": {"trust_loss_ratio": 1.0}},
        note="The probe asks for a drift after the first year (what member turnover would add to the contract's pull); "
             "it fails at baseline because the orientation jumps with the contract in the first year and moves little after. "
             "With the contract's funding off, npm and npg end alike: one term, resource dependence, decides the pattern, "
             "which is why it is reported as assumed"),
    "bonding_bridging": Knockout(
        cause="who is recruited: outreach across groups, cream-skimming under pressure, social distance in joining",
        cause_off={"yield_selection": 0.0, "outgroup_join_penalty": 0.0, "outreach_per_member": 0.0, "outreach_per_association": 0.0},
        others_off={"bridging contact feeding generalised trust": {"bridging_trust_weight": 0.0},
                    "the descriptive norm": {"norm_weight": 0.0}}),
    "time_horizon": Knockout(
        cause="relationship building under partnership (understanding, learned complementarity) against crowding out under contracts",
        cause_off={"understanding_rate": 0.0, "synergy_learning_rate": 0.0, "crowding_out_rate": 0.0},
        others_off={"the cost of facilitation": {"facilitation_cost": 0.0},
                    "faster losses of trust": {"trust_loss_ratio": 1.0}}),
    # model 3's loops (issue 11)
    "control_spiral": Knockout(
        cause="the municipal review: a shortfall of measured service answered with more control under pressure and linear "
              "thinking, which crowds out the contributions measured output depends on once volunteers substitute staff",
        cause_off={"steering_response": 0.0},
        others_off={"staff threat raising control": {"threat_control_weight": 0.0},
                    "the transactional frame": {"frame_rate": 0.0},
                    "the descriptive norm": {"norm_weight": 0.0},
                    "faster losses of trust": {"trust_loss_ratio": 1.0}}),
    "staff_threat": Knockout(
        cause="threatened staff exert more control and withhold support and shared understanding",
        cause_off={"threat_control_weight": 0.0, "threat_withholding": 0.0},
        others_off={"the control spiral": {"steering_response": 0.0},
                    "the transactional frame": {"frame_rate": 0.0},
                    "the descriptive norm": {"norm_weight": 0.0},
                    "faster losses of trust": {"trust_loss_ratio": 1.0}}),
    "joint_activities": Knockout(
        cause="cooperating associations bring their volunteers together in joint activities; competition lowers cooperation",
        cause_off={"joint_activity_rate": 0.0},
        others_off={"cooperation in shared understanding": {"understanding_cooperation_weight": 0.0},
                    "bridging contact feeding generalised trust": {"bridging_trust_weight": 0.0},
                    "the descriptive norm": {"norm_weight": 0.0}}),
    "voice_informs_needs": Knockout(
        cause="voice informs the municipality's knowledge of needs, which sets how well its output fits them",
        cause_off={"needs_fit_weight": 0.0},
        others_off={"the descriptive norm": {"norm_weight": 0.0},
                    "faster losses of trust": {"trust_loss_ratio": 1.0},
                    "the municipal review": {"steering_response": 0.0}}),
}


#: Probes with a cheaper variant (``quick=True``): the country probe judged at year 10 only (120 months instead of 600).
QUICK = ("country_levels",)


def probe(name: str, overrides: Mapping[str, Any] | None = None, seeds: Sequence[int] = (1, 2), n_citizens: int = 500,
          quick: bool = False) -> ProbeResult:
    """Run pattern ``name``'s probe with ``overrides`` on top of its knock-out condition (if any).

    ``quick`` runs the cheaper variant of the probes in :data:`QUICK` (same criteria, fewer checkpoints).
    """
    condition = dict(KNOCKOUTS[name].condition) if name in KNOCKOUTS else {}
    extra = {"quick": True} if quick and name in QUICK else {}
    run = PROBES.get(name) or LOOP_PROBES[name]
    return run(tuple(seeds), n_citizens, **extra, **{**condition, **(overrides or {})})


# --- many probes through an executor, stored as they finish (resumable) ---------------------

@dataclasses.dataclass(frozen=True)
class ProbeTask:
    """One probe to run: a pattern's probe under ``overrides``, at a size and seeds; ``key`` names it in the store."""

    key: str
    pattern: str
    overrides: tuple[tuple[str, Any], ...] = ()
    seeds: tuple[int, ...] = (1, 2)
    n_citizens: int = 500
    quick: bool = False


def run_task(task: ProbeTask) -> dict[str, Any]:
    """Run one task (in a worker) and return its result as plain JSON data."""
    r = probe(task.pattern, dict(task.overrides), task.seeds, task.n_citizens, task.quick)
    return {"key": task.key, "pattern": task.pattern, "overrides": dict(task.overrides), "seeds": list(task.seeds),
            "n_citizens": task.n_citizens, "quick": task.quick, "holds": bool(r.holds),
            "numbers": {k: (float(v) if math.isfinite(float(v)) else None) for k, v in r.numbers.items()}, "criterion": r.criterion}


def read_store(store: Path) -> dict[str, dict[str, Any]]:
    """The results already in a store (one JSON line per finished task); a torn last line is ignored."""
    done: dict[str, dict[str, Any]] = {}
    if not store.is_file():
        return done
    for line in store.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and "key" in row:
            done[row["key"]] = row
    return done


def run_tasks(tasks: Sequence[ProbeTask], store: Path, executor: cf.Executor, *, progress: bool = True,
              desc: str = "probes") -> dict[str, dict[str, Any]]:
    """Run every task not yet in ``store`` on ``executor``, appending each result to ``store`` as it finishes.

    A rerun after an interruption skips the tasks already stored. Returns the results of all
    ``tasks`` by key.
    """
    store.parent.mkdir(parents=True, exist_ok=True)
    done = read_store(store)
    todo = [t for t in tasks if t.key not in done]
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), unit="probe", desc=desc, disable=not progress,
               dynamic_ncols=True, file=sys.stderr)
    futures = {executor.submit(run_task, t): t for t in todo}
    torn = store.is_file() and store.stat().st_size > 0 and not store.read_bytes().endswith(b"\n")
    try:
        with open(store, "a", encoding="utf-8") as fh:
            if torn:  # an interrupted write left half a line: end it, so the next result starts a line of its own
                fh.write("\n")
            for fut in cf.as_completed(futures):
                row = fut.result()
                fh.write(json.dumps(row) + "\n")
                fh.flush()
                done[row["key"]] = row
                bar.update(1)
    finally:
        for fut in futures:
            fut.cancel()
        bar.close()
    return {t.key: done[t.key] for t in tasks}

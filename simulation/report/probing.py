"""Where each pattern comes from, and how robust it is: knock-outs and robustness through the pattern probes.

The report's pattern sections judge each pattern on its experiments. This module asks two further
questions with the probes of :mod:`simulation.experiment.probes` (criteria fixed there before the
runs), run through the report's executor and stored one JSON line per finished probe, so that an
interrupted report resumes where it stopped:

- **knock-outs** (section "Where each pattern comes from"): each pattern at baseline, with its named
  cause switched off and with each other single term switched off (common random numbers); with
  the record's declared origin this gives its status (:func:`status_label`, docs/ODD.md 4.1);
- **robustness**: every probe at 5,000 citizens with seeds used nowhere else, and every probe under
  ±25 % of each declared behaviour and population parameter, one at a time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from simulation.core.parameters import FIELDS
from simulation.experiment.probes import HELD_STEERING, HIGH_TRUST, KNOCKOUTS, PROBES, QUICK, ProbeTask
from simulation.report.analyses import NOT, PARTLY, REPRODUCED

#: What a pattern's record may declare as its origin (docs/ODD.md 4.1).
EMERGES, ASSUMED = "emerges", "assumed"
ORIGINS = (EMERGES, ASSUMED, PARTLY)

#: The status label a verdict carries when its pattern is assumed (written into one term), not reproduced.
ASSUMED_LABEL = "assumed"


@dataclasses.dataclass(frozen=True)
class ProbeSizes:
    """Sizes and seeds of the knock-outs and the robustness runs."""

    knockout_citizens: int = 1000
    knockout_seeds: tuple[int, ...] = (11, 12, 13, 14, 15)
    large_citizens: int = 5000
    large_seeds: tuple[int, ...] = (101, 102, 103)
    perturbation_citizens: int = 500
    perturbation_seeds: tuple[int, ...] = (201,)
    perturbation_share: float = 0.25
    perturbed: tuple[str, ...] | None = None   # perturb only these parameters (None: every declared one)


#: The probes' sizes at each report size (``--size``).
PROBE_SIZES = {
    "default": ProbeSizes(),
    "small": ProbeSizes(knockout_citizens=400, knockout_seeds=(11, 12, 13), large_citizens=2000, large_seeds=(101,),
                        perturbation_citizens=300, perturbed=("crowding_in_rate", "recognition_weight", "control_tolerance",
                                                             "join_readiness_midpoint", "trust_engagement", "norm_weight")),
    "tiny": ProbeSizes(knockout_citizens=100, knockout_seeds=(11,), large_citizens=200, large_seeds=(101,),
                       perturbation_citizens=100, perturbed=("norm_weight",)),
}


@dataclasses.dataclass
class ProbeResults:
    """The stored results of the knock-outs and robustness probes, by task key, and their sizes."""

    knockouts: dict[str, dict[str, Any]]
    large: dict[str, dict[str, Any]]
    perturbed: dict[str, dict[str, Any]]
    sizes: ProbeSizes

    @property
    def n_probes(self) -> int:
        """How many probes were run."""
        return len(self.knockouts) + len(self.large) + len(self.perturbed)



# --- knock-outs ---------------------------------------------------------------------------------

BASELINE, CAUSE_OFF = "baseline", "cause off"


def knockout_tasks(sizes: ProbeSizes) -> list[ProbeTask]:
    """Per pattern: the probe at baseline, with its cause off and with each other single term off."""
    tasks = []
    for name, ko in KNOCKOUTS.items():
        conditions = [(BASELINE, {}), (CAUSE_OFF, ko.cause_off), *((f"off: {t}", s) for t, s in ko.others_off.items())]
        for label, settings in conditions:
            tasks.append(ProbeTask(f"knockout/{name}/{label}", name, tuple(settings.items()), sizes.knockout_seeds,
                                   sizes.knockout_citizens))
    return tasks


@dataclasses.dataclass(frozen=True)
class KnockoutResult:
    """A pattern's knock-outs: holds at baseline, goes with its cause off, stays with each other term off."""

    pattern: str
    base_holds: bool
    cause_removes: bool
    others_keep: dict[str, bool]

    @property
    def emerges(self) -> bool:
        """ODD 4.1: base holds, the cause off removes it, every other single term off keeps it."""
        return self.base_holds and self.cause_removes and all(self.others_keep.values())


def knockout_result(name: str, results: Mapping[str, Mapping[str, Any]]) -> KnockoutResult:
    """The knock-out result of pattern ``name`` from the stored probe results (by key)."""
    ko = KNOCKOUTS[name]
    return KnockoutResult(name, bool(results[f"knockout/{name}/{BASELINE}"]["holds"]),
                          not results[f"knockout/{name}/{CAUSE_OFF}"]["holds"],
                          {t: bool(results[f"knockout/{name}/off: {t}"]["holds"]) for t in ko.others_off})


def status_label(status: str, origin: str, knockout: KnockoutResult | None) -> str:
    """The verdict's label: reproduced, partly, assumed or not reproduced (docs/ODD.md 4.1).

    Not reproduced when the report's own criteria say so; assumed when the record declares the
    pattern written into one term; reproduced only when the criteria are all met, the record says
    it emerges and the knock-outs confirm it (base holds, cause off fails, every other term off
    holds); partly otherwise.
    """
    if status == NOT:
        return NOT
    if origin == ASSUMED:
        return ASSUMED_LABEL
    if knockout is None:
        return status
    if status == REPRODUCED and origin == EMERGES and knockout.emerges:
        return REPRODUCED
    return PARTLY


def numbers_text(numbers: Mapping[str, Any], digits: int = 3) -> str:
    """A probe's numbers as one short line."""
    return ", ".join(f"{k} {v:.{digits}g}" if isinstance(v, float) else f"{k} {v}" for k, v in numbers.items())


def knockout_table(results: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per pattern and condition: what was switched off, whether the pattern holds, the probe's numbers."""
    rows = []
    for name, ko in KNOCKOUTS.items():
        for label, settings in [(BASELINE, {}), (CAUSE_OFF, ko.cause_off), *((f"off: {t}", s) for t, s in ko.others_off.items())]:
            r = results.get(f"knockout/{name}/{label}")
            if r is None:
                continue
            expected = not (label == CAUSE_OFF)
            rows.append({"pattern": name, "condition": label,
                         "settings": ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in settings.items())
                         or "(defaults)", "holds": bool(r["holds"]), "as_expected": bool(r["holds"]) == expected,
                         "numbers": numbers_text(r["numbers"])})
    return pd.DataFrame(rows)


# --- robustness -----------------------------------------------------------------------------------

#: Parameters a probe sets itself (the countries' conditions and starts; the lever probes' held steering, model 3):
#: not perturbed for that probe.
SET_BY_PROBE = {"country_levels": {k for k in HIGH_TRUST if k in FIELDS} | {"initial_volunteering"},
                **{name: set(HELD_STEERING) for name in ("crowding_out", "hysteresis", "time_horizon")}}

#: Whole numbers that are sizes of the population, not behaviour: never perturbed.
COUNTS = ("n_citizens", "n_associations", "n_staff", "n_groups")


def large_tasks(sizes: ProbeSizes) -> list[ProbeTask]:
    """Every probe at the large size with seeds used nowhere else."""
    return [ProbeTask(f"large/{name}", name, (), sizes.large_seeds, sizes.large_citizens) for name in PROBES]


def perturbations(share: float = 0.25) -> tuple[list[tuple[str, str, Any]], list[tuple[str, str]]]:
    """Each declared behaviour and population parameter at default -/+ ``share`` (clipped to its range), and those skipped.

    Returns ``([(parameter, "-25 %" | "+25 %", value)], [(parameter or group, why skipped)])``.
    """
    done, skipped = [], []
    for name, f in FIELDS.items():
        kind = f.metadata["kind"]
        if kind not in ("behaviour", "population"):
            continue
        if name in COUNTS:
            skipped.append((name, "a population count, not a behaviour"))
            continue
        if f.metadata["choices"] or f.type in ("bool", bool):
            skipped.append((name, "a choice or a switch, no ±25 %"))
            continue
        default = f.default
        if default == 0:
            skipped.append((name, "default 0, so ±25 % is no change"))
            continue
        lo, hi = f.metadata["range"]
        whole = f.type in ("int", int)
        for sign, factor in (("-", 1 - share), ("+", 1 + share)):
            value = min(hi, max(lo, default * factor))
            value = round(value) if whole else float(value)
            if value == default:
                skipped.append((f"{name} {sign}{100 * share:.0f} %", f"at the end of its declared range {lo:g}-{hi:g}, so no change"))
                continue
            done.append((name, f"{sign}{100 * share:.0f} %", value))
    return done, skipped


def perturbation_tasks(sizes: ProbeSizes) -> list[ProbeTask]:
    """Every probe (quick variant) at baseline and under each perturbation, at the perturbation size."""
    tasks = [ProbeTask(f"perturbed/{name}/baseline", name, (), sizes.perturbation_seeds, sizes.perturbation_citizens, name in QUICK)
             for name in PROBES]
    for param, sign, value in perturbations(sizes.perturbation_share)[0]:
        if sizes.perturbed is not None and param not in sizes.perturbed:
            continue
        for name in PROBES:
            if param in SET_BY_PROBE.get(name, ()):
                continue
            tasks.append(ProbeTask(f"perturbed/{name}/{param} {sign}", name, ((param, value),), sizes.perturbation_seeds,
                                   sizes.perturbation_citizens, name in QUICK))
    return tasks


def large_table(results: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Per pattern: whether its probe holds at the large size, and its numbers."""
    return pd.DataFrame([{"pattern": name, "holds": bool(r["holds"]), "numbers": numbers_text(r["numbers"])}
                         for name in PROBES if (r := results.get(f"large/{name}")) is not None])


def perturbation_table(results: Mapping[str, Mapping[str, Any]], patterns: Sequence[str] = tuple(PROBES)) -> pd.DataFrame:
    """Per pattern: baseline holds, perturbations run, how many keep the pattern, and which break it."""
    rows = []
    for name in patterns:
        base = results.get(f"perturbed/{name}/baseline")
        mine = {k.split("/", 2)[2]: r for k, r in results.items() if k.startswith(f"perturbed/{name}/") and not k.endswith("/baseline")}
        breaking = sorted(label for label, r in mine.items() if not r["holds"])
        rows.append({"pattern": name, "baseline_holds": None if base is None else bool(base["holds"]), "perturbations": len(mine),
                     "keep": len(mine) - len(breaking), "break": len(breaking), "breaking": "; ".join(breaking)})
    return pd.DataFrame(rows)


def probe_rows(results: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Every stored probe: its key, pattern, settings, whether it holds and each number (one column per number)."""
    rows = []
    for key, r in results.items():
        row = {"key": key, "pattern": r["pattern"], "settings": "; ".join(f"{k} = {v}" for k, v in r.get("overrides", {}).items()),
               "holds": bool(r["holds"])}
        row.update(r["numbers"])
        rows.append(row)
    return pd.DataFrame(rows)

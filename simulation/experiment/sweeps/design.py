"""The design of a sweep: which runs it has (grid or sampled points times replicate seeds) and what each keeps.

An experiment file (TOML; format in ``docs/cli.md``) names a base scenario, the parameters
to vary (lists of values or ranges ``{start, stop, num}``), the number of replicate seeds
and what to keep of each run. :func:`load_experiment` reads and validates it into a
:class:`Design`, whose :meth:`Design.runs` lists every :class:`Run`. A
:class:`PointsDesign` runs an explicit list of points instead of a grid (the sensitivity
analysis's samples).

Seeds: replicate ``r`` uses the same seed at every design point (common random numbers),
derived from ``SeedSequence(root_seed)``; each row stores its seed. A run's result depends
only on its parameters and seed, so it is the same on any executor and in any batch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from simulation.core.indicators import INDICATORS, PUBLIC_INDICATORS
from simulation.core.model import seed_from_rng
from simulation.core.parameters import FIELDS, GOVERNANCE_MODES, LEVERS, ParameterError, Parameters, coerce_value, make_parameters
from simulation.errors import InputError, display, suggest
from simulation.experiment.files import read_input_text, to_jsonable
from simulation.experiment.memory import check_memory
from simulation.experiment.scenarios import find, merge_settings, resolve
from simulation.experiment.schema import check_keys, check_parameter_type, check_type, parse_toml

KEEP_MODES = ("every_step", "final", "mean_last_k")
EXPERIMENT_KEYS = ("description", "scenario", "steps", "replicates", "root_seed", "parameters", "vary", "keep")
KEEP_KEYS = ("mode", "k", "indicators")
#: Parameters that cannot be varied (the seed comes from the replicates; schedules from the scenario).
NOT_VARIABLE = ("seed", "policy_schedule")
#: Version of the output folder's layout (stored in design.json).
FORMAT_VERSION = 1
#: Most runs one sweep may have (design points times replicates); checked before anything is built.
MAX_RUNS = 1_000_000
#: Most values one range ``{start, stop, num}`` may have.
MAX_RANGE_NUM = 10_000


class Run(NamedTuple):
    """One run of a sweep: its id, design point, replicate number and seed.

    A named tuple rather than a dataclass: a design of a million runs lists them in a few
    seconds instead of twice that.
    """

    run_id: int
    point: tuple[tuple[str, Any], ...]
    replicate: int
    seed: int


@dataclasses.dataclass
class Design:
    """A validated experiment: base scenario, grid, seeds and what to keep."""

    name: str
    path: Path | None
    description: str
    scenario: str
    scenario_file: Path
    settings: dict[str, Any]
    policy: list[dict[str, Any]]
    base: Parameters
    vary: dict[str, list[Any]]
    replicates: int
    root_seed: int
    seeds: list[int]
    keep: str
    k: int | None
    indicators: list[str]
    notes: list[str]
    #: The experiment's own ``[parameters]``: applied after a varied mode's preset (they win over it).
    fixed: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: The experiment file's text as read (copied into the sweep's folder).
    text: str | None = None

    @property
    def n_runs(self) -> int:
        """Number of runs: design points times replicates."""
        return math.prod(len(v) for v in self.vary.values()) * self.replicates

    def runs(self) -> list[Run]:
        """Every run, in a fixed order: design points (first parameter slowest), then replicates."""
        names = list(self.vary)
        out = []
        for i, values in enumerate(itertools.product(*self.vary.values())):
            point = tuple(zip(names, values, strict=True))
            for r, seed in enumerate(self.seeds):
                out.append(Run(run_id=i * self.replicates + r, point=point, replicate=r, seed=seed))
        return out

    def parameters_for(self, run: Run) -> Parameters:
        """The full parameters of one run.

        A varied ``governance_mode`` replaces the scenario's levers by its preset; levers the
        experiment fixes in its own ``[parameters]`` are applied after the preset, so they win.
        """
        point = dict(run.point)
        settings = merge_settings(self.settings, point)
        if "governance_mode" in point:
            settings.update(self._experiment_levers(point))
        settings["seed"] = run.seed
        return make_parameters(**settings, policy_schedule=self.policy)

    def largest_point(self) -> dict[str, Any]:
        """The base parameters with every varied size at its largest value (what a run may need at most)."""
        sizes = {name: getattr(self.base, name) for name in ("n_citizens", "mean_degree", "n_associations", "n_staff", "steps")}
        for name in sizes:
            if name in self.vary:
                sizes[name] = max(self.vary[name])
        return sizes

    def check_points(self, where: str) -> None:
        """Every run of the design can be built: each varied value is tried once, with the first values of the others.

        Each value was checked on its own when read; what remains to check is how it combines
        with the scenario (a mode's preset, the policy schedule against a varied horizon).
        Trying each value once costs one check per value instead of one per design point, so a
        design of a million points is checked in a moment.

        Raises:
            InputError: naming the first design point that is not valid.
        """
        first = {name: values[0] for name, values in self.vary.items()}
        tried = [first] + [{**first, name: v} for name, values in self.vary.items() for v in values[1:]]
        for values in tried:
            run = Run(run_id=0, point=tuple(values.items()), replicate=0, seed=self.seeds[0] if self.seeds else 0)
            try:
                self.parameters_for(run)
            except ParameterError as exc:
                point = ", ".join(f"{n} = {v!r}" for n, v in run.point)
                raise InputError(f"{where}: the design point {point} is not valid: {exc}.") from None

    def _experiment_levers(self, point: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in self.fixed.items() if k in LEVERS and k not in point}

    def columns(self) -> list[str]:
        """Columns of the results table, in order."""
        step = ["step"] if self.keep == "every_step" else []
        return ["run_id", *self.vary, "replicate", "seed", *step, *self.indicators]

    def resolved(self) -> dict[str, Any]:
        """Everything that determines the results, as plain JSON (what the hash covers)."""
        extra = {}
        if "governance_mode" in self.vary and self._experiment_levers({}):
            # only where they change the runs, so the hash of every other design stays as it was
            extra["experiment_levers"] = self._experiment_levers({})
        return to_jsonable({
            **extra,
            "base_parameters": self.base.to_dict(),
            "settings": self.settings,
            "policy": self.policy,
            "vary": self.vary,
            "replicates": self.replicates,
            "root_seed": self.root_seed,
            "seeds": self.seeds,
            "keep": self.keep,
            "k": self.k,
            "indicators": self.indicators,
            "governance_mode_presets": GOVERNANCE_MODES,
        })

    def hash(self) -> str:
        """SHA-256 of :meth:`resolved`: two designs with the same hash give the same runs."""
        text = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """The design as stored in ``design.json``."""
        return {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "description": self.description,
            "experiment_file": str(self.path) if self.path else None,
            "scenario": self.scenario,
            "scenario_file": str(self.scenario_file),
            "n_runs": self.n_runs,
            "design_hash": self.hash(),
            "notes": self.notes,
            **self.resolved(),
        }


@dataclasses.dataclass
class PointsDesign(Design):
    """A design whose runs are an explicit list of points (each with every replicate seed), e.g. a SALib sample.

    ``vary`` names the columns (one per factor; its value lists are left empty) and
    ``points`` holds one ``((name, value), ...)`` tuple per sample row.
    """

    points: list[tuple[tuple[str, Any], ...]] = dataclasses.field(default_factory=list)

    @property
    def n_runs(self) -> int:
        """Number of runs: points times replicates."""
        return len(self.points) * self.replicates

    def runs(self) -> list[Run]:
        """Every run: points in sample order, then replicates."""
        return [
            Run(run_id=i * self.replicates + r, point=point, replicate=r, seed=seed)
            for i, point in enumerate(self.points)
            for r, seed in enumerate(self.seeds)
        ]

    def largest_point(self) -> dict[str, Any]:
        """The base parameters with every sampled size at its largest value."""
        sizes = {name: getattr(self.base, name) for name in ("n_citizens", "mean_degree", "n_associations", "n_staff", "steps")}
        for point in self.points:
            for name, value in point:
                if name in sizes:
                    sizes[name] = max(sizes[name], value)
        return sizes

    def check_points(self, where: str) -> None:
        """Every point can be built (each is tried: a sample is not a grid of separate values)."""
        for i, point in enumerate(self.points):
            try:
                self.parameters_for(Run(run_id=i, point=point, replicate=0, seed=self.seeds[0] if self.seeds else 0))
            except ParameterError as exc:
                shown = ", ".join(f"{n} = {v!r}" for n, v in point)
                raise InputError(f"{where}: the sample point {shown} is not valid: {exc}.") from None

    def resolved(self) -> dict[str, Any]:
        """As a grid design's, with the points (so the hash covers them)."""
        out = super().resolved()
        out["points"] = to_jsonable([dict(p) for p in self.points])
        return out


# --- reading a design --------------------------------------------------------------------

def _int(where: str, key: str, value: Any, lo: int, hi: int | None = None, hint: str = "") -> int:
    """A whole number (a TOML integer) within bounds; ``key`` names it as written, e.g. ``[keep] k``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        allowed = f"a whole number from {lo}" + (f" to {hi}" if hi is not None else " up")
        raise InputError(f"{where}: {key} = {value!r} is not allowed: expected {allowed}{hint}.")
    return value


def _grid_values(where: str, name: str, spec: Any) -> list[Any]:
    """The values of one varied parameter: a list, or a range ``{start, stop, num}``."""
    key = f"[vary] {name}"
    if isinstance(spec, Mapping):
        extra = set(spec) - {"start", "stop", "num"}
        missing = {"start", "stop", "num"} - set(spec)
        if extra or missing:
            raise InputError(
                f"{where}: {key}: a range is written {{start = ..., stop = ..., num = ...}} "
                f"(num values from start to stop, both included); "
                + (f"unknown key(s) {', '.join(sorted(extra))}" if extra else f"missing {', '.join(sorted(missing))}") + "."
            )
        num = _int(where, f"{key}.num", spec["num"], 1, MAX_RANGE_NUM,
                   hint=f" (at most {MAX_RANGE_NUM:,} values per range; a sweep has at most {MAX_RUNS:,} runs)")
        start, stop = spec["start"], spec["stop"]
        for part, v in (("start", start), ("stop", stop)):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InputError(f"{where}: {key}.{part} = {v!r}: a range needs numbers; give a list of values instead.")
        raw = np.linspace(float(start), float(stop), num)
        if FIELDS[name].type in ("int", int):
            values = [int(round(v)) for v in raw]
            if len(set(values)) != len(values):
                raise InputError(f"{where}: {key}: {num} whole numbers from {start} to {stop} repeat values ({values}); lower num.")
        else:
            values = [float(f"{v:.12g}") for v in raw]  # 0.30000000000000004 -> 0.3
    elif isinstance(spec, list):
        values = list(spec)
    else:
        values = [spec]
    if not values:
        raise InputError(f"{where}: {key}: the list of values is empty.")
    if len(values) > MAX_RUNS:
        raise InputError(f"{where}: {key}: {len(values):,} values; a sweep has at most {MAX_RUNS:,} runs.")
    out = []
    for v in values:
        check_parameter_type(name, v, f"{where}: {key}: value of")
        try:
            out.append(coerce_value(name, v))
        except ParameterError as exc:
            raise InputError(f"{where}: {key}: {exc}.") from None
    if len(set(map(repr, out))) != len(out):
        raise InputError(f"{where}: {key}: values repeat ({out}); each value once, and use 'replicates' for repeats.")
    return out


def replicate_seeds(root_seed: int, replicates: int) -> list[int]:
    """Seeds of the replicates: children of ``SeedSequence(root_seed)``, as the model reads them."""
    return [seed_from_rng(child) for child in np.random.SeedSequence(root_seed).spawn(replicates)]


def load_experiment(path: str | Path) -> Design:
    """Read and validate an experiment file; every mistake is an :class:`InputError` naming file and key."""
    path = Path(path)
    text = read_input_text(path)
    data = parse_toml(path, text)
    where = display(path)
    check_keys(where, data, EXPERIMENT_KEYS, "an experiment file", key_word="top-level key")
    description = check_type(where, "description", data.get("description", ""), "text")
    scenario = data.get("scenario", "denmark")
    if not isinstance(scenario, str):
        raise InputError(f"{where}: key 'scenario' must be a scenario name or path in quotes, got {scenario!r}.")
    try:
        scenario_file = find(scenario, relative_to=path.parent)
    except InputError as exc:
        raise InputError(f"{where}: key 'scenario': {exc}") from None

    fixed = dict(check_type(where, "parameters", data.get("parameters", {}), "table"))
    if "steps" in data:
        if "steps" in fixed:
            raise InputError(f"{where}: 'steps' is given both at the top and in [parameters]; keep one.")
        lo, hi = FIELDS["steps"].metadata["range"]
        fixed["steps"] = _int(where, "key 'steps'", data["steps"], lo, hi, hint=" (months per run)")
    for key in fixed:
        if key in NOT_VARIABLE:
            raise InputError(f"{where}: [parameters] key {key!r} cannot be set here: "
                             + ("seeds come from 'root_seed' and 'replicates'." if key == "seed" else "write lever changes as [[policy]] tables in a scenario file."))
    try:
        scen = resolve(str(scenario_file), fixed, override_source=f"{where}: [parameters] key", from_file=True)
    except InputError as exc:
        if str(exc).startswith(f"{where}:"):  # the experiment's own key: the message names it already
            raise
        raise InputError(f"{where}: key 'scenario' = {scenario!r}: {exc}") from None
    fixed = {key: scen.settings[key] for key in fixed}

    vary_spec = check_type(where, "vary", data.get("vary", {}), "table")
    vary: dict[str, list[Any]] = {}
    for name, spec in vary_spec.items():
        if name not in FIELDS or name in NOT_VARIABLE:
            if name == "seed":
                raise InputError(f"{where}: [vary] 'seed': replicates get their seeds from 'root_seed'; set 'replicates' instead.")
            raise InputError(f"{where}: [vary] key {name!r}: unknown parameter{suggest(name, [f for f in FIELDS if f not in NOT_VARIABLE])}. "
                             "`samskabelse params` lists them all.")
        if name in fixed:
            raise InputError(f"{where}: {name!r} is both fixed in [parameters] and varied in [vary]; keep one.")
        vary[name] = _grid_values(where, name, spec)

    replicates = _int(where, "key 'replicates'", data.get("replicates", 1), 1, MAX_RUNS,
                      hint=f" (a sweep has at most {MAX_RUNS:,} runs)")
    n_points = math.prod(len(v) for v in vary.values())  # counted, not built: a grid may be far too large
    if n_points * replicates > MAX_RUNS:
        sizes = " x ".join([*(f"{len(v):,} values of {n}" for n, v in vary.items()), f"{replicates:,} replicates"])
        raise InputError(f"{where}: the design has {n_points * replicates:,} runs ({sizes}); a sweep has at most "
                         f"{MAX_RUNS:,} runs. Use fewer values in [vary] or fewer replicates, or split the experiment.")
    root_seed = _int(where, "key 'root_seed'", data.get("root_seed", 0), 0, 2**63 - 1)

    keep_spec = data.get("keep", {})
    if isinstance(keep_spec, str):
        keep_spec = {"mode": keep_spec}
    check_type(where, "keep", keep_spec, "table")
    check_keys(f"{where}: [keep]", keep_spec, KEEP_KEYS, "[keep]")
    mode = keep_spec.get("mode", "final")
    if mode not in KEEP_MODES:
        raise InputError(f"{where}: [keep] mode = {mode!r} is not allowed{suggest(str(mode), KEEP_MODES)}: expected one of {', '.join(KEEP_MODES)}.")
    k = None
    steps = scen.parameters.steps
    if mode == "mean_last_k":
        if "k" not in keep_spec:
            raise InputError(f"{where}: [keep] mode = 'mean_last_k' needs k, the number of last months to average (e.g. k = 12).")
        if "steps" in vary:  # every design point has its own horizon: k must fit the shortest
            shortest = min(vary["steps"])
            k = _int(where, "[keep] k", keep_spec["k"], 1)
            if k > shortest:
                raise InputError(f"{where}: [keep] k = {k} is more than the months of the runs with [vary] steps = "
                                 f"{shortest}: k (the last months averaged) must be at most the steps of every design point.")
        else:
            k = _int(where, "[keep] k", keep_spec["k"], 1, steps, hint=f" (the months to average; the runs last steps = {steps})")
    elif "k" in keep_spec:
        raise InputError(f"{where}: [keep] k is only used with mode = 'mean_last_k' (mode is {mode!r}).")
    indicators = keep_spec.get("indicators", list(PUBLIC_INDICATORS))
    if not isinstance(indicators, list) or not indicators:
        raise InputError(f"{where}: [keep] indicators must be a non-empty list of indicator names, got {indicators!r}.")
    for ind in indicators:
        if not isinstance(ind, str) or ind not in INDICATORS:
            raise InputError(f"{where}: [keep] indicators: unknown indicator {ind!r}{suggest(str(ind), list(INDICATORS))}; "
                             f"indicators: {', '.join(INDICATORS)}.")
    repeated = sorted({ind for ind in indicators if indicators.count(ind) > 1})
    if repeated:
        raise InputError(f"{where}: [keep] indicators: {', '.join(map(repr, repeated))} is listed more than once; "
                         "name each indicator once.")

    design = Design(
        name=path.stem, path=path, description=" ".join(description.split()), scenario=scenario,
        scenario_file=scenario_file, settings=scen.settings, policy=scen.policy, base=scen.parameters,
        vary=vary, replicates=replicates, root_seed=root_seed, seeds=replicate_seeds(root_seed, replicates),
        keep=mode, k=k, indicators=list(indicators), notes=scen.notes, fixed=fixed, text=text,
    )
    design.check_points(where)  # every run must be valid before any is started
    check_memory(design.largest_point(), what=f"{where}: a run of this design")  # one run at least must fit
    return design



"""What a calibration runs: its settings (calibrated parameters, priors, sizes) and its designs of model runs.

Two designs, both run by the sweep engine (:func:`simulation.experiment.sweeps.run_sweep`:
progress, resumable after Ctrl-C, local cores or a Dask cluster, a tidy stored table):

* the **emulator design** (:func:`emulator_design`): a space-filling (Latin hypercube) sample
  of the calibrated behavioural parameters times societal trust, each point run for the
  burn-in with ``replicates`` seeds, keeping ``volunteered_past_year`` at the last month;
* the **temporal design** (:func:`temporal_design`): posterior draws for each country with
  2015 and 2022 data, run for the burn-in and ``forward_months`` more, every month kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import qmc

from simulation.core.parameters import FIELDS, coerce_value
from simulation.errors import InputError
from simulation.experiment.calibration.measurement import CALIBRATED_MEASUREMENT, OBSERVED_INDICATOR, MeasurementModel, Prior
from simulation.experiment.runs import simulate
from simulation.experiment.scenarios import find, resolve
from simulation.experiment.sweeps import PointsDesign, Run, replicate_seeds

#: The behavioural parameters calibrated, chosen from the Morris screening of the share who volunteered in the past
#: year (experiments/calibration_sensitivity.toml; docs/calibration.md says why), with their priors: 0.5 to 1.5 times
#: the default, the screening's own range, clipped to the declared range.
CALIBRATED_BEHAVIOUR: tuple[str, ...] = (
    "join_readiness_midpoint", "self_join_rate", "quit_trust_autonomy_rate", "join_probability", "base_quit_rate",
)
#: Model inputs of the emulator besides the calibrated behavioural parameters.
TRUST_INPUT = "societal_trust"
#: Scenario the runs start from (every country-specific value is set by the measurement model).
BASE_SCENARIO = "denmark"


def behaviour_prior(name: str, spread: float = 0.5) -> Prior:
    """The uniform prior of a behavioural parameter: its default times 1 -/+ ``spread``, within its declared range."""
    if name not in FIELDS or FIELDS[name].metadata["kind"] != "behaviour":
        raise InputError(f"{name!r} is not a behavioural parameter of the model; `samskabelse params` lists them.")
    f = FIELDS[name]
    lo, hi = f.metadata["range"]
    d = float(f.default)
    return Prior(name, max(lo, d * (1 - spread)), min(hi, d * (1 + spread)), f.metadata["meaning"], "behaviour")


@dataclasses.dataclass(frozen=True)
class CalibrationSize:
    """How big a calibration is: population of a run, design points, seeds, draws."""

    n_citizens: int
    points: int
    replicates: int
    prior_draws: int
    posterior_draws: int
    temporal_draws: int
    #: Posterior draws each pattern probe is run at (0: none), for the share of draws a pattern holds at.
    pattern_draws: int = 0


#: ``default`` regenerates docs/calibration (10-16 minutes on 2 cores, measured on a shared machine); ``small`` about 3; ``tiny`` for tests.
SIZES: dict[str, CalibrationSize] = {
    "default": CalibrationSize(n_citizens=1500, points=400, replicates=2, prior_draws=15_000, posterior_draws=2000, temporal_draws=10,
                               pattern_draws=10),
    "small": CalibrationSize(n_citizens=500, points=128, replicates=2, prior_draws=10_000, posterior_draws=1000, temporal_draws=3,
                             pattern_draws=3),
    "tiny": CalibrationSize(n_citizens=200, points=32, replicates=1, prior_draws=4000, posterior_draws=500, temporal_draws=1),
}


@dataclasses.dataclass(frozen=True)
class CalibrationSettings:
    """Everything that decides a calibration's result (with the data): priors, measurement model, size, seed."""

    size_name: str = "default"
    behaviour: tuple[Prior, ...] = tuple(behaviour_prior(n) for n in CALIBRATED_BEHAVIOUR)
    measurement_priors: tuple[Prior, ...] = CALIBRATED_MEASUREMENT
    measurement: MeasurementModel = MeasurementModel()
    root_seed: int = 2015
    #: Overrides of the size's numbers (tests), e.g. ``{"points": 30}``.
    size_overrides: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if self.size_name not in SIZES:
            raise InputError(f"--size {self.size_name}: unknown size; sizes: {', '.join(SIZES)}.")

    @property
    def size(self) -> CalibrationSize:
        """The size's numbers, with any override."""
        return dataclasses.replace(SIZES[self.size_name], **dict(self.size_overrides))

    @property
    def priors(self) -> tuple[Prior, ...]:
        """Every calibrated quantity: the behavioural parameters, then the measurement model's."""
        return (*self.behaviour, *self.measurement_priors)

    @property
    def emulator_inputs(self) -> list[str]:
        """The emulator's inputs: the calibrated behavioural parameters and societal trust."""
        return [p.name for p in self.behaviour] + [TRUST_INPUT]

    def to_json(self) -> dict[str, Any]:
        """The settings as plain JSON (stored in the manifest)."""
        return {
            "size": self.size_name, **dataclasses.asdict(self.size), "root_seed": self.root_seed,
            "priors": [dataclasses.asdict(p) for p in self.priors], "measurement_model": self.measurement.to_dict(),
        }


@dataclasses.dataclass
class CalibrationDesign(PointsDesign):
    """A :class:`PointsDesign` whose every point has seeds of its own.

    A sweep gives every point the same seeds (common random numbers: differences between points
    are then not noise). An emulator needs the opposite: with one shared seed, each run's noise
    would be the same function of the parameters everywhere, the Gaussian process would learn
    that seed's world instead of the mean over worlds, and its error would be shared by every
    country. Run ``i`` of point ``p`` gets child ``p * replicates + i`` of ``SeedSequence(root_seed)``.
    """

    def runs(self) -> list[Run]:
        """Every run: points in order, then replicates, each with its own seed."""
        seeds = replicate_seeds(self.root_seed, len(self.points) * self.replicates)
        return [Run(run_id=i * self.replicates + r, point=point, replicate=r, seed=seeds[i * self.replicates + r])
                for i, point in enumerate(self.points) for r in range(self.replicates)]

    def resolved(self) -> dict[str, Any]:
        """As a points design's, marked as seeded per point (so the hash differs from common seeds)."""
        return {**super().resolved(), "seeds_per_point": True}


def _base(settings: CalibrationSettings, steps: int) -> Any:
    fixed = {**settings.measurement.sizes(settings.size.n_citizens), "steps": steps, "governance_mode": "npg",
             **settings.measurement.country_settings(0.5)}
    return resolve(str(find(BASE_SCENARIO)), fixed, override_source="calibration setting", from_file=True)


def _points_design(settings: CalibrationSettings, name: str, description: str, steps: int, rows: Sequence[dict[str, float]],
                   replicates: int, keep: str, seed_offset: int) -> CalibrationDesign:
    scen = _base(settings, steps)
    columns = list(rows[0]) if rows else settings.emulator_inputs
    points = [tuple((n, coerce_value(n, float(f"{float(row[n]):.12g}"))) for n in columns) for row in rows]
    root = settings.root_seed + seed_offset
    return CalibrationDesign(
        name=name, path=None, description=description, scenario=BASE_SCENARIO, scenario_file=scen.path,
        settings=dict(scen.settings), policy=list(scen.policy), base=scen.parameters, vary={n: [] for n in columns},
        replicates=replicates, root_seed=root, seeds=replicate_seeds(root, replicates), keep=keep, k=None,
        indicators=[OBSERVED_INDICATOR], notes=[], points=points,
    )


def _with_starts(settings: CalibrationSettings, row: dict[str, float]) -> dict[str, float]:
    """A point with the country starts its societal trust sets (the measurement model's rule)."""
    starts = settings.measurement.country_settings(row[TRUST_INPUT])
    return {**row, **{k: v for k, v in starts.items() if k != "initial_volunteering"}}


def emulator_design(settings: CalibrationSettings) -> CalibrationDesign:
    """The space-filling design the emulator is fitted to (Latin hypercube over the priors and societal trust 0-1)."""
    size = settings.size
    names = settings.emulator_inputs
    lo = np.array([p.lo for p in settings.behaviour] + [0.0])
    hi = np.array([p.hi for p in settings.behaviour] + [1.0])
    sample = qmc.LatinHypercube(d=len(names), seed=settings.root_seed).random(size.points)
    values = qmc.scale(sample, lo, hi)
    rows = [_with_starts(settings, dict(zip(names, v, strict=True))) for v in values]
    return _points_design(settings, "calibration-design", "Calibration: emulator design (behavioural parameters x societal "
                          "trust), volunteered_past_year at the end of the burn-in.", settings.measurement.burn_in_months,
                          rows, size.replicates, "final", 0)


def temporal_design(settings: CalibrationSettings, draws: list[dict[str, float]]) -> CalibrationDesign:
    """Runs for the temporal check: one per (country, posterior draw) row, with its societal trust, every month kept."""
    mm = settings.measurement
    rows = [_with_starts(settings, {**{p.name: d[p.name] for p in settings.behaviour}, TRUST_INPUT: d[TRUST_INPUT]})
            for d in draws]
    return _points_design(settings, "calibration-temporal", "Calibration: temporal check, each country's posterior draws "
                          "run from the burn-in 7 years on.", mm.burn_in_months + mm.forward_months, rows, 1, "every_step", 1)


def country_run(settings: CalibrationSettings, behaviour: dict[str, float], societal_trust: float, seed: int) -> float:
    """One run of a country through the measurement model: volunteered_past_year at the end of the burn-in.

    The same parameters a design point gets (for synthetic data and checks; calibrations run designs).
    """
    design = _points_design(settings, "one-country", "", settings.measurement.burn_in_months,
                            [_with_starts(settings, {**behaviour, TRUST_INPUT: societal_trust})], 1, "final", 0)
    run = design.runs()[0]._replace(seed=seed)
    return float(simulate(design.parameters_for(run))[OBSERVED_INDICATOR].iloc[-1])

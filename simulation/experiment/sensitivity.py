"""Global sensitivity analysis: Morris screening and Sobol indices, run through the sweep engine.

A sensitivity design (``experiments/sensitivity.toml``) is not a grid, so it is not a
``samskabelse sweep`` file; but its runs are ordinary sweep runs. :class:`~simulation.experiment.sweeps.PointsDesign` (the sweep engine's) is a
:class:`~simulation.experiment.sweeps.Design` whose runs are an explicit list of parameter points (the
rows of a SALib sample) instead of a grid, so :func:`simulation.experiment.sweeps.run_sweep` runs them on
any executor, saves them as they finish and resumes after an interruption, exactly as for a
sweep.

Factors: every behavioural parameter and every lever except ``governance_mode``. SALib works
on numbers, so each factor is sampled on a numeric scale and mapped to a parameter value by
:meth:`Factor.value`: behavioural parameters over ``default * (1 -/+ behaviour_range)``
clipped to the declared range, float levers over their declared range, ``linear_thinking``
as false below 0.5 and true from 0.5, ``relation_offered`` as three equal bins of [0, 1].

    >>> spec = load_sensitivity("experiments/sensitivity.toml")
    >>> result = run_sensitivity(spec, "results/sensitivity", workers=2)
    >>> result.morris["volunteer_hours"].head()

``samskabelse sensitivity [FILE] --out DIR`` (:func:`run_sensitivity_file`) runs a design alone and
writes its tables and figures (drawn by :mod:`simulation.experiment.sensitivity_figures`);
``samskabelse report`` runs the same analysis as section 8 of the report.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.indicators import INDICATORS
from simulation.core.parameters import FIELDS, coerce_value
from simulation.errors import InputError, display
from simulation.experiment.executors import make_executor
from simulation.experiment.scenarios import find, read_toml, require_not_empty, resolve
from simulation.experiment.sensitivity_figures import figure_morris, figure_sobol
from simulation.experiment.sweeps import KEEP_MODES, PointsDesign, replicate_seeds, run_sweep

#: The project's sensitivity design (next to the package in a source checkout).
SENSITIVITY_FILE = Path(__file__).resolve().parents[2] / "experiments" / "sensitivity.toml"

SENSITIVITY_KEYS = ("description", "scenario", "steps", "replicates", "root_seed", "parameters", "keep", "morris", "sobol")
MORRIS_KEYS = ("trajectories", "levels", "seed", "behaviour_range", "exclude")
SOBOL_KEYS = ("top", "base_samples", "seed", "replicates")
#: Levers that are a preset of other levers, not a lever of their own.
NOT_FACTORS = ("governance_mode",)


@dataclasses.dataclass(frozen=True)
class Factor:
    """One factor of the analysis: a parameter and the numeric interval SALib samples."""

    name: str
    lo: float
    hi: float
    kind: str  # "number", "whole", "bool" or "choice"
    choices: tuple[Any, ...] = ()

    def value(self, x: float) -> Any:
        """The parameter value for a sampled number ``x`` in [lo, hi]."""
        if self.kind == "bool":
            return bool(x >= 0.5)
        if self.kind == "choice":
            i = min(int(math.floor(x * len(self.choices) + 1e-9)), len(self.choices) - 1)
            return self.choices[i]
        if self.kind == "whole":
            return int(round(x))
        return float(f"{float(x):.12g}")

    def describe_range(self) -> str:
        """The range in words, as the report's table shows it."""
        if self.kind == "bool":
            return "false / true"
        if self.kind == "choice":
            return " / ".join(map(str, self.choices))
        return f"{self.lo:g} to {self.hi:g}"


def default_factors(behaviour_range: float = 0.5, exclude: Sequence[str] = ()) -> list[Factor]:
    """Every behavioural parameter (default -/+ ``behaviour_range``) and every lever (whole range)."""
    out = []
    for name, f in FIELDS.items():
        kind = f.metadata["kind"]
        if name in exclude or name in NOT_FACTORS or kind not in ("behaviour", "lever"):
            continue
        if f.metadata["choices"]:
            out.append(Factor(name, 0.0, 1.0, "choice", tuple(f.metadata["choices"])))
        elif f.type in ("bool", bool):
            out.append(Factor(name, 0.0, 1.0, "bool"))
        else:
            lo, hi = f.metadata["range"]
            if kind == "behaviour":
                d = float(f.default)
                a, b = (d * (1 - behaviour_range), d * (1 + behaviour_range)) if d != 0 else (lo, lo + behaviour_range * (hi - lo))
                lo, hi = max(lo, a), min(hi, b)
            out.append(Factor(name, float(lo), float(hi), "whole" if f.type in ("int", int) else "number"))
    return out


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem dictionary of ``factors``."""
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": [[f.lo, f.hi] for f in factors]}


@dataclasses.dataclass
class SensitivitySpec:
    """A validated sensitivity design (from :func:`load_sensitivity`)."""

    name: str
    path: Path | None
    description: str
    scenario: str
    settings: dict[str, Any]
    policy: list[dict[str, Any]]
    base: Any
    replicates: int
    root_seed: int
    k: int
    indicators: list[str]
    trajectories: int
    levels: int
    morris_seed: int
    behaviour_range: float
    exclude: list[str]
    sobol_top: int
    sobol_samples: int
    sobol_seed: int
    sobol_replicates: int = 1
    scenario_file: Path | None = None

    def factors(self) -> list[Factor]:
        """The factors screened by Morris."""
        return default_factors(self.behaviour_range, self.exclude)

    def design(self, name: str, factors: Sequence[Factor], sample: np.ndarray, replicates: int | None = None) -> PointsDesign:
        """The runs of a SALib ``sample`` over ``factors`` as a :class:`PointsDesign` (``replicates`` seeds per point)."""
        reps = self.replicates if replicates is None else replicates
        points = [tuple((f.name, coerce_value(f.name, f.value(x))) for f, x in zip(factors, row, strict=True)) for row in sample]
        return PointsDesign(
            name=name, path=None, description=self.description, scenario=self.scenario,
            scenario_file=self.scenario_file or Path(self.scenario), settings=dict(self.settings), policy=list(self.policy),
            base=self.base, vary={f.name: [] for f in factors}, replicates=reps, root_seed=self.root_seed,
            seeds=replicate_seeds(self.root_seed, reps), keep="mean_last_k", k=self.k,
            indicators=list(self.indicators), notes=[], points=points,
        )


def require_salib(alternative: str = "") -> None:
    """Check that SALib can be imported, before any run; otherwise an :class:`InputError` says how to install it.

    Args:
        alternative: a way round it to name in the message (e.g. ``--no-sensitivity``).
    """
    try:
        import SALib  # noqa: F401
        from SALib.analyze import morris, sobol  # noqa: F401
        from SALib.sample import morris as _m  # noqa: F401
        from SALib.sample import sobol as _s  # noqa: F401
    except ImportError as exc:
        raise InputError(
            f"the sensitivity analysis needs SALib, which cannot be imported here ({exc}). Install it with "
            'pip install -e ".[sensitivity]"' + (f", or {alternative}" if alternative else "") + ". Nothing was run."
        ) from None


def _check_keys(where: str, table: Mapping[str, Any], allowed: Sequence[str], label: str) -> None:
    for key in table:
        if key not in allowed:
            raise InputError(f"{where}: unknown key {label}{key!r}; allowed: {', '.join(allowed)}.")


def _number(where: str, key: str, value: Any, lo: float, hi: float, whole: bool = False) -> Any:
    ok = not isinstance(value, bool) and isinstance(value, int if whole else (int, float)) and lo <= value <= hi
    if not ok:
        raise InputError(f"{where}: key {key!r} = {value!r} is not allowed: expected {'a whole number' if whole else 'a number'} from {lo:g} to {hi:g}.")
    return value


def load_sensitivity(path: str | Path, overrides: Mapping[str, Any] | None = None) -> SensitivitySpec:
    """Read and validate a sensitivity file; ``overrides`` may change any key (for report sizes).

    Override keys: ``n_citizens`` (a parameter), ``replicates``, ``trajectories``,
    ``sobol_samples``, ``sobol_top``, ``sobol_replicates``.
    """
    path = Path(path)
    data = read_toml(path)
    where = display(path)
    _check_keys(where, data, SENSITIVITY_KEYS, "")
    o = dict(overrides or {})
    morris = data.get("morris", {})
    sobol = data.get("sobol", {})
    keep = data.get("keep", {})
    _check_keys(where, morris, MORRIS_KEYS, "[morris] ")
    _check_keys(where, sobol, SOBOL_KEYS, "[sobol] ")
    _check_keys(where, keep, ("mode", "k", "indicators"), "[keep] ")
    if keep.get("mode", "mean_last_k") != "mean_last_k":
        raise InputError(f"{where}: [keep] mode must be 'mean_last_k' for a sensitivity analysis (one number per run); modes: {', '.join(KEEP_MODES)}.")
    indicators = keep.get("indicators", ["volunteer_hours", "trust_municipality", "synergy", "ei_index", "civil_output"])
    for ind in indicators:
        if ind not in INDICATORS:
            raise InputError(f"{where}: [keep] indicators: unknown indicator {ind!r}.")
    scenario = data.get("scenario", "denmark")
    scenario_file = find(scenario, relative_to=path.parent)
    fixed = dict(data.get("parameters", {}))
    if "steps" in data:
        fixed["steps"] = _number(where, "steps", data["steps"], 1, 100_000, whole=True)
    if "n_citizens" in o:
        fixed["n_citizens"] = o.pop("n_citizens")
    scen = resolve(str(scenario_file), fixed, override_source=f"{where}: [parameters] key", from_file=True)
    steps = scen.parameters.steps
    exclude = list(morris.get("exclude", []))
    for name in exclude:
        if name not in FIELDS:
            raise InputError(f"{where}: [morris] exclude: unknown parameter {name!r}.")
    spec = SensitivitySpec(
        name=path.stem, path=path, description=" ".join(str(data.get("description", "")).split()), scenario=scenario,
        settings=scen.settings, policy=scen.policy, base=scen.parameters, scenario_file=scenario_file,
        replicates=_number(where, "replicates", o.pop("replicates", data.get("replicates", 1)), 1, 10_000, whole=True),
        root_seed=_number(where, "root_seed", data.get("root_seed", 0), 0, 2**63 - 1, whole=True),
        k=_number(where, "[keep] k", keep.get("k", 24), 1, steps, whole=True),
        indicators=list(indicators),
        trajectories=_number(where, "[morris] trajectories", o.pop("trajectories", morris.get("trajectories", 20)), 2, 10_000, whole=True),
        levels=_number(where, "[morris] levels", morris.get("levels", 4), 2, 100, whole=True),
        morris_seed=_number(where, "[morris] seed", morris.get("seed", 0), 0, 2**32 - 1, whole=True),
        behaviour_range=_number(where, "[morris] behaviour_range", morris.get("behaviour_range", 0.5), 0.0, 1.0),
        exclude=exclude,
        sobol_top=_number(where, "[sobol] top", o.pop("sobol_top", sobol.get("top", 0)), 0, 100, whole=True),
        sobol_samples=_number(where, "[sobol] base_samples", o.pop("sobol_samples", sobol.get("base_samples", 256)), 2, 2**20, whole=True),
        sobol_seed=_number(where, "[sobol] seed", sobol.get("seed", 0), 0, 2**32 - 1, whole=True),
        sobol_replicates=_number(where, "[sobol] replicates", o.pop("sobol_replicates", sobol.get("replicates", data.get("replicates", 1))),
                                 1, 10_000, whole=True),
    )
    if spec.sobol_samples & (spec.sobol_samples - 1):
        raise InputError(f"{where}: [sobol] base_samples = {spec.sobol_samples}: Saltelli sampling needs a power of two (e.g. 128, 256).")
    if o:
        raise InputError(f"sensitivity overrides: unknown key(s) {', '.join(o)}.")
    return spec


@dataclasses.dataclass
class SensitivityResult:
    """Morris (and optional Sobol) indices per output, and the tables of runs behind them."""

    factors: list[Factor]
    morris: dict[str, pd.DataFrame]       # output -> factor, mu, mu_star, sigma, mu_star_conf, mu_star_norm
    morris_runs: pd.DataFrame             # one row per sample point: factor values and averaged outputs
    sobol_factors: list[Factor]
    sobol: dict[str, pd.DataFrame]        # output -> factor, S1, S1_conf, ST, ST_conf
    sobol_runs: pd.DataFrame | None
    n_runs: int


def _point_means(design: PointsDesign, table: pd.DataFrame, indicators: Sequence[str]) -> np.ndarray:
    """Outputs per sample point, averaged over its replicates, in sample order."""
    point = (table["run_id"].astype(int) // design.replicates).to_numpy()
    means = table.assign(_point=point).groupby("_point")[list(indicators)].mean().sort_index()
    if len(means) != len(design.points):
        raise RuntimeError(f"expected {len(design.points)} points, got {len(means)}")
    return means.to_numpy()


def rank_factors(morris: Mapping[str, pd.DataFrame]) -> list[str]:
    """Factors ordered by their largest normalised mu* over the outputs (most influential first)."""
    score: dict[str, float] = {}
    for frame in morris.values():
        for name, v in zip(frame["factor"], frame["mu_star_norm"], strict=True):
            score[name] = max(score.get(name, 0.0), float(v))
    return sorted(score, key=lambda n: -score[n])


def run_sensitivity(
    spec: SensitivitySpec,
    out_dir: str | Path,
    executor: Any = None,
    *,
    workers: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> SensitivityResult:
    """Run the Morris screening (and Sobol for the top factors) through the sweep engine.

    Runs go to ``out_dir/morris`` and ``out_dir/sobol`` (resumable sweep folders).
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    out_dir = Path(out_dir)
    factors = spec.factors()
    prob = problem(factors)
    X = morris_sample.sample(prob, spec.trajectories, num_levels=spec.levels, seed=spec.morris_seed)
    design = spec.design(f"{spec.name}-morris", factors, X)
    table = run_sweep(design, out_dir / "morris", executor, progress=progress, workers=workers, figures=False, log=log)
    Y = _point_means(design, table, spec.indicators)
    n_runs = design.n_runs
    morris: dict[str, pd.DataFrame] = {}
    for j, out in enumerate(spec.indicators):
        y = Y[:, j]
        res = morris_analyze.analyze(prob, X, y, num_levels=spec.levels, num_resamples=200, seed=spec.morris_seed)
        frame = pd.DataFrame({
            "factor": list(res["names"]), "mu": np.asarray(res["mu"]), "mu_star": np.asarray(res["mu_star"]),
            "sigma": np.asarray(res["sigma"]), "mu_star_conf": np.asarray(res["mu_star_conf"]),
        })
        top = frame["mu_star"].max()
        frame["mu_star_norm"] = frame["mu_star"] / top if top > 0 else 0.0
        frame["output_sd"] = float(np.std(y))
        morris[out] = frame.sort_values("mu_star", ascending=False).reset_index(drop=True)
    runs = pd.DataFrame(X, columns=prob["names"])
    for j, out in enumerate(spec.indicators):
        runs[out] = Y[:, j]

    sobol: dict[str, pd.DataFrame] = {}
    sobol_runs = None
    sobol_factors: list[Factor] = []
    if spec.sobol_top > 0:
        by_name = {f.name: f for f in factors}
        sobol_factors = [by_name[n] for n in rank_factors(morris)[: spec.sobol_top]]
        sprob = problem(sobol_factors)
        XS = sobol_sample.sample(sprob, spec.sobol_samples, calc_second_order=False, seed=spec.sobol_seed)
        sdesign = spec.design(f"{spec.name}-sobol", sobol_factors, XS, spec.sobol_replicates)
        stable = run_sweep(sdesign, out_dir / "sobol", executor, progress=progress, workers=workers, figures=False, log=log)
        YS = _point_means(sdesign, stable, spec.indicators)
        n_runs += sdesign.n_runs
        for j, out in enumerate(spec.indicators):
            res = sobol_analyze.analyze(sprob, YS[:, j], calc_second_order=False, num_resamples=200, seed=spec.sobol_seed)
            sobol[out] = pd.DataFrame({
                "factor": sprob["names"], "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"],
            })
        sobol_runs = pd.DataFrame(XS, columns=sprob["names"])
        for j, out in enumerate(spec.indicators):
            sobol_runs[out] = YS[:, j]
    return SensitivityResult(factors=factors, morris=morris, morris_runs=runs, sobol_factors=sobol_factors,
                             sobol=sobol, sobol_runs=sobol_runs, n_runs=n_runs)


def write_results(result: SensitivityResult, tables_dir: str | Path, figures_dir: str | Path | None = None, *,
                  prefix: str = "", points: bool = True) -> list[Path]:
    """Write the indices as CSV tables (``<prefix>morris.csv``, ...) and draw the figures; return the files written.

    Args:
        result: from :func:`run_sensitivity`.
        tables_dir: folder of the tables.
        figures_dir: folder of the figures (default: ``tables_dir``).
        prefix: put before each table's name (the report writes ``sensitivity_morris.csv``).
        points: also write the sample points with their outputs (``<prefix>morris_points.csv``).
    """
    tables_dir = Path(tables_dir)
    figures_dir = tables_dir if figures_dir is None else Path(figures_dir)
    tables_dir.mkdir(parents=True, exist_ok=True)
    paths = [tables_dir / f"{prefix}morris.csv", tables_dir / f"{prefix}factors.csv"]
    pd.concat([f.assign(outcome=out) for out, f in result.morris.items()]).to_csv(paths[0], index=False, float_format="%.6g")
    pd.DataFrame([{"factor": f.name, "kind": f.kind, "range": f.describe_range(), "low": f.lo, "high": f.hi}
                  for f in result.factors]).to_csv(paths[1], index=False)
    if points:
        paths.append(tables_dir / f"{prefix}morris_points.csv")
        result.morris_runs.to_csv(paths[-1], index=False, float_format="%.6g")
    paths.append(figure_morris(result, figures_dir / "sensitivity_morris.png"))
    if result.sobol:
        paths.append(tables_dir / f"{prefix}sobol.csv")
        pd.concat([f.assign(outcome=out) for out, f in result.sobol.items()]).to_csv(paths[-1], index=False, float_format="%.6g")
        paths.append(figure_sobol(result, figures_dir / "sensitivity_sobol.png"))
    return paths


def run_sensitivity_file(
    path: str | Path = SENSITIVITY_FILE,
    out_dir: str | Path = "results/sensitivity",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    connect_timeout: float = 5.0,
    quiet: bool = False,
) -> tuple[SensitivityResult, list[Path]]:
    """The sensitivity analysis of a design file alone: run it, write its tables and figures into ``out_dir``.

    What ``samskabelse sensitivity`` calls. The runs go to ``out_dir/morris`` and ``out_dir/sobol``
    (resumable sweep folders); the tables and figures beside them.

    Returns:
        The result and the files written.

    Raises:
        InputError: SALib is missing, the file or an option is bad, or the scheduler cannot be
            reached; raised before any run.
    """
    require_not_empty("--out", str(out_dir))
    require_salib()
    spec = load_sensitivity(path)
    with make_executor(workers, scheduler, connect_timeout) as ex:
        result = run_sensitivity(spec, out_dir, ex.executor, workers=ex.workers, progress=not quiet,
                                 log=(lambda msg: None) if quiet else None)
    return result, write_results(result, out_dir)

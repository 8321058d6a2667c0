"""Parameter sweeps: a design file, any executor, results written as runs finish, resumable.

An experiment file (TOML; format in ``docs/cli.md``) names a base scenario, the parameters
to vary (lists of values or ranges ``{start, stop, num}``), the number of replicate seeds
and what to keep of each run. :func:`load_experiment` reads and validates it into a
:class:`Design`; :func:`run_sweep` runs the missing runs of that design on any
:class:`concurrent.futures.Executor` and returns the tidy results table.

Output folder::

    experiment.toml   copy of the design file as given
    design.json       the resolved design (base parameters, grid, seeds) and its hash
    manifest.json     package version, code revision, sessions (start, wall time, executor), status
    runs/             one CSV per finished batch of runs, written atomically as batches finish
    results.csv       all runs, sorted by run id (written when the sweep is complete)
    figures/          one PNG per kept indicator against the first varied parameter

Seeds: replicate ``r`` uses the same seed at every design point (common random numbers),
derived from ``SeedSequence(root_seed)``; each row stores its seed. A run's result depends
only on its parameters and seed, so it is the same on any executor and in any batch.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import itertools
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.core.indicators import INDICATORS
from simulation.core.model import seed_from_rng
from simulation.core.parameters import FIELDS, GOVERNANCE_MODES, LEVERS, ParameterError, Parameters, coerce_value, make_parameters
from simulation.errors import InputError, display, suggest
from simulation.experiment.runs import (
    PUBLIC_INDICATORS,
    load_json,
    now,
    provenance,
    read_table,
    simulate,
    to_jsonable,
    write_json,
    write_table,
    write_text_atomic,
)
from simulation.experiment.scenarios import _check_file_type, find, merge_settings, read_toml, resolve

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


class SweepInterrupted(Exception):
    """The sweep was stopped (Ctrl-C); the finished runs are saved."""

    def __init__(self, done: int, total: int, out_dir: Path) -> None:
        """Record how far the sweep got."""
        super().__init__(f"interrupted after {done} of {total} runs")
        self.done, self.total, self.out_dir = done, total, out_dir


class SweepFailed(Exception):
    """A run raised an error; the runs finished before it are saved."""


@dataclasses.dataclass(frozen=True)
class Run:
    """One run of a sweep: its id, design point, replicate number and seed."""

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
        _check_file_type(name, v, f"{where}: {key}: value of")
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
    data = read_toml(path)
    where = display(path)
    for key in data:
        if key not in EXPERIMENT_KEYS:
            raise InputError(f"{where}: unknown top-level key {key!r}{suggest(key, EXPERIMENT_KEYS)}; an experiment file may hold {', '.join(EXPERIMENT_KEYS)}.")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise InputError(f"{where}: key 'description' must be text, got {description!r}.")
    scenario = data.get("scenario", "denmark")
    if not isinstance(scenario, str):
        raise InputError(f"{where}: key 'scenario' must be a scenario name or path in quotes, got {scenario!r}.")
    try:
        scenario_file = find(scenario, relative_to=path.parent)
    except InputError as exc:
        raise InputError(f"{where}: key 'scenario': {exc}") from None

    fixed = data.get("parameters", {})
    if not isinstance(fixed, Mapping):
        raise InputError(f"{where}: 'parameters' must be a table ([parameters]), got {fixed!r}.")
    fixed = dict(fixed)
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

    vary_spec = data.get("vary", {})
    if not isinstance(vary_spec, Mapping):
        raise InputError(f"{where}: 'vary' must be a table ([vary]) of parameter = list or range, got {vary_spec!r}.")
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
    if not isinstance(keep_spec, Mapping):
        raise InputError(f"{where}: 'keep' must be a table ([keep]) with mode, k and indicators, got {keep_spec!r}.")
    for key in keep_spec:
        if key not in KEEP_KEYS:
            raise InputError(f"{where}: [keep] unknown key {key!r}{suggest(key, KEEP_KEYS)}; [keep] may hold {', '.join(KEEP_KEYS)}.")
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
        keep=mode, k=k, indicators=list(indicators), notes=scen.notes, fixed=fixed,
    )
    # every run must be valid before any is started
    seen_points = set()
    for run in design.runs():
        if run.point in seen_points:
            continue
        seen_points.add(run.point)
        try:
            design.parameters_for(run)
        except ParameterError as exc:
            point = ", ".join(f"{n} = {v!r}" for n, v in run.point)
            raise InputError(f"{where}: the design point {point} is not valid: {exc}.") from None
    return design


# --- running -----------------------------------------------------------------------------

def run_batch(tasks: list[tuple[int, Parameters]], keep: str, k: int | None, indicators: list[str]) -> dict[str, list[Any]]:
    """Run a batch of runs (in a worker) and return their kept rows as columns.

    Args:
        tasks: ``(run_id, parameters)`` pairs.
        keep: ``every_step``, ``final`` or ``mean_last_k``.
        k: months averaged for ``mean_last_k``.
        indicators: indicator columns to keep.
    """
    cols: dict[str, list[Any]] = {"run_id": []}
    if keep == "every_step":
        cols["step"] = []
    for name in indicators:
        cols[name] = []
    for run_id, params in tasks:
        frame = simulate(params)
        if keep == "every_step":
            n = len(frame)
            cols["run_id"].extend([run_id] * n)
            cols["step"].extend(frame["step"].astype(int).tolist())
            for name in indicators:
                cols[name].extend(frame[name].astype(float).tolist())
        else:
            cols["run_id"].append(run_id)
            part = frame.iloc[-1:] if keep == "final" else frame.iloc[-k:]
            for name in indicators:
                cols[name].append(float(part[name].astype(float).mean()))
    return cols


def _worker_init() -> None:
    """Set up a worker: leave Ctrl-C to the main process, and end if the main process dies.

    Ctrl-C reaches every process of the terminal's group; the main process alone stops the
    sweep cleanly. A main process that is killed outright (``kill -9``) cannot tell its
    workers, which would wait for work forever; each worker watches multiprocessing's
    parent sentinel (a pipe only the main process holds open) and ends when it closes.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="watch-main-process", daemon=True).start()


def local_executor(workers: int | None = None) -> cf.ProcessPoolExecutor:
    """A process pool of ``workers`` (default: all cores) that ignores Ctrl-C in its workers.

    Workers are forked from multiprocessing's fork server, which has imported the model
    once, so a pool starts in milliseconds rather than the ~0.8 s of importing numpy, scipy
    and Mesa afresh in every worker (``spawn``, the fallback where there is no fork server).
    Each worker ends if the main process dies (see :func:`_worker_init`).
    """
    workers = workers or available_cores()
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["simulation.experiment.sweeps", "simulation.core.model"])
    else:
        ctx = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)


def available_cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def dask_executor(address: str, timeout: float = 5.0):
    """A ``concurrent.futures`` executor on a Dask cluster, and its client (close it when done).

    Raises:
        InputError: dask.distributed is not installed, or the scheduler cannot be reached.
    """
    try:
        from distributed import Client
    except ImportError:
        raise InputError(f"--scheduler {address}: running on a Dask cluster needs dask.distributed; install it with "
                         "pip install -e \".[dask]\" (or pip install \"dask[distributed]\").") from None
    from distributed.comm.registry import backends

    host, port = _scheduler_host_port(address, sorted(backends))
    def unreachable(reason: str) -> str:
        return (f"--scheduler {address}: could not reach a Dask scheduler there within {timeout:g} s ({reason}). "
                "Check the address (e.g. tcp://host:8786) and that the scheduler is running; "
                "leave out --scheduler to run on this machine's cores.")

    if host is not None:  # a plain TCP test first, so that no half-made Client is left to complain at exit
        import socket

        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise InputError(unreachable(reason)) from None
        # something listens there; a Client would wait forever for a peer that never answers, so ask first
        kind = _ask_identity(address, timeout)
        if kind != "Scheduler":
            _collect_quietly()
            raise InputError(unreachable("something listens there but does not answer as a Dask scheduler" if kind is None
                                         else f"that is a Dask {kind.lower()}, not the scheduler"))
    failure = None
    try:
        client = Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        failure = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if failure is not None:
        _collect_quietly()  # the half-made Client's __del__ would print "Exception ignored ..." at exit
        raise InputError(unreachable(failure))
    return client, client.get_executor(pure=False)


def _scheduler_host_port(address: str, schemes: Sequence[str]) -> tuple[str | None, int | None]:
    """Host and port of a scheduler address ``[SCHEME://]HOST:PORT``; (None, None) for non-TCP schemes.

    Raises:
        InputError: not an address of that form (no port, a port that is not a number, ...).
    """
    from urllib.parse import urlsplit

    example = "expected SCHEME://HOST:PORT, e.g. tcp://10.0.0.5:8786"
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", address.strip()
    if scheme not in schemes:
        raise InputError(f"--scheduler {address}: unknown scheme {scheme!r}; {example} (schemes: {', '.join(schemes)}).")
    if scheme not in ("tcp", "tls", "ws", "wss"):
        return None, None
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        host = parts.hostname
    except ValueError:
        raise InputError(f"--scheduler {address}: not a scheduler address; {example}.") from None
    if not host or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InputError(f"--scheduler {address}: not a scheduler address; {example}.")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        raise InputError(f"--scheduler {address}: the port is missing; {example} (a Dask scheduler listens on 8786 "
                         "unless told otherwise).")
    if not 1 <= port <= 65535:
        raise InputError(f"--scheduler {address}: the port is not a number from 1 to 65535; {example}.")
    return host, port


def _ask_identity(address: str, timeout: float) -> str | None:
    """The ``type`` a Dask server at ``address`` gives for itself (``Scheduler``, ``Worker``), or None if none answers in time."""
    import asyncio

    from distributed.core import rpc

    async def ask() -> Any:
        remote = rpc(address, timeout=timeout)
        try:
            return await remote.identity()
        finally:
            await remote.close_rpc()

    try:
        identity = asyncio.run(asyncio.wait_for(ask(), timeout))
    except RuntimeError as exc:
        if "running event loop" in str(exc):
            return "Scheduler"  # called from inside an event loop: leave the check to the Client
        return None
    except Exception:  # noqa: BLE001 - whatever went wrong, no scheduler answered
        return None
    return identity.get("type") if isinstance(identity, dict) else None


def _collect_quietly() -> None:
    """Collect garbage with "Exception ignored" reports (from ``__del__`` methods) silenced."""
    import gc

    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _batch_file(run_ids: Sequence[int]) -> str:
    return f"runs-{min(run_ids):07d}-{max(run_ids):07d}.csv"


def load_saved(design: Design, out_dir: Path, warn: Callable[[str], None]) -> pd.DataFrame:
    """All rows saved in ``out_dir/runs`` for this design (duplicates dropped, odd files skipped)."""
    runs_dir = out_dir / "runs"
    frames = []
    expected = design.columns()
    for f in sorted(runs_dir.glob("runs-*.csv")) if runs_dir.is_dir() else []:
        try:
            frame = read_table(f)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            warn(f"skipping {display(f)}: cannot be read ({exc}); its runs will be run again")
            continue
        if list(frame.columns) != expected:
            warn(f"skipping {display(f)}: its columns are not those of this design; its runs will be run again")
            continue
        frames.append(frame)
    if not frames:
        return pd.DataFrame({c: [] for c in expected})
    table = pd.concat(frames, ignore_index=True)
    keys = ["run_id", "step"] if design.keep == "every_step" else ["run_id"]
    dup = table.duplicated(keys, keep="first")
    if dup.any():
        warn(f"{int(table.loc[dup, 'run_id'].nunique())} run(s) were saved twice; keeping the first copy")
        table = table[~dup]
    return table.sort_values(keys, kind="stable").reset_index(drop=True)


def _diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            out += _diff(old.get(key, "(absent)"), new.get(key, "(absent)"), f"{prefix}.{key}" if prefix else str(key))
        return out
    return [] if old == new else [f"{prefix}: {_short(old)} -> {_short(new)}"]


def _short(v: Any) -> str:
    text = json.dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."


def prepare_output(design: Design, out_dir: Path) -> dict[str, Any] | None:
    """Check that ``out_dir`` is new, empty or holds this very design; return its old manifest.

    Raises:
        InputError: the folder holds other files or a different experiment (nothing is touched).
    """
    design_file = out_dir / "design.json"
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {display(out_dir)}: is a file, not a folder.")
    if design_file.exists():
        try:
            old = load_json(design_file)
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"{display(design_file)}: cannot be read ({exc}); choose another --out folder.") from None
        if old.get("design_hash") != design.hash():
            changes = _diff({k: v for k, v in old.items() if k in design.resolved()}, design.resolved())
            shown = "; ".join(changes[:5]) + (f"; and {len(changes) - 5} more" if len(changes) > 5 else "")
            raise InputError(
                f"--out {display(out_dir)}: this folder holds results of a different experiment "
                f"({old.get('name', '?')!r}, design hash {str(old.get('design_hash'))[:12]}, this one {design.hash()[:12]}). "
                f"What differs: {shown or 'the design hash'}. Nothing was changed; choose another --out folder "
                f"or delete that one to start over."
            )
        manifest_file = out_dir / "manifest.json"
        try:
            return load_json(manifest_file) if manifest_file.exists() else None
        except (OSError, json.JSONDecodeError):
            return None
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise InputError(
            f"--out {display(out_dir)}: this folder already holds files but no sweep design (design.json), "
            "so it is not a sweep of this experiment. Nothing was changed; choose an empty or new --out folder."
        )
    return None


def run_sweep(
    design: Design,
    out_dir: str | Path,
    executor: cf.Executor | None = None,
    *,
    progress: bool = True,
    workers: int | None = None,
    batch_size: int | None = None,
    executor_label: str | None = None,
    stop_after: int | None = None,
    figures: bool = True,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Run every run of ``design`` not yet saved in ``out_dir`` and return the whole results table.

    Args:
        design: from :func:`load_experiment`.
        out_dir: output folder; re-running with the same design resumes where it stopped.
        executor: any :class:`concurrent.futures.Executor` (e.g. a Dask client's
            ``get_executor()``); default: a local process pool of ``workers`` processes.
        progress: show a tqdm progress bar (runs done, rate, time left).
        workers: size of the default process pool (default: all cores); also used to size
            batches when an executor is given.
        batch_size: runs per task (default: about four tasks per worker, at most 25 runs).
        executor_label: how the manifest names the executor.
        stop_after: stop as if interrupted once this many runs are saved (for tests).
        figures: draw the sweep's figures at the end.
        log: where to send messages (default: standard error).

    Raises:
        InputError: the output folder holds something else.
        SweepInterrupted: stopped by Ctrl-C (finished runs are saved).
        SweepFailed: a run raised an error (finished runs are saved).
    """
    from tqdm import tqdm

    out_dir = Path(out_dir)
    say = log or (lambda msg: print(msg, file=sys.stderr))
    old_manifest = prepare_output(design, out_dir)
    (out_dir / "runs").mkdir(parents=True, exist_ok=True)
    for stray in (out_dir / "runs").glob(".*.tmp"):
        stray.unlink(missing_ok=True)  # a batch being written when the process was killed
    write_json(out_dir / "design.json", design.to_json())
    if design.path is not None:
        write_text_atomic(out_dir / "experiment.toml", design.path.read_text(encoding="utf-8"))

    info = provenance()
    sessions = list((old_manifest or {}).get("sessions", []))
    revisions = {s.get("code_revision") for s in sessions} - {None}
    if revisions and info["code_revision"] not in revisions:
        say(f"warning: earlier runs in {display(out_dir)} were made with code revision {', '.join(sorted(revisions))}; "
            f"this is {info['code_revision']}. Results may mix model versions.")

    saved = load_saved(design, out_dir, lambda m: say(f"warning: {m}"))
    done_ids = set(saved["run_id"].astype(int).tolist())
    all_runs = design.runs()
    pending = [r for r in all_runs if r.run_id not in done_ids]
    total = len(all_runs)

    own_executor = executor is None and bool(pending)
    n_workers = workers or available_cores()
    if executor is None and pending:
        executor = local_executor(n_workers)
        executor_label = executor_label or f"local process pool, {n_workers} worker{'s' if n_workers != 1 else ''}"
    if batch_size is None:
        batch_size = max(1, min(25, math.ceil(len(pending) / (4 * n_workers)))) if pending else 1
    session = {
        "started": now(), "code_revision": info["code_revision"], "version": info["version"],
        "command": info["command"], "executor": executor_label or type(executor).__name__,
        "batch_size": batch_size, "runs_at_start": len(done_ids),
    }
    manifest = {
        "kind": "sweep", **info, "experiment": design.name, "description": design.description,
        "design_hash": design.hash(), "total_runs": total, "runs_done": len(done_ids),
        "status": "running", "sessions": [*sessions, session],
        "started": (old_manifest or {}).get("started", session["started"]),
    }
    write_json(out_dir / "manifest.json", manifest)
    if done_ids and pending:
        say(f"Resuming: {len(done_ids)} of {total} runs are already saved in {display(out_dir / 'runs')}; running the other {len(pending)}.")

    t0 = time.perf_counter()
    done = len(done_ids)
    status = "complete"
    bar = tqdm(total=total, initial=done, unit="run", desc=design.name, disable=not progress, dynamic_ncols=True, file=sys.stderr)
    runs_by_id = {r.run_id: r for r in all_runs}

    def save(cols: dict[str, list[Any]]) -> int:
        frame = pd.DataFrame(cols)
        ids = frame["run_id"].astype(int)
        meta = pd.DataFrame([{**dict(runs_by_id[i].point), "replicate": runs_by_id[i].replicate, "seed": runs_by_id[i].seed} for i in ids])
        for c in meta.columns:
            frame[c] = meta[c].to_numpy()
        frame = frame[design.columns()]
        write_table(out_dir / "runs" / _batch_file(sorted(set(ids.tolist()))), frame, parquet=False)
        return int(ids.nunique())

    futures: dict[cf.Future, list[Run]] = {}
    try:
        for i in range(0, len(pending), batch_size):
            batch = pending[i:i + batch_size]
            tasks = [(r.run_id, design.parameters_for(r)) for r in batch]
            futures[executor.submit(run_batch, tasks, design.keep, design.k, design.indicators)] = batch
        remaining = set(futures)
        try:
            while remaining:
                finished, remaining = cf.wait(remaining, timeout=0.5, return_when=cf.FIRST_COMPLETED)
                for fut in finished:
                    exc = fut.exception() if not fut.cancelled() else cf.CancelledError("the executor cancelled the task")
                    if exc is not None:
                        first = futures[fut][0]
                        point = ", ".join(f"{n} = {v!r}" for n, v in first.point)
                        raise SweepFailed(
                            f"a batch of {len(futures[fut])} run(s) starting with run {first.run_id} ({point}, seed {first.seed}) "
                            f"failed: {type(exc).__name__}: {exc}"
                        )
                    n = save(fut.result())
                    done += n
                    bar.update(n)
                if stop_after is not None and done >= stop_after and remaining:
                    raise KeyboardInterrupt
        except (KeyboardInterrupt, SweepFailed) as exc:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            bar.close()
            for fut in remaining:
                fut.cancel()
            if own_executor:
                say("Stopping: waiting for the batches already running to finish and be saved (Ctrl-C again to abandon them) ...")
                executor.shutdown(wait=True, cancel_futures=True)
                for fut in remaining:
                    if fut.done() and not fut.cancelled() and fut.exception() is None:
                        done += save(fut.result())
            raise
    except KeyboardInterrupt:
        status = "interrupted"
        _close_session(out_dir, manifest, session, t0, done, status)
        raise SweepInterrupted(done, total, out_dir) from None
    except SweepFailed:
        _close_session(out_dir, manifest, session, t0, done, "failed")
        raise
    except Exception:
        _close_session(out_dir, manifest, session, t0, done, "failed")  # never leave "running" behind
        raise
    finally:
        bar.close()
        if own_executor and executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    table = load_saved(design, out_dir, lambda m: say(f"warning: {m}"))
    n_saved = int(table["run_id"].nunique()) if len(table) else 0
    if n_saved != total:
        _close_session(out_dir, manifest, session, t0, n_saved, "incomplete")
        raise SweepFailed(f"only {n_saved} of {total} runs are in {display(out_dir / 'runs')}; run the same command again to complete it")
    files = write_table(out_dir / "results.csv", table)
    table = read_table(out_dir / "results.csv")
    manifest["results"] = [p.name for p in files]
    if figures:
        manifest["figures"] = [str(p.relative_to(out_dir)) for p in plot_design(design, table, out_dir)]
    _close_session(out_dir, manifest, session, t0, total, status)
    return table


def _close_session(out_dir: Path, manifest: dict[str, Any], session: dict[str, Any], t0: float, done: int, status: str) -> None:
    session["finished"] = now()
    session["wall_time_seconds"] = round(time.perf_counter() - t0, 3)
    session["runs_at_end"] = done
    manifest["runs_done"] = done
    manifest["status"] = status
    manifest["wall_time_seconds"] = round(sum(s.get("wall_time_seconds", 0.0) for s in manifest["sessions"]), 3)
    write_json(out_dir / "manifest.json", manifest)


def plot_design(design: Design | Mapping[str, Any], table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Draw the sweep's figures (one per kept indicator) into ``out_dir/figures``."""
    from simulation.experiment.plots import plot_sweep

    d = design.to_json() if isinstance(design, Design) else design
    title = f"Experiment {d['name']} (scenario {d['scenario']})"
    return plot_sweep(table, d["vary"], d["indicators"], out_dir / "figures", keep=d["keep"], k=d.get("k"), title=title)


def replot_sweep(out_dir: Path) -> list[Path]:
    """Redraw a sweep's figures from its saved ``design.json`` and ``results.csv``."""
    design = load_json(out_dir / "design.json")
    if not isinstance(design, dict) or not all(k in design for k in ("name", "scenario", "vary", "indicators", "keep")):
        raise InputError(f"{display(out_dir / 'design.json')}: not the design.json `samskabelse sweep` writes "
                         "(expected an object with name, scenario, vary, indicators and keep).")
    results = out_dir / "results.csv"
    if not results.exists():
        raise InputError(f"{display(out_dir)}: no results.csv yet; the sweep is not complete (run the same sweep command again to finish it).")
    if not isinstance(design["vary"], dict) or not design["vary"]:
        raise InputError(f"{display(out_dir)}: this sweep varies no parameter (its [vary] is empty), so it has no figures "
                         f"to draw; its results are in {display(results)}.")
    table = read_table(results)
    if table.empty:
        raise InputError(f"{display(results)}: holds no runs (only a header); there is nothing to draw. "
                         "Run the sweep again (same command) to write its results.")
    missing = [c for c in [*design["vary"], *design["indicators"]] if c not in table.columns]
    if missing:
        raise InputError(f"{display(results)}: lacks the column(s) {', '.join(map(repr, missing))} of its design; "
                         "it is not the results.csv of this sweep.")
    return plot_design(design, table, out_dir)

"""One run of a scenario, and the files it leaves behind.

A run's output folder holds:

* ``timeseries.csv`` — one row per month, the indicators (and ``timeseries.parquet`` when
  pyarrow is installed);
* ``parameters.json`` — every parameter of the run, resolved (defaults, mode preset,
  scenario, overrides), with the policy schedule;
* ``manifest.json`` — what made it: package version, code revision, seed, scenario,
  command, wall time;
* ``figure.png`` — a figure of the main indicators over time.

Everything is read back from these plain files (never from pickles), so a folder someone
else made is safe to open.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.core.indicators import INDICATORS, PUBLIC_INDICATORS
from simulation.core.model import CoCreationModel
from simulation.core.parameters import Parameters
from simulation.errors import InputError, display
from simulation.experiment.files import _UMASK, check_out_folder, load_json, now, provenance, read_table, write_json, write_table
from simulation.experiment.memory import check_memory
from simulation.experiment.plots import plot_run

RUN_FIGURE = "figure.png"


def simulate(parameters: Parameters) -> pd.DataFrame:
    """Run the model to its horizon and return its tidy time series (one row per month)."""
    model = CoCreationModel(parameters=parameters)
    while model.running:
        model.step()
    return model.results()


def run_scenario(parameters: Parameters, out_dir: Path, *, scenario: str, scenario_file: Path | None = None,
                 notes: list[str] | None = None, figure: bool = True) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run once and write time series, parameters, manifest and figure to ``out_dir``.

    The run is written into a new folder beside ``out_dir`` and then renamed into its place,
    so ``out_dir`` holds either the earlier run or this one, whole, at every moment: a failure
    or a kill while the figure is drawn leaves the earlier run as it was. Files in ``out_dir``
    that the earlier run's manifest does not list (a user's notes) are moved into the new one.

    Returns:
        The time series and the manifest.

    Raises:
        InputError: the run would not fit in memory, or ``out_dir`` lies inside a sweep's
            ``runs/`` or cannot be written beside (nothing is written).
    """
    check_memory(parameters)
    check_out_folder(out_dir)
    started = now()
    t0 = time.perf_counter()
    frame = simulate(parameters)
    wall = time.perf_counter() - t0
    new = _new_sibling(out_dir)
    try:
        files = write_table(new / "timeseries.csv", frame)
        write_json(new / "parameters.json", parameters.to_dict())
        manifest = {
            "kind": "run",
            **provenance(),
            "scenario": scenario,
            "scenario_file": str(scenario_file) if scenario_file else None,
            "seed": parameters.seed,
            "steps": parameters.steps,
            "parameters": parameters.to_dict(),
            "notes": notes or [],
            "started": started,
            "wall_time_seconds": round(wall, 3),
            "files": [p.name for p in files] + ["parameters.json", "manifest.json"] + ([RUN_FIGURE] if figure else []),
        }
        write_json(new / "manifest.json", manifest)
        if figure:
            plot_run(frame, new / RUN_FIGURE, title=_run_title(scenario, parameters), policy=parameters.to_dict()["policy_schedule"])
        _put_in_place(new, out_dir)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    return frame, manifest


def _new_sibling(out_dir: Path) -> Path:
    """A new empty hidden folder beside ``out_dir``, where a run is written before it is put in place."""
    parent = out_dir.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        new = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out_dir.name}.new-"))
    except OSError as exc:
        raise InputError(f"--out {display(out_dir)}: cannot create a folder beside it in {display(parent)} "
                         f"({exc.strerror or exc}); a run is written there first and then renamed into place. "
                         "Choose an --out folder whose parent folder you can write to.") from None
    os.chmod(new, 0o777 & ~_UMASK)  # mkdtemp makes 0700; results are for sharing like any folder
    return new


def _put_in_place(new: Path, out_dir: Path) -> None:
    """Rename the finished run folder ``new`` to ``out_dir``, replacing an earlier run there."""
    if not out_dir.is_dir():
        os.replace(new, out_dir)
        return
    try:
        old_files = set(load_json(out_dir / "manifest.json").get("files", []))
    except (OSError, ValueError, AttributeError):
        old_files = set()
    own = old_files | {"timeseries.csv", "timeseries.parquet", "parameters.json", "manifest.json", RUN_FIGURE}
    for entry in out_dir.iterdir():
        if entry.name not in own and not (new / entry.name).exists():
            os.replace(entry, new / entry.name)  # not the earlier run's: it stays with the folder
    old = Path(tempfile.mkdtemp(dir=out_dir.absolute().parent, prefix=f".{out_dir.name}.old-"))
    os.replace(out_dir, old / out_dir.name)
    os.replace(new, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def _run_title(scenario: str, parameters: Parameters | dict[str, Any]) -> str:
    p = parameters if isinstance(parameters, dict) else parameters.to_dict()
    return f"Scenario {scenario}: {p['governance_mode'].upper()} governance, {p['n_citizens']:,} citizens, seed {p['seed']}"


def replot_run(out_dir: Path) -> Path:
    """Redraw a run's figure from its saved CSV and JSON files.

    Raises:
        InputError: a file is not what a run writes; the figure is left as it was.
    """
    table = out_dir / "timeseries.csv"
    frame = read_table(table)
    known = [c for c in frame.columns if c in INDICATORS]
    if "step" not in frame.columns or not known or frame.empty:
        raise InputError(f"{display(table)}: not a run's time series (expected a 'step' column, indicator columns such as "
                         f"{', '.join(list(INDICATORS)[:3])}, and one row per month); the figure was left as it was.")
    numeric = frame[["step", *known]].apply(pd.to_numeric, errors="coerce")
    if numeric.isna().any().any():
        bad = next(c for c in numeric.columns if numeric[c].isna().any())
        raise InputError(f"{display(table)}: column {bad!r} holds values that are not numbers; the figure was left as it was.")
    manifest = load_json(out_dir / "manifest.json") if (out_dir / "manifest.json").exists() else {}
    params = load_json(out_dir / "parameters.json")
    for name, data in (("manifest.json", manifest), ("parameters.json", params)):
        if not isinstance(data, dict):
            raise InputError(f"{display(out_dir / name)}: expected a JSON object (as `samskabelse run` writes), "
                             f"got {type(data).__name__}; the figure was left as it was.")
    policy = params.get("policy_schedule", [])
    missing = [k for k in ("governance_mode", "n_citizens", "seed") if k not in params]
    if missing or not isinstance(policy, list) or not all(isinstance(c, dict) and isinstance(c.get("step"), int) for c in policy):
        what = f"lacks {', '.join(map(repr, missing))}" if missing else "has a 'policy_schedule' that is not a list of {step, ...} tables"
        raise InputError(f"{display(out_dir / 'parameters.json')}: {what}; it is not the parameters.json `samskabelse run` "
                         "writes. The figure was left as it was.")
    path = out_dir / RUN_FIGURE
    plot_run(frame, path, title=_run_title(str(manifest.get("scenario", "?")), params), policy=policy)
    return path


def summary_table(frame: pd.DataFrame, indicators: tuple[str, ...] = PUBLIC_INDICATORS) -> str:
    """A plain-text table of each indicator at the start and at the end of a run."""
    first, last = frame.iloc[0], frame.iloc[-1]
    name_w = max(len(n) for n in indicators)
    head_start, head_end = "month 0", f"month {int(last['step'])}"
    lines = [f"{'indicator':<{name_w}}  {head_start:>10}  {head_end:>10}  meaning", f"{'-' * name_w}  {'-' * 10}  {'-' * 10}  {'-' * 7}"]
    for name in indicators:
        meaning = INDICATORS[name]
        if len(meaning) > 70:
            meaning = meaning[:67].rstrip() + "..."
        lines.append(f"{name:<{name_w}}  {_fmt(first[name]):>10}  {_fmt(last[name]):>10}  {meaning}")
    return "\n".join(lines)


def _fmt(x: Any) -> str:
    x = float(x)
    return f"{x:.4g}" if abs(x) < 1000 else f"{x:,.0f}"

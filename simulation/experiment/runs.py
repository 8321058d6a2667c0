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

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.core.indicators import INDICATORS
from simulation.core.model import CoCreationModel
from simulation.core.parameters import Parameters

#: The indicators every tool relies on (the public interface of the model's results).
PUBLIC_INDICATORS: tuple[str, ...] = tuple(list(INDICATORS)[:19])

RUN_FIGURE = "figure.png"


def package_version() -> str:
    """The installed version of the samskabelse package."""
    try:
        from importlib.metadata import version

        return version("samskabelse")
    except Exception:  # noqa: BLE001 - running from a plain checkout
        from simulation import __version__

        return __version__


def code_revision() -> str | None:
    """The git revision of the code (with ``-dirty`` for uncommitted changes), if it is a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=here, capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def now() -> str:
    """The current time, ISO 8601 with the UTC offset."""
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def provenance() -> dict[str, Any]:
    """What every manifest records about the software and the command."""
    return {
        "package": "samskabelse",
        "version": package_version(),
        "code_revision": code_revision(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else None,
    }


def to_jsonable(value: Any) -> Any:
    """Plain JSON types for parameters, numpy scalars and paths."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_atomic(path: Path, write: Callable[[Any], None], mode: str = "w") -> None:
    """Write a file so that it either has its old content or the complete new one.

    ``write`` gets an open file (text for ``mode="w"``, bytes for ``"wb"``) in the same
    folder; it is renamed over ``path`` only once complete.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": ""} if "b" not in mode else {})) as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for sharing like any file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file atomically (see :func:`write_atomic`)."""
    write_atomic(path, lambda fh: fh.write(text))


def ensure_output_folder(out_dir: Path, option: str = "--out") -> None:
    """Create ``out_dir`` (and its parents) and check that files can be written in it.

    Called before any run, so that a folder that cannot be made or written to is noticed
    before the simulation rather than after it.

    Raises:
        InputError: naming ``option`` and the reason (a file in the way, no permission, ...).
    """
    from simulation.errors import InputError, display

    shown = display(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{option} {shown}: is a file, not a folder; choose another {option} folder.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".write-test.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except (FileExistsError, NotADirectoryError):
        raise InputError(f"{option} {shown}: cannot be made a folder because a part of the path is a file, not a "
                         f"folder; choose another {option} folder.") from None
    except OSError as exc:
        raise InputError(f"{option} {shown}: cannot create or write to this folder ({exc.strerror or exc}); "
                         f"choose a folder you can write to. Nothing was run.") from None


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically, indented for people to read."""
    write_text_atomic(path, json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n")


def write_table(path: Path, frame: pd.DataFrame, parquet: bool = True) -> list[Path]:
    """Write a table as CSV (floats at full precision) and, where pyarrow exists, as Parquet."""
    write_text_atomic(path, frame.to_csv(index=False))
    written = [path]
    if parquet and has_pyarrow():
        pq = path.with_suffix(".parquet")
        write_atomic(pq, lambda fh: frame.to_parquet(fh, index=False), mode="wb")
        written.append(pq)
    return written


def read_table(path: Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (CSV, exact round trip of floats)."""
    if int(pd.__version__.split(".")[0]) < 3:  # pandas 3 reads floats exactly by default
        return pd.read_csv(path, float_precision="round_trip")
    return pd.read_csv(path)


def has_pyarrow() -> bool:
    """True when pyarrow is importable (Parquet output)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def simulate(parameters: Parameters) -> pd.DataFrame:
    """Run the model to its horizon and return its tidy time series (one row per month)."""
    model = CoCreationModel(parameters=parameters)
    while model.running:
        model.step()
    return model.results()


def run_scenario(parameters: Parameters, out_dir: Path, *, scenario: str, scenario_file: Path | None = None,
                 notes: list[str] | None = None, figure: bool = True) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run once and write time series, parameters, manifest and figure to ``out_dir``.

    Returns:
        The time series and the manifest.
    """
    started = now()
    t0 = time.perf_counter()
    frame = simulate(parameters)
    wall = time.perf_counter() - t0
    out_dir.mkdir(parents=True, exist_ok=True)
    files = write_table(out_dir / "timeseries.csv", frame)
    if not figure:  # an earlier run's figure must not sit beside this run's data
        (out_dir / RUN_FIGURE).unlink(missing_ok=True)
    write_json(out_dir / "parameters.json", parameters.to_dict())
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
    write_json(out_dir / "manifest.json", manifest)
    if figure:
        from simulation.experiment.plots import plot_run

        plot_run(frame, out_dir / RUN_FIGURE, title=_run_title(scenario, parameters), policy=parameters.to_dict()["policy_schedule"])
    return frame, manifest


def _run_title(scenario: str, parameters: Parameters | dict[str, Any]) -> str:
    p = parameters if isinstance(parameters, dict) else parameters.to_dict()
    return f"Scenario {scenario}: {p['governance_mode'].upper()} governance, {p['n_citizens']:,} citizens, seed {p['seed']}"


def load_json(path: Path) -> Any:
    """Read a JSON file written by this package."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def replot_run(out_dir: Path) -> Path:
    """Redraw a run's figure from its saved CSV and JSON files.

    Raises:
        InputError: a file is not what a run writes; the figure is left as it was.
    """
    from simulation.errors import InputError, display
    from simulation.experiment.plots import plot_run

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

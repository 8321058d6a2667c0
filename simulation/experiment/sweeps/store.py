"""The resumable store of a sweep: its output folder, batch files, manifest and lock.

Output folder::

    experiment.toml   copy of the design file as given
    design.json       the resolved design (base parameters, grid, seeds) and its hash
    manifest.json     package version, code revision, sessions (start, wall time, executor), status
    runs/             one CSV per finished batch of runs, written atomically as batches finish
    results.csv       all runs, sorted by run id (written when the sweep is complete)
    figures/          one PNG per kept indicator against the first varied parameter
    .lock             locked by the sweep writing to the folder (while it runs, ``.lock.json`` says which)

A batch file ``runs-AAAAAAA-BBBBBBB.csv`` holds the rows of some runs from ``AAAAAAA`` to
``BBBBBBB``. Every batch file read back is checked row by row against the design (columns,
types, run ids of its own range, each run's design point, replicate and seed, no empty cell);
one that fails is set aside (renamed ``*.bad``, never deleted) with a warning, and its runs
are run again.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout

from simulation.errors import InputError, display
from simulation.experiment.files import check_out_folder, command_line, load_json, now, read_table, write_json
from simulation.experiment.sweeps.design import Design, Run

#: Name of the lock file in a sweep's folder, and of the file saying who holds it.
LOCK_FILE = ".lock"
LOCK_INFO = ".lock.json"
#: Files of the store itself that do not make a folder "hold other files".
_OWN_HIDDEN = (LOCK_FILE, LOCK_INFO)
_BATCH_NAME = re.compile(r"runs-(\d{7,})-(\d{7,})\.csv")


def batch_file(run_ids: Sequence[int]) -> str:
    """The file name of a batch holding ``run_ids`` (named by the lowest and highest)."""
    return f"runs-{min(run_ids):07d}-{max(run_ids):07d}.csv"


def set_aside(path: Path) -> Path:
    """Rename a bad batch file to ``<name>.bad`` (``.bad2``, ... if taken) so it is kept but no longer read."""
    target = path.with_name(path.name + ".bad")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bad{n}")
    os.replace(path, target)
    return target


def check_batch(design: Design, frame: pd.DataFrame, name: str, runs_by_id: dict[int, Run]) -> str | None:
    """What is wrong with a batch file's rows, or None when every row is one this design would write.

    Args:
        design: the sweep's design.
        frame: the file as read by :func:`~simulation.experiment.files.read_table`.
        name: the file's name (``runs-AAAAAAA-BBBBBBB.csv``), which gives its range of run ids.
        runs_by_id: every run of the design by its id.
    """
    match = _BATCH_NAME.fullmatch(name)
    if match is None:
        return "its name is not that of a batch file (runs-AAAAAAA-BBBBBBB.csv)"
    lo, hi = int(match.group(1)), int(match.group(2))
    if list(frame.columns) != design.columns():
        return "its columns are not those of this design"
    if frame.empty:
        return "it holds no rows"
    if frame.isna().any().any():
        column = next(c for c in frame.columns if frame[c].isna().any())
        return f"column {column!r} has empty cells (the file may have been cut short)"
    integer = ["run_id", "replicate", "seed", *(["step"] if design.keep == "every_step" else [])]
    for column in integer:
        if not pd.api.types.is_integer_dtype(frame[column]):
            return f"column {column!r} holds values that are not whole numbers"
    for column in design.indicators:
        if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
            return f"column {column!r} holds values that are not numbers"
    ids = frame["run_id"]
    if ids.min() != lo or ids.max() != hi:
        return f"its run ids go from {ids.min()} to {ids.max()}, not from {lo} to {hi} as its name says"
    unknown = sorted(set(ids.tolist()) - set(runs_by_id))
    if unknown:
        return f"it holds run id {unknown[0]}, which this design does not have"
    if design.keep == "every_step":
        for run_id, steps in frame.groupby("run_id", sort=False)["step"]:
            horizon = dict(runs_by_id[run_id].point).get("steps", design.base.steps)
            if steps.tolist() != list(range(horizon + 1)):
                return f"run {run_id} does not have one row for each month 0 to {horizon}"
    elif ids.duplicated().any():
        return f"run {ids[ids.duplicated()].iloc[0]} has more than one row"
    first = frame.drop_duplicates("run_id")
    runs = [runs_by_id[i] for i in first["run_id"].tolist()]
    expected = {"replicate": [r.replicate for r in runs], "seed": [r.seed for r in runs]}
    for column in design.vary:
        expected[column] = [dict(r.point)[column] for r in runs]
    for column, values in expected.items():
        got = first[column].tolist()
        if [str(v) for v in got] != [str(v) for v in values]:
            at = next(i for i, (g, v) in enumerate(zip(got, values, strict=True)) if str(g) != str(v))
            return f"run {runs[at].run_id} has {column} = {got[at]!r}, but the design gives {values[at]!r}"
    return None


def load_saved(design: Design, out_dir: Path, warn: Callable[[str], None], runs: Sequence[Run] | None = None) -> pd.DataFrame:
    """All rows saved in ``out_dir/runs`` for this design (duplicates dropped, bad files set aside).

    Each batch file is checked with :func:`check_batch`; a file that cannot be read or fails a
    check is renamed ``*.bad`` (kept for inspection) with a warning, so its runs count as
    not done and are run again. ``runs`` is ``design.runs()`` when the caller has it already.
    """
    runs_dir = out_dir / "runs"
    frames = []
    expected = design.columns()
    runs_by_id = {r.run_id: r for r in (design.runs() if runs is None else runs)}
    for f in sorted(runs_dir.glob("runs-*.csv")) if runs_dir.is_dir() else []:
        frame = None
        try:
            if f.is_file():
                frame = read_table(f)
                problem = check_batch(design, frame, f.name, runs_by_id)
            else:
                problem = "it is not a file"
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as exc:
            problem = f"cannot be read ({' '.join(str(exc).split())})"
        if problem is not None:
            kept = set_aside(f)
            warn(f"{display(f)}: {problem}; set aside as {kept.name} and its runs will be run again")
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
        InputError: the folder is a file or lies inside another sweep's ``runs/``, or it holds
            other files or a different experiment (nothing is touched).
    """
    design_file = out_dir / "design.json"
    check_out_folder(out_dir)
    if design_file.exists():
        try:
            old = load_json(design_file)
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{display(design_file)}: cannot be read ({exc}); choose another --out folder.") from None
        if not isinstance(old, dict) or old.get("design_hash") != design.hash():
            old = old if isinstance(old, dict) else {}
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
            manifest = load_json(manifest_file) if manifest_file.exists() else None
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        return manifest if isinstance(manifest, dict) else None
    if out_dir.is_dir() and any(p.name not in _OWN_HIDDEN for p in out_dir.iterdir()):
        raise InputError(
            f"--out {display(out_dir)}: this folder already holds files but no sweep design (design.json), "
            "so it is not a sweep of this experiment. Nothing was changed; choose an empty or new --out folder."
        )
    return None


@contextlib.contextmanager
def lock_folder(out_dir: Path) -> Iterator[None]:
    """Hold the lock of a sweep's folder while the block runs: one sweep at a time per folder.

    The lock is the operating system's (through ``filelock``), so it is released even when the
    process is killed. Who holds it (process id, host, start time, command) is written beside it.

    Raises:
        InputError: another sweep holds the folder; the message says which.
    """
    lock = FileLock(str(out_dir / LOCK_FILE))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise InputError(f"--out {display(out_dir)}: another sweep is writing to this folder ({_holder(out_dir)}). "
                         "Wait for it to finish (or stop it), then run this command again to continue its sweep; "
                         "or choose another --out folder.") from None
    try:
        write_json(out_dir / LOCK_INFO, {"pid": os.getpid(), "host": socket.gethostname(), "started": now(),
                                         "command": command_line()})
        yield
    finally:
        (out_dir / LOCK_INFO).unlink(missing_ok=True)  # while still held: no one else's note is removed
        lock.release()


def _holder(out_dir: Path) -> str:
    try:
        info = load_json(out_dir / LOCK_INFO)
        return (f"process {info['pid']} on host {info['host']}, started {info['started']}, "
                f"command: {info['command']}")
    except (OSError, ValueError, KeyError, TypeError):
        return "it has not yet said which process it is"


def close_session(out_dir: Path, manifest: dict[str, Any], session: dict[str, Any], wall: float, done: int, status: str) -> None:
    """Record the end of a session (its wall time, runs saved, status) in the manifest."""
    session["finished"] = now()
    session["wall_time_seconds"] = round(wall, 3)
    session["runs_at_end"] = done
    manifest["runs_done"] = done
    manifest["status"] = status
    manifest["wall_time_seconds"] = round(sum(s.get("wall_time_seconds", 0.0) for s in manifest["sessions"]), 3)
    write_json(out_dir / "manifest.json", manifest)

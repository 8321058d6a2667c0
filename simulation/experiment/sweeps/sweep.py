"""Running a sweep: the missing runs of a design on any executor, saved as they finish, resumable.

:func:`run_sweep` takes a :class:`~simulation.experiment.sweeps.design.Design`, holds the lock
of its output folder (:mod:`~simulation.experiment.sweeps.store`), runs every run not yet saved
there on any :class:`concurrent.futures.Executor` (see :mod:`simulation.experiment.executors`),
writes each finished batch atomically, and at the end writes the tidy results table and the
figures. Whatever stops it (Ctrl-C, a failing run, a full disk) the manifest is closed with
the status and the number of runs saved, and the same call resumes it.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from simulation.core.parameters import Parameters
from simulation.errors import InputError, display
from simulation.experiment.executors import available_cores, local_executor
from simulation.experiment.files import (
    load_json,
    now,
    provenance,
    read_input_text,
    read_table,
    write_json,
    write_table,
    write_text_atomic,
)
from simulation.experiment.memory import check_memory
from simulation.experiment.plots import plot_sweep
from simulation.experiment.runs import simulate
from simulation.experiment.sweeps.design import Design, Run
from simulation.experiment.sweeps.store import batch_file, close_session, load_saved, lock_folder, prepare_output


class SweepInterrupted(Exception):
    """The sweep was stopped (Ctrl-C); the finished runs are saved."""

    def __init__(self, done: int, total: int, out_dir: Path) -> None:
        """Record how far the sweep got."""
        super().__init__(f"interrupted after {done} of {total} runs")
        self.done, self.total, self.out_dir = done, total, out_dir


class SweepFailed(Exception):
    """A run raised an error, or a file could not be written; the runs finished before it are saved."""


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
        design: from :func:`~simulation.experiment.sweeps.design.load_experiment`.
        out_dir: output folder; re-running with the same design resumes where it stopped.
        executor: any :class:`concurrent.futures.Executor` (e.g. from
            :func:`simulation.experiment.executors.make_executor`); default: a local process
            pool of ``workers`` processes.
        progress: show a tqdm progress bar (runs done, rate, time left).
        workers: size of the default process pool (default: all cores); also used to size
            batches, and (for a local pool) to check that that many runs at once fit in memory.
        batch_size: runs per task (default: about four tasks per worker, at most 25 runs).
        executor_label: how the manifest names the executor.
        stop_after: stop as if interrupted once this many runs are saved (for tests).
        figures: draw the sweep's figures at the end.
        log: where to send messages (default: standard error).

    Raises:
        InputError: the output folder holds something else or another sweep is writing to it,
            or the runs would not fit in this machine's memory (nothing is written).
        SweepInterrupted: stopped by Ctrl-C (finished runs are saved).
        SweepFailed: a run raised an error or a file could not be written (finished runs are saved).
    """
    out_dir = Path(out_dir)
    say = log or (lambda msg: print(msg, file=sys.stderr))
    n_workers = workers or available_cores()
    try:
        prepare_output(design, out_dir)  # nothing is written before this check and the memory check
        # on this machine's pool every worker holds a run; a cluster's workers use their own machines' memory
        local = executor is None or isinstance(executor, cf.ProcessPoolExecutor)
        check_memory(design.largest_point(), workers=n_workers if local else 1, what=f"experiment {design.name}")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"--out {display(out_dir)}: cannot create this folder ({exc.strerror or exc}).") from None
        with lock_folder(out_dir):
            return _run_locked(design, out_dir, executor, say=say, progress=progress, n_workers=n_workers,
                               batch_size=batch_size, executor_label=executor_label, stop_after=stop_after, figures=figures)
    except KeyboardInterrupt:  # before any run was started: nothing new is saved
        raise SweepInterrupted(_count_saved(out_dir), design.n_runs, out_dir) from None


def _count_saved(out_dir: Path) -> int:
    manifest = out_dir / "manifest.json"
    try:
        return int(load_json(manifest).get("runs_done", 0)) if manifest.is_file() else 0
    except (OSError, ValueError, AttributeError, TypeError):
        return 0


def _run_locked(design: Design, out_dir: Path, executor: cf.Executor | None, *, say: Callable[[str], None], progress: bool,
                n_workers: int, batch_size: int | None, executor_label: str | None, stop_after: int | None,
                figures: bool) -> pd.DataFrame:
    """:func:`run_sweep` once the folder's lock is held."""
    old_manifest = prepare_output(design, out_dir)  # again: the folder may have changed while another sweep held it
    (out_dir / "runs").mkdir(parents=True, exist_ok=True)
    for stray in (out_dir / "runs").glob(".*.tmp"):
        stray.unlink(missing_ok=True)  # a batch being written when a sweep was killed (none runs now: the lock is ours)
    write_json(out_dir / "design.json", design.to_json())
    if design.path is not None:
        write_text_atomic(out_dir / "experiment.toml", design.text if design.text is not None else read_input_text(design.path))

    info = provenance()
    sessions = list((old_manifest or {}).get("sessions", []))
    revisions = {s.get("code_revision") for s in sessions if isinstance(s, Mapping)} - {None}
    if revisions and info["code_revision"] not in revisions:
        say(f"warning: earlier runs in {display(out_dir)} were made with code revision {', '.join(sorted(map(str, revisions)))}; "
            f"this is {info['code_revision']}. Results may mix model versions.")

    all_runs = design.runs()
    saved = load_saved(design, out_dir, lambda m: say(f"warning: {m}"), all_runs)
    done_ids = set(saved["run_id"].astype(int).tolist())
    pending = [r for r in all_runs if r.run_id not in done_ids]
    total = len(all_runs)

    own_executor = executor is None and bool(pending)
    if batch_size is None:
        batch_size = max(1, min(25, math.ceil(len(pending) / (4 * n_workers)))) if pending else 1
    if own_executor:
        executor_label = executor_label or f"local process pool, {n_workers} worker{'s' if n_workers != 1 else ''}"
    session = {
        "started": now(), "code_revision": info["code_revision"], "version": info["version"],
        "command": info["command"], "executor": executor_label or (type(executor).__name__ if executor else "none needed"),
        "batch_size": batch_size, "runs_at_start": len(done_ids),
    }
    manifest = {
        "kind": "sweep", **info, "experiment": design.name, "description": design.description,
        "design_hash": design.hash(), "total_runs": total, "runs_done": len(done_ids),
        "status": "running", "sessions": [*sessions, session],
        "started": (old_manifest or {}).get("started", session["started"]),
    }
    write_json(out_dir / "manifest.json", manifest)
    t0 = time.perf_counter()
    done = len(done_ids)
    wait = True  # for the local pool's workers to end (not after a second Ctrl-C)

    def close(status: str, n: int) -> None:
        try:
            close_session(out_dir, manifest, session, time.perf_counter() - t0, n, status)
        except OSError as exc:  # a full disk must not hide why the sweep stopped
            say(f"warning: could not record the end of this session in {display(out_dir / 'manifest.json')} "
                f"({exc.strerror or exc}); {n} of {total} runs are saved in {display(out_dir / 'runs')}")

    try:
        if pending:
            if executor is None:
                executor = local_executor(n_workers)
            if done_ids:
                say(f"Resuming: {len(done_ids)} of {total} runs are already saved in {display(out_dir / 'runs')}; "
                    f"running the other {len(pending)}.")
            done = _run_pending(design, out_dir, executor, pending, all_runs, done, total, say=say, progress=progress,
                                batch_size=batch_size, stop_after=stop_after, own_executor=own_executor, n_workers=n_workers)
    except _Stopped as stop:
        wait = not stop.abandoned
        close(stop.status, stop.done)
        if isinstance(stop.error, KeyboardInterrupt):
            raise SweepInterrupted(stop.done, total, out_dir) from None
        raise stop.error from None
    except KeyboardInterrupt:
        close("interrupted", done)
        raise SweepInterrupted(done, total, out_dir) from None
    except BaseException:
        close("failed", done)  # never leave "running" behind
        raise
    finally:
        if own_executor and executor is not None:
            # wait: a worker still starting would otherwise find the pool's semaphores gone and print a traceback
            try:
                executor.shutdown(wait=wait, cancel_futures=True)
            except KeyboardInterrupt:  # Ctrl-C while waiting: stop waiting
                executor.shutdown(wait=False, cancel_futures=True)

    n_saved = done
    try:
        table = load_saved(design, out_dir, lambda m: say(f"warning: {m}"), all_runs)
        n_saved = int(table["run_id"].nunique()) if len(table) else 0
        if n_saved != total:
            close("incomplete", n_saved)
            raise SweepFailed(f"only {n_saved} of {total} runs are in {display(out_dir / 'runs')}; "
                              "run the same command again to complete it")
        files = write_table(out_dir / "results.csv", table)
        table = read_table(out_dir / "results.csv")
        manifest["results"] = [p.name for p in files]
        if figures:
            manifest["figures"] = [str(p.relative_to(out_dir)) for p in plot_design(design, table, out_dir)]
    except KeyboardInterrupt:
        close("interrupted", n_saved)
        raise SweepInterrupted(n_saved, total, out_dir) from None
    except OSError as exc:
        close("failed", n_saved)
        raise SweepFailed(f"all {n_saved} runs are saved in {display(out_dir / 'runs')}, but the results could not be "
                          f"written ({exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''})") from None
    except SweepFailed:
        raise
    except BaseException:
        close("failed", n_saved)
        raise
    close("complete", total)
    return table


class _Stopped(Exception):
    """Internal: the runs phase stopped (``status`` interrupted or failed) by ``error`` after ``done`` runs were saved."""

    def __init__(self, error: BaseException, done: int, status: str, abandoned: bool = False) -> None:
        super().__init__(str(error))
        self.error, self.done, self.status, self.abandoned = error, done, status, abandoned


def _run_pending(design: Design, out_dir: Path, executor: cf.Executor, pending: list[Run], all_runs: list[Run], done: int,
                 total: int, *, say: Callable[[str], None], progress: bool, batch_size: int, stop_after: int | None,
                 own_executor: bool, n_workers: int) -> int:
    """Submit the pending runs in batches and save each batch as it finishes; return the runs saved.

    Raises:
        _Stopped: Ctrl-C (the batches already running are waited for and saved first, unless
            Ctrl-C comes again), a failed run or a batch that could not be saved; it carries the
            number of runs saved.
    """
    runs_by_id = {r.run_id: r for r in all_runs}

    def save(cols: dict[str, list[Any]]) -> int:
        frame = pd.DataFrame(cols)
        ids = frame["run_id"].astype(int)
        meta = pd.DataFrame([{**dict(runs_by_id[i].point), "replicate": runs_by_id[i].replicate, "seed": runs_by_id[i].seed}
                             for i in ids])
        for c in meta.columns:
            frame[c] = meta[c].to_numpy()
        frame = frame[design.columns()]
        try:
            write_table(out_dir / "runs" / batch_file(sorted(set(ids.tolist()))), frame, parquet=False)
        except OSError as exc:
            raise SweepFailed(f"a batch of runs could not be saved in {display(out_dir / 'runs')} "
                              f"({exc.strerror or exc})") from None
        return int(ids.nunique())

    bar = tqdm(total=total, initial=done, unit="run", desc=design.name, disable=not progress, dynamic_ncols=True, file=sys.stderr)
    futures: dict[cf.Future, list[Run]] = {}
    remaining: set[cf.Future] = set()
    batches = (pending[i:i + batch_size] for i in range(0, len(pending), batch_size))
    in_flight = max(8, 2 * n_workers)  # batches submitted ahead: workers never wait, memory and Ctrl-C stay small

    def submit_more() -> None:
        while len(remaining) < in_flight:
            batch = next(batches, None)
            if batch is None:
                return
            tasks = [(r.run_id, design.parameters_for(r)) for r in batch]
            with ctrl_c_deferred():  # a pool starting a worker must not be interrupted half-way (see ctrl_c_deferred)
                fut = executor.submit(run_batch, tasks, design.keep, design.k, design.indicators)
            futures[fut] = batch
            remaining.add(fut)

    try:
        submit_more()
        while remaining:
            finished, remaining = cf.wait(remaining, timeout=0.5, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                batch = futures.pop(fut)  # a finished batch's rows are saved, not kept in memory
                exc = fut.exception() if not fut.cancelled() else cf.CancelledError("the executor cancelled the task")
                if exc is not None:
                    first = batch[0]
                    point = ", ".join(f"{n} = {v!r}" for n, v in first.point)
                    raise SweepFailed(
                        f"a batch of {len(batch)} run(s) starting with run {first.run_id} ({point}, seed {first.seed}) "
                        f"failed: {type(exc).__name__}: {exc}"
                    )
                n = save(fut.result())
                done += n
                bar.update(n)
            if stop_after is not None and done >= stop_after and done < total:
                raise KeyboardInterrupt
            submit_more()
    except (KeyboardInterrupt, SweepFailed) as exc:
        bar.close()
        running = [fut for fut in remaining if not fut.cancel()]
        if running:
            say("Stopping: waiting for the batches already running to finish and be saved (Ctrl-C again to abandon them) ...")
            try:
                if own_executor:
                    executor.shutdown(wait=True, cancel_futures=True)
                cf.wait(running)
                for fut in running:
                    if not fut.cancelled() and fut.exception() is None:
                        done += save(fut.result())
            except KeyboardInterrupt:  # Ctrl-C again: abandon them
                raise _Stopped(exc, done, "interrupted", abandoned=True) from None
            except SweepFailed as failed:
                exc = failed
        raise _Stopped(exc, done, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed") from None
    finally:
        bar.close()
    return done


@contextlib.contextmanager
def ctrl_c_deferred() -> Iterator[None]:
    """Hold back Ctrl-C (and SIGTERM, where the program handles it) until the block ends, then act on it.

    Submitting to a process pool may start a worker, which the pool registers only once the
    fork server has forked it; a ``KeyboardInterrupt`` in between leaves a worker the pool does
    not know, which then fails to start after the main process ends and prints a traceback.
    Outside the main thread (where signals cannot be handled) the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    held = {sig: handler for sig, handler in previous.items() if callable(handler)}
    for sig in held:
        signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
        for signum in caught[:1]:
            held[signum](signum, None)


def plot_design(design: Design | Mapping[str, Any], table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Draw the sweep's figures (one per kept indicator) into ``out_dir/figures``."""
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
        raise InputError(f"{display(out_dir)}: no results.csv yet; the sweep is not complete (run the same sweep command "
                         "again to finish it).")
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

"""Sweeps: how much faster 2 workers finish many short runs, and identical results on Dask.

    python benchmarks/sweep_scaling.py                     # 64 runs of 1,000 citizens x 60 months
    python benchmarks/sweep_scaling.py --runs 8 --citizens 300 --steps 6 --repeats 1 --no-dask

The sweep is an ordinary experiment (steering intensity x governance mode on the Danish
baseline, replicate seeds from one root seed) run through the project's sweep engine,
:func:`simulation.experiment.sweeps.run_sweep`, three ways:

* a local process pool of 1 worker, then of 2 workers (wall time of the whole sweep,
  including starting the pool and writing results; best of ``--repeats``);
* a ``dask.distributed.LocalCluster`` of 2 worker processes on loopback (127.0.0.1),
  through the one executor set-up, :func:`simulation.experiment.executors.make_executor`.

Each run's result depends only on its parameters and seed, so the three results tables must
be identical; the script checks that cell by cell.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from simulation.experiment.executors import make_executor  # noqa: E402
from simulation.experiment.sweeps import load_experiment, run_sweep  # noqa: E402

TARGET_SPEEDUP = 1.8
MODES = ("npm", "npg")


def write_design(folder: Path, runs: int, citizens: int, steps: int) -> Path:
    """An experiment file of about ``runs`` runs: steering levels x modes x replicates."""
    levels = 4
    replicates = max(1, round(runs / (levels * len(MODES))))
    path = folder / "sweep_benchmark.toml"
    path.write_text(
        f'description = "Benchmark sweep: many short runs"\n'
        f'scenario = "denmark"\nsteps = {steps}\nreplicates = {replicates}\nroot_seed = 7\n\n'
        f"[parameters]\nn_citizens = {citizens}\nn_associations = {max(1, round(citizens / 40))}\n"
        f"n_staff = {max(1, round(citizens / 100))}\n\n"
        f"[vary]\nsteering_intensity = {{ start = 0.1, stop = 0.9, num = {levels} }}\n"
        f"governance_mode = {list(MODES)!r}\n\n"
        f'[keep]\nmode = "every_step"\n'.replace("'", '"')
    )
    return path


def timed_sweep(design_file: Path, out_root: Path, label: str, **kwargs) -> tuple[float, pd.DataFrame]:
    """Run the whole sweep into a new folder; return wall seconds and the results table."""
    design = load_experiment(design_file)
    out = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=out_root))
    t = time.perf_counter()
    table = run_sweep(design, out, progress=False, figures=False, log=lambda msg: None, **kwargs)
    return time.perf_counter() - t, table


def dask_sweep(design_file: Path, out_root: Path, workers: int) -> tuple[float, pd.DataFrame]:
    """The same sweep on a loopback dask.distributed LocalCluster of ``workers`` processes."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        with make_executor(workers, scheduler=cluster.scheduler_address) as ex:
            return timed_sweep(design_file, out_root, "dask", executor=ex.executor, workers=ex.workers,
                               executor_label=f"dask LocalCluster, {workers} workers")


def identical(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two results tables are equal cell by cell (same rows in the same order)."""
    try:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)
    except AssertionError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Run the sweep on 1 and 2 local workers and on Dask; print times, speed-up and the check."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=64, help="about this many runs (default 64)")
    ap.add_argument("--citizens", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=60, help="months per run (default 60)")
    ap.add_argument("--repeats", type=int, default=3, help="timed sweeps per worker count; the fastest counts")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    args = ap.parse_args(argv)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        root = Path(tmp)
        design_file = write_design(root, args.runs, args.citizens, args.steps)
        n_runs = load_experiment(design_file).n_runs
        print(f"sweep of {n_runs} runs, {args.citizens:,} citizens x {args.steps} months each, "
              f"on {cores} cores; best of {args.repeats}")
        # warm-up: the first pool of a process also starts multiprocessing's forkserver
        timed_sweep(write_design(Path(tempfile.mkdtemp(dir=root)), 2, 100, 1), root, "warmup", workers=2)
        times, tables = {1: float("inf"), 2: float("inf")}, {}
        for _ in range(args.repeats):  # interleaved, so a busy moment hurts both alike
            for workers in (1, 2):
                t, tables[workers] = timed_sweep(design_file, root, f"local{workers}", workers=workers)
                times[workers] = min(times[workers], t)
        for workers in (1, 2):
            print(f"  local process pool, {workers} worker{'s' if workers > 1 else ' '}  {times[workers]:7.2f} s  "
                  f"({n_runs / times[workers]:.1f} runs/s)")
        speedup = times[1] / times[2]
        print(f"  speed-up with 2 workers: {speedup:.2f} x "
              f"(target >= {TARGET_SPEEDUP}: {'met' if speedup >= TARGET_SPEEDUP else 'NOT met'})")
        same_local = identical(tables[1], tables[2])
        print(f"  1 worker and 2 workers give identical results: {'yes' if same_local else 'NO'}")
        same_dask = True
        if not args.no_dask:
            t_dask, table_dask = dask_sweep(design_file, root, 2)
            same_dask = identical(tables[1], table_dask)
            print(f"  dask.distributed LocalCluster, 2 workers (loopback)  {t_dask:7.2f} s; "
                  f"identical results: {'yes' if same_dask else 'NO'}")
    return 0 if same_local and same_dask else 1


if __name__ == "__main__":
    sys.exit(main())

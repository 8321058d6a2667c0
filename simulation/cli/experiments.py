"""The commands that run many runs on one executor: sweep, report, sensitivity.

Each sets up its executor the one way (:func:`simulation.experiment.executors.make_executor`:
this machine's cores, or a Dask cluster with ``--scheduler``), saves runs as they finish, and
ends a Ctrl-C, ``kill`` or closed terminal (see :func:`simulation.cli.parser.run`) with exit status 130 and one paragraph saying how to
resume, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

from simulation.cli.messages import EXIT_INTERRUPTED, error, say
from simulation.errors import display
from simulation.experiment.executors import make_executor
from simulation.experiment.files import ensure_output_folder, load_json
from simulation.experiment.scenarios import require_not_empty
from simulation.experiment.sensitivity import run_sensitivity_file
from simulation.experiment.sweeps import SweepInterrupted, load_experiment, prepare_output, run_sweep
from simulation.report import build_report


def _same_command(extra: str = "") -> str:
    """The command as typed, to run again (``extra`` appended when not already there)."""
    words = sys.argv[1:]
    if extra and extra not in words:
        words = [*words, extra]
    return f"samskabelse {shlex.join(words)}" if words else "the same command"


def _stopped(text: str) -> int:
    error(text, prefix="stopped")
    return EXIT_INTERRUPTED


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run an experiment design; resumable."""
    require_not_empty("--out", args.out)
    require_not_empty("--scheduler", args.scheduler)
    again = _same_command()
    stop_after = os.environ.get("SAMSKABELSE_SWEEP_STOP_AFTER")  # tests: act as if Ctrl-C after K saved runs
    try:
        design = load_experiment(args.experiment)
        out_dir = Path(args.out) if args.out is not None else Path("results") / design.name
        prepare_output(design, out_dir)  # refuse a folder of another experiment before connecting anywhere
        for note in design.notes:
            error(note, prefix="note")
        with make_executor(args.workers, args.scheduler, args.connect_timeout) as ex:
            ensure_output_folder(out_dir)  # before any run, not after them
            if not args.quiet:
                say(f"Experiment {design.name}: {design.n_runs} runs ({design.n_runs // design.replicates} design points "
                    f"x {design.replicates} seeds) of scenario {design.scenario}, {design.base.steps} months, keeping "
                    f"{design.keep}{f' (k = {design.k})' if design.k else ''}; output {display(out_dir)}/")
            table = run_sweep(design, out_dir, ex.executor, progress=not args.quiet, workers=ex.workers,
                              batch_size=args.batch_size, executor_label=ex.label,
                              stop_after=int(stop_after) if stop_after else None)
    except SweepInterrupted as exc:
        return _stopped(f"interrupted. {exc.done} of {exc.total} runs are saved in {display(exc.out_dir / 'runs')}. "
                        f"Run the same command again to resume without rerunning them: {again}")
    except KeyboardInterrupt:
        return _stopped(f"interrupted while the sweep was starting; runs saved earlier are kept. Run the same command again "
                        f"to continue: {again}")
    manifest = load_json(out_dir / "manifest.json")
    wall = manifest["sessions"][-1].get("wall_time_seconds", 0.0)
    say(f"Sweep complete: {len(table)} rows from {design.n_runs} runs; this session took {wall:.1f} s.")
    figures = (f"figures in {display(out_dir / 'figures')}/" if design.vary
               else "no figures (the experiment varies no parameter)")
    say(f"Results: {display(out_dir / 'results.csv')}; {figures}; design and manifest in {display(out_dir)}/")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Run the report's experiments, judge the patterns and write the report."""
    require_not_empty("--out", args.out)
    require_not_empty("--scheduler", args.scheduler)
    try:
        build_report(args.out, args.size, experiment_dir=args.experiments, workers=args.workers, scheduler=args.scheduler,
                     connect_timeout=args.connect_timeout, resume=args.resume, sensitivity=not args.no_sensitivity,
                     quiet=args.quiet)
    except (SweepInterrupted, KeyboardInterrupt):
        return _stopped(f"interrupted. The runs finished so far are kept in {display(Path(args.out) / 'sweeps')}; "
                        f"run the command again with --resume to reuse them: {_same_command('--resume')}")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run a sensitivity design (Morris, then Sobol for the top factors) and write its tables and figures."""
    require_not_empty("--out", args.out)
    require_not_empty("--scheduler", args.scheduler)
    try:
        result, paths = run_sensitivity_file(args.file, args.out, workers=args.workers, scheduler=args.scheduler,
                                             connect_timeout=args.connect_timeout, quiet=args.quiet)
    except (SweepInterrupted, KeyboardInterrupt):
        return _stopped(f"interrupted. The runs finished so far are saved in {display(Path(args.out))}; run the same "
                        f"command again to resume without rerunning them: {_same_command()}")
    say(f"{result.n_runs} runs; wrote {', '.join(display(p) for p in paths)}")
    return 0

"""The one argument parser of ``samskabelse`` and the dispatch that turns outcomes into exit statuses.

Exit statuses: 0 done; 2 bad input (one paragraph naming the option, file or key and what is
allowed); 1 a run failed; 130 stopped by Ctrl-C, ``kill`` or a closed terminal.
"""

from __future__ import annotations

import argparse
import os
import sys

from simulation import __version__
from simulation.cli.calibration import add_parsers as add_calibration_parsers
from simulation.cli.commands import cmd_params, cmd_plot, cmd_run, cmd_scenarios, cmd_show, cmd_viz
from simulation.cli.experiments import cmd_report, cmd_sensitivity, cmd_sweep
from simulation.cli.messages import EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED, error, stop_signals_as_ctrl_c
from simulation.errors import InputError
from simulation.experiment.executors import check_timeout
from simulation.experiment.sensitivity import SENSITIVITY_FILE
from simulation.experiment.sweeps import SweepFailed
from simulation.report import EXPERIMENT_DIR, SIZES

# --- option types: a bad value is an argparse error (exit 2, "argument --x: ...") ----------

def positive_int(text: str) -> int:
    """A whole number of 1 or more (an argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return value


def port(text: str) -> int:
    """A TCP port, 1 to 65535 (an argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}")
    return value


def seconds(text: str) -> float:
    """A timeout in seconds, checked by the executors' own rule (finite, above 0; an argparse type)."""
    try:
        return check_timeout(text)
    except InputError as exc:
        rule = str(exc).removeprefix(f"--connect-timeout {text}: ").rstrip(".")
        raise argparse.ArgumentTypeError(f"{rule}, got {text!r}") from None


# --- the parser ----------------------------------------------------------------------------

def _scenario_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", metavar="SCENARIO|FILE", help="scenario name or path to a .toml file (default: denmark)")
    p.add_argument("--steps", metavar="N", help="months to run (overrides the scenario)")
    p.add_argument("--seed", metavar="S", help="random seed (overrides the scenario)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any parameter; repeatable")


def _executor_options(p: argparse.ArgumentParser, what: str = "sweep") -> None:
    p.add_argument("--workers", type=positive_int, metavar="N", help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786"
                   + ("" if what == "sweep" else " (as for sweep)"))
    p.add_argument("--connect-timeout", type=seconds, default=5.0, metavar="SECONDS",
                   help="how long to try reaching the Dask scheduler (default 5)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="samskabelse",
        description="Agent-based model of co-creation (samskabelse) between a municipality and civil society.",
        epilog="Run `samskabelse COMMAND --help` for a command's options. Documentation: docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"samskabelse {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", help="run one scenario and write its time series, parameters, manifest and figure",
                       description="Run one scenario; print the final indicators; write timeseries.csv, parameters.json, "
                                   "manifest.json and figure.png to the output folder.")
    _scenario_options(p)
    p.add_argument("--out", metavar="DIR", help="output folder (default: results/SCENARIO-seedS)")
    p.add_argument("--no-figure", action="store_true", help="do not draw the figure")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scenarios", help="list the named scenarios", description="List the named scenarios with one-line descriptions.")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("show", help="print a scenario's resolved parameters with ranges and meanings",
                       description="Print every parameter of a scenario after its base, mode preset and overrides are applied.")
    _scenario_options(p)
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("params", help="list every parameter with default, allowed values and meaning",
                       description="List every parameter with its default, allowed values, unit and meaning.")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (as in docs/ODD.md)")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser("plot", help="redraw the figures of a run or sweep folder",
                       description="Redraw the figures of a run or a sweep from its saved CSV and JSON files, without rerunning.")
    p.add_argument("results_dir", metavar="RESULTS_DIR")
    p.set_defaults(func=cmd_plot)

    p = sub.add_parser("sweep", help="run an experiment design (resumable; local cores or a Dask cluster)",
                       description="Run every run of an experiment file. Results are saved as runs finish; run the same "
                                   "command again to resume after an interruption.")
    p.add_argument("experiment", metavar="EXPERIMENT.toml")
    p.add_argument("--out", metavar="DIR", help="output folder (default: results/EXPERIMENT)")
    _executor_options(p)
    p.add_argument("--batch-size", type=positive_int, metavar="N", help="runs per task (default: about 4 tasks per worker, at most 25)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary lines (for scripts)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="run the experiments and write the report on the model's patterns",
                       description="Run the experiments of experiments/*.toml, judge whether the model reproduces each of the "
                                   "seven patterns of MODEL.md, and write REPORT.md with figures and tables.")
    p.add_argument("--out", metavar="DIR", default="results/report", help="report folder (default: results/report)")
    p.add_argument("--size", choices=list(SIZES), default="default",
                   help="default: as the experiment files say (under an hour on 2 cores: 52 minutes measured with model 3); small: a quicker, noisier look; "
                        "tiny: for tests")
    _executor_options(p, "report")
    p.add_argument("--experiments", metavar="DIR", default=str(EXPERIMENT_DIR),
                   help="folder of the experiment files (default: the project's experiments/)")
    p.add_argument("--resume", action="store_true", help="reuse the finished runs in DIR/sweeps instead of starting afresh")
    p.add_argument("--no-sensitivity", action="store_true", help="skip the sensitivity analysis")
    p.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("sensitivity", help="the sensitivity analysis alone (Morris screening, then Sobol indices)",
                       description="Run a sensitivity design (Morris screening, then Sobol for the top factors) through the "
                                   "sweep engine and write its tables and figures. `samskabelse report` runs the same "
                                   "analysis as a section of the report. Resumable: run the same command again after an "
                                   "interruption.")
    p.add_argument("file", nargs="?", default=str(SENSITIVITY_FILE), metavar="SENSITIVITY.toml",
                   help="the design (default: the project's experiments/sensitivity.toml)")
    p.add_argument("--out", default="results/sensitivity", metavar="DIR", help="output folder (default: results/sensitivity)")
    _executor_options(p, "sensitivity")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_sensitivity)

    add_calibration_parsers(sub, _executor_options)

    p = sub.add_parser("viz", help="open the interactive browser model", description="Serve the interactive browser model.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=port, default=8765, help="port, 1 to 65535 (default 8765)")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="server processes, each serving its share of the sessions on one core (default: 1 on 127.0.0.1, "
                        "one per core with any other --host, e.g. for a class)")
    p.set_defaults(func=cmd_viz)
    return parser


def run(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: the command line), run the command, return its exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
        # kill (a batch system, a service manager) or a closed terminal stops any command as Ctrl-C
        # does: a sweep saves what is done, viz ends its server
        with stop_signals_as_ctrl_c():
            return args.func(args)
    except InputError as exc:
        error(str(exc))
        return EXIT_INPUT
    except SweepFailed as exc:
        error(f"{exc}. The runs finished before it are saved; fix the cause and run the same command again to continue.")
        return EXIT_FAILED
    except KeyboardInterrupt:
        error("interrupted.", prefix="stopped")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - users get a sentence, developers the traceback on request
        if os.environ.get("SAMSKABELSE_DEBUG"):
            raise
        error(f"{type(exc).__name__}: {exc}. This looks like a bug in samskabelse; please report it with the command you ran "
              "(set SAMSKABELSE_DEBUG=1 to see the full traceback).", prefix="internal error")
        return EXIT_FAILED

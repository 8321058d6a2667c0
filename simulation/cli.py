"""The ``samskabelse`` command: run scenarios, sweep levers, show parameters, redraw figures.

Every command is documented in ``docs/cli.md``; ``samskabelse COMMAND --help`` gives the
options. Bad input ends with a one-paragraph message naming the file and key at fault and a
non-zero exit status, never a traceback; existing results are left untouched.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from simulation.errors import InputError, display

EXIT_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def _say(text: str = "") -> None:
    print(text, flush=True)


def _error(text: str, prefix: str = "error") -> None:
    body = textwrap.fill(text, width=100, break_long_words=False, break_on_hyphens=False, subsequent_indent="  ")
    print(f"samskabelse: {prefix}: {body}", file=sys.stderr, flush=True)


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(" ".join(text.split()), width=96, initial_indent=indent, subsequent_indent=indent)


# --- run -----------------------------------------------------------------------------------

def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--set`` pairs and ``--steps``/``--seed``; an error names the option the user typed."""
    from simulation.core.parameters import ParameterError, coerce_value
    from simulation.experiment.scenarios import parse_assignments

    overrides: dict[str, Any] = parse_assignments(getattr(args, "set", None))
    for name in ("steps", "seed"):
        text = getattr(args, name, None)
        if text is None:
            continue
        try:
            value = coerce_value(name, text)
        except ParameterError as exc:
            raise InputError(f"--{name} {text}: {exc}.") from None
        if name in overrides:
            try:
                other = coerce_value(name, overrides[name])
            except ParameterError:
                other = None
            if other != value:
                raise InputError(f"--set {name}={overrides[name]} and --{name} {text}: two different values for {name!r}; "
                                 "give it once.")
        overrides[name] = value
    return overrides


def _check_run_folder(out_dir: Path) -> None:
    """A run may write into a new or empty folder, or over an earlier run's files; nothing else."""
    from simulation.experiment.runs import load_json

    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {display(out_dir)}: is a file, not a folder.")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    manifest = out_dir / "manifest.json"
    kind = None
    if manifest.exists():
        try:
            kind = load_json(manifest).get("kind")
        except (OSError, ValueError):
            kind = None
    if kind != "run":
        what = "a sweep's results" if kind == "sweep" or (out_dir / "design.json").exists() else "other files"
        raise InputError(
            f"--out {display(out_dir)}: this folder holds {what}, not an earlier single run, so the run would mix "
            "with them. Nothing was changed; choose another --out folder."
        )


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and write its results."""
    from simulation.experiment.runs import RUN_FIGURE, ensure_output_folder, run_scenario, summary_table
    from simulation.experiment.scenarios import require_not_empty, resolve

    require_not_empty("--out", args.out)
    scen = resolve(args.scenario, _overrides(args))
    p = scen.parameters
    out_dir = Path(args.out) if args.out is not None else Path("results") / f"{scen.name}-seed{p.seed}"
    _check_run_folder(out_dir)
    ensure_output_folder(out_dir)  # before the run, not after it
    for note in scen.notes:
        _error(note, prefix="note")
    _say(f"Scenario {scen.name} ({display(scen.path)}): {p.governance_mode.upper()} governance, "
         f"{p.n_citizens:,} citizens, {p.n_associations} associations, {p.n_staff} staff, {p.steps} months, seed {p.seed}")
    if p.policy_schedule:
        _say("Policy: " + "; ".join(
            f"month {c.step}: " + ", ".join(f"{k} = {v}" for k, v in c.changes) for c in p.policy_schedule))
    frame, manifest = run_scenario(p, out_dir, scenario=scen.name, scenario_file=scen.path, notes=scen.notes,
                                   figure=not args.no_figure)
    _say()
    _say(summary_table(frame))
    _say()
    files = [f for f in manifest["files"] if f != RUN_FIGURE or not args.no_figure]
    _say(f"Ran in {manifest['wall_time_seconds']:.2f} s. Wrote {', '.join(files)} to {display(out_dir)}/")
    return 0


# --- scenarios, show, params ---------------------------------------------------------------

def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the named scenarios with one-line descriptions."""
    from simulation.experiment.scenarios import DEFAULT_SCENARIO, describe_all

    rows = describe_all()
    if not rows:
        _say("No scenarios found (looked in ./scenarios and the project's scenarios/ folder).")
        return 0
    width = max(len(n) for n, _, _ in rows)
    for name, desc, _ in rows:
        mark = " (default)" if name == DEFAULT_SCENARIO else ""
        lines = textwrap.wrap(desc + mark, width=max(40, 100 - width - 2))
        _say(f"{name:<{width}}  {lines[0]}")
        for line in lines[1:]:
            _say(f"{'':<{width}}  {line}")
    _say()
    _say("Show one with `samskabelse show NAME`; run one with `samskabelse run NAME`.")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print a scenario's fully resolved parameters with their ranges and meanings."""
    from simulation.core.parameters import FIELDS, KINDS, LEVERS, describe
    from simulation.experiment.scenarios import resolve

    scen = resolve(args.scenario, _overrides(args))
    p = scen.parameters
    values = p.to_dict()
    _say(f"Scenario {scen.name}  ({display(scen.path)})")
    if len(scen.chain) > 1:
        _say("Builds on: " + " -> ".join(x.stem for x in scen.chain))
    _say(_wrap(scen.description))
    for note in scen.notes:
        _say(_wrap(f"Note: {note}."))
    _say()
    _say("Source: 'set' = set by the scenario (or --set); 'preset' = from the governance mode's preset; "
         "'default' = the declared default.")
    name_w = max(len(n) for n in FIELDS)
    for kind in KINDS:
        _say()
        _say(f"[{kind} parameters]")
        for name, f in FIELDS.items():
            if f.metadata["kind"] != kind:
                continue
            d = describe(name)
            if name in scen.settings:
                source = "set"
            elif name in LEVERS and name != "governance_mode":
                source = "preset"
            else:
                source = "default"
            value = values[name]
            shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
            unit = f" {d['unit']}" if d["unit"] else ""
            _say(f"  {name:<{name_w}}  {shown + unit:<14} {source:<8} {d['allowed']}")
            _say(f"  {'':<{name_w}}  {'':<14} {'':<8} {d['meaning']}")
    _say()
    if p.policy_schedule:
        _say("[policy schedule]")
        for c in p.policy_schedule:
            _say(f"  month {c.step}: " + ", ".join(f"{k} = {v}" for k, v in c.changes))
    else:
        _say("[policy schedule]  none: the levers stay as above for the whole run")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """Print every parameter with its default, allowed values and meaning."""
    from simulation.core.parameters import FIELDS, GOVERNANCE_MODES, KINDS, LEVERS, describe, parameter_table_markdown

    if args.markdown:
        sys.stdout.write(parameter_table_markdown())
        return 0
    name_w = max(len(n) for n in FIELDS)
    for kind in (*KINDS, "schedule"):
        names = [n for n, f in FIELDS.items() if f.metadata["kind"] == kind]
        if not names:
            continue
        _say(f"[{kind}]")
        for name in names:
            d = describe(name)
            default = "npg preset" if kind == "lever" and name != "governance_mode" else repr(d["default"])
            if name == "policy_schedule":
                default = "none"
            unit = f" ({d['unit']})" if d["unit"] else ""
            _say(f"  {name:<{name_w}}  default {default}; {d['allowed']}{unit}")
            _say(f"  {'':<{name_w}}  {d['meaning']}")
        _say()
    modes = list(GOVERNANCE_MODES)
    _say("Governance mode presets (any lever can be overridden on top of a mode):")
    _say(f"  {'lever':<{name_w}}  " + "".join(f"{m:<14}" for m in modes))
    for lever in LEVERS:
        _say(f"  {lever:<{name_w}}  " + "".join(f"{GOVERNANCE_MODES[m][lever]!s:<14}" for m in modes))
    return 0


# --- plot ----------------------------------------------------------------------------------

def cmd_plot(args: argparse.Namespace) -> int:
    """Redraw the figures of a run or a sweep from its saved files."""
    from simulation.experiment.runs import replot_run
    from simulation.experiment.sweeps import replot_sweep

    out_dir = Path(args.results_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{args.results_dir}: is a file, not a results folder; give the folder that `samskabelse run` "
                         "or `samskabelse sweep` wrote.")
    if not out_dir.is_dir():
        raise InputError(f"{args.results_dir}: no such results folder.")
    try:
        if (out_dir / "design.json").exists():
            paths = replot_sweep(out_dir)
        elif (out_dir / "timeseries.csv").exists() and (out_dir / "parameters.json").exists():
            paths = [replot_run(out_dir)]
        else:
            raise InputError(
                f"{display(out_dir)}: holds neither a run (timeseries.csv, parameters.json) nor a sweep (design.json, "
                "results.csv); give the folder that `samskabelse run` or `samskabelse sweep` wrote."
            )
    except (ValueError, KeyError, OSError) as exc:
        raise InputError(f"{display(out_dir)}: its files cannot be read back ({type(exc).__name__}: {exc}).") from None
    if not paths:
        raise InputError(f"{display(out_dir)}: there was nothing to draw; no figure was written.")
    _say(f"Wrote {len(paths)} figure{'s' if len(paths) != 1 else ''}: " + ", ".join(display(p) for p in paths))
    return 0


# --- sweep ---------------------------------------------------------------------------------

def cmd_sweep(args: argparse.Namespace) -> int:
    """Run an experiment design; resumable."""
    from simulation.experiment.runs import ensure_output_folder
    from simulation.experiment.scenarios import require_not_empty
    from simulation.experiment.sweeps import SweepInterrupted, dask_executor, load_experiment, prepare_output, run_sweep

    require_not_empty("--out", args.out)
    require_not_empty("--scheduler", args.scheduler)
    design = load_experiment(args.experiment)
    out_dir = Path(args.out) if args.out is not None else Path("results") / design.name
    prepare_output(design, out_dir)  # refuse a folder of another experiment before connecting anywhere
    stop_after = os.environ.get("SAMSKABELSE_SWEEP_STOP_AFTER")  # tests: act as if Ctrl-C after K saved runs
    stop_after = int(stop_after) if stop_after else None
    for note in design.notes:
        _error(note, prefix="note")
    client = executor = None
    label = None
    if args.scheduler:
        client, executor = dask_executor(args.scheduler, timeout=args.connect_timeout)
        n_threads = sum(client.nthreads().values()) or 1
        label = f"dask scheduler {args.scheduler} ({len(client.nthreads())} workers, {n_threads} threads)"
        workers = args.workers or n_threads
    else:
        workers = args.workers
    try:
        ensure_output_folder(out_dir)  # before any run, not after them
    except InputError:
        if client is not None:
            client.close(timeout=5)
        raise
    if not args.quiet:
        _say(f"Experiment {design.name}: {design.n_runs} runs ({design.n_runs // design.replicates} design points x "
             f"{design.replicates} seeds) of scenario {design.scenario}, {design.base.steps} months, keeping "
             f"{design.keep}{f' (k = {design.k})' if design.k else ''}; output {display(out_dir)}/")
    resume = f"samskabelse {shlex.join(sys.argv[1:])}" if sys.argv[1:] else "the same command"
    try:
        with sigterm_as_ctrl_c():  # a batch system ending the job stops the sweep as cleanly as Ctrl-C does
            table = run_sweep(design, out_dir, executor, progress=not args.quiet, workers=workers,
                              batch_size=args.batch_size, executor_label=label, stop_after=stop_after)
    except SweepInterrupted as exc:
        _error(f"interrupted. {exc.done} of {exc.total} runs are saved in {display(exc.out_dir / 'runs')}. "
               f"Run the same command again to resume without rerunning them: {resume}", prefix="stopped")
        return EXIT_INTERRUPTED
    except InputError:
        raise
    finally:
        if client is not None:
            try:
                client.close(timeout=5)
            except Exception:  # noqa: BLE001 - closing a client must not hide the real outcome
                pass
    from simulation.experiment.runs import load_json

    manifest = load_json(out_dir / "manifest.json")
    wall = manifest["sessions"][-1].get("wall_time_seconds", 0.0)
    _say(f"Sweep complete: {len(table)} rows from {design.n_runs} runs; this session took {wall:.1f} s.")
    figures = (f"figures in {display(out_dir / 'figures')}/" if design.vary
               else "no figures (the experiment varies no parameter)")
    _say(f"Results: {display(out_dir / 'results.csv')}; {figures}; design and manifest in {display(out_dir)}/")
    return 0


@contextmanager
def sigterm_as_ctrl_c():
    """Within the block, SIGTERM (``kill``, a batch system, a service manager) acts as Ctrl-C does."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- viz -----------------------------------------------------------------------------------

def _check_port_free(host: str, port: int) -> None:
    """Refuse before starting the server when ``host:port`` cannot be listened on (e.g. in use)."""
    import socket


    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            sock.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(f"--host {host} --port {port}: cannot listen there ({reason}). If the port is in use (perhaps by "
                         "another `samskabelse viz`), choose another --port, e.g. --port 8766.") from None


def cmd_viz(args: argparse.Namespace) -> int:
    """Start the browser model."""
    try:
        from simulation.viz import serve
    except ImportError as exc:
        if (exc.name or "").startswith("simulation"):
            _error(f"the browser model ({exc.name}) is not part of this installation of samskabelse.")
        else:
            _error(f"the browser model needs its optional extra ({exc.name} is missing): pip install -e \".[viz]\"")
        return EXIT_INPUT
    _check_port_free(args.host, args.port)
    with sigterm_as_ctrl_c():  # `kill` of the command also ends its Solara server (see serve)
        return serve(host=args.host, port=args.port)


# --- report --------------------------------------------------------------------------------

def cmd_report(args: argparse.Namespace) -> int:
    """Hand the arguments to ``simulation.report.main`` (the report on the model's patterns)."""
    try:
        from simulation.report import main as report_main
    except ImportError as exc:
        if (exc.name or "").startswith("simulation"):
            _error("the report (simulation.report) is not part of this installation of samskabelse.")
        else:
            _error(f"the report needs a package that is not installed ({exc.name}).")
        return EXIT_INPUT
    return int(report_main(list(args.args)) or 0)


# --- parser and entry point ----------------------------------------------------------------

def positive_int(text: str) -> int:
    """A whole number of 1 or more (an argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    from simulation import __version__

    parser = argparse.ArgumentParser(
        prog="samskabelse",
        description="Agent-based model of co-creation (samskabelse) between a municipality and civil society.",
        epilog="Run `samskabelse COMMAND --help` for a command's options. Documentation: docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"samskabelse {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def scenario_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("scenario", nargs="?", metavar="SCENARIO|FILE", help="scenario name or path to a .toml file (default: denmark)")
        p.add_argument("--steps", metavar="N", help="months to run (overrides the scenario)")
        p.add_argument("--seed", metavar="S", help="random seed (overrides the scenario)")
        p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any parameter; repeatable")

    p = sub.add_parser("run", help="run one scenario and write its time series, parameters, manifest and figure",
                       description="Run one scenario; print the final indicators; write timeseries.csv, parameters.json, "
                                   "manifest.json and figure.png to the output folder.")
    scenario_options(p)
    p.add_argument("--out", metavar="DIR", help="output folder (default: results/SCENARIO-seedS)")
    p.add_argument("--no-figure", action="store_true", help="do not draw the figure")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("scenarios", help="list the named scenarios", description="List the named scenarios with one-line descriptions.")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("show", help="print a scenario's resolved parameters with ranges and meanings",
                       description="Print every parameter of a scenario after its base, mode preset and overrides are applied.")
    scenario_options(p)
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
    p.add_argument("--workers", type=positive_int, metavar="N", help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--connect-timeout", type=_positive_float, default=5.0, metavar="SECONDS",
                   help="how long to try reaching the Dask scheduler (default 5)")
    p.add_argument("--batch-size", type=positive_int, metavar="N", help="runs per task (default: about 4 tasks per worker, at most 25)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary lines (for scripts)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="the report on the model's patterns (`samskabelse report --help`)", add_help=False,
                       description="Build the report on the model's patterns; every argument goes to the report.")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("viz", help="open the interactive browser model", description="Serve the interactive browser model.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8765, help="port, 1 to 65535 (default 8765)")
    p.set_defaults(func=cmd_viz)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``samskabelse`` command."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    if argv[:1] == ["report"]:  # everything after `report` is the report's own, even --help
        args = argparse.Namespace(func=cmd_report, args=argv[1:])
    else:
        args = parser.parse_args(argv)
    from simulation.experiment.sweeps import SweepFailed

    try:
        return args.func(args)
    except InputError as exc:
        _error(str(exc))
        return EXIT_INPUT
    except SweepFailed as exc:
        _error(f"{exc}. The runs finished before it are saved; fix the cause and run the same command again to continue.")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted.", prefix="stopped")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - users get a sentence, developers the traceback on request
        if os.environ.get("SAMSKABELSE_DEBUG"):
            raise
        _error(f"{type(exc).__name__}: {exc}. This looks like a bug in samskabelse; please report it with the command you ran "
               "(set SAMSKABELSE_DEBUG=1 to see the full traceback).", prefix="internal error")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

"""The commands about one scenario and the page: run, scenarios, show, params, plot, viz."""

from __future__ import annotations

import argparse
import socket
import sys
import textwrap
from pathlib import Path
from typing import Any

from simulation.cli.messages import error, say, wrap
from simulation.core.parameters import FIELDS, GOVERNANCE_MODES, KINDS, LEVERS, coerce_value, describe, parameter_table_markdown
from simulation.errors import InputError, ParameterError, display
from simulation.experiment.files import check_out_folder, ensure_output_folder, load_json
from simulation.experiment.memory import check_memory
from simulation.experiment.runs import RUN_FIGURE, replot_run, run_scenario, summary_table
from simulation.experiment.scenarios import DEFAULT_SCENARIO, describe_all, parse_assignments, require_not_empty, resolve
from simulation.experiment.sweeps import replot_sweep
from simulation.viz import serve

# --- run -----------------------------------------------------------------------------------

def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--set`` pairs and ``--steps``/``--seed``; an error names the option the user typed."""
    values: dict[str, Any] = parse_assignments(getattr(args, "set", None))
    for name in ("steps", "seed"):
        text = getattr(args, name, None)
        if text is None:
            continue
        try:
            value = coerce_value(name, text)
        except ParameterError as exc:  # the error shows the value too, shortened when it is long
            typed = f"--{name} {text}" if len(text) <= 60 else f"--{name}"
            raise InputError(f"{typed}: {exc}.") from None
        if name in values:
            try:
                other = coerce_value(name, values[name])
            except ParameterError:
                other = None
            if other != value:
                raise InputError(f"--set {name}={values[name]} and --{name} {text}: two different values for {name!r}; "
                                 "give it once.")
        values[name] = value
    return values


def _check_run_folder(out_dir: Path) -> None:
    """A run may write into a new or empty folder, or over an earlier run's files; nothing else."""
    check_out_folder(out_dir)  # not a file, not below one, not inside a sweep's runs/
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    manifest = out_dir / "manifest.json"
    kind = None
    if manifest.exists():
        try:
            kind = load_json(manifest).get("kind")
        except (OSError, ValueError, InputError, AttributeError):
            kind = None
    if kind != "run":
        what = "a sweep's results" if kind == "sweep" or (out_dir / "design.json").exists() else "other files"
        raise InputError(
            f"--out {display(out_dir)}: this folder holds {what}, not an earlier single run, so the run would mix "
            "with them. Nothing was changed; choose another --out folder."
        )


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario and write its results."""
    require_not_empty("--out", args.out)
    scen = resolve(args.scenario, overrides(args))
    p = scen.parameters
    out_dir = Path(args.out) if args.out is not None else Path("results") / f"{scen.name}-seed{p.seed}"
    check_memory(p)  # a world too large for this machine is refused before any folder is made
    _check_run_folder(out_dir)
    ensure_output_folder(out_dir)  # before the run, not after it
    for note in scen.notes:
        error(note, prefix="note")
    say(f"Scenario {scen.name} ({display(scen.path)}): {p.governance_mode.upper()} governance, "
        f"{p.n_citizens:,} citizens, {p.n_associations} associations, {p.n_staff} staff, {p.steps} months, seed {p.seed}")
    if p.policy_schedule:
        say("Policy: " + "; ".join(
            f"month {c.step}: " + ", ".join(f"{k} = {v}" for k, v in c.changes) for c in p.policy_schedule))
    frame, manifest = run_scenario(p, out_dir, scenario=scen.name, scenario_file=scen.path, notes=scen.notes,
                                   figure=not args.no_figure)
    say()
    say(summary_table(frame))
    say()
    files = [f for f in manifest["files"] if f != RUN_FIGURE or not args.no_figure]
    say(f"Ran in {manifest['wall_time_seconds']:.2f} s. Wrote {', '.join(files)} to {display(out_dir)}/")
    return 0


# --- scenarios, show, params ---------------------------------------------------------------

def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the named scenarios with one-line descriptions."""
    rows = describe_all()
    if not rows:
        say("No scenarios found (looked in ./scenarios and the project's scenarios/ folder).")
        return 0
    width = max(len(n) for n, _, _ in rows)
    for name, desc, _ in rows:
        mark = " (default)" if name == DEFAULT_SCENARIO else ""
        lines = textwrap.wrap(desc + mark, width=max(40, 100 - width - 2))
        say(f"{name:<{width}}  {lines[0]}")
        for line in lines[1:]:
            say(f"{'':<{width}}  {line}")
    say()
    say("Show one with `samskabelse show NAME`; run one with `samskabelse run NAME`.")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Print a scenario's fully resolved parameters with their ranges and meanings."""
    scen = resolve(args.scenario, overrides(args))
    p = scen.parameters
    values = p.to_dict()
    say(f"Scenario {scen.name}  ({display(scen.path)})")
    if len(scen.chain) > 1:
        say("Builds on: " + " -> ".join(x.stem for x in scen.chain))
    say(wrap(scen.description))
    for note in scen.notes:
        say(wrap(f"Note: {note}."))
    say()
    say("Source: 'set' = set by the scenario (or --set); 'preset' = from the governance mode's preset; "
        "'default' = the declared default.")
    name_w = max(len(n) for n in FIELDS)
    for kind in KINDS:
        say()
        say(f"[{kind} parameters]")
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
            say(f"  {name:<{name_w}}  {shown + unit:<14} {source:<8} {d['allowed']}")
            say(f"  {'':<{name_w}}  {'':<14} {'':<8} {d['meaning']}")
    say()
    if p.policy_schedule:
        say("[policy schedule]")
        for c in p.policy_schedule:
            say(f"  month {c.step}: " + ", ".join(f"{k} = {v}" for k, v in c.changes))
    else:
        say("[policy schedule]  none: the levers stay as above for the whole run")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """Print every parameter with its default, allowed values and meaning."""
    if args.markdown:
        sys.stdout.write(parameter_table_markdown())
        return 0
    name_w = max(len(n) for n in FIELDS)
    for kind in (*KINDS, "schedule"):
        names = [n for n, f in FIELDS.items() if f.metadata["kind"] == kind]
        if not names:
            continue
        say(f"[{kind}]")
        for name in names:
            d = describe(name)
            default = "npg preset" if kind == "lever" and name != "governance_mode" else repr(d["default"])
            if name == "policy_schedule":
                default = "none"
            unit = f" ({d['unit']})" if d["unit"] else ""
            say(f"  {name:<{name_w}}  default {default}; {d['allowed']}{unit}")
            say(f"  {'':<{name_w}}  {d['meaning']}")
        say()
    modes = list(GOVERNANCE_MODES)
    say("Governance mode presets (any lever can be overridden on top of a mode):")
    say(f"  {'lever':<{name_w}}  " + "".join(f"{m:<14}" for m in modes))
    for lever in LEVERS:
        say(f"  {lever:<{name_w}}  " + "".join(f"{GOVERNANCE_MODES[m][lever]!s:<14}" for m in modes))
    return 0


# --- plot ----------------------------------------------------------------------------------

def cmd_plot(args: argparse.Namespace) -> int:
    """Redraw the figures of a run or a sweep from its saved files."""
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
    say(f"Wrote {len(paths)} figure{'s' if len(paths) != 1 else ''}: " + ", ".join(display(p) for p in paths))
    return 0


# --- viz -----------------------------------------------------------------------------------

def _check_port_free(host: str, port: int) -> None:
    """Refuse before starting the server when ``host:port`` cannot be listened on (e.g. in use)."""
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
    """Serve the browser model until Ctrl-C, ``kill`` or a closed terminal stops it."""
    _check_port_free(args.host, args.port)
    return serve(host=args.host, port=args.port, workers=args.workers)  # the server ends with the command (see simulation.viz.serve)

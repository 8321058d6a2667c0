"""The commands of the calibration: ``samskabelse calibrate`` and ``samskabelse predict``.

``calibrate`` runs its model runs as sweeps do (one executor set-up, progress, resumable after
Ctrl-C, local cores or ``--scheduler``); ``predict`` reads a calibration folder (the committed
``docs/calibration`` by default) and prints predicted formal volunteering with 90 % intervals.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from simulation.cli.experiments import _same_command, _stopped
from simulation.cli.messages import say
from simulation.errors import InputError, display
from simulation.experiment.calibration import (
    CALIBRATION_DIR,
    DATA_FILE,
    SIZES,
    CalibrationSettings,
    check_trust,
    find_country,
    load_calibration,
    predict,
    read_countries,
    run_calibration,
)
from simulation.experiment.calibration.data import TRUST
from simulation.experiment.executors import make_executor
from simulation.experiment.files import check_out_folder, ensure_output_folder, write_json, write_table
from simulation.experiment.scenarios import require_not_empty
from simulation.experiment.sweeps import SweepInterrupted
from simulation.report.validation import write_summary


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Calibrate to the countries' formal volunteering 2015, validate out of sample, write the folder."""
    for option, value in (("--out", args.out), ("--scheduler", args.scheduler), ("--data", args.data)):
        require_not_empty(option, value)
    settings = CalibrationSettings(size_name=args.size)
    out_dir = Path(args.out)
    read_countries(args.data)  # a bad data file is refused before anything runs
    check_out_folder(out_dir)
    stop_after = os.environ.get("SAMSKABELSE_SWEEP_STOP_AFTER")  # tests: act as if Ctrl-C after K saved runs
    try:
        with make_executor(args.workers, args.scheduler, args.connect_timeout) as ex:
            ensure_output_folder(out_dir)
            manifest = run_calibration(settings, out_dir, ex.executor, data_file=args.data, workers=ex.workers,
                                       progress=not args.quiet, executor_label=ex.label,
                                       stop_after=int(stop_after) if stop_after else None,
                                       log=(lambda m: None) if args.quiet else say)
    except SweepInterrupted as exc:
        return _stopped(f"interrupted. {exc.done} of {exc.total} runs are saved in {display(exc.out_dir / 'runs')}. Run the "
                        f"same command again to resume without rerunning them: {_same_command()}")
    except KeyboardInterrupt:
        return _stopped(f"interrupted; runs saved earlier are kept. Run the same command again to continue: {_same_command()}")
    summary = write_summary(out_dir)
    manifest["files"] = sorted({*manifest["files"], summary.name})
    write_json(out_dir / "manifest.json", manifest)
    scores = pd.read_csv(out_dir / "validation_metrics.csv").set_index("method")
    say(f"Calibration complete in {manifest['wall_time_seconds']:.0f} s ({manifest['design']['runs']} + "
        f"{manifest['temporal'].get('runs', 0)} runs). Leave-one-out over {len(manifest['countries'])} countries:")
    for method, row in scores.iterrows():
        say(f"  {method:<18} MAE {row['mae']:5.1f} points   90 % coverage {row['coverage_90']:4.0%}   "
            f"Spearman {row['spearman']:+.2f}")
    say(f"Wrote {display(out_dir)}/: SUMMARY.md (the results in words and figures), posterior.csv, validation_*.csv, "
        "temporal*.csv, figures/, manifest.json")
    return 0


def _inputs(args: argparse.Namespace) -> pd.DataFrame:
    """The countries to predict: --trust-in-others values, --country codes (from the data file), a --csv table."""
    frames = []
    if args.trust_in_others:
        values = [check_trust(v) for v in args.trust_in_others]
        frames.append(pd.DataFrame({"country_code": "", "country": "", TRUST: values}))
    if args.country:
        data = read_countries(args.data, required=("country_code", TRUST))
        rows = [find_country(data, ref) for ref in args.country]
        frames.append(pd.DataFrame(rows)[["country_code", "country", TRUST]])
    if args.csv:
        require_not_empty("--csv", args.csv)
        table = read_countries(args.csv, required=(TRUST,))
        for col in ("country_code", "country"):
            if col not in table.columns:
                table[col] = ""
        frames.append(table)
    if not frames:
        raise InputError("predict needs a country's inputs: --trust-in-others 6.0 (0-10, EU-SILC mean trust in others), "
                         "--country DK (a country of the data file), or --csv FILE (a table with the column "
                         f"{TRUST}, as data/countries.csv).")
    return pd.concat(frames, ignore_index=True)


def cmd_predict(args: argparse.Namespace) -> int:
    """Print (and write) predicted formal volunteering with 90 % intervals."""
    require_not_empty("--out", args.out)
    require_not_empty("--posterior", args.posterior)
    inputs = _inputs(args)
    if args.out is not None:
        check_out_folder(Path(args.out).parent if Path(args.out).parent != Path() else Path("."))
        if Path(args.out).is_dir():
            raise InputError(f"--out {args.out}: is a folder; give a file name, e.g. predictions.csv.")
    cal = load_calibration(args.posterior)
    table = predict(inputs, cal)
    say(f"Predicted formal volunteering (% of people 16+ who volunteered through an organisation in the last 12 months, "
        f"EU-SILC ilc_scp19) from {display(cal.folder)}:")
    for _, r in table.iterrows():
        who = " ".join(str(r[c]) for c in ("country_code", "country") if str(r.get(c, "") or "").strip() not in ("", "nan"))
        who = f"{who}, " if who else ""
        say(f"  {who}trust in others {r[TRUST]:.1f}: {r['predicted']:.1f} % (90 % interval {r['low']:.1f} to {r['high']:.1f} %; "
            f"the model's own spread {r['model_low']:.1f} to {r['model_high']:.1f} %)")
    say("The interval holds a country's survey figure 9 times in 10 if the model is right about Europe; the model's own "
        "spread is parameter uncertainty and run-to-run noise alone (docs/calibration.md).")
    if args.out is not None:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_table(out, table, parquet=False)
        say(f"Wrote {display(out)}")
    return 0


def add_parsers(sub: argparse._SubParsersAction, executor_options: Callable[[argparse.ArgumentParser, str], None]) -> None:
    """Add ``calibrate`` and ``predict`` to the command's subparsers (``executor_options`` adds --workers and --scheduler)."""
    p = sub.add_parser("calibrate", help="calibrate to Europe's formal volunteering and validate out of sample (resumable)",
                       description="Calibrate the most influential behavioural parameters and the measurement model to "
                                   "formal volunteering 2015 of the countries in the data file (Gaussian-process emulator of "
                                   "model runs, adaptive importance sampling), then leave each country out and predict it, "
                                   "beside two baselines, and run the calibrated countries 7 more years. Runs are saved as "
                                   "they finish; run the same command again to resume after an interruption.")
    p.add_argument("--size", choices=list(SIZES), default="default",
                   help="default: what docs/calibration holds (10-16 minutes on 2 cores); small: about 3 minutes; "
                        "tiny: for tests")
    p.add_argument("--out", default="results/calibration", metavar="DIR", help="output folder (default: results/calibration)")
    p.add_argument("--data", default=str(DATA_FILE), metavar="FILE", help="country table (default: the project's data/countries.csv)")
    executor_options(p, "calibrate")
    p.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("predict", help="predicted formal volunteering with a 90 %% interval for a country's inputs",
                       description="Predict the share of people 16+ who volunteered through an organisation in the last 12 "
                                   "months (EU-SILC ilc_scp19) from a country's mean trust in others (0-10, EU-SILC 2013), "
                                   "with a 90 %% interval from the calibrated posterior (parameter uncertainty, run-to-run "
                                   "noise and the country discrepancy). Uses the committed calibration by default.")
    p.add_argument("--trust-in-others", action="append", metavar="X", help="mean trust in others, 0-10; repeatable")
    p.add_argument("--country", action="append", metavar="CODE", help="a country of the data file by code or name, e.g. DK; "
                   "repeatable")
    p.add_argument("--csv", metavar="FILE", help=f"a table of countries with the column {TRUST} (as data/countries.csv)")
    p.add_argument("--data", default=str(DATA_FILE), metavar="FILE", help="the country table --country looks in")
    p.add_argument("--posterior", metavar="DIR", help=f"calibration folder (default: the committed {display(CALIBRATION_DIR)})")
    p.add_argument("--out", metavar="FILE", help="also write the predictions to this CSV file")
    p.set_defaults(func=cmd_predict)

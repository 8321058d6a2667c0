"""``samskabelse calibrate``: runs, emulator, posterior, leave-one-out validation and temporal check, into one folder.

:func:`run_calibration` writes into ``out_dir``:

* ``sweeps/design`` and ``sweeps/temporal``: the two sweep folders (resumable; not committed);
* ``emulator_training.csv`` and ``emulator.json``: the emulator's runs (inputs, logit of the
  share) and its hyperparameters, from which it is rebuilt exactly;
* ``posterior.csv``: equally weighted posterior draws (one row per draw, one column per
  calibrated quantity); ``posterior_summary.csv``: prior range, median, 90 % interval;
* ``validation_countries.csv`` and ``validation_metrics.csv``: leave-one-out per country and
  the summary (MAE, 90 % coverage, Spearman) beside the two baselines;
* ``temporal.csv`` and ``temporal_metrics.csv``: the temporal check;
* ``posterior_patterns.csv`` and ``posterior_patterns_summary.csv``: the report's pattern probes
  at posterior draws, and the share of draws for which each pattern holds (``sweeps/patterns.jsonl``
  stores them as they finish);
* ``figures/``: posterior marginals, predicted vs observed, temporal;
* ``manifest.json``: settings, seeds, data file and its SHA-256, code revision, run counts, times.

Everything after the runs is computed again from the stored runs, seeded, so a resumed
calibration gives the same files as one run straight through.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.errors import display
from simulation.experiment.calibration.data import DATA_FILE, FORMAL_2015, FORMAL_2022, TRUST, read_countries
from simulation.experiment.calibration.design import TRUST_INPUT, CalibrationSettings, emulator_design, temporal_design
from simulation.experiment.calibration.emulator import Emulator, fit_emulator
from simulation.experiment.calibration.figures import figure_posterior, figure_predicted_observed, figure_temporal
from simulation.experiment.calibration.measurement import OBSERVED_INDICATOR, societal_trust
from simulation.experiment.calibration.posterior import WeightedDraws, sample_posterior, summarise
from simulation.experiment.calibration.validation import leave_one_out, metrics, temporal_metrics, temporal_table
from simulation.experiment.executors import make_executor
from simulation.experiment.files import now, provenance, write_json, write_table
from simulation.experiment.probes import PROBES, ProbeTask, run_tasks
from simulation.experiment.sweeps import run_sweep


def _write_csv(path: Path, frame: pd.DataFrame) -> Path:
    write_table(path, frame, parquet=False)
    return path


def emulator_training(settings: CalibrationSettings, table: pd.DataFrame) -> pd.DataFrame:
    """The emulator's training rows: its inputs and ``y``, the logit of volunteered_past_year, in run order."""
    table = table.sort_values("run_id").reset_index(drop=True)
    out = table[["run_id", "replicate", *settings.emulator_inputs]].copy()
    out["share"] = table[OBSERVED_INDICATOR].astype(float)
    out["y"] = settings.measurement.to_logit(out["share"])
    return out


def calibrate_on(data: pd.DataFrame, settings: CalibrationSettings, emulator: Emulator) -> WeightedDraws:
    """The weighted posterior draws for the countries of ``data`` (formal volunteering 2015)."""
    y = settings.measurement.to_logit(data[FORMAL_2015].to_numpy(float) / 100)
    return sample_posterior(emulator, data[TRUST].to_numpy(float), y, data["country_code"].tolist(), settings,
                            settings.size.prior_draws, settings.root_seed + 2)


#: Seeds and population of each pattern probe at a posterior draw (the report's probe size).
PATTERN_SEEDS, PATTERN_CITIZENS = (1, 2), 500


def pattern_shares(settings: CalibrationSettings, draws: pd.DataFrame, store: Path, executor: Any, workers: int | None,
                   progress: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each pattern probe of the report at ``pattern_draws`` posterior draws: per draw whether it holds, and the share.

    The probes set their own conditions (Danish and low-trust countries, governance); a draw sets
    the calibrated behavioural parameters. Stored one JSON line per probe as they finish (resumable).
    """
    picked = draws.iloc[np.linspace(0, len(draws) - 1, settings.size.pattern_draws).round().astype(int)]
    tasks = [ProbeTask(key=f"{pattern}/draw{int(d['draw'])}", pattern=pattern,
                       overrides=tuple((p.name, float(d[p.name])) for p in settings.behaviour), seeds=PATTERN_SEEDS,
                       n_citizens=PATTERN_CITIZENS, quick=True)
             for pattern in PROBES for _, d in picked.iterrows()]
    if executor is None:
        with make_executor(workers) as ex:
            results = run_tasks(tasks, store, ex.executor, progress=progress, desc="posterior patterns")
    else:
        results = run_tasks(tasks, store, executor, progress=progress, desc="posterior patterns")
    rows = pd.DataFrame([{"pattern": r["pattern"], "draw": int(key.rsplit("draw", 1)[1]), "holds": bool(r["holds"])}
                         for key, r in results.items()])
    summary = rows.groupby("pattern", sort=False)["holds"].agg(draws="size", share_holds="mean").reset_index()
    return rows, summary


def run_calibration(settings: CalibrationSettings, out_dir: str | Path, executor: Any = None, *, data_file: str | Path = DATA_FILE,
                    workers: int | None = None, progress: bool = True, executor_label: str | None = None,
                    stop_after: int | None = None, temporal: bool = True,
                    log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Calibrate, validate and write every output into ``out_dir``; return the manifest.

    Raises:
        InputError: bad data file or output folder (before any run).
        SweepInterrupted: Ctrl-C; the finished runs are kept, the same call resumes.
    """
    say = log or (lambda m: None)
    out_dir = Path(out_dir)
    data_file = Path(data_file)
    data = read_countries(data_file)
    size = settings.size
    started, t0 = now(), time.perf_counter()
    code = provenance()  # before any output is written: rewriting committed outputs would make the revision "-dirty"

    design = emulator_design(settings)
    say(f"Calibration ({settings.size_name}): {design.n_runs} runs of {size.n_citizens:,} citizens for "
        f"{settings.measurement.burn_in_months} months ({len(design.points)} design points x {design.replicates} seeds)")
    table = run_sweep(design, out_dir / "sweeps" / "design", executor, progress=progress, workers=workers, figures=False,
                      executor_label=executor_label, stop_after=stop_after, log=log)
    t_runs = time.perf_counter() - t0
    training = emulator_training(settings, table)
    lo = np.array([p.lo for p in settings.behaviour] + [0.0])
    hi = np.array([p.hi for p in settings.behaviour] + [1.0])
    say("Fitting the emulator (Gaussian process) ...")
    emulator = fit_emulator(training, settings.emulator_inputs, lo, hi, settings.root_seed)
    files = [_write_csv(out_dir / "emulator_training.csv", training)]
    write_json(out_dir / "emulator.json", emulator.to_json())
    files.append(out_dir / "emulator.json")

    say(f"Sampling the posterior ({size.prior_draws:,} draws per round) and leave-one-out over {len(data)} countries ...")
    weighted = calibrate_on(data, settings, emulator)
    draws = weighted.resample(size.posterior_draws, settings.root_seed + 3)
    draws.insert(0, "draw", np.arange(len(draws)))
    files.append(_write_csv(out_dir / "posterior.csv", draws))
    summary = summarise(draws, settings.priors)
    files.append(_write_csv(out_dir / "posterior_summary.csv", summary))
    loo = leave_one_out(data, weighted, emulator, settings, size.posterior_draws, settings.root_seed + 100)
    files.append(_write_csv(out_dir / "validation_countries.csv", loo))
    scores = metrics(loo)
    files.append(_write_csv(out_dir / "validation_metrics.csv", scores))
    figs = [figure_posterior(draws, settings.priors, out_dir / "figures" / "posterior.png"),
            figure_predicted_observed(loo, out_dir / "figures" / "predicted_observed.png")]

    temporal_info: dict[str, Any] = {}
    if temporal:
        both = data[data[FORMAL_2022].notna()].reset_index(drop=True)
        picked = draws.iloc[np.linspace(0, len(draws) - 1, size.temporal_draws).round().astype(int)]
        rows, keys = [], []
        for _, c in both.iterrows():
            st = societal_trust(c[TRUST], picked["trust_at_reference"], picked["trust_slope"], settings.measurement.reference_trust)
            for d, (_, draw) in enumerate(picked.iterrows()):
                rows.append({**draw.to_dict(), TRUST_INPUT: float(st[d])})
                keys.append((c["country_code"], d))
        tdesign = temporal_design(settings, rows)
        say(f"Temporal check: {tdesign.n_runs} runs ({len(both)} countries x {size.temporal_draws} posterior draws), "
            f"{settings.measurement.burn_in_months + settings.measurement.forward_months} months each")
        t1 = time.perf_counter()
        truns = run_sweep(tdesign, out_dir / "sweeps" / "temporal", executor, progress=progress, workers=workers, figures=False,
                          executor_label=executor_label, log=log)
        t_runs += time.perf_counter() - t1
        ttable = temporal_table(both, truns, keys, settings.measurement.burn_in_months, settings.measurement.forward_months)
        files.append(_write_csv(out_dir / "temporal.csv", ttable))
        tm = temporal_metrics(ttable)
        files.append(_write_csv(out_dir / "temporal_metrics.csv", tm))
        figs.append(figure_temporal(ttable, out_dir / "figures" / "temporal.png"))
        temporal_info = {"runs": tdesign.n_runs, "design_hash": tdesign.hash()}

    patterns_info: dict[str, Any] = {}
    if size.pattern_draws > 0:
        t2 = time.perf_counter()
        rows_p, summary_p = pattern_shares(settings, draws, out_dir / "sweeps" / "patterns.jsonl", executor, workers, progress)
        t_runs += time.perf_counter() - t2
        files.append(_write_csv(out_dir / "posterior_patterns.csv", rows_p))
        files.append(_write_csv(out_dir / "posterior_patterns_summary.csv", summary_p))
        patterns_info = {"probes": len(rows_p), "draws": size.pattern_draws, "seeds": list(PATTERN_SEEDS),
                         "n_citizens": PATTERN_CITIZENS}

    manifest = {
        "kind": "calibration", **code, "started": started, "finished": now(),
        "wall_time_seconds": round(time.perf_counter() - t0, 1), "run_time_seconds": round(t_runs, 1),
        "settings": settings.to_json(), "data_file": display(data_file),
        "data_sha256": hashlib.sha256(data_file.read_bytes()).hexdigest(), "countries": data["country_code"].tolist(),
        "design": {"runs": design.n_runs, "design_hash": design.hash()}, "temporal": temporal_info,
        "patterns": patterns_info,
        "emulator": {"run_sd": emulator.run_sd, "kernel": str(emulator.gp.kernel_)},
        "posterior": {"effective_sample_size": weighted.ess(), "draws": len(draws),
                      "loo_effective_sample_size_min": float(loo["ess"].min())},
        "files": [str(p.relative_to(out_dir)) for p in [*files, *figs]] + ["manifest.json"],
    }
    write_json(out_dir / "manifest.json", manifest)
    return manifest

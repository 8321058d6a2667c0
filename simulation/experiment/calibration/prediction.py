"""Predicted formal volunteering for a country's inputs, with 90 % intervals, from a calibration's posterior.

:func:`predict` (what ``samskabelse predict`` calls) reads a calibration folder (by default the
committed one, ``docs/calibration``), rebuilds its emulator, and for each trust in others draws
the predictive distribution from the posterior draws:

* the **model's spread**: each posterior draw's emulator mean plus the error of one new run
  (``run_sd``: run-to-run noise and emulator error): parameter uncertainty and run-to-run noise;
* the **country interval**: that plus the calibrated country discrepancy (what the model with
  these inputs does not explain of a country): the interval a country's survey figure is
  expected in, and the one the validation's coverage is about.

The point prediction is the median of the country's predictive distribution. Seeded: the same
inputs give the same numbers.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import InputError, display
from simulation.experiment.calibration.design import SIZES, CalibrationSettings
from simulation.experiment.calibration.emulator import Emulator, load_emulator
from simulation.experiment.calibration.measurement import MeasurementModel, Prior, societal_trust, to_percent
from simulation.experiment.calibration.posterior import emulator_rows

#: The committed calibration (next to the package in a source checkout).
CALIBRATION_DIR = Path(__file__).resolve().parents[3] / "docs" / "calibration"
#: Interval probability.
LEVEL = 0.90
#: Seed of the predictive draws.
PREDICT_SEED = 90


@dataclasses.dataclass
class Calibration:
    """A calibration read back: its settings, emulator and equally weighted posterior draws."""

    folder: Path
    settings: CalibrationSettings
    emulator: Emulator
    draws: pd.DataFrame


def settings_from_json(data: dict) -> CalibrationSettings:
    """The settings a calibration's manifest stores, rebuilt (and validated)."""
    priors = [Prior(**p) for p in data["priors"]]
    return CalibrationSettings(
        size_name=data["size"], behaviour=tuple(p for p in priors if p.kind == "behaviour"),
        measurement_priors=tuple(p for p in priors if p.kind == "measurement"),
        measurement=MeasurementModel(**data["measurement_model"]), root_seed=int(data["root_seed"]),
        size_overrides=tuple((k, int(data[k])) for k in dataclasses.asdict(SIZES[data["size"]]) if k in data),
    )


def load_calibration(folder: str | Path | None = None) -> Calibration:
    """Read a calibration folder (default: the committed one).

    Raises:
        InputError: the folder or one of its files is missing or not what ``samskabelse calibrate`` writes.
    """
    folder = CALIBRATION_DIR if folder is None else Path(folder)
    if not folder.is_dir():
        raise InputError(f"--posterior {display(folder)}: no such calibration folder; give the folder `samskabelse calibrate "
                         "--out DIR` wrote (the committed one is docs/calibration).")
    manifest, posterior = folder / "manifest.json", folder / "posterior.csv"
    for p in (manifest, posterior):
        if not p.is_file():
            raise InputError(f"{display(p)}: missing; this is not a complete calibration folder (run `samskabelse calibrate "
                             f"--out {display(folder)}` to make one).")
    try:
        settings = settings_from_json(json.loads(manifest.read_text(encoding="utf-8"))["settings"])
        draws = pd.read_csv(posterior)
        missing = [p.name for p in settings.priors if p.name not in draws.columns]
        if missing:
            raise ValueError(f"posterior.csv lacks the column(s) {', '.join(missing)}")
        values = draws[[p.name for p in settings.priors]].to_numpy(float)
        if len(draws) == 0 or not np.all(np.isfinite(values)):
            raise ValueError("posterior.csv holds no draws, or a value that is not a number")
    except InputError:
        raise
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"{display(folder)}: the calibration cannot be read back ({type(exc).__name__}: {exc}); "
                         "regenerate it with `samskabelse calibrate --out DIR`.") from None
    return Calibration(folder, settings, load_emulator(folder), draws)


def predictive(calibration: Calibration | tuple[CalibrationSettings, Emulator, pd.DataFrame], trust_in_others: float,
               seed: int = PREDICT_SEED) -> dict[str, float]:
    """Point and intervals (percent) for one trust in others, from equally weighted draws."""
    settings, emulator, draws = ((calibration.settings, calibration.emulator, calibration.draws)
                                 if isinstance(calibration, Calibration) else calibration)
    rng = np.random.default_rng(seed)
    mean = emulator.mean(emulator_rows(draws, trust_in_others, settings))
    run = mean + emulator.run_sd * rng.standard_normal(len(draws))
    country = run + draws["discrepancy_sd"].to_numpy(float) * rng.standard_normal(len(draws))
    a = (1 - LEVEL) / 2
    m_lo, m_hi = to_percent(np.quantile(run, [a, 1 - a]))
    lo, point, hi = to_percent(np.quantile(country, [a, 0.5, 1 - a]))
    st = societal_trust(trust_in_others, draws["trust_at_reference"], draws["trust_slope"], settings.measurement.reference_trust)
    return {"societal_trust": float(np.median(st)), "predicted": float(point), "low": float(lo), "high": float(hi),
            "model_low": float(m_lo), "model_high": float(m_hi)}


def check_trust(value: float, where: str = "--trust-in-others") -> float:
    """A trust in others on the survey's 0-10 scale, else an InputError naming ``where``."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where} {value!r}: expected a number from 0 to 10 (mean trust in others, EU-SILC ilc_pw03).") from None
    if not (np.isfinite(x) and 0.0 <= x <= 10.0):
        raise InputError(f"{where} {value}: outside the survey's scale; trust in others is a mean rating from 0 (none) to "
                         "10 (complete), e.g. 6.0.")
    return x


def predict(trust_in_others: Sequence[float] | pd.DataFrame, calibration: Calibration | str | Path | None = None) -> pd.DataFrame:
    """Predicted formal volunteering (%, the survey's last-12-months question) with 90 % intervals.

    Args:
        trust_in_others: values on the 0-10 scale, or a country table with the column
            ``trust_in_others_2013`` (its other columns are kept in front of the predictions).
        calibration: a :class:`Calibration` or its folder; default the committed one.

    Returns:
        One row per input: the inputs, ``societal_trust`` (median over draws), ``predicted``,
        ``low`` and ``high`` (the country interval), ``model_low`` and ``model_high`` (the model's
        spread: parameters and run-to-run noise).
    """
    cal = calibration if isinstance(calibration, Calibration) else load_calibration(calibration)
    if isinstance(trust_in_others, pd.DataFrame):
        if "trust_in_others_2013" not in trust_in_others.columns:
            raise InputError("the country table lacks the column trust_in_others_2013 (mean trust in others, 0-10, as in "
                             f"data/countries.csv); columns found: {', '.join(map(str, trust_in_others.columns)) or 'none'}.")
        table = trust_in_others.reset_index(drop=True)
        values = table["trust_in_others_2013"].tolist()
    else:
        values = list(np.atleast_1d(np.asarray(trust_in_others, dtype=object)))
        table = pd.DataFrame({"trust_in_others_2013": values})
    rows = [predictive(cal, check_trust(v, "trust in others")) for v in values]
    return pd.concat([table, pd.DataFrame(rows)], axis=1)

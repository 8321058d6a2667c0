"""Calibration to Europe and out-of-sample prediction (``samskabelse calibrate`` and ``samskabelse predict``).

- :mod:`~.data`: the country table (``data/countries.csv``), read and checked;
- :mod:`~.measurement`: the measurement model (trust in others -> societal trust; the model's
  state -> the survey's question), its fixed parameters and the priors of its calibrated ones;
- :mod:`~.design`: the calibrated parameters, sizes, and the designs of model runs (run by the sweep engine);
- :mod:`~.emulator`: the Gaussian-process emulator (scikit-learn);
- :mod:`~.posterior`: adaptive importance sampling on the emulator; leave-one-out by re-weighting;
- :mod:`~.prediction`: predicted formal volunteering with 90 % intervals from a calibration folder;
- :mod:`~.validation`: leave-one-out against two baselines, the temporal check;
- :mod:`~.calibrate`: :func:`run_calibration`, which does all of it into one folder.
"""

from simulation.experiment.calibration.calibrate import run_calibration
from simulation.experiment.calibration.data import DATA_FILE, find_country, read_countries
from simulation.experiment.calibration.design import SIZES, CalibrationSettings
from simulation.experiment.calibration.measurement import MeasurementModel
from simulation.experiment.calibration.prediction import CALIBRATION_DIR, Calibration, check_trust, load_calibration, predict

__all__ = ["CALIBRATION_DIR", "DATA_FILE", "SIZES", "Calibration", "CalibrationSettings", "MeasurementModel", "check_trust",
           "find_country", "load_calibration", "predict", "read_countries", "run_calibration"]

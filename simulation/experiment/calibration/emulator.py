"""The emulator: a Gaussian process (scikit-learn) from the calibrated parameters and societal trust to the logit of the share.

Fitted once to the emulator design's runs (:func:`fit_emulator`: hyperparameters by maximum
likelihood on a seeded random subset of at most 400 runs, then the process on all runs); stored as its training table and its kernel's hyperparameters
(``emulator.json``, plain JSON, never a pickle), and rebuilt exactly from them
(:func:`load_emulator`: the same kernel with the optimiser off). Inputs are scaled to [0, 1]
by the design's bounds. Its error for a new run (run-to-run noise plus emulator error) is
measured by 5-fold cross-validation: ``run_sd``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

from simulation.errors import InputError, display

#: Most runs the kernel's hyperparameters are fitted to (maximum likelihood; a random subset of the design's runs).
HYPERPARAMETER_ROWS = 400
#: Rows predicted at once (keeps the cross-kernel matrix to a few tens of megabytes).
CHUNK = 4096


def _kernel(n_inputs: int) -> Any:
    return (ConstantKernel(1.0, (1e-3, 1e3)) * Matern(length_scale=np.full(n_inputs, 0.5), length_scale_bounds=(1e-2, 1e2), nu=2.5)
            + WhiteKernel(0.05, (1e-6, 1.0)))


@dataclasses.dataclass
class Emulator:
    """A fitted emulator: inputs, their bounds, the Gaussian process, and its cross-validated error for a new run."""

    inputs: list[str]
    lo: np.ndarray
    hi: np.ndarray
    gp: GaussianProcessRegressor
    run_sd: float
    training: pd.DataFrame

    def scaled(self, X: np.ndarray) -> np.ndarray:
        """Inputs scaled to [0, 1] by the design's bounds."""
        return (np.asarray(X, dtype=float) - self.lo) / (self.hi - self.lo)

    def mean(self, X: np.ndarray) -> np.ndarray:
        """The emulator's mean (logit of the share) at rows of inputs ``X`` (columns in :attr:`inputs` order)."""
        X = self.scaled(np.atleast_2d(X))
        return np.concatenate([self.gp.predict(X[i:i + CHUNK]) for i in range(0, len(X), CHUNK)]) if len(X) else np.empty(0)

    def to_json(self) -> dict[str, Any]:
        """What rebuilds it with the training table: inputs, bounds, kernel hyperparameters, run_sd."""
        return {"inputs": self.inputs, "lo": self.lo.tolist(), "hi": self.hi.tolist(),
                "kernel_theta": np.asarray(self.gp.kernel_.theta).tolist(), "kernel": str(self.gp.kernel_),
                "run_sd": self.run_sd, "training_rows": len(self.training),
                "log_marginal_likelihood": float(self.gp.log_marginal_likelihood_value_)}


def _gp(kernel: Any, optimise: bool, seed: int) -> GaussianProcessRegressor:
    return GaussianProcessRegressor(kernel=kernel, normalize_y=True, optimizer="fmin_l_bfgs_b" if optimise else None,
                                    n_restarts_optimizer=2 if optimise else 0, random_state=seed)


def fit_emulator(training: pd.DataFrame, inputs: list[str], lo: np.ndarray, hi: np.ndarray, seed: int) -> Emulator:
    """Fit the Gaussian process to ``training`` (columns ``inputs`` and ``y``, the logit) and cross-validate it."""
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    X = (training[inputs].to_numpy(float) - lo) / (hi - lo)
    y = training["y"].to_numpy(float)
    # hyperparameters by maximum likelihood on a random subset (the cost grows with the cube of the rows), then the
    # Gaussian process on every run with them fixed
    subset = np.sort(np.random.default_rng(seed).permutation(len(y))[:HYPERPARAMETER_ROWS])
    kernel = _gp(_kernel(len(inputs)), True, seed).fit(X[subset], y[subset]).kernel_
    gp = _gp(kernel, False, seed).fit(X, y)
    run_sd = _cross_validated_sd(gp.kernel_, X, y, seed)
    return Emulator(inputs, lo, hi, gp, run_sd, training.reset_index(drop=True))


def _cross_validated_sd(kernel: Any, X: np.ndarray, y: np.ndarray, seed: int, folds: int = 5) -> float:
    """Root mean squared error of predicting held-out runs (the fitted hyperparameters kept): noise plus emulator error."""
    order = np.random.default_rng(seed).permutation(len(y))
    errors = []
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        gp = _gp(kernel, False, seed).fit(X[train], y[train])
        errors.append(gp.predict(X[test]) - y[test])
    return float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))


def load_emulator(folder: Path) -> Emulator:
    """Rebuild the emulator stored in ``folder`` (``emulator.json`` and ``emulator_training.csv``).

    Raises:
        InputError: a file is missing or not what :func:`write_emulator` writes.
    """
    meta_path, table_path = folder / "emulator.json", folder / "emulator_training.csv"
    for p in (meta_path, table_path):
        if not p.is_file():
            raise InputError(f"{display(p)}: missing; a calibration folder holds emulator.json, emulator_training.csv and "
                             "posterior.csv (`samskabelse calibrate --out DIR` writes them).")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        inputs = [str(n) for n in meta["inputs"]]
        lo, hi = np.asarray(meta["lo"], dtype=float), np.asarray(meta["hi"], dtype=float)
        theta = np.asarray(meta["kernel_theta"], dtype=float)
        run_sd = float(meta["run_sd"])
        training = pd.read_csv(table_path)
        missing = [c for c in [*inputs, "y"] if c not in training.columns]
        if missing:
            raise ValueError(f"{display(table_path)} lacks the column(s) {', '.join(missing)}")
        kernel = _kernel(len(inputs)).clone_with_theta(theta)
        X = (training[inputs].to_numpy(float) - lo) / (hi - lo)
        gp = _gp(kernel, False, 0).fit(X, training["y"].to_numpy(float))
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError, pd.errors.ParserError, np.linalg.LinAlgError) as exc:
        raise InputError(f"{display(folder)}: the stored emulator cannot be read back ({type(exc).__name__}: {exc}); "
                         "regenerate it with `samskabelse calibrate --out DIR`.") from None
    return Emulator(inputs, lo, hi, gp, run_sd, training)

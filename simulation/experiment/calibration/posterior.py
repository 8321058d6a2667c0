"""The posterior on the emulator: adaptive importance sampling, with leave-one-out by re-weighting.

Likelihood of country ``c`` (observed formal volunteering ``y_c`` in %, trust in others ``x_c``)::

    logit(y_c / 100) ~ Normal( m(theta_b, societal_trust(x_c; level, slope)),  run_sd^2 + discrepancy_sd^2 )

with ``m`` the emulator's mean, ``run_sd`` its cross-validated error for a new run (run-to-run
noise and emulator error) and ``discrepancy_sd`` calibrated. Priors are uniform boxes.

:func:`sample_posterior` draws from the prior, then twice from a defensive mixture (15 % the
prior, 85 % a normal fitted to the weighted draws with its covariance doubled, cut to the
prior box), weighting each draw by prior x likelihood / proposal (population Monte Carlo,
Cappé et al. 2004). The final weighted draws hold the log-likelihood of every country, so the
posterior without country ``c`` (leave-one-out) is the same draws re-weighted without its term
(:meth:`WeightedDraws.weights`): no new simulations and no new sampling. Every step is seeded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import multivariate_normal, norm

from simulation.experiment.calibration.design import TRUST_INPUT, CalibrationSettings
from simulation.experiment.calibration.emulator import Emulator
from simulation.experiment.calibration.measurement import Prior, societal_trust

#: Share of the prior in each proposal (keeps every weight bounded).
DEFENSIVE = 0.15
#: Adaptive rounds after the first draw from the prior.
ROUNDS = 2


@dataclasses.dataclass
class WeightedDraws:
    """Draws of the calibrated quantities with each country's log-likelihood and the log of prior / proposal."""

    draws: pd.DataFrame          # one column per prior
    loglik: np.ndarray           # (draws, countries)
    log_base: np.ndarray         # log prior - log proposal, per draw
    countries: list[str]

    def weights(self, leave_out: int | None = None) -> np.ndarray:
        """Normalised importance weights of the posterior (without country ``leave_out`` when given)."""
        ll = self.loglik.sum(axis=1) - (self.loglik[:, leave_out] if leave_out is not None else 0.0)
        logw = ll + self.log_base
        w = np.exp(logw - logw.max())
        return w / w.sum()

    def ess(self, leave_out: int | None = None) -> float:
        """Effective sample size of the (leave-one-out) weights."""
        w = self.weights(leave_out)
        return float(1.0 / np.sum(w ** 2))

    def resample(self, n: int, seed: int, leave_out: int | None = None) -> pd.DataFrame:
        """``n`` equally weighted draws (systematic resampling, seeded)."""
        w = self.weights(leave_out)
        u = (np.random.default_rng(seed).random() + np.arange(n)) / n
        idx = np.minimum(np.searchsorted(np.cumsum(w), u), len(w) - 1)
        return self.draws.iloc[idx].reset_index(drop=True)


def emulator_rows(draws: pd.DataFrame, trust_in_others: float, settings: CalibrationSettings) -> np.ndarray:
    """Emulator inputs of each draw for a country with this trust in others (the measurement model's input side)."""
    st = societal_trust(trust_in_others, draws["trust_at_reference"].to_numpy(), draws["trust_slope"].to_numpy(),
                        settings.measurement.reference_trust)
    cols = [draws[p.name].to_numpy(float) for p in settings.behaviour]
    return np.column_stack([*cols, st]) if cols else st[:, None]


def log_likelihood(draws: pd.DataFrame, emulator: Emulator, trust: Sequence[float], observed_logit: Sequence[float],
                   settings: CalibrationSettings) -> np.ndarray:
    """Log-likelihood of each draw for each country: shape (draws, countries)."""
    sd = np.sqrt(emulator.run_sd ** 2 + draws["discrepancy_sd"].to_numpy(float) ** 2)
    out = np.empty((len(draws), len(trust)))
    for j, (x, y) in enumerate(zip(trust, observed_logit, strict=True)):
        out[:, j] = norm.logpdf(y, emulator.mean(emulator_rows(draws, x, settings)), sd)
    return out


def _box(priors: Sequence[Prior]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([p.lo for p in priors]), np.array([p.hi for p in priors])


def sample_posterior(emulator: Emulator, trust: Sequence[float], observed_logit: Sequence[float], countries: Sequence[str],
                     settings: CalibrationSettings, n: int, seed: int) -> WeightedDraws:
    """Weighted posterior draws by population Monte Carlo on the emulator (see the module's text)."""
    priors = settings.priors
    names = [p.name for p in priors]
    lo, hi = _box(priors)
    log_prior = -np.sum(np.log(hi - lo))
    rng = np.random.default_rng(seed)
    X = lo + (hi - lo) * rng.random((n, len(names)))
    log_q = np.full(n, log_prior)
    for _ in range(ROUNDS + 1):
        draws = pd.DataFrame(X, columns=names)
        ll = log_likelihood(draws, emulator, trust, observed_logit, settings)
        result = WeightedDraws(draws, ll, log_prior - log_q, list(countries))
        if _ == ROUNDS:
            return result
        w = result.weights()
        mean = w @ X
        cov = 2.0 * np.cov(X.T, aweights=w) + 1e-9 * np.diag((hi - lo) ** 2)
        X, log_q = _defensive_sample(rng, mean, cov, lo, hi, n, log_prior)
    raise AssertionError("unreachable")


def _defensive_sample(rng: np.random.Generator, mean: np.ndarray, cov: np.ndarray, lo: np.ndarray, hi: np.ndarray, n: int,
                      log_prior: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` draws from (DEFENSIVE x prior + rest x normal cut to the box), with the log of that density at each."""
    mvn = multivariate_normal(mean, cov, allow_singular=True)
    n_prior = int(round(DEFENSIVE * n))
    inside, tried = [], 0
    while sum(len(a) for a in inside) < n - n_prior:
        batch = mvn.rvs(size=4 * n, random_state=rng).reshape(-1, len(mean))
        tried += len(batch)
        inside.append(batch[np.all((batch >= lo) & (batch <= hi), axis=1)])
    normal = np.concatenate(inside)[: n - n_prior]
    kept = max(sum(len(a) for a in inside), 1) / tried  # the normal's mass inside the box
    X = np.concatenate([lo + (hi - lo) * rng.random((n_prior, len(mean))), normal])
    q = DEFENSIVE * np.exp(log_prior) + (1 - DEFENSIVE) * mvn.pdf(X).reshape(-1) / kept
    return X, np.log(q)


def summarise(draws: pd.DataFrame, priors: Sequence[Prior]) -> pd.DataFrame:
    """Per calibrated quantity: prior range, posterior mean, median and 90 % interval, and how much of the prior's width is left."""
    rows = []
    for p in priors:
        v = draws[p.name].to_numpy(float)
        q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95])
        rows.append({"parameter": p.name, "kind": p.kind, "prior_low": p.lo, "prior_high": p.hi, "mean": float(v.mean()),
                     "median": q50, "q05": q05, "q95": q95, "width_share_of_prior": (q95 - q05) / (0.9 * (p.hi - p.lo))})
    return pd.DataFrame(rows)


__all__ = ["TRUST_INPUT", "WeightedDraws", "emulator_rows", "log_likelihood", "sample_posterior", "summarise"]

"""Out-of-sample validation: leave-one-out over the countries beside two baselines, and the temporal check.

:func:`leave_one_out` predicts each country from the posterior without it (the same weighted
draws re-weighted, :meth:`~simulation.experiment.calibration.posterior.WeightedDraws.weights`)
and computes the two baselines the same way, each without the country:

* **training mean**: the mean of the other countries, with a normal-theory 90 % prediction
  interval (t quantile, ``s * sqrt(1 + 1/n)``);
* **regression**: ordinary least squares of volunteering (%) on trust in others, with its
  90 % prediction interval.

:func:`metrics` gives, per method, the mean absolute error, the share of countries inside their
90 % interval and Spearman's rank correlation of predicted and observed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from simulation.experiment.calibration.data import FORMAL_2015, FORMAL_2022, TRUST
from simulation.experiment.calibration.design import CalibrationSettings
from simulation.experiment.calibration.emulator import Emulator
from simulation.experiment.calibration.posterior import WeightedDraws
from simulation.experiment.calibration.prediction import LEVEL, predictive

#: Methods compared, in the order tables show them.
METHODS = ("model", "training_mean", "regression")


def _mean_baseline(y: np.ndarray) -> tuple[float, float, float]:
    n = len(y)
    m, s = float(y.mean()), float(y.std(ddof=1))
    h = stats.t.ppf(1 - (1 - LEVEL) / 2, n - 1) * s * np.sqrt(1 + 1 / n)
    return m, m - h, m + h


def _regression_baseline(x: np.ndarray, y: np.ndarray, x0: float) -> tuple[float, float, float]:
    n = len(y)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    s = np.sqrt(np.sum(resid ** 2) / (n - 2))
    se = s * np.sqrt(1 + 1 / n + (x0 - x.mean()) ** 2 / np.sum((x - x.mean()) ** 2))
    h = stats.t.ppf(1 - (1 - LEVEL) / 2, n - 2) * se
    p = float(intercept + slope * x0)
    return p, p - h, p + h


def leave_one_out(data: pd.DataFrame, weighted: WeightedDraws, emulator: Emulator, settings: CalibrationSettings,
                  n_draws: int, seed: int) -> pd.DataFrame:
    """One row per country: observed, each method's point and 90 % interval, the posterior's effective sample size."""
    x = data[TRUST].to_numpy(float)
    y = data[FORMAL_2015].to_numpy(float)
    rows = []
    for i, code in enumerate(data["country_code"]):
        others = np.arange(len(y)) != i
        draws = weighted.resample(n_draws, seed + i, leave_out=i)
        model = predictive((settings, emulator, draws), float(x[i]))
        m = _mean_baseline(y[others])
        r = _regression_baseline(x[others], y[others], float(x[i]))
        rows.append({
            "country_code": code, "country": data["country"].iloc[i] if "country" in data.columns else code,
            TRUST: x[i], "observed": y[i], "ess": weighted.ess(leave_out=i),
            "model": model["predicted"], "model_low": model["low"], "model_high": model["high"],
            "model_spread_low": model["model_low"], "model_spread_high": model["model_high"],
            "training_mean": m[0], "training_mean_low": m[1], "training_mean_high": m[2],
            "regression": r[0], "regression_low": r[1], "regression_high": r[2],
        })
    return pd.DataFrame(rows)


def metrics(loo: pd.DataFrame) -> pd.DataFrame:
    """Per method: mean absolute error (points), 90 % interval coverage, Spearman's rho of predicted vs observed."""
    rows = []
    for method in METHODS:
        pred, obs = loo[method].to_numpy(float), loo["observed"].to_numpy(float)
        inside = (obs >= loo[f"{method}_low"]) & (obs <= loo[f"{method}_high"])
        rho = stats.spearmanr(pred, obs).statistic if np.ptp(pred) > 0 else float("nan")
        rows.append({"method": method, "mae": float(np.mean(np.abs(pred - obs))), "coverage_90": float(inside.mean()),
                     "spearman": float(rho), "mean_interval_width": float((loo[f"{method}_high"] - loo[f"{method}_low"]).mean()),
                     "countries": len(loo)})
    inside = (loo["observed"] >= loo["model_spread_low"]) & (loo["observed"] <= loo["model_spread_high"])
    rows.append({"method": "model_spread_only", "mae": rows[0]["mae"], "coverage_90": float(inside.mean()),
                 "spearman": rows[0]["spearman"],
                 "mean_interval_width": float((loo["model_spread_high"] - loo["model_spread_low"]).mean()), "countries": len(loo)})
    return pd.DataFrame(rows)


def temporal_table(data: pd.DataFrame, runs: pd.DataFrame, keys: Sequence[tuple[str, int]], burn_in: int, forward: int) -> pd.DataFrame:
    """Per country: the model's share at the 2015 and 2022 months (median over its draws, %) beside the data's.

    ``runs`` is the temporal sweep's table (every month); ``keys`` gives (country code, draw) of each run in run order.
    """
    by_run = runs.set_index(["run_id", "step"])["volunteered_past_year"]
    rows = []
    for run_id, (code, draw) in enumerate(keys):
        rows.append({"country_code": code, "draw": draw, "model_2015": 100 * float(by_run.loc[(run_id, burn_in)]),
                     "model_2022": 100 * float(by_run.loc[(run_id, burn_in + forward)])})
    per_draw = pd.DataFrame(rows)
    med = per_draw.groupby("country_code", sort=False)[["model_2015", "model_2022"]].median().reset_index()
    return data[["country_code", "country", TRUST, FORMAL_2015, FORMAL_2022]].merge(med, on="country_code")


def temporal_metrics(table: pd.DataFrame) -> pd.DataFrame:
    """Spearman's rho between 2015 and 2022 ranks in the data and in the model, and of the model's 2022 against the data's."""
    def rho(a: str, b: str) -> float:
        return float(stats.spearmanr(table[a], table[b]).statistic)

    return pd.DataFrame([
        {"comparison": "data 2015 vs data 2022", "spearman": rho(FORMAL_2015, FORMAL_2022), "countries": len(table)},
        {"comparison": "model 2015 vs model 2022", "spearman": rho("model_2015", "model_2022"), "countries": len(table)},
        {"comparison": "model 2022 vs data 2022", "spearman": rho("model_2022", FORMAL_2022), "countries": len(table)},
        {"comparison": "model 2015 vs data 2015", "spearman": rho("model_2015", FORMAL_2015), "countries": len(table)},
    ])

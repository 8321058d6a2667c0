"""Figures of a calibration: posterior marginals, predicted vs observed (leave-one-out), the temporal check."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.experiment.calibration.measurement import Prior  # noqa: E402
from simulation.experiment.files import write_atomic  # noqa: E402


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda fh: fig.savefig(fh, format="png", dpi=120, bbox_inches="tight"), mode="wb")
    plt.close(fig)
    return path


def figure_posterior(draws: pd.DataFrame, priors: Sequence[Prior], path: Path) -> Path:
    """Marginal posterior of each calibrated quantity over its prior range (the prior is flat across each panel)."""
    n = len(priors)
    cols = min(4, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), squeeze=False)
    for ax, p in zip(axes.flat, priors, strict=False):
        ax.hist(draws[p.name], bins=30, range=(p.lo, p.hi), density=True, color="#4477aa", alpha=0.8)
        ax.axhline(1 / (p.hi - p.lo), color="grey", lw=1, ls="--")
        ax.set_xlim(p.lo, p.hi)
        ax.set_title(p.name, fontsize=9)
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.suptitle("Posterior marginals (bars) over the uniform prior (dashed), all 21 countries", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def figure_predicted_observed(loo: pd.DataFrame, path: Path) -> Path:
    """Leave-one-out predictions against observed formal volunteering 2015, with 90 % intervals; the regression beside."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), sharex=True, sharey=True)
    top = float(max(loo["observed"].max(), loo["model_high"].max(), loo["regression_high"].max())) * 1.05
    for ax, method, title in ((axes[0], "model", "Model (calibrated without the country)"),
                              (axes[1], "regression", "Baseline: regression on trust (without the country)")):
        pred = loo[method]
        err = np.vstack([pred - loo[f"{method}_low"], loo[f"{method}_high"] - pred])
        inside = (loo["observed"] >= loo[f"{method}_low"]) & (loo["observed"] <= loo[f"{method}_high"])
        ax.plot([0, top], [0, top], color="grey", lw=1)
        for ok, colour in ((True, "#4477aa"), (False, "#cc3311")):
            sel = inside.to_numpy() == ok
            ax.errorbar(loo["observed"][sel], pred[sel], yerr=err[:, sel], fmt="o", ms=4, color=colour, ecolor=colour,
                        alpha=0.8, capsize=2, label="observed inside the 90 % interval" if ok else "outside")
        for _, r in loo.iterrows():
            ax.annotate(r["country_code"], (r["observed"], r[method]), xytext=(3, 3), textcoords="offset points", fontsize=7)
        mae = float(np.mean(np.abs(pred - loo["observed"])))
        ax.set_title(f"{title}\nMAE {mae:.1f} points, coverage {inside.mean():.0%}", fontsize=9)
        ax.set_xlabel("observed formal volunteering 2015 (%)")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
    axes[0].set_ylabel("predicted (%), 90 % interval")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return _save(fig, path)


def figure_temporal(table: pd.DataFrame, path: Path) -> Path:
    """The model's 2015 and 2022 shares per country beside the data's (ranks persist or not)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, (a, b, title) in zip(axes, (("formal_volunteering_2015", "formal_volunteering_2022", "Data"),
                                        ("model_2015", "model_2022", "Model (calibrated countries, 7 more years)")), strict=True):
        ax.scatter(table[a], table[b], s=18, color="#4477aa")
        for _, r in table.iterrows():
            ax.annotate(r["country_code"], (r[a], r[b]), xytext=(3, 3), textcoords="offset points", fontsize=7)
        top = float(max(table[a].max(), table[b].max())) * 1.08
        ax.plot([0, top], [0, top], color="grey", lw=1)
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel("2015 (%)")
        ax.set_ylabel("2022 (%)")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)

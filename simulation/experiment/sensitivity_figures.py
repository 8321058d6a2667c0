"""Figures of a sensitivity analysis (Morris screening, Sobol indices), and the drawing helpers the report shares.

The labels of the outcomes come from the indicator records of :mod:`simulation.core.indicators`.
Drawn with matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simulation.core.indicators import label

if TYPE_CHECKING:
    from simulation.experiment.sensitivity import SensitivityResult


def pyplot() -> Any:
    """Pyplot of matplotlib on the Agg backend (files only, no window)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path, title: str) -> Path:
    """Give ``fig`` its title, lay it out, write it to ``path`` (PNG, 110 dpi) and close it."""
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
    return path


def outcome_label(name: str) -> str:
    """An indicator's label with its unit, as it reads inside a sentence ("trust in the municipality (mean, 0 to 1)")."""
    try:
        text = label(name)
    except KeyError:
        return name
    return text if text[1:2].isupper() or text[1:2] == "-" else text[:1].lower() + text[1:]


def output_panels(outputs: Sequence[str], panel_height: float) -> tuple[Any, list[Any]]:
    """One panel per output, three to a row; unused panels hidden."""
    plt = pyplot()
    ncol = min(3, len(outputs))
    nrow = int(np.ceil(len(outputs) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, panel_height * nrow), squeeze=False)
    axes = list(axes.flat)
    for ax in axes[len(outputs):]:
        ax.set_visible(False)
    return fig, axes[: len(outputs)]


def figure_morris(result: SensitivityResult, path: Path, top: int = 12) -> Path:
    """Morris mu* (with its confidence interval) of the most influential factors, one panel per output."""
    outs = list(result.morris)
    fig, axes = output_panels(outs, 4.6)
    for ax, out in zip(axes, outs, strict=True):
        f = result.morris[out].head(top).iloc[::-1]
        ax.barh(f["factor"], f["mu_star"], xerr=f["mu_star_conf"], color="#2471a3", capsize=2, label="mu* (mean |effect|)")
        ax.plot(f["sigma"], f["factor"], "o", color="#c0392b", markersize=4, label="sigma (spread of effects)")
        ax.set_xlabel(f"Effect on {outcome_label(out)}\n(change over the factor's range)", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(alpha=0.3, axis="x")
    axes[0].legend(frameon=False, fontsize=7, loc="lower right")
    return save_figure(fig, path, f"Sensitivity (Morris screening): the {top} most influential parameters for each outcome\n"
                                  "(long bar: the outcome hinges on it; red dot far right: non-linear or interacting effect)")


def figure_sobol(result: SensitivityResult, path: Path) -> Path:
    """First-order and total Sobol indices of the top factors, one panel per output."""
    outs = list(result.sobol)
    fig, axes = output_panels(outs, 3.8)
    for ax, out in zip(axes, outs, strict=True):
        f = result.sobol[out]
        y = np.arange(len(f))
        ax.barh(y + 0.2, f["S1"].clip(lower=0), height=0.38, xerr=f["S1_conf"], color="#2471a3", label="first order S1", capsize=2)
        ax.barh(y - 0.2, f["ST"].clip(lower=0), height=0.38, xerr=f["ST_conf"], color="#85c1e9", label="total ST", capsize=2)
        ax.set_yticks(y, f["factor"], fontsize=8)
        ax.set_xlim(0, 1.05)
        ax.set_xlabel(f"Share of the variance of\n{outcome_label(out)}", fontsize=8)
        ax.grid(alpha=0.3, axis="x")
    axes[0].legend(frameon=False, fontsize=7, loc="lower right")
    return save_figure(fig, path, "Sensitivity (Sobol): how much of each outcome's variance the top factors explain\n"
                                  "(S1 alone; ST including interactions; the other parameters at their baseline)")

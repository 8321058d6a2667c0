"""Figures of a run and of a sweep, drawn with matplotlib's Agg backend (no display needed).

Labels are in plain words with units, for readers who have not seen the code; an indicator's
label comes from its record in :mod:`simulation.core.indicators` (the one declaration the
report and the page use too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.core.indicators import label  # noqa: E402
from simulation.core.parameters import FIELDS, describe  # noqa: E402
from simulation.experiment.files import write_atomic  # noqa: E402

#: Panels of the run figure: title, y-axis label, [(indicator, legend label)].
RUN_PANELS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("Volunteering", "share of citizens", [("volunteering_rate", "all citizens"), ("volunteering_rate_vulnerable", "vulnerable citizens")]),
    ("Volunteer hours", "hours per citizen per month", [("volunteer_hours", "volunteer hours")]),
    ("Motivation", "mean intrinsic motivation (0-1)", [("mean_motivation", "all citizens")]),
    ("Trust", "mean trust (0-1)", [("trust_municipality", "in the municipality"), ("generalised_trust", "generalised")]),
    ("Social capital", "tie weight per citizen", [("bonding_capital", "bonding (within group)"), ("bridging_capital", "bridging (across groups)")]),
    ("Mixing of groups", "E-I index (-1 within, +1 across)", [("ei_index", "E-I index of ties")]),
    ("Associations", "mean (0-1)", [("service_orientation", "service orientation (0 voice)"), ("association_autonomy", "autonomy")]),
    ("Municipal staff", "mean (0-1)", [("staff_control", "control exerted"), ("staff_threat", "threat felt")]),
    ("Output", "units per citizen per month", [("service_output", "measured service output"), ("civil_output", "civil output")]),
    ("Synergy", "welfare beyond the sum of parts (share)", [("synergy", "synergy")]),
    ("Voice and inclusion", "per citizen / index (0-1)", [("democratic_voice", "democratic voice"), ("participation_inequality", "participation inequality")]),
    ("Recruitment", "share of recruits", [("share_recruited_by_asking", "joined because asked")]),
]


def indicator_label(name: str) -> str:
    """Plain-language label of an indicator with its unit, from its record in :mod:`simulation.core.indicators`.

    A column that is not an indicator is named by its words (``run_id`` -> ``Run id``).
    """
    try:
        return label(name)
    except KeyError:
        return name.replace("_", " ").capitalize()


def parameter_label(name: str) -> str:
    """Plain-language axis label of a parameter: its name, its unit or range."""
    human = name.replace("_", " ").capitalize()
    if name not in FIELDS:
        return human
    d = describe(name)
    if d["unit"]:
        return f"{human} ({d['unit']})"
    lo, hi = d["range"]
    if d["choices"] or d["type"] == "bool" or lo is None:
        return human
    return f"{human} ({lo:g} to {hi:g})"


def plot_run(frame: pd.DataFrame, path: Path, title: str = "", policy: Sequence[Mapping[str, Any]] = ()) -> Path:
    """The main indicators of one run over time, one panel per theme; policy changes marked."""
    panels = [(t, y, [(c, lab) for c, lab in cols if c in frame.columns]) for t, y, cols in RUN_PANELS]
    panels = [p for p in panels if p[2]]
    ncols = 3
    nrows = max(1, -(-len(panels) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(13, 3.0 * nrows + 0.8), sharex=True, squeeze=False)
    x = frame["step"].to_numpy() if "step" in frame.columns else np.arange(len(frame))
    for ax, (ptitle, ylabel, cols) in zip(axes.flat, panels, strict=False):
        for col, lab in cols:
            ax.plot(x, frame[col].to_numpy(dtype=float), label=lab, linewidth=1.6)
        for change in policy:
            ax.axvline(change["step"], color="0.5", linestyle=":", linewidth=1)
        ax.set_title(ptitle, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
        if len(cols) > 1:
            ax.legend(fontsize=7, frameon=False)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Month", fontsize=9)
    subtitle = ""
    if policy:
        subtitle = "  (dotted lines: policy changes at months " + ", ".join(str(c["step"]) for c in policy) + ")"
    fig.suptitle((title or "Indicators over time") + subtitle, fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(fig, path)
    plt.close(fig)
    return path


def _save(fig: Any, path: Path) -> None:
    """Save a figure atomically: the old file stays whole until the new one is complete."""
    write_atomic(path, lambda fh: fig.savefig(fh, dpi=110, format="png"), mode="wb")


def _is_numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) for v in values)


def plot_sweep(table: pd.DataFrame, vary: Mapping[str, Sequence[Any]], indicators: Sequence[str], out_dir: Path,
               *, keep: str = "final", k: int | None = None, title: str = "") -> list[Path]:
    """One figure per indicator against the first varied parameter.

    Each line is one value of the second varied parameter (pooled over any further ones);
    the line is the mean over seeds and the band spans one standard deviation either side.

    Args:
        table: the sweep's results (one row per run, or per run and step for ``every_step``).
        vary: the varied parameters and their values, in design order.
        indicators: indicator columns to draw.
        out_dir: folder for the PNG files (``<indicator>.png``).
        keep: how the results were kept (``final``, ``mean_last_k``, ``every_step``).
        k: the K of ``mean_last_k``.
        title: first line of every figure's title.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(vary)
    if not names:
        return []
    data = table
    if keep == "every_step" and "step" in data.columns:
        data = data[data["step"] == data["step"].max()]
    what = {"final": "at the last month", "mean_last_k": f"mean over the last {k} months", "every_step": "at the last month"}.get(keep, keep)
    x_name = names[0]
    x_values = list(vary[x_name])
    numeric_x = _is_numeric(x_values)
    line_name = names[1] if len(names) > 1 else None
    line_values = list(vary[line_name]) if line_name else [None]
    pooled = names[2:]
    n_seeds = int(data["seed"].nunique()) if "seed" in data.columns else 1
    if len(line_values) <= 10 and not _is_numeric(line_values):
        colours = plt.get_cmap("tab10")(np.arange(len(line_values)) % 10)
    else:
        colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(line_values)))
    paths = []
    for ind in indicators:
        if ind not in data.columns:
            continue
        fig, ax = plt.subplots(figsize=(7.5, 4.8))
        for colour, lv in zip(colours, line_values, strict=True):
            sub = data if line_name is None else data[_matches(data[line_name], lv)]
            means, sds = [], []
            for xv in x_values:
                vals = sub.loc[_matches(sub[x_name], xv), ind].to_numpy(dtype=float)
                means.append(vals.mean() if len(vals) else np.nan)
                sds.append(vals.std(ddof=1) if len(vals) > 1 else 0.0)
            xs = np.asarray(x_values, dtype=float) if numeric_x else np.arange(len(x_values))
            means, sds = np.asarray(means), np.asarray(sds)
            label = None if line_name is None else f"{line_name.replace('_', ' ')} = {_fmt_value(lv)}"
            ax.plot(xs, means, marker="o", markersize=3.5, color=colour, label=label, linewidth=1.6)
            ax.fill_between(xs, means - sds, means + sds, color=colour, alpha=0.18, linewidth=0)
        if not numeric_x:
            ax.set_xticks(np.arange(len(x_values)), [_fmt_value(v) for v in x_values])
        ax.set_xlabel(parameter_label(x_name))
        ax.set_ylabel(indicator_label(ind))
        ax.grid(alpha=0.3)
        if line_name is not None:
            ax.legend(fontsize=8, frameon=False)
        note = f"{what}; line: mean over {n_seeds} seed{'s' if n_seeds != 1 else ''}, band: \u00b11 standard deviation"
        if pooled:
            note += f"; pooled over {', '.join(pooled)}"
        ax.set_title(f"{title}\n{note}" if title else note, fontsize=9)
        fig.tight_layout()
        path = out_dir / f"{ind}.png"
        _save(fig, path)
        plt.close(fig)
        paths.append(path)
    return paths


def _matches(column: pd.Series, value: Any) -> pd.Series:
    if isinstance(value, float):
        return np.isclose(column.astype(float), value, rtol=1e-12, atol=1e-15)
    if isinstance(value, bool):
        return column.astype(str).str.lower() == str(value).lower()
    return column == value


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)

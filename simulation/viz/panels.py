"""The time-series panels of the page: which indicator lines each shows, their colours and fixed axes.

No plotting library: the page's SVG panels (:mod:`simulation.viz.svg`) and the matplotlib figure
(:mod:`simulation.viz.drawing`) are both drawn from :data:`PLOTS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulation.core.indicators import INDICATOR_BY_NAME
from simulation.core.indicators import label as indicator_label
from simulation.viz.layout import COLOURS
from simulation.viz.text import t


def lever_history(model, name: str = "steering_intensity") -> np.ndarray:
    """The value of lever ``name`` in force in each recorded month (policy and live changes)."""
    months = model.steps + 1
    values = np.full(months, float(getattr(model.parameters, name)))
    p = model.parameters
    by_step: dict[int, dict] = {}
    for step, lever, value in model.lever_log:
        by_step.setdefault(int(step), {})[lever] = value
    for step in sorted(by_step):
        p = p.with_levers(**by_step[step])
        values[min(step, months - 1):] = float(getattr(p, name))
    return values


def lever_changes(model, name: str = "steering_intensity") -> list[tuple[int, float]]:
    """Months at which lever ``name`` changed, with its new value."""
    h = lever_history(model, name)
    idx = np.flatnonzero(np.diff(h)) + 1
    return [(int(i), float(h[i])) for i in idx]


@dataclass(frozen=True)
class Series:
    """One line of a plot: an indicator column (or a function of the model) and its style."""

    label: str | None  # key into text.STRINGS; None: the indicator's own label (see series_label)
    column: str | None = None  # DataCollector column; None: use ``values``
    colour: str = "#333333"
    lw: float = 1.6
    ls: str = "-"
    right: bool = False  # on the plot's right-hand axis
    scale: float = 1.0
    values: Callable | None = None  # f(model) -> array, when not a column
    drawstyle: str = "default"


@dataclass(frozen=True)
class PlotSpec:
    """One panel of the dashboard: its title, lines and axes."""

    title: str  # key into text.STRINGS
    series: tuple[Series, ...]
    # Fixed axes, the same for every run so that runs and screenshots compare; a run that goes
    # above the top widens the axis to a round number above it (see axis_limits). None: from the data.
    ylim: tuple[float, float] | None = None
    ylim_right: tuple[float, float] | None = None
    ylabel: str | None = None
    voice_service_ticks: bool = False
    label_lever_changes: bool = False


def _steering_values(model) -> np.ndarray:
    return lever_history(model, "steering_intensity")


#: Months by which the time axis grows (five years).
X_CHUNK = 60

#: The plots of the page, in page order.
PLOTS: dict[str, PlotSpec] = {
    "volunteering": PlotSpec(
        "p_volunteering",
        (Series(None, "volunteering_rate", COLOURS["volunteer"], 2.4, scale=100.0),
         Series(None, "volunteering_rate_vulnerable", "#6a3d9a", 1.4, "-.", scale=100.0),
         Series(None, "volunteer_hours", "#555555", 1.3, "--", right=True)),
        ylim=(0, 100), ylim_right=(0, 8), ylabel="rate_axis", label_lever_changes=True,
    ),
    "trust": PlotSpec(
        "p_trust",
        (Series(None, "trust_municipality", COLOURS["association"], 2.2),
         Series(None, "generalised_trust", "#555555", 1.3, "--")),
        ylim=(0, 1),
    ),
    "capital": PlotSpec(
        "p_capital",
        (Series(None, "bonding_capital", "#666666", 2.0),
         Series(None, "bridging_capital", COLOURS["bridging"], 2.2),
         Series(None, "ei_index", "#111111", 1.6, ":", right=True)),
        ylabel="tie_weight", ylim=(0, 8), ylim_right=(-1, 1),
    ),
    "synergy": PlotSpec(
        "p_synergy",
        (Series(None, "service_output", COLOURS["association"], 1.6),
         Series(None, "civil_output", COLOURS["volunteer"], 1.6),
         Series(None, "synergy", "#CC79A7", 2.4, right=True)),
        ylabel="per_citizen", ylim=(0, 2.5), ylim_right=(0, 1),
    ),
    "orientation": PlotSpec(
        "p_orientation",
        (Series(None, "service_orientation", COLOURS["association"], 2.2),
         Series(None, "association_autonomy", "#56B4E9", 1.3, "--"),
         Series(None, "democratic_voice", "#009E73", 1.6, ":")),
        ylim=(0, 1), voice_service_ticks=True,
    ),
    "steering": PlotSpec(
        "p_steering",
        (Series("steering", None, COLOURS["staff"], 2.2, values=_steering_values, drawstyle="steps-post"),
         # the steering the municipality actually applies, when the model records it (it can adapt the lever)
         *((Series(None, "steering_in_force", "#CC79A7", 1.6),) if "steering_in_force" in INDICATOR_BY_NAME else ()),
         Series(None, "staff_control", "#7f2704", 1.3, "--"),
         Series(None, "staff_threat", "#999999", 1.3, ":")),
        ylim=(0, 1),
    ),
}


def axis_limits(fixed: tuple[float, float] | None, data_max: float) -> tuple[float, float]:
    """The limits of one axis: the panel's fixed ones, widened to a round number when the data go above them."""
    if fixed is None:
        return 0.0, nice_top(data_max)
    lo, hi = fixed
    if np.isfinite(data_max) and data_max > hi:
        return lo, nice_top(data_max)
    return lo, hi


def indicator_panel(name: str) -> PlotSpec:
    """A one-line panel for any recorded indicator (the page's "more indicators" picker).

    Its axis is 0 to 1 when the indicator's unit says it is a share or lies between 0 and 1, -1 to 1
    for an index from -1, and otherwise grows with the data.
    """
    unit = indicator_label(name, "en").lower()
    if "-1" in unit:
        ylim = (-1.0, 1.0)
    elif "0 to 1" in unit or "share" in unit or "(0 " in unit:
        ylim = (0.0, 1.0)
    else:
        ylim = None
    return PlotSpec(f"indicator:{name}", (Series(None, name, "#0072B2", 2.2),), ylim=ylim)


def panel_title(spec: PlotSpec, lang: str = "en") -> str:
    """A panel's title in ``lang``: the page's text, or the indicator's label for a one-indicator panel."""
    if spec.title.startswith("indicator:"):
        return indicator_label(spec.title.split(":", 1)[1], lang)
    return t(lang, spec.title)


def series_label(series: Series, lang: str = "en") -> str:
    """A line's legend entry, in ``lang``.

    An indicator's line is named by its declared label (:mod:`simulation.core.indicators`: one
    source for the plots, the report and the page), marked when it is in percent or on the
    right-hand axis; any other line by the page's own text.
    """
    if series.label is not None:
        return t(lang, series.label)
    text = indicator_label(series.column, lang, unit=False)
    if series.scale == 100.0:
        text += " (%)"
    if series.right:
        text += f" {t(lang, 'right_axis')}"
    return text


def series_values(model, series: Series, frame=None) -> np.ndarray:
    """The values of one plotted line over the months recorded so far."""
    if series.values is not None:
        return np.asarray(series.values(model), dtype=float)
    if frame is None:
        frame = model.datacollector.get_model_vars_dataframe()
    return frame[series.column].to_numpy(dtype=float) * series.scale


def nice_top(value: float) -> float:
    """An upper axis limit a little above ``value`` that does not jump at every step."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    top = value * 1.15
    magnitude = 10 ** math.floor(math.log10(top))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if top <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


"""The page's pictures as SVG text, built from the model's arrays; the browser draws them.

Why not matplotlib on the page: a matplotlib picture costs about a hundred milliseconds of server
CPU per step, which one process cannot afford for a class of 30 playing at once. These
functions only format numbers into short SVG strings (a few milliseconds per step for the
network of a few hundred citizens and the six panels), and the browser does the drawing.

Each picture comes in two layers laid over each other with the same ``viewBox``:

* a *static* layer (group discs, axes, ticks, titles, earlier runs as faint lines), rebuilt only
  when the run, the language or the kept runs change, so the page does not resend it at each step;
* a *moving* layer (people and ties; the current run's lines), rebuilt at each step.

Coordinates are whole numbers in the ``viewBox``'s units, which keeps the strings short. The
matplotlib pictures of :mod:`simulation.viz.drawing` (for downloads and notebooks) use the same
layout (:mod:`simulation.viz.layout`) and panels (:mod:`simulation.viz.panels`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simulation.viz.layout import COLOURS, layout_for
from simulation.viz.panels import PlotSpec, axis_limits, lever_history, panel_title
from simulation.viz.text import decimal, t

#: Network coordinates are multiplied by this before rounding (the layout spans about -1.5 .. 1.5).
NETWORK_SCALE = 200

#: Size of one plot panel in viewBox units; the page scales it to its column.
PANEL_W, PANEL_H = 330, 210
#: Margins of a panel: left (ticks), right (right-hand ticks), top (title), bottom (month ticks).
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 40, 34, 26, 30
#: How many earlier runs of a session stay on the plots as faint lines.
KEPT_RUNS = 5
#: Opacity of earlier runs' lines.
FAINT = 0.28


def _repeat(template: str, rows: np.ndarray) -> str:
    """``template`` filled with each row of whole numbers, all joined (one C-level format call: fast)."""
    if not len(rows):
        return ""
    return (template * len(rows)) % tuple(rows.ravel().tolist())


def _svg(view_box: str, body: str, css_class: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view_box}" class="{css_class}" '
            f'preserveAspectRatio="xMidYMid meet" font-family="sans-serif">{body}</svg>')


# --- network ------------------------------------------------------------------------------
class NetworkSVG:
    """The network of one model at its fixed layout, as two SVG layers.

    Args:
        model: the model whose network is shown; its layout is computed once (:func:`layout_for`).
    """

    def __init__(self, model) -> None:
        L = layout_for(model)
        self.layout = L
        flip = np.array([1.0, -1.0]) * NETWORK_SCALE  # SVG's y axis points down
        self.citizens = np.rint(L.citizens * flip).astype(int)
        self.associations = np.rint(L.associations * flip).astype(int)
        self.staff = np.rint(L.staff * flip).astype(int)
        self.centres = L.group_centres * flip
        lim = (1.0 + L.group_radius + 0.22 if len(L.group_centres) > 1 else 1.8) * NETWORK_SCALE
        wide = lim + 105  # room for the group names left and right
        self.view_box = f"{-wide:.0f} {-lim:.0f} {2 * wide:.0f} {2 * lim:.0f}"
        W = model.world
        working = np.column_stack([self.associations, self.staff[W.associations.staff]])
        self._working = _repeat("M%d %dL%d %d", working)

    def static(self, lang: str) -> str:
        """Group discs and their names (drawn once per run and language)."""
        L, r = self.layout, self.layout.group_radius * 1.07 * NETWORK_SCALE
        parts = []
        for cx, cy in self.centres:
            parts.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{r:.0f}" fill="{COLOURS["group"]}" stroke="#d9d9d9" stroke-width="2"/>')
        for g, (cx, cy) in enumerate(self.centres):
            norm = float(np.hypot(cx, cy))
            off = L.group_radius * NETWORK_SCALE + 24
            x, y = (cx / norm * (norm + off), cy / norm * (norm + off)) if norm > 0 else (cx, cy - off)
            # names beside a disc on the left or right are written away from it
            anchor = "middle" if abs(x) <= abs(y) else ("end" if x < 0 else "start")
            x += {"middle": 0, "end": 14, "start": -14}[anchor]
            parts.append(f'<text x="{x:.0f}" y="{y:.0f}" font-size="26" fill="#606060" text-anchor="{anchor}" '
                         f'dominant-baseline="middle">{html.escape(t(lang, "group", g=g + 1))}</text>')
        return _svg(self.view_box, "".join(parts), "samskabelse-network-static")

    def moving(self, model) -> str:
        """Ties, people, associations and staff as they are now (one layer)."""
        return self.ties(model).replace("</svg>", "") + self.people(model).split(">", 1)[1]

    def ties(self, model) -> str:
        """The social ties between citizens, their opacity by weight (the biggest part of the picture)."""
        W = model.world
        c, T = W.citizens, W.ties
        P = self.citizens
        parts = []
        cross = c.group[T.u] != c.group[T.v]
        weight = np.clip(T.w, 0.0, 1.0)
        # ties in four bands of weight, one path each: a tie's opacity shows its strength
        band = np.minimum(3, (weight * 4).astype(int))
        for kind, mask, base in (("bonding", ~cross, 0.4), ("bridging", cross, 0.4)):
            for b in range(4):
                sel = np.flatnonzero(mask & (band == b))
                if not len(sel):
                    continue
                d = _repeat("M%d %dL%d %d", np.column_stack([P[T.u[sel]], P[T.v[sel]]]))
                opacity = base * (0.3 + 0.7 * (b + 0.5) / 4)
                parts.append(f'<path d="{d}" stroke="{COLOURS[kind]}" stroke-opacity="{opacity:.2f}" stroke-width="1.3" fill="none"/>')
        return _svg(self.view_box, "".join(parts), "samskabelse-network-ties")

    def people(self, model) -> str:
        """Citizens, volunteers and their associations, staff and their working ties, as they are now."""
        W = model.world
        c, a = W.citizens, W.associations
        P = self.citizens
        parts = []
        vol = c.volunteer
        members = np.flatnonzero(vol & (c.association >= 0))
        if len(members):
            d = _repeat("M%d %dL%d %d", np.column_stack([P[members], self.associations[c.association[members]]]))
            parts.append(f'<path d="{d}" stroke="{COLOURS["membership"]}" stroke-opacity="0.5" stroke-width="1.6" fill="none"/>')
        parts.append(f'<path d="{self._working}" stroke="{COLOURS["working"]}" stroke-width="3" stroke-dasharray="9 6" '
                     'stroke-opacity="0.9" fill="none"/>')
        # citizens: a zero-length line with round caps is a dot (the shortest SVG for many dots)
        d = _repeat("M%d %dh0", P[~vol])
        parts.append(f'<path d="{d}" stroke="{COLOURS["citizen"]}" stroke-width="9" stroke-linecap="round" fill="none"/>')
        d = _repeat("M%d %dl8 14h-16z", P[vol] - np.array([0, 9]))
        parts.append(f'<path d="{d}" fill="{COLOURS["volunteer"]}" stroke="#6b4a00" stroke-width="1"/>')
        sizes = 7 + 11 * np.sqrt(a.members / max(1, int(a.members.max(initial=1))))
        rects = "".join(f'<rect x="{x - s:.0f}" y="{y - s:.0f}" width="{2 * s:.0f}" height="{2 * s:.0f}"/>'
                        for (x, y), s in zip(self.associations.tolist(), sizes.tolist(), strict=True))
        parts.append(f'<g fill="{COLOURS["association"]}" stroke="white" stroke-width="2">{rects}</g>')
        d = "".join(f"M{x} {y - 13}l13 13l-13 13l-13 -13z" for x, y in self.staff.tolist())
        parts.append(f'<path d="{d}" fill="{COLOURS["staff"]}" stroke="white" stroke-width="2"/>')
        return _svg(self.view_box, "".join(parts), "samskabelse-network-moving")


# --- time series ----------------------------------------------------------------------------
@dataclass
class RunRecord:
    """The recorded months of one run: every column the panels can show, and what the run was.

    ``columns`` maps a column name (an indicator, or ``steering_intensity`` for the lever in
    force) to its values, one per recorded month.
    """

    number: int
    settings: Mapping[str, str] | str  # one line per language: scenario, mode, seed, population, lever changes
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def months(self) -> int:
        """Recorded months (month 0 included)."""
        return max((len(v) for v in self.columns.values()), default=0)


def record_run(model, number: int, settings: Mapping[str, str] | str = "") -> RunRecord:
    """The run of ``model`` so far as a :class:`RunRecord` (values copied: the model goes on)."""
    lock = getattr(model, "lock", None)
    if lock is not None:
        lock.acquire()
    try:
        data = {k: np.asarray(v, dtype=float) for k, v in model.datacollector.model_vars.items()}
        data["steering_intensity"] = lever_history(model, "steering_intensity")
    finally:
        if lock is not None:
            lock.release()
    return RunRecord(number, settings, data)


def series_array(columns: Mapping[str, Sequence[float]], series) -> np.ndarray:
    """One plotted line's values from a run's columns (scaled as the panel shows them)."""
    key = series.column or "steering_intensity"
    values = columns.get(key)
    if values is None:
        return np.zeros(0)
    return np.asarray(values, dtype=float) * series.scale


@dataclass(frozen=True)
class PanelFrame:
    """The axes of one panel: limits of both y axes and of the months."""

    months: int
    left: tuple[float, float]
    right: tuple[float, float] | None

    def x(self, n: int) -> np.ndarray:
        """Horizontal positions of months 0 .. n-1."""
        return MARGIN_L + np.arange(n) * (PANEL_W - MARGIN_L - MARGIN_R) / max(1, self.months)

    def y(self, values: np.ndarray, right: bool = False) -> np.ndarray:
        """Vertical positions of ``values`` on the left (or right) axis; far-off values are clipped."""
        lo, hi = self.right if right and self.right else self.left
        plot_h = PANEL_H - MARGIN_T - MARGIN_B
        return MARGIN_T + plot_h * (1 - (np.clip(values, lo - (hi - lo), hi + (hi - lo)) - lo) / (hi - lo or 1.0))


def panel_frame(spec: PlotSpec, runs: Sequence[Mapping[str, Sequence[float]]], months: int) -> PanelFrame:
    """The axes of ``spec`` for the given runs: fixed limits, widened only if a run goes above them."""
    top = {False: -np.inf, True: -np.inf}
    for columns in runs:
        for s in spec.series:
            v = series_array(columns, s)
            if len(v) and np.isfinite(v).any():
                top[s.right] = max(top[s.right], float(np.nanmax(v)))
    left = axis_limits(spec.ylim, top[False] if np.isfinite(top[False]) else 0.0)
    has_right = any(s.right for s in spec.series)
    right = axis_limits(spec.ylim_right, top[True] if np.isfinite(top[True]) else 0.0) if has_right else None
    return PanelFrame(months, left, right)


def _ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if span / step <= 5:
            break
    first = np.ceil(lo / step - 1e-9) * step
    return [round(v, 10) for v in np.arange(first, hi + step * 1e-6, step)]


def _tick_text(lang: str, value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):.0f}".replace("-", "−")
    digits = 2 if abs(value * 10 - round(value * 10)) > 1e-9 else 1
    return decimal(lang, value, digits).replace("-", "−")


def _polyline(x: np.ndarray, y: np.ndarray, series, opacity: float = 1.0, width_scale: float = 1.0) -> str:
    if series.drawstyle == "steps-post" and len(x) > 1:
        xs = np.repeat(x, 2)[1:]
        ys = np.repeat(y, 2)[:-1]
        x, y = xs, ys
    points = (("%.0f,%.1f " * len(x)) % tuple(np.column_stack([x, y]).ravel().tolist())).rstrip()
    dash = {"--": ' stroke-dasharray="7 4"', ":": ' stroke-dasharray="2 3"', "-.": ' stroke-dasharray="8 3 2 3"'}.get(series.ls, "")
    return (f'<polyline points="{points}" fill="none" stroke="{series.colour}" stroke-width="{series.lw * width_scale:.1f}"'
            f'{dash} stroke-opacity="{opacity}" stroke-linejoin="round"/>')


def panel_static(spec: PlotSpec, frame: PanelFrame, lang: str, earlier: Sequence[Mapping[str, Sequence[float]]] = ()) -> str:
    """Title, grid, ticks and the earlier runs' faint lines of one panel."""
    parts = []
    x0, x1, y0, y1 = MARGIN_L, PANEL_W - MARGIN_R, MARGIN_T, PANEL_H - MARGIN_B
    parts.append(f'<text x="2" y="18" font-size="17" font-weight="bold" fill="#1f2a37">{html.escape(panel_title(spec, lang))}</text>')
    lo, hi = frame.left
    for v in _ticks(lo, hi):
        y = float(frame.y(np.array([v]))[0])
        parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        text = _tick_text(lang, v)
        parts.append(f'<text x="{x0 - 4}" y="{y + 5:.1f}" font-size="14" text-anchor="end" fill="#333">{html.escape(text)}</text>')
    if spec.voice_service_ticks:  # what the ends of the axis mean, inside the plot
        for v, key, dy in ((1.0, "service", 15), (0.0, "voice", -5)):
            y = float(frame.y(np.array([v]))[0]) + dy
            parts.append(f'<text x="{x0 + 5}" y="{y:.1f}" font-size="14" font-style="italic" fill="#5f6b7a">{html.escape(t(lang, key))}</text>')
    if frame.right:
        colour = next(s.colour for s in spec.series if s.right)
        for v in _ticks(*frame.right):
            y = float(frame.y(np.array([v]), right=True)[0])
            parts.append(f'<text x="{x1 + 4}" y="{y + 5:.1f}" font-size="14" fill="{colour}">{_tick_text(lang, v)}</text>')
        parts.append(f'<line x1="{x1}" x2="{x1}" y1="{y0}" y2="{y1}" stroke="{colour}"/>')
    for month in range(0, frame.months + 1, 60 if frame.months > 120 else 12):
        x = float(frame.x(month + 1)[-1])
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" stroke="#ececec"/>')
        parts.append(f'<text x="{x:.1f}" y="{y1 + 17}" font-size="14" text-anchor="middle" fill="#333">{month}</text>')
    parts.append(f'<text x="{x1}" y="{PANEL_H - 1}" font-size="13" text-anchor="end" fill="#5f6b7a">{html.escape(t(lang, "month"))}</text>')
    parts.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" stroke="#9aa4b1"/>')
    for columns in earlier:
        for s in spec.series:
            v = series_array(columns, s)
            if len(v):
                parts.append(_polyline(frame.x(len(v)), frame.y(v, s.right), s, FAINT, 0.8))
    return _svg(f"0 0 {PANEL_W} {PANEL_H}", "".join(parts), "samskabelse-panel-static")


#: The current run's lines are sent in two layers: whole years (resent once a year) and the
#: months since (resent each month), so a month costs a few hundred bytes per line, not the run.
YEAR = 12


def history_cut(months: int) -> int:
    """The last month of the run's completed years drawn in the yearly layer (0 when there is none)."""
    return YEAR * ((months - 1) // YEAR) if months > 1 else 0


def history_lines(spec: PlotSpec, columns: Mapping[str, Sequence[float]]) -> tuple[np.ndarray, ...]:
    """Each line's values over the run's completed years (months 0 .. :func:`history_cut`; empty before a year)."""
    lines = []
    for s in spec.series:
        v = series_array(columns, s)
        cut = history_cut(len(v))
        lines.append(v[:cut + 1] if cut else v[:0])
    return tuple(lines)


def panel_history(spec: PlotSpec, frame: PanelFrame, columns: Mapping[str, Sequence[float]],
                  lines: Sequence[np.ndarray] | None = None) -> str:
    """The current run's lines over its completed years (months 0 .. :func:`history_cut`).

    ``lines``: :func:`history_lines` of ``columns``, if already at hand.
    """
    if lines is None:
        lines = history_lines(spec, columns)
    parts = [_polyline(frame.x(len(v)), frame.y(v, s.right), s) for s, v in zip(spec.series, lines, strict=True) if len(v)]
    return _svg(f"0 0 {PANEL_W} {PANEL_H}", "".join(parts), "samskabelse-panel-history")


class YearsLayer:
    """:func:`panel_history` of one panel, drawn again only when what it draws has changed.

    The layer is a function of the panel, its axes and each line's values over the completed
    years, which stay the same for 11 months in 12: a playing page would otherwise build the same
    SVG text every month for every panel (a sixth of the server's time with a class playing).
    One per panel and session; the last layer drawn is kept.
    """

    def __init__(self) -> None:
        self._last: tuple | None = None

    def __call__(self, spec: PlotSpec, frame: PanelFrame, columns: Mapping[str, Sequence[float]]) -> str:
        """:func:`panel_history` of ``columns``: the last one drawn if its lines and axes are the same."""
        lines = history_lines(spec, columns)
        last = self._last  # one read: another thread may replace it meanwhile
        if (last is not None and last[0] is spec and last[1] == frame and len(last[2]) == len(lines)
                and all(np.array_equal(a, b, equal_nan=True) for a, b in zip(last[2], lines, strict=True))):
            return last[3]
        drawn = panel_history(spec, frame, columns, lines)
        self._last = (spec, frame, lines, drawn)
        return drawn


def panel_moving(spec: PlotSpec, frame: PanelFrame, columns: Mapping[str, Sequence[float]], lang: str,
                 lever_changes: Sequence[tuple[int, float]] = (), since_history: bool = False) -> str:
    """The current run's lines of one panel, a dot at each line's latest value, and the lever changes.

    With ``since_history`` only the months after :func:`history_cut` (drawn over
    :func:`panel_history`); otherwise the whole run.
    """
    parts = []
    for i, (step, value) in enumerate(lever_changes):
        x = float(frame.x(step + 1)[-1])
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{MARGIN_T}" y2="{PANEL_H - MARGIN_B}" stroke="{COLOURS["staff"]}" '
                     'stroke-dasharray="2 3"/>')
        if spec.label_lever_changes:
            label = html.escape(t(lang, "lever_change", value=decimal(lang, value)))
            parts.append(f'<text x="{x + 3:.1f}" y="{MARGIN_T + 14 + 14 * (i % 2)}" font-size="13" fill="{COLOURS["staff"]}">{label}</text>')
    for s in spec.series:
        v = series_array(columns, s)
        if not len(v):
            continue
        x, y = frame.x(len(v)), frame.y(v, s.right)
        start = history_cut(len(v)) if since_history else 0
        parts.append(_polyline(x[start:], y[start:], s))
        parts.append(f'<circle cx="{x[-1]:.0f}" cy="{y[-1]:.1f}" r="3.5" fill="{s.colour}"/>')
    return _svg(f"0 0 {PANEL_W} {PANEL_H}", "".join(parts), "samskabelse-panel-moving")

"""The page's pictures, drawn with matplotlib from the model's state arrays.

Pure matplotlib (the object-oriented API, no pyplot state), so the same code serves the
browser page, the benchmark and a notebook::

    network_figure(model).savefig("network.png")      # the network view
    dashboard_figure(model).savefig("plots.png")      # the six time-series panels

    view = NetworkView(model)                         # what the page does at every step:
    png = view.png(model)                             # only the moving parts are redrawn

The network layout is computed once per model (seeded, by social group: a cheap sunflower
pattern in one circle per group, no force-directed layout) and reused at every step, so
what changes between pictures is the people and ties, never their places.

Speed: building axes, ticks and text is most of matplotlib's cost. The views draw their
static parts (axes, legends, group circles) once onto a cached background and at each step
redraw only the artists that move (blitting), then encode the PNG themselves.
"""

from __future__ import annotations

import contextlib
import io
import math
import threading

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle
from PIL import Image

from simulation.viz.layout import COLOURS, MARKERS, NetworkLayout, compute_layout, layout_for
from simulation.viz.panels import (
    PLOTS,
    X_CHUNK,
    PlotSpec,
    Series,
    axis_limits,
    lever_changes,
    lever_history,
    panel_title,
    series_label,
    series_values,
)
from simulation.viz.text import LEGEND, t

#: Resolution of every picture; the page scales images to their column.
DPI = 100
NETWORK_SIZE = (6.4, 7.0)
PLOT_SIZE = (4.0, 3.5)


class BlitFigure:
    """A figure drawn in two layers: a cached static background and the moving artists.

    Args:
        figure: the figure; its moving artists must have ``animated=True`` so a full draw
            leaves them out of the background.
        moving: the moving artists, drawn in this order over the background.
    """

    def __init__(self, figure: Figure, moving: list) -> None:
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.moving = moving
        self._background = None
        self._key = None
        self._lock = threading.Lock()

    def png(self, static_key=None) -> bytes:
        """The picture as PNG bytes; the background is redrawn only when ``static_key`` changes."""
        with self._lock:
            if self._background is None or static_key != self._key:
                self.canvas.draw()  # draws everything but the animated (moving) artists
                self._background = self.canvas.copy_from_bbox(self.figure.bbox)
                self._key = static_key
            else:
                self.canvas.restore_region(self._background)
            for artist in self.moving:
                if artist.get_visible():
                    (artist.axes or self.figure).draw_artist(artist)
            width, height = self.canvas.get_width_height()
            image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            out = io.BytesIO()
            image.convert("RGB").save(out, format="png", compress_level=1)
            return out.getvalue()


def _state_lock(model):
    """The model's lock if it has one (the browser model does), else a no-op."""
    return getattr(model, "lock", None) or contextlib.nullcontext()


def _segments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([a, b], axis=1).reshape(-1, 2, 2)


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))


def legend_handles(lang: str = "en") -> list[Line2D]:
    """Legend entries for every node kind and tie kind, in ``lang``."""
    handles = []
    for style, key, en, da in LEGEND:
        text = da if lang == "da" else en
        if style in MARKERS.values():
            handles.append(Line2D([], [], ls="", marker=style, color=COLOURS[key], markersize=8 if key != "citizen" else 6,
                                  markeredgecolor="white" if key in ("association", "staff") else COLOURS[key], label=text))
        else:
            lw = {"bonding": 1.4, "bridging": 1.8, "membership": 1.0, "working": 1.5}[key]
            handles.append(Line2D([], [], ls=style, color=COLOURS[key], lw=lw, label=text))
    return handles


class NetworkView:
    """The network of one model at its fixed layout: static parts drawn once, people and ties per step.

    Args:
        model: the model whose network is shown (its layout is computed once, see :func:`layout_for`).
        lang: language of title, group labels and legend.
        legend: draw the legend of colours and shapes below the network.
    """

    def __init__(self, model, lang: str = "en", legend: bool = True) -> None:
        self.lang = lang
        self.layout = L = layout_for(model)
        W = model.world
        fig = Figure(figsize=NETWORK_SIZE, dpi=DPI)
        fig.subplots_adjust(left=0.0, right=1.0, top=0.94, bottom=0.17 if legend else 0.0)
        ax = fig.add_subplot()
        self.figure, self.ax = fig, ax
        for g, centre in enumerate(L.group_centres):
            ax.add_patch(Circle(centre, L.group_radius * 1.07, facecolor=COLOURS["group"], edgecolor="#d9d9d9", lw=0.8, zorder=0))
            norm = float(np.linalg.norm(centre))
            out = centre / norm * (norm + L.group_radius + 0.1) if norm > 0 else centre + np.array([0.0, L.group_radius + 0.1])
            ax.text(*out, t(lang, "group", g=g + 1), ha="center", va="center", fontsize=11, color="#707070", zorder=1,
                    rotation=0 if abs(out[0]) < 0.5 else (90 if out[0] < 0 else -90))
        # Working ties and staff do not move during a run, but they are drawn over the moving
        # ties (blitting draws the moving artists last), so they are in the moving list too.
        working = LineCollection(_segments(L.associations, L.staff[W.associations.staff]), colors=COLOURS["working"],
                                 linewidths=1.4, linestyles="--", alpha=0.9, zorder=4, animated=True)
        ax.add_collection(working)
        staff = ax.scatter(*L.staff.T, s=120, marker=MARKERS["staff"], c=COLOURS["staff"], edgecolors="white", linewidths=1.0,
                           zorder=8, animated=True)
        self.bonding = LineCollection([], linewidths=0.6, zorder=2, animated=True)
        self.bridging = LineCollection([], linewidths=0.6, zorder=3, animated=True)
        self.membership = LineCollection([], colors=COLOURS["membership"], linewidths=0.7, alpha=0.55, zorder=3, animated=True)
        for coll in (self.bonding, self.bridging, self.membership):
            ax.add_collection(coll)
        empty = np.zeros((0, 2))
        self.citizens = ax.scatter(*empty.T, s=14, marker=MARKERS["citizen"], c=COLOURS["citizen"], linewidths=0,
                                   zorder=5, animated=True)
        self.volunteers = ax.scatter(*empty.T, s=36, marker=MARKERS["volunteer"], c=COLOURS["volunteer"],
                                     edgecolors="#6b4a00", linewidths=0.5, zorder=6, animated=True)
        self.associations = ax.scatter(*L.associations.T, s=80, marker=MARKERS["association"], c=COLOURS["association"],
                                       edgecolors="white", linewidths=1.0, zorder=7, animated=True)
        self.title = ax.set_title("", fontsize=14, animated=True)
        ax.set_aspect("equal")
        lim = 1.0 + L.group_radius + 0.2 if len(L.group_centres) > 1 else 1.75
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.axis("off")
        if legend:
            ax.legend(handles=legend_handles(lang), loc="upper center", bbox_to_anchor=(0.5, -0.005), ncol=2,
                      fontsize=9.5, frameon=False, handlelength=1.8, columnspacing=1.0, handletextpad=0.5)
        # in drawing order: ties under people, people under associations, title on top
        self.blit = BlitFigure(fig, [self.bonding, self.bridging, self.membership, working, self.citizens, self.volunteers,
                                     self.associations, staff, self.title])

    def update(self, model) -> Figure:
        """Move the people and ties to ``model``'s current state; returns the figure."""
        W = model.world
        c, a, T, L = W.citizens, W.associations, W.ties, self.layout
        vol = c.volunteer
        cross = c.group[T.u] != c.group[T.v]
        # a tie's opacity follows its weight, so strengthening and fading ties are visible
        for coll, kind, mask, base_alpha in ((self.bonding, "bonding", ~cross, 0.55), (self.bridging, "bridging", cross, 0.45)):
            coll.set_segments(_segments(L.citizens[T.u[mask]], L.citizens[T.v[mask]]))
            rgba = np.empty((int(mask.sum()), 4))
            rgba[:, :3] = _rgb(COLOURS[kind])
            rgba[:, 3] = base_alpha * (0.3 + 0.7 * np.clip(T.w[mask], 0.0, 1.0))
            coll.set_color(rgba)
        members = np.flatnonzero(vol & (c.association >= 0))
        self.membership.set_segments(_segments(L.citizens[members], L.associations[c.association[members]]))
        self.citizens.set_offsets(L.citizens[~vol])
        self.volunteers.set_offsets(L.citizens[vol])
        self.associations.set_sizes(70 + 330 * np.sqrt(a.members / max(1, int(a.members.max(initial=1)))))
        self.title.set_text(t(self.lang, "network_title", step=model.steps, vol=int(vol.sum()), n=c.n))
        return self.figure

    def png(self, model) -> bytes:
        """The network of ``model`` now, as PNG bytes."""
        with _state_lock(model):
            self.update(model)
        return self.blit.png()


def network_figure(model, lang: str = "en") -> Figure:
    """A new figure with the network view of ``model`` (for notebooks and reports)."""
    return NetworkView(model, lang).update(model)



class Dashboard:
    """The six time-series panels in one figure, built once and updated in place.

    Building axes and ticks is most of matplotlib's cost; keeping them and only replacing
    the lines' data makes a redraw several times faster than drawing anew each step.

    Args:
        lang: language of titles and labels ("en" or "da").
        keys: which plots, in order (default: all of :data:`PLOTS`).
        ncols: panels per row.
    """

    def __init__(self, lang: str = "en", keys: tuple[str, ...] | None = None, ncols: int = 3) -> None:
        self.lang = lang
        self.keys = tuple(keys or PLOTS)
        nrows = math.ceil(len(self.keys) / ncols)
        width, height = PLOT_SIZE[0] * ncols, PLOT_SIZE[1] * nrows
        self.figure = Figure(figsize=(width, height), dpi=DPI)
        # Fixed margins in inches: room for the left axis label and ticks, the right-hand
        # ticks of twin axes, the title above and the x label and legend below each panel.
        # (Matplotlib's constrained layout ignores the right-hand ticks of twin axes.)
        left, right, gap, above, below = 0.7, 0.55, 1.2, 0.34, 1.1
        ax_w = (width - left - right - (ncols - 1) * gap) / ncols
        ax_h = (height - nrows * (above + below)) / nrows
        self.figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=below / height, top=1 - above / height,
                                    wspace=gap / ax_w, hspace=(above + below) / ax_h)
        axes = self.figure.subplots(nrows, ncols, squeeze=False).ravel()
        for ax in axes[len(self.keys):]:
            ax.set_visible(False)
        self.panels = [self._build_panel(ax, PLOTS[key]) for ax, key in zip(axes, self.keys, strict=False)]
        self.blit = BlitFigure(self.figure, [line for p in self.panels for _, line, _ in p["lines"]])
        self._lever_marks: list = []
        self._marked: list[tuple[int, float]] | None = None

    def _build_panel(self, ax, spec: PlotSpec) -> dict:
        lang = self.lang
        right = ax.twinx() if any(s.right for s in spec.series) else None
        lines = []
        for s in spec.series:
            target = right if s.right else ax
            # a dot marks the latest value, so even month 0 shows something
            (line,) = target.plot([], [], color=s.colour, lw=s.lw, ls=s.ls, drawstyle=s.drawstyle, label=series_label(s, lang),
                                  marker="o", markersize=3.5, markevery=[-1], animated=True)
            lines.append((s, line, target))
        ax.set_title(panel_title(spec, lang), fontsize=12, loc="left", fontweight="bold")
        ax.set_xlabel(t(lang, "month"), fontsize=10, labelpad=1)
        ax.tick_params(labelsize=9)
        ax.grid(True, alpha=0.25)
        if spec.ylim:
            ax.set_ylim(*spec.ylim)
        if spec.ylabel:
            ax.set_ylabel(t(lang, spec.ylabel), fontsize=9)
        if spec.voice_service_ticks:
            ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], [t(lang, "voice"), "0.25", "0.5", "0.75", t(lang, "service")])
        if right is not None:
            right.tick_params(labelsize=9)
            if spec.ylim_right:
                right.set_ylim(*spec.ylim_right)
            # the right axis takes the colour of its line (its legend entry says "right axis");
            # a rotated label there would collide with the next panel
            colour = next(s.colour for s in spec.series if s.right)
            right.tick_params(axis="y", colors=colour)
            right.spines["right"].set_color(colour)
        handles = [line for _, line, _ in lines]
        # legends below the panel, so they never hide the lines
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(-0.02, -0.17), ncol=1,
                  fontsize=9.5, frameon=False, handlelength=2.0, borderaxespad=0.0)
        return {"spec": spec, "ax": ax, "right": right, "lines": lines}

    def update(self, model) -> Figure:
        """Put ``model``'s run so far into the panels; returns the figure."""
        frame = model.datacollector.get_model_vars_dataframe()
        x = np.arange(len(frame))
        # the time axis grows in steps of five years, so it is redrawn only now and then
        xmax = X_CHUNK * max(1, math.ceil((len(frame) - 1) / X_CHUNK))
        for panel in self.panels:
            spec, ax, right = panel["spec"], panel["ax"], panel["right"]
            top = {False: 0.0, True: 0.0}
            for s, line, _ in panel["lines"]:
                y = series_values(model, s, frame)[: len(x)]
                line.set_data(x[: len(y)], y)
                if len(y):
                    top[s.right] = max(top[s.right], float(np.nanmax(y)))
            ax.set_xlim(0, xmax)
            ax.set_ylim(*axis_limits(spec.ylim, top[False]))
            if right is not None:
                right.set_ylim(*axis_limits(spec.ylim_right, top[True]))
        self._mark_lever_changes(model)
        return self.figure

    def png(self, model) -> bytes:
        """The panels for ``model``'s run so far, as PNG bytes."""
        with _state_lock(model):
            self.update(model)
        key = (tuple(ax.get_xlim() + ax.get_ylim() for p in self.panels for ax in (p["ax"], p["right"]) if ax is not None),
               tuple(self._marked or ()))
        return self.blit.png(key)

    def _mark_lever_changes(self, model) -> None:
        changes = lever_changes(model)
        if changes == self._marked:
            return
        for artist in self._lever_marks:
            artist.remove()
        self._lever_marks = []
        for panel in self.panels:
            ax = panel["ax"]
            for i, (step, value) in enumerate(changes):
                self._lever_marks.append(ax.axvline(step, color=COLOURS["staff"], lw=1.0, ls=":", zorder=1))
                if panel["spec"].label_lever_changes:
                    # labels alternate between two heights so that close changes stay readable
                    self._lever_marks.append(ax.annotate(
                        t(self.lang, "lever_change", value=value), (step, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -10 - 11 * (i % 2)), textcoords="offset points", fontsize=8.5, color=COLOURS["staff"]))
        self._marked = changes



def dashboard_figure(model, lang: str = "en") -> Figure:
    """A new figure with every plot of ``model``'s run so far (for notebooks and reports)."""
    return Dashboard(lang).update(model)


__all__ = ["COLOURS", "MARKERS", "PLOTS", "X_CHUNK", "BlitFigure", "Dashboard", "NetworkLayout", "NetworkView", "PlotSpec", "Series",
           "compute_layout", "dashboard_figure", "layout_for", "legend_handles", "lever_changes", "lever_history", "network_figure",
           "series_label", "series_values"]

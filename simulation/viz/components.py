"""Solara components of the page: controls, status, pictures, runs, settings and explanation.

The page has its own controls (Reset, ▶ Play / ❚❚ Pause, Step, speed) instead of Mesa's
SolaraViz frame, so every word on it exists in Danish and the play loop is ours:
:func:`PlayLoop` steps the session's model in one thread at the chosen months per second and
bumps :data:`~simulation.viz.state.tick` after each month, which redraws only the components
that read it (status, network, plots). The pictures are SVG text (:mod:`simulation.viz.svg`)
the browser draws; their static layers are rebuilt only when the run, the language or the kept
runs change.
"""

from __future__ import annotations

import functools
import html
import io
import threading
import time
from pathlib import Path

import markdown
import reacton.core
import solara

from simulation.core.indicators import INDICATOR_BY_NAME, PUBLIC_INDICATORS
from simulation.core.indicators import label as indicator_label
from simulation.core.parameters import GOVERNANCE_MODES, describe
from simulation.viz import svg
from simulation.viz.layout import COLOURS
from simulation.viz.model import BrowserModel
from simulation.viz.panels import PLOTS, PlotSpec, indicator_panel, lever_changes, series_label
from simulation.viz.settings import (
    available_scenarios,
    choice_label,
    label,
    lever_choices,
    lever_help,
    lever_sliders,
    lever_switches,
    notice_text,
    slider_spec,
)
from simulation.viz.state import (
    citizens,
    current_model,
    extra_indicator,
    kept_runs,
    language,
    lever_version,
    live_views,
    playing,
    run_number,
    run_over,
    seed_text,
    speed,
    start_settings,
    tick,
)
from simulation.viz.text import (
    EXPLANATION,
    LANGUAGES,
    LEGEND,
    LEGEND_HEADING,
    MODE_LABELS,
    QUESTIONS_HEADING,
    REFLECTION_QUESTIONS,
    decimal,
    t,
)

#: The longer explanation, organised like NetLogo's Info tab: ``info/<lang>.md``.
INFO_DIR = Path(__file__).with_name("info")

#: While ▶ plays, the network's ties are redrawn every this many months (each step redraws them).
TIES_EVERY_WHEN_PLAYING = 3

#: Months per second ▶ can play at.
SPEEDS = (1, 2, 4, 8)

CSS = """
.samskabelse-page { display: grid; grid-template-columns: 300px minmax(0, 1fr); gap: 12px; padding: 0 8px 56px 8px; }
.samskabelse-bar { grid-column: 1 / -1; position: sticky; top: 0; z-index: 5; background: #ffffff; border-bottom: 1px solid #dde3ea;
  display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; padding: 6px 4px; }
.samskabelse-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.samskabelse-speed { max-width: 150px; }
.samskabelse-speed .v-input__slot { margin-bottom: 0; }
.samskabelse-speed .v-text-field__details { display: none; }
/* Solara's "This website runs on Solara" corner badge would cover the plots on a projector: the page credits Solara itself */
div:has(> b > a[href="https://solara.dev"]) { display: none !important; }
.samskabelse-credit { font-size: 12px; color: #5f6b7a; margin-top: 8px; }
.samskabelse-bar .v-btn { text-transform: none; letter-spacing: 0; font-size: 15px; }
.samskabelse-bar h1 { font-size: 18px; margin: 0 8px 0 0; font-weight: 600; color: #1f2a37; }
.samskabelse-side { min-width: 0; }
.samskabelse-main { min-width: 0; }
.samskabelse-status { display: flex; flex-wrap: wrap; gap: 6px; margin: 0; }
.samskabelse-chip { background: #f3f6f9; border: 1px solid #dde3ea; border-radius: 8px; padding: 1px 8px; white-space: nowrap; }
.samskabelse-chip .label { font-size: 12px; color: #5f6b7a; display: block; line-height: 1.2; }
.samskabelse-chip .value { font-size: 16px; font-weight: 600; color: #1f2a37; line-height: 1.3; }
.samskabelse-views { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 2fr); gap: 12px; align-items: start; }
.samskabelse-layers { display: grid; }
.samskabelse-layers > div { grid-area: 1 / 1; min-width: 0; }
.samskabelse-layers svg { width: 100%; height: auto; display: block; }
.samskabelse-plots { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px 14px; }
.samskabelse-caption { font-size: 16px; font-weight: 600; color: #1f2a37; margin: 2px 0; }
.samskabelse-panel-legend { list-style: none; padding: 0; margin: 0 0 2px 0; font-size: 13px; line-height: 1.35; color: #1f2a37; }
.samskabelse-panel-legend .sw { display: inline-block; width: 22px; margin-right: 5px; vertical-align: middle; }
.samskabelse-text strong, .samskabelse-questions b, .samskabelse-explanation b { font-weight: 700; color: #1f2a37; }
.samskabelse-hint { color: #3d4a5c; margin: 4px 0 6px 2px; font-size: 14px; }
.samskabelse-help { font-size: 13px; color: #5f6b7a; line-height: 1.3; margin: 0 0 10px 0; }
.samskabelse-slider-label { font-size: 14px; color: #1f2a37; margin: 6px 0 0 0; }
.samskabelse-legend { list-style: none; padding-left: 0; margin: 0 0 8px 0; columns: 2; column-gap: 16px; font-size: 14px; }
.samskabelse-legend li { margin: 2px 0; }
.samskabelse-legend .sym { display: inline-block; width: 2.2em; font-size: 1.1em; text-align: center; }
.samskabelse-questions { background: #fff8e6; border-left: 4px solid #E69F00; padding: 6px 12px; margin-top: 8px; }
.samskabelse-runs { font-size: 14px; }
.samskabelse-runs .v-btn { text-transform: none; letter-spacing: 0; }
.samskabelse-runs li { margin: 2px 0; }
.samskabelse-side .v-card { margin-bottom: 10px; }
.samskabelse-page .v-card__title { font-size: 17px; line-height: 1.3; word-break: normal; padding-bottom: 6px; }
.samskabelse-info h2 { font-size: 17px; margin-top: 8px; }
@media (max-width: 1100px) {
  .samskabelse-page { grid-template-columns: minmax(0, 1fr); }
  .samskabelse-side { order: 2; }
  .samskabelse-main { order: 1; }
}
@media (max-width: 800px) {
  .samskabelse-views { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 560px) {
  .samskabelse-plots { grid-template-columns: minmax(0, 1fr); }
}
"""

_SYMBOLS = {"citizen": "●", "volunteer": "▲", "association": "■", "staff": "◆",
            "bonding": "━━", "bridging": "━━", "membership": "──", "working": "╍╍"}


@functools.lru_cache(maxsize=64)
def _markdown(text: str) -> str:
    """HTML of the page's own Markdown texts (never of user input); converted once per server."""
    return markdown.markdown(text)


# --- what the buttons do ---------------------------------------------------------------------
def new_model() -> BrowserModel:
    """A model from this session's start settings, seed and population."""
    return BrowserModel(seed=seed_text.value, n_citizens=citizens.value, settings=start_settings.value)


def run_summary(model, lang: str) -> str:
    """One line saying what a run was: scenario, mode, seed, population, the levers changed during it."""
    settings = model.start_settings
    scenarios = available_scenarios(lang)
    p = model.parameters
    parts = []
    if settings.scenario:
        parts.append(scenarios.get(settings.scenario, (settings.scenario, ""))[0])
    parts.append(MODE_LABELS[lang].get(p.governance_mode, p.governance_mode))
    parts.append(f"{t(lang, 'seed_short')} {p.seed}")
    parts.append(f"{p.n_citizens} {t(lang, 'citizens_short')}")
    for name, value in sorted(settings.levers.items()):
        parts.append(f"{label(name, lang)} {choice_label(value, lang)}")
    month = t(lang, "month")
    for step, name, value in model.lever_log:
        parts.append(f"{month} {step}: {label(name, lang)} → {choice_label(value, lang)}")
    return " · ".join(parts)


def keep_run(model) -> None:
    """Keep ``model``'s run on the plots as faint lines (the newest few)."""
    if model is None or model.steps == 0:
        return
    # the summary in every language, so the list stays in the page's language after a switch
    record = svg.record_run(model, run_number.value, {lang: run_summary(model, lang) for lang in LANGUAGES})
    kept_runs.set((*kept_runs.value, record)[-svg.KEPT_RUNS:])


class LiveViews:
    """The widgets that follow every month, and how to produce each one's new content.

    A month's redraw sets these widgets' HTML directly instead of re-rendering the page: Solara
    (reacton) walks the whole component tree at each render, which costs several times more than
    the model step and the SVG together, too much for a class of 30 on one process. A producer
    returns None when its picture needs a full render instead (an axis had to widen).
    """

    def __init__(self) -> None:
        self._views: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def add(self, key: str, widget, produce) -> None:
        """Follow ``widget``: ``produce(model, shared)`` gives its HTML (``shared``: a dict the producers share)."""
        with self._lock:
            self._views[key] = (widget, produce)

    def remove(self, key: str, widget) -> None:
        """Stop following ``widget`` (its component went away)."""
        with self._lock:
            if key in self._views and self._views[key][0] is widget:
                del self._views[key]

    def refresh(self, model) -> bool:
        """Put ``model``'s current state into every followed widget; False if a full render is needed."""
        with self._lock:
            views = list(self._views.values())
        if not views:
            return False
        shared: dict = {}
        ok = True
        # under the model's lock, writes too: Reset releases the old run (under its lock) before it
        # draws the new one, so a play thread's late month of the old run never overwrites the new
        with model.lock:
            if model.released:
                return True  # Reset replaced this run: nothing of it is shown any more
            for widget, produce in views:
                content = produce(model, shared)
                if content is None:
                    ok = False
                elif widget.unsafe_innerHTML != content:
                    widget.unsafe_innerHTML = content
        return ok


def advance(rc=None) -> None:
    """Show the model's new state: the followed widgets directly, a full render only when needed.

    A full render (the end of the run, a widened axis) holds the session's render context ``rc``
    (taken with ``reacton.core.get_render_context()`` while a component renders), so every
    component that reads :data:`tick` is redrawn in one pass rather than one pass each.
    """
    model = current_model.value
    views = live_views.value
    # the followed widgets first, also at the run's end: a full render does not redraw them (their
    # components' inputs have not changed), so the last month would otherwise not be shown
    shown = model is not None and views is not None and views.refresh(model)
    if model is not None and model.released:
        return  # a play thread's late month of a run that Reset has replaced
    if shown and model.running:
        return
    if rc is not None:
        with rc:
            _full_render()
    else:
        _full_render()


def _full_render() -> None:
    """Redraw what reads :data:`tick`; whether the run is over is read from the page's run now.

    (Not from a model passed in: a play thread's model may have been replaced by Reset meanwhile,
    and its end must not disable ▶ on the new run.)
    """
    model = current_model.value
    tick.set(tick.value + 1)
    if model is None:
        run_over.set(False)
        return
    with model.lock:  # Reset releases a run under its lock before it draws the next
        if not model.released:  # else the run that replaced it has been drawn already
            run_over.set(not model.running)


def reset(rc=None) -> None:
    """Stop playing, keep the run so far, and start a new one from the start settings."""
    if rc is not None:
        with rc:
            reset()
        return
    playing.set(False)
    old = current_model.value
    keep_run(old)
    if old is not None:
        old.release()  # first: a month of it that a play thread is showing ends before the new run is drawn
    current_model.set(new_model())
    run_number.set(run_number.value + 1)
    _full_render()


def step(rc=None) -> None:
    """One month of the running model."""
    model = current_model.value
    if model is not None and model.running:
        model.step()
        advance(rc)


def set_live_steering(value: float, rc=None) -> None:
    """Change the running model's steering now (the live lever)."""
    model = current_model.value
    if model is not None:
        model.set_lever("steering_intensity", float(value))
        if rc is not None:
            with rc:
                lever_version.set(lever_version.value + 1)
                advance()
        else:
            lever_version.set(lever_version.value + 1)
            advance()


def stop_playing_at_run_end(model, rc=None) -> None:
    """❚❚ when ``model``'s run has ended, if it is still the page's run.

    A play thread of an earlier run can come to this late (it waits for the thread before it to
    stop, and a busy server delays it): after Reset and a new ▶ it must not stop the new run,
    which stood still at month 0 (the load benchmark's students met this after a run to its end).
    """
    if rc is not None:
        with rc:  # the page is redrawn when this ends, after the model's lock is let go
            stop_playing_at_run_end(model)
        return
    # under the model's lock: Reset releases the run under it, so this is either before the
    # release (and before any new ▶) or sees the run released (Reset has stopped playing itself)
    with model.lock:
        if current_model.value is model and not model.running and not model.released:
            playing.set(False)


def play_months(model, rate: int, cancel: threading.Event, rc=None) -> None:
    """Step ``model`` at ``rate`` months a second until ❚❚, Reset, ``cancel`` or the run's end.

    It waits out the rest of each interval, so a slow month (a busy server) slows the play down
    instead of piling months up, and it stops within one month of a press of ❚❚.
    """
    interval = 1.0 / max(1, rate)
    next_at = time.monotonic()
    while not cancel.is_set() and playing.value and current_model.value is model:
        if not model.running:
            break
        model.step()
        advance(rc)  # redraws the status and pictures (in this thread)
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            cancel.wait(delay)
        else:
            next_at = time.monotonic()
    stop_playing_at_run_end(model, rc)


@solara.component
def PlayLoop():
    """Steps the model while ▶ is pressed, at the chosen months per second (:func:`play_months`).

    One thread per session, started when ▶ is pressed and stopped by ❚❚, Reset or the end of the run.
    """
    model = current_model.value
    is_playing = playing.value
    rate = speed.value
    rc = reacton.core.get_render_context()

    def play(cancel: threading.Event) -> None:
        if is_playing and model is not None:
            play_months(model, rate, cancel, rc)

    # intrusive_cancel=False: Solara would otherwise trace every line this thread runs (slow)
    solara.use_thread(play, dependencies=[model, is_playing, rate], intrusive_cancel=False)


# --- the bar at the top ----------------------------------------------------------------------
def followed_html(key: str, content: str, produce, classes: tuple[str, ...] = (), tag: str = "div") -> None:
    """An HTML widget whose content the live views update each month (``produce(model, shared)``).

    The widget is made here, not declared as an element: reacton sets an element's declared
    properties again at every render of the page, which would put back an old picture.
    """
    attributes = {"class": " ".join(classes)} if classes else {}
    widget = solara.use_memo(lambda: solara.widgets.HTML(tag=tag, unsafe_innerHTML=content, attributes=attributes), [])
    if widget.unsafe_innerHTML != content:
        widget.unsafe_innerHTML = content
    views = live_views.value

    def follow():
        if views is None:
            return None
        views.add(key, widget, produce)
        return lambda: views.remove(key, widget)

    solara.use_effect(follow)  # after every render: the producer sees this render's state
    solara.use_effect(lambda: widget.close, [])  # made here, so closed here when the component goes (a closed page)
    solara.Div(children=[widget])


@solara.component
def Chip(label_text: str, key_class: str, produce):
    """One labelled value of the status bar, updated each month."""
    model = current_model.value
    with solara.Div(classes=["samskabelse-chip", key_class]):
        solara.HTML(tag="span", unsafe_innerHTML=html.escape(label_text), classes=["label"])
        followed_html(f"chip-{key_class}", produce(model, {}), produce, ("value",), tag="span")


def status_values(lang: str) -> list[tuple[str, str, object]]:
    """The status bar's chips: label, CSS class and how to produce the value from a model."""
    def month(m, _shared):
        years = t(lang, "years", years=m.steps / 12).replace(".", "," if lang == "da" else ".")
        return html.escape(f"{t(lang, 'month_of', step=m.steps, steps=m.parameters.steps)} {years}")

    in_force = []
    if "steering_in_force" in INDICATOR_BY_NAME:  # the municipality can adapt its steering (the lever is where it starts)
        in_force = [(indicator_label("steering_in_force", lang, unit=False), "samskabelse-steering-in-force",
                     lambda m, _s: decimal(lang, m.indicators["steering_in_force"]))]
    return [
        (t(lang, "time"), "samskabelse-month", month),
        (t(lang, "steering_now"), "samskabelse-steering", lambda m, _s: decimal(lang, m.p.steering_intensity)),
        *in_force,
        (indicator_label("volunteering_rate", lang, unit=False), "samskabelse-volunteering",
         lambda m, _s: f"{decimal(lang, 100 * m.indicators['volunteering_rate'], 0)} %"),
        (indicator_label("trust_municipality", lang, unit=False), "samskabelse-trust",
         lambda m, _s: decimal(lang, m.indicators["trust_municipality"])),
        (indicator_label("synergy", lang, unit=False), "samskabelse-synergy", lambda m, _s: decimal(lang, m.indicators["synergy"])),
    ]


@solara.component
def StatusBar():
    """The month and the headline numbers of the running model."""
    tick.value  # noqa: B018 - a full render shows the new state too
    lang = language.value
    chips = solara.use_memo(lambda: status_values(lang), [lang])
    if current_model.value is None:
        return
    with solara.Div(classes=["samskabelse-status"]):
        for label_text, key_class, produce in chips:
            Chip(label_text, key_class, produce)


@solara.component
def LanguageSwitch():
    """English / Dansk, at the top of the page; the choice goes into the address (``?lang=da``)."""
    router = solara.use_router()
    names = list(LANGUAGES.values())
    codes = {v: k for k, v in LANGUAGES.items()}

    def choose(name: str) -> None:
        code = codes[name]
        language.set(code)
        if router.set_path is not None:  # None outside a server (a test without an address)
            router.push(f"{router.path}?lang={code}")

    with solara.Div(classes=["samskabelse-language"]):
        solara.ToggleButtonsSingle(value=LANGUAGES[language.value], values=names, on_value=choose, dense=True)


@solara.component
def Controls():
    """Reset, ▶ Play / ❚❚ Pause, Step, speed, and the live lever's two buttons: always on screen together."""
    lang = language.value
    model = current_model.value
    is_playing = playing.value
    running = model is not None and not run_over.value
    rc = reacton.core.get_render_context()
    with solara.Div(classes=["samskabelse-controls"]):
        _control_buttons(lang, rc, is_playing, running)


def _control_buttons(lang: str, rc, is_playing: bool, running: bool) -> None:
    solara.Button(t(lang, "reset"), on_click=lambda: reset(rc), color="primary", outlined=True, classes=["samskabelse-reset"])
    solara.Button(t(lang, "pause") if is_playing else t(lang, "play"), on_click=lambda: playing.set(not playing.value),
                  color="primary", disabled=not running and not is_playing, classes=["samskabelse-play"])
    solara.Button(t(lang, "step"), on_click=lambda: step(rc), color="primary", outlined=True, disabled=is_playing or not running,
                  classes=["samskabelse-step"])
    solara.Select(t(lang, "speed"), values=list(SPEEDS), value=speed.value, on_value=speed.set, dense=True,
                  classes=["samskabelse-speed"], style={"max-width": "130px"})
    solara.Button(t(lang, "oversteer"), on_click=lambda: set_live_steering(0.9, rc), color="error", outlined=True,
                  classes=["samskabelse-oversteer"])
    solara.Button(t(lang, "ease"), on_click=lambda: set_live_steering(0.2, rc), color="success", outlined=True,
                  classes=["samskabelse-ease"])


@solara.component
def TopBar():
    """Title, language, controls and status: the part of the page that stays on screen."""
    lang = language.value
    with solara.Div(classes=["samskabelse-bar"]):
        solara.HTML(tag="h1", unsafe_innerHTML=html.escape(t(lang, "short_title")))
        LanguageSwitch()
        Controls()
        StatusBar()


# --- pictures -------------------------------------------------------------------------------
def network_caption(model, lang: str) -> str:
    """The line above the network: month and how many citizens volunteer."""
    c = model.world.citizens
    return html.escape(t(lang, "network_caption", step=model.steps, vol=int(c.volunteer.sum()), n=c.n))


@solara.component
def NetworkPicture():
    """The network view: group discs once per run, people and ties at each step."""
    tick.value  # noqa: B018
    model = current_model.value
    lang = language.value
    view = solara.use_memo(lambda: svg.NetworkSVG(model) if model is not None else None, [model])
    static = solara.use_memo(lambda: view.static(lang) if view else "", [view, lang])
    if model is None:
        return
    with model.lock:
        ties, people = view.ties(model), view.people(model)
        caption = network_caption(model, lang)
    last_ties = {"svg": ties}

    def produce_ties(m, _shared):
        # while ▶ plays, the ties (most of the picture's bytes) are redrawn every few months only
        if m is not model:
            return None
        if not playing.value or m.steps % TIES_EVERY_WHEN_PLAYING == 0:
            last_ties["svg"] = view.ties(m)
        return last_ties["svg"]

    with solara.Div(classes=["samskabelse-network"]):
        followed_html("network-caption", caption, lambda m, _s: network_caption(m, lang), ("samskabelse-caption",))
        with solara.Div(classes=["samskabelse-layers"]):
            solara.HTML(tag="div", unsafe_innerHTML=static)
            followed_html("network-ties", ties, produce_ties)
            followed_html("network", people, lambda m, _s: view.people(m) if m is model else None)


def _swatch(series) -> str:
    dash = {"--": "7 4", ":": "2 3", "-.": "8 3 2 3"}.get(series.ls, "")
    return (f'<svg class="sw" viewBox="0 0 22 8"><line x1="0" y1="4" x2="22" y2="4" stroke="{series.colour}" '
            f'stroke-width="{min(3.0, series.lw + 0.4):.1f}" stroke-dasharray="{dash}"/></svg>')


def panel_legend(spec: PlotSpec, lang: str) -> str:
    """The lines of one panel, as an HTML list under it (never over the lines)."""
    items = "".join(f"<li>{_swatch(s)}{html.escape(series_label(s, lang))}</li>" for s in spec.series)
    return f'<ul class="samskabelse-panel-legend">{items}</ul>'


def current_columns(model) -> dict:
    """The running model's recorded columns and the steering in force each month (read under its lock)."""
    with model.lock:
        return svg.record_run(model, 0, "").columns


def panel_specs(extra: str) -> list[tuple[str, PlotSpec]]:
    """The page's panels, and the chosen extra indicator's panel."""
    specs = list(PLOTS.items())
    if extra:
        specs.append((f"indicator:{extra}", indicator_panel(extra)))
    return specs


def _shared_columns(model, shared: dict) -> tuple[dict, tuple]:
    """The running model's columns and lever changes, computed once per month for all panels."""
    if "columns" not in shared:
        shared["columns"] = current_columns(model)
        shared["changes"] = tuple(lever_changes(model))
    return shared["columns"], shared["changes"]


@solara.component
def Panel(key: str, spec: PlotSpec, months: int):
    """One time-series panel: axes and earlier runs (static), this run's lines (moving), legend."""
    lang = language.value
    model = current_model.value
    earlier = kept_runs.value
    columns, changes = _shared_columns(model, {})
    frame = svg.panel_frame(spec, [columns, *(r.columns for r in earlier)], months)
    static = solara.use_memo(lambda: svg.panel_static(spec, frame, lang, [r.columns for r in earlier]), [spec, frame, lang, earlier])
    legend = solara.use_memo(lambda: panel_legend(spec, lang), [spec, lang])
    years = solara.use_memo(svg.YearsLayer, [])

    def same_axes(m, shared) -> dict | None:
        # once a month for both layers of this panel
        if ("axes", key) not in shared:
            cols, _ = _shared_columns(m, shared)
            ok = m is model and svg.panel_frame(spec, [cols, *(r.columns for r in earlier)], months) == frame
            shared["axes", key] = cols if ok else None
        return shared["axes", key]

    def produce_history(m, shared):
        cols = same_axes(m, shared)
        return None if cols is None else years(spec, frame, cols)

    def produce_recent(m, shared):
        cols = same_axes(m, shared)
        return None if cols is None else svg.panel_moving(spec, frame, cols, lang, _shared_columns(m, shared)[1], since_history=True)

    with solara.Div(classes=["samskabelse-panel", f"samskabelse-panel-{key.replace(':', '-')}"]):
        with solara.Div(classes=["samskabelse-layers"]):
            solara.HTML(tag="div", unsafe_innerHTML=static)
            # the run's whole years change once a year, the months since at each month
            followed_html(f"panel-{key}-years", years(spec, frame, columns), produce_history)
            followed_html(f"panel-{key}", svg.panel_moving(spec, frame, columns, lang, changes, since_history=True), produce_recent)
        solara.HTML(tag="div", unsafe_innerHTML=legend)


@solara.component
def Plots():
    """The time-series panels of the running model, with the kept runs as faint lines."""
    tick.value  # noqa: B018
    model = current_model.value
    if model is None:
        return
    months = max([model.parameters.steps, *(r.months - 1 for r in kept_runs.value)])
    with solara.Div(classes=["samskabelse-plots"]):
        for key, spec in panel_specs(extra_indicator.value):
            Panel(key, spec, months)


def plots_svg(model, lang: str, extra: str = "") -> str:
    """Every panel, with the kept runs, as one SVG document (the page's download)."""
    columns = current_columns(model)
    earlier = kept_runs.value
    months = max([model.parameters.steps, *(r.months - 1 for r in earlier)])
    changes = tuple(lever_changes(model))
    specs = panel_specs(extra)
    ncols, legend_h = 2, 70
    cell_h = svg.PANEL_H + legend_h
    nrows = -(-len(specs) // ncols)
    parts = []
    for i, (_, spec) in enumerate(specs):
        x, y = (i % ncols) * (svg.PANEL_W + 20), (i // ncols) * cell_h
        frame = svg.panel_frame(spec, [columns, *(r.columns for r in earlier)], months)
        for layer in (svg.panel_static(spec, frame, lang, [r.columns for r in earlier]), svg.panel_moving(spec, frame, columns, lang, changes)):
            parts.append(layer.replace("<svg ", f'<svg x="{x}" y="{y}" width="{svg.PANEL_W}" height="{svg.PANEL_H}" ', 1))
        for j, s in enumerate(spec.series):
            ly = y + svg.PANEL_H + 16 + 18 * j
            dash = {"--": "7 4", ":": "2 3", "-.": "8 3 2 3"}.get(s.ls, "")
            parts.append(f'<line x1="{x + 8}" x2="{x + 34}" y1="{ly - 5}" y2="{ly - 5}" stroke="{s.colour}" stroke-width="2.5" '
                         f'stroke-dasharray="{dash}"/><text x="{x + 40}" y="{ly}" font-size="14">{html.escape(series_label(s, lang))}</text>')
    width, height = ncols * (svg.PANEL_W + 20), nrows * cell_h + 40
    parts.append(f'<text x="4" y="{height - 12}" font-size="13">{html.escape(run_summary(model, lang))}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>')


def network_svg(model, lang: str) -> str:
    """The network now as one SVG document (the page's download)."""
    view = svg.NetworkSVG(model)
    with model.lock:
        layers = [view.static(lang), view.moving(model)]
    size = 800
    inner = "".join(layer.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1) for layer in layers)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
            f'<rect width="100%" height="100%" fill="white"/>{inner}</svg>')


def run_csv(model, lang: str) -> str:
    """The run so far as CSV: a month column, every recorded indicator, the steering in force.

    The run's settings come first as ``#`` lines (``pandas.read_csv(..., comment="#")`` skips them).
    Danish: semicolons and decimal commas, as a Danish spreadsheet reads them.
    """
    columns = current_columns(model)
    names = list(columns)
    sep = ";" if lang == "da" else ","
    lines = [f"# {run_summary(model, lang)}", sep.join(["month", *names])]
    months = max((len(v) for v in columns.values()), default=0)
    for m in range(months):
        row = [str(m)]
        for n in names:
            v = columns[n][m] if m < len(columns[n]) else float("nan")
            text = repr(float(v))
            row.append(text.replace(".", ",") if lang == "da" else text)
        lines.append(sep.join(row))
    return "\n".join(lines) + "\n"


def plots_png(model, lang: str) -> bytes:
    """The running model's panels as a PNG (matplotlib, drawn only when asked for)."""
    from simulation.viz.drawing import dashboard_figure

    with model.lock:
        figure = dashboard_figure(model, lang)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=110)
    return out.getvalue()


@solara.component
def RunsCard():
    """Which runs the plots show, with their settings; downloads; the extra indicator."""
    lang = language.value
    model = current_model.value
    earlier = kept_runs.value
    if model is None:
        return
    lever_version.value  # noqa: B018 - the summary names live lever changes
    with solara.Card(t(lang, "runs_title"), classes=["samskabelse-runs"], margin=0):
        items = [f"<li><b>{html.escape(t(lang, 'run_n', n=run_number.value))}</b>, {html.escape(t(lang, 'this_run'))}: "
                 f"{html.escape(run_summary(model, lang))}</li>"]
        items += [f"<li>{html.escape(t(lang, 'run_n', n=r.number))}, {html.escape(t(lang, 'earlier_runs'))}: "
                  f"{html.escape(r.settings[lang])}</li>" for r in reversed(earlier)]
        solara.HTML(tag="ul", unsafe_innerHTML="".join(items), classes=["samskabelse-run-list"])
        with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
            if earlier:
                solara.Button(t(lang, "clear_runs"), on_click=lambda: kept_runs.set(()), outlined=True, small=True,
                              classes=["samskabelse-clear-runs"])
            stamp = f"samskabelse-run{run_number.value}"
            # the callbacks read the model when clicked: holding it here would keep every old run in memory
            solara.FileDownload(lambda: run_csv(current_model.value, language.value), filename=f"{stamp}.csv", label=t(lang, "download_csv"),
                                mime_type="text/csv")
            solara.FileDownload(lambda: plots_svg(current_model.value, language.value, extra_indicator.value), filename=f"{stamp}-plots.svg",
                                label=t(lang, "download_svg"), mime_type="image/svg+xml")
            solara.FileDownload(lambda: plots_png(current_model.value, language.value), filename=f"{stamp}-plots.png", label=t(lang, "download_png"),
                                mime_type="image/png")
            solara.FileDownload(lambda: network_svg(current_model.value, language.value), filename=f"{stamp}-network.svg",
                                label=t(lang, "download_network"), mime_type="image/svg+xml")
        shown = {s.column for spec in PLOTS.values() for s in spec.series}
        others = [n for n in PUBLIC_INDICATORS if n not in shown]
        if others:
            names = {indicator_label(n, lang, unit=False): n for n in others}
            none = t(lang, "none")
            current = next((k for k, v in names.items() if v == extra_indicator.value), none)
            solara.Select(t(lang, "more_indicators"), values=[none, *names], value=current,
                          on_value=lambda name: extra_indicator.set(names.get(name, "")), classes=["samskabelse-extra"])


# --- sidebar cards -----------------------------------------------------------------------------
def _help(text: str) -> None:
    solara.HTML(tag="div", classes=["samskabelse-help"], unsafe_innerHTML=html.escape(text))


def _slider_label(text: str) -> None:
    solara.HTML(tag="div", classes=["samskabelse-slider-label"], unsafe_innerHTML=html.escape(text))


@solara.component
def LiveLever():
    """Change the steering of the running model now (over-steering and recovery, live)."""
    lever_version.value  # noqa: B018
    lang = language.value
    model = current_model.value
    spec = slider_spec("steering_intensity")
    value = float(model.p.steering_intensity) if model is not None else spec.default
    rc = reacton.core.get_render_context()
    with solara.Card(t(lang, "live_title"), classes=["samskabelse-live-lever"], margin=0):
        _help(t(lang, "live_help"))
        _slider_label(t(lang, "live_value", value=decimal(lang, value)))
        with solara.Div(classes=["samskabelse-live-slider"]):
            solara.SliderFloat("", value=value, min=spec.min, max=spec.max, step=spec.step,
                               on_value=lambda x: set_live_steering(x, rc), thumb_label=False)


def _schedule_text(settings, lang: str = "en") -> list[str]:
    """The scenario's scheduled lever changes, one line each, with the levers' labels."""
    schedule = settings.resolve()[0].policy_schedule
    month = t(lang, "month").capitalize()
    return [f"{month} {c.step}: " + ", ".join(f"{label(k, lang)} → {choice_label(v, lang)}" for k, v in c.changes) for c in schedule]


@solara.component
def StartSettingsCard():
    """Scenario picker, governance mode and the levers, for the next run (Reset)."""
    lang = language.value
    settings = start_settings.value
    model = current_model.value
    scenarios = solara.use_memo(lambda: available_scenarios(lang), [lang])
    levers = solara.use_memo(settings.levers_in_force, [settings])
    schedule = solara.use_memo(lambda: _schedule_text(settings, lang), [settings, lang])

    def update(change) -> None:
        start_settings.set(change(start_settings.value))

    with solara.Card(t(lang, "settings_title"), classes=["samskabelse-settings"], margin=0):
        _help(t(lang, "settings_help"))
        if model is not None and settings != model.start_settings:
            solara.Warning(t(lang, "pending"), dense=True, classes=["samskabelse-pending"])
        if scenarios:
            titles = {title: name for name, (title, _) in scenarios.items()}
            current = scenarios.get(settings.scenario, (settings.scenario or "", ""))[0]
            solara.Select(t(lang, "scenario"), values=list(titles), value=current,
                          on_value=lambda title: update(lambda s: s.with_scenario(titles[title])))
            if settings.scenario in scenarios:
                _help(scenarios[settings.scenario][1])
            for line in schedule:
                _help(line)
        else:
            solara.Info(t(lang, "no_scenarios"), dense=True)
        mode_names = {MODE_LABELS[lang][m]: m for m in GOVERNANCE_MODES}
        solara.Select(t(lang, "mode"), values=list(mode_names), value=MODE_LABELS[lang][levers["governance_mode"]],
                      on_value=lambda name: update(lambda s: s.with_mode(mode_names[name])))
        for spec in lever_sliders():
            def on_value(value, name=spec.name) -> None:
                update(lambda s: s.with_lever(name, value))

            _slider_label(t(lang, "lever_value", label=label(spec.name, lang), value=choice_label(levers[spec.name], lang)))
            with solara.Div(classes=[f"samskabelse-lever-{spec.name}"]):
                solara.SliderFloat("", value=float(levers[spec.name]), min=spec.min, max=spec.max, step=spec.step,
                                   on_value=on_value, thumb_label=False)
            _help(lever_help(spec.name, lang))
        for name in lever_switches():
            def on_switch(value, name=name) -> None:
                update(lambda s: s.with_lever(name, bool(value)))

            solara.Checkbox(label=label(name, lang), value=bool(levers[name]), on_value=on_switch)
            _help(lever_help(name, lang))
        for name, values in lever_choices().items():
            shown = {choice_label(v, lang): v for v in values}

            def on_choice(text, name=name, shown=shown) -> None:
                update(lambda s: s.with_lever(name, shown[text]))

            solara.Select(label(name, lang), values=list(shown), value=choice_label(levers[name], lang), on_value=on_choice)
            _help(lever_help(name, lang))


@solara.component
def RunInputsCard():
    """Seed and population of the next run."""
    lang = language.value
    lo, hi = describe("n_citizens")["range"]
    with solara.Card(t(lang, "run_inputs"), classes=["samskabelse-run-inputs"], margin=0):
        solara.InputText(t(lang, "seed"), value=seed_text.value, on_value=seed_text.set, classes=["samskabelse-seed"])
        _help(t(lang, "seed_help"))
        _slider_label(t(lang, "citizens", n=citizens.value))
        with solara.Div(classes=["samskabelse-citizens"]):
            solara.SliderInt("", value=citizens.value, min=max(lo, 100), max=min(hi, 1500), step=50, on_value=citizens.set,
                             thumb_label=False)


@solara.component
def Notices():
    """Inputs the page had to correct (e.g. a seed that is not a whole number), and the end of the run."""
    model = current_model.value
    lang = language.value
    if model is None:
        return
    for notice in getattr(model, "notices", []):
        solara.Warning(notice_text(notice, lang), dense=True, classes=["samskabelse-notice"])
    if run_over.value:
        solara.Info(t(lang, "finished", steps=model.steps), dense=True, classes=["samskabelse-finished"])


def legend_html(lang: str) -> str:
    """The colours and shapes of the network view as an HTML list (static text only)."""
    items = []
    for _style, key, en, da in LEGEND:
        text = html.escape(da if lang == "da" else en)
        items.append(f'<li><span class="sym" style="color:{COLOURS[key]}">{_SYMBOLS[key]}</span>{text}</li>')
    return f'<ul class="samskabelse-legend">{"".join(items)}</ul>'


def info_sections(lang: str) -> list[tuple[str, str]]:
    """The longer explanation (``info/<lang>.md``) as (heading, HTML) per ``## `` section; [] if missing."""
    path = INFO_DIR / f"{lang}.md"
    if not path.exists():
        return []
    return _info_sections(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _info_sections(path: Path, mtime_ns: int) -> list[tuple[str, str]]:
    """The sections of one Info file, converted once per server (again when the file changes)."""
    sections: list[tuple[str, str]] = []
    heading, body = None, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            if heading is not None:
                sections.append((heading, _markdown("\n".join(body))))
            heading, body = line[3:].strip(), []
        elif heading is not None:
            body.append(line)
    if heading is not None:
        sections.append((heading, _markdown("\n".join(body))))
    return sections


@solara.component
def Explanation():
    """What the model shows, what each colour means, the seed's questions, and the Info sections."""
    lang = language.value
    sections = solara.use_memo(lambda: info_sections(lang), [lang])
    with solara.Card(t(lang, "explain_title"), classes=["samskabelse-explanation"], margin=0):
        # Markdown converted here, not with solara.Markdown: that one loads KaTeX for
        # formulas, which solara-assets does not bundle (a failed request offline)
        solara.HTML(tag="div", classes=["samskabelse-text"], unsafe_innerHTML=_markdown(EXPLANATION[lang]))
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>{html.escape(LEGEND_HEADING[lang])}</b>")
        solara.HTML(tag="div", unsafe_innerHTML=legend_html(lang))
        q1, q2 = REFLECTION_QUESTIONS[lang]
        solara.HTML(tag="div", classes=["samskabelse-questions"], unsafe_innerHTML=(
            f"<b>{html.escape(QUESTIONS_HEADING[lang])}</b><ol><li>{html.escape(q1)}</li><li>{html.escape(q2)}</li></ol>"))
        with solara.Div(classes=["samskabelse-info"]):
            for heading, body in sections:
                with solara.Details(summary=heading):
                    solara.HTML(tag="div", unsafe_innerHTML=body)


@solara.component
def MainView():
    """Notices, network and plots, runs and downloads, and the explanation."""
    lang = language.value
    with solara.Div(classes=["samskabelse-main"]):
        Notices()
        solara.HTML(tag="div", classes=["samskabelse-hint"], unsafe_innerHTML=html.escape(t(lang, "hint")))
        with solara.Div(classes=["samskabelse-views"]):
            with solara.Div():
                NetworkPicture()
                solara.HTML(tag="div", unsafe_innerHTML=legend_html(lang))
            with solara.Div():
                Plots()
        RunsCard()
        Explanation()
        solara.HTML(tag="div", classes=["samskabelse-credit"], unsafe_innerHTML=html.escape(t(lang, "credit")))


@solara.component
def SideCards():
    """The cards beside the pictures: live lever, start settings, seed and population."""
    with solara.Div(classes=["samskabelse-side"]):
        LiveLever()
        StartSettingsCard()
        RunInputsCard()

"""Solara components of the page: pictures, status, explanation and controls.

Every component that shows the running model reads Mesa's ``update_counter``, so it redraws
when Mesa's Step/Play buttons (or the live lever) advance or change the model.
"""

from __future__ import annotations

import html

import markdown
import solara
from mesa.visualization.utils import force_update, update_counter

from simulation.core.indicators import label as indicator_label
from simulation.core.parameters import GOVERNANCE_MODES
from simulation.viz.drawing import COLOURS, Dashboard, NetworkView
from simulation.viz.settings import available_scenarios, label, lever_sliders, slider_spec
from simulation.viz.state import language, start_settings
from simulation.viz.text import (
    EXPLANATION,
    LANGUAGES,
    LEGEND,
    LEGEND_HEADING,
    LEVER_LABELS_DA,
    MODE_LABELS,
    QUESTIONS_HEADING,
    REFLECTION_QUESTIONS,
    t,
)

CSS = """
.samskabelse-figure img { width: 100%; max-width: 900px; height: auto; display: block; margin: 0 auto; }
.samskabelse-status { display: flex; flex-wrap: wrap; gap: 8px; margin: 4px 0 8px 0; }
.samskabelse-chip { background: #f3f6f9; border: 1px solid #dde3ea; border-radius: 8px; padding: 3px 10px; }
.samskabelse-chip .label { font-size: 0.72em; color: #5f6b7a; display: block; }
.samskabelse-chip .value { font-size: 1.05em; font-weight: 600; color: #1f2a37; }
.samskabelse-text strong, .samskabelse-questions b, .samskabelse-explanation b { font-weight: 700; color: #1f2a37; }
.samskabelse-hint { color: #3d4a5c; margin: 0 0 6px 2px; }
.samskabelse-help { font-size: 0.8em; color: #5f6b7a; line-height: 1.25; margin: -6px 0 10px 0; }
.samskabelse-legend { list-style: none; padding-left: 0; margin: 0 0 8px 0; columns: 2; column-gap: 16px; font-size: 0.9em; }
.samskabelse-legend li { margin: 2px 0; }
.samskabelse-legend .sym { display: inline-block; width: 2.2em; font-size: 1.1em; text-align: center; }
.samskabelse-questions { background: #fff8e6; border-left: 4px solid #E69F00; padding: 6px 12px; margin-top: 8px; }
.samskabelse-main { padding-bottom: 56px; }  /* room for Solara's corner badge below the last plot */
"""

_SYMBOLS = {"citizen": "●", "volunteer": "▲", "association": "■", "staff": "◆",
            "bonding": "━━", "bridging": "━━", "membership": "──", "working": "╍╍"}


def _markdown(text: str) -> str:
    """HTML of the page's own Markdown texts (never of user input)."""
    return markdown.markdown(text)


def _decimal(lang: str, value: float, digits: int = 2) -> str:
    """A number as the language writes it (Danish uses a decimal comma)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "da" else text


@solara.component
def Chip(label: str, value: str, key_class: str):
    """One labelled value of the status bar."""
    with solara.Div(classes=["samskabelse-chip", key_class]):
        solara.HTML(tag="span", unsafe_innerHTML=html.escape(label), classes=["label"])
        solara.HTML(tag="span", unsafe_innerHTML=html.escape(value), classes=["value"])


@solara.component
def StatusBar(model, counter: int = 0):
    """The month and the headline numbers of the running model (``counter``: Mesa's update count)."""
    lang = language.value
    ind = model.indicators
    p = model.p
    years = t(lang, "years", years=model.steps / 12).replace(".", "," if lang == "da" else ".")
    with solara.Div(classes=["samskabelse-status"]):
        Chip(t(lang, "time"), f"{t(lang, 'month_of', step=model.steps, steps=model.parameters.steps)} {years}", "samskabelse-month")
        settings = getattr(model, "start_settings", None)
        if settings is not None and settings.scenario:
            Chip(t(lang, "scenario"), settings.scenario, "samskabelse-scenario")
        Chip(t(lang, "mode"), MODE_LABELS[lang].get(p.governance_mode, p.governance_mode), "samskabelse-mode")
        Chip(t(lang, "steering_now"), _decimal(lang, p.steering_intensity), "samskabelse-steering")
        Chip(indicator_label("volunteering_rate", lang, unit=False), f"{_decimal(lang, 100 * ind['volunteering_rate'], 0)} %", "samskabelse-volunteering")
        Chip(indicator_label("trust_municipality", lang, unit=False), _decimal(lang, ind["trust_municipality"]), "samskabelse-trust")
        Chip(indicator_label("synergy", lang, unit=False), _decimal(lang, ind["synergy"]), "samskabelse-synergy")


@solara.component
def NetworkImage(model, counter: int = 0):
    """The network view, redrawn at each step on its fixed layout."""
    lang = language.value
    view = solara.use_memo(lambda: NetworkView(model, lang), [model, lang])
    png = solara.use_memo(lambda: view.png(model), [view, counter, model.steps])
    with solara.Div(classes=["samskabelse-figure", "samskabelse-network"]):
        solara.Image(png, format="png")


@solara.component
def PlotsImage(model, counter: int = 0):
    """The six time-series panels, updated in place at each step."""
    lang = language.value
    dashboard = solara.use_memo(lambda: Dashboard(lang, ncols=2), [lang])
    png = solara.use_memo(lambda: dashboard.png(model), [dashboard, model, counter, model.steps])
    with solara.Div(classes=["samskabelse-figure", "samskabelse-plots"]):
        solara.Image(png, format="png")


@solara.component
def LanguageSwitch():
    """English / Dansk."""
    names = list(LANGUAGES.values())
    codes = {v: k for k, v in LANGUAGES.items()}
    with solara.Div(classes=["samskabelse-language"]):
        solara.ToggleButtonsSingle(value=LANGUAGES[language.value], values=names,
                                   on_value=lambda name: language.set(codes[name]), dense=True)


def legend_html(lang: str) -> str:
    """The colours and shapes of the network view as an HTML list (static text only)."""
    items = []
    for _style, key, en, da in LEGEND:
        text = html.escape(da if lang == "da" else en)
        items.append(f'<li><span class="sym" style="color:{COLOURS[key]}">{_SYMBOLS[key]}</span>{text}</li>')
    return f'<ul class="samskabelse-legend">{"".join(items)}</ul>'


@solara.component
def Explanation():
    """What the model shows, what each colour means, and the seed's two reflection questions."""
    lang = language.value
    with solara.Card(t(lang, "explain_title"), classes=["samskabelse-explanation"], margin=0):
        LanguageSwitch()
        # Markdown converted here, not with solara.Markdown: that one loads KaTeX for
        # formulas, which solara-assets does not bundle (a failed request offline)
        solara.HTML(tag="div", classes=["samskabelse-text"], unsafe_innerHTML=_markdown(EXPLANATION[lang]))
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>{html.escape(LEGEND_HEADING[lang])}</b>")
        solara.HTML(tag="div", unsafe_innerHTML=legend_html(lang))
        q1, q2 = REFLECTION_QUESTIONS[lang]
        solara.HTML(tag="div", classes=["samskabelse-questions"], unsafe_innerHTML=(
            f"<b>{html.escape(QUESTIONS_HEADING[lang])}</b><ol><li>{html.escape(q1)}</li><li>{html.escape(q2)}</li></ol>"))


@solara.component
def LiveLever(model):
    """Change the steering of the running model now (over-steering and recovery, live)."""
    update_counter.get()
    lang = language.value
    spec = slider_spec("steering_intensity")

    def set_steering(value: float) -> None:
        model.set_lever("steering_intensity", value)
        force_update()

    with solara.Card(t(lang, "live_title"), classes=["samskabelse-live-lever"], margin=0):
        solara.HTML(tag="div", classes=["samskabelse-help"], unsafe_innerHTML=html.escape(t(lang, "live_help")))
        with solara.Div(classes=["samskabelse-live-slider"]):
            solara.SliderFloat(t(lang, "steering_now"), value=float(model.p.steering_intensity), min=spec.min, max=spec.max,
                               step=spec.step, on_value=set_steering, thumb_label="always")
        with solara.Row():
            solara.Button(t(lang, "oversteer"), on_click=lambda: set_steering(0.9), color="error", outlined=True,
                          classes=["samskabelse-oversteer"])
            solara.Button(t(lang, "ease"), on_click=lambda: set_steering(0.2), color="success", outlined=True,
                          classes=["samskabelse-ease"])


def _lever_label(lang: str, name: str) -> str:
    return LEVER_LABELS_DA.get(name, label(name)) if lang == "da" else label(name)


def _schedule_text(settings, lang: str = "en") -> list[str]:
    """The scenario's scheduled lever changes, one line each, with the levers' labels."""
    schedule = settings.resolve()[0].policy_schedule
    month = t(lang, "month").capitalize()
    return [f"{month} {c.step}: " + ", ".join(f"{_lever_label(lang, k)} → {v}" for k, v in c.changes) for c in schedule]


@solara.component
def StartSettingsCard(model):
    """Scenario picker, governance mode and the main levers, for the next run (Reset)."""
    lang = language.value
    settings = start_settings.value
    scenarios = solara.use_memo(available_scenarios, [])
    levers = solara.use_memo(settings.levers_in_force, [settings])
    schedule = solara.use_memo(lambda: _schedule_text(settings, lang), [settings, lang])

    def update(change) -> None:
        start_settings.set(change(start_settings.value))

    with solara.Card(t(lang, "settings_title"), classes=["samskabelse-settings"], margin=0):
        solara.HTML(tag="div", classes=["samskabelse-help"], unsafe_innerHTML=html.escape(t(lang, "settings_help")))
        if scenarios:
            solara.Select(t(lang, "scenario"), values=list(scenarios), value=settings.scenario,
                          on_value=lambda name: update(lambda s: s.with_scenario(name)))
            if settings.scenario in scenarios:
                solara.HTML(tag="div", classes=["samskabelse-help"], unsafe_innerHTML=html.escape(scenarios[settings.scenario]))
            for line in schedule:
                solara.HTML(tag="div", classes=["samskabelse-help"], unsafe_innerHTML=html.escape(line))
        else:
            solara.Info(t(lang, "no_scenarios"), dense=True)
        mode_names = {MODE_LABELS[lang][m]: m for m in GOVERNANCE_MODES}
        solara.Select(t(lang, "mode"), values=list(mode_names), value=MODE_LABELS[lang][levers["governance_mode"]],
                      on_value=lambda name: update(lambda s: s.with_mode(mode_names[name])))
        for spec in lever_sliders():
            name_shown = _lever_label(lang, spec.name)

            def on_value(value, name=spec.name) -> None:
                update(lambda s: s.with_lever(name, value))

            solara.SliderFloat(name_shown, value=float(levers[spec.name]), min=spec.min, max=spec.max, step=spec.step,
                               on_value=on_value, thumb_label="always")
            solara.HTML(tag="div", classes=["samskabelse-help"], unsafe_innerHTML=html.escape(spec.help))
        if settings != getattr(model, "start_settings", settings):
            solara.Warning(t(lang, "pending"), dense=True, classes=["samskabelse-pending"])


@solara.component
def Notices(model, counter: int = 0):
    """Inputs the page had to correct (e.g. a seed that is not a whole number), and the end of the run."""
    for notice in getattr(model, "notices", []):
        solara.Warning(notice, dense=True)
    if not model.running:
        solara.Info(t(language.value, "finished", steps=model.steps), dense=True, classes=["samskabelse-finished"])


@solara.component
def MainView(model):
    """Status, network, explanation and plots.

    The one subscriber to Mesa's update counter on the main view: one Solara render pass per
    step instead of one per picture.
    """
    counter = update_counter.get()
    with solara.Column(classes=["samskabelse-main"]):
        Notices(model, counter)
        StatusBar(model, counter)
        solara.HTML(tag="div", classes=["samskabelse-hint"], unsafe_innerHTML=html.escape(t(language.value, "hint")))
        with solara.ColumnsResponsive(12, large=[5, 7]):
            with solara.Column():
                NetworkImage(model, counter)
                Explanation()
            PlotsImage(model, counter)

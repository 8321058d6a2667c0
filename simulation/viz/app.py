"""The browser page: ``solara run simulation/viz/app.py`` (or ``samskabelse viz``).

Mesa's :class:`~mesa.visualization.SolaraViz` gives the frame: the app bar, the Reset / Play /
Step buttons, the play speed, and the "Model Parameters" card (seed and population, used by
Reset). The page adds its own cards to the sidebar (the live steering lever and the start
settings) and its main view: status, network, explanation and plots (matplotlib, drawn
offline: no CDN needed). There is no command console: nothing on the page runs code.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from simulation.core.parameters import describe
from simulation.viz.components import CSS, LiveLever, MainView, StartSettingsCard
from simulation.viz.model import BrowserModel
from simulation.viz.settings import BROWSER_CITIZENS
from simulation.viz.state import language
from simulation.viz.text import t

#: Mesa's "Model Parameters" card: read by Reset. A seed typed in the box arrives as a
#: string; BrowserModel converts it (and replaces an invalid one, with a notice).
MODEL_PARAMS = {
    "seed": {"type": "InputText", "value": "1", "label": f"Seed ({describe('seed')['allowed']})"},
    "n_citizens": {"type": "SliderInt", "value": BROWSER_CITIZENS, "min": 100, "max": 1500, "step": 50,
                   "label": "Citizens"},
}


@solara.component
def _SidebarContent(model):
    with solara.Sidebar():
        with solara.Column(style={"padding": "0 8px 16px 8px"}):
            LiveLever(model)
            StartSettingsCard(model)


@solara.component
def SidebarCards(model):
    """The page's own sidebar cards, below Mesa's controls.

    Solara orders sidebar content by how deep in the component tree it is declared;
    declaring ours one level deeper than SolaraViz's puts it below Reset/Play/Step.
    """
    _SidebarContent(model)


@solara.component
def Page():
    """The whole page, one per browser session (each session has its own model)."""
    initial = solara.use_memo(lambda: BrowserModel(seed=MODEL_PARAMS["seed"]["value"]), [])
    model = solara.use_reactive(initial)
    solara.Style(CSS)
    solara.Title("Samskabelse")
    SolaraViz(model, components=[], model_params=MODEL_PARAMS, name=t(language.value, "title"))
    SidebarCards(model.value)
    MainView(model.value)


page = Page

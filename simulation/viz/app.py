"""The browser page: ``solara run simulation/viz/app.py`` (or ``samskabelse viz``).

One page per browser session, each with its own model. At the top, always on screen: title,
language, Reset / ▶ Play / Step, speed, the live lever's Over-steer and Ease off, and the
status. Beside it: the live steering slider, the start settings (scenario, governance mode,
levers) and seed and population, used by Reset. The main view: network and plots (SVG the
browser draws; earlier runs as faint lines), the runs and their downloads, the explanation.
The address can choose the language: ``/?lang=da``. There is no command console: nothing on
the page runs code.
"""

from __future__ import annotations

import solara

from simulation.viz.components import CSS, LiveViews, MainView, PlayLoop, SideCards, TopBar, new_model
from simulation.viz.state import current_model, language, live_views
from simulation.viz.text import LANGUAGES, t


def language_from_address(search: str | None) -> str | None:
    """The language asked for in the address's query (``lang=da``), if it is one the page has."""
    for part in (search or "").split("&"):
        key, _, value = part.partition("=")
        if key == "lang" and value in LANGUAGES:
            return value
    return None


@solara.component
def Page():
    """The whole page, one per browser session (each session has its own model)."""
    router = solara.use_router()

    def first_render() -> None:
        asked = language_from_address(router.search)
        if asked:
            language.set(asked)
        if live_views.value is None:
            live_views.set(LiveViews())
        if current_model.value is None:
            current_model.set(new_model())

    solara.use_memo(first_render, [])
    solara.Style(CSS)
    solara.Title(t(language.value, "title"))
    PlayLoop()
    with solara.Div(classes=["samskabelse-page"]):
        TopBar()
        SideCards()
        MainView()


page = Page

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

import ctypes
import gc
import sys
import threading

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

    def release_on_close():
        # the page is closed (its session culled): free its model
        def release() -> None:
            model = current_model.value
            if model is not None:
                model.release()

        return release

    solara.use_effect(release_on_close, [])
    solara.Style(CSS)
    solara.Title(t(language.value, "title"))
    PlayLoop()
    with solara.Div(classes=["samskabelse-page"]):
        TopBar()
        SideCards()
        MainView()


page = Page

#: Seconds between two returns of freed memory to the system (see :func:`return_freed_memory`).
MEMORY_RETURN_INTERVAL = 30.0


def return_freed_memory() -> None:
    """Give memory freed by closed sessions back to the operating system (glibc's ``malloc_trim``).

    Solara frees a closed page's session after its culling time, but the C allocator keeps the
    freed memory for reuse, so the server's resident size would stay at its peak for the day.
    Linux with glibc only; elsewhere nothing happens.
    """
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass


def _keep_returning_freed_memory() -> None:
    stop = threading.Event()
    while not stop.wait(MEMORY_RETURN_INTERVAL):
        return_freed_memory()


# one thread per server process (this module is imported once by `solara run`)
threading.Thread(target=_keep_returning_freed_memory, name="return-freed-memory", daemon=True).start()

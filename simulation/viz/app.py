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
import os
import signal
import sys
import threading
import time

import solara

from simulation.viz.components import CSS, LiveViews, MainView, PlayLoop, SideCards, TopBar, new_model
from simulation.viz.server import RESTART_IDLE_ENV
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


class IdleWorker:
    """When a worker of :mod:`simulation.viz.server` should end itself so that a fresh one takes its place.

    Only a worker that has served at least one page, and then held no session and no open
    connection for ``limit`` seconds without a break: a class's memory is then given back whole
    (the supervisor starts a fresh worker), while a worker between two page loads is left alone.
    ``limit`` None (a plain ``solara run``, where nobody would start a new one): never.
    """

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.idle_since: float | None = None

    def should_end(self, now: float, served: bool, sessions: int, connections: int) -> bool:
        """Whether to end now, given what the worker holds at time ``now`` (seconds)."""
        if self.limit is None or not served or sessions or connections:
            self.idle_since = None
            return False
        if self.idle_since is None:
            self.idle_since = now
        return now - self.idle_since >= self.limit


def idle_limit_from_environment() -> float | None:
    """Seconds after which an idle worker ends (set by :mod:`simulation.viz.server`), None when not set."""
    value = os.environ.get(RESTART_IDLE_ENV)
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _worker_state() -> tuple[bool, int, int]:
    """(has served a page, sessions held, websockets open or opening) of this process, from Solara's server."""
    from solara.server import kernel_context
    from solara.server.starlette import WebsocketDebugInfo

    with WebsocketDebugInfo.lock:
        served = WebsocketDebugInfo.attempts > 0
        connections = WebsocketDebugInfo.open + WebsocketDebugInfo.connecting
    return served, len(kernel_context.contexts), connections


def _look_after_memory() -> None:
    idle = IdleWorker(idle_limit_from_environment())
    tick = MEMORY_RETURN_INTERVAL if idle.limit is None else max(0.5, min(MEMORY_RETURN_INTERVAL, idle.limit / 4))
    last_return = time.monotonic()
    stop = threading.Event()
    while not stop.wait(tick):
        now = time.monotonic()
        if now - last_return >= MEMORY_RETURN_INTERVAL:
            return_freed_memory()
            last_return = now
        if idle.limit is not None and idle.should_end(now, *_worker_state()):
            os.kill(os.getpid(), signal.SIGTERM)  # uvicorn ends the worker gracefully; its supervisor starts a fresh one
            return


# one thread per server process (this module is imported once per process by `solara run` or a worker)
threading.Thread(target=_look_after_memory, name="look-after-memory", daemon=True).start()

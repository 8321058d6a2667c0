"""The model as the browser page runs it: the session's start settings, a browser-sized population.

Mesa's Reset builds the next model from the page's "Model Parameters" card alone (seed and
population); the scenario, mode and levers come from the session's start settings
(:data:`simulation.viz.state.start_settings`). The model is locked while it steps, so a picture
drawn in another thread never reads a half-updated state.
"""

from __future__ import annotations

import threading
from typing import Any

from simulation.core.model import CoCreationModel
from simulation.viz.settings import BROWSER_CITIZENS, StartSettings, browser_parameters
from simulation.viz.state import start_settings


class BrowserModel(CoCreationModel):
    """The model as the browser page runs it: start settings, a browser-sized population.

    Mesa's Reset button builds a new model as ``type(model)(**model_params)``, with the seed
    and population from the "Model Parameters" card; the scenario and levers come from the
    page's start settings (the session's :data:`simulation.viz.state.start_settings` unless
    given).

    Args:
        seed: root seed; a string from a text box is converted, an invalid one replaced by 1
            with a notice shown on the page.
        n_citizens: number of citizens; associations and staff scale with it.
        settings: the start settings; default: those chosen on the page.
    """

    def __init__(self, seed: Any = 1, n_citizens: Any = BROWSER_CITIZENS, settings: StartSettings | None = None) -> None:
        if settings is None:
            settings = start_settings.value
        parameters, notices = browser_parameters(settings, seed, n_citizens)
        #: Held while the model changes, and by the pictures while they read its state: with
        #: Mesa's "Use Threads" the page draws in one thread while another steps the model.
        self.lock = threading.RLock()
        super().__init__(parameters=parameters)
        self.start_settings = settings
        self.notices = notices

    def step(self) -> None:
        """One month, with the state locked against a picture being drawn at the same time (none once released)."""
        with self.lock:
            if not self.released:
                super().step()

    #: Set by :meth:`release`: the model no longer steps.
    released = False

    def release(self) -> None:
        """Stop this model for good once the page is done with it (a Reset, a closed page).

        A play thread still holding it steps no further, and its agents are let go at once. (Until
        the core kept its citizens' agents in a numpy object array, which Python's cycle collector
        cannot look into, this was what let a model be freed at all.)
        """
        with self.lock:
            self.released = True
            self.running = False
            self.citizen_agents = None

    def set_lever(self, name: str, value: Any) -> None:
        """Change a lever now (the page's live control), under the model's lock."""
        with self.lock:
            super().set_lever(name, value)

"""The page's per-session state (Solara reactive variables).

A module-level ``solara.reactive`` holds one value per browser session, so two people on a
classroom network each have their own model, settings and kept runs. Defaults are immutable,
hence safe to share.
"""

from __future__ import annotations

import solara

from simulation.viz.settings import BROWSER_CITIZENS, StartSettings

#: What the next run (Reset) starts from: scenario, governance mode, lever overrides.
start_settings: solara.Reactive[StartSettings] = solara.reactive(StartSettings())

#: Language of every text on the page ("en" or "da"); also in the address (``?lang=da``).
language: solara.Reactive[str] = solara.reactive("en")

#: The seed and the number of citizens the next run (Reset) uses, as typed.
seed_text: solara.Reactive[str] = solara.reactive("1")
citizens: solara.Reactive[int] = solara.reactive(BROWSER_CITIZENS)

#: The running model of this session (None until the page first builds one).
current_model = solara.reactive(None)

#: Whether ▶ is playing, and how many months a second it plays.
playing: solara.Reactive[bool] = solara.reactive(False)
speed: solara.Reactive[int] = solara.reactive(4)

#: Grows at every change of the running model (a step, a live lever): what the pictures redraw on.
tick: solara.Reactive[int] = solara.reactive(0)

#: Grows when a lever of the running model changes (live), and whether the run has reached its end:
#: what the cards that do not follow every month redraw on.
lever_version: solara.Reactive[int] = solara.reactive(0)
run_over: solara.Reactive[bool] = solara.reactive(False)

#: Earlier runs of this session kept on the plots (RunRecord, newest last), and how many runs were started.
kept_runs: solara.Reactive[tuple] = solara.reactive(())
run_number: solara.Reactive[int] = solara.reactive(1)

#: The extra indicator shown in its own panel ("" for none).
extra_indicator: solara.Reactive[str] = solara.reactive("")

#: The widgets the play loop updates directly each month (a components.LiveViews, made by the page).
live_views = solara.reactive(None)

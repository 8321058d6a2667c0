"""The page's per-session state (Solara reactive variables).

A module-level ``solara.reactive`` holds one value per browser session, so two people on a
classroom network each have their own settings. Defaults are immutable, hence safe to share.
"""

from __future__ import annotations

import solara

from simulation.viz.settings import StartSettings

#: What the next run (Mesa's Reset) starts from: scenario, governance mode, lever overrides.
start_settings: solara.Reactive[StartSettings] = solara.reactive(StartSettings())

#: Language of the explanation, the plots and the page's own labels ("en" or "da").
language: solara.Reactive[str] = solara.reactive("en")

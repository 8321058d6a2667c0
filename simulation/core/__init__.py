"""The model core: parameters, network, state, the eleven processes, indicators, agents and the model.

Declared once each: every parameter (``parameters.py``), the order of the processes
(``processes.PROCESSES``), every indicator (``indicators.INDICATOR_RECORDS``). How the agents
are registered with Mesa lives in ``mesa_bridge.py`` alone.

Imports nothing from the experiment machinery, the report, the command line or the page.
"""

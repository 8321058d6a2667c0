"""The model core: parameters, network, state, the ten processes, indicators, agents and the model.

Imports nothing from the experiment machinery, the report, the command line or the page.
"""

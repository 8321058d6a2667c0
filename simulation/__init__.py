"""Samskabelse: an agent-based model of co-creation between a municipality and civil society."""

from simulation.core.model import CoCreationModel
from simulation.core.parameters import GOVERNANCE_MODES, ParameterError, Parameters, make_parameters

__all__ = ["CoCreationModel", "GOVERNANCE_MODES", "ParameterError", "Parameters", "make_parameters"]
__version__ = "0.1.0"

"""Samskabelse: an agent-based model of co-creation between a municipality and civil society."""

from .model import CoCreationModel
from .parameters import GOVERNANCE_MODES, ParameterError, Parameters, make_parameters

__all__ = ["CoCreationModel", "GOVERNANCE_MODES", "ParameterError", "Parameters", "make_parameters"]
__version__ = "0.1.0"

"""Samskabelse: an agent-based model of co-creation between a municipality and civil society.

``from simulation import CoCreationModel`` is the way in. The names below are imported on first
use (PEP 562), so ``import simulation`` is instant and a command-line tool can catch a Ctrl-C
while the model's libraries (Mesa, pandas) load instead of printing a traceback.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    "CoCreationModel": "simulation.core.model",
    "GOVERNANCE_MODES": "simulation.core.parameters",
    "ParameterError": "simulation.errors",
    "Parameters": "simulation.core.parameters",
    "make_parameters": "simulation.core.parameters",
}

__all__ = ["CoCreationModel", "GOVERNANCE_MODES", "ParameterError", "Parameters", "make_parameters"]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from simulation.core.model import CoCreationModel
    from simulation.core.parameters import GOVERNANCE_MODES, Parameters, make_parameters
    from simulation.errors import ParameterError


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))

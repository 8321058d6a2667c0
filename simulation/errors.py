"""Errors and message helpers shared by every layer of the package.

The lowest layer: it imports nothing from the package, so the model core, the experiment
machinery, the report, the command line and the page can all raise and phrase errors the
same way. A command-line call that meets one of these errors prints its message and exits
with status 2; it never shows a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class ParameterError(ValueError):
    """A parameter name or value is not valid; the message names both and what is allowed."""


class InputError(Exception):
    """Bad user input (a file, a name, a value): the message says where and what is allowed."""


def suggest(name: str, names: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``names`` to a misspelt ``name``, else ``""``."""
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def display(path: Path) -> str:
    """A path as a user would type it: relative to the working folder when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

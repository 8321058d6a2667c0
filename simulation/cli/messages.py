"""How the command speaks: exit statuses, results on stdout, errors and notes on stderr.

Standard library only, so :func:`simulation.cli.main` can report a Ctrl-C that comes while
the model's libraries are still loading.
"""

from __future__ import annotations

import signal
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

EXIT_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130

#: Signals that stop a long command as Ctrl-C does: ``kill`` (a batch system, a service
#: manager, a teacher's script) and a closed terminal.
STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None)


def say(text: str = "") -> None:
    """A line of output on stdout, shown at once."""
    print(text, flush=True)


def error(text: str, prefix: str = "error") -> None:
    """``samskabelse: PREFIX: text`` on stderr, wrapped to 100 columns as one paragraph."""
    body = textwrap.fill(text, width=100, break_long_words=False, break_on_hyphens=False, subsequent_indent="  ")
    print(f"samskabelse: {prefix}: {body}", file=sys.stderr, flush=True)


def wrap(text: str, indent: str = "  ") -> str:
    """``text`` as an indented paragraph of at most 96 columns."""
    return textwrap.fill(" ".join(text.split()), width=96, initial_indent=indent, subsequent_indent=indent)


@contextmanager
def stop_signals_as_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP act as Ctrl-C does (they raise ``KeyboardInterrupt``).

    So a sweep saves what is done, and ``samskabelse viz`` ends its server, whether it is
    stopped with Ctrl-C, with ``kill`` or by closing its terminal.
    """

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

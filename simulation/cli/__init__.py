"""The ``samskabelse`` command: run scenarios, sweep levers, report, show parameters, serve the page.

Every command is documented in ``docs/cli.md``; ``samskabelse COMMAND --help`` gives the
options. Bad input ends with a one-paragraph message naming the file and key at fault and exit
status 2, never a traceback; existing results are left untouched.

- :mod:`simulation.cli.parser`: the one argument parser and the dispatch (exit statuses).
- :mod:`simulation.cli.commands`: run, scenarios, show, params, plot, viz.
- :mod:`simulation.cli.experiments`: sweep, report, sensitivity (many runs on one executor).
- :mod:`simulation.cli.calibration`: calibrate and predict (calibration to Europe, out-of-sample prediction).
- :mod:`simulation.cli.messages`: output, errors, exit statuses, stop signals.
"""

from __future__ import annotations

from simulation.cli.messages import EXIT_INTERRUPTED, error


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``samskabelse`` and ``python -m simulation``; returns the exit status."""
    try:
        # Imported here, not at the top: loading numpy, pandas, matplotlib and Mesa takes
        # seconds, and a Ctrl-C meanwhile must end with one line, not a traceback.
        from simulation.cli.parser import run
    except KeyboardInterrupt:
        error("interrupted.", prefix="stopped")
        return EXIT_INTERRUPTED
    return run(argv)


__all__ = ["main"]

"""``python -m simulation``: the ``samskabelse`` command (the same parser and commands)."""

import sys

from simulation.cli import main

if __name__ == "__main__":
    sys.exit(main())

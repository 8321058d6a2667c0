"""Shared fixtures: the installed ``samskabelse`` command, run as a user types it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

#: The console script installed next to this interpreter (``pip install -e .``).
SAMSKABELSE = Path(sys.executable).parent / "samskabelse"


def run_cli(*args, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``samskabelse ARGS`` in ``cwd`` and return the finished process (text output)."""
    if not SAMSKABELSE.exists():
        pytest.fail(f"{SAMSKABELSE} is missing: install the package with `pip install -e .` first")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SAMSKABELSE_")}
    full_env["MPLBACKEND"] = "Agg"
    full_env.update(env or {})
    return subprocess.run([str(SAMSKABELSE), *map(str, args)], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout, check=False)


@pytest.fixture
def cli(tmp_path):
    """``cli(*args, env=None)``: run the installed command in a fresh temporary folder."""

    def run(*args, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120):
        return run_cli(*args, cwd=cwd or tmp_path, env=env, timeout=timeout)

    return run


def live_processes_in_group(pgid: int) -> list[int]:
    """Processes of a process group that are still running (zombies awaiting their reaper do not count)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(int(stat.parent.name))
    return live


def default_signals() -> None:
    """In a child: Ctrl-C and the other signals back to their defaults, as a terminal gives them."""
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


@contextmanager
def own_process_group(args: list[str], **popen_kwargs):
    """Start ``args`` as the leader of a new process group; kill whatever of the group is left at the end.

    Ctrl-C and the other signals are set back to their defaults in the child, as in a terminal: a test
    run started in the background by a shell without job control (``cmd &`` in a script) ignores SIGINT,
    and a child would inherit that, so a Ctrl-C test would see the command finish instead of stop.
    """
    proc = subprocess.Popen(args, start_new_session=True, preexec_fn=default_signals, **popen_kwargs)
    try:
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def signal_and_wait_for_group(proc: subprocess.Popen, sig: int, timeout: float = 20.0) -> list[int]:
    """Send ``sig`` to a group leader, wait for it and its group to end; return the processes still running."""
    proc.send_signal(sig)
    proc.wait(timeout=timeout)
    deadline = time.monotonic() + timeout
    while live_processes_in_group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return live_processes_in_group(proc.pid)

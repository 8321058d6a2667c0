"""The interactive browser page (Solara, with the model in Mesa), for exploration and teaching.

Start it with ``samskabelse viz`` or :func:`serve` (one or more server processes, see
:mod:`simulation.viz.server`); ``solara run simulation/viz/app.py`` also works (one process). Needs the optional browser stack: ``pip install -e ".[viz]"``.

This package's ``__init__`` imports neither Solara nor matplotlib, so the command line can
say clearly what is missing instead of failing on import.
"""

from __future__ import annotations

import ctypes
import importlib.util
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

#: The file ``solara run`` serves.
APP_FILE = Path(__file__).with_name("app.py")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

#: What the browser stack needs (the ``viz`` extra).
REQUIRED_MODULES = ("solara", "ipyvuetify", "ipyvue", "matplotlib")


def missing_modules() -> list[str]:
    """The modules of the browser stack that are not installed."""
    return [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_address() -> str | None:
    """The computer's address on its local network, best effort (no packet is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))  # UDP connect only picks a route
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def default_workers(host: str) -> int:
    """Server processes when ``--workers`` is not given: one for this machine alone, every core for a class.

    Each process holds one core's worth of sessions (about 80 months a second for all of them)
    and starts with about 190 MB; one is plenty for one person, a class on the network needs
    them all (see README, "How many students one computer serves").
    """
    return 1 if is_loopback(host) else max(1, os.cpu_count() or 1)


def server_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, workers: int = 1,
                   restart_idle_after: float | None = None) -> list[str]:
    """The command line that serves the page (:mod:`simulation.viz.server`) with ``workers`` processes.

    ``restart_idle_after``: seconds after which a worker left without sessions is replaced by a
    fresh one (default :data:`simulation.viz.server.RESTART_IDLE_WORKER_AFTER`).
    """
    command = [sys.executable, "-m", "simulation.viz.server", "--host", host, "--port", str(int(port)), "--workers", str(int(workers))]
    if restart_idle_after is not None:
        command += ["--restart-idle-after", f"{restart_idle_after:g}"]
    return command


#: How long the server keeps a closed page's session (its model and kept runs) before freeing it.
#: Solara's default is 24 hours: a class of 30 reloading pages would hold about a gigabyte all day.
#: A page that reconnects within this time (a tablet waking up) finds its run again.
SESSION_KEPT_AFTER_CLOSE = "5m"


def server_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the server: no usage telemetry, matplotlib without a display, sessions freed soon after closing.

    ``SOLARA_KERNEL_CULL_TIMEOUT`` set by the user (e.g. ``2m`` or ``1h``) wins over
    :data:`SESSION_KEPT_AFTER_CLOSE`.
    """
    env = dict(os.environ if base is None else base)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # solara reports usage to a web service by default
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", SESSION_KEPT_AFTER_CLOSE)
    env.setdefault("MPLBACKEND", "Agg")
    # solara warns at every page load over plain http on 127.0.0.1 about iframe cookies,
    # which do not concern a local page
    quiet = "ignore:Cookies with samesite=none require https"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), quiet) if w)
    return env


#: ``prctl`` option: the signal a process gets when its parent dies (Linux, <sys/prctl.h>).
PR_SET_PDEATHSIG = 1


def end_with_this_process() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes a child process end when this process dies, however it dies.

    Ctrl-C, ``kill`` and a closed terminal reach ``serve``, which ends the server itself; but
    nothing runs in a process killed with ``kill -9`` (or by the out-of-memory killer), and its
    server would go on listening on the port. On Linux the child asks the kernel for SIGKILL
    when its parent dies (``prctl(PR_SET_PDEATHSIG)``, kept across the ``exec`` of the server).
    Elsewhere: None (no such call).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up now: after fork only the call itself runs
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def ask_for_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return ask_for_death_signal


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, workers: int | None = None) -> int:
    """Serve the page until interrupted; returns the server's exit status.

    Listens on 127.0.0.1 unless ``host`` says otherwise. Any other host makes the model
    reachable from the network (e.g. a classroom), so a warning is printed.

    Args:
        host: address to listen on; ``0.0.0.0`` shares the page on every network interface.
        port: TCP port.
        workers: server processes (each uses one core); default :func:`default_workers`.

    Returns:
        The exit status of the server (0 after Ctrl-C), or 1 when the browser stack is
        missing.
    """
    missing = missing_modules()
    if missing:
        print(
            f"The browser model needs the 'viz' extra ({', '.join(missing)} not installed).\n"
            '    pip install -e ".[viz]"',
            file=sys.stderr,
        )
        return 1
    workers = default_workers(host) if workers is None else workers
    shown = f"[{host}]" if ":" in host else host
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else shown
    processes = "1 server process" if workers == 1 else f"{workers} server processes"
    print(f"Samskabelse browser model: http://{local}:{port}/  ({processes}; Ctrl-C stops it)", flush=True)
    if not is_loopback(host):
        print(
            f"WARNING: listening on {host}, not only on this machine: anyone who can reach this computer "
            f"on port {port} can open the model. Use this on a classroom network on purpose only.",
            file=sys.stderr,
            flush=True,
        )
        if host in ("0.0.0.0", "::"):
            print(f"Others open http://{lan_address() or '<this computer’s address>'}:{port}/", flush=True)
    try:
        # on Ctrl-C (or SIGTERM or SIGHUP, which `samskabelse viz` turns into one), subprocess.call
        # ends the Solara child before re-raising; after `kill -9` the kernel ends it (see
        # end_with_this_process), so nothing is left listening on the port
        return subprocess.call(server_command(host, port, workers), env=server_env(), preexec_fn=end_with_this_process())
    except KeyboardInterrupt:
        return 0


__all__ = ["APP_FILE", "DEFAULT_HOST", "DEFAULT_PORT", "default_workers", "end_with_this_process", "is_loopback", "missing_modules",
           "serve", "server_command", "server_env"]

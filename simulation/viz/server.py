"""The page's server: one or more worker processes behind one port, each worker restarted when idle.

    python -m simulation.viz.server --host 127.0.0.1 --port 8765 --workers 2

(``samskabelse viz`` starts it; see :func:`simulation.viz.serve`.) Why not ``solara run``:

* **More than one core.** A Solara server is one Python process: its sessions take turns on one
  core (the interpreter lock), about 80 months a second for a whole class. ``solara run --workers``
  is accepted but ignored (it starts one ``uvicorn.Server``). Here uvicorn's own supervisor starts
  ``--workers`` processes that accept connections on the one listening socket. No proxy is needed
  to keep a student on one process: a page's session lives on its websocket, one long connection,
  and Solara makes the session on the process that accepts it. A page that has to reconnect (a
  tablet waking up after the session was freed, or on another process) starts afresh, as it would
  after the session's culling time with one process.
* **Memory back after a class.** A worker that has served sessions and then had none for
  :data:`RESTART_IDLE_WORKER_AFTER` seconds ends itself (see ``simulation.viz.app``); the
  supervisor starts a fresh one in its place. The memory a class left behind in the allocator's
  arenas (about 4 MB a student) is then returned whole. Connections that arrive while the fresh
  worker starts wait in the listening socket's queue (or go to another worker).

Each worker also asks the kernel to end it when the supervisor dies, however it dies
(``PR_SET_PDEATHSIG``, as :func:`simulation.viz.end_with_this_process` does for the supervisor),
so nothing is left listening after ``kill -9``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

#: Seconds a worker that has served sessions must have had none before it is replaced by a fresh
#: one (its memory returned). Sessions themselves are kept for ``SOLARA_KERNEL_CULL_TIMEOUT`` after
#: their page closes; this comes after that. Environment: :data:`RESTART_IDLE_ENV`.
RESTART_IDLE_WORKER_AFTER = 60.0

#: The environment variable through which the supervisor tells its workers when to end themselves
#: when idle (seconds). Unset (as under a plain ``solara run``, which would not start a new one): never.
RESTART_IDLE_ENV = "SAMSKABELSE_RESTART_IDLE_WORKER_AFTER"

def worker_app():
    """The ASGI app of one worker (uvicorn calls this in each worker process): Solara's, serving the page.

    First asks the kernel to end this worker when its supervisor dies; a worker whose supervisor
    died while it was starting (before the request could take effect) ends at once.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import multiprocessing

        from simulation.viz import PR_SET_PDEATHSIG

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
        except (OSError, AttributeError):
            pass
        supervisor = multiprocessing.parent_process()
        if supervisor is not None and os.getppid() != supervisor.pid:
            os._exit(1)
    from solara.server.starlette import app

    return app


def worker_env(app_file: str, restart_idle_after: float) -> dict[str, str]:
    """What the workers read from the environment: the page to serve, production mode, when to end when idle."""
    return {"SOLARA_APP": app_file, "SOLARA_MODE": "production", RESTART_IDLE_ENV: f"{restart_idle_after:g}"}


def run(host: str, port: int, workers: int, restart_idle_after: float = RESTART_IDLE_WORKER_AFTER) -> None:
    """Serve the page with ``workers`` processes until SIGINT/SIGTERM (uvicorn's supervisor, also for one worker)."""
    import uvicorn  # not Solara: the supervisor only starts workers, so it stays small (~30 MB)
    from uvicorn.supervisors import Multiprocess

    from simulation.viz import APP_FILE

    os.environ.update(worker_env(str(APP_FILE), restart_idle_after))
    config = uvicorn.Config("simulation.viz.server:worker_app", factory=True, host=host, port=port, workers=workers,
                            log_level="warning")
    sock = config.bind_socket()
    Multiprocess(config, sockets=[sock]).run()


def main(argv: list[str] | None = None) -> int:
    """Command line of the supervisor (``samskabelse viz`` checks the values before it starts this)."""
    ap = argparse.ArgumentParser(prog="python -m simulation.viz.server", description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--restart-idle-after", type=float, default=RESTART_IDLE_WORKER_AFTER)
    args = ap.parse_args(argv)
    run(args.host, args.port, args.workers, args.restart_idle_after)
    return 0


if __name__ == "__main__":
    sys.exit(main())

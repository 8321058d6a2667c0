"""Where runs are executed: a local process pool or a Dask cluster, set up one way for every tool.

:func:`make_executor` is the one set-up that ``samskabelse sweep``, ``samskabelse report`` and
the sensitivity analysis use::

    with make_executor(workers=None, scheduler=None, connect_timeout=5.0) as ex:
        run_sweep(design, out_dir, ex.executor, workers=ex.workers, executor_label=ex.label)

Without a scheduler it is a process pool of this machine's cores (or ``workers``); with one
it is a ``concurrent.futures`` executor on that Dask cluster. Either is closed on leaving the
``with`` block. A run's result depends only on its parameters and seed, so every executor
gives the same results.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from simulation.errors import InputError

#: Modules the local pool's fork server imports once, so that workers start in milliseconds.
PRELOAD = ["simulation.experiment.sweeps", "simulation.core.model"]


@dataclasses.dataclass
class ExecutorHandle:
    """An executor ready for :func:`~simulation.experiment.sweeps.run_sweep`, and what to call it.

    Attributes:
        executor: the ``concurrent.futures`` executor runs are submitted to.
        workers: how many runs it runs at once (sizes the batches).
        label: how a manifest names it.
        client: the Dask client, or None for a local pool.
    """

    executor: cf.Executor
    workers: int
    label: str
    client: Any = None


@contextlib.contextmanager
def make_executor(workers: int | None = None, scheduler: str | None = None, connect_timeout: float = 5.0) -> Iterator[ExecutorHandle]:
    """A local process pool (no ``scheduler``) or a Dask executor, closed when the block ends.

    Args:
        workers: processes of the local pool (default: all cores); with a scheduler, the
            number of runs in flight used to size batches (default: the cluster's threads).
        scheduler: address of a Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
        connect_timeout: seconds to wait for the scheduler.

    Raises:
        InputError: ``workers`` below 1, a bad or unreachable scheduler, or a timeout that is
            not a finite number above 0.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(f"--workers {workers}: expected a whole number of 1 or more.")
    if scheduler is None:
        n = workers or available_cores()
        pool = local_executor(n)
        try:
            yield ExecutorHandle(pool, n, f"local process pool, {n} worker{'s' if n != 1 else ''}")
        finally:
            # wait: a worker still starting would otherwise find the pool's semaphores gone and print a traceback
            try:
                pool.shutdown(wait=True, cancel_futures=True)
            except KeyboardInterrupt:  # Ctrl-C while waiting: stop waiting (how the work ended is already being reported)
                pool.shutdown(wait=False, cancel_futures=True)
        return
    client, executor = dask_executor(scheduler, timeout=connect_timeout)
    try:
        threads = client.nthreads()
        n_threads = sum(threads.values()) or 1
        label = f"dask scheduler {scheduler} ({len(threads)} workers, {n_threads} threads)"
        yield ExecutorHandle(executor, workers or n_threads, label, client)
    finally:
        try:
            client.close(timeout=5)
        except Exception:  # noqa: BLE001 - closing a client must not hide the real outcome
            pass


def check_timeout(value: Any, option: str = "--connect-timeout") -> float:
    """A timeout in seconds: a finite number above 0 (``inf`` or ``nan`` would overflow later).

    Raises:
        InputError: naming ``option`` and the value.
    """
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not math.isfinite(seconds) or not 0 < seconds <= 24 * 3600:
        raise InputError(f"{option} {value}: expected a number of seconds above 0 and at most 86400.")
    return seconds


def _worker_init() -> None:
    """Set up a worker: leave Ctrl-C to the main process, and end if the main process dies.

    Ctrl-C reaches every process of the terminal's group; the main process alone stops the
    sweep cleanly. A main process that is killed outright (``kill -9``) cannot tell its
    workers, which would wait for work forever; each worker watches multiprocessing's
    parent sentinel (a pipe only the main process holds open) and ends when it closes.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="watch-main-process", daemon=True).start()


def local_executor(workers: int | None = None) -> cf.ProcessPoolExecutor:
    """A process pool of ``workers`` (default: all cores) that ignores Ctrl-C in its workers.

    Workers are forked from multiprocessing's fork server, which has imported the model
    once, so a pool starts in milliseconds rather than the ~0.8 s of importing numpy, scipy
    and Mesa afresh in every worker (``spawn``, the fallback where there is no fork server).
    Each worker ends if the main process dies (see :func:`_worker_init`).

    The fork server is started with Ctrl-C (SIGINT) ignored, which it keeps across ``exec``
    and hands on to every worker it forks: a Ctrl-C while it imports the model or while a
    worker starts reaches only the main process, which stops the sweep cleanly, instead of
    printing a ``KeyboardInterrupt`` traceback from a process the user never started.
    """
    workers = workers or available_cores()
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        _start_fork_server_without_ctrl_c()
    else:
        ctx = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)


def _start_fork_server_without_ctrl_c() -> None:
    """Start multiprocessing's fork server (if it is not running) with SIGINT ignored."""
    import multiprocessing.forkserver

    if threading.current_thread() is not threading.main_thread():  # signal handlers can be set in the main thread only
        multiprocessing.forkserver.ensure_running()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def available_cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def dask_executor(address: str, timeout: float = 5.0):
    """A ``concurrent.futures`` executor on a Dask cluster, and its client (close it when done).

    Raises:
        InputError: dask.distributed is not installed, the scheduler cannot be reached, or
            ``timeout`` is not a finite number of seconds above 0.
    """
    timeout = check_timeout(timeout)
    try:
        from distributed import Client
    except ImportError:
        raise InputError(f"--scheduler {address}: running on a Dask cluster needs dask.distributed; install it with "
                         "pip install -e \".[dask]\" (or pip install \"dask[distributed]\").") from None
    from distributed.comm.registry import backends

    host, port = _scheduler_host_port(address, sorted(backends))
    def unreachable(reason: str) -> str:
        return (f"--scheduler {address}: could not reach a Dask scheduler there within {timeout:g} s ({reason}). "
                "Check the address (e.g. tcp://host:8786) and that the scheduler is running; "
                "leave out --scheduler to run on this machine's cores.")

    if host is not None:  # a plain TCP test first, so that no half-made Client is left to complain at exit
        import socket

        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise InputError(unreachable(reason)) from None
        # something listens there; a Client would wait forever for a peer that never answers, so ask first
        kind = _ask_identity(address, timeout)
        if kind != "Scheduler":
            _collect_quietly()
            raise InputError(unreachable("something listens there but does not answer as a Dask scheduler" if kind is None
                                         else f"that is a Dask {kind.lower()}, not the scheduler"))
    failure = None
    try:
        client = Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        failure = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if failure is not None:
        _collect_quietly()  # the half-made Client's __del__ would print "Exception ignored ..." at exit
        raise InputError(unreachable(failure))
    return client, client.get_executor(pure=False)


def _scheduler_host_port(address: str, schemes: Sequence[str]) -> tuple[str | None, int | None]:
    """Host and port of a scheduler address ``[SCHEME://]HOST:PORT``; (None, None) for non-TCP schemes.

    Raises:
        InputError: not an address of that form (no port, a port that is not a number, ...).
    """
    from urllib.parse import urlsplit

    example = "expected SCHEME://HOST:PORT, e.g. tcp://10.0.0.5:8786"
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", address.strip()
    if scheme not in schemes:
        raise InputError(f"--scheduler {address}: unknown scheme {scheme!r}; {example} (schemes: {', '.join(schemes)}).")
    if scheme not in ("tcp", "tls", "ws", "wss"):
        return None, None
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        host = parts.hostname
    except ValueError:
        raise InputError(f"--scheduler {address}: not a scheduler address; {example}.") from None
    if not host or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InputError(f"--scheduler {address}: not a scheduler address; {example}.")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        raise InputError(f"--scheduler {address}: the port is missing; {example} (a Dask scheduler listens on 8786 "
                         "unless told otherwise).")
    if not 1 <= port <= 65535:
        raise InputError(f"--scheduler {address}: the port is not a number from 1 to 65535; {example}.")
    return host, port


def _ask_identity(address: str, timeout: float) -> str | None:
    """The ``type`` a Dask server at ``address`` gives for itself (``Scheduler``, ``Worker``), or None if none answers in time."""
    import asyncio

    from distributed.core import rpc

    async def ask() -> Any:
        remote = rpc(address, timeout=timeout)
        try:
            return await remote.identity()
        finally:
            await remote.close_rpc()

    try:
        identity = asyncio.run(asyncio.wait_for(ask(), timeout))
    except RuntimeError as exc:
        if "running event loop" in str(exc):
            return "Scheduler"  # called from inside an event loop: leave the check to the Client
        return None
    except Exception:  # noqa: BLE001 - whatever went wrong, no scheduler answered
        return None
    return identity.get("type") if isinstance(identity, dict) else None


def _collect_quietly() -> None:
    """Collect garbage with "Exception ignored" reports (from ``__del__`` methods) silenced."""
    import gc

    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook



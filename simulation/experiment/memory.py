"""How much memory a run needs, checked before the world is built.

A world is one numpy array per state variable and agent kind (``simulation/core/state.py``),
a Mesa agent object per association and staff member, and the tie list
(``simulation/core/network.py``), whose construction briefly holds about eight int64 or
float arrays per tie drawn. The estimate is linear in those sizes; its coefficients were
measured as the peak resident memory of a run above that of the process before it
(``VmHWM`` in ``/proc/self/status`` before ``CoCreationModel(...)`` and after its last step,
one process per size), for 1,000 to 400,000 citizens, mean degree 2 to 100 and up to 200,000
associations; the estimate lies within about 25 % of every measurement (the test
``test_the_memory_estimate_is_within_a_factor_of_two_of_a_measured_run`` checks a factor of 2).

:func:`check_memory` refuses a run (or a sweep's largest design point times its workers)
that would not fit in the memory this machine has available, so that it ends with a
message instead of a ``MemoryError`` after minutes, and before any output folder is made.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from simulation.errors import InputError

#: Bytes a run needs whatever its size (interpreter-side working memory of the model).
FIXED_BYTES = 8 * 1024 * 1024
#: Bytes per citizen (state arrays, group index, indicator work arrays).
PER_CITIZEN = 520
#: Bytes per unit of ``n_citizens * mean_degree`` (the ties and the arrays that draw them).
PER_TIE_END = 36
#: Bytes per association and per staff member (state rows and the Mesa agent object).
PER_AGENT_OBJECT = 460
#: Bytes per month kept in the results.
PER_STEP = 4 * 1024


def estimate_bytes(parameters: Any) -> int:
    """Peak memory of one run, in bytes, from its sizes.

    Args:
        parameters: :class:`~simulation.core.parameters.Parameters` or a mapping with
            ``n_citizens``, ``mean_degree``, ``n_associations``, ``n_staff`` and ``steps``.
    """
    get = parameters.get if isinstance(parameters, Mapping) else lambda name: getattr(parameters, name)
    n = int(get("n_citizens"))
    return int(FIXED_BYTES + PER_CITIZEN * n + PER_TIE_END * n * float(get("mean_degree"))
               + PER_AGENT_OBJECT * (int(get("n_associations")) + int(get("n_staff"))) + PER_STEP * int(get("steps")))


def machine_memory() -> tuple[int | None, int | None]:
    """(available, total) memory of this machine in bytes; None where it cannot be read."""
    available = total = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("MemAvailable", "MemTotal"):
                    kib = int(value.split()[0]) * 1024
                    if key == "MemAvailable":
                        available = kib
                    else:
                        total = kib
    except (OSError, ValueError, IndexError):
        pass
    if total is None:
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            total = None
    return available, total


def gib(n_bytes: float) -> str:
    """A size in GiB (or MiB below 1 GiB), for messages."""
    return f"{n_bytes / 2**30:,.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:,.0f} MiB"


def check_memory(parameters: Any, workers: int = 1, what: str = "this run") -> int:
    """Refuse a run whose memory (times ``workers`` running at once) exceeds what this machine has available.

    Args:
        parameters: the run's parameters (for a sweep: the largest value of each size over the design).
        workers: runs held in memory at once.
        what: how the message names the run.

    Returns:
        The estimate for all workers together, in bytes.

    Raises:
        InputError: with the estimate and the machine's memory, before anything is built.
    """
    one = estimate_bytes(parameters)
    need = one * max(1, workers)
    available, total = machine_memory()
    limit = available if available is not None else total
    if limit is not None and need > limit:
        get = parameters.get if isinstance(parameters, Mapping) else lambda name: getattr(parameters, name)
        sizes = (f"n_citizens = {int(get('n_citizens')):,}, mean_degree = {float(get('mean_degree')):g}, "
                 f"n_associations = {int(get('n_associations')):,}, n_staff = {int(get('n_staff')):,}")
        times = f" times {workers} workers running at once = {gib(need)}" if workers > 1 else ""
        machine = f"{gib(available)} available of {gib(total)}" if available is not None and total is not None else gib(limit)
        raise InputError(
            f"{what} would need about {gib(one)} of memory ({sizes}){times}, but this machine has {machine}. "
            "Nothing was run. Use fewer citizens or a lower mean_degree"
            + (", or fewer workers (--workers)" if workers > 1 else "") + "."
        )
    return need

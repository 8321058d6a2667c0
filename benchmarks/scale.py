"""How the model scales: build time, time per month, memory, against the cheapest possible step.

    python benchmarks/scale.py                       # 10k ... 650k citizens, 120 months, best of 3
    python benchmarks/scale.py --sizes 10000,100000 --steps 24 --repeats 1
    python benchmarks/scale.py --quick               # a small smoke run (seconds)

Each size runs in a fresh Python process (so peak memory is that run's own) and is repeated
``--repeats`` times; the table shows the fastest repeat (others share this machine).
Associations and staff grow in proportion: one association per 40 citizens and one staff
member per 100 citizens (the model's defaults: 1000 / 25 / 10); mean_degree 10.

Columns:
    citizens, ties          population and ties at the start -> at the end of the run
    build s                 CoCreationModel(...) : population, network, agent views, month 0
    s/step                  mean wall time of one month (ten processes + data collection)
    agent-steps/s           citizens / (s/step)
    total s                 build + all months + model.results(): the "under a minute" figure
    peak MB                 peak resident memory of the process (ru_maxrss)
    spmv ms                 one scipy CSR matrix-vector product with the symmetric tie matrix
                            (mean of the start and end networks, best of 20)
    step/spmv               s/step divided by spmv time
Then the fitted exponent b of s/step ~ size^b (least squares on logs, size = citizens + ties),
and one month plus indicator collection at the browser's default size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (10_000, 30_000, 100_000, 300_000, 650_000)
CITIZENS_PER_ASSOCIATION = 40
CITIZENS_PER_STAFF = 100

TARGETS = {
    "whole_city_seconds": 60.0,   # 650,000 citizens, 120 months, data collection on
    "peak_memory_mb": 4096.0,
    "exponent": 1.1,               # per-step time against citizens + ties, 10k .. 650k
    "spmv_ratio": 30.0,            # at 100,000 citizens
    "browser_step_ms": 50.0,
}


def population(n: int) -> dict[str, int]:
    """Population sizes for ``n`` citizens, associations and staff in proportion."""
    return {
        "n_citizens": n,
        "n_associations": max(1, round(n / CITIZENS_PER_ASSOCIATION)),
        "n_staff": max(1, round(n / CITIZENS_PER_STAFF)),
    }


def tie_matrix(ties):
    """The symmetric tie matrix as scipy CSR."""
    import numpy as np
    import scipy.sparse as sp

    rows = np.concatenate((ties.u, ties.v))
    cols = np.concatenate((ties.v, ties.u))
    return sp.csr_matrix((np.concatenate((ties.w, ties.w)), (rows, cols)), shape=(ties.n, ties.n))


def spmv_seconds(ties, repeats: int = 20) -> float:
    """Best wall time of one CSR matrix-vector product with the tie matrix."""
    import numpy as np

    A = tie_matrix(ties)
    x = np.random.default_rng(0).random(ties.n)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        A @ x
        best = min(best, time.perf_counter() - t)
    return best


def child(n: int, steps: int, seed: int) -> dict:
    """One run at one size, in this (fresh) process; returns its figures."""
    sys.path.insert(0, str(ROOT))
    from simulation import CoCreationModel

    t0 = time.perf_counter()
    model = CoCreationModel(**population(n), mean_degree=10, steps=steps, seed=seed)
    build = time.perf_counter() - t0
    ties_start = len(model.world.ties)
    spmv_start = spmv_seconds(model.world.ties)  # outside the timed span
    t1 = time.perf_counter()
    for _ in range(steps):
        model.step()
    frame = model.results()
    run = time.perf_counter() - t1
    assert len(frame) == steps + 1
    spmv_end = spmv_seconds(model.world.ties)
    return {
        "citizens": n, "steps": steps, "seed": seed, "build_s": build, "run_s": run,
        "total_s": build + run, "step_s": run / steps,
        "ties_start": ties_start, "ties_end": len(model.world.ties),
        "spmv_s": 0.5 * (spmv_start + spmv_end),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def browser_step(steps: int = 120, seed: int = 1) -> dict:
    """One month plus indicator collection at the browser's default size (median and worst, ms)."""
    sys.path.insert(0, str(ROOT))
    from simulation import CoCreationModel

    try:  # the browser's own sizes, where the browser package is present
        from simulation.viz.settings import BROWSER_CITIZENS, browser_population

        sizes = browser_population(BROWSER_CITIZENS)
    except ImportError:
        sizes = {"n_citizens": 300, "n_associations": 8, "n_staff": 4}
    model = CoCreationModel(**sizes, steps=steps, seed=seed)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        model.step()  # the ten processes, compute_indicators and DataCollector.collect
        times.append(time.perf_counter() - t)
    times.sort()
    return {**sizes, "median_ms": 1e3 * times[len(times) // 2], "worst_ms": 1e3 * times[-1], "steps": steps}


def run_child(n: int, steps: int, seed: int) -> dict:
    """Run :func:`child` in a fresh interpreter and return its figures."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n), "--steps", str(steps), "--seed", str(seed)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def fit_exponent(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log y on log x."""
    import numpy as np

    if len(x) < 2:
        return float("nan")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def machine() -> str:
    """Cores, Python, numpy, scipy and Mesa versions of this machine."""
    import mesa
    import numpy as np
    import scipy

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{cores} cores ({platform.processor() or platform.machine()}), Python {platform.python_version()}, "
            f"numpy {np.__version__}, scipy {scipy.__version__}, mesa {mesa.__version__}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table (or, with --child, one run's figures as JSON)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="citizens, comma separated")
    ap.add_argument("--steps", type=int, default=120, help="months per run (default 120)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per size; the fastest is shown (default 3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="smoke run: 2,000 and 5,000 citizens, 5 months, once")
    ap.add_argument("--json", type=Path, help="also write all figures to this JSON file")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--browser-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child is not None:
        print(json.dumps(child(args.child, args.steps, args.seed)))
        return 0
    if args.browser_child:
        print(json.dumps(browser_step(args.steps, args.seed)))
        return 0
    if args.quick:
        args.sizes, args.steps, args.repeats = "2000,5000", 5, 1
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    print(f"Samskabelse scale benchmark, {time.strftime('%Y-%m-%d %H:%M')}; {machine()}")
    print(f"{args.steps} months per run, best of {args.repeats}; one association per {CITIZENS_PER_ASSOCIATION} "
          f"and one staff member per {CITIZENS_PER_STAFF} citizens; mean_degree 10\n")
    head = (f"{'citizens':>9} {'ties (start -> end)':>21} {'build s':>8} {'s/step':>8} {'agent-steps/s':>14} "
            f"{'total s':>8} {'peak MB':>8} {'spmv ms':>8} {'step/spmv':>9}")
    print(head)
    print("-" * len(head))
    rows = []
    for n in sizes:
        runs = [run_child(n, args.steps, args.seed) for _ in range(args.repeats)]
        best = min(runs, key=lambda r: r["total_s"])
        best["peak_mb"] = max(r["peak_mb"] for r in runs)
        best["spmv_s"] = min(r["spmv_s"] for r in runs)
        best["all_total_s"] = [r["total_s"] for r in runs]
        rows.append(best)
        r = best
        print(f"{n:>9,} {r['ties_start']:>10,} -> {r['ties_end']:>9,} {r['build_s']:>8.3f} {r['step_s']:>8.4f} "
              f"{n / r['step_s']:>14,.0f} {r['total_s']:>8.2f} {r['peak_mb']:>8.0f} {1e3 * r['spmv_s']:>8.3f} "
              f"{r['step_s'] / r['spmv_s']:>9.1f}", flush=True)

    size = [r["citizens"] + 0.5 * (r["ties_start"] + r["ties_end"]) for r in rows]
    b_size = fit_exponent(size, [r["step_s"] for r in rows])
    b_cit = fit_exponent([r["citizens"] for r in rows], [r["step_s"] for r in rows])
    print(f"\nfitted exponent of s/step: {b_size:.3f} against citizens + ties, {b_cit:.3f} against citizens "
          f"({min(sizes):,} .. {max(sizes):,})")

    browser = min((json.loads(subprocess.run([sys.executable, __file__, "--browser-child", "--steps", "120"],
                                             check=True, capture_output=True, text=True, cwd=ROOT).stdout.splitlines()[-1])
                   for _ in range(args.repeats)), key=lambda b: b["median_ms"])
    print(f"browser size ({browser['n_citizens']} citizens, {browser['n_associations']} associations, "
          f"{browser['n_staff']} staff): one month + indicator collection {browser['median_ms']:.2f} ms median, "
          f"{browser['worst_ms']:.2f} ms worst of {browser['steps']}")

    print("\ntargets:")
    by_n = {r["citizens"]: r for r in rows}
    verdicts = []
    if 650_000 in by_n and args.steps == 120:
        r = by_n[650_000]
        verdicts.append(("650k citizens x 120 months, total wall", r["total_s"], TARGETS["whole_city_seconds"], "s"))
        verdicts.append(("650k citizens, peak memory", r["peak_mb"], TARGETS["peak_memory_mb"], "MB"))
    if min(sizes) <= 10_000 and max(sizes) >= 650_000:
        verdicts.append(("per-step exponent, 10k .. 650k (citizens + ties)", b_size, TARGETS["exponent"], ""))
    if 100_000 in by_n:
        r = by_n[100_000]
        verdicts.append(("step / spmv at 100k", r["step_s"] / r["spmv_s"], TARGETS["spmv_ratio"], "x"))
    verdicts.append(("browser-size month + indicators (median)", browser["median_ms"], TARGETS["browser_step_ms"], "ms"))
    for name, value, limit, unit in verdicts:
        ok = "met" if value <= limit else "NOT met"
        print(f"  {name:<52} {value:>10.2f} {unit:<3} (target <= {limit:g} {unit}): {ok}")

    if args.json:
        args.json.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "machine": machine(), "steps": args.steps,
                                         "rows": rows, "exponent_size": b_size, "exponent_citizens": b_cit,
                                         "browser": browser}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

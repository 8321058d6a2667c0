"""The benchmark scripts, run tiny as a user would run them, so they never rot.

No timing is asserted here: the targets are measured by the scripts themselves on a quiet
machine (see benchmarks/README.md). What is asserted is that each script runs, prints its
table, and that what it checks holds: the per-agent reference loop gives the model's
numbers, and a sweep gives identical results on 1 and 2 workers and on Dask.
The last test guards the shortcuts the scale depends on: the tie set's kept-up-to-date
degree, bridging mask and row pointers must always equal a recount.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"


def run(script, *args, timeout=240):
    out = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{script} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def test_scale_benchmark_prints_its_table():
    text = run("scale.py", "--quick")
    for column in ("citizens", "ties", "build s", "s/step", "agent-steps/s", "peak MB", "step/spmv"):
        assert column in text
    assert "fitted exponent" in text
    assert "browser size" in text
    rows = [line for line in text.splitlines() if line.strip().startswith(("2,000", "5,000"))]
    assert len(rows) == 2


def test_reference_loop_gives_the_models_numbers():
    text = run("reference_loop.py", "--citizens", "600", "--steps", "3", "--repeats", "1")
    assert "the same numbers" in text  # the script exits non-zero if the two disagree
    assert "per-agent Mesa loop" in text and "x the loop" in text


@pytest.mark.filterwarnings("ignore")
def test_sweep_scaling_runs_on_local_workers_and_dask():
    text = run("sweep_scaling.py", "--runs", "8", "--citizens", "200", "--steps", "3", "--repeats", "1")
    assert "1 worker and 2 workers give identical results: yes" in text
    assert "LocalCluster" in text and "identical results: yes" in text.split("LocalCluster")[1]


def test_tie_caches_equal_a_recount_as_ties_come_and_go():
    from simulation import CoCreationModel

    m = CoCreationModel(n_citizens=1500, n_associations=40, n_staff=15, seed=3,
                        tie_decay=0.05, tie_drop_threshold=0.15, tie_formation_rate=0.3)
    T, g = m.world.ties, m.world.citizens.group
    dropped = added = False
    for _ in range(30):
        before = set(T.keys.tolist())
        m.step()
        after = set(T.keys.tolist())
        dropped |= bool(before - after)
        added |= bool(after - before)
        assert np.array_equal(T.degree(), np.bincount(T.u, minlength=T.n) + np.bincount(T.v, minlength=T.n))
        assert np.array_equal(T.crossing(g), g[T.u] != g[T.v])
        assert np.array_equal(T.crossing_index(g), np.flatnonzero(g[T.u] != g[T.v]))
        assert (np.diff(T.keys) > 0).all()
        x = np.random.default_rng(0).random(T.n)
        assert np.array_equal(T.neighbour_sum(x), np.bincount(T.u, T.w * x[T.v], minlength=T.n) + np.bincount(T.v, T.w * x[T.u], minlength=T.n))
        both = T.neighbour_sum(np.column_stack((x, np.ones(T.n))))
        assert np.array_equal(both[:, 0], T.neighbour_sum(x)) and np.array_equal(both[:, 1], T.strength())
    assert dropped and added

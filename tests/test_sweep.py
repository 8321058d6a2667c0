"""Sweeps: tidy results, resumable after an interruption, identical on a process pool and a Dask cluster."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import socket

import numpy as np
import pandas as pd
import pytest

from simulation.errors import InputError
from simulation.experiment.sweeps import load_experiment, replicate_seeds, run_sweep
from tests.conftest import default_signals, live_processes_in_group, own_process_group, run_cli, signal_and_wait_for_group

DESIGN = """\
description = "tiny test design"
scenario = "denmark"
steps = 4
replicates = 2
root_seed = 11

[parameters]
n_citizens = 100
n_associations = 5

[vary]
steering_intensity = { start = 0.1, stop = 0.9, num = 3 }
governance_mode = ["npm", "npg"]

[keep]
mode = "final"
indicators = ["volunteering_rate", "trust_municipality", "synergy"]
"""
N_RUNS = 3 * 2 * 2


def _err(proc) -> str:
    return " ".join(proc.stderr.split())


def _write(folder, text=DESIGN, name="tiny.toml"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny design run once, uninterrupted, on a local pool of 2 workers."""
    folder = tmp_path_factory.mktemp("reference")
    design = _write(folder)
    proc = run_cli("sweep", design, "--out", folder / "out", "--workers", 2, "--quiet", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return folder / "out", pd.read_csv(folder / "out" / "results.csv")


def test_results_are_tidy_with_levers_seed_and_indicators(reference):
    out, table = reference
    assert list(table.columns) == ["run_id", "steering_intensity", "governance_mode", "replicate", "seed",
                                   "volunteering_rate", "trust_municipality", "synergy"]
    assert list(table["run_id"]) == list(range(N_RUNS))
    assert sorted(table["steering_intensity"].unique()) == [0.1, 0.5, 0.9]
    assert set(table["governance_mode"]) == {"npm", "npg"}
    # replicate r has the same seed at every design point (common random numbers), from SeedSequence(root_seed)
    seeds = replicate_seeds(11, 2)
    assert table.groupby("replicate")["seed"].unique().map(list).tolist() == [[seeds[0]], [seeds[1]]]
    assert not table.isna().any().any()



def test_results_parquet_matches_the_csv_where_pyarrow_is_installed(reference):
    pytest.importorskip("pyarrow")
    out, table = reference
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), table)
    assert not list((out / "runs").glob("*.parquet"))   # per-batch files stay CSV only

def test_output_folder_holds_design_manifest_and_figures(reference):
    out, _ = reference
    design = json.loads((out / "design.json").read_text())
    assert design["n_runs"] == N_RUNS and len(design["design_hash"]) == 64
    assert design["base_parameters"]["n_citizens"] == 100 and design["seeds"] == replicate_seeds(11, 2)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs_done"] == N_RUNS
    assert manifest["sessions"][0]["executor"].startswith("local process pool")
    assert (out / "experiment.toml").read_text() == DESIGN
    for name in ("volunteering_rate", "trust_municipality", "synergy"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 5_000


def test_interrupted_sweep_resumes_to_the_same_table_without_duplicates(reference, tmp_path):
    design = _write(tmp_path)
    out = tmp_path / "out"
    args = ("sweep", design, "--out", out, "--workers", 1, "--batch-size", 2, "--quiet")
    proc = run_cli(*args, cwd=tmp_path, env={"SAMSKABELSE_SWEEP_STOP_AFTER": "4"})
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr
    message = _err(proc)
    assert "runs are saved" in message and "Run the same command again to resume" in message
    saved = pd.concat([pd.read_csv(f) for f in (out / "runs").glob("runs-*.csv")])
    assert 4 <= saved["run_id"].nunique() < N_RUNS
    assert not (out / "results.csv").exists()
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"

    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"{saved['run_id'].nunique()} of {N_RUNS} runs are already saved" in _err(proc)
    table = pd.read_csv(out / "results.csv")
    assert not table["run_id"].duplicated().any()
    pd.testing.assert_frame_equal(table, reference[1])
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 2 and manifest["status"] == "complete"


def test_killed_sweep_resumes_running_only_the_missing_runs(reference, tmp_path):
    design = _write(tmp_path)
    out = tmp_path / "out"
    args = ("sweep", design, "--out", out, "--workers", 1, "--batch-size", 3, "--quiet")
    assert run_cli(*args, cwd=tmp_path).returncode == 0
    # what a killed process leaves: no combined table, a half-written batch, some batches missing
    (out / "results.csv").unlink()
    batches = sorted((out / "runs").glob("runs-*.csv"))
    for f in batches[1:3]:
        f.unlink()
    (out / "runs" / ".runs-0000003-0000005.csv.abc.tmp").write_text("run_id,steer")
    kept = {f.name: f.stat().st_mtime_ns for f in batches[:1] + batches[3:]}
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"running the other {2 * 3}" in _err(proc)
    assert {f.name: f.stat().st_mtime_ns for f in batches[:1] + batches[3:]} == kept   # finished batches untouched
    assert not list((out / "runs").glob(".*.tmp"))
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), reference[1])


def test_same_rows_on_a_dask_cluster(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    design = _write(tmp_path)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                                  scheduler_port=0, dashboard_address=None) as cluster:
        proc = run_cli("sweep", design, "--out", tmp_path / "out", "--scheduler", cluster.scheduler_address, "--quiet",
                       cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out" / "results.csv"), reference[1])
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["sessions"][0]["executor"].startswith("dask scheduler tcp://127.0.0.1:")


def test_an_output_folder_of_a_different_experiment_is_refused_and_untouched(reference, tmp_path):
    out, _ = reference
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    design = _write(tmp_path, DESIGN.replace("replicates = 2", "replicates = 3"))
    proc = run_cli("sweep", design, "--out", out, "--quiet", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    message = _err(proc)
    assert "different experiment" in message and "replicates: 2 -> 3" in message
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_unreachable_scheduler_fails_fast_with_a_message(tmp_path):
    pytest.importorskip("distributed")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    design = _write(tmp_path)
    proc = run_cli("sweep", design, "--out", tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{port}",
                   "--connect-timeout", 1, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "could not reach a Dask scheduler" in _err(proc) and str(port) in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[vary]", "[vary\n"), "line 11"),
        (("steering_intensity = {", "steering_intensty = {"), "did you mean 'steering_intensity'"),
        (("stop = 0.9", "stop = 1.9"), "from 0.0 to 1.0"),
        (('mode = "final"', 'mode = "last"'), "every_step, final, mean_last_k"),
        (('scenario = "denmark"', 'scenario = "danmark"'), "unknown scenario 'danmark'"),
        (('"synergy"]', '"synergie"]'), "did you mean 'synergy'"),
        (("replicates = 2", "replicates = 0"), "replicates"),
        (("replicates = 2", "replicates = 1000000000"), "at most 1,000,000 runs"),
        (("replicates = 2", "replicates = 2.5"), "key 'replicates' = 2.5"),
        (("num = 3", "num = 1000000000000"), "[vary] steering_intensity.num"),
        (("num = 3", "num = 0"), "[vary] steering_intensity.num = 0"),
        (("num = 3", "num = 2.5"), "[vary] steering_intensity.num = 2.5"),
        (('governance_mode = ["npm", "npg"]', "governance_mode = ['npm', 'npg']\nfacilitation = { start = 0.0, stop = 1.0, num = 10000 }\n"
          "quick_results_pressure = { start = 0.0, stop = 1.0, num = 10000 }"), "1,200,000,000 runs"),
        (('"synergy"]', '"synergy", "synergy"]'), "'synergy' is listed more than once"),
        (("n_citizens = 100", 'n_citizens = "100"'), "[parameters] key 'n_citizens' = '100'"),
        (('["npm", "npg"]', '["npm", "npg"]\nlinear_thinking = ["true", false]'), "TOML boolean"),
        (("steps = 4", "steps = 1000000"), "key 'steps' = 1000000"),
    ],
)
def test_bad_experiment_files_name_file_and_key(tmp_path, change, expected):
    design = _write(tmp_path, DESIGN.replace(*change), name="bad.toml")
    proc = run_cli("sweep", design, "--out", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.toml" in _err(proc) and expected in _err(proc)
    assert _err(proc).count("bad.toml") == 1   # the file is named once
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["127.0.0.1", "localhost:notaport", "tcp://127.0.0.1", "tcp://[::1", "nope://host:1"])
def test_a_malformed_scheduler_address_gives_only_a_message(tmp_path, address):
    pytest.importorskip("distributed")
    design = _write(tmp_path)
    proc = run_cli("sweep", design, "--out", tmp_path / "out", "--scheduler", address, "--connect-timeout", 1,
                   cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert f"--scheduler {address}" in _err(proc) and "tcp://10.0.0.5:8786" in _err(proc)
    assert not (tmp_path / "out").exists()


def test_a_port_that_is_not_a_scheduler_gives_only_a_message(tmp_path):
    pytest.importorskip("distributed")
    design = _write(tmp_path)
    with socket.socket() as other:  # something listens there, but it is not a Dask scheduler
        other.bind(("127.0.0.1", 0))
        other.listen(5)
        address = f"tcp://127.0.0.1:{other.getsockname()[1]}"
        proc = run_cli("sweep", design, "--out", tmp_path / "out", "--scheduler", address, "--connect-timeout", 1,
                       cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    assert "could not reach a Dask scheduler" in _err(proc)


@pytest.mark.parametrize("out", ["afile/sub", ""])
def test_a_bad_output_folder_is_refused_before_any_run(tmp_path, out):
    (tmp_path / "afile").write_text("mine")
    proc = run_cli("sweep", _write(tmp_path), "--out", out, "--quiet", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--out" in _err(proc)
    assert (tmp_path / "afile").read_text() == "mine" and not (tmp_path / "results").exists()


def test_an_empty_scheduler_is_refused(tmp_path):
    proc = run_cli("sweep", _write(tmp_path), "--scheduler", "", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--scheduler ''" in _err(proc)
    assert not (tmp_path / "results").exists()


def test_a_sweep_varying_nothing_says_it_draws_no_figures(tmp_path):
    text = 'description = "replicates of one point"\nsteps = 2\nreplicates = 2\n[parameters]\nn_citizens = 50\n[vary]\n'
    design = _write(tmp_path, text, "one.toml")
    proc = run_cli("sweep", design, "--out", tmp_path / "out", "--workers", 1, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "no figures" in proc.stdout
    proc = run_cli("plot", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "varies no parameter" in _err(proc) and "Wrote" not in proc.stdout


def test_plot_of_a_sweep_without_rows_says_so(reference, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(reference[0], out)
    header = (out / "results.csv").read_text().splitlines()[0]
    (out / "results.csv").write_text(header + "\n")
    proc = run_cli("plot", out, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "holds no runs" in _err(proc) and "Wrote" not in proc.stdout


# --- the engine as a library (any executor) ----------------------------------------------

def test_every_step_and_mean_last_k_agree_on_any_executor(tmp_path):
    every = load_experiment(_write(tmp_path, DESIGN.replace('mode = "final"', 'mode = "every_step"'), "every.toml"))
    mean = load_experiment(_write(tmp_path, DESIGN.replace('mode = "final"', 'mode = "mean_last_k"\nk = 3'), "mean.toml"))
    with cf.ThreadPoolExecutor(2) as pool:
        a = run_sweep(every, tmp_path / "every", pool, progress=False, figures=False, log=lambda m: None)
        b = run_sweep(mean, tmp_path / "mean", pool, progress=False, figures=False, log=lambda m: None)
    assert len(a) == N_RUNS * 5 and list(a.groupby("run_id")["step"].apply(list).iloc[0]) == [0, 1, 2, 3, 4]
    last3 = a[a["step"] >= 2].groupby("run_id")["synergy"].mean()
    np.testing.assert_allclose(b.set_index("run_id")["synergy"], last3, rtol=1e-12)


def test_a_mode_in_the_grid_applies_its_preset_and_other_varied_levers_win(tmp_path):
    design = load_experiment(_write(tmp_path))
    runs = design.runs()
    params = {(dict(r.point)["governance_mode"], dict(r.point)["steering_intensity"]): design.parameters_for(r) for r in runs}
    assert params[("npm", 0.1)].facilitation == 0.2 and params[("npg", 0.1)].facilitation == 0.7
    assert params[("npm", 0.9)].steering_intensity == 0.9


def test_levers_fixed_in_the_experiment_win_over_a_varied_modes_preset(tmp_path):
    text = DESIGN.replace("n_associations = 5", "n_associations = 5\nsteering_intensity = 0.95").replace(
        "steering_intensity = { start = 0.1, stop = 0.9, num = 3 }\n", "")
    design = load_experiment(_write(tmp_path, text))
    params = {dict(r.point)["governance_mode"]: design.parameters_for(r) for r in design.runs()}
    assert params["npm"].steering_intensity == 0.95 and params["npg"].steering_intensity == 0.95
    assert params["npm"].facilitation == 0.2 and params["npg"].facilitation == 0.7   # the rest is each mode's preset
    assert design.to_json()["experiment_levers"] == {"steering_intensity": 0.95}
    assert design.to_json()["settings"]["steering_intensity"] == 0.95


def test_k_must_fit_the_horizon_of_every_design_point(tmp_path):
    text = DESIGN.replace("steps = 4\n", "").replace('mode = "final"', 'mode = "mean_last_k"\nk = 3').replace(
        'governance_mode = ["npm", "npg"]', "steps = [2, 6]")
    with pytest.raises(InputError) as info:
        load_experiment(_write(tmp_path, text, "short.toml"))
    assert "short.toml" in str(info.value) and "[keep] k = 3" in str(info.value) and "steps = 2" in str(info.value)
    load_experiment(_write(tmp_path, text.replace("k = 3", "k = 2"), "fits.toml"))


def test_design_errors_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="both fixed"):
        load_experiment(_write(tmp_path, DESIGN.replace("n_associations = 5", "n_associations = 5\ngovernance_mode = 'npg'")))


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(tmp_path):
    import signal
    import subprocess
    import time

    from tests.conftest import SAMSKABELSE

    text = DESIGN.replace("steps = 4", "steps = 60").replace("n_citizens = 100", "n_citizens = 800").replace("replicates = 2", "replicates = 5")
    design = _write(tmp_path, text)
    args = [str(SAMSKABELSE), "sweep", str(design), "--out", str(tmp_path / "out"), "--workers", "1", "--batch-size", "1", "--quiet"]
    proc = subprocess.Popen(args, cwd=tmp_path, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    runs = tmp_path / "out" / "runs"
    deadline = time.monotonic() + 60
    while not list(runs.glob("runs-*.csv")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Run the same command again" in " ".join(err.split())
    n_saved = len(pd.concat([pd.read_csv(f) for f in runs.glob("runs-*.csv")]))
    assert 1 <= n_saved < 30
    resumed = run_cli(*args[1:], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(table["run_id"]) == list(range(30))


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_workers_end_when_the_sweep_process_is_killed(tmp_path):
    """kill -9 of the main process must not leave the pool's workers (or the fork server) waiting forever."""
    import signal
    import subprocess
    import time

    from tests.conftest import SAMSKABELSE

    text = DESIGN.replace("steps = 4", "steps = 60").replace("n_citizens = 100", "n_citizens = 800").replace("replicates = 2", "replicates = 5")
    design = _write(tmp_path, text)
    args = [str(SAMSKABELSE), "sweep", str(design), "--out", str(tmp_path / "out"), "--workers", "2", "--batch-size", "1", "--quiet"]
    with own_process_group(args, cwd=tmp_path, stderr=subprocess.DEVNULL) as proc:
        runs = tmp_path / "out" / "runs"
        deadline = time.monotonic() + 60
        while not list(runs.glob("runs-*.csv")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert len(live_processes_in_group(proc.pid)) >= 3   # main, fork server or workers
        assert signal_and_wait_for_group(proc, signal.SIGKILL) == []


# --- the store: every batch file read back is checked (issue 13, item 2) ---------------------

def _copy_of_reference(reference, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(reference[0], out)
    for f in out.glob("results.*"):
        f.unlink()
    return out


def _resume(tmp_path, out, **kwargs):
    messages = []
    table = run_sweep(load_experiment(_write(tmp_path)), out, workers=1, progress=False, figures=False,
                      log=messages.append, **kwargs)
    return table, " ".join(messages)


def _cut_last_bytes(path, n=60):
    data = path.read_bytes()
    path.write_bytes(data[:-n])


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(_cut_last_bytes, id="cut-short"),
        pytest.param(lambda f: f.write_text(f.read_text().replace(f.read_text().splitlines()[1].split(",")[-1], "abc", 1)),
                     id="non-numeric-cell"),
        pytest.param(lambda f: f.write_text(f.read_text() + "999," + f.read_text().splitlines()[1].split(",", 1)[1] + "\n"),
                     id="unknown-run-id"),
        pytest.param(lambda f: f.write_text(f.read_text().replace("," + f.read_text().splitlines()[1].split(",")[4] + ",", ",12345,", 1)),
                     id="wrong-seed"),
    ],
)
def test_a_damaged_batch_file_is_set_aside_and_its_runs_run_again(reference, tmp_path, damage):
    out = _copy_of_reference(reference, tmp_path)
    batch = sorted((out / "runs").glob("runs-*.csv"))[-1]
    original = batch.read_bytes()
    damage(batch)
    damaged = batch.read_bytes()
    assert damaged != original
    table, said = _resume(tmp_path, out)
    assert "set aside" in said and batch.name in said and "run again" in said
    assert (out / "runs" / f"{batch.name}.bad").read_bytes() == damaged   # kept for inspection, not deleted
    results = pd.read_csv(out / "results.csv")
    assert not results.isna().any().any()
    pd.testing.assert_frame_equal(results, reference[1])
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


# --- one sweep per folder (item 4) -----------------------------------------------------------

def test_a_second_sweep_into_the_same_folder_is_refused_with_who_holds_it(tmp_path):
    import subprocess
    import time

    from tests.conftest import SAMSKABELSE

    # long enough (about 40 s on one worker) that the second command, which needs a few seconds to start (more on a
    # busy machine: at 20 s the first once ended before the second had started), meets it running
    text = DESIGN.replace("steps = 4", "steps = 480").replace("n_citizens = 100", "n_citizens = 800").replace("replicates = 2", "replicates = 3")
    design = _write(tmp_path, text)
    out = tmp_path / "out"
    args = [str(SAMSKABELSE), "sweep", str(design), "--out", str(out), "--workers", "1", "--batch-size", "1", "--quiet"]
    with own_process_group(args, cwd=tmp_path, stderr=subprocess.PIPE, text=True) as first:
        deadline = time.monotonic() + 60
        while not (out / ".lock.json").exists() and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.02)
        second = run_cli("sweep", design, "--out", out, "--workers", 1, "--quiet", cwd=tmp_path)
        assert first.poll() is None, "the first sweep ended before the second started"
        assert second.returncode == 2, second.stderr
        assert "Traceback" not in second.stderr
        message = _err(second)
        assert "another sweep is writing to this folder" in message and f"process {first.pid}" in message
        assert "started" in message
        _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    table = pd.read_csv(out / "results.csv")
    assert list(table["run_id"]) == list(range(18))
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 1 and manifest["status"] == "complete"


# --- memory (item 8) -----------------------------------------------------------------------

def test_the_memory_estimate_is_within_a_factor_of_two_of_a_measured_run(tmp_path):
    import subprocess
    import sys

    from simulation.core.parameters import make_parameters
    from simulation.experiment.memory import estimate_bytes

    script = (
        "import sys\n"
        "from simulation.experiment.runs import simulate\n"
        "from simulation.core.parameters import make_parameters\n"
        "def hwm():\n"
        "    return next(int(l.split()[1]) * 1024 for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "before = hwm()\n"
        "simulate(make_parameters(n_citizens=30000, mean_degree=16, n_associations=300, steps=6, seed=1))\n"
        "print(hwm() - before)\n"
    )
    if not __import__("pathlib").Path("/proc/self/status").exists():
        pytest.skip("reads /proc (Linux)")
    measured = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120).stdout)
    estimate = estimate_bytes(make_parameters(n_citizens=30000, mean_degree=16, n_associations=300, steps=6))
    assert measured / 2 <= estimate <= measured * 2, (estimate, measured)


HUGE = DESIGN.replace("n_citizens = 100", "n_citizens = 10000000\nmean_degree = 200.0")


def test_a_sweep_too_large_for_this_machine_is_refused_before_anything_is_built(tmp_path):
    proc = run_cli("sweep", _write(tmp_path, HUGE), "--out", tmp_path / "out", "--workers", 1, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    message = _err(proc)
    assert "would need about" in message and "GiB" in message and "this machine has" in message
    assert not (tmp_path / "out").exists()


def test_the_memory_of_a_sweep_counts_its_largest_point_times_its_workers(tmp_path, monkeypatch):
    from simulation.experiment import memory

    design = load_experiment(_write(tmp_path, DESIGN.replace("n_citizens = 100", "n_citizens = 100000")))
    one = memory.estimate_bytes(design.largest_point())
    monkeypatch.setattr(memory, "machine_memory", lambda: (int(one * 1.5), 2**40))
    with pytest.raises(InputError, match="times 2 workers"):
        run_sweep(design, tmp_path / "out", workers=2, progress=False)
    assert not (tmp_path / "out").exists()


# --- clear ends instead of internal errors (item 9) ------------------------------------------

def test_out_inside_a_sweeps_runs_folder_is_refused(reference, tmp_path):
    out, _ = reference
    before = sorted(p.name for p in (out / "runs").iterdir())
    for target in (out / "runs" / "runs-9999990-9999999.csv", out / "runs" / "runs-9999990-9999999.csv" / "deeper"):
        proc = run_cli("sweep", _write(tmp_path), "--out", target, "--quiet", cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "runs/" in _err(proc) and "outside any sweep" in _err(proc)
    assert sorted(p.name for p in (out / "runs").iterdir()) == before


def test_ctrl_c_in_the_results_phase_leaves_an_interrupted_manifest_that_resumes(reference, tmp_path, monkeypatch):
    from simulation.experiment.sweeps import SweepInterrupted, sweep

    out = _copy_of_reference(reference, tmp_path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "plot_sweep", interrupted)
    with pytest.raises(SweepInterrupted) as info:
        run_sweep(load_experiment(_write(tmp_path)), out, workers=1, progress=False)
    assert (info.value.done, info.value.total) == (N_RUNS, N_RUNS)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["runs_done"] == N_RUNS
    monkeypatch.undo()
    _resume(tmp_path, out)
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.parametrize("fail_on", ["results.csv", "third batch"])
def test_after_a_full_disk_the_manifest_counts_the_runs_saved(tmp_path, monkeypatch, fail_on):
    import errno

    from simulation.experiment.sweeps import SweepFailed, sweep

    real = sweep.write_table
    written = []

    def full_disk(path, frame, parquet=True):
        if path.name == fail_on or (fail_on == "third batch" and path.parent.name == "runs" and len(written) == 2):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        return real(path, frame, parquet=parquet)

    monkeypatch.setattr(sweep, "write_table", full_disk)
    out = tmp_path / "out"
    with pytest.raises(SweepFailed, match="No space left on device"):
        run_sweep(load_experiment(_write(tmp_path)), out, workers=1, batch_size=2, progress=False, figures=False)
    saved = pd.concat([pd.read_csv(f) for f in (out / "runs").glob("runs-*.csv")])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["runs_done"] == saved["run_id"].nunique() == (N_RUNS if fail_on == "results.csv" else 4)


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.8, 1.5])
def test_ctrl_c_while_the_sweep_starts_its_workers_prints_no_traceback(tmp_path, delay):
    import signal
    import subprocess
    import time

    from tests.conftest import SAMSKABELSE

    text = DESIGN.replace("steps = 4", "steps = 60").replace("n_citizens = 100", "n_citizens = 800")
    design = _write(tmp_path, text)
    out = tmp_path / "out"
    args = [str(SAMSKABELSE), "sweep", str(design), "--out", str(out), "--workers", "2", "--quiet"]
    with own_process_group(args, cwd=tmp_path, stderr=subprocess.PIPE, text=True) as proc:
        deadline = time.monotonic() + 60
        while not (out / "manifest.json").exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.005)   # the manifest is written just before the pool starts
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGINT)   # what Ctrl-C does: the whole foreground group gets SIGINT
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


# --- a large design is checked in a moment (item 10) -------------------------------------------

def test_a_million_run_design_is_checked_in_seconds(tmp_path):
    import time

    text = DESIGN.replace("replicates = 2", "replicates = 1").replace(
        'governance_mode = ["npm", "npg"]',
        "facilitation = { start = 0.0, stop = 1.0, num = 100 }\nquick_results_pressure = { start = 0.0, stop = 1.0, num = 100 }",
    ).replace("num = 3", "num = 100")
    t = time.perf_counter()
    design = load_experiment(_write(tmp_path, text))
    assert design.n_runs == 1_000_000
    assert time.perf_counter() - t < 15


def test_an_invalid_value_in_a_large_design_is_still_found(tmp_path):
    text = DESIGN.replace("steps = 4", "steps = 24").replace('governance_mode = ["npm", "npg"]', "steps = [24, 12, 36]")
    scenario = tmp_path / "with_policy.toml"
    scenario.write_text('description = "x"\nbase = "denmark"\n[[policy]]\nstep = 20\nfacilitation = 0.5\n', encoding="utf-8")
    text = text.replace('scenario = "denmark"', 'scenario = "with_policy.toml"').replace("steps = 24\n", "")
    with pytest.raises(InputError, match="steps = 12"):
        load_experiment(_write(tmp_path, text, name="policy_sweep.toml"))


def test_a_folder_named_like_a_batch_in_runs_is_set_aside_not_read(reference, tmp_path):
    out = _copy_of_reference(reference, tmp_path)
    (out / "runs" / "runs-0000099-0000099.csv").mkdir()   # e.g. another sweep's --out pointed in here
    table, said = _resume(tmp_path, out)
    assert "runs-0000099-0000099.csv: it is not a file; set aside" in said
    assert (out / "runs" / "runs-0000099-0000099.csv.bad").is_dir()
    pd.testing.assert_frame_equal(pd.read_csv(out / "results.csv"), reference[1])


def test_a_design_of_sampled_points_runs_each_point_with_every_seed(tmp_path):
    import dataclasses

    from simulation.experiment.sweeps import PointsDesign

    grid = load_experiment(_write(tmp_path))
    points = [(("steering_intensity", 0.2), ("n_citizens", 120)), (("steering_intensity", 0.7), ("n_citizens", 90))]
    fields = {f.name: getattr(grid, f.name) for f in dataclasses.fields(grid)}
    design = PointsDesign(**{**fields, "name": "sampled", "vary": {"steering_intensity": [], "n_citizens": []}}, points=points)
    assert design.n_runs == 4 and design.largest_point()["n_citizens"] == 120
    design.check_points("sampled")
    table = run_sweep(design, tmp_path / "out", workers=1, progress=False, figures=False)
    assert list(table["run_id"]) == [0, 1, 2, 3]
    assert list(table["steering_intensity"]) == [0.2, 0.2, 0.7, 0.7] and list(table["n_citizens"]) == [120, 120, 90, 90]
    assert table["seed"].tolist() == grid.seeds * 2
    other = dataclasses.replace(design, points=points[::-1])
    assert other.hash() != design.hash()


def test_the_memory_of_a_cluster_sweep_is_not_multiplied_by_its_remote_workers(tmp_path, monkeypatch):
    from simulation.experiment import memory

    design = load_experiment(_write(tmp_path))
    one = memory.estimate_bytes(design.largest_point())
    monkeypatch.setattr(memory, "machine_memory", lambda: (int(one * 1.5), 2**40))
    with cf.ThreadPoolExecutor(2) as remote:   # stands for a Dask cluster's executor: not this machine's processes
        table = run_sweep(design, tmp_path / "out", remote, workers=64, progress=False, figures=False)
    assert len(table) == N_RUNS

"""The samskabelse command as a user types it: run, plot, params, and a clear message for every bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from simulation.core.indicators import PUBLIC_INDICATORS
from simulation.core.parameters import FIELDS

SMALL = ("--steps", 3, "--set", "n_citizens=200")


def _no_traceback(proc):
    assert "Traceback" not in proc.stderr + proc.stdout


def _err(proc) -> str:
    """The error message on one line (the command wraps it to the terminal's width)."""
    return " ".join(proc.stderr.split())


def test_run_prints_a_summary_and_writes_every_file(cli, tmp_path):
    out = tmp_path / "out"
    proc = cli("run", *SMALL, "--seed", 7, "--out", out)
    assert proc.returncode == 0, proc.stderr
    for name in PUBLIC_INDICATORS:
        assert name in proc.stdout
    assert "Scenario denmark" in proc.stdout
    frame = pd.read_csv(out / "timeseries.csv")
    assert len(frame) == 4 and set(frame["seed"]) == {7}
    params = json.loads((out / "parameters.json").read_text())
    assert set(params) == set(FIELDS) and params["seed"] == 7
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("version", "code_revision", "seed", "parameters", "wall_time_seconds", "command", "scenario"):
        assert key in manifest
    assert manifest["parameters"] == params
    assert (out / "figure.png").stat().st_size > 10_000



def test_parquet_holds_the_same_table_as_the_csv_where_pyarrow_is_installed(cli, tmp_path):
    pytest.importorskip("pyarrow")
    from simulation.experiment.runs import read_table

    out = tmp_path / "out"
    proc = cli("run", *SMALL, "--out", out, "--no-figure")
    assert proc.returncode == 0, proc.stderr
    assert "timeseries.parquet" in json.loads((out / "manifest.json").read_text())["files"]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "timeseries.parquet"), read_table(out / "timeseries.csv"))
    assert not list(out.glob(".*.tmp"))

def test_default_output_folder_is_named_after_scenario_and_seed(cli, tmp_path):
    proc = cli("run", "southern_europe", *SMALL, "--seed", 3, "--no-figure")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results" / "southern_europe-seed3" / "timeseries.csv").exists()


def test_same_seed_same_series_and_plot_redraws_from_saved_files(cli, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli("run", *SMALL, "--out", a).returncode == 0
    assert cli("run", *SMALL, "--out", b, "--no-figure").returncode == 0
    pd.testing.assert_frame_equal(pd.read_csv(a / "timeseries.csv"), pd.read_csv(b / "timeseries.csv"))
    (a / "figure.png").unlink()
    proc = cli("plot", a)
    assert proc.returncode == 0, proc.stderr
    assert (a / "figure.png").exists()


def test_a_scenario_file_given_by_path(cli, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('description = "mine"\nbase = "npm_contracting"\n[parameters]\nn_citizens = 150\nsteps = 2\n')
    proc = cli("run", path, "--no-figure", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    params = json.loads((tmp_path / "o" / "parameters.json").read_text())
    assert params["governance_mode"] == "npm" and params["n_citizens"] == 150


def test_set_overrides_any_parameter_with_typed_values(cli, tmp_path):
    out = tmp_path / "o"
    proc = cli("run", *SMALL, "--set", "linear_thinking=true", "--set", "relation_offered=supplier",
               "--set", "steering_intensity=0.65", "--no-figure", "--out", out)
    assert proc.returncode == 0, proc.stderr
    params = json.loads((out / "parameters.json").read_text())
    assert params["linear_thinking"] is True and params["relation_offered"] == "supplier"
    assert params["steering_intensity"] == 0.65


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--set", "steering_intensty=0.5"), ["--set steering_intensty", "did you mean 'steering_intensity'"]),
        (("--set", "steering_intensity=1.5"), ["steering_intensity", "1.5", "from 0.0 to 1.0"]),
        (("--set", "n_citizens=lots"), ["n_citizens", "'lots'", "whole number"]),
        (("--set", "governance_mode=market"), ["governance_mode", "'hierarchy', 'npm', 'npg'"]),
        (("--set", "steering_intensity"), ["expected key=value"]),
        (("--steps", "0"), ["steps", "from 1"]),
        (("--seed", "-4"), ["seed", "-4"]),
    ],
)
def test_set_validation(cli, tmp_path, args, expected):
    out = tmp_path / "never"
    proc = cli("run", *args, "--out", out)
    assert proc.returncode == 2
    _no_traceback(proc)
    for text in expected:
        assert text in _err(proc)
    assert not out.exists()


def test_malformed_toml_names_file_and_line(cli, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('description = "x"\n[parameters]\nsteering_intensity = 0.5\nfacilitation = \n')
    proc = cli("run", path)
    assert proc.returncode == 2
    _no_traceback(proc)
    assert "broken.toml" in _err(proc) and "line 4" in _err(proc)


def test_unknown_scenario_lists_the_names(cli):
    proc = cli("run", "danmark")
    assert proc.returncode == 2
    _no_traceback(proc)
    assert "unknown scenario 'danmark'" in _err(proc)
    for name in ("denmark", "southern_europe", "insp_roskilde"):
        assert name in _err(proc)


BAD_FILES = {
    "unknown parameter: the closest valid name": (
        "run", "typo.toml", 'description = "x"\n[parameters]\nfacilitaton = 0.5\n',
        ["'facilitaton'", "did you mean 'facilitation'"]),
    "wrong type: the allowed values": (
        "show", "kind.toml", 'description = "x"\n[parameters]\nlinear_thinking = "sometimes"\n',
        ["linear_thinking", "true or false"]),
    "policy step beyond the horizon": (
        "run", "late.toml", 'description = "x"\n[parameters]\nsteps = 36\n[[policy]]\nstep = 48\nsteering_intensity = 0.9\n',
        ["[[policy]]", "48", "steps = 36"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_scenario_file_names_file_key_and_what_is_allowed(cli, tmp_path, case):
    command, name, text, fragments = BAD_FILES[case]
    path = tmp_path / name
    path.write_text(text)
    proc = cli(command, path)
    assert proc.returncode == 2
    _no_traceback(proc)
    for fragment in [name, *fragments]:
        assert fragment in _err(proc)


def test_a_run_never_writes_into_a_folder_holding_other_results(cli, tmp_path):
    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "design.json").write_text("{}")
    (folder / "results.csv").write_text("keep me\n")
    proc = cli("run", *SMALL, "--out", folder)
    assert proc.returncode == 2
    assert "sweep" in _err(proc) and "Nothing was changed" in _err(proc)
    assert sorted(p.name for p in folder.iterdir()) == ["design.json", "results.csv"]
    assert (folder / "results.csv").read_text() == "keep me\n"


def test_plot_of_a_folder_without_results(cli, tmp_path):
    proc = cli("plot", tmp_path)
    assert proc.returncode == 2
    assert "neither a run" in _err(proc)


def test_params_lists_every_parameter_and_markdown_table(cli):
    proc = cli("params")
    assert proc.returncode == 0
    for name in FIELDS:
        assert name in proc.stdout
    proc = cli("params", "--markdown")
    assert proc.returncode == 0
    assert proc.stdout.startswith("| parameter |") and "`steering_intensity`" in proc.stdout


def test_help_lists_every_command(cli):
    proc = cli("--help")
    assert proc.returncode == 0
    for command in ("run", "scenarios", "show", "params", "plot", "sweep", "report", "sensitivity", "viz"):
        assert command in proc.stdout


def test_python_dash_m_simulation_is_the_same_command(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "simulation", "sensitivity", "--help"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: samskabelse sensitivity")


# --- bad input noticed before anything runs, and named as the user typed it ---------------------

def test_an_output_folder_that_cannot_be_made_is_refused_before_the_run(cli, tmp_path):
    (tmp_path / "afile").write_text("mine")
    proc = cli("run", *SMALL, "--out", tmp_path / "afile" / "sub")
    assert proc.returncode == 2
    _no_traceback(proc)
    assert "--out" in _err(proc) and "is a file" in _err(proc)
    assert "Ran in" not in proc.stdout and "month 0" not in proc.stdout   # refused before the simulation
    assert (tmp_path / "afile").read_text() == "mine"


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self").is_dir(), reason="needs /proc (Linux)")
def test_an_output_folder_that_cannot_be_written_is_refused_before_the_run(cli):
    proc = cli("run", *SMALL, "--out", "/proc/nope")
    assert proc.returncode == 2
    _no_traceback(proc)
    assert "--out /proc/nope" in _err(proc) and "Nothing was run" in _err(proc)
    assert "month 0" not in proc.stdout


@pytest.mark.parametrize(
    ("args", "expected", "not_expected"),
    [
        (("--steps", "-1"), "--steps -1", "--set"),
        (("--seed", "abc"), "--seed abc", "--set"),
        (("--set", "steps=3", "--steps", "5"), "--set steps=3 and --steps 5", None),
        (("--set", "seed=5", "--seed", "7"), "--set seed=5 and --seed 7", None),
        (("--set", "n_citizens=200", "--set", "n_citizens=300"), "--set n_citizens=200 and --set n_citizens=300", None),
        (("--out", ""), "--out ''", None),
        (("--set", "n_citizens=0x10"), "plain decimal", None),
        (("--set", "n_citizens=1_000"), "plain decimal", None),
        (("--set", "steering_intensity=0.5 # x"), "'0.5 # x'", None),
    ],
)
def test_options_are_named_as_typed_and_conflicts_are_refused(cli, tmp_path, args, expected, not_expected):
    proc = cli("run", *args)
    assert proc.returncode == 2, proc.stdout
    _no_traceback(proc)
    assert expected in _err(proc)
    if not_expected:
        assert not_expected not in _err(proc)
    assert not (tmp_path / "results").exists()


def test_the_same_value_twice_is_not_a_conflict(cli, tmp_path):
    proc = cli("show", "--set", "steps=3", "--steps", "3", "--set", "seed=2", "--set", "seed=2")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("order", ["mode first", "lever first"])
def test_a_lever_set_beside_a_mode_wins_over_its_preset_in_any_order(cli, order):
    pairs = ["governance_mode=npm", "steering_intensity=0.95"]
    if order == "lever first":
        pairs.reverse()
    proc = cli("show", "--set", pairs[0], "--set", pairs[1])
    assert proc.returncode == 0, proc.stderr
    lines = {line.split()[0]: line.split()[1:3] for line in proc.stdout.splitlines() if line.startswith("  ") and line.split()}
    assert lines["steering_intensity"] == ["0.95", "set"]
    assert lines["facilitation"] == ["0.2", "preset"]   # the rest is npm's preset


def test_no_figure_removes_an_earlier_runs_figure(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("run", *SMALL, "--out", out).returncode == 0
    assert (out / "figure.png").exists()
    proc = cli("run", *SMALL, "--seed", 2, "--out", out, "--no-figure")
    assert proc.returncode == 0, proc.stderr
    assert not (out / "figure.png").exists()
    assert "figure.png" not in json.loads((out / "manifest.json").read_text())["files"]


QUOTED = {
    "a quoted boolean": ("linear_thinking", '"true"', "TOML boolean"),
    "a quoted whole number": ("n_citizens", '"200"', "TOML integer"),
    "a quoted number": ("steering_intensity", '"0.5"', "TOML number"),
}


@pytest.mark.parametrize("case", list(QUOTED))
def test_a_quoted_value_in_a_scenario_file_is_refused(cli, tmp_path, case):
    key, value, expected = QUOTED[case]
    path = tmp_path / "quoted.toml"
    path.write_text(f'description = "x"\n[parameters]\n{key} = {value}\n')
    proc = cli("show", path)
    assert proc.returncode == 2
    _no_traceback(proc)
    for fragment in ("quoted.toml", "[parameters]", key, expected):
        assert fragment in _err(proc)


# --- viz -----------------------------------------------------------------------------------

@pytest.mark.parametrize("port", ["99999", "-1", "0", "http"])
def test_viz_refuses_a_port_outside_1_to_65535(cli, port):
    proc = cli("viz", "--port", port, timeout=30)
    assert proc.returncode == 2
    _no_traceback(proc)
    assert "1 to 65535" in _err(proc)


@pytest.mark.parametrize("workers", ["0", "-2", "two"])
def test_viz_refuses_a_number_of_server_processes_that_is_not_positive(cli, workers):
    proc = cli("viz", "--workers", workers, timeout=30)
    assert proc.returncode == 2
    _no_traceback(proc)
    assert "--workers" in _err(proc)


def test_viz_refuses_a_port_in_use_with_a_message(cli):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = cli("viz", "--port", port, timeout=60)
    assert proc.returncode == 2
    _no_traceback(proc)
    assert f"--port {port}" in _err(proc) and "in use" in _err(proc)


# --- plot ----------------------------------------------------------------------------------

def test_plot_refuses_files_that_are_not_a_runs_and_leaves_the_figure(cli, tmp_path):
    out = tmp_path / "out"
    assert cli("run", *SMALL, "--out", out).returncode == 0
    figure = (out / "figure.png").read_bytes()
    good = (out / "timeseries.csv").read_text()
    (out / "timeseries.csv").write_text("garbage\nmore garbage\n")
    proc = cli("plot", out)
    assert proc.returncode == 2
    _no_traceback(proc)
    assert "timeseries.csv" in _err(proc) and "Wrote" not in proc.stdout
    (out / "timeseries.csv").write_text(good)
    (out / "parameters.json").write_text("[1, 2]")
    proc = cli("plot", out)
    assert proc.returncode == 2
    _no_traceback(proc)
    assert "parameters.json" in _err(proc) and "JSON object" in _err(proc)
    assert (out / "figure.png").read_bytes() == figure


def test_plot_of_a_file_says_it_is_a_file(cli, tmp_path):
    (tmp_path / "afile").write_text("x")
    proc = cli("plot", "afile")
    assert proc.returncode == 2
    assert "is a file" in _err(proc) and "no such" not in _err(proc)


# --- report and sensitivity: subcommands of the one parser ---------------------------------------

@pytest.mark.parametrize(("command", "options"), [
    ("report", ["--out", "--size", "--workers", "--scheduler", "--connect-timeout", "--experiments", "--resume",
                "--no-sensitivity", "--quiet"]),
    ("sensitivity", ["SENSITIVITY.toml", "--out", "--workers", "--scheduler", "--connect-timeout", "--quiet"]),
])
def test_report_and_sensitivity_are_subcommands_with_their_options(cli, command, options):
    proc = cli(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: samskabelse {command}")
    for option in options:
        assert option in proc.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (("report", "--size", "huge"), ["--size", "invalid choice: 'huge'", "tiny"]),
    (("report", "--workers", "0"), ["--workers", "whole number of 1 or more"]),
    (("report", "--out", ""), ["--out ''"]),
    (("report", "--experiments", "/etc/passwd", "--no-sensitivity"), ["/etc/passwd"]),
    (("sensitivity", "nowhere.toml"), ["nowhere.toml"]),
    (("sensitivity", "--workers", "-2"), ["--workers", "whole number of 1 or more"]),
    (("sensitivity", "--connect-timeout", "inf"), ["--connect-timeout", "'inf'", "above 0"]),
    (("sensitivity", "--scheduler", "tcp://127.0.0.1:9"), ["--scheduler tcp://127.0.0.1:9", "could not reach"]),
])
def test_report_and_sensitivity_refuse_bad_input_before_any_run(cli, tmp_path, args, expected):
    proc = cli(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _no_traceback(proc)
    for text in expected:
        assert text in _err(proc)
    assert not (tmp_path / "results").exists()


TINY_SENSITIVITY = """description = "tiny"
scenario = "denmark"
steps = 3
replicates = 1
root_seed = 1
[parameters]
n_citizens = 60
[keep]
mode = "mean_last_k"
k = 2
indicators = ["volunteer_hours", "trust_municipality"]
[morris]
trajectories = 2
levels = 4
seed = 1
[sobol]
top = 0
"""


def test_sensitivity_runs_a_tiny_design_and_writes_its_tables(cli, tmp_path):
    pytest.importorskip("SALib")
    design = tmp_path / "tiny.toml"
    design.write_text(TINY_SENSITIVITY)
    proc = cli("sensitivity", design, "--out", tmp_path / "sens", "--workers", 1, "--quiet", timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "runs; wrote" in proc.stdout and "morris.csv" in proc.stdout
    morris = pd.read_csv(tmp_path / "sens" / "morris.csv")
    assert set(morris["outcome"]) == {"volunteer_hours", "trust_municipality"}
    assert (tmp_path / "sens" / "sensitivity_morris.png").stat().st_size > 10_000


# --- issue 13: clear exit-2 messages instead of internal errors ----------------------------------

def test_a_5000_digit_seed_is_refused_with_the_allowed_range(cli, tmp_path):
    seed = "9" * 5000
    for args in (("--set", f"seed={seed}"), ("--seed", seed)):
        proc = cli("run", *args, "--out", tmp_path / "never")
        assert proc.returncode == 2, proc.stderr
        _no_traceback(proc)
        assert "seed" in _err(proc) and "from 0 to 9223372036854775807" in _err(proc)
        assert "internal error" not in proc.stderr and seed not in proc.stderr  # not thousands of digits echoed
        assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("timeout", ["inf", "nan", "1e400", "0"])
def test_a_connect_timeout_that_is_not_a_finite_number_is_refused(cli, tmp_path, timeout):
    for extra in ((), ("--scheduler", "tcp://127.0.0.1:9")):
        proc = cli("sweep", "nowhere.toml", "--connect-timeout", timeout, *extra)
        assert proc.returncode == 2, proc.stderr
        _no_traceback(proc)
        assert "--connect-timeout: expected a number of seconds" in _err(proc) and repr(timeout) in _err(proc)
        assert "internal error" not in proc.stderr


@pytest.mark.parametrize("command", ["run", "show", "sweep"])
def test_a_deeply_nested_toml_file_is_refused_naming_the_file(cli, tmp_path, command):
    path = tmp_path / "deep.toml"
    path.write_text('description = "x"\nvalue = ' + "[" * 50_000 + "]" * 50_000 + "\n")
    proc = cli(command, path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    _no_traceback(proc)
    assert "deep.toml" in _err(proc) and "internal error" not in proc.stderr


# --- Ctrl-C at any moment: one paragraph, exit 130, never a traceback -----------------------------

SMALL_SWEEP = """description = "small"
scenario = "denmark"
steps = 24
replicates = 4
[parameters]
n_citizens = 300
[vary]
steering_intensity = [0.1, 0.5, 0.9]
"""


def _sweep_in_own_group(tmp_path):
    import os
    import subprocess

    from tests.conftest import SAMSKABELSE, own_process_group

    (tmp_path / "small.toml").write_text(SMALL_SWEEP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMSKABELSE_")}
    env["MPLBACKEND"] = "Agg"
    return own_process_group([str(SAMSKABELSE), "sweep", "small.toml", "--out", "out", "--workers", "2"], cwd=tmp_path,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _fork_server_of(pid: int) -> int | None:
    """The multiprocessing fork server started by process ``pid``, if it runs."""
    from pathlib import Path

    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid and b"forkserver" in (stat.parent / "cmdline").read_bytes():
                return int(stat.parent.name)
        except (OSError, IndexError, ValueError):
            continue
    return None


def _ctrl_c(proc) -> tuple[int, str]:
    """Ctrl-C as a terminal sends it: SIGINT to every process of the group."""
    import os
    import signal

    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("delay", [0.4, 1.0, 2.0])
def test_ctrl_c_while_the_sweep_starts_prints_no_traceback(tmp_path, delay):
    import signal
    import time

    with _sweep_in_own_group(tmp_path) as proc:
        time.sleep(delay)  # Python and the model's libraries are still loading
        status, err = _ctrl_c(proc)
    assert "Traceback" not in err, err
    assert status in (130, -signal.SIGINT), err   # -SIGINT: stopped before Python had started; a shell shows 130 too
    if status == 130:
        assert "samskabelse: stopped: interrupted" in err, err


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_ctrl_c_while_the_workers_start_prints_no_traceback_and_says_how_to_resume(tmp_path):
    import time

    with _sweep_in_own_group(tmp_path) as proc:
        deadline = time.monotonic() + 60
        while _fork_server_of(proc.pid) is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert _fork_server_of(proc.pid), "the sweep started no fork server for its workers"
        time.sleep(0.3)  # the fork server is importing the model now, before any worker exists
        status, err = _ctrl_c(proc)
    assert "Traceback" not in err, err
    assert status == 130, err
    message = " ".join(err.split())
    assert "samskabelse: stopped: interrupted" in message and "samskabelse sweep small.toml --out out --workers 2" in message


@pytest.mark.skipif(not __import__("pathlib").Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_kill_or_a_closed_terminal_stops_a_run_as_ctrl_c_does(tmp_path, sig):
    import os
    import signal
    import subprocess

    from tests.conftest import SAMSKABELSE, own_process_group

    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMSKABELSE_")}
    env["MPLBACKEND"] = "Agg"
    command = [str(SAMSKABELSE), "run", "--steps", "1000", "--set", "n_citizens=3000", "--out", "long", "--no-figure"]
    with own_process_group(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout.readline().startswith("Scenario denmark")  # the run has begun
        proc.send_signal(getattr(signal, sig))
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip() == "samskabelse: stopped: interrupted."


def test_calibrate_resumes_after_ctrl_c_and_predict_reads_what_it_wrote(cli, tmp_path):
    out = tmp_path / "cal"
    args = ("calibrate", "--size", "tiny", "--out", out, "--workers", 2, "--quiet")
    proc = cli(*args, env={"SAMSKABELSE_SWEEP_STOP_AFTER": "10"}, timeout=300)
    assert proc.returncode == 130, proc.stderr
    _no_traceback(proc)
    assert "Run the same command again to resume" in _err(proc)
    assert not (out / "posterior.csv").exists()
    proc = cli(*args, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Leave-one-out over 21 countries" in proc.stdout and "regression" in proc.stdout
    for name in ("SUMMARY.md", "posterior.csv", "validation_metrics.csv", "temporal_metrics.csv", "figures/predicted_observed.png"):
        assert (out / name).is_file(), name
    proc = cli("predict", "--trust-in-others", "6.0", "--country", "DK", "--posterior", out)
    assert proc.returncode == 0, proc.stderr
    assert "trust in others 6.0:" in proc.stdout and "DK Denmark, trust in others 8.3:" in proc.stdout
    assert proc.stdout.count("90 % interval") == 2


def test_predict_uses_the_committed_calibration_by_default(cli):
    proc = cli("predict", "--trust-in-others", "6.0")
    assert proc.returncode == 0, proc.stderr
    _no_traceback(proc)
    assert "docs/calibration" in proc.stdout and "trust in others 6.0:" in proc.stdout and "90 % interval" in proc.stdout

"""The samskabelse command as a user types it: run, plot, params, and a clear message for every bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from simulation.core.indicators import INDICATORS
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
    for name in list(INDICATORS)[:19]:
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
        (("--set", "steering=0.5"), ["--set steering", "did you mean 'steering_intensity'"]),
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
    for command in ("run", "scenarios", "show", "params", "plot", "sweep", "viz"):
        assert command in proc.stdout


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

"""The report as a user makes it: `samskabelse report` at the tiny size writes Markdown, figures and tables."""

import json
import re

import numpy as np
import pytest

from simulation.core.parameters import FIELDS, LEVERS
from simulation.experiment.sensitivity import default_factors, load_sensitivity
from simulation.experiment.sweeps import load_experiment
from simulation.report import EXPERIMENT_DIR, EXPERIMENTS, NOT, PARTLY, REPRODUCED, half_time

from .conftest import run_cli

PATTERN_FIGURES = ["crowding_out", "hysteresis", "country_levels", "being_asked", "voice_to_service",
                   "bonding_bridging", "time_horizon"]


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report"
    proc = run_cli("report", "--size", "tiny", "--out", out, "--workers", "2", "--quiet",
                   cwd=out.parent, timeout=280)
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_report_writes_markdown_figures_and_tables(tiny_report):
    out, _ = tiny_report
    text = (out / "REPORT.md").read_text(encoding="utf-8")
    for n in range(1, 8):
        assert re.search(rf"^## {n}\. ", text, re.M), f"section of pattern {n} missing"
    assert "## 8. Sensitivity analysis" in text
    for name in PATTERN_FIGURES + ["sensitivity_morris", "sensitivity_sobol"]:
        png = out / "figures" / f"{name}.png"
        assert png.exists() and png.stat().st_size > 10_000, name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # every image and table the Markdown links to exists
    for link in re.findall(r"\]\(((?:figures|tables)/[^)]+)\)", text):
        assert (out / link).exists(), link
    tables = sorted(p.name for p in (out / "tables").glob("*.csv"))
    assert {"crowding_out.csv", "hysteresis_half_times.csv", "country_levels.csv", "being_asked.csv",
            "bonding_bridging.csv", "time_horizon_timeseries.csv", "sensitivity_morris.csv"} <= set(tables)


def test_report_states_a_verdict_with_numbers_for_every_pattern(tiny_report):
    out, _ = tiny_report
    data = json.loads((out / "verdicts.json").read_text())
    assert data["size"] == "tiny"
    assert [v["pattern"] for v in data["verdicts"]] == list(range(1, 8))
    for v in data["verdicts"]:
        assert v["status"] in (REPRODUCED, PARTLY, NOT)
        assert v["criteria"] and re.search(r"\d", v["headline"])
    text = (out / "REPORT.md").read_text(encoding="utf-8")
    assert "38.7 %" in text and "43 %" in text  # the reference marks are stated
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "report" and manifest["runs"] > 100 and manifest["code_revision"] is not None


def test_report_tables_are_the_numbers_behind_the_figures(tiny_report):
    import pandas as pd

    out, _ = tiny_report
    co = pd.read_csv(out / "tables" / "crowding_out.csv")
    assert set(co["governance_mode"]) == {"npm", "npg"} and co["steering_intensity"].nunique() == 11
    hy = pd.read_csv(out / "tables" / "hysteresis_timeseries.csv")
    assert set(hy["arm"]) == {"episode", "control"} and hy["step"].max() == 240


def test_report_refuses_a_folder_of_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    proc = run_cli("report", "--size", "tiny", "--out", tmp_path, "--quiet", cwd=tmp_path)
    assert proc.returncode == 2
    assert "other files" in proc.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_report_help_names_the_sizes(tmp_path):
    proc = run_cli("report", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "--size" in proc.stdout and "default" in proc.stdout and "small" in proc.stdout


def test_every_experiment_file_loads_and_documents_itself():
    for name in EXPERIMENTS:
        path = EXPERIMENT_DIR / f"{name}.toml"
        design = load_experiment(path)
        assert design.n_runs > 0
        head = path.read_text(encoding="utf-8")
        if name != "hysteresis_control":
            for word in ("Question:", "Design:", "Expected pattern"):
                assert word in head, f"{path.name} lacks {word!r}"
    head = (EXPERIMENT_DIR / "sensitivity.toml").read_text(encoding="utf-8")
    assert all(w in head for w in ("Question:", "Design:", "Expected pattern"))


def test_sensitivity_screens_every_behavioural_parameter_and_lever():
    factors = {f.name: f for f in default_factors()}
    behaviour = {n for n, f in FIELDS.items() if f.metadata["kind"] == "behaviour"}
    assert behaviour | (set(LEVERS) - {"governance_mode"}) == set(factors)
    f = factors["relation_offered"]
    assert [f.value(x) for x in (0.0, 1 / 3, 2 / 3, 1.0)] == ["none", "supplier", "partnership", "partnership"]
    assert [factors["linear_thinking"].value(x) for x in (0.0, 1 / 3, 2 / 3, 1.0)] == [False, False, True, True]
    spec = load_sensitivity(EXPERIMENT_DIR / "sensitivity.toml")
    for name, fac in factors.items():
        lo, hi = FIELDS[name].metadata["range"]
        if fac.kind == "number":
            assert lo <= fac.lo <= FIELDS[name].default <= fac.hi <= hi or FIELDS[name].metadata["kind"] == "lever"
    assert spec.indicators[:4] == ["volunteer_hours", "trust_municipality", "synergy", "ei_index"]
    assert spec.sobol_replicates == 1


def test_half_time_reads_the_first_crossing_of_the_smoothed_series():
    import pandas as pd

    s = pd.Series(np.r_[np.ones(10), np.linspace(1, 0, 21)[1:], np.zeros(10)], index=np.arange(40))
    assert half_time(s, 10, 0.5, "down") == 9  # 0.95 at month 10, 0.5 at month 19
    assert half_time(s, 10, -0.5, "down") is None


def test_sensitivity_runs_alone_from_its_module(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "simulation.experiment.sensitivity", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and "Morris" in proc.stdout


def _without_salib(folder):
    """An environment in which ``import SALib`` fails, as where the sensitivity extra is not installed."""
    import os

    shim = folder / "shim" / "SALib"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text('raise ImportError("No module named \'SALib\' (test)")\n')
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(shim.parent), os.environ.get("PYTHONPATH", "")) if p)}


def test_report_without_salib_stops_before_any_run(tmp_path):
    out = tmp_path / "report"
    proc = run_cli("report", "--size", "tiny", "--out", out, "--quiet", cwd=tmp_path, env=_without_salib(tmp_path), timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    message = " ".join(proc.stderr.split())
    assert 'pip install -e ".[sensitivity]"' in message and "--no-sensitivity" in message
    assert not out.exists()



@pytest.mark.parametrize("option", ["--out", "--scheduler"])
def test_report_refuses_an_empty_option_instead_of_using_the_default(tmp_path, option):
    proc = run_cli("report", "--size", "tiny", option, "", "--quiet", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{option} ''" in " ".join(proc.stderr.split())
    assert not (tmp_path / "results").exists()

def test_sensitivity_module_without_salib_or_with_bad_workers_gives_a_message(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, **_without_salib(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "simulation.experiment.sensitivity", "--out", str(tmp_path / "sens")],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert 'pip install -e ".[sensitivity]"' in proc.stderr and not (tmp_path / "sens").exists()
    proc = subprocess.run([sys.executable, "-m", "simulation.experiment.sensitivity", "--workers", "-1"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "--workers" in proc.stderr

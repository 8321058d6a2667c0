"""Scenario files: each loads and runs from the command line; inheritance and validation rules hold."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from simulation.core.parameters import GOVERNANCE_MODES
from simulation.errors import InputError
from simulation.experiment.scenarios import PROJECT_SCENARIO_DIR, available, resolve

REQUIRED = [
    "denmark", "southern_europe", "npm_contracting", "npg_partnership", "over_steering_episode",
    "quick_results_pressure", "organisational_egoism", "insp_roskilde",
]
SCENARIO_FILES = sorted(p.stem for p in PROJECT_SCENARIO_DIR.glob("*.toml"))


def test_every_required_scenario_exists():
    assert set(REQUIRED) <= set(SCENARIO_FILES)


@pytest.mark.parametrize("name", SCENARIO_FILES)
def test_each_scenario_runs_a_few_steps_from_the_command_line(cli, tmp_path, name):
    out = tmp_path / name
    proc = cli("run", name, "--steps", 3, "--set", "n_citizens=200", "--out", out, "--no-figure")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "volunteering_rate" in proc.stdout and "month 3" in proc.stdout
    frame = pd.read_csv(out / "timeseries.csv")
    assert list(frame["step"]) == [0, 1, 2, 3]
    params = json.loads((out / "parameters.json").read_text())
    assert params["n_citizens"] == 200 and params["steps"] == 3
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == name and manifest["seed"] == params["seed"]


@pytest.mark.parametrize("name", SCENARIO_FILES)
def test_each_scenario_says_what_it_represents_and_where_in_the_seed_it_comes_from(name):
    scen = resolve(name)
    assert len(scen.description) > 80
    assert "seed" in scen.description.lower() and "section" in scen.description.lower()


def test_low_trust_baseline_starts_below_the_danish_one():
    dk, se = resolve("denmark").parameters, resolve("southern_europe").parameters
    assert se.initial_generalised_trust < dk.initial_generalised_trust
    assert se.initial_trust_municipality < dk.initial_trust_municipality
    assert se.initial_volunteering < dk.initial_volunteering
    assert se.n_associations < dk.n_associations
    assert dk.governance_mode == "npg" and dk.steps == 120


def test_over_steering_episode_raises_then_lowers_steering():
    schedule = resolve("over_steering_episode").parameters.policy_schedule
    steps = {c.step: dict(c.changes)["steering_intensity"] for c in schedule}
    assert list(steps) == [24, 60]
    assert steps[24] > steps[60]


def test_npm_contracting_is_the_npm_preset():
    p = resolve("npm_contracting").parameters
    for lever, value in GOVERNANCE_MODES["npm"].items():
        assert getattr(p, lever) == value


def test_insp_roskilde_is_one_big_inclusive_house():
    p = resolve("insp_roskilde").parameters
    assert p.n_associations == 1 and p.n_citizens == 1000
    assert p.vulnerable_share > resolve("denmark").parameters.vulnerable_share
    assert p.relation_offered == "partnership"


def _write(tmp_path, name, text):
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_new_mode_replaces_inherited_levers_but_not_levers_set_beside_it(tmp_path):
    _write(tmp_path, "child", 'description = "x"\nbase = "insp_roskilde"\n[parameters]\ngovernance_mode = "npm"\ntargeting = 0.95\n')
    p = resolve(str(tmp_path / "child.toml")).parameters
    assert p.facilitation == GOVERNANCE_MODES["npm"]["facilitation"]      # insp's 0.75 is dropped
    assert p.targeting == 0.95                                            # set beside the mode
    assert p.n_associations == 1                                          # non-levers are inherited


def test_a_policy_in_the_child_replaces_the_base_schedule(tmp_path):
    _write(tmp_path, "child", 'description = "x"\nbase = "over_steering_episode"\n[[policy]]\nstep = 12\nfacilitation = 0.1\n')
    schedule = resolve(str(tmp_path / "child.toml")).parameters.policy_schedule
    assert [(c.step, dict(c.changes)) for c in schedule] == [(12, {"facilitation": 0.1})]


def test_overrides_shortening_the_run_drop_later_policy_changes_with_a_note():
    scen = resolve("over_steering_episode", {"steps": "30"})
    assert [c.step for c in scen.parameters.policy_schedule] == [24]
    assert any("60" in note for note in scen.notes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('description = "x"\nbase = "loop"\n', "loop"),
        ('description = "x"\n[parameters]\nsteering_intensty = 0.5\n', "steering_intensity"),
        ('description = "x"\n[parameters]\nfacilitation = 2.0\n', "0.0 to 1.0"),
        ('description = "x"\n[[policy]]\nstep = 5\nn_citizens = 50\n', "not a lever"),
        ('description = "x"\n[[policy]]\nstep = 500\nfacilitation = 0.5\n', "beyond the horizon"),
        ('descripton = "x"\n', "did you mean 'description'"),
        ('[parameters]\n', "description"),
        ('description = "x"\n[parameters\n', "line 2"),
        ('description = "x"\n[[policy]]\nstep = 5\nfacilitation = 0.5\n[[policy]]\nstep = 0\nfacilitation = 0.4\n',
         "the 2nd [[policy]] table: key 'step' = 0"),
        ('description = "x"\n[[policy]]\nstep = -3\nfacilitation = 0.5\n', "the 1st [[policy]] table: key 'step' = -3"),
        ('description = "x"\n[[policy]]\nstep = 5\nfacilitation = "0.5"\n', "TOML number"),
        ('description = "x"\n[parameters]\nn_citizens = "200"\n', "TOML integer"),
    ],
)
def test_bad_scenario_files_name_file_and_key(tmp_path, text, expected):
    path = _write(tmp_path, "loop", text)
    with pytest.raises(InputError) as info:
        resolve(str(path))
    assert expected in str(info.value)
    assert "loop.toml" in str(info.value)


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(InputError) as info:
        resolve("denmakr")
    message = str(info.value)
    assert "did you mean 'denmark'" in message.lower()
    for name in available():
        assert name in message


def test_scenarios_command_lists_every_scenario(cli):
    proc = cli("scenarios")
    assert proc.returncode == 0
    for name in SCENARIO_FILES:
        assert name in proc.stdout


def test_show_prints_resolved_values_with_ranges_and_meanings(cli):
    proc = cli("show", "southern_europe")
    assert proc.returncode == 0, proc.stderr
    assert "initial_generalised_trust" in proc.stdout and "0.35" in proc.stdout
    assert "a number from 0.0 to 1.0" in proc.stdout
    assert "mean generalised trust at the start" in proc.stdout
    assert "denmark -> southern_europe" in proc.stdout
    proc = cli("show", "over_steering_episode")
    assert "month 24: steering_intensity = 0.9" in proc.stdout


def test_command_line_text_is_parsed_as_plain_decimal_but_file_values_need_their_toml_type(tmp_path):
    assert resolve("denmark", {"n_citizens": "200", "steering_intensity": "5e-1", "linear_thinking": "True"}).parameters.n_citizens == 200
    for text in ("0x10", "1_000", "2e2", "200 # note"):
        with pytest.raises(InputError, match="plain decimal"):
            resolve("denmark", {"n_citizens": text})
    with pytest.raises(InputError, match="TOML integer"):
        resolve("denmark", {"n_citizens": "200"}, override_source="ex.toml: [parameters] key", from_file=True)


def test_a_lever_set_beside_a_mode_in_a_child_file_wins_in_either_order(tmp_path):
    for i, body in enumerate(('governance_mode = "npm"\nsteering_intensity = 0.95\n', 'steering_intensity = 0.95\ngovernance_mode = "npm"\n')):
        _write(tmp_path, f"child{i}", f'description = "x"\nbase = "npg_partnership"\n[parameters]\n{body}')
        p = resolve(str(tmp_path / f"child{i}.toml")).parameters
        assert p.steering_intensity == 0.95 and p.facilitation == GOVERNANCE_MODES["npm"]["facilitation"]


# --- input files are read safely (issue 13, items 7, 9, 10) ------------------------------------

@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs named pipes")
def test_a_fifo_given_as_a_scenario_or_experiment_file_is_refused_not_waited_on(tmp_path):
    import os

    from tests.conftest import run_cli

    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    for command in (("run", fifo, "--out", tmp_path / "out"), ("sweep", fifo, "--out", tmp_path / "out"), ("show", fifo)):
        proc = run_cli(*command, cwd=tmp_path, timeout=60)   # the code before hung here for ever
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "FIFO" in proc.stderr and "pipe.toml" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(not __import__("pathlib").Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_or_a_huge_file_is_refused_without_reading_it_all(tmp_path):
    from simulation.experiment.sweeps import load_experiment

    with pytest.raises(InputError, match="not a regular file"):
        resolve("/dev/zero")
    with pytest.raises(InputError, match="not a regular file"):
        load_experiment("/dev/zero")
    big = tmp_path / "big.toml"
    big.write_text('description = "x"\n' + "# padding\n" * 200_000, encoding="utf-8")
    with pytest.raises(InputError, match="at most 1,048,576 bytes") as info:
        resolve(str(big))
    assert "big.toml" in str(info.value)


def test_a_deeply_nested_array_is_an_input_error_naming_the_file(tmp_path):
    path = _write(tmp_path, "deep", 'description = "x"\n[parameters]\nn_citizens = ' + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(InputError, match="nested too deeply") as info:
        resolve(str(path))
    assert "deep.toml" in str(info.value)


def test_two_changes_of_one_lever_at_one_step_are_refused_naming_the_file(tmp_path):
    _write(tmp_path, "base", 'description = "x"\n[[policy]]\nstep = 5\nfacilitation = 0.5\n'
                             '[[policy]]\nstep = 9\nfacilitation = 0.2\n[[policy]]\nstep = 5\nfacilitation = 0.7\n')
    child = _write(tmp_path, "child", 'description = "y"\nbase = "base.toml"\n')
    with pytest.raises(InputError) as info:
        resolve(str(child))
    message = str(info.value)
    assert "base.toml" in message and "child.toml" not in message
    assert "[[policy]] tables: 'facilitation' is changed twice at step 5" in message
    # different levers at one step, or one lever at different steps, are fine
    ok = _write(tmp_path, "ok", 'description = "x"\n[[policy]]\nstep = 5\nfacilitation = 0.5\n[[policy]]\nstep = 5\n'
                               'targeting = 0.2\n[[policy]]\nstep = 6\nfacilitation = 0.7\n')
    assert len(resolve(str(ok)).parameters.policy_schedule) == 3


# --- a run folder is replaced as a whole (item 3) ------------------------------------------------

def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_failure_while_the_figure_is_drawn_leaves_the_earlier_run_whole(tmp_path, monkeypatch):
    from simulation.experiment import runs

    out = tmp_path / "run"
    first = resolve("denmark", {"n_citizens": "100", "steps": "3", "seed": "1"})
    runs.run_scenario(first.parameters, out, scenario="denmark")
    before = _files(out)
    assert set(before) >= {"timeseries.csv", "parameters.json", "manifest.json", "figure.png"}

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runs, "plot_run", disk_full)
    second = resolve("denmark", {"n_citizens": "120", "steps": "4", "seed": "2"})
    with pytest.raises(OSError):
        runs.run_scenario(second.parameters, out, scenario="denmark")
    assert _files(out) == before                                   # the earlier run, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]   # no half-written folder left beside it

    monkeypatch.setattr(runs, "plot_run", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        runs.run_scenario(second.parameters, out, scenario="denmark")
    assert _files(out) == before


def test_a_new_run_replaces_the_earlier_one_and_its_manifest_lists_only_its_own_files(tmp_path):
    from simulation.experiment import runs

    out = tmp_path / "run"
    runs.run_scenario(resolve("denmark", {"n_citizens": "100", "steps": "3"}).parameters, out, scenario="denmark")
    (out / "my notes.txt").write_text("mine", encoding="utf-8")
    _, manifest = runs.run_scenario(resolve("denmark", {"n_citizens": "100", "steps": "5"}).parameters, out,
                                    scenario="denmark", figure=False)
    assert "figure.png" not in manifest["files"] and not (out / "figure.png").exists()
    assert set(manifest["files"]) <= {p.name for p in out.iterdir()}
    assert (out / "my notes.txt").read_text(encoding="utf-8") == "mine"   # not the earlier run's: kept
    assert len(pd.read_csv(out / "timeseries.csv")) == 6
    assert json.loads((out / "manifest.json").read_text())["steps"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_run_too_large_for_this_machine_is_refused_before_anything_is_built(tmp_path):
    from simulation.experiment.runs import run_scenario

    huge = resolve("denmark", {"n_citizens": "10000000", "mean_degree": "200"})
    with pytest.raises(InputError, match="would need about .* GiB of memory .* this machine has"):
        run_scenario(huge.parameters, tmp_path / "out", scenario="denmark")
    assert not (tmp_path / "out").exists()


def test_a_run_inside_a_sweeps_runs_folder_is_refused(tmp_path):
    from simulation.experiment.runs import run_scenario

    (tmp_path / "sweep" / "runs").mkdir(parents=True)
    (tmp_path / "sweep" / "design.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="outside any sweep's runs/"):
        run_scenario(resolve("denmark", {"n_citizens": "100", "steps": "2"}).parameters,
                     tmp_path / "sweep" / "runs" / "runs-0000001-0000002.csv", scenario="denmark")
    assert list((tmp_path / "sweep" / "runs").iterdir()) == []

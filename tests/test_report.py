"""The report as a user makes it: `samskabelse report` at the tiny size writes Markdown, figures and tables."""

import json
import re

import numpy as np
import pytest

from simulation.core.parameters import FIELDS, LEVERS
from simulation.experiment.probes import LOOP_PROBES
from simulation.experiment.sensitivity import default_factors, load_sensitivity
from simulation.experiment.sweeps import load_experiment
from simulation.report import EXPERIMENT_DIR, EXPERIMENTS, NOT, PARTLY, REPRODUCED, half_time

from .conftest import run_cli

PATTERN_FIGURES = ["crowding_out", "hysteresis", "country_levels", "being_asked", "voice_to_service",
                   "bonding_bridging", "time_horizon"]
SECONDARY_FIGURES = ["rank_order", "vulnerable_gap"]


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    # the tiny report makes every pattern's, knock-out's and contest's runs: ~3 minutes on 2 busy cores
    out = tmp_path_factory.mktemp("report") / "report"
    proc = run_cli("report", "--size", "tiny", "--out", out, "--workers", "2", "--quiet",
                   cwd=out.parent, timeout=560)
    assert proc.returncode == 0, proc.stderr
    return out, proc


@pytest.mark.timeout(600)
def test_report_writes_markdown_figures_and_tables(tiny_report):
    out, _ = tiny_report
    text = (out / "REPORT.md").read_text(encoding="utf-8")
    for n in range(1, 8):
        assert re.search(rf"^## {n}\. ", text, re.M), f"section of pattern {n} missing"
    for section in ("## 8. Where each pattern comes from", "## 9. Robustness", "## 10. Secondary patterns",
                    "### S1. ", "### S2. ", "## 11. Sensitivity analysis", "## 12. Model 3: who wins what, and the control spiral",
                    "### M1. ", "### M2. "):
        assert section in text, section
    for name in PATTERN_FIGURES + SECONDARY_FIGURES + ["who_wins_what", "control_spiral", "sensitivity_morris", "sensitivity_sobol"]:
        png = out / "figures" / f"{name}.png"
        assert png.exists() and png.stat().st_size > 10_000, name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # every image and table the Markdown links to exists
    for link in re.findall(r"\]\(((?:figures|tables)/[^)]+)\)", text):
        assert (out / link).exists(), link
    tables = sorted(p.name for p in (out / "tables").glob("*.csv"))
    assert {"crowding_out.csv", "hysteresis_half_times.csv", "country_levels.csv", "being_asked.csv",
            "bonding_bridging.csv", "time_horizon_timeseries.csv", "sensitivity_morris.csv", "knockouts.csv",
            "robustness_large.csv", "robustness_perturbations.csv", "robustness_probes.csv", "rank_order.csv",
            "vulnerable_gap.csv"} <= set(tables)


def test_report_states_a_verdict_with_numbers_for_every_pattern(tiny_report):
    out, _ = tiny_report
    data = json.loads((out / "verdicts.json").read_text())
    assert data["size"] == "tiny"
    assert [v["pattern"] for v in data["verdicts"]] == list(range(1, 8))
    assert [v["pattern"] for v in data["secondary"]] == ["S1", "S2"]
    assert [v["pattern"] for v in data["contests"]] == ["M1", "M2"]  # model 3's contest (issue 11)
    assert set(data["robustness"]) == set(PATTERN_FIGURES)
    for v in data["verdicts"]:
        assert v["status"] in (REPRODUCED, PARTLY, NOT)
        assert v["verdict"] in (REPRODUCED, PARTLY, NOT, "assumed")
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
    assert set(hy["arm"]) == {"episode", "control"} and hy["step"].max() == 360
    assert set(hy["trust_loss_ratio"]) == {1.0, 3.0}  # hysteresis is judged with losses and gains of trust at one rate too
    ko = pd.read_csv(out / "tables" / "knockouts.csv")
    # the seven patterns' knock-outs and those of model 3's loops (issue 11)
    assert {"baseline", "cause off"} <= set(ko["condition"]) and set(ko["pattern"]) == set(PATTERN_FIGURES) | set(LOOP_PROBES)


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


def test_sensitivity_runs_alone_as_a_subcommand(tmp_path):
    proc = run_cli("sensitivity", "--help", cwd=tmp_path)
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

def test_sensitivity_without_salib_or_with_bad_workers_gives_a_message(tmp_path):
    proc = run_cli("sensitivity", "--out", tmp_path / "sens", cwd=tmp_path, env=_without_salib(tmp_path), timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert 'pip install -e ".[sensitivity]"' in " ".join(proc.stderr.split()) and not (tmp_path / "sens").exists()
    proc = run_cli("sensitivity", "--workers", "-1", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "--workers" in proc.stderr


# --- the pattern registry ----------------------------------------------------------------------------------------

def test_a_new_pattern_is_one_record():
    # a record with its own analysis and figure gets a verdict, a figure and a section, with no other edit
    import dataclasses

    import pandas as pd

    from simulation.report.analyses import Criterion, Judgement
    from simulation.report.markdown import render_markdown
    from simulation.report.patterns import PATTERNS, Pattern, Verdict, judge_all

    def analyse(tables, designs, criteria):
        level = float(tables["made_up"]["volunteering_rate"].mean())
        return Judgement(headline=f"level {level:.2f}", numbers={"level": level}, tables={"made_up": tables["made_up"]},
                         criteria=[Criterion("high_enough", f"level at least {criteria['at_least']}", level >= criteria["at_least"])])

    new = Pattern(key="made_up", number=8, title="A made-up pattern", claim="Volunteering is high.", source="a test",
                  experiments=("made_up",), criteria={"at_least": 0.5}, analyse=analyse,
                  figure=lambda judgement, path: path, caption="Look at nothing.")
    tables = {"made_up": pd.DataFrame({"volunteering_rate": [0.4, 0.8]})}
    (verdict,) = judge_all(tables, {}, (new,))
    assert verdict.status == REPRODUCED and verdict.to_json()["numbers"] == {"level": 0.6}
    stricter = judge_all(tables, {}, (dataclasses.replace(new, criteria={"at_least": 0.7}),))[0]
    assert stricter.status == NOT
    verdict.figure = "figures/made_up.png"
    meta = {"command": "c", "date": "d", "size": "tiny", "size_meaning": "m", "code_revision": "r", "version": "v", "runs": 2,
            "wall_time_seconds": 60, "workers": 1, "not_covered": ["x"]}
    text = render_markdown([verdict], {}, None, None, meta)
    assert "## 8. A made-up pattern" in text and "[`tables/made_up.csv`](tables/made_up.csv)" in text
    assert "- [x] level at least 0.5" in text and "*Look at nothing.*" in text
    assert isinstance(PATTERNS[0], Pattern) and isinstance(verdict, Verdict)


def test_the_report_runs_each_experiment_its_patterns_read_once():
    from simulation.report.patterns import CONTESTS, PATTERNS, SECONDARY

    assert list(EXPERIMENTS) == list(dict.fromkeys(n for p in PATTERNS + SECONDARY + CONTESTS for n in p.experiments))
    assert [p.label for p in CONTESTS] == ["M1", "M2"] and all(p.origin == "finding" and p.secondary for p in CONTESTS)
    assert [p.number for p in PATTERNS] == list(range(1, 8))
    assert [p.label for p in SECONDARY] == ["S1", "S2"] and all(p.origin == "prediction" for p in SECONDARY)
    assert [p.key for p in PATTERNS] == PATTERN_FIGURES


# --- the output folder: a report removes only what its own manifest lists (issue 13, item 1) ------------------

def _snapshot(folder):
    """Every file under ``folder`` with its bytes, so that a test can say "nothing was touched"."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _folder_of_other_work(folder):
    """A folder that is not a report: a copy of a sweep under sweeps/, a table and a .gitignore of its own."""
    sweep = folder / "sweeps" / "mine"
    (sweep / "runs").mkdir(parents=True)
    (sweep / "design.json").write_text('{"name": "mine", "design_hash": "0123"}')
    (sweep / "runs" / "runs_000000-000009.csv").write_text("run_id,seed\n0,1\n")
    (folder / "tables").mkdir()
    (folder / "tables" / "t.csv").write_text("a,b\n1,2\n")
    (folder / ".gitignore").write_text("private/\n")
    return _snapshot(folder)


def test_report_leaves_a_folder_with_a_sweeps_subfolder_alone(tmp_path):
    before = _folder_of_other_work(tmp_path)
    proc = run_cli("report", "--out", tmp_path, "--experiments", tmp_path / "typo", "--no-sensitivity", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert _snapshot(tmp_path) == before
    # with the right experiments folder too: a sweeps/ subfolder does not make a folder a report
    proc = run_cli("report", "--size", "tiny", "--out", tmp_path, "--no-sensitivity", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "other files" in proc.stderr
    assert _snapshot(tmp_path) == before


def test_a_typo_in_the_experiments_folder_deletes_nothing_of_an_earlier_report(tiny_report, tmp_path):
    import shutil

    earlier = tmp_path / "report"
    shutil.copytree(tiny_report[0], earlier)
    before = _snapshot(earlier)
    proc = run_cli("report", "--size", "tiny", "--out", earlier, "--experiments", tmp_path / "typo", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "typo" in proc.stderr
    assert _snapshot(earlier) == before


@pytest.mark.parametrize("case", ["no sensitivity file", "no SALib", "unreachable scheduler"])
def test_every_input_is_checked_before_an_earlier_report_is_touched(tiny_report, tmp_path, case):
    import shutil

    earlier = tmp_path / "report"
    shutil.copytree(tiny_report[0], earlier)
    before = _snapshot(earlier)
    args, env = [], None
    if case == "no sensitivity file":
        shutil.copytree(EXPERIMENT_DIR, tmp_path / "experiments")
        (tmp_path / "experiments" / "sensitivity.toml").unlink()
        args = ["--experiments", tmp_path / "experiments"]
    elif case == "no SALib":
        env = _without_salib(tmp_path)
    else:
        pytest.importorskip("distributed")
        args = ["--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"]
    proc = run_cli("report", "--size", "tiny", "--out", earlier, "--quiet", *args, cwd=tmp_path, env=env, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert _snapshot(earlier) == before


@pytest.mark.parametrize("sweep", ["sweeps/crowding_out", "sweeps/sensitivity/morris"])
def test_a_sweep_folder_the_manifest_does_not_list_is_not_run_into(tiny_report, tmp_path, sweep):
    import shutil

    earlier = tmp_path / "report"
    shutil.copytree(tiny_report[0], earlier)
    manifest = json.loads((earlier / "manifest.json").read_text())
    manifest["sweeps"].remove(sweep)  # as if someone had put their own sweep there
    (earlier / "manifest.json").write_text(json.dumps(manifest))
    before = _snapshot(earlier)
    proc = run_cli("report", "--size", "tiny", "--out", earlier, "--quiet", cwd=tmp_path, timeout=200)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert sweep.split("/")[-1] in proc.stderr and "--resume" in proc.stderr
    assert _snapshot(earlier) == before


def test_the_report_manifest_lists_every_file_the_report_wrote(tiny_report):
    out, _ = tiny_report
    manifest = json.loads((out / "manifest.json").read_text())
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and "sweeps" not in p.relative_to(out).parts}
    assert set(manifest["files"]) == written
    assert manifest["sweeps"] and all((out / s / "design.json").exists() for s in manifest["sweeps"] if s != "sweeps/probes")
    assert {p.name for p in (out / "sweeps" / "probes").iterdir()} == {"knockouts.jsonl", "large.jsonl", "perturbed.jsonl"}


def test_a_new_report_removes_only_the_files_its_manifest_lists(tiny_report, tmp_path):
    import shutil

    from simulation.report.build import clear_earlier_report

    earlier = tmp_path / "report"
    shutil.copytree(tiny_report[0], earlier)
    (earlier / "tables" / "mine.csv").write_text("kept\n")
    (earlier / "notes.md").write_text("kept\n")
    (earlier / "sweeps" / "mine").mkdir()
    (earlier / "sweeps" / "mine" / "design.json").write_text("{}")
    manifest = json.loads((earlier / "manifest.json").read_text())
    manifest["files"].append("../outside.txt")  # a manifest edited by hand cannot reach outside the folder
    (earlier / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "outside.txt").write_text("kept\n")
    clear_earlier_report(earlier, manifest)
    left = {str(p.relative_to(earlier)) for p in earlier.rglob("*") if p.is_file()}
    assert left == {"tables/mine.csv", "notes.md", "sweeps/mine/design.json"}
    assert (tmp_path / "outside.txt").exists()


def test_report_experiments_must_be_a_folder(tmp_path):
    # issue 13, item 9: a file given as --experiments is a clear exit-2 error, not NotADirectoryError
    proc = run_cli("report", "--out", tmp_path / "new", "--experiments", "/etc/passwd", "--no-sensitivity", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert "/etc/passwd" in proc.stderr and "folder" in proc.stderr
    assert not (tmp_path / "new").exists()


# --- where each pattern comes from, and robustness: the machinery (model 2, issue 10) -----------------------

def _row(key, holds, **numbers):
    pattern = key.split("/")[1]
    return {"key": key, "pattern": pattern, "holds": holds, "numbers": numbers or {"x": 1.0}, "seeds": [1], "criterion": "c"}


def test_status_labels_follow_the_knock_out_results():
    from simulation.report.probing import KnockoutResult, status_label

    emerges = KnockoutResult("p", base_holds=True, cause_removes=True, others_keep={"a": True, "b": True})
    cause_not_needed = KnockoutResult("p", base_holds=True, cause_removes=False, others_keep={"a": True})
    other_needed = KnockoutResult("p", base_holds=True, cause_removes=True, others_keep={"a": True, "b": False})
    assert emerges.emerges and not cause_not_needed.emerges and not other_needed.emerges
    assert status_label(REPRODUCED, "emerges", emerges) == REPRODUCED
    assert status_label(REPRODUCED, "emerges", cause_not_needed) == PARTLY
    assert status_label(REPRODUCED, "emerges", other_needed) == PARTLY
    assert status_label(PARTLY, "emerges", emerges) == PARTLY        # criteria only partly met
    assert status_label(REPRODUCED, "partly", emerges) == PARTLY      # the record says part of it is assumed
    assert status_label(REPRODUCED, "assumed", emerges) == "assumed"  # one term written for it decides it
    assert status_label(NOT, "emerges", emerges) == NOT
    assert status_label(NOT, "assumed", emerges) == NOT


def test_a_verdict_takes_its_label_from_its_knock_outs():
    from simulation.experiment.probes import KNOCKOUTS
    from simulation.report.analyses import Criterion, Judgement
    from simulation.report.build import label_verdicts
    from simulation.report.patterns import PATTERN_BY_KEY, Verdict
    from simulation.report.probing import ProbeResults, ProbeSizes, knockout_result

    def results(cause_removes: bool) -> dict:
        ko = KNOCKOUTS["being_asked"]
        rows = [_row("knockout/being_asked/baseline", True), _row("knockout/being_asked/cause off", not cause_removes)]
        rows += [_row(f"knockout/being_asked/off: {t}", True) for t in ko.others_off]
        return {r["key"]: r for r in rows}

    met = Judgement("h", [Criterion("c", "c", True)], {}, {})
    for removes, label in ((True, REPRODUCED), (False, PARTLY)):
        v = Verdict(PATTERN_BY_KEY["being_asked"], met)
        label_verdicts([v], ProbeResults(results(removes), {}, {}, ProbeSizes()))
        assert knockout_result("being_asked", results(removes)).cause_removes is removes
        assert v.verdict == label and v.status == REPRODUCED
    v = Verdict(PATTERN_BY_KEY["voice_to_service"], met)
    ko = {r["key"]: r for r in [_row("knockout/voice_to_service/baseline", True), _row("knockout/voice_to_service/cause off", False)]
          + [_row(f"knockout/voice_to_service/off: {t}", True) for t in KNOCKOUTS["voice_to_service"].others_off]}
    label_verdicts([v], ProbeResults(ko, {}, {}, ProbeSizes()))
    assert v.verdict == "assumed"


def test_knock_outs_use_common_random_numbers_and_cover_every_term():
    from simulation.experiment.probes import KNOCKOUTS
    from simulation.report.probing import ProbeSizes, knockout_tasks

    sizes = ProbeSizes()
    tasks = knockout_tasks(sizes)
    assert {t.seeds for t in tasks} == {sizes.knockout_seeds} and {t.n_citizens for t in tasks} == {1000}
    for name, ko in KNOCKOUTS.items():
        mine = {t.key.split("/", 2)[2]: dict(t.overrides) for t in tasks if t.pattern == name}
        assert mine["baseline"] == {} and mine["cause off"] == dict(ko.cause_off)
        assert {k.removeprefix("off: ") for k in mine} - {"baseline", "cause off"} == set(ko.others_off)


def test_perturbations_leave_the_steering_the_lever_probes_hold_alone():
    # model 3: crowding out, hysteresis and time hold steering (steering_response = 0); a perturbation of
    # steering_response would switch the municipality's review back on inside a lever probe
    from simulation.report.probing import ProbeSizes, perturbation_tasks

    held = {t.pattern for t in perturbation_tasks(ProbeSizes()) if dict(t.overrides).keys() == {"steering_response"}}
    assert held and not held & {"crowding_out", "hysteresis", "time_horizon"}


def test_perturbations_are_25_percent_within_the_declared_range_and_say_what_they_skip():
    from simulation.report.probing import ProbeSizes, large_tasks, perturbation_tasks, perturbations

    done, skipped = perturbations(0.25)
    by = {(p, sign): v for p, sign, v in done}
    assert by[("trust_loss_ratio", "-25 %")] == pytest.approx(2.25) and by[("trust_loss_ratio", "+25 %")] == pytest.approx(3.75)
    for p, _, v in done:
        lo, hi = FIELDS[p].metadata["range"]
        assert lo <= v <= hi and v != FIELDS[p].default and FIELDS[p].metadata["kind"] in ("behaviour", "population")
    reasons = dict(skipped)
    assert {"n_citizens", "n_associations", "n_staff", "n_groups"} <= set(reasons)
    assert "trust_engagement +25 %" in reasons  # default 1.0 at the top of its range: no change to make
    assert not any(p in LEVERS for p, _, _ in done)
    tasks = perturbation_tasks(ProbeSizes(perturbed=("norm_weight",)))
    assert {t.key for t in tasks if t.pattern == "crowding_out"} == {
        "perturbed/crowding_out/baseline", "perturbed/crowding_out/norm_weight -25 %", "perturbed/crowding_out/norm_weight +25 %"}
    assert all(t.quick == (t.pattern == "country_levels") for t in tasks)
    # the country probe sets the countries' conditions itself: they are not perturbed for it
    full = perturbation_tasks(ProbeSizes())
    assert not any(t.pattern == "country_levels" and "societal_trust" in dict(t.overrides) for t in full)
    assert any(t.pattern == "hysteresis" and "societal_trust" in dict(t.overrides) for t in full)
    large = large_tasks(ProbeSizes())
    assert {t.n_citizens for t in large} == {5000} and {t.seeds for t in large} == {(101, 102, 103)}


def test_the_robustness_table_counts_perturbations_kept_and_lists_those_that_break():
    from simulation.report.probing import perturbation_table

    rows = [_row("perturbed/hysteresis/baseline", True), _row("perturbed/hysteresis/a -", True),
            _row("perturbed/hysteresis/a +", False), _row("perturbed/hysteresis/b -", False),
            _row("perturbed/being_asked/baseline", False), _row("perturbed/being_asked/a -", True)]
    table = perturbation_table({r["key"]: r for r in rows}, patterns=("hysteresis", "being_asked")).set_index("pattern")
    assert table.loc["hysteresis", ["perturbations", "keep", "break"]].tolist() == [3, 1, 2]
    assert table.loc["hysteresis", "breaking"] == "a +; b -" and bool(table.loc["hysteresis", "baseline_holds"])
    assert table.loc["being_asked", ["perturbations", "keep"]].tolist() == [1, 1] and not table.loc["being_asked", "baseline_holds"]


def test_probes_are_stored_as_they_finish_and_a_rerun_skips_those_done(tmp_path):
    import concurrent.futures as cf

    from simulation.experiment.probes import ProbeTask, read_store, run_tasks

    class Recording(cf.Executor):
        def __init__(self):
            self.submitted = []

        def submit(self, fn, task):
            self.submitted.append(task.key)
            fut = cf.Future()
            fut.set_result(_row(task.key, True))
            return fut

    tasks = [ProbeTask(f"perturbed/hysteresis/{p}", "hysteresis") for p in ("a -", "a +", "b -")]
    store = tmp_path / "probes" / "perturbed.jsonl"
    store.parent.mkdir()
    store.write_text(json.dumps(_row(tasks[0].key, False)) + "\n" + '{"key": "perturbed/hyster')  # a torn last line
    ex = Recording()
    results = run_tasks(tasks, store, ex, progress=False)
    assert ex.submitted == [tasks[1].key, tasks[2].key]           # the stored one is not run again
    assert results[tasks[0].key]["holds"] is False                 # ... and its stored result is used
    assert set(read_store(store)) == {t.key for t in tasks}
    again = Recording()
    assert run_tasks(tasks, store, again, progress=False).keys() == results.keys() and again.submitted == []


def test_the_code_revision_is_read_before_the_earlier_report_is_removed(tiny_report, tmp_path, monkeypatch):
    # a committed earlier report, removed first, made every regeneration from a clean tree say "-dirty"
    import shutil

    from simulation.report import build

    earlier = tmp_path / "report"
    shutil.copytree(tiny_report[0], earlier)
    seen = []

    def provenance():
        seen.append((earlier / "REPORT.md").exists())
        return {"code_revision": "r", "version": "v"}

    monkeypatch.setattr(build, "provenance", provenance)
    build.build_report(earlier, "tiny", workers=2, sensitivity=False, quiet=True)
    assert seen == [True]

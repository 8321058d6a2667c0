"""Calibration machinery on small data: recovery of known parameters, resumption, prediction, clear errors.

Nothing here checks the committed numbers (docs/calibration); every number is computed from the
model at a tiny size. The shared fixture calibrates once on synthetic countries the model itself
generated at known parameters.
"""

from __future__ import annotations

import dataclasses
import importlib
import shutil

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.errors import InputError, ParameterError
from simulation.experiment.calibration import MeasurementModel, load_calibration, predict, read_countries, run_calibration
from simulation.experiment.calibration.data import DATA_FILE, find_country
from simulation.experiment.calibration.design import CalibrationSettings, behaviour_prior, country_run
from simulation.experiment.calibration.measurement import CALIBRATED_MEASUREMENT, Prior, societal_trust
from simulation.experiment.sweeps import SweepInterrupted

calibrate_module = importlib.import_module("simulation.experiment.calibration.calibrate")

#: Known parameters the synthetic countries are generated at.
TRUE = {"join_readiness_midpoint": 0.62, "trust_at_reference": 0.5, "trust_slope": 0.1}
TRUST_VALUES = (3.5, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.5, 9.5)


def _settings(points: int = 40) -> CalibrationSettings:
    """A tiny calibration of one behavioural parameter (level of the trust line held near its true value)."""
    level = Prior("trust_at_reference", 0.48, 0.52, "held near its true value: level and midpoint both shift volunteering",
                  "measurement")
    slope, disc = CALIBRATED_MEASUREMENT[1], CALIBRATED_MEASUREMENT[2]
    return CalibrationSettings(
        size_name="tiny", behaviour=(behaviour_prior("join_readiness_midpoint"),), measurement_priors=(level, slope, disc),
        measurement=MeasurementModel(burn_in_months=60, initial_volunteering=0.2), root_seed=3,
        size_overrides=(("n_citizens", 300), ("points", points), ("replicates", 1), ("prior_draws", 3000),
                        ("posterior_draws", 400)),
    )


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Countries the model generated at :data:`TRUE` (one seed each), as a data file."""
    settings = _settings()
    rows = []
    for i, x in enumerate(TRUST_VALUES):
        st = float(societal_trust(x, TRUE["trust_at_reference"], TRUE["trust_slope"], settings.measurement.reference_trust))
        share = country_run(settings, {"join_readiness_midpoint": TRUE["join_readiness_midpoint"]}, st, seed=100 + i)
        rows.append({"country_code": f"S{i}", "country": f"Synthetic {i}", "formal_volunteering_2015": 100 * share,
                     "trust_in_others_2013": x})
    path = tmp_path_factory.mktemp("data") / "synthetic.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


#: What the output folder held each time the calibration read the code's revision (see the fixture below).
OUTPUTS_AT_PROVENANCE: list[list[str]] = []


@pytest.fixture(scope="module")
def calibrated(synthetic, tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "cal"
    real = calibrate_module.provenance

    def recording_provenance():
        OUTPUTS_AT_PROVENANCE.append(sorted(p.name for p in out.glob("*.csv")))
        return real()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(calibrate_module, "provenance", recording_provenance)
        run_calibration(_settings(), out, data_file=synthetic, workers=2, progress=False, temporal=False)
    return out


def test_the_manifest_records_the_revision_before_any_output_is_written(calibrated):
    """Read after the outputs, a calibration into its committed folder called its own clean revision "-dirty"."""
    assert OUTPUTS_AT_PROVENANCE == [[]], OUTPUTS_AT_PROVENANCE


def test_calibration_recovers_the_parameters_the_data_were_made_with(calibrated):
    summary = pd.read_csv(calibrated / "posterior_summary.csv").set_index("parameter")
    for name in ("join_readiness_midpoint", "trust_slope"):
        row = summary.loc[name]
        assert row["q05"] <= TRUE[name] <= row["q95"], (name, row.to_dict())
    # and it learned something: the midpoint's 90 % interval is well inside its prior
    assert summary.loc["join_readiness_midpoint", "width_share_of_prior"] < 0.6
    # the data have no country discrepancy beyond run noise: its posterior sits in the lower part of its prior
    assert summary.loc["discrepancy_sd", "median"] < 0.5 * CALIBRATED_MEASUREMENT[2].hi


def test_a_resumed_calibration_gives_the_same_files(synthetic, calibrated, tmp_path):
    out = tmp_path / "resumed"
    with pytest.raises(SweepInterrupted):
        run_calibration(_settings(), out, data_file=synthetic, workers=2, progress=False, temporal=False, stop_after=10)
    assert not (out / "posterior.csv").exists()
    run_calibration(_settings(), out, data_file=synthetic, workers=2, progress=False, temporal=False)
    for name in ("posterior.csv", "validation_countries.csv", "emulator_training.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(out / name), pd.read_csv(calibrated / name))


def test_leave_one_out_and_baselines_are_computed_for_every_country(calibrated):
    loo = pd.read_csv(calibrated / "validation_countries.csv")
    assert len(loo) == len(TRUST_VALUES)
    scores = pd.read_csv(calibrated / "validation_metrics.csv").set_index("method")
    assert set(scores.index) >= {"model", "training_mean", "regression"}
    for method in ("model", "training_mean", "regression"):
        assert np.isclose(scores.loc[method, "mae"], (loo[method] - loo["observed"]).abs().mean())
    # synthetic data come from the model: it should predict them at least as well as the training mean
    assert scores.loc["model", "mae"] < scores.loc["training_mean", "mae"]


def test_prediction_interval_contains_its_point_and_widens_with_the_discrepancy(calibrated):
    cal = load_calibration(calibrated)
    table = predict([0.0, 4.0, 6.0, 10.0], cal)
    assert (table["low"] <= table["predicted"]).all() and (table["predicted"] <= table["high"]).all()
    assert (table["low"] <= table["model_low"]).all() and (table["model_high"] <= table["high"]).all()
    assert table["predicted"].is_monotonic_increasing  # the synthetic slope is positive
    again = predict([0.0, 4.0, 6.0, 10.0], cal)
    pd.testing.assert_frame_equal(table, again)  # seeded


def test_measurement_model_parameters_are_checked():
    with pytest.raises(ParameterError, match="burn_in_months"):
        MeasurementModel(burn_in_months=5)
    with pytest.raises(ParameterError, match="reference_trust"):
        MeasurementModel(reference_trust=11.0)
    assert dataclasses.asdict(MeasurementModel())["burn_in_months"] == 180


def test_country_lookup_suggests_the_closest_code():
    data = read_countries(DATA_FILE)
    assert len(data) == 21 and find_country(data, "dk")["country"] == "Denmark"
    assert find_country(data, "Sweden")["country_code"] == "SE"
    with pytest.raises(InputError, match="did you mean 'DK'"):
        find_country(data, "DNK")


def _run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    text = " ".join((captured.out + captured.err).split())
    assert "Traceback" not in text
    return code, text


def test_predict_prints_a_rate_with_an_interval_and_writes_it(calibrated, capsys, tmp_path):
    out = tmp_path / "pred.csv"
    code, text = _run(capsys, "predict", "--trust-in-others", "6.0", "--posterior", calibrated, "--out", out)
    assert code == 0, text
    assert "trust in others 6.0:" in text and "90 % interval" in text
    table = pd.read_csv(out)
    assert len(table) == 1 and table["low"].iloc[0] <= table["predicted"].iloc[0] <= table["high"].iloc[0]


@pytest.mark.parametrize(("args", "expected"), [
    (["--trust-in-others", "11"], "from 0 (none) to 10"),
    (["--trust-in-others", "abc"], "expected a number from 0 to 10"),
    (["--country", "DNK"], "unknown country (did you mean 'DK'?)"),
    ([], "predict needs a country's inputs"),
])
def test_predict_bad_inputs_exit_2_with_one_paragraph(calibrated, capsys, args, expected):
    code, text = _run(capsys, "predict", *args, "--posterior", calibrated)
    assert code == 2 and expected in text, text


def test_predict_names_the_missing_columns_of_a_csv(calibrated, capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("country_code,trust\nDK,8.3\n")
    code, text = _run(capsys, "predict", "--csv", bad, "--posterior", calibrated)
    assert code == 2 and "lacks the column(s) trust_in_others_2013" in text, text


def test_predict_refuses_a_missing_or_corrupt_posterior(calibrated, capsys, tmp_path):
    code, text = _run(capsys, "predict", "--trust-in-others", "6", "--posterior", tmp_path / "nothing")
    assert code == 2 and "no such calibration folder" in text
    broken = tmp_path / "broken"
    shutil.copytree(calibrated, broken)
    (broken / "posterior.csv").write_text("draw,something\n0,1\n")
    code, text = _run(capsys, "predict", "--trust-in-others", "6", "--posterior", broken)
    assert code == 2 and "cannot be read back" in text and "join_readiness_midpoint" in text, text
    (broken / "emulator.json").unlink()
    shutil.copy(calibrated / "posterior.csv", broken / "posterior.csv")
    code, text = _run(capsys, "predict", "--trust-in-others", "6", "--posterior", broken)
    assert code == 2 and "emulator.json: missing" in text, text


def test_calibrate_refuses_a_bad_data_file_before_any_run(capsys, tmp_path):
    bad = tmp_path / "countries.csv"
    bad.write_text("country_code,trust_in_others_2013\nDK,8.3\n")
    code, text = _run(capsys, "calibrate", "--size", "tiny", "--data", bad, "--out", tmp_path / "out")
    assert code == 2 and "lacks the column(s) formal_volunteering_2015" in text, text
    assert not (tmp_path / "out").exists()


def test_report_section_and_summary_read_the_calibration_folder(calibrated, tmp_path):
    from simulation.report.validation import validation_section, write_summary

    section = validation_section(tmp_path / "figures", calibrated)
    scores = pd.read_csv(calibrated / "validation_metrics.csv").set_index("method")
    assert section.markdown.startswith("## Validation: countries the model never saw")
    assert f"{scores.loc['model', 'mae']:.2f}" in section.markdown and f"{scores.loc['regression', 'mae']:.2f}" in section.markdown
    assert section.files == ["figures/validation_predicted_observed.png"] and (tmp_path / section.files[0]).is_file()
    assert "No calibration" in validation_section(tmp_path / "f2", tmp_path / "none").markdown
    text = write_summary(calibrated).read_text()
    assert "## Posterior" in text and "join_readiness_midpoint" in text


def test_the_odd_documents_every_measurement_parameter_with_its_default_and_range():
    from pathlib import Path

    odd = (Path(__file__).resolve().parents[1] / "docs" / "ODD.md").read_text(encoding="utf-8")
    section = odd.split("## 10. Measurement model", 1)[1]
    for f in dataclasses.fields(MeasurementModel):
        lo, hi = f.metadata["range"]
        assert f"| `{f.name}` | {f.default:g} | {lo:g} to {hi:g} | {f.metadata['meaning']} |" in section, f.name
    for p in CALIBRATED_MEASUREMENT:
        assert f"| `{p.name}` | {p.lo:g} to {p.hi:g} |" in section, p.name


def test_pattern_probes_at_posterior_draws_give_a_share_per_pattern_and_resume(calibrated, monkeypatch, tmp_path):
    from simulation.experiment.calibration import calibrate
    from simulation.experiment.probes import PROBES

    monkeypatch.setattr(calibrate, "PROBES", {"being_asked": PROBES["being_asked"]})
    monkeypatch.setattr(calibrate, "PATTERN_CITIZENS", 150)
    settings = dataclasses.replace(_settings(), size_overrides=(*_settings().size_overrides, ("pattern_draws", 2)))
    draws = pd.read_csv(calibrated / "posterior.csv")
    store = tmp_path / "patterns.jsonl"
    rows, summary = calibrate.pattern_shares(settings, draws, store, None, 2, False)
    assert len(rows) == 2 and set(rows["pattern"]) == {"being_asked"}
    assert summary["share_holds"].iloc[0] == rows["holds"].mean() and summary["draws"].iloc[0] == 2
    lines = store.read_text().splitlines()
    again, _ = calibrate.pattern_shares(settings, draws, store, None, 2, False)  # resumed: nothing is run again
    assert store.read_text().splitlines() == lines
    pd.testing.assert_frame_equal(again, rows)


def test_predict_from_python_refuses_a_table_without_trust_and_a_trust_off_the_scale(calibrated):
    cal = load_calibration(calibrated)
    with pytest.raises(InputError, match="lacks the column trust_in_others_2013"):
        predict(pd.DataFrame({"country_code": ["DK"], "trust": [8.3]}), cal)
    with pytest.raises(InputError, match="0 .none. to 10"):
        predict([-1.0], cal)
    table = predict(pd.DataFrame({"country_code": ["DK"], "trust_in_others_2013": [8.3]}), cal)
    assert list(table.columns[:2]) == ["country_code", "trust_in_others_2013"] and len(table) == 1

"""Parameters are declared once, validated in one place, and modes are only lever presets."""

import pytest

from simulation import CoCreationModel, ParameterError, make_parameters
from simulation.core.parameters import FIELDS, GOVERNANCE_MODES, LEVERS, coerce_value, describe, parameter_table_markdown

PUBLIC = ["governance_mode", "steering_intensity", "facilitation", "quick_results_pressure", "n_citizens",
          "n_associations", "n_staff", "n_groups", "steps", "seed"]
MODEL_LEVERS = ["steering_intensity", "facilitation", "quick_results_pressure", "sense_making", "threat_sensitivity",
                "targeting", "contract_competition", "linear_thinking", "relation_offered"]


def test_public_names_and_every_lever_of_the_design_exist():
    for name in PUBLIC:
        assert name in FIELDS
    for name in MODEL_LEVERS:
        assert name in LEVERS


def test_every_parameter_declares_default_range_and_meaning():
    for name in FIELDS:
        d = describe(name)
        assert d["meaning"], name
        assert d["kind"] in ("run", "population", "lever", "behaviour", "schedule"), name
        if d["type"] in ("int", "float"):
            lo, hi = d["range"]
            assert lo <= d["default"] <= hi, name


def test_modes_are_presets_of_levers_only():
    for mode, preset in GOVERNANCE_MODES.items():
        assert set(preset) == set(LEVERS), mode
        p = make_parameters(governance_mode=mode)
        for lever, value in preset.items():
            assert getattr(p, lever) == value


def test_a_lever_can_be_overridden_on_top_of_a_mode():
    p = make_parameters(governance_mode="npm", steering_intensity=0.05)
    assert p.steering_intensity == 0.05
    assert p.relation_offered == "supplier"


def test_unknown_parameter_names_the_closest_valid_one():
    with pytest.raises(ParameterError, match="steering_intensity"):
        make_parameters(steering_intensty=0.5)


@pytest.mark.parametrize(("name", "value", "fragment"), [
    ("steering_intensity", 1.5, "from 0.0 to 1.0"),
    ("n_citizens", 2.5, "whole number"),
    ("governance_mode", "anarchy", "'hierarchy', 'npm', 'npg'"),
    ("linear_thinking", "maybe", "true or false"),
    ("facilitation", float("nan"), "from 0.0 to 1.0"),
])
def test_bad_values_name_parameter_value_and_allowed_range(name, value, fragment):
    with pytest.raises(ParameterError) as err:
        make_parameters(**{name: value})
    assert name in str(err.value) and fragment in str(err.value)


def test_strings_from_command_line_and_text_boxes_are_coerced():
    assert coerce_value("steering_intensity", "0.25") == 0.25
    assert coerce_value("seed", "12") == 12
    assert coerce_value("n_citizens", 300.0) == 300
    assert coerce_value("linear_thinking", "true") is True


def test_policy_schedule_is_validated_against_levers_and_horizon():
    p = make_parameters(steps=60, policy_schedule=[{"step": 24, "steering_intensity": 0.9}])
    assert p.policy_schedule[0].step == 24
    with pytest.raises(ParameterError, match="outside the run's horizon"):
        make_parameters(steps=20, policy_schedule=[{"step": 24, "steering_intensity": 0.9}])
    with pytest.raises(ParameterError, match="not a lever"):
        make_parameters(policy_schedule=[{"step": 2, "n_citizens": 10}])


def test_policy_schedule_changes_levers_at_its_step():
    m = CoCreationModel(n_citizens=100, steps=10, seed=3,
                        policy_schedule=[{"step": 3, "steering_intensity": 0.9}, {"step": 6, "governance_mode": "npm"}])
    seen = []
    for _ in range(7):
        m.step()
        seen.append((m.p.steering_intensity, m.p.relation_offered))
    assert seen[1] == (0.2, "partnership") and seen[2] == (0.9, "partnership")
    assert seen[5] == (GOVERNANCE_MODES["npm"]["steering_intensity"], "supplier")
    assert m.parameters.steering_intensity == 0.2  # the starting parameters stay on record


def test_set_lever_during_a_run_is_validated():
    m = CoCreationModel(n_citizens=100, seed=1)
    m.set_lever("steering_intensity", "0.8")
    assert m.p.steering_intensity == 0.8
    with pytest.raises(ParameterError):
        m.set_lever("steering_intensity", 3)
    with pytest.raises(ParameterError, match="not a lever"):
        m.set_lever("n_citizens", 5)


def test_parameter_table_lists_every_parameter():
    table = parameter_table_markdown()
    for name in FIELDS:
        assert f"`{name}`" in table

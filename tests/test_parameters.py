"""Parameters are declared once, validated in one place, and modes are only lever presets."""

import numpy as np
import pytest

from simulation import CoCreationModel, ParameterError, make_parameters
from simulation.core.parameters import FIELDS, GOVERNANCE_MODES, LEVERS, PolicyChange, coerce_value, describe

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


#: Numbers that were written into the equations and the initial state before they were declared (issue 9).
FORMER_CONSTANTS = {
    "facilitation_skill_weight": 0.5, "experience_sensitivity": 0.5, "own_service_experience_weight": 0.5,
    "control_autonomy_loss": 0.5, "partnership_autonomy_shield": 0.5, "cooperation_ceiling": 0.8, "understanding_facilitation_weight": 0.3,
    "understanding_sense_making_weight": 0.3, "understanding_coordination_weight": 0.2,
    "understanding_partnership_weight": 0.2, "understanding_cooperation_weight": 0.4,
    "initial_volunteer_selectivity": 4.0, "initial_months_active": 12,
    "initial_orientation": 0.4, "orientation_spread": 0.15, "initial_autonomy": 0.8, "autonomy_spread": 0.1,
    "initial_cooperation": 0.5, "partner_trust_spread": 0.05, "initial_understanding": 0.15,
    "initial_facilitation_skill": 0.6, "facilitation_skill_spread": 0.15, "initial_tie_weight_min": 0.2,
}


def _state_after(months, **kw):
    m = CoCreationModel(n_citizens=120, n_associations=6, n_staff=3, steps=months, seed=5, **kw)
    for _ in range(months):
        m.step()
    W = m.world
    parts = [W.citizens.trust_municipality, W.citizens.motivation, W.citizens.months_active, W.citizens.needs_met,
             W.associations.orientation, W.associations.autonomy, W.associations.openness, W.associations.cooperation,
             W.associations.understanding, W.associations.partner_trust, W.staff.control, W.citizens.volunteer, W.ties.w,
             W.citizens.generalised_trust, W.citizens.frame, W.citizens.association]
    return [np.asarray(x, dtype=float).copy() for x in parts]


@pytest.mark.parametrize(("name", "value"), FORMER_CONSTANTS.items())
def test_former_constants_keep_their_value_and_reach_the_equations(name, value):
    """Declared with the value the equation had (so runs are unchanged), and changing it changes the run."""
    f = FIELDS[name]
    assert f.default == value and f.metadata["kind"] in ("behaviour", "population")
    lo, hi = f.metadata["range"]
    other = hi if value != hi else lo
    if isinstance(value, float):
        other = value + 0.5 * (other - value)
    kw = {"governance_mode": "npm", "relation_offered": "partnership"}  # supplier pull, partnership shield and bonus all act
    base, changed = _state_after(3, **kw), _state_after(3, **kw, **{name: other})
    assert any(not np.array_equal(a, b) for a, b in zip(base, changed, strict=True)), f"{name} = {other} changed nothing"


#: Model 2's feedbacks (docs/ODD.md, section 4): each is a declared parameter that reaches its equation.
MODEL2_PARAMETERS = (
    "societal_trust", "service_preference", "service_preference_spread", "recognition_weight", "frame_rate", "frame_unlearning",
    "frame_weight", "contact_rate", "trust_engagement", "engagement_midpoint", "engagement_steepness", "municipal_trust_readiness",
    "norm_weight", "norm_reference", "trust_anchor_weight", "bridging_trust_weight", "bridging_reference",
    "outreach_per_association", "outgroup_join_penalty", "yield_selection", "contract_funding", "orientation_adjustment", "fit_weight",
)


@pytest.mark.parametrize("name", MODEL2_PARAMETERS)
def test_model2_parameters_reach_their_equations(name):
    """Setting any of model 2's parameters to the far end of its range changes a supplier-governed run."""
    f = FIELDS[name]
    lo, hi = f.metadata["range"]
    other = hi if f.default != hi else lo
    # a supplier contract, pressure and control above tolerance, with people still joining (at 0.8 model 3's
    # municipality crowds joining out so far that a readiness term such as the norm flips no join in a year)
    kw = {"governance_mode": "npm", "steering_intensity": 0.5}
    base, changed = _state_after(12, **kw), _state_after(12, **kw, **{name: other})
    assert any(not np.array_equal(a, b) for a, b in zip(base, changed, strict=True)), f"{name} = {other} changed nothing"


def test_openness_is_the_mix_of_the_members_from_the_start_on():
    from simulation.core.state import member_mix

    m = CoCreationModel(n_citizens=200, n_associations=8, targeting=1.0, seed=1)
    for month in range(2):
        c, a = m.world.citizens, m.world.associations
        vol = np.flatnonzero(c.volunteer)
        mix, _ = member_mix(c.group[vol], c.association[vol], a.group, a.n, m.p.n_groups)
        if month == 0:  # the start is the initial members' mix (everyone in an association of their own group)
            assert a.openness == pytest.approx(mix) and mix.max() == 0.0
        m.step()
    for _ in range(60):
        m.step()
    assert m.world.associations.openness.mean() > 0.1  # inclusive outreach mixes the members, and openness follows


# --- the Python API refuses bad input with ParameterError, and says what is allowed (issue 13, items 5 and 10) ---

@pytest.mark.parametrize(("kwargs", "fragment"), [
    (lambda: {"policy_schedule": 5}, "list of changes"),
    (lambda: {"policy_schedule": {"step": 2, "steering_intensity": 0.9}}, "list of changes"),
    (lambda: {"policy_schedule": "step=2"}, "list of changes"),
    (lambda: {"policy_schedule": [PolicyChange("2", (("steering_intensity", 0.9),))]}, "whole number of months"),
    (lambda: {"policy_schedule": [PolicyChange(2.5, (("steering_intensity", 0.9),))]}, "whole number of months"),
    (lambda: {"parameters": {"n_citizens": 50}}, "keyword arguments"),
], ids=["int", "one table", "text", "text step", "fractional step", "parameters as dict"])
def test_wrong_types_in_the_python_api_raise_parameter_error(kwargs, fragment):
    with pytest.raises(ParameterError, match=fragment):
        # PolicyChange itself may already refuse; either way a ParameterError, never TypeError/ValueError/AttributeError
        CoCreationModel(n_citizens=50, steps=5, **kwargs())


@pytest.mark.parametrize("step", ["2", 2.5, None, True, float("nan")])
def test_a_policy_change_needs_a_whole_month(step):
    with pytest.raises(ParameterError, match="whole number of months"):
        PolicyChange(step, (("steering_intensity", 0.9),))


def test_a_policy_change_at_a_fractional_month_is_not_silently_dropped():
    with pytest.raises(ParameterError, match="whole number of months"):
        make_parameters(steps=5, policy_schedule=[{"step": 2.5, "steering_intensity": 0.9}])
    change = PolicyChange(np.int64(2), {"steering_intensity": "0.9"})  # numpy month, a mapping, text: all made plain
    assert change == PolicyChange(2, (("steering_intensity", 0.9),)) and type(change.step) is int


@pytest.mark.parametrize("changes", [(("n_citizens", 10),), (("steering_intensity", 3.0),), (), (("facilitation", 0.1), ("facilitation", 0.2))])
def test_a_policy_change_checks_its_levers(changes):
    with pytest.raises(ParameterError):
        PolicyChange(3, changes)


def test_two_changes_of_one_lever_at_one_step_are_refused_naming_both():
    twice = [{"step": 12, "steering_intensity": 0.9}, {"step": 24, "facilitation": 0.1}, {"step": 12, "steering_intensity": 0.1}]
    with pytest.raises(ParameterError, match=r"'steering_intensity'.*twice at step 12|step 12.*'steering_intensity'"):
        make_parameters(steps=30, policy_schedule=twice)
    with pytest.raises(ParameterError, match="step 12"):
        CoCreationModel(steps=30, policy_schedule=[PolicyChange(12, (("targeting", 0.2),)), PolicyChange(12, (("targeting", 0.9),))])
    # different levers at one step, and one lever at different steps, stay allowed
    make_parameters(steps=30, policy_schedule=[{"step": 12, "steering_intensity": 0.9}, {"step": 12, "facilitation": 0.1},
                                               {"step": 20, "steering_intensity": 0.1}])


@pytest.mark.parametrize("value", [np.int64(50), np.int32(50), np.uint16(50), 50.0])
def test_numpy_integers_are_whole_numbers(value):
    m = CoCreationModel(n_citizens=value, steps=2, seed=np.int64(3))
    assert m.parameters.n_citizens == 50 and type(m.parameters.n_citizens) is int and type(m.parameters.seed) is int
    assert make_parameters(steering_intensity=np.float32(0.5), linear_thinking=np.bool_(True)).linear_thinking is True


@pytest.mark.parametrize("seed", [10**5000, "9" * 5000, -1, 2**63, str(2**63)], ids=["huge", "huge text", "-1", "2**63", "2**63 text"])
def test_a_seed_outside_its_range_is_refused_with_the_range_and_without_the_digits(seed):
    with pytest.raises(ParameterError) as err:
        make_parameters(seed=seed)
    message = str(err.value)
    assert "from 0 to 9223372036854775807" in message and "seed" in message
    assert len(message) < 300


def test_the_seed_range_is_what_numpy_and_the_result_tables_take():
    lo, hi = FIELDS["seed"].metadata["range"]
    assert (lo, hi) == (0, np.iinfo(np.int64).max)
    CoCreationModel(n_citizens=20, steps=1, seed=hi).step()

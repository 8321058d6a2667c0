"""Knock-outs: each pattern's named cause, switched off, removes the pattern; other single terms do not.

This is what makes a pattern *emerge* rather than be *assumed* (docs/ODD.md, section 4): the
feedback the ODD names as its cause is necessary, and no single other term is. Every condition
runs with the same seeds (common random numbers), at test size; the criteria are those of
:mod:`simulation.experiment.probes`, fixed before the runs that judge them.
"""

import pytest

from simulation.experiment.probes import KNOCKOUTS, probe

SEEDS = (1, 2, 3)
N = 500

EMERGING = ["crowding_out", "hysteresis", "country_levels", "being_asked", "bonding_bridging", "time_horizon"]

#: Model 3's loops (issue 11), each with a probe and knock-outs in simulation/experiment/probes.py (criteria fixed
#: there before the runs; see each probe's docstring):
#: - control_spiral: npm preset, 10 years: steering in force over year 10 exceeds the lever by >= 0.2;
#:   cause off: steering_response = 0 (the municipality never adapts);
#: - staff_threat: npm preset, 5 years: volunteer hours at threat_sensitivity 1 are >= 10 % below those at 0;
#:   cause off: threat_control_weight = 0 and threat_withholding = 0 (the threat's teeth);
#: - joint_activities: npg, 10 years: the E-I index at contract_competition 0.9 is >= 0.02 below that at 0.1;
#:   cause off: joint_activity_rate = 0;
#: - voice_informs_needs: npg, 10 years: needs met where the municipality hears voice exceed those where it hears
#:   none (voice_reference 10) by >= 0.005, and trust in the municipality is higher; cause off: needs_fit_weight = 0.
LOOPS = ["control_spiral", "staff_threat", "joint_activities", "voice_informs_needs"]

#: Model 3 broke these (issue 11, commit f7602b4; see /work/coord/NOTES.md): strict, so that a fix shows as a pass.
BROKEN_BY_MODEL_3 = {
    ("time_horizon", None): "model 3: npg overtakes npm (from month ~17) also without relationship building and crowding out: "
                            "npm's own overheads (measurement, contract management, quick-results control) now lower its output",
    ("hysteresis", "the trust trap"): "model 3: without the trust trap volunteering recovers 1.4 x slower than it falls (criterion 1.5)",
    ("time_horizon", "the cost of facilitation"): "model 3: without facilitation's cost npm has no lead in year 1 (its overheads match npg's)",
}


def _marked(name: str, term: str | None = None):
    reason = BROKEN_BY_MODEL_3.get((name, term))
    values = (name,) if term is None else (name, term)
    return pytest.param(*values, marks=pytest.mark.xfail(strict=True, reason=reason)) if reason else pytest.param(*values)


@pytest.mark.parametrize("name", [_marked(n) for n in EMERGING + LOOPS])
def test_the_pattern_holds_and_its_named_cause_is_necessary(name):
    base = probe(name, seeds=SEEDS, n_citizens=N)
    assert base.holds, f"{name} does not hold at baseline: {base.numbers}"
    knocked = probe(name, KNOCKOUTS[name].cause_off, seeds=SEEDS, n_citizens=N)
    assert not knocked.holds, f"{name} still holds without its cause ({KNOCKOUTS[name].cause}): {knocked.numbers}"


@pytest.mark.parametrize(("name", "term"), [_marked(n, t) for n in EMERGING + LOOPS for t in KNOCKOUTS[n].others_off])
def test_no_other_single_term_is_necessary(name, term):
    result = probe(name, KNOCKOUTS[name].others_off[term], seeds=SEEDS, n_citizens=N)
    assert result.holds, f"{name} goes when {term} is switched off: {result.numbers}"


def test_switching_the_review_off_holds_steering_exactly_where_it_is_put():
    # the lever probes (crowding out, hysteresis, time) run with steering_response = 0: no drift at all
    result = probe("control_spiral", {"steering_response": 0.0}, seeds=(1,), n_citizens=300)
    assert result.numbers["drift"] == 0.0


def test_hysteresis_does_not_need_trust_to_fall_faster_than_it_rises():
    # the probe runs with trust_loss_ratio = 1 (its knock-out condition): losses and gains of trust at one rate
    assert KNOCKOUTS["hysteresis"].condition == {"trust_loss_ratio": 1.0}


def test_the_rising_side_of_crowding_out_is_in_hours_not_in_what_an_hour_achieves():
    # the probe's condition switches coordination's productivity effect off: the rise is in hours given
    assert KNOCKOUTS["crowding_out"].condition == {"coordination_gain": 0.0}
    result = probe("crowding_out", seeds=SEEDS, n_citizens=N)
    assert result.numbers["hours_light"] > 1.05 * result.numbers["hours_none"]


def test_voice_to_service_is_assumed_resource_dependence_not_a_drift():
    """Honest status of pattern 5: the pull toward service is resource dependence (an assumption theory gives).

    Supplier contracts raise service orientation far above partnership's, and only through the
    contract's funding; the orientation jumps with the contract, and what member turnover adds after
    the first year is a small part of the difference: the report calls the pattern assumed.
    """
    base = probe("voice_to_service", seeds=SEEDS, n_citizens=N)
    gap = base.numbers["npm_year10"] - base.numbers["npg_year10"]
    assert gap >= 0.15
    assert base.numbers["npm_year10"] - base.numbers["npm_year1"] < 0.25 * gap  # the jump, not the drift, is the pattern
    without = probe("voice_to_service", {"contract_funding": 0.0}, seeds=SEEDS, n_citizens=N)
    assert without.numbers["npm_year10"] - without.numbers["npg_year10"] < 0.05

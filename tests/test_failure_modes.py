"""The seed's seven failure modes (section 8, "Where it goes wrong"), each a lever with a measurable consequence.

One test per failure mode: one lever moved from a working setting to the failure, everything else
(the preset, the seeds, the size) the same, and the indicator the seed names moves the way it
says, in every seed (common random numbers) and by at least a stated margin on the mean. The
criteria were written before the runs that judge them, as directions with margins well inside
what the mechanism gives, not as fitted thresholds. 500 citizens (the probes' densities of
associations and staff), 10 years (5 for staff threat), 3 seeds; the file takes about half a minute.

The municipality's own review (process 11) stays on: a failure mode is a lever of policy, and
what the municipality does with it is part of its consequence.
"""

from functools import cache

import numpy as np

from simulation.core.model import CoCreationModel
from simulation.experiment.probes import ASSOCIATIONS_PER_1000, STAFF_PER_1000

N = 500
SEEDS = (1, 2, 3)
YEARS = 10


#: Population for counts of rare events (volunteers moving between associations).
N_COUNTS = 1000


@cache
def _runs(items: tuple, steps: int, n: int) -> tuple:
    """The results table of one run per seed, at ``n`` citizens and the probes' densities."""
    runs = []
    for seed in SEEDS:
        m = CoCreationModel(n_citizens=n, n_associations=round(ASSOCIATIONS_PER_1000 * n / 1000),
                            n_staff=round(STAFF_PER_1000 * n / 1000), steps=steps, rng=seed, **dict(items))
        for _ in range(steps):
            m.step()
        runs.append(m.results())
    return tuple(runs)


def _per_seed(rows: list) -> dict[str, np.ndarray]:
    return {k: np.array([r[k] for r in rows]) for k in rows[0].index}


def late(steps: int = 12 * YEARS, **settings) -> dict[str, np.ndarray]:
    """Mean of the last 24 months of every indicator, one value per seed, at N citizens."""
    return _per_seed([r.iloc[-24:].mean(numeric_only=True) for r in _runs(tuple(sorted(settings.items())), steps, N)])


def moved(lever: str, working, failing, base: dict, steps: int = 12 * YEARS) -> tuple[dict, dict]:
    """The two runs of a failure mode: ``lever`` at ``working`` and at ``failing``, on ``base``."""
    return late(steps, **base, **{lever: working}), late(steps, **base, **{lever: failing})


def falls(before: np.ndarray, after: np.ndarray, *, by: float = 0.0, relative: bool = False) -> bool:
    """Lower in every seed, and the mean lower by at least ``by`` (a share of the working value if ``relative``)."""
    margin = by * before.mean() if relative else by
    return bool((after < before).all() and before.mean() - after.mean() >= margin)


NPG = {"governance_mode": "npg"}
NPM = {"governance_mode": "npm"}


def test_1_over_steering_suffocates_contributions():
    """Seed 8.1: municipal over-steering suffocates citizens' and civil society's contributions.

    npg, steering_intensity 0.2 -> 0.9: volunteer hours fall in every seed, by at least a quarter.
    """
    ok, bad = moved("steering_intensity", 0.2, 0.9, NPG)
    assert falls(ok["volunteer_hours"], bad["volunteer_hours"], by=0.25, relative=True), (ok["volunteer_hours"], bad["volunteer_hours"])


def test_2_linear_thinking_forgoes_the_learned_synergy():
    """Seed 8.2: linear thinking dominates: experience is not fed back, so complementarity is never learned.

    npg, linear_thinking false -> true: synergy falls in every seed, by at least 0.1.
    """
    ok, bad = moved("linear_thinking", False, True, NPG)
    assert falls(ok["synergy"], bad["synergy"], by=0.1), (ok["synergy"], bad["synergy"])


def test_3_pressure_for_quick_results_crowds_out_the_long_term():
    """Seed 8.3: pressure for quick, visible results: easy formats and easy recruits crowd out demanding long-term ones.

    npg, quick_results_pressure 0.2 -> 0.9: staff exert more control, the E-I index (bridging against
    bonding) falls and synergy falls, each in every seed.
    """
    ok, bad = moved("quick_results_pressure", 0.2, 0.9, NPG)
    assert (bad["staff_control"] > ok["staff_control"]).all()
    assert falls(ok["ei_index"], bad["ei_index"], by=0.02), (ok["ei_index"], bad["ei_index"])
    assert falls(ok["synergy"], bad["synergy"]), (ok["synergy"], bad["synergy"])


def test_4_no_sense_making_leaves_no_shared_understanding():
    """Seed 8.4: no focus on sense-making and the shared task.

    npg, sense_making 0.7 -> 0: the quality of collaboration (partner trust times shared
    understanding) falls in every seed by at least 0.1, and synergy with it.
    """
    ok, bad = moved("sense_making", 0.7, 0.0, NPG)
    assert falls(ok["collaboration_quality"], bad["collaboration_quality"], by=0.1), (ok["collaboration_quality"], bad["collaboration_quality"])
    assert falls(ok["synergy"], bad["synergy"]), (ok["synergy"], bad["synergy"])


def test_5_staff_threat_has_teeth_under_contracting_with_substitution():
    """Seed 8.5: staff feel their professionalism and job security threatened.

    npm (supplier contracts, volunteer_substitution 0.6), threat_sensitivity 0 -> 1, over 5 years
    (before npm's control spiral has emptied the volunteer base whatever staff feel): staff threat
    rises by at least 0.1, staff exert more control, and volunteer hours fall in every seed, by at
    least a tenth.
    """
    ok, bad = moved("threat_sensitivity", 0.0, 1.0, NPM, steps=60)
    assert bad["staff_threat"].mean() - ok["staff_threat"].mean() >= 0.1, (ok["staff_threat"], bad["staff_threat"])
    assert (bad["staff_control"] > ok["staff_control"]).all()
    assert falls(ok["volunteer_hours"], bad["volunteer_hours"], by=0.1, relative=True), (ok["volunteer_hours"], bad["volunteer_hours"])


def test_6_group_specific_targeting_builds_bonding_rather_than_bridging():
    """Seed 8.6: more bonding than bridging social capital.

    npg, targeting 0.7 (inclusive) -> 0 (group-specific): the E-I index falls in every seed by at
    least 0.05, and bridging capital falls in every seed.
    """
    ok, bad = moved("targeting", 0.7, 0.0, NPG)
    assert falls(ok["ei_index"], bad["ei_index"], by=0.05), (ok["ei_index"], bad["ei_index"])
    assert falls(ok["bridging_capital"], bad["bridging_capital"]), (ok["bridging_capital"], bad["bridging_capital"])


def test_7_organisational_egoism_closes_bridging_and_synergy():
    """Seed 8.7: competition rather than synergy, "organisational egoism".

    npg, contract_competition 0.1 -> 0.9: associations cooperate less, so fewer joint activities
    (bridging capital falls in every seed) and less shared understanding (synergy falls in every
    seed, by at least 0.05).
    """
    ok, bad = moved("contract_competition", 0.1, 0.9, NPG)
    assert falls(ok["bridging_capital"], bad["bridging_capital"]), (ok["bridging_capital"], bad["bridging_capital"])
    assert falls(ok["synergy"], bad["synergy"], by=0.05), (ok["synergy"], bad["synergy"])


def totals(steps: int = 12 * YEARS, **settings) -> dict[str, np.ndarray]:
    """Sum over the whole run of every indicator, one value per seed, at N_COUNTS citizens (counts of rare events)."""
    return _per_seed([r.sum(numeric_only=True) for r in _runs(tuple(sorted(settings.items())), steps, N_COUNTS)])


def test_7_organisational_egoism_under_contracting_competes_for_the_same_volunteers_and_funds():
    """Seed 8.7 under supplier contracts: associations compete for the same volunteers and the same funds.

    npm, contract_competition 0.1 -> 0.9, over 5 years (before npm's control spiral has emptied the
    volunteer base): more volunteers are taken from other associations over the 5 years (in every
    seed), the tendered contract funds concentrate on the suppliers that deliver most (the top
    quarter's share in the last two years higher in every seed, by at least 0.05 on the mean), and
    the outreach spent on other associations' volunteers is not spent on citizens not yet
    volunteering (fewer join over the 5 years, on the mean). With the poaching switched off
    (poaching_share 0) nobody moves at either setting.

    Switching is rare (a few volunteers a year per 1,000 citizens: outreach is a small channel beside
    asks through ties, ~2 % of joins), so it is counted over the whole run at 1,000 citizens. The first
    version of this test took the mean of the last two years at 500 citizens, as the other failure
    modes do, and failed on counts of 0-3 a month; the second counted over the run at 500 and failed
    in one seed on 1 against 0 moves.
    """
    ok, bad = (totals(60, **NPM, contract_competition=c) for c in (0.1, 0.9))
    assert (bad["switched"] > ok["switched"]).all(), (ok["switched"], bad["switched"])
    assert bad["joined"].mean() < ok["joined"].mean(), (ok["joined"], bad["joined"])
    late_ok, late_bad = moved("contract_competition", 0.1, 0.9, NPM, steps=60)
    top_ok, top_bad = late_ok["contract_funds_top_quarter"], late_bad["contract_funds_top_quarter"]
    assert (top_bad > top_ok).all() and top_bad.mean() - top_ok.mean() >= 0.05, (top_ok, top_bad)
    for c in (0.1, 0.9):
        assert (totals(60, **NPM, contract_competition=c, poaching_share=0.0)["switched"] == 0).all()

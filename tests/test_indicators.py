"""Indicators are records: one declaration gives the column, its meaning, labels in two languages and its publicity."""

import pytest

from simulation import CoCreationModel
from simulation.core.indicators import INDICATOR_RECORDS, INDICATORS, LANGUAGES, PUBLIC_INDICATORS, label

#: The public interface, written out: the columns every tool (CLI, sweeps, report, page) relies on, in this order.
EXPECTED_PUBLIC = (
    "volunteering_rate", "volunteered_past_year", "volunteering_rate_vulnerable", "volunteer_hours", "mean_motivation", "share_recruited_by_asking",
    "trust_municipality", "generalised_trust", "bonding_capital", "bridging_capital", "ei_index", "service_orientation",
    "association_autonomy", "staff_control", "staff_threat", "service_output", "civil_output", "synergy", "democratic_voice",
    "participation_inequality", "cost_per_service", "civil_welfare_share", "control_spending_share", "facilitation_spending_share",
    "steering_in_force",
)


def test_public_indicators_follow_the_flag_not_the_position():
    assert PUBLIC_INDICATORS == EXPECTED_PUBLIC
    assert {r.name for r in INDICATOR_RECORDS if r.public} == set(EXPECTED_PUBLIC)


def test_every_record_is_complete_and_unique():
    names = [r.name for r in INDICATOR_RECORDS]
    assert len(names) == len(set(names))
    assert list(INDICATORS) == names
    for r in INDICATOR_RECORDS:
        assert r.definition and r.label_en and r.label_da and r.unit_en and r.unit_da, r.name


def test_labels_in_both_languages_with_and_without_unit():
    assert label("volunteer_hours") == "Volunteer hours (hours per citizen per month)"
    assert label("volunteer_hours", unit=False) == "Volunteer hours"
    assert label("trust_municipality", "da", unit=False) == "Tillid til kommunen"
    assert set(LANGUAGES) == {"en", "da"}
    with pytest.raises(KeyError):
        label("no_such_indicator")
    with pytest.raises(ValueError, match="en, da"):
        label("synergy", "fr")


def test_every_declared_indicator_is_recorded_and_nothing_else():
    m = CoCreationModel(n_citizens=60, steps=1, seed=1)
    m.step()
    assert [c for c in m.results().columns if c not in ("step", "seed", "governance_mode")] == list(INDICATORS)


def test_volunteered_past_year_counts_anyone_who_gave_hours_in_the_last_twelve_months():
    """The survey asks about the last 12 months: a volunteer who quits still counts for the 11 months after quitting."""
    model = CoCreationModel(n_citizens=300, n_associations=8, n_staff=3, steps=30, seed=4)
    c = model.world.citizens
    ever = c.volunteer.copy()
    for _ in range(30):
        model.step()
        ever |= c.volunteer
        share = model.datacollector.get_model_vars_dataframe()["volunteered_past_year"].iloc[-1]
        assert share >= c.volunteer.mean()  # this month's volunteers are in the window
        assert share <= ever.mean()  # nobody is counted who never volunteered
    assert share > c.volunteer.mean()  # turnover: more people volunteer in a year than in a month

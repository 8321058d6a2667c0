"""The registry of patterns: one record per pattern of MODEL.md, everything the report needs about it.

A :class:`Pattern` holds the claim and its sources, the experiment files the pattern reads
(``experiments/<name>.toml``; the first is its own), its criteria (the thresholds, as named
data), its analysis, its figure and the figure's caption. The report runs the union of the
patterns' experiments, judges each pattern with its own analysis and criteria, and writes one
section per record in :data:`PATTERNS` order; ``tests/test_patterns.py`` calls the same
analyses with the same criteria at a small size.

Adding a pattern is one new record here (plus its analysis in :mod:`~simulation.report.analyses`
and its figure in :mod:`~simulation.report.figures` if they are new), and its experiment file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.experiment.sweeps import Design
from simulation.report import analyses as a
from simulation.report import figures as f
from simulation.report.analyses import Judgement

#: The origin of a record that is not a pattern to reproduce but a question the model answers (model 3's contest).
FINDING = "finding"


@dataclasses.dataclass(frozen=True)
class Pattern:
    """One pattern the model should reproduce, and how the report checks it."""

    key: str                    # names the figure (figures/<key>.png) and the section's anchor
    number: int                 # MODEL.md's number of the pattern
    title: str
    claim: str                  # what MODEL.md (and the seed) say the model should reproduce
    source: str                 # where the claim comes from
    experiments: tuple[str, ...]  # experiment files it reads, its own first
    criteria: Mapping[str, Any]   # the thresholds its analysis applies, by name
    analyse: Callable[[Mapping[str, pd.DataFrame], Mapping[str, Design], Mapping[str, Any]], Judgement]
    figure: Callable[[Judgement, Path], Path]
    caption: str                # what to look at in the figure
    #: Where the pattern comes from, as docs/ODD.md 4.1 states it and the knock-outs test it: "emerges" (its named
    #: cause is necessary and no other single term is), "partly" (part of it rests on one assumption) or "assumed"
    #: (one term written for it decides it); for a secondary pattern, "prediction" (stated before the runs).
    origin: str = "emerges"
    secondary: bool = False     # a secondary pattern: an independent prediction, not one of MODEL.md's seven

    @property
    def label(self) -> str:
        """Its number as the report prints it ("3", "S1" for a secondary pattern, "M1" for a finding of model 3's contest)."""
        if self.origin == FINDING:
            return f"M{self.number}"
        return f"S{self.number}" if self.secondary else str(self.number)

    def judge(self, tables: Mapping[str, pd.DataFrame], designs: Mapping[str, Design]) -> Judgement:
        """Apply the analysis to the tables of this pattern's experiments, with this pattern's criteria."""
        return self.analyse({n: tables[n] for n in self.experiments if n in tables},
                            {n: designs[n] for n in self.experiments if n in designs}, self.criteria)


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        key="crowding_out", number=1, title="Crowding out: an inverted U over steering intensity",
        claim="Civil contributions and synergy rise with light, supportive steering and fall once steering becomes controlling.",
        source="Frey & Jegen 2001; Falk & Kosfeld 2006; Dickinson & Villeval 2008",
        experiments=("crowding_out", "crowding_out_hours"),
        criteria={"full_steering_at_most_share_of_peak": 0.5, "light_steering": (0.05, 0.35), "hours_rise_at_least": 0.05},
        analyse=a.analyse_crowding_out, figure=f.figure_crowding_out,
        caption="Look at the top-left panel: where civil output peaks (▼) and how far it falls at full steering; then at hours "
                "(bottom left): the dashed line is npg with coordination's productivity effect switched off, so a rise on its left "
                "is people giving more time, not what each hour achieves.",
    ),
    Pattern(
        key="hysteresis", number=2, title="Hysteresis: slow recovery after over-steering",
        claim="After a period of over-steering is lifted, trust and volunteering recover much more slowly than they fell.",
        source="Gneezy & Rustichini 2000; Slovic 1993",
        experiments=("hysteresis", "hysteresis_control"),
        criteria={"indicators": (("trust_municipality", "trust in the municipality"), ("volunteering_rate", "volunteering")),
                  "recovery_at_least_times_fall": 1.5, "clear_gap_at_least": 0.02},
        analyse=a.analyse_hysteresis, figure=f.figure_hysteresis,
        caption="Trust lost and regained at one rate (trust_loss_ratio = 1). Look at how fast the red line falls away from the blue "
                "control after the shaded episode begins (● half of the gap at release opened) and how long it takes to close half "
                "of it again after the episode ends (■).",
    ),
    Pattern(
        key="country_levels", number=3, title="Country levels: ~40 % in Denmark, ~10 % in Italy and Spain",
        claim="High-trust, association-dense starting conditions settle near 40 % volunteering; low-trust, sparse ones near 10 %.",
        source="EU-SILC 2015 ad hoc module: DK 38.7 %, IT 12.0 %, ES 10.7 %",
        experiments=("country_levels",),
        criteria={"min_gap": 0.15, "denmark_within": 0.08, "southern_europe_between": (0.05, 0.18)},
        analyse=a.analyse_country_levels, figure=f.figure_country_levels,
        caption="Look at the right panel against the EU-SILC reference lines: each country's setting started at 10 % and at 40 % "
                "and where it settles over 50 years; on the left, which condition moves the level at years 10 and 50.",
    ),
    Pattern(
        key="being_asked", number=4, title="Being asked: most volunteers join because someone asked them",
        claim="A large share of volunteers join because someone in their network asked them.",
        source="US CPS 2006 volunteer supplement: 43 % asked vs 41 % own initiative; the seed: 'most'",
        experiments=("being_asked", "country_levels"),
        criteria={"npg_asked_between": (0.40, 0.65), "every_mode_asked_at_least": 0.30},
        analyse=a.analyse_being_asked, figure=f.figure_being_asked,
        caption="Look at the dark part of each bar against the dashed CPS 2006 line: the share of recruits who were asked.",
    ),
    Pattern(
        key="voice_to_service", number=5, title="From voice to service under supplier governance",
        claim="Under supplier (NPM) governance associations drift from expressive (voice, advocacy) to service orientation, "
              "and from membership to episodic volunteering.",
        source="the seed, section 2; MODEL.md pattern 5",
        experiments=("voice_to_service",),
        criteria={"npm_orientation_rises_at_least": 0.2, "npg_orientation_changes_less_than": 0.1},
        origin="assumed",
        analyse=a.analyse_voice_to_service, figure=f.figure_voice_to_service,
        caption="Look at the red (supplier) against the blue (partner) lines: orientation toward service, autonomy, voice "
                "and how often volunteers quit.",
    ),
    Pattern(
        key="bonding_bridging", number=6, title="Bonding vs bridging social capital",
        claim="Pressure for quick results and group-specific targeting build bonding more than bridging social capital; "
              "inclusive partnership builds bridging.",
        source="MODEL.md pattern 6 (the seed, section 8)",
        experiments=("bonding_bridging", "time_horizon"),
        criteria={},
        analyse=a.analyse_bonding_bridging, figure=f.figure_bonding_bridging,
        caption="Look along each row from left to right (more inclusive outreach) and down each column (more pressure for "
                "quick results): how the E-I index, bridging and bonding change.",
    ),
    Pattern(
        key="time_horizon", number=7, title="Time, time, time: partnership starts slower and overtakes",
        claim="Partnership (NPG) starts slower than contracting (NPM) on service output but overtakes it on synergy, "
              "trust and democratic value over years.",
        source="the seed ('time, time, time'); MODEL.md pattern 7",
        experiments=("time_horizon",),
        origin="partly",
        criteria={"npm_leads_in_first_months": 12, "without_facilitation_cost": True,
                  "npg_ahead_on": (("synergy", "synergy"), ("trust_municipality", "trust in the municipality"),
                                   ("democratic_voice", "democratic voice"))},
        analyse=a.analyse_time_horizon, figure=f.figure_time_horizon,
        caption="Look at the top-left panel: which mode leads on measured service output at first and where (dotted line) the "
                "other overtakes it for good; then at who leads in the other three panels.",
    ),
)

#: Secondary patterns: predictions stated before any run of model 2 (/work criteria fixed 2026-12-01), not designed for.
SECONDARY: tuple[Pattern, ...] = (
    Pattern(
        key="rank_order", number=1, title="The rank order of countries persists", secondary=True, origin="prediction",
        claim="Five structural settings started at the same volunteering rate keep their rank order over a decade, and end "
              "in the order of their societal trust.",
        source="Eurostat ilc_scp19: rank correlation of formal volunteering 2015 vs 2022 across 26 EU countries 0.87",
        experiments=tuple(f"rank_order_{i}" for i in range(1, 6)),
        criteria={"early_year": 5, "late_year": 15, "spearman_at_least": 0.8},
        analyse=a.analyse_rank_order, figure=f.figure_rank_order,
        caption="Look at whether the lines cross after year 5: each is one structural setting, started at 20 %.",
    ),
    Pattern(
        key="vulnerable_gap", number=2, title="The vulnerable gap widens under pressure for quick results", secondary=True,
        origin="prediction",
        claim="Under pressure for quick results associations cream-skim: the gap between the volunteering rate of all citizens "
              "and of the vulnerable widens.",
        source="a by-product of cream-skimming (designed for pattern 6), stated before the runs",
        experiments=("vulnerable_gap",),
        criteria={"standard_errors": 2.0},
        analyse=a.analyse_vulnerable_gap, figure=f.figure_vulnerable_gap,
        caption="Look at the gap between the two bars of each pressure level.",
    ),
)

#: Model 3's contest (issue 11): questions the model answers, not patterns it must reproduce. Their criteria check the
#: issue's claims (npm has something to win; the spiral depends on the levers and has a way out), fixed before the runs.
CONTESTS: tuple[Pattern, ...] = (
    Pattern(
        key="who_wins_what", number=1, title="Who wins what: hierarchy, npm and npg over 20 years", secondary=True, origin=FINDING,
        claim="Each mode wins something and pays for it: contracting (npm) for its cost per unit of measured service and early, "
              "predictable output; partnership (npg) for synergy, trust and democratic voice; hierarchy for stability.",
        source="the seed, section 4 (the supplier and partner columns); issue 11 (a fair contest)",
        experiments=("who_wins_what", "who_wins_cost"),
        criteria={"late_months": 24},
        analyse=a.analyse_who_wins_what, figure=f.figure_who_wins_what,
        caption="Look at which bar is best in each panel (the title says whether higher or lower is better): the bars are the last "
                "two of 20 years, the dots year 1. The last panel shows cost per unit of service over the years.",
    ),
    Pattern(
        key="control_spiral", number=2, title="The control spiral: over-steering by the municipality's own hand",
        secondary=True, origin=FINDING,
        claim="A municipality under pressure for quick results that does not feed experience back answers shortfalls of measured "
              "service with more control; where measured output depends on volunteers it crowds out, it drifts into over-steering "
              "by itself. Feedback learning (sense-making) and lower substitution let it out.",
        source="the seed, section 8 (over-steering, linear thinking, pressure for quick results); issue 11",
        experiments=("control_spiral", "control_spiral_substitution"),
        criteria={"drift_at_least": 0.2},
        analyse=a.analyse_control_spiral, figure=f.figure_control_spiral,
        caption="Dark cells spiralled: steering in force after 20 years (top number), far above where the lever started it (rows); "
                "the bottom number is the volunteering rate. Left: linear thinking; middle: the same cells with feedback learning; "
                "right: linear thinking from steering 0.5, by volunteer substitution.",
    ),
)

#: Patterns by key (the seven, the secondary ones and model 3's contest).
PATTERN_BY_KEY: dict[str, Pattern] = {p.key: p for p in PATTERNS + SECONDARY + CONTESTS}

#: The experiment files the report runs, in report order (each once).
EXPERIMENTS: tuple[str, ...] = tuple(dict.fromkeys(name for p in PATTERNS + SECONDARY + CONTESTS for name in p.experiments))


@dataclasses.dataclass
class Verdict:
    """A pattern and what its analysis found, with the figure drawn from it."""

    pattern: Pattern
    judgement: Judgement
    figure: str | None = None   # relative path of the figure in the report folder
    label: str | None = None    # the status from the knock-outs (reproduced, partly, assumed, not), once they are known

    @property
    def status(self) -> str:
        """Reproduced, partly or not reproduced, by the pattern's own criteria."""
        return self.judgement.status

    @property
    def verdict(self) -> str:
        """The label the report gives: the knock-outs' status when known, otherwise the criteria's status."""
        return self.label or self.status

    def to_json(self) -> dict[str, Any]:
        """The verdict as plain JSON (without the tables)."""
        p, j = self.pattern, self.judgement
        return {
            "pattern": p.number if not p.secondary else p.label, "key": p.key, "title": p.title, "status": self.status,
            "verdict": self.verdict, "origin": p.origin, "headline": j.headline,
            "criteria": [{"criterion": c.text, "met": bool(c.met)} for c in j.criteria], "numbers": plain(j.numbers),
            "figure": self.figure, "findings": j.findings,
        }


def plain(value: Any) -> Any:
    """``value`` with numpy numbers made plain Python (non-finite floats as None), for JSON."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def judge_all(tables: Mapping[str, pd.DataFrame], designs: Mapping[str, Design],
              patterns: tuple[Pattern, ...] = PATTERNS) -> list[Verdict]:
    """Every pattern's verdict from the experiments' tables."""
    return [Verdict(p, p.judge(tables, designs)) for p in patterns]

"""The teaching kit's answer key: every number the worksheets ask for, as medians over seeds with their spread.

Each experiment of the worksheets (``docs/teaching/``) is run exactly as a student runs it on the
browser page — the page's start settings turned into parameters by
:func:`simulation.viz.settings.browser_parameters` (300 citizens, the scenario's density of
associations and staff), the live lever moved with ``set_lever`` as the page's buttons do — once per
seed in :data:`SEEDS`. For every number the key gives the median over the seeds and the range that
holds 80 % of them (10th to 90th percentile), so a teacher can tell a student whose seed differs
how far it may differ.

One command regenerates the key::

    .venv/bin/python -m simulation.teaching

It writes ``docs/teaching/answer-key.csv`` and rewrites the generated tables (between
``<!-- key:NAME -->`` and ``<!-- /key -->``) in the English and Danish answer keys.
``tests/test_teaching.py`` recomputes the key and checks that the committed files say the same.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.core.model import CoCreationModel
from simulation.viz.settings import StartSettings, browser_parameters

#: The seeds a student might type; 20 keep the 10th and 90th percentiles stable at the page's size.
SEEDS: tuple[int, ...] = tuple(range(1, 21))

#: Month windows: the first and the tenth year (row 0 is the starting state).
YEAR_1, YEAR_10 = slice(1, 13), slice(109, 121)

#: Experiment 1 presses Over-steer (0.9) at month 24 and Ease off (0.2) at month 60.
EPISODE = {24: 0.9, 60: 0.2}
EPISODE_MONTHS = (24, 60, 84, 120, 240)

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / "docs" / "teaching"
CSV_PATH = KIT / "answer-key.csv"
KEY_FILES = {"en": KIT / "en" / "answer-key.md", "da": KIT / "da" / "answer-key.md"}


def run(settings: StartSettings, seed: int, months: int, live: dict[int, float] | None = None) -> pd.DataFrame:
    """One run as the page makes it: ``live`` maps a month to the steering a button sets then."""
    params, notices = browser_parameters(settings, seed=seed)
    if notices:
        raise ValueError(f"the page would correct these settings: {notices}")
    model = CoCreationModel(parameters=params)
    for _ in range(months):
        if live and model.steps in live:
            model.set_lever("steering_intensity", live[model.steps])
        model.step()
    return model.results()


def runs(settings: StartSettings, months: int, live: dict[int, float] | None = None,
         seeds: Iterable[int] = SEEDS) -> list[pd.DataFrame]:
    """The same settings once per seed."""
    return [run(settings, s, months, live) for s in seeds]


def per_seed(frames: list[pd.DataFrame], column: str, when: int | slice, scale: float = 1.0) -> np.ndarray:
    """One value per seed: ``column`` at month ``when``, or its mean over a slice of months."""
    return scale * np.array([f[column].iloc[when].mean() for f in frames])


@dataclass(frozen=True)
class Indicator:
    """A number the worksheets ask for: its column in the results, scale, printed digits and names."""

    column: str
    scale: float
    decimals: int
    en: str
    da: str


INDICATORS: dict[str, Indicator] = {i.column: i for i in (
    Indicator("trust_municipality", 1.0, 2, "trust in the municipality", "tillid til kommunen"),
    Indicator("volunteering_rate", 100.0, 0, "volunteering, % of citizens", "frivillige, % af borgerne"),
    Indicator("civil_output", 1.0, 2, "civil output per citizen", "civilsamfundets bidrag pr. borger"),
    Indicator("synergy", 1.0, 2, "synergy", "synergi"),
    Indicator("service_orientation", 1.0, 2, "associations' orientation (0 voice … 1 service)",
              "foreningernes orientering (0 talerør … 1 service)"),
    Indicator("democratic_voice", 1.0, 2, "democratic voice", "demokratisk talerør"),
    Indicator("service_output", 1.0, 2, "measured service output", "målte serviceydelser"),
    Indicator("ei_index", 1.0, 2, "E-I index", "E-I-indeks"),
    Indicator("bridging_capital", 1.0, 2, "bridging capital (tie weight across groups per citizen)",
              "brobyggende kapital (båndstyrke på tværs pr. borger)"),
    Indicator("volunteering_rate_vulnerable", 100.0, 0, "volunteering among vulnerable citizens, %",
              "frivillige blandt udsatte borgere, %"),
    Indicator("steering_in_force", 1.0, 2, "steering in force", "styring i kraft"),
)}


@dataclass(frozen=True)
class Row:
    """One number of the key: an experiment's arm, an indicator, when, and its spread over seeds."""

    experiment: str
    arm: str
    column: str
    when: str
    median: float
    p10: float
    p90: float
    n_seeds: int
    above: int | None = None    # for a difference: on how many seeds it is above 0

    @classmethod
    def of(cls, experiment: str, arm: str, column: str, when: str, values: np.ndarray, above: int | None = None) -> Row:
        """Median and 10th-90th percentile of ``values``, one per seed."""
        lo, mid, hi = np.percentile(values, [10, 50, 90])
        return cls(experiment, arm, column, when, float(mid), float(lo), float(hi), len(values), above)


# --- the experiments, as the worksheets have students run them --------------------------------

def experiment_1(seeds: Iterable[int] = SEEDS) -> dict[str, list[pd.DataFrame]]:
    """Over-steering and the long way back, 240 months.

    Arms: the episode, the episode with both buttons pressed a month late, a control run without it.
    """
    seeds = tuple(seeds)
    late = {month + 1: steering for month, steering in EPISODE.items()}
    return {"over-steered": runs(StartSettings(), 240, EPISODE, seeds), "a month late": runs(StartSettings(), 240, late, seeds),
            "control": runs(StartSettings(), 240, None, seeds)}


MODES = ("npm", "npg", "hierarchy")


def experiment_2(seeds: Iterable[int] = SEEDS) -> dict[str, list[pd.DataFrame]]:
    """Suppliers or partners: each governance mode's preset, ten years."""
    seeds = tuple(seeds)
    return {mode: runs(StartSettings().with_mode(mode), 120, None, seeds) for mode in MODES}


#: Experiment 3 as students set the sliders: pressure 0 in the first two runs, then 1.
ARMS: dict[str, StartSettings] = {
    "group-specific": StartSettings().with_lever("targeting", 0.0).with_lever("quick_results_pressure", 0.0),
    "inclusive": StartSettings().with_lever("targeting", 1.0).with_lever("quick_results_pressure", 0.0),
    "inclusive + pressure": StartSettings().with_lever("targeting", 1.0).with_lever("quick_results_pressure", 1.0),
}


def experiment_3(seeds: Iterable[int] = SEEDS) -> dict[str, list[pd.DataFrame]]:
    """Who is reached: group-specific vs inclusive outreach, and inclusive under pressure, ten years."""
    seeds = tuple(seeds)
    return {arm: runs(settings, 120, None, seeds) for arm, settings in ARMS.items()}


@dataclass(frozen=True)
class FailureMode:
    """One of the seed's seven ways co-creation goes wrong, and the levers that model it."""

    key: str
    en: str
    da: str
    levers: dict[str, object]


#: The seed's seven failure modes (seed section 8) in its order, each as lever settings on top of the
#: Danish partnership baseline (experiment 4 compares each with the baseline on the same seed).
FAILURE_MODES: tuple[FailureMode, ...] = (
    FailureMode("over-steering", "1. over-steering", "1. overstyring", {"steering_intensity": 0.9}),
    FailureMode("linear thinking", "2. linear thinking", "2. lineær tænkning", {"linear_thinking": True}),
    FailureMode("quick results", "3. pressure for quick results", "3. pres for hurtige resultater", {"quick_results_pressure": 1.0}),
    FailureMode("no sense-making", "4. no shared sense-making", "4. ingen fælles meningsskabelse", {"sense_making": 0.0}),
    FailureMode("staff threat", "5. staff feel threatened (volunteers as labour)", "5. medarbejdere føler sig truet (frivillige som arbejdskraft)",
                {"threat_sensitivity": 1.0, "volunteer_substitution": 0.6}),
    FailureMode("bonding", "6. more bonding than bridging (outreach only in one's own group)",
                "6. mere sammenbindende end brobyggende (opsøgning kun i egen gruppe)", {"targeting": 0.0}),
    FailureMode("egoism", "7. organisational egoism (competition for contracts)", "7. organisatorisk egoisme (konkurrence om kontrakter)",
                {"contract_competition": 1.0}),
)


def failure_settings(mode: FailureMode) -> StartSettings:
    """The Danish partnership baseline with ``mode``'s levers set."""
    settings = StartSettings()
    for name, value in mode.levers.items():
        settings = settings.with_lever(name, value)
    return settings


def experiment_4(seeds: Iterable[int] = SEEDS, baseline: list[pd.DataFrame] | None = None) -> dict[str, list[pd.DataFrame]]:
    """The seven ways it goes wrong: each failure mode's levers on the baseline, ten years (and the baseline)."""
    seeds = tuple(seeds)
    return {"baseline": baseline or runs(StartSettings(), 120, None, seeds),
            **{mode.key: runs(failure_settings(mode), 120, None, seeds) for mode in FAILURE_MODES}}


#: Experiment 5: the control spiral scenario as it comes, with a municipality that listens (linear
#: thinking off), and with volunteers no longer replacing staff.
SPIRAL = StartSettings(scenario="control_spiral")
SPIRAL_ARMS: dict[str, StartSettings] = {
    "spiral": SPIRAL,
    "listens": SPIRAL.with_lever("linear_thinking", False),
    "no substitution": SPIRAL.with_lever("volunteer_substitution", 0.1),
}
SPIRAL_MONTHS = (60, 120, 180, 240)


def experiment_5(seeds: Iterable[int] = SEEDS) -> dict[str, list[pd.DataFrame]]:
    """The control spiral: a municipality that answers shortfalls with control, twenty years, and two ways out."""
    seeds = tuple(seeds)
    return {arm: runs(settings, 240, None, seeds) for arm, settings in SPIRAL_ARMS.items()}


def experiments(seeds: Iterable[int] = SEEDS) -> dict[str, dict[str, list[pd.DataFrame]]]:
    """Every run of the worksheets, by experiment and arm."""
    seeds = tuple(seeds)
    e1 = experiment_1(seeds)
    # the first ten years of experiment 1's control runs are the baseline's runs (same settings, same seeds)
    return {"1": e1, "2": experiment_2(seeds), "3": experiment_3(seeds), "4": experiment_4(seeds, [f.iloc[:121] for f in e1["control"]]),
            "5": experiment_5(seeds)}


E1_ARMS = ("over-steered", "control")
E1_COLUMNS = ("trust_municipality", "volunteering_rate", "civil_output", "synergy")
E2_ROWS = (("volunteering_rate", "year 10"), ("trust_municipality", "year 10"), ("service_orientation", "year 10"),
           ("democratic_voice", "year 10"), ("synergy", "year 10"), ("service_output", "year 1"), ("service_output", "year 10"))
E3_COLUMNS = ("ei_index", "bridging_capital", "volunteering_rate_vulnerable")
E4_COLUMNS = ("volunteering_rate", "trust_municipality", "synergy", "bridging_capital")
E5_COLUMNS = ("steering_in_force", "volunteering_rate", "service_output", "trust_municipality")
MONTHS = sorted({*EPISODE_MONTHS, *SPIRAL_MONTHS})
WINDOWS: dict[str, int | slice] = {"year 1": YEAR_1, "year 10": YEAR_10, **{f"month {m}": m for m in MONTHS}}


@dataclass(frozen=True)
class Comparison:
    """A claim of the worksheets compared seed by seed: ``a`` minus ``b`` in ``column`` at ``when``."""

    experiment: str
    a: str
    b: str
    column: str
    when: str


#: The differences the worksheets' claims rest on, each on the same seed (same people, same network).
COMPARISONS: tuple[Comparison, ...] = (
    Comparison("1", "over-steered", "control", "trust_municipality", "month 60"),
    Comparison("1", "over-steered", "control", "civil_output", "month 60"),
    Comparison("1", "over-steered", "control", "volunteering_rate", "month 84"),
    Comparison("1", "over-steered", "control", "volunteering_rate", "month 120"),
    Comparison("1", "over-steered", "control", "volunteering_rate", "month 240"),
    Comparison("1", "a month late", "control", "volunteering_rate", "month 240"),
    Comparison("1", "over-steered", "control", "synergy", "month 60"),
    Comparison("2", "npm", "npg", "service_output", "year 1"),
    Comparison("2", "npg", "npm", "service_output", "year 10"),
    Comparison("2", "npg", "npm", "volunteering_rate", "year 10"),
    Comparison("3", "inclusive", "group-specific", "bridging_capital", "year 10"),
    Comparison("3", "inclusive", "group-specific", "volunteering_rate_vulnerable", "year 10"),
    Comparison("3", "inclusive + pressure", "inclusive", "bridging_capital", "year 10"),
    Comparison("3", "inclusive + pressure", "inclusive", "volunteering_rate_vulnerable", "year 10"),
)


def key_rows(runs_by: dict[str, dict[str, list[pd.DataFrame]]] | None = None) -> list[Row]:
    """Every number of the answer key (runs the experiments when not given)."""
    r = runs_by or experiments()
    out: list[Row] = []

    def add(experiment: str, arm: str, column: str, when: str) -> None:
        ind = INDICATORS[column]
        out.append(Row.of(experiment, arm, column, when, per_seed(r[experiment][arm], column, WINDOWS[when], ind.scale)))

    for column in E1_COLUMNS:
        for arm in E1_ARMS:
            for m in EPISODE_MONTHS:
                add("1", arm, column, f"month {m}")
    for column, when in E2_ROWS:
        for mode in MODES:
            add("2", mode, column, when)
    for column in E3_COLUMNS:
        for arm in ARMS:
            add("3", arm, column, "year 10")
    for column in E5_COLUMNS:
        for arm in SPIRAL_ARMS:
            for m in SPIRAL_MONTHS:
                add("5", arm, column, f"month {m}")
    for c in COMPARISONS:
        ind = INDICATORS[c.column]
        diff = (per_seed(r[c.experiment][c.a], c.column, WINDOWS[c.when], ind.scale)
                - per_seed(r[c.experiment][c.b], c.column, WINDOWS[c.when], ind.scale))
        out.append(Row.of(c.experiment, f"{c.a} − {c.b}", c.column, c.when, diff, above=int((diff > 0).sum())))
    for mode in FAILURE_MODES:
        for column in E4_COLUMNS:
            ind = INDICATORS[column]
            diff = per_seed(r["4"][mode.key], column, YEAR_10, ind.scale) - per_seed(r["4"]["baseline"], column, YEAR_10, ind.scale)
            out.append(Row.of("4", f"{mode.key} − baseline", column, "year 10", diff, above=int((diff > 0).sum())))
    return out


# --- rendering -----------------------------------------------------------------------------------

def fmt(value: float, decimals: int, lang: str) -> str:
    """A number as the key prints it: a minus sign, and a decimal comma in Danish."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    text = text.replace("-", "−")
    return text.replace(".", ",") if lang == "da" else text


TO = {"en": "to", "da": "til"}


def cell(row: Row, lang: str) -> str:
    """``median (p10 to p90)``: the median over seeds and the range of 80 % of them."""
    d = INDICATORS[row.column].decimals
    return f"{fmt(row.median, d, lang)} ({fmt(row.p10, d, lang)} {TO[lang]} {fmt(row.p90, d, lang)})"


ARM_NAMES = {
    "en": {"over-steered": "over-steered", "a month late": "buttons a month late", "control": "control (no episode)",
           "npm": "NPM (suppliers)", "npg": "NPG (partners)", "hierarchy": "Hierarchy",
           "group-specific": "own group (0)", "inclusive": "across groups (1)", "inclusive + pressure": "across groups + pressure 1",
           "spiral": "control spiral", "listens": "linear thinking off", "no substitution": "volunteer substitution 0.1"},
    "da": {"over-steered": "overstyret", "a month late": "knapperne en måned for sent", "control": "kontrol (ingen episode)",
           "npm": "NPM (leverandører)", "npg": "NPG (samarbejdspartnere)", "hierarchy": "Hierarki",
           "group-specific": "egen gruppe (0)", "inclusive": "på tværs (1)", "inclusive + pressure": "på tværs + pres 1",
           "spiral": "kontrolspiral", "listens": "lineær tænkning slået fra", "no substitution": "frivillige som erstatning 0,1"},
}
WHEN_NAMES = {
    "en": {"year 1": "first year", "year 10": "tenth year", **{f"month {m}": f"month {m}" for m in MONTHS}},
    "da": {"year 1": "første år", "year 10": "tiende år", **{f"month {m}": f"måned {m}" for m in MONTHS}},
}
HEADS = {
    "en": {"difference": "difference, same seed", "median": "median", "range": "80 % of seeds", "above": "seeds where it is above 0",
           "failure": "failure mode (lever set) − baseline"},
    "da": {"difference": "forskel, samme tilfældighedstal", "median": "median", "range": "80 % af tilfældighedstallene",
           "above": "tilfældighedstal, hvor den er over 0",
           "failure": "fejlkilde (styringsgreb sat) − udgangspunkt"},
}


def _table(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def _differences(rows: list[Row], experiment: str, lang: str) -> str:
    names, heads = ARM_NAMES[lang], HEADS[lang]
    body = []
    for r in rows:
        if r.experiment != experiment or r.above is None:
            continue
        a, b = r.arm.split(" − ")
        d = INDICATORS[r.column].decimals
        body.append([f"{getattr(INDICATORS[r.column], lang)}, {WHEN_NAMES[lang][r.when]}: {names[a]} − {names[b]}",
                     fmt(r.median, d, lang), f"{fmt(r.p10, d, lang)} {TO[lang]} {fmt(r.p90, d, lang)}",
                     f"{r.above} / {r.n_seeds}"])
    return _table([heads["difference"], heads["median"], heads["range"], heads["above"]], body)


def tables(rows: list[Row], lang: str) -> dict[str, str]:
    """The key's Markdown tables by name (``e1``, ``e1-diff``, ``e2``, …) in ``lang``."""
    by = {(r.experiment, r.arm, r.column, r.when): r for r in rows}
    names, when = ARM_NAMES[lang], WHEN_NAMES[lang]
    e1 = _table([""] + [when[f"month {m}"] for m in EPISODE_MONTHS],
                [[f"{getattr(INDICATORS[c], lang)}: {names[arm]}"] +
                 [cell(by["1", arm, c, f"month {m}"], lang) for m in EPISODE_MONTHS]
                 for c in E1_COLUMNS for arm in E1_ARMS])
    e2 = _table([""] + [names[m] for m in MODES],
                [[getattr(INDICATORS[c], lang) + (f", {when[w]}" if c == "service_output" else "")] +
                 [cell(by["2", m, c, w], lang) for m in MODES] for c, w in E2_ROWS])
    e3 = _table([""] + [names[a] for a in ARMS],
                [[getattr(INDICATORS[c], lang)] + [cell(by["3", a, c, "year 10"], lang) for a in ARMS] for c in E3_COLUMNS])
    e4 = _table([HEADS[lang]["failure"]] + [getattr(INDICATORS[c], lang) for c in E4_COLUMNS],
                [[getattr(mode, lang)] + [_difference_cell(by["4", f"{mode.key} − baseline", c, "year 10"], lang) for c in E4_COLUMNS]
                 for mode in FAILURE_MODES])
    e5 = _table([""] + [names[a] for a in SPIRAL_ARMS],
                [[f"{getattr(INDICATORS[c], lang)}, {when[f'month {m}']}"] + [cell(by["5", a, c, f"month {m}"], lang) for a in SPIRAL_ARMS]
                 for c in E5_COLUMNS for m in SPIRAL_MONTHS])
    return {"e1": e1, "e2": e2, "e3": e3, "e4": e4, "e5": e5, **{f"e{x}-diff": _differences(rows, x, lang) for x in ("1", "2", "3")}}


def _difference_cell(row: Row, lang: str) -> str:
    """``median (p10 to p90) · n/N``: the difference with its sign, and on how many seeds it is above 0."""
    d = INDICATORS[row.column].decimals
    signed = ("+" if round(row.median, d) > 0 else "") + fmt(row.median, d, lang)
    return f"{signed} ({fmt(row.p10, d, lang)} {TO[lang]} {fmt(row.p90, d, lang)}) · {row.above}/{row.n_seeds}"


CSV_FIELDS = ("experiment", "arm", "indicator", "when", "median", "p10", "p90", "n_seeds", "seeds_above_0")


def to_csv(rows: list[Row]) -> str:
    """The key as CSV, printed to the digits the worksheets use."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in rows:
        d = INDICATORS[r.column].decimals
        w.writerow([r.experiment, r.arm, r.column, r.when, f"{r.median:.{d}f}", f"{r.p10:.{d}f}", f"{r.p90:.{d}f}", r.n_seeds,
                    "" if r.above is None else r.above])
    return buf.getvalue()


BLOCK = re.compile(r"(<!-- key:([\w-]+) -->)(.*?)(<!-- /key -->)", re.S)


def fill(text: str, generated: dict[str, str]) -> str:
    """``text`` with every ``<!-- key:NAME -->`` block replaced by the generated table NAME."""
    def sub(m: re.Match) -> str:
        if m.group(2) not in generated:
            raise KeyError(f"no generated table named {m.group(2)!r}")
        return f"{m.group(1)}\n{generated[m.group(2)]}\n{m.group(4)}"
    return BLOCK.sub(sub, text)


def blocks(text: str) -> dict[str, str]:
    """The generated tables a key file holds now, by name."""
    return {m.group(2): m.group(3).strip("\n") for m in BLOCK.finditer(text)}


def write(rows: list[Row], say: Callable[[str], None] = print) -> None:
    """Write the CSV and fill the tables of both answer keys."""
    CSV_PATH.write_text(to_csv(rows), encoding="utf-8")
    say(f"wrote {CSV_PATH.relative_to(ROOT)}")
    for lang, path in KEY_FILES.items():
        path.write_text(fill(path.read_text(encoding="utf-8"), tables(rows, lang)), encoding="utf-8")
        say(f"filled the tables of {path.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    """Regenerate the answer key; it takes no arguments."""
    if argv if argv is not None else sys.argv[1:]:
        print("usage: python -m simulation.teaching  (no arguments: it reruns the worksheets' experiments over "
              f"seeds {SEEDS[0]}-{SEEDS[-1]} and rewrites {CSV_PATH.relative_to(ROOT)} and the tables of the answer keys)",
              file=sys.stderr)
        return 2
    missing = [str(p) for p in KEY_FILES.values() if not p.exists()]
    if missing:
        print(f"python -m simulation.teaching rewrites the answer keys of a source checkout, and {', '.join(missing)} "
              "does not exist: run it from the project's folder with the package installed in editable mode "
              "(bash scripts/setup-env does that).", file=sys.stderr)
        return 2
    start = time.perf_counter()
    write(key_rows())
    print(f"{len(SEEDS)} seeds, {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

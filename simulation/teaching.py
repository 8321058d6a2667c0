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
    Indicator("civil_output", 1.0, 2, "civil output per citizen", "civilsamfundets resultat pr. borger"),
    Indicator("synergy", 1.0, 2, "synergy", "synergi"),
    Indicator("service_orientation", 1.0, 2, "associations' orientation (0 voice … 1 service)",
              "foreningernes orientering (0 talerør … 1 service)"),
    Indicator("democratic_voice", 1.0, 2, "democratic voice", "demokratisk talerør"),
    Indicator("service_output", 1.0, 2, "measured service output", "målt serviceydelse"),
    Indicator("ei_index", 1.0, 2, "E-I index", "E-I-indeks"),
    Indicator("bridging_capital", 1.0, 2, "bridging capital (tie weight across groups per citizen)",
              "brobyggende kapital (båndstyrke på tværs pr. borger)"),
    Indicator("volunteering_rate_vulnerable", 100.0, 0, "volunteering among vulnerable citizens, %",
              "frivillige blandt udsatte borgere, %"),
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

    @classmethod
    def of(cls, experiment: str, arm: str, column: str, when: str, values: np.ndarray) -> Row:
        """Median and 10th-90th percentile of ``values``, one per seed."""
        lo, mid, hi = np.percentile(values, [10, 50, 90])
        return cls(experiment, arm, column, when, float(mid), float(lo), float(hi), len(values))


# --- the experiments, as the worksheets have students run them --------------------------------

def experiment_1(seeds: Iterable[int] = SEEDS, live: dict[int, float] = EPISODE) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Over-steering and the long way back: (episode runs, control runs without it), 240 months."""
    seeds = tuple(seeds)
    return runs(StartSettings(), 240, live, seeds), runs(StartSettings(), 240, None, seeds)


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


E1_COLUMNS = ("trust_municipality", "volunteering_rate", "civil_output", "synergy")
E2_ROWS = (("volunteering_rate", "year 10"), ("trust_municipality", "year 10"), ("service_orientation", "year 10"),
           ("democratic_voice", "year 10"), ("synergy", "year 10"), ("service_output", "year 1"), ("service_output", "year 10"))
E3_COLUMNS = ("ei_index", "bridging_capital", "volunteering_rate_vulnerable")
WINDOWS = {"year 1": YEAR_1, "year 10": YEAR_10}


def key_rows(e1=None, e2=None, e3=None) -> list[Row]:
    """Every number of the answer key (runs the experiments that are not given)."""
    episode, control = e1 or experiment_1()
    e2 = e2 or experiment_2()
    e3 = e3 or experiment_3()
    out: list[Row] = []
    for column in E1_COLUMNS:
        ind = INDICATORS[column]
        for arm, frames in (("over-steered", episode), ("control", control)):
            for m in EPISODE_MONTHS:
                out.append(Row.of("1", arm, column, f"month {m}", per_seed(frames, column, m, ind.scale)))
    for column, when in E2_ROWS:
        for mode in MODES:
            out.append(Row.of("2", mode, column, when, per_seed(e2[mode], column, WINDOWS[when], INDICATORS[column].scale)))
    for column in E3_COLUMNS:
        for arm in ARMS:
            out.append(Row.of("3", arm, column, "year 10", per_seed(e3[arm], column, YEAR_10, INDICATORS[column].scale)))
    return out


# --- rendering -----------------------------------------------------------------------------------

def fmt(value: float, decimals: int, lang: str) -> str:
    """A number as the key prints it: a minus sign, and a decimal comma in Danish."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    text = text.replace("-", "−")
    return text.replace(".", ",") if lang == "da" else text


def cell(row: Row, lang: str, bold: bool = False) -> str:
    """``median (p10–p90)``."""
    d = INDICATORS[row.column].decimals
    mid = fmt(row.median, d, lang)
    return f"{'**' + mid + '**' if bold else mid} ({fmt(row.p10, d, lang)}–{fmt(row.p90, d, lang)})"


ARM_NAMES = {
    "en": {"over-steered": "over-steered", "control": "control (no episode)", "npm": "NPM (suppliers)",
           "npg": "NPG (partners)", "hierarchy": "Hierarchy", "group-specific": "group-specific (0)",
           "inclusive": "inclusive (1)", "inclusive + pressure": "inclusive + pressure 1"},
    "da": {"over-steered": "overstyret", "control": "kontrol (ingen episode)", "npm": "NPM (leverandører)",
           "npg": "NPG (samarbejdspartnere)", "hierarchy": "Hierarki", "group-specific": "egen gruppe (0)",
           "inclusive": "på tværs (1)", "inclusive + pressure": "på tværs + pres 1"},
}
WHEN_NAMES = {"en": {"year 1": "first year", "year 10": "tenth year"}, "da": {"year 1": "første år", "year 10": "tiende år"}}
MONTH = {"en": "month", "da": "måned"}


def _table(head: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def tables(rows: list[Row], lang: str) -> dict[str, str]:
    """The key's Markdown tables by name (``e1``, ``e2``, ``e3``) in ``lang``."""
    by = {(r.experiment, r.arm, r.column, r.when): r for r in rows}
    names = ARM_NAMES[lang]
    e1 = _table([""] + [f"{MONTH[lang]} {m}" for m in EPISODE_MONTHS],
                [[f"{getattr(INDICATORS[c], lang)}: {names[arm]}"] +
                 [cell(by["1", arm, c, f"month {m}"], lang) for m in EPISODE_MONTHS]
                 for c in E1_COLUMNS for arm in ("over-steered", "control")])
    e2 = _table([""] + [names[m] for m in MODES],
                [[getattr(INDICATORS[c], lang) + (f", {WHEN_NAMES[lang][w]}" if c == "service_output" else "")] +
                 [cell(by["2", m, c, w], lang) for m in MODES] for c, w in E2_ROWS])
    e3 = _table([""] + [names[a] for a in ARMS],
                [[getattr(INDICATORS[c], lang)] + [cell(by["3", a, c, "year 10"], lang) for a in ARMS] for c in E3_COLUMNS])
    return {"e1": e1, "e2": e2, "e3": e3}


CSV_FIELDS = ("experiment", "arm", "indicator", "when", "median", "p10", "p90", "n_seeds")


def to_csv(rows: list[Row]) -> str:
    """The key as CSV, printed to the digits the worksheets use."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in rows:
        d = INDICATORS[r.column].decimals
        w.writerow([r.experiment, r.arm, r.column, r.when, f"{r.median:.{d}f}", f"{r.p10:.{d}f}", f"{r.p90:.{d}f}", r.n_seeds])
    return buf.getvalue()


BLOCK = re.compile(r"(<!-- key:(\w+) -->\n)(.*?)(\n<!-- /key -->)", re.S)


def fill(text: str, generated: dict[str, str]) -> str:
    """``text`` with every ``<!-- key:NAME -->`` block replaced by the generated table NAME."""
    def sub(m: re.Match) -> str:
        if m.group(2) not in generated:
            raise KeyError(f"no generated table named {m.group(2)!r}")
        return m.group(1) + generated[m.group(2)] + m.group(4)
    return BLOCK.sub(sub, text)


def blocks(text: str) -> dict[str, str]:
    """The generated tables a key file holds now, by name."""
    return {m.group(2): m.group(3) for m in BLOCK.finditer(text)}


def write(rows: list[Row], say: Callable[[str], None] = print) -> None:
    """Write the CSV and fill the tables of both answer keys."""
    CSV_PATH.write_text(to_csv(rows), encoding="utf-8")
    say(f"wrote {CSV_PATH.relative_to(ROOT)}")
    for lang, path in KEY_FILES.items():
        path.write_text(fill(path.read_text(encoding="utf-8"), tables(rows, lang)), encoding="utf-8")
        say(f"filled the tables of {path.relative_to(ROOT)}")


def main() -> int:
    """Regenerate the answer key."""
    start = time.perf_counter()
    write(key_rows())
    print(f"{len(SEEDS)} seeds, {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

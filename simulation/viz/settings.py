"""What the browser page lets a user choose, and how a choice becomes a model's parameters.

Pure Python: no Solara, no matplotlib, so it is tested and reused without the browser stack.

A *start setting* is a named scenario (``scenarios/*.toml``, resolved by
:mod:`simulation.experiment.scenarios`) plus the governance mode and the main levers, each shown as a
slider generated from the parameter declarations (:func:`simulation.core.parameters.describe`).
Picking a scenario or a mode moves the sliders to that scenario's or mode's values; moving a
slider overrides one lever. Only named scenarios can be picked: the page never reads a path
a user types.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulation.core.parameters import LEVERS, ParameterError, Parameters, coerce_value, describe, make_parameters
from simulation.experiment import scenarios
from simulation.viz.text import CHOICE_LABELS_DA, LEVER_LABELS_EN, LEVER_TEXT_DA, t

#: The levers on the page, in the order they are declared (a lever added to the model appears by itself).
#: The governance mode has its own picker.
SLIDER_LEVERS: tuple[str, ...] = tuple(name for name in LEVERS if name != "governance_mode")


#: The population the browser starts with: a few hundred citizens keep a step immediate and
#: the network legible. Associations and staff scale with the number of citizens, keeping the
#: scenario's density (see :func:`browser_population`).
BROWSER_CITIZENS = 300

#: The browser run is at least this long, so that a lever moved late still shows its
#: aftermath (recovery after over-steering takes years).
BROWSER_MIN_STEPS = 240

DEFAULT_SCENARIO = scenarios.DEFAULT_SCENARIO


def label(name: str, lang: str = "en") -> str:
    """The page's label of lever ``name`` in ``lang`` (Danish: :data:`~simulation.viz.text.LEVER_TEXT_DA`)."""
    if lang == "da" and name in LEVER_TEXT_DA:
        return LEVER_TEXT_DA[name][0]
    return LEVER_LABELS_EN.get(name, name.replace("_", " ").capitalize())


def lever_help(name: str, lang: str = "en") -> str:
    """What lever ``name`` means, in ``lang``: the declared meaning in English, the Danish text in Danish."""
    d = describe(name)
    if lang == "da" and name in LEVER_TEXT_DA:
        return LEVER_TEXT_DA[name][1]
    return d["meaning"] + (f" ({d['unit']})" if d["unit"] else "")


def choice_label(value, lang: str = "en") -> str:
    """A lever's value as the page shows it (text values in Danish, yes/no, decimal commas)."""
    if isinstance(value, bool):
        return t(lang, "yes" if value else "no")
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",") if lang == "da" else f"{value:.2f}"
    if lang == "da":
        return CHOICE_LABELS_DA.get(str(value), str(value))
    return str(value)


@dataclass(frozen=True)
class SliderSpec:
    """A slider generated from a parameter's declaration."""

    name: str
    label: str
    min: float
    max: float
    step: float
    default: Any
    help: str
    is_int: bool


def slider_spec(name: str) -> SliderSpec:
    """Build the slider of parameter ``name`` from :func:`describe`: range, step, meaning as help."""
    d = describe(name)
    lo, hi = d["range"]
    if lo is None or hi is None:
        raise ValueError(f"{name!r} has no declared range and cannot be a slider")
    is_int = d["type"] == "int"
    step = 1 if is_int else round((hi - lo) / 20, 10)
    return SliderSpec(name=name, label=label(name), min=lo, max=hi, step=step, default=d["default"],
                      help=lever_help(name), is_int=is_int)


def lever_sliders() -> list[SliderSpec]:
    """The sliders of the numeric levers, in page order."""
    return [slider_spec(name) for name in SLIDER_LEVERS if describe(name)["type"] in ("float", "int")]


def lever_switches() -> list[str]:
    """The levers that are on or off (a checkbox each)."""
    return [name for name in SLIDER_LEVERS if describe(name)["type"] == "bool"]


def lever_choices() -> dict[str, tuple]:
    """The levers that take one of a few named values (a picker each): name -> values."""
    return {name: describe(name)["choices"] for name in SLIDER_LEVERS if describe(name)["choices"]}


# --- scenarios ----------------------------------------------------------------------------
def available_scenarios(lang: str = "en") -> dict[str, tuple[str, str]]:
    """Scenario name -> its title and description in ``lang``, for the picker (default scenario first).

    The names are those of :func:`simulation.experiment.scenarios.available` (the project's
    ``scenarios/`` folder and the folders its search path names); files that cannot be read
    are left out of the picker rather than breaking the page.
    """
    out: dict[str, tuple[str, str]] = {}
    for name, path in sorted(scenarios.available().items(), key=lambda kv: (kv[0] != DEFAULT_SCENARIO, kv[0])):
        try:
            out[name] = _scenario_texts(path, path.stat().st_mtime_ns, lang)
        except (scenarios.InputError, OSError):
            continue
    return out


@functools.lru_cache(maxsize=256)
def _scenario_texts(path, mtime_ns: int, lang: str) -> tuple[str, str]:
    """A scenario's title and description, read again only when its file changes (``mtime_ns``)."""
    return scenarios.scenario_texts(path, lang)


# --- start settings -----------------------------------------------------------------------
@dataclass(frozen=True)
class StartSettings:
    """What a new run starts from: a scenario, optionally a governance mode, lever overrides.

    Frozen, so one object can be shared safely as the default of every browser session.
    """

    scenario: str | None = DEFAULT_SCENARIO
    governance_mode: str | None = None
    levers: Mapping[str, Any] = field(default_factory=dict)

    def with_scenario(self, name: str | None) -> StartSettings:
        """Start from another scenario: mode and levers go back to the scenario's own."""
        return StartSettings(scenario=name)

    def with_mode(self, mode: str) -> StartSettings:
        """Apply a governance mode's preset: the levers take the mode's values."""
        coerce_value("governance_mode", mode)
        return dataclasses.replace(self, governance_mode=mode, levers={})

    def with_lever(self, name: str, value: Any) -> StartSettings:
        """Override one lever (validated and converted like any parameter)."""
        return dataclasses.replace(self, levers={**self.levers, name: coerce_value(name, value)})

    def overrides(self) -> dict[str, Any]:
        """The choices made on top of the scenario (mode first: it replaces the scenario's levers)."""
        out: dict[str, Any] = {}
        if self.governance_mode:
            out["governance_mode"] = self.governance_mode
        out.update(self.levers)
        return out

    def resolve(self, **extra: Any) -> tuple[Parameters, str, list[str]]:
        """Parameters of a run from these settings (plus ``extra`` overrides), its description and notes.

        Falls back to the model's defaults, with a note, when the scenario cannot be read.
        """
        overrides = {**self.overrides(), **extra}
        if self.scenario:
            try:
                sc = scenarios.resolve(self.scenario, overrides, override_source="the page's setting")
                return sc.parameters, sc.description, list(sc.notes)
            except scenarios.InputError as exc:
                note = f"Scenario {self.scenario!r} cannot be used ({exc}); this run starts from the model's defaults."
                return make_parameters(**overrides), "", [note]
        return make_parameters(**overrides), "", []

    def levers_in_force(self) -> dict[str, Any]:
        """The lever values a run started now would begin with (what the sliders show)."""
        return self.resolve()[0].levers()


def browser_population(n_citizens: int, like: Parameters | None = None) -> dict[str, int]:
    """Population sizes for the browser: associations and staff per citizen as in ``like``.

    The density of associations is one of a country's conditions (a sparse web of associations
    reaches fewer citizens), so a scenario keeps it at the page's size. ``like``: the scenario's
    parameters (default: the declared defaults).
    """
    like = like or make_parameters()
    scale = n_citizens / like.n_citizens
    return {
        "n_citizens": n_citizens,
        "n_associations": max(1, round(like.n_associations * scale)),
        "n_staff": max(1, round(like.n_staff * scale)),
    }


#: A notice about an input the page corrected: a key into the page's texts and its values.
Notice = tuple[str, dict[str, Any]]


def parse_seed(seed: Any) -> tuple[int, Notice | None]:
    """A seed from a text box: ``(seed, None)``, or ``(1, notice)`` when it is not valid."""
    try:
        return coerce_value("seed", seed), None
    except ParameterError as err:  # its text names the range and never echoes thousands of digits
        return 1, ("bad_seed", {"error": str(err)})


def notice_text(notice: Notice | str, lang: str = "en") -> str:
    """A notice in ``lang`` (a scenario's own note is a plain text, shown as it is)."""
    if isinstance(notice, str):
        return notice
    key, values = notice
    return t(lang, key, **values)


def browser_parameters(settings: StartSettings, seed: Any = 1, n_citizens: Any = BROWSER_CITIZENS) -> tuple[Parameters, list]:
    """The parameters of a browser run, and notices about inputs that were corrected (see :func:`notice_text`)."""
    notices: list = []
    seed_value, msg = parse_seed(seed)
    if msg:
        notices.append(msg)
    try:
        citizens = coerce_value("n_citizens", n_citizens)
    except ParameterError as err:
        lo, hi = describe("n_citizens")["range"]
        notices.append(("bad_citizens", {"error": str(err), "n": BROWSER_CITIZENS, "lo": lo, "hi": hi}))
        citizens = BROWSER_CITIZENS
    params, _, notes = settings.resolve()
    steps = max(params.steps, BROWSER_MIN_STEPS)
    params, _, notes = settings.resolve(seed=seed_value, steps=steps, **browser_population(citizens, params))
    return params, notices + notes

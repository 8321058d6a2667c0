"""Named scenarios: TOML files that set parameters and schedule lever changes.

A scenario file (read with the standard library's :mod:`tomllib`) looks like this::

    description = "What it represents and which part of the seed it comes from."
    base = "denmark"              # optional: start from another scenario (name or path)

    [parameters]                  # any parameter of simulation.core.parameters
    governance_mode = "npm"
    steering_intensity = 0.6

    [[policy]]                    # optional: lever changes at given months
    step = 24
    steering_intensity = 0.9

Resolution rules (documented in ``docs/cli.md``):

* a scenario starts from its base's parameters and overrides them key by key;
* its ``[[policy]]`` tables, if it has any, replace the base's schedule;
* setting ``governance_mode`` applies that mode's lever preset: levers inherited from the
  base are dropped, levers set next to the mode (same file, ``--set``, a sweep) win;
* a policy change after the scenario's own horizon is an error in the file; when a command
  line or a sweep shortens the run, later changes are dropped with a note;
* values in files must have their TOML type (``n_citizens = 200``, not ``"200"``); text from
  a command line is parsed in plain decimal (:func:`simulation.core.parameters.coerce_value`).

Named scenarios are looked up in ``./scenarios`` (the current directory) and then in the
project's ``scenarios/`` folder; ``SAMSKABELSE_SCENARIOS`` (a ``os.pathsep``-separated
list of folders) is searched first.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.core.parameters import (
    FIELDS,
    LEVERS,
    ParameterError,
    Parameters,
    coerce_value,
    make_parameters,
    parse_policy_schedule,
)
from simulation.errors import InputError, display, suggest
from simulation.experiment.schema import check_keys, check_parameter_type, check_type, read_toml

#: Scenario used when none is named.
DEFAULT_SCENARIO = "denmark"

#: Keys a scenario file may hold at its top level.
SCENARIO_KEYS = ("title", "description", "title_da", "description_da", "base", "parameters", "policy")

#: The optional texts a scenario file may give for the browser page: a short title, and both in Danish.
TEXT_KEYS = ("title", "title_da", "description_da")

#: The project's own scenario folder (next to the package in a source checkout).
PROJECT_SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"


@dataclass
class Scenario:
    """A scenario fully resolved: its chain of files, the parameters it sets and the run's Parameters."""

    name: str
    path: Path
    description: str
    chain: list[Path]
    settings: dict[str, Any]
    policy: list[dict[str, Any]]
    parameters: Parameters
    notes: list[str] = field(default_factory=list)


def search_path() -> list[Path]:
    """Folders searched for named scenarios, first match wins."""
    dirs = [Path(p) for p in os.environ.get("SAMSKABELSE_SCENARIOS", "").split(os.pathsep) if p]
    dirs += [Path.cwd() / "scenarios", PROJECT_SCENARIO_DIR]
    seen, out = set(), []
    for d in dirs:
        key = d.resolve()
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def available() -> dict[str, Path]:
    """Every named scenario on the search path: name -> file (the first found wins)."""
    found: dict[str, Path] = {}
    for d in search_path():
        if d.is_dir():
            for p in sorted(d.glob("*.toml")):
                found.setdefault(p.stem, p)
    return dict(sorted(found.items()))


def looks_like_path(ref: str) -> bool:
    """True when ``ref`` names a file rather than a scenario name."""
    return ref.endswith(".toml") or "/" in ref or os.sep in ref


def find(ref: str, relative_to: Path | None = None) -> Path:
    """The file of scenario ``ref`` (a name or a path); unknown names list the known ones."""
    if looks_like_path(ref):
        p = Path(ref).expanduser()
        if not p.is_absolute() and relative_to is not None and (relative_to / p).exists():
            p = relative_to / p
        if not p.exists():
            raise InputError(f"scenario file {ref!r} does not exist.")
        return p
    if relative_to is not None and (relative_to / f"{ref}.toml").exists():
        return relative_to / f"{ref}.toml"
    names = available()
    if ref in names:
        return names[ref]
    close = difflib.get_close_matches(ref, list(names), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InputError(
        f"unknown scenario {ref!r}.{hint} Known scenarios: {', '.join(names) or '(none found)'}. "
        f"A scenario can also be given as a path to a .toml file; named ones are looked up in "
        f"{', '.join(display(d) for d in search_path())}."
    )


def _read_scenario_file(path: Path) -> dict[str, Any]:
    """One scenario file, checked for structure and parameter values (not yet merged)."""
    data = read_toml(path)
    where = display(path)
    check_keys(where, data, SCENARIO_KEYS, "a scenario file", "Parameters go in the [parameters] table.", key_word="top-level key")
    desc = data.get("description")
    if not isinstance(desc, str) or not desc.strip():
        raise InputError(f"{where}: key 'description' is missing or empty; say what the scenario represents and where it comes from.")
    for key in TEXT_KEYS:
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            raise InputError(f"{where}: key {key!r} must be a non-empty text in quotes, got {data[key]!r}.")
    base = data.get("base")
    if base is not None and not isinstance(base, str):
        raise InputError(f"{where}: key 'base' must be a scenario name or path in quotes, got {base!r}.")
    params = check_type(where, "parameters", data.get("parameters", {}), "table")
    settings = _typed_settings(params, f"{where}: [parameters] key", "write lever changes as [[policy]] tables instead",
                               from_file=True)
    policy = data.get("policy", [])
    if not isinstance(policy, list):
        raise InputError(f"{where}: 'policy' must be a list of [[policy]] tables, got {policy!r}.")
    for i, entry in enumerate(policy):
        table = f"the {ordinal(i + 1)} [[policy]] table"
        if isinstance(entry, Mapping):
            step = entry.get("step")
            if isinstance(step, int) and not isinstance(step, bool) and step < 1:
                raise InputError(f"{where}: {table}: key 'step' = {step} is not allowed: a change comes at the start of "
                                 "a month from 1 to the scenario's steps.")
            for key, value in entry.items():
                if key != "step" and key in FIELDS:
                    check_parameter_type(key, value, f"{where}: {table}: key")
        try:
            parse_policy_schedule([entry])
        except ParameterError as exc:
            raise InputError(f"{where}: {table}{str(exc).removeprefix('policy_schedule entry 1')}.") from None
    try:  # the schedule as a whole (one change per lever and step): the model's own rule, reported with this file's name
        make_parameters(steps=FIELDS["steps"].metadata["range"][1], policy_schedule=policy)
    except ParameterError as exc:
        raise InputError(f"{where}: [[policy]] tables: {str(exc).removeprefix('policy_schedule: ').rstrip('.')}.") from None
    texts = {key: " ".join(data[key].split()) for key in TEXT_KEYS if key in data}
    return {"description": desc.strip(), "base": base, "settings": settings, "policy": [dict(e) for e in policy], "texts": texts}


def merge_settings(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides on top of base settings; a new ``governance_mode`` drops the base's levers.

    A governance mode is a preset of every lever, so setting one means "this mode", not "this
    mode except for whatever the base happened to set". Levers given in ``overrides`` win.
    """
    merged = dict(base)
    if "governance_mode" in overrides:
        for lever in LEVERS:
            merged.pop(lever, None)
    merged.update(overrides)
    return merged


def _resolve_chain(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], list[dict[str, Any]], list[Path], str, Path]:
    """Settings, policy (with the file of each entry) and chain of a scenario file and its bases."""
    real = path.resolve()
    if real in seen:
        loop = " -> ".join(display(p) for p in (*seen, real))
        raise InputError(f"{display(path)}: key 'base' makes a loop of scenarios: {loop}.")
    spec = _read_scenario_file(path)
    if spec["base"] is None:
        settings: dict[str, Any] = {}
        policy: list[dict[str, Any]] = []
        chain: list[Path] = []
    else:
        try:
            base_path = find(spec["base"], relative_to=path.parent)
        except InputError as exc:
            raise InputError(f"{display(path)}: key 'base': {exc}") from None
        settings, policy, chain, _, _ = _resolve_chain(base_path, (*seen, real))
    settings = merge_settings(settings, spec["settings"])
    if spec["policy"]:
        policy = [{"entry": e, "file": path, "index": i + 1} for i, e in enumerate(spec["policy"])]
    return settings, policy, [*chain, path], spec["description"], path


def resolve(
    ref: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    override_source: str = "--set",
    from_file: bool = False,
) -> Scenario:
    """Resolve a scenario (name or file) with optional overrides into validated :class:`Parameters`.

    Args:
        ref: scenario name or path; ``None`` means :data:`DEFAULT_SCENARIO`.
        overrides: parameter values applied on top (already typed or strings from a command
            line); ``steps`` here shortens or lengthens the run.
        override_source: how to name the overrides in error messages (``--set``, a file key).
        from_file: the overrides come from a TOML file (an experiment's ``[parameters]``), so
            they must already have their TOML type; otherwise text is parsed as on a command line.

    Raises:
        InputError: with a message naming the file and key at fault.
    """
    ref = DEFAULT_SCENARIO if ref is None else str(ref)
    path = find(ref)
    settings, policy, chain, description, _ = _resolve_chain(path)
    name = path.stem
    where = display(path)
    file_steps = settings.get("steps", FIELDS["steps"].default)
    for p in policy:
        step = p["entry"].get("step")
        if isinstance(step, int) and step > file_steps:
            raise InputError(
                f"{display(p['file'])}: the {ordinal(p['index'])} [[policy]] table: key 'step' = {step} lies beyond the "
                f"horizon of scenario {name!r} (steps = {file_steps}); a change must come at step 1 to {file_steps}."
            )
    typed = _typed_settings(overrides or {}, override_source,
                            "lever changes can only be given as [[policy]] tables in a scenario file", from_file=from_file)
    settings = merge_settings(settings, typed)
    steps = settings.get("steps", FIELDS["steps"].default)
    notes = []
    entries = []
    for p in policy:
        if p["entry"]["step"] > steps:
            changes = ", ".join(f"{k} = {v!r}" for k, v in p["entry"].items() if k != "step")
            notes.append(f"the policy change at step {p['entry']['step']} ({changes}) comes after the last step ({steps}) and is not applied")
        else:
            entries.append(p["entry"])
    try:
        parameters = make_parameters(**settings, policy_schedule=entries)
    except ParameterError as exc:
        raise InputError(f"{where}: {exc}.") from None
    return Scenario(
        name=name, path=path, description=description, chain=chain, settings=settings,
        policy=entries, parameters=parameters, notes=notes,
    )


def require_not_empty(option: str, value: str | None) -> None:
    """An option given as an empty string is a mistake, not a request for the default."""
    if value is not None and not value.strip():
        raise InputError(f"{option} {value!r}: empty; give a value, or leave {option} out for the default.")


def parse_assignments(pairs: list[str] | None, option: str = "--set") -> dict[str, str]:
    """``["key=value", ...]`` from a command line as a dict; a malformed pair is an InputError.

    The same key given twice with different values is an error (which one was meant is not
    for the program to guess); given twice with the same value it is harmless.
    """
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"{option} {pair!r}: expected key=value, e.g. {option} steering_intensity=0.6.")
        if key not in FIELDS or key == "policy_schedule":
            if key == "policy_schedule":
                raise InputError(f"{option} policy_schedule: lever changes can only be given as [[policy]] tables in a scenario file.")
            raise InputError(f"{option} {key}: unknown parameter {key!r}{suggest(key, FIELDS)}. `samskabelse params` lists them all.")
        if key in out and out[key].strip() != value.strip():
            raise InputError(f"{option} {key}={out[key]} and {option} {key}={value}: the same parameter is given two different "
                             "values; give it once.")
        out[key] = value
    return out


def scenario_texts(path: Path, lang: str = "en") -> tuple[str, str]:
    """A scenario file's title and description in ``lang`` ("en" or "da"), for the browser page.

    The title is the file's ``title`` (``title_da`` in Danish), the description its ``description``
    (``description_da``); a text the file does not give falls back to the English one, and a missing
    title to the file's name.
    """
    spec = _read_scenario_file(path)
    texts = spec["texts"]
    description = " ".join(spec["description"].split())
    title = texts.get("title", path.stem)
    if lang == "da":
        return texts.get("title_da", title), texts.get("description_da", description)
    return title, description


def describe_all() -> list[tuple[str, str, Path]]:
    """(name, first line of description, file) of every named scenario; broken files say so."""
    rows = []
    for name, path in available().items():
        try:
            desc = _read_scenario_file(path)["description"]
            first = desc.split(". ")[0].strip().rstrip(".") + "."
        except InputError as exc:
            first = f"(cannot be read: {exc})"
        rows.append((name, first, path))
    return rows


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th`` ... ``11th``, ``12th``, ``13th``, ``21st``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _typed_settings(values: Mapping[str, Any], source: str, schedule_hint: str, *, from_file: bool = False) -> dict[str, Any]:
    """Coerce and check each parameter value; errors name ``source`` and the key.

    With ``from_file`` the values come from a TOML file and must have their TOML type (a
    quoted number is an error); otherwise text values are parsed as on a command line.
    """
    typed = {}
    for key, value in values.items():
        if key == "policy_schedule":
            raise InputError(f"{source} 'policy_schedule': {schedule_hint}.")
        if key in FIELDS and from_file:
            check_parameter_type(key, value, source)
        try:
            typed[key] = coerce_value(key, value)
        except ParameterError as exc:
            raise InputError(f"{source} {key!r}: {exc}.") from None
    return typed

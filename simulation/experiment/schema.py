"""Reading and checking the TOML files users write: scenarios, experiments, sensitivity designs.

One set of rules for every input file, so that each mistake gets the same kind of message
naming the file and the key:

* :func:`read_toml` reads only a regular file of at most
  :data:`~simulation.experiment.files.MAX_INPUT_BYTES` (a FIFO or ``/dev/zero`` is refused,
  not waited on) and turns syntax errors and absurd nesting into an :class:`InputError`;
* :func:`check_keys` rejects unknown keys with the closest known one (did you mean ...?);
* :func:`check_type` checks a value's TOML type (text, table, list, whole number, number,
  boolean) and names what was expected; :func:`check_parameter_type` does so for a model
  parameter's value (a quoted ``"200"`` is text, not a number).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from simulation.core.parameters import allowed, describe
from simulation.errors import InputError, display, suggest
from simulation.experiment.files import MAX_INPUT_BYTES, read_input_text

#: What each kind of value is called in messages, and the Python types TOML gives it.
KINDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "text": ("text in quotes", (str,)),
    "table": ("a table", (Mapping,)),
    "list": ("a list [ ... ]", (list,)),
    "int": ("a whole number (a TOML integer, without quotes)", (int,)),
    "number": ("a number (without quotes)", (int, float)),
    "bool": ("true or false (without quotes)", (bool,)),
}


def read_toml(path: Path, limit: int = MAX_INPUT_BYTES) -> dict[str, Any]:
    """Read a TOML input file; every problem is an :class:`InputError` naming the file.

    Raises:
        InputError: no such file, not a regular file (a folder, FIFO, device), larger than
            ``limit`` bytes, not UTF-8, not valid TOML, or nested too deeply to read.
    """
    return parse_toml(path, read_input_text(path, limit))


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    """Parse the TOML ``text`` of the file ``path`` (see :func:`read_toml`)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{display(path)}: not valid TOML: {exc}. Fix the file and try again.") from None
    except RecursionError:
        raise InputError(f"{display(path)}: its arrays or tables are nested too deeply to read; an input file needs "
                         "at most a few levels of nesting.") from None


def check_keys(where: str, table: Mapping[str, Any], allowed: Iterable[str], what: str, hint: str = "",
               key_word: str = "key") -> None:
    """Every key of ``table`` must be one of ``allowed``; otherwise name it and the closest allowed key.

    Args:
        where: the file and table, e.g. ``"experiments/x.toml: [keep]"``.
        table: the keys as read.
        allowed: the keys this table may hold.
        what: the table in plain words, e.g. ``"an experiment file"`` or ``"[keep]"``.
        hint: a sentence appended to the message.
        key_word: how the message names a key (``"top-level key"``, ``"key"``).
    """
    allowed = list(allowed)
    for key in table:
        if key not in allowed:
            raise InputError(f"{where}: unknown {key_word} {key!r}{suggest(str(key), allowed)}; {what} may hold "
                             f"{', '.join(allowed)}.{f' {hint}' if hint else ''}")


def check_type(where: str, key: str, value: Any, kind: str) -> Any:
    """``value`` must be of ``kind`` (a key of :data:`KINDS`); return it.

    A boolean is never a number, and a whole number is accepted where a number is expected.
    """
    words, types = KINDS[kind]
    if isinstance(value, bool) and kind != "bool" or not isinstance(value, types):
        raise InputError(f"{where}: key {key!r} must be {words}, got {value!r}.")
    return value


#: The TOML type a file must give a parameter of each declared type.
_TOML_TYPE = {"bool": "a TOML boolean (true or false, without quotes)", "int": "a TOML integer (a whole number, without quotes)",
              "float": "a TOML number (without quotes)"}


def check_parameter_type(key: str, value: Any, source: str) -> None:
    """A parameter's value from a TOML file must have its TOML type: a quoted number or boolean is an error.

    (Text is parsed only from a command line, where everything is text.) ``source`` names the
    file and table, e.g. ``"x.toml: [parameters] key"``.
    """
    kind = describe(key)["type"]
    if kind in _TOML_TYPE and isinstance(value, str):
        raise InputError(f"{source} {key!r} = {value!r}: a quoted value is text, but {key!r} expects {_TOML_TYPE[kind]}; "
                         f"write {key} = {value.strip()} (allowed: {allowed(key)}).")

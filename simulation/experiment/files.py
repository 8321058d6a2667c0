"""Files the experiment machinery reads and writes: atomic writes, tables, JSON, provenance, input files.

One module for every file helper, used by runs, sweeps, plots, sensitivity and the report,
so that each rule is written once:

* every file is written atomically (a complete new file or the old one, never half of one);
* tables are CSV at full float precision (and Parquet where pyarrow is installed);
* input files (scenarios, experiments) are read only when they are regular files of at most
  :data:`MAX_INPUT_BYTES`, so a FIFO or a device given by mistake is refused, not waited on.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.errors import InputError, display

#: Largest input file (scenario, experiment, sensitivity design) read, in bytes.
MAX_INPUT_BYTES = 1024 * 1024


def package_version() -> str:
    """The installed version of the samskabelse package."""
    try:
        from importlib.metadata import version

        return version("samskabelse")
    except Exception:  # noqa: BLE001 - running from a plain checkout
        from simulation import __version__

        return __version__


def code_revision() -> str | None:
    """The git revision of the code (with ``-dirty`` for uncommitted changes), if it is a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=here, capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def now() -> str:
    """The current time, ISO 8601 with the UTC offset."""
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def provenance() -> dict[str, Any]:
    """What every manifest records about the software and the command."""
    return {
        "package": "samskabelse",
        "version": package_version(),
        "code_revision": code_revision(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "command": command_line(),
    }


def command_line() -> str | None:
    """The command that started this process, as typed (program name without its folder)."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else None


def to_jsonable(value: Any) -> Any:
    """Plain JSON types for parameters, numpy scalars and paths."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_atomic(path: Path, write: Callable[[Any], None], mode: str = "w") -> None:
    """Write a file so that it either has its old content or the complete new one.

    ``write`` gets an open file (text for ``mode="w"``, bytes for ``"wb"``) in the same
    folder; it is renamed over ``path`` only once complete.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": ""} if "b" not in mode else {})) as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for sharing like any file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file atomically (see :func:`write_atomic`)."""
    write_atomic(path, lambda fh: fh.write(text))


def ensure_output_folder(out_dir: Path, option: str = "--out") -> None:
    """Create ``out_dir`` (and its parents) and check that files can be written in it.

    Called before any run, so that a folder that cannot be made or written to is noticed
    before the simulation rather than after it.

    Raises:
        InputError: naming ``option`` and the reason (a file in the way, no permission, ...).
    """
    shown = display(out_dir)
    check_out_folder(out_dir, option)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".write-test.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except (FileExistsError, NotADirectoryError):
        raise InputError(f"{option} {shown}: cannot be made a folder because a part of the path is a file, not a "
                         f"folder; choose another {option} folder.") from None
    except OSError as exc:
        raise InputError(f"{option} {shown}: cannot create or write to this folder ({exc.strerror or exc}); "
                         f"choose a folder you can write to. Nothing was run.") from None


def check_out_folder(out_dir: Path, option: str = "--out") -> None:
    """An output folder must not be a file, lie below a file, or lie inside a sweep's ``runs/`` folder.

    A sweep reads every ``runs-*.csv`` in its ``runs/`` folder as a batch of its runs, so
    output written there would be taken for (or break) one.

    Raises:
        InputError: naming ``option`` and what is in the way (nothing is written).
    """
    shown = display(out_dir)
    for folder in [out_dir, *out_dir.parents]:
        if folder.exists() and not folder.is_dir():
            where = "is a file" if folder == out_dir else f"lies inside {display(folder)}, which is a file"
            raise InputError(f"{option} {shown}: {where}, not a folder; choose another {option} folder.")
        if folder.name == "runs" and (folder.parent / "design.json").is_file():
            raise InputError(f"{option} {shown}: lies inside {display(folder)}, where a sweep keeps its batches of runs; "
                             f"choose an {option} folder outside any sweep's runs/ folder.")


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically, indented for people to read."""
    write_text_atomic(path, json.dumps(to_jsonable(data), indent=2, ensure_ascii=False) + "\n")


def write_table(path: Path, frame: pd.DataFrame, parquet: bool = True) -> list[Path]:
    """Write a table as CSV (floats at full precision) and, where pyarrow exists, as Parquet."""
    write_text_atomic(path, frame.to_csv(index=False))
    written = [path]
    if parquet and has_pyarrow():
        pq = path.with_suffix(".parquet")
        write_atomic(pq, lambda fh: frame.to_parquet(fh, index=False), mode="wb")
        written.append(pq)
    return written


def read_table(path: Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (CSV, exact round trip of floats)."""
    if int(pd.__version__.split(".")[0]) < 3:  # pandas 3 reads floats exactly by default
        return pd.read_csv(path, float_precision="round_trip")
    return pd.read_csv(path)


def has_pyarrow() -> bool:
    """True when pyarrow is importable (Parquet output)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def load_json(path: Path) -> Any:
    """Read a JSON file written by this package."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def read_input_bytes(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of an input file, read only if it is a regular file of at most ``limit`` bytes.

    The file is opened without blocking and checked on the open descriptor, so a FIFO (which
    would wait for a writer for ever) or a device such as ``/dev/zero`` (which never ends) is
    refused with a message instead.

    Raises:
        InputError: no such file, a folder, not a regular file, too large, or unreadable.
    """
    shown = display(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file.") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, not a TOML file.") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot be opened ({exc.strerror or exc}).") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{shown}: is a folder, not a TOML file.")
        if not stat.S_ISREG(info.st_mode):
            kind = "a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a device or other special file"
            raise InputError(f"{shown}: is {kind}, not a regular file; give the path of a TOML file.")
        if info.st_size > limit:
            raise InputError(f"{shown}: is {info.st_size:,} bytes; an input file may have at most {limit:,} bytes.")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # grew while being read
            raise InputError(f"{shown}: is more than {limit:,} bytes; an input file may have at most {limit:,} bytes.")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"{shown}: cannot be read ({exc.strerror or exc}).") from None
    finally:
        os.close(fd)


def read_input_text(path: Path, limit: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of an input file (see :func:`read_input_bytes`)."""
    try:
        return read_input_bytes(path, limit).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{display(path)}: not a UTF-8 text file.") from None

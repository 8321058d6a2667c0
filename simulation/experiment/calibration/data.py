"""The cross-national data: 21 EU countries' formal volunteering (2015, 2022) and trust in others (2013).

The project's copy is ``data/countries.csv`` (sources in ``data/README.md``). :func:`read_countries`
reads a file with the same columns and checks it: the columns a use needs must be there (a
missing one is named), values are numbers in their range, country codes are unique.
:func:`find_country` looks a country up by code or name, with a did-you-mean for a typo.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.errors import InputError, display, suggest
from simulation.experiment.files import read_input_bytes

#: The project's copy of the data (next to the package in a source checkout).
DATA_FILE = Path(__file__).resolve().parents[3] / "data" / "countries.csv"

TRUST = "trust_in_others_2013"
FORMAL_2015 = "formal_volunteering_2015"
FORMAL_2022 = "formal_volunteering_2022"
#: Columns and their allowed ranges.
RANGES = {TRUST: (0.0, 10.0), FORMAL_2015: (0.0, 100.0), FORMAL_2022: (0.0, 100.0), "informal_volunteering_2015": (0.0, 100.0)}
#: Largest data file read, in bytes (a country table is a few kilobytes).
MAX_DATA_BYTES = 5 * 1024 * 1024


def read_countries(path: str | Path = DATA_FILE, required: Sequence[str] = ("country_code", TRUST, FORMAL_2015)) -> pd.DataFrame:
    """The country table of ``path``, checked; ``required`` columns must be present (and filled, except 2022).

    Raises:
        InputError: the file cannot be read, lacks a required column (named), or holds a value
            that is not a number in its range, or a country code twice.
    """
    path = Path(path)
    where = display(path)
    raw = read_input_bytes(path, MAX_DATA_BYTES)
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype={"country_code": str, "country": str}, keep_default_na=False, na_values=[""])
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: not a readable CSV table ({exc}).") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{where}: lacks the column(s) {', '.join(missing)}; a country table has the columns of "
                         f"data/countries.csv (country_code, country, {FORMAL_2015}, {TRUST}, ...). Columns found: "
                         f"{', '.join(frame.columns) or 'none'}.")
    if frame.empty:
        raise InputError(f"{where}: holds no rows (only a header).")
    for col, (lo, hi) in RANGES.items():
        if col not in frame.columns:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = frame[col].notna() & (values.isna() | ~values.between(lo, hi))
        if col in required and col != FORMAL_2022:
            bad |= frame[col].isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            who = f" ({frame['country_code'].iloc[row]})" if "country_code" in frame.columns else ""
            raise InputError(f"{where}: row {row + 2}{who}: {col} = {frame[col].iloc[row]!r} is not allowed: expected a "
                             f"number from {lo:g} to {hi:g}.")
        frame[col] = values
    if "country_code" in frame.columns:
        codes = frame["country_code"].astype(str).str.strip()
        dup = codes[codes.duplicated()]
        if len(dup):
            raise InputError(f"{where}: country code {dup.iloc[0]!r} appears more than once; each country once.")
        frame["country_code"] = codes
    return frame.reset_index(drop=True)


def find_country(frame: pd.DataFrame, ref: str, where: str = "--country") -> pd.Series:
    """The row of country ``ref`` (its code, e.g. ``DK``, or its name, any case).

    Raises:
        InputError: no such country, with the closest code or name and the list of codes.
    """
    key = ref.strip().casefold()
    codes = frame["country_code"].astype(str)
    names = frame["country"].astype(str) if "country" in frame.columns else pd.Series([""] * len(frame))
    hit = (codes.str.casefold() == key) | (names.str.casefold() == key)
    if hit.any():
        return frame[hit].iloc[0]
    hint = suggest(ref.upper(), codes.tolist()) or suggest(ref.title(), names.tolist())
    raise InputError(f"{where} {ref}: unknown country{hint}; the data have {', '.join(codes)}.")

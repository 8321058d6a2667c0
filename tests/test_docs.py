"""docs/ODD.md stays true to the code, and its drift check notices when it does not."""

import dataclasses
import inspect
import re

import pytest

from simulation.core.indicators import INDICATOR_RECORDS
from simulation.core.parameters import GOVERNANCE_MODES, Parameters
from simulation.core.processes import PROCESSES
from simulation.odd import ODD_PATH, main, stale_sections, update

ODD = ODD_PATH.read_text(encoding="utf-8")


def _section(text: str, name: str) -> str:
    m = re.search(rf"<!-- BEGIN generated:{name} -->\n(.*?)<!-- END generated:{name} -->", text, re.S)
    assert m, f"docs/ODD.md has no generated section {name!r}"
    return m.group(1)


def _row(table: str, name: str) -> list[str]:
    """The cells of the table row whose first cell is `name` (exactly one such row)."""
    rows = [line for line in table.splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"docs/ODD.md: expected one row for `{name}`, found {len(rows)}"
    return [cell.strip() for cell in rows[0].strip("|").split("|")]


def test_generated_sections_of_the_odd_are_up_to_date():
    stale = stale_sections(ODD)
    assert not stale, f"run `python -m simulation.odd` to refresh: {stale}"


def _fields():
    return [f for f in dataclasses.fields(Parameters) if f.name != "policy_schedule"]


@pytest.mark.parametrize("field", _fields(), ids=lambda f: f.name)
def test_every_parameter_has_its_row_with_its_own_default_and_range(field):
    """Built from the dataclass fields themselves, not from the function that writes the table."""
    table, presets = _section(ODD, "parameters").split("Lever presets", 1)
    cells = _row(table, field.name)
    kind, default, allowed = cells[1], cells[2], cells[3]
    assert kind == field.metadata["kind"]
    assert field.metadata["meaning"] in cells[5]
    if kind == "lever" and field.name != "governance_mode":
        # levers default to the npg preset; the preset table gives each mode's value
        preset_row = _row(presets, field.name)
        assert preset_row[1:] == [repr(GOVERNANCE_MODES[mode][field.name]) for mode in ("hierarchy", "npm", "npg")]
        assert repr(field.default) == preset_row[3]
    else:
        assert default == repr(field.default)
    if field.metadata["choices"]:
        for choice in field.metadata["choices"]:
            assert repr(choice) in allowed
    elif field.type not in ("bool", bool):
        lo, hi = field.metadata["range"]
        assert re.search(rf"from {re.escape(str(lo))} to {re.escape(str(hi))}$", allowed), (field.name, allowed)


def test_every_process_appears_with_its_title_and_whole_equation_text():
    text = _section(ODD, "submodels")
    positions = []
    for process in PROCESSES:
        doc = inspect.getdoc(process.function)
        heading = f"#### {process.title} — `{process.function.__qualname__}`"
        assert heading in text
        body = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
        for line in body.splitlines():
            assert line in text, f"{process.title}: equation line missing from the ODD: {line!r}"
        positions.append(text.index(heading))
    assert positions == sorted(positions), "the ODD lists the processes in another order than PROCESSES"


def test_the_schedule_lists_the_processes_in_the_order_the_model_runs_them():
    rows = [line for line in _section(ODD, "schedule").splitlines() if line.startswith("| ") and "`" in line]
    assert [row.rsplit("`", 2)[1] for row in rows] == [p.function.__name__ for p in PROCESSES]
    assert [row.split(" ", 2)[1] for row in rows] == [p.title.split(" ", 1)[0] for p in PROCESSES]  # "1.", "1.", "2.", ...


def test_every_indicator_has_its_row():
    table = _section(ODD, "indicators")
    for r in INDICATOR_RECORDS:
        cells = _row(table, r.name)
        assert cells[1:] == [r.definition, r.unit_en, "yes" if r.public else "no"]


def _alter(text: str, section: str, old: str, new: str) -> str:
    body = _section(text, section)
    assert old in body
    return text.replace(body, body.replace(old, new, 1))


@pytest.mark.parametrize(("section", "old", "new"), [
    ("parameters", "| `contract_funding` | behaviour | 1.0 |", "| `contract_funding` | behaviour | 2.0 |"),
    ("parameters", "a number from 0.0 to 50.0", "a number from 0.0 to 5.0"),
    ("submodels", "o* = (1 - d_a) pibar_a + d_a", "o* = o_own + (1 - o_own) min(1, 0.7 [supplier] + 0.3 q)"),
    ("indicators", "| `ties` |", "| `tie_count` |"),
    ("schedule", "| `update_trust` |", "| `update_ties` |"),
])
def test_the_drift_check_reports_an_altered_copy(tmp_path, section, old, new, capsys):
    altered = _alter(ODD, section, old, new)
    assert stale_sections(altered) == [section]
    copy = tmp_path / "ODD.md"
    copy.write_text(altered, encoding="utf-8")
    assert main(["--check"], path=copy) == 1
    assert section in capsys.readouterr().out
    update(copy)
    assert main(["--check"], path=copy) == 0


def test_the_drift_check_reports_a_missing_parameter_row(tmp_path):
    body = _section(ODD, "parameters")
    row = next(line for line in body.splitlines() if line.startswith("| `cooperation_ceiling` |"))
    altered = ODD.replace(row + "\n", "")
    assert stale_sections(altered) == ["parameters"]
    with pytest.raises(AssertionError, match="cooperation_ceiling"):
        _row(_section(altered, "parameters"), "cooperation_ceiling")

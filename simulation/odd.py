"""Keep the generated parts of docs/ODD.md true to the code.

The parameter table, the indicator table and the submodel equations in docs/ODD.md are
generated from the declarations and docstrings they describe, between markers
``<!-- BEGIN generated:NAME -->`` and ``<!-- END generated:NAME -->``. Rewrite them with

    python -m simulation.odd            # or: python -m simulation.odd --check
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from simulation.core import processes as submodels
from simulation.core.indicators import INDICATORS
from simulation.core.model import CoCreationModel
from simulation.core.parameters import parameter_table_markdown

ODD_PATH = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"

#: The processes of a month, in the order :meth:`CoCreationModel.step` runs them.
PROCESSES = [
    ("1. Policy", CoCreationModel.apply_policy),
    ("1. Policy: the relation offered", submodels.offer_relation),
    ("2. Steering felt", submodels.perceive_steering),
    ("3. Motivation crowding", submodels.crowd_motivation),
    ("4. Contribution and quitting", submodels.contribute_and_quit),
    ("5. Recruitment", submodels.recruit_by_asking),
    ("6. Ties", submodels.update_ties),
    ("7. Trust", submodels.update_trust),
    ("8. Staff threat", submodels.update_staff_threat),
    ("9. Associations", submodels.drift_associations),
    ("10. Outcomes and synergy", submodels.produce_outcomes),
]


def _submodel_section() -> str:
    parts = []
    for title, func in PROCESSES:
        doc = inspect.getdoc(func) or ""
        body = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
        parts.append(f"#### {title} — `{func.__qualname__}`\n\n{doc.splitlines()[0]}\n")
        if body:
            parts.append("```text\n" + body + "\n```\n")
    helpers = [submodels.coordination, submodels.give_hours, submodels.join_probability]
    for func in helpers:
        doc = inspect.getdoc(func) or ""
        first, _, body = doc.partition("\n")
        parts.append(f"`{func.__name__}`: {first}\n")
        if body.strip():
            parts.append("```text\n" + body.strip() + "\n```\n")
    return "\n".join(parts)


def _indicator_section() -> str:
    lines = ["| column | definition |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in INDICATORS.items()]
    return "\n".join(lines) + "\n"


def generated_sections() -> dict[str, str]:
    """The text of each generated section, by marker name."""
    return {"parameters": parameter_table_markdown(), "indicators": _indicator_section(),
            "submodels": _submodel_section()}


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- BEGIN generated:{name} -->\n)(.*?)(<!-- END generated:{name} -->)", re.S)


def stale_sections(text: str) -> list[str]:
    """Names of generated sections missing from ``text`` or out of date."""
    stale = []
    for name, body in generated_sections().items():
        m = _pattern(name).search(text)
        if m is None or m.group(2) != body:
            stale.append(name)
    return stale


def update(path: Path = ODD_PATH) -> list[str]:
    """Rewrite the generated sections of the ODD in place; return the names that changed."""
    text = path.read_text(encoding="utf-8")
    changed = stale_sections(text)
    for name, body in generated_sections().items():
        text = _pattern(name).sub(lambda m, body=body: m.group(1) + body + m.group(3), text)
    path.write_text(text, encoding="utf-8")
    return changed


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    if "--check" in sys.argv:
        stale = stale_sections(ODD_PATH.read_text(encoding="utf-8"))
        print("docs/ODD.md is up to date" if not stale else f"stale sections in docs/ODD.md: {', '.join(stale)}")
        sys.exit(1 if stale else 0)
    print("updated:", ", ".join(update()) or "nothing")

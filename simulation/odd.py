"""Keep the generated parts of docs/ODD.md true to the code.

The schedule of a month, the parameter table, the indicator table and the submodel equations in docs/ODD.md are
generated from the declarations and docstrings they describe, between markers
``<!-- BEGIN generated:NAME -->`` and ``<!-- END generated:NAME -->``. Rewrite them with

    python -m simulation.odd            # or: python -m simulation.odd --check
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from simulation.core.indicators import INDICATOR_RECORDS
from simulation.core.parameters import parameter_table_markdown
from simulation.core.processes import HELPERS, PROCESSES

ODD_PATH = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"


def _submodel_section() -> str:
    parts = []
    for process in PROCESSES:
        func = process.function
        doc = inspect.getdoc(func) or ""
        body = doc.split("\n", 1)[1].strip() if "\n" in doc else ""
        parts.append(f"#### {process.title} — `{func.__qualname__}`\n\n{doc.splitlines()[0]}\n")
        if body:
            parts.append("```text\n" + body + "\n```\n")
    for func in HELPERS:
        doc = inspect.getdoc(func) or ""
        first, _, body = doc.partition("\n")
        parts.append(f"`{func.__name__}`: {first}\n")
        if body.strip():
            parts.append("```text\n" + body.strip() + "\n```\n")
    return "\n".join(parts)


def _schedule_section() -> str:
    """The month's processes in the order the model runs them: each one's summary line and function."""
    lines = ["| process | function |", "|---|---|"]
    lines += [f"| {(inspect.getdoc(p.function) or p.title).splitlines()[0]} | `{p.function.__name__}` |" for p in PROCESSES]
    return "\n".join(lines) + "\n"


def _indicator_section() -> str:
    lines = ["| column | definition | unit | public |", "|---|---|---|---|"]
    lines += [f"| `{r.name}` | {r.definition} | {r.unit_en} | {'yes' if r.public else 'no'} |" for r in INDICATOR_RECORDS]
    return "\n".join(lines) + "\n"


def generated_sections() -> dict[str, str]:
    """The text of each generated section, by marker name."""
    return {"schedule": _schedule_section(), "parameters": parameter_table_markdown(), "indicators": _indicator_section(),
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


def main(argv: list[str] | None = None, path: Path | None = None) -> int:
    """``python -m simulation.odd [--check]``: rewrite the generated sections, or (``--check``) exit 1 if any is stale."""
    argv = sys.argv[1:] if argv is None else argv
    path = ODD_PATH if path is None else path
    if "--check" in argv:
        stale = stale_sections(path.read_text(encoding="utf-8"))
        print(f"{path.name} is up to date" if not stale else f"stale sections in {path.name}: {', '.join(stale)}; "
              "run `python -m simulation.odd` to regenerate them")
        return 1 if stale else 0
    print("updated:", ", ".join(update(path)) or "nothing")
    return 0


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    sys.exit(main())

"""The notebook tutorial (docs/teaching/tutorial.ipynb) runs from top to bottom, each cell in a few seconds.

It is executed in a fresh kernel of exactly this Python (a kernel spec written for the test names
``sys.executable``, so neither a user's own ``python3`` kernel nor the PATH can send it elsewhere): on
a fresh machine, the project's .venv that ``bash scripts/test`` creates. The same check from the command line: ``pytest --nbmake docs/teaching/tutorial.ipynb``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbmake (nbformat, nbclient, ipykernel)")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "teaching" / "tutorial.ipynb"
CELL_SECONDS = 15   # "a few seconds" each on a loaded 2-core machine


def test_tutorial_runs_and_each_cell_is_quick(tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the tutorial without outputs"
    spec = tmp_path / "jupyter" / "kernels" / "samskabelse-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                                  "display_name": "this Python", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))     # searched before the user's and the system's kernels
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))   # connection files: nothing written to $HOME
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="samskabelse-test", resources={"metadata": {"path": str(tmp_path)}})
    slow = []
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            start = time.perf_counter()
            client.execute_cell(cell, index)      # raises CellExecutionError with the traceback on any error
            seconds = time.perf_counter() - start
            if seconds > CELL_SECONDS:
                slow.append((index, round(seconds, 1)))
    assert not slow, f"cells slower than {CELL_SECONDS} s (index, seconds): {slow}"
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "peak at steering" in printed     # the last cell read the curve

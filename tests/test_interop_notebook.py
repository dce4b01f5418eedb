"""The quick-start notebook runs from top to bottom under ``jupyter nbconvert --execute``, so it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebooks" / "quickstart.ipynb"
#: The ``jupyter`` command of this environment (the ``[notebook]`` extra brings nbconvert).
JUPYTER = Path(sys.executable).parent / "jupyter"

pytestmark = pytest.mark.slow


def test_quickstart_notebook_runs_under_nbconvert(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit it without outputs"
    source = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "subprocess" not in source and "sim.sweep(" in source  # the sweep runs in the kernel, not a shell
    out = tmp_path / "executed.ipynb"
    cmd = [str(JUPYTER), "nbconvert", "--to", "notebook", "--execute", str(NOTEBOOK), "--output", str(out)]
    proc = subprocess.run(cmd, cwd=NOTEBOOK.parent, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]  # a failing cell fails the command, naming it
    executed = nbformat.read(out, as_version=4)
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # The sweep's table (two arms x two replicates), the model's collected days and the figure are there.
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert html.count("team_inspection") >= 2 and "cost_total" in html
    assert any("image/png" in o.get("data", {}) for o in outputs)

"""The notebooks in notebooks/ run top to bottom on small generated data, and are committed
without outputs.

They run in order in one shared, private project home (RISKMODELS_HOME), so 03 and 04 reuse the
models 02 trained; each also runs on its own, training what it needs. The kernel is this
interpreter (the project's .venv) through a kernel spec written for the test, so a fresh machine
needs no `ipykernel install` and a user's own `python3` kernel is never picked up by mistake.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from _browser import assert_not_blank

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
EXPECTED = ["01_explore_portfolio", "02_build_application_scorecard", "03_validate_and_explain", "04_monitor_drift"]
KERNEL_NAME = "riskmodels-test-venv"
CELL_TIMEOUT = 600  # seconds; a cell that trains the A card on a busy 2-core machine takes ~1-2 min


def test_the_numbered_notebooks_are_there() -> None:
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name} must be committed without outputs; cells {dirty} have some"


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kernel spec that starts this very interpreter (the project's venv)."""
    root = tmp_path_factory.mktemp("kernels")
    spec_dir = root / KERNEL_NAME
    spec_dir.mkdir()
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "riskmodels venv (tests)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def notebook_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notebook-home")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, kernel_dir: Path, notebook_home: Path) -> None:
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]))
    env = {**os.environ, "RISKMODELS_HOME": str(notebook_home)}
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, kernel_name=KERNEL_NAME,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute(env=env)  # raises CellExecutionError with the cell and its traceback

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), f"every cell of {path.name} must run"
    images = [(i, o["data"]["image/png"]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, f"{path.name} must show its plots; got no image output"
    for i, png in images:  # an empty axes has no coloured marks (tests/_browser.py)
        assert_not_blank(base64.b64decode(png), min_colours=20, min_chroma=0.002, what=f"plot of cell {i} in {path.name}")

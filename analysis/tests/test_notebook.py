"""analysis/notebooks/sweep.ipynb executes headless (nbclient) on a result file.

The kernel is a kernel spec written into a temporary JUPYTER_PATH that runs this
interpreter (/usr/bin/python3 under ctest) with ipykernel, so the test depends on
no kernel installed on the machine and never touches the user's Jupyter folders."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ANALYSIS

NOTEBOOK = ANALYSIS / "notebooks" / "sweep.ipynb"


def _kernel(tmp: Path, result: Path) -> str:
    name = "liqcascade-test"
    spec = tmp / "jupyter" / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "liqcascade test", "language": "python",
        "env": {"PYTHONPATH": str(ANALYSIS), "MPLBACKEND": "Agg",
                "LIQCASCADE_RESULT": str(result), "IPYTHONDIR": str(tmp / "ipython")},
    }))
    return name


def _run(tmp: Path, result: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    monkeypatch.setenv("JUPYTER_PATH", str(tmp / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp / "runtime"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp / "config"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name=_kernel(tmp, result), timeout=120,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    return nb


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def test_notebook_runs_on_a_sweep(c_sweep: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end on a sweep the C binary wrote (conftest.c_sweep)."""
    nb = _run(tmp_path, c_sweep, monkeypatch)
    outs = _outputs(nb)
    assert not [o for o in outs if o.output_type == "error"]
    images = [o for o in outs if "image/png" in o.get("data", {})]
    assert len(images) == 2  # fan chart and sweep heatmap
    html = "".join(o["data"].get("text/html", "") for o in outs if "data" in o)
    assert "p_bad_debt" in html  # the metric table


def test_notebook_holds_no_logic() -> None:
    """Habit 10: the notebook only calls the package (no def/class/loops)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for word in ("def ", "class ", "for ", "while ", "lambda"):
        assert word not in code


def test_notebook_runs_on_a_single_run(c_markets: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a sweep the heatmap is the liquidation heatmap (from /events). The run
    is a schema v2 file with two markets (conftest.c_markets): the markets table and
    the per-market table show, and the figures have a panel per market."""
    nb = _run(tmp_path, c_markets, monkeypatch)
    outs = _outputs(nb)
    assert not [o for o in outs if o.output_type == "error"]
    assert len([o for o in outs if "image/png" in o.get("data", {})]) == 2
    html = "".join(o["data"].get("text/html", "") for o in outs if "data" in o)
    assert "ETH" in html and "p_liquidation" in html and "liq_share" in html


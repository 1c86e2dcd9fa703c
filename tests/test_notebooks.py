"""Every notebook runs top to bottom (papermill), and is stored without outputs."""

from __future__ import annotations

import json

import pytest

from .conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_thirteen_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{k:02d}" for k in range(1, 14)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    import warnings

    import papermill

    parameters = {"out_dir": str(tmp_path)} if path.stem[:2] in ("05", "06") else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        papermill.execute_notebook(str(path), str(tmp_path / path.name), parameters=parameters, cwd=str(path.parent),
                                   kernel_name="python3", progress_bar=False, log_output=False)
    executed = json.loads((tmp_path / path.name).read_text())
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    # every figure a cell asks for is shown under it (.plot() with no ax draws where Jupyter displays it)
    for cell in executed["cells"]:
        if cell["cell_type"] != "code":
            continue
        asked = "".join(cell["source"]).count(".plot(")
        shown = sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        assert shown >= asked, f"{path.name}: a cell asks for {asked} plot(s) and shows {shown}"
    # and the notebook renders to HTML with its figures
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.reads(json.dumps(executed), as_version=4))
    asked = sum("".join(c["source"]).count(".plot(") for c in executed["cells"] if c["cell_type"] == "code")
    assert body.count("<img") >= asked

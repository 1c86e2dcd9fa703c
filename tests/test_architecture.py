"""The shape of the code: layers that follow the data flow, no import cycles, small functions.

See docs/architecture.md. The layer contract itself lives in pyproject.toml
([tool.importlinter]) and is checked here with import-linter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "outcomes"
MAX_FUNCTION_LINES = 60  # from def to the last line, docstring included


def test_layer_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), str(REPO / "pyproject.toml"), "--no-cache"], cwd=REPO,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def _import_graph() -> dict[str, set[str]]:
    import grimp

    # imports under `if TYPE_CHECKING:` are for type checkers only: they never run, so they cannot cycle
    graph = grimp.build_graph("outcomes", cache_dir=None, exclude_type_checking_imports=True)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_planted_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules():
    # The package root re-exports the public API, so every module is reachable from it; leave it out.
    edges = {m: {t for t in targets if t != "outcomes"} for m, targets in _import_graph().items() if m != "outcomes"}
    assert _cycles(edges) == []


def test_import_outcomes_loads_no_plotting_or_notebook_machinery():
    code = ("import sys, outcomes as oc; oc.synthetic_cohort(n=50, seed=1); "
            "print(sorted(m for m in ('matplotlib', 'papermill', 'nbconvert') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_report_is_still_reachable_as_an_attribute():
    import outcomes as oc

    assert callable(oc.report.quarterly) and callable(oc.report.grant_figures)
    with pytest.raises(AttributeError, match="no attribute 'reportz'"):
        oc.reportz  # noqa: B018


def _long_functions(root: Path, limit: int) -> list[str]:
    long = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    long.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines} lines)")
    return long


def test_no_function_is_longer_than_60_lines():
    assert _long_functions(SRC, MAX_FUNCTION_LINES) == []


def test_long_function_finder_counts_lines(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 5))
    (tmp_path / "m.py").write_text(f"def short():\n    return 1\n\n\ndef long():\n{body}\n", encoding="utf-8")
    assert _long_functions(tmp_path, MAX_FUNCTION_LINES) == [f"m.py:5 long ({MAX_FUNCTION_LINES + 6} lines)"]

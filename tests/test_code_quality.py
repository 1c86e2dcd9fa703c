"""Style, complexity and types, checked as part of the suite (the settings are in pyproject.toml).

ruff: pycodestyle, pyflakes, bugbear and a cyclomatic complexity of at most 12, at 120 characters a line.
mypy: the whole package, with the strict checks for the kernels (``core/`` and ``stats/``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name(tool)
    return subprocess.run([str(executable), *args], cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing():
    done = _run("ruff", "check", "src", "tests", "benchmarks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_would_catch_a_planted_problem(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("import os\n", encoding="utf-8")
    done = _run("ruff", "check", "--config", str(REPO / "pyproject.toml"), str(planted))
    assert done.returncode != 0 and "F401" in done.stdout


def test_mypy_finds_nothing():
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr

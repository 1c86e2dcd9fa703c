"""The outcomes command, in-process through main() and once as a real subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest

from outcomes.outputs.cli import main

from .conftest import REPO


def test_synth_then_analyze_write_and_print_their_paths(tmp_path, capsys):
    data = tmp_path / "c.csv"
    assert main(["synth", "--n", "600", "--seed", "3", "--out", str(data)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {data}" in out and "data_dictionary.csv" in out
    assert main(["analyze", "--data", str(data), "--out", str(tmp_path / "rep"), "--adjust", "age,co_occurring_mh"]) == 0
    out = capsys.readouterr().out
    written = tmp_path / "rep" / "analysis_c.md"
    assert written.exists() and f"wrote {written}" in out
    text = written.read_text()
    assert "Time to relapse" in text and "Time to dropout" in text and "Hazard ratio" in text


def test_errors_are_clear_and_exit_2(tmp_path, capsys):
    assert main(["analyze", "--data", str(tmp_path / "missing.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["synth", "--n", "100", "--scenario", "rosy", "--out", str(tmp_path / "x.csv")]) == 2
    assert "unknown scenario 'rosy'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    assert "--adjust" in capsys.readouterr().out


def test_console_script_runs_as_a_subprocess():
    done = subprocess.run(
        [sys.executable, "-m", "outcomes", "analyze", "--data", str(REPO / "data/synthetic/cohort.csv"),
         "--outcome", "relapse"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Hazard ratio" in done.stdout


def test_long_commands_show_their_steps_unless_quiet(tmp_path, capsys):
    from outcomes.core.progress import showing_progress, step

    data = str(REPO / "data" / "synthetic" / "cohort.csv")
    base = ["report", "--data", data, "--quarter", "2026Q3", "--format", "html", "--out", str(tmp_path)]
    assert main(base) == 0
    shown = capsys.readouterr().err.splitlines()
    assert "outcomes: relapse" in shown and "outcomes: writing quarterly_2026Q3.html" in shown
    assert main([*base, "--verbose"]) == 0
    timed = [line for line in capsys.readouterr().err.splitlines() if line.startswith("outcomes: relapse: ")]
    assert timed and timed[0].endswith(" s")
    assert main([*base, "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    with step("a library call"):  # outside a command: silent
        pass
    with showing_progress(1), step("asked for"):
        pass
    assert capsys.readouterr().err == "outcomes: asked for\n"

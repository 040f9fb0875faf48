"""benchmarks/suite.py: a benchmark that counts failing tests scores nothing when the unchanged suite fails."""

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import suite  # noqa: E402 — benchmarks/ is a folder of scripts, not a package


def test_a_failing_unchanged_suite_scores_nothing(monkeypatch) -> None:
    monkeypatch.setattr(suite, "copy_of_main", lambda folder: None)
    failing = subprocess.CompletedProcess([], 1, stdout="FAILED tests/test_x.py::test_y - boom\n1 failed", stderr="")
    monkeypatch.setattr(suite, "run_suite", lambda folder, *options, timeout=None: failing)
    with pytest.raises(SystemExit, match=r"(?s)does not pass.*nothing scored.*FAILED tests/test_x.py::test_y"):
        suite.require_a_passing_suite()
    passing = subprocess.CompletedProcess([], 0, stdout="1 passed", stderr="")
    monkeypatch.setattr(suite, "run_suite", lambda folder, *options, timeout=None: passing)
    suite.require_a_passing_suite()

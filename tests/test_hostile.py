"""Your code is a guest (report/verify/guest.py): whatever a plug-in does — exit, loop, crash, raise
KeyboardInterrupt — becomes that case's error in one line naming the function and the step; the
other cases run, the report is written, and nothing passes silently. The plug-ins are in
tests/plugins/hostile/."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import report
from cases import builtin

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "plugins" / "hostile"
MAZUR, TANH = builtin("mazur-2-2-2-eta-0.1"), builtin("act-tanh")


@pytest.mark.parametrize("plugin,what", [
    ("sys_exit_in_sigmoid", "exited the process (sys.exit(0))"),
    ("os_exit_in_sigmoid", "ended its process (exit code 0"),
    ("interrupts_in_sigmoid", "raised KeyboardInterrupt"),
    ("crashes_in_sigmoid", "ended its process by SIGSEGV (a crash)"),
    ("loops_in_sigmoid", "ran past the time limit of 2 s for your code (--time-limit to change it)"),
])
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_plugin_that_ends_or_hangs_its_case_is_that_cases_error(plugin: str, what: str, jobs: int) -> None:
    tables = report.compare(MAZUR, TANH, impl=HOSTILE / f"{plugin}.py", witnesses=False, jobs=jobs, time_limit=2)
    summary = tables.summary.set_index("case")
    mazur = summary.loc["mazur-2-2-2-eta-0.1"]
    assert mazur["yours_verdict"] == "error"
    assert f"your sigmoid_backward {what}" in mazur["message"] and "on mazur-2-2-2-eta-0.1 at step 0" in mazur["message"]
    assert mazur["verdict"] == "agree"  # the reference's verdict stands beside yours
    assert summary.loc["act-tanh", "yours_verdict"] == "not exercised"  # the other case ran
    assert report.exit_code(tables) == 1


@pytest.mark.parametrize("plugin,line", [
    ("sys_exit_at_import", "exited the process while being imported (sys.exit(0))"),
    ("os_exit_at_import", "importing it ended its process (exit code 0"),
    ("loops_at_import", "importing it did not finish within 2 s"),
])
def test_a_plugin_that_exits_or_hangs_while_imported_is_one_line_and_exit_2(plugin: str, line: str, tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "report", "--impl", str(HOSTILE / f"{plugin}.py"), str(MAZUR),
                           "--time-limit", "2", "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and line in lines[0], done.stderr
    assert not (tmp_path / "out").exists()


def test_pytest_impl_fails_where_the_plugin_ended_its_process(tmp_path) -> None:
    """A test of a plug-in whose process vanished fails with the same line: CI cannot be green."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--impl", str(HOSTILE / "os_exit_in_sigmoid.py"),
               "--cases", str(MAZUR.parent)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": ""})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "test_yours[mazur-2-2-2-eta-0.1]" in done.stdout
    assert ("your sigmoid_backward ended its process (exit code 0: os._exit or sys.exit outside a building block) on "
            "mazur-2-2-2-eta-0.1 at step 0") in done.stdout  # in full, in the summary of failing cases
    with pytest.raises(AssertionError, match="your sigmoid_backward raised KeyboardInterrupt on mazur"):
        report.assert_matches_torch(HOSTILE / "interrupts_in_sigmoid.py", MAZUR)

"""Your implementation as a third engine: any subset of the building blocks, from the command
line, from Python and from pytest; every bad plug-in is one clear message naming the function,
and the other cases still run."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import report
from cases import builtin
from reference.blocks import contract_markdown
from reference.plugin import PluginError, load_implementation
from report.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = Path(__file__).resolve().parent / "plugins"
MAZUR = str(builtin("mazur-2-2-2-eta-0.1"))
TANH = str(builtin("act-tanh"))


def test_one_correct_function_is_checked_on_its_own(tmp_path: Path, capsys) -> None:
    assert main(["--impl", str(PLUGINS / "correct_sigmoid.py"), MAZUR, "--out", str(tmp_path / "out")]) == 0
    output = capsys.readouterr().out
    assert "yours: agree" in output and "not building blocks, not used: helper_that_is_not_a_block" in output
    details = pd.read_csv(tmp_path / "out" / "details.csv", keep_default_na=False)
    assert {"yours", "yours_ulps", "yours_ok"} <= set(details.columns)


def test_a_mistake_exits_1_with_the_first_wrong_number_and_its_hint(tmp_path: Path, capsys) -> None:
    impl = str(ROOT / "mistakes" / "sigmoid_derivative_on_z.py")
    assert main(["--impl", impl, MAZUR, "--out", str(tmp_path / "out")]) == 1
    output = capsys.readouterr().out
    assert "first wrong number: delta layers.1[0,0] at step 0" in output
    assert "looks like sigmoid's derivative evaluated on z instead of on a" in output
    page = (tmp_path / "out" / "cases" / "mazur-2-2-2-eta-0.1.md").read_text()
    assert "Your implementation: DISAGREE" in page and "| yours |" in page


def test_worker_processes_load_your_file_and_find_the_same_mistake(tmp_path: Path) -> None:
    impl, correct = str(ROOT / "mistakes" / "sigmoid_derivative_on_z.py"), str(PLUGINS / "correct_sigmoid.py")
    assert main(["--impl", impl, MAZUR, TANH, "--jobs", "2", "--out", str(tmp_path / "wrong")]) == 1
    assert main(["--impl", correct, MAZUR, TANH, "--jobs", "2", "--out", str(tmp_path / "right")]) == 0
    summary = pd.read_csv(tmp_path / "wrong" / "summary.csv", keep_default_na=False).set_index("case")
    assert summary.loc["mazur-2-2-2-eta-0.1", "yours_verdict"] == "DISAGREE"
    assert "sigmoid's derivative evaluated on z" in summary.loc["mazur-2-2-2-eta-0.1", "message"]
    assert summary.loc["act-tanh", "yours_verdict"] == "not exercised"  # no sigmoid in it


@pytest.mark.parametrize("source,fragment", [
    ("no_such_file.py", "no such file"),
    ("no_such_module_anywhere", "cannot import it"),
    (str(PLUGINS / "syntax_error.py"), "SyntaxError"),
])
def test_an_unusable_plugin_is_one_line_and_exit_2(source: str, fragment: str, tmp_path: Path, capsys) -> None:
    assert main(["--impl", source, MAZUR, "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0] and lines[0].startswith(f"invalid: --impl {source}: ")
    assert not (tmp_path / "out").exists()


def test_a_misspelt_name_and_a_wrong_signature_are_each_named(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("def sigmoid_backwards(grad_out, x, y):\n    return grad_out\n"
                                      "def leaky_relu_forward(x):\n    return x\n")
    with pytest.raises(PluginError) as caught:
        load_implementation(tmp_path / "mine.py")
    lines = caught.value.lines
    assert any("sigmoid_backwards is not a building block; did you mean 'sigmoid_backward'?" in line for line in lines)
    assert any("leaky_relu_forward(x) does not take negative_slope" in line for line in lines)


def test_an_exception_inside_your_function_names_it_and_the_other_cases_run(tmp_path: Path) -> None:
    tables = report.compare(MAZUR, TANH, impl=PLUGINS / "raises.py", witnesses=False)
    summary = tables.summary.set_index("case")
    assert summary.loc["mazur-2-2-2-eta-0.1", "yours_verdict"] == "not exercised"  # no tanh there
    assert summary.loc["act-tanh", "yours_verdict"] == "error"
    assert summary.loc["act-tanh", "verdict"] == "agree"  # the reference still checked
    assert "your tanh_backward raised ZeroDivisionError" in summary.loc["act-tanh", "message"]


def test_a_wrong_shape_is_named_where_it_is_produced() -> None:
    tables = report.compare(TANH, impl=PLUGINS / "wrong_shape.py", witnesses=False)
    message = tables.summary["message"].item()
    assert "your dense_backward returned grad_weight of shape (4, 2) for layers.1.weight; expected (2, 4) (transposed?)" in message
    assert tables.summary["yours_verdict"].item() == "error"


def test_a_whole_network_of_your_own_through_the_readme_adapter() -> None:
    tables = report.compare(MAZUR, builtin("mazur-2-2-2-train"), impl=PLUGINS / "adapter.py", witnesses=False)
    assert tables.summary["yours_verdict"].tolist() == ["agree", "agree"]


def test_assert_matches_torch_fails_with_the_first_wrong_number() -> None:
    report.assert_matches_torch(PLUGINS / "correct_sigmoid.py", "mazur-2-2-2-eta-0.1")
    with pytest.raises(AssertionError, match=r"first wrong number: grad_activation layers.1\[0,0\] at step 0"):
        report.assert_matches_torch(ROOT / "mistakes" / "half_sse_backward_with_two.py", MAZUR)


def test_pytest_plugin_runs_every_case_against_your_code(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()  # a folder of the user's named like this project's package
    shutil.copy(MAZUR, tmp_path / "cases")
    shutil.copy(TANH, tmp_path / "cases")
    shutil.copy(ROOT / "mistakes" / "tanh_derivative_on_z.py", tmp_path / "mine.py")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--impl", "mine.py", "--cases", "cases"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 1 skipped" in done.stdout  # mazur's sigmoid network never calls tanh_backward
    assert "act-tanh: first wrong number: delta layers.0[0,0] at step 0" in done.stdout
    assert "tanh's derivative evaluated on z instead of on a" in done.stdout


def test_a_case_that_calls_none_of_your_functions_is_not_exercised_and_nothing_run_is_exit_4(tmp_path: Path,
                                                                                             capsys) -> None:
    only = str(PLUGINS / "only_avg_pool.py")
    opt_adam = str(builtin("opt-adam"))
    assert main(["--impl", only, opt_adam, "--out", str(tmp_path / "none")]) == 4
    output = capsys.readouterr().out
    assert "yours: not exercised" in output
    assert "no case called any of your functions (avg_pool2d_backward): nothing of yours was checked (exit 4)" in output
    summary = pd.read_csv(tmp_path / "none" / "summary.csv", keep_default_na=False)
    assert summary["yours_verdict"].tolist() == ["not exercised"] and summary["yours_called"].tolist() == [""]

    pooling = str(builtin("layers-conv2d-options"))
    assert main(["--impl", only, opt_adam, pooling, "--out", str(tmp_path / "some")]) == 0
    output = capsys.readouterr().out
    assert "avg_pool2d_backward: called by layers-conv2d-options" in output
    summary = pd.read_csv(tmp_path / "some" / "summary.csv", keep_default_na=False).set_index("case")
    assert summary.loc["layers-conv2d-options", "yours_called"] == "avg_pool2d_backward"
    assert summary.loc["opt-adam", "yours_verdict"] == "not exercised"
    with pytest.raises(AssertionError, match="opt-adam calls none of your functions"):
        report.assert_matches_torch(only, opt_adam)


def test_the_report_runs_from_a_folder_holding_its_own_cases_folder(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    shutil.copy(MAZUR, tmp_path / "cases")
    done = subprocess.run([sys.executable, "-m", "report", "cases", "--out", "out"], cwd=tmp_path, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def test_the_plugin_manual_states_the_contract_the_reference_follows() -> None:
    manual = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert contract_markdown() in manual, "regenerate docs/plugins.md's table from reference.blocks.contract_markdown()"

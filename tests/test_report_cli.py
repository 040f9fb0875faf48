"""`python -m report`: files written, exit codes, invalid files reported beside valid ones."""

from pathlib import Path

import pandas as pd
import pytest

from cases import builtin
from report.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
LINEAR = (builtin("seed-linear-60x")).read_text(encoding="utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "linear.toml").write_text(LINEAR, encoding="utf-8")
    return cases


def test_good_cases_exit_0_and_write_the_tables(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out)]) == 0
    details = pd.read_csv(out / "details.csv", keep_default_na=False)
    assert list(details.columns) == ["case", "step", "quantity", "param", "index", "reference", "oracle",
                                     "abs_err", "rel_err", "ulps", "tolerance", "ok",
                                     "reference_tape", "tape_ulps", "tape_ok",
                                     "finite_diff", "fd_abs_err", "fd_tolerance", "fd_ok"]
    arrays = pd.read_csv(out / "arrays.csv", keep_default_na=False)
    assert set(arrays["witness"]) == {"reference", "tape"} and arrays["ok"].all()
    finite = details[details["finite_diff"] != ""]
    assert set(finite["quantity"]) == {"grad", "input_grad"} and set(finite["step"]) == {0}
    grad = details[(details["quantity"] == "grad") & (details["step"] == 0)]
    assert grad["reference"].tolist() == [60.0] and grad["index"].tolist() == ["0,0"]
    assert (details.loc[details["quantity"] == "loss", "index"] == "").all()
    expected = pd.read_csv(out / "expectations.csv")
    assert list(expected.columns[:10]) == ["case", "quantity", "step", "param", "index", "published",
                                           "reference", "oracle", "tolerance", "ok"]
    assert expected["ok"].all()


def test_numbers_round_trip_through_the_csv(folder: Path, tmp_path: Path) -> None:
    (folder / "linear.toml").write_text(LINEAR.replace("learning_rate = 0.01", "learning_rate = 0.013"), encoding="utf-8")
    out = tmp_path / "out"
    main([str(folder), "--out", str(out)])
    details = pd.read_csv(out / "details.csv", keep_default_na=False)
    updated = details[(details["quantity"] == "param") & (details["step"] == 1)]["reference"].item()
    assert updated == 3.0 - 0.013 * 60.0


def test_wrong_published_number_exits_1_and_says_by_how_much(folder: Path, tmp_path: Path) -> None:
    wrong = LINEAR.replace("value = 60.0", "value = 61.0")
    (folder / "linear.toml").write_text(wrong, encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out)]) == 1
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False)
    assert summary["verdict"].tolist() == ["DISAGREE"]
    assert "published W at step 0 = 61.0" in summary["message"].item()
    assert "off by 1" in summary["message"].item()


def test_broken_file_exits_2_and_the_good_case_is_still_reported(folder: Path, tmp_path: Path) -> None:
    (folder / "broken.toml").write_text(LINEAR.replace('"seed-linear-60x"', '"broken"').replace("units = 1", "units = 0"),
                                        encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out)]) == 2
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False).set_index("case")
    assert summary.loc["seed-linear-60x", "verdict"] == "agree"
    assert summary.loc["broken", "verdict"] == "invalid"
    assert "broken.toml: model.layers[0].units: expected an integer ≥ 1, got 0" in summary.loc["broken", "message"]
    details = pd.read_csv(out / "details.csv")
    assert set(details["case"]) == {"seed-linear-60x"}


def test_engine_error_is_a_disagreement_and_the_other_cases_still_run(folder: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import oracle

    (folder / "other.toml").write_text(LINEAR.replace('"seed-linear-60x"', '"other"'), encoding="utf-8")
    real_steps = oracle.steps

    def failing_steps(case):
        if case.name == "other":
            raise RuntimeError("all elements of input should be between 0 and 1")
        yield from real_steps(case)

    monkeypatch.setattr(oracle, "steps", failing_steps)
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out), "--jobs", "1"]) == 1  # the patch lives in this process
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False).set_index("case")
    assert summary.loc["seed-linear-60x", "verdict"] == "agree"
    assert summary.loc["other", "verdict"] == "DISAGREE"
    assert "the oracle failed on this case: RuntimeError: all elements" in summary.loc["other", "message"]


def test_a_case_failing_midway_leaves_no_file_the_marker_does_not_list(folder: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import oracle
    from report.write.folder import foreign_files

    real_steps = oracle.steps

    def failing_after_one_step(case):
        steps = real_steps(case)
        yield next(steps)
        raise RuntimeError("a failure after step 0")

    monkeypatch.setattr(oracle, "steps", failing_after_one_step)
    out = tmp_path / "out"
    assert main([str(folder), "--out", str(out), "--jobs", "1", "--every-number"]) == 1
    assert foreign_files(out) == []  # so the next run may replace it
    assert main([str(folder), "--out", str(out), "--jobs", "1", "--every-number"]) == 1


def test_no_library_warning_reaches_the_terminal(tmp_path: Path) -> None:
    """A convolution fed from a CSV file (pandas hands back read-only arrays): the oracle copies every
    array it gives torch, so torch has nothing to warn about ("The given NumPy array is not writable")."""
    import os
    import subprocess
    import sys

    rows = ["a,b,c,d,y"] + [f"{r},{r + 1},{2 * r},{r % 3},{r % 2}" for r in range(6)]
    (tmp_path / "pixels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "conv.toml").write_text('''name = "csv-conv"
title = "a 2 × 2 image per CSV row"
[model]
inputs = [1, 2, 2]
[model.init]
scheme = "kaiming_uniform"
seed = 1
[[model.layers]]
type = "conv2d"
out_channels = 2
kernel_size = 2
[[model.layers]]
type = "flatten"
[[model.layers]]
units = 1
activation = "sigmoid"
[data]
file = "pixels.csv"
input_columns = ["a", "b", "c", "d"]
target_columns = ["y"]
[loss]
name = "bce"
[training]
optimizer = "sgd"
learning_rate = 0.1
steps = 2
''', encoding="utf-8")
    finished = subprocess.run([sys.executable, "-m", "report", str(tmp_path / "conv.toml"), "--out", str(tmp_path / "out"),
                               "--jobs", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONWARNINGS": "default"})
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Warning" not in finished.stderr, finished.stderr

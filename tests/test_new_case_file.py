"""A case file the engines have never seen runs in both with no code change, and agrees."""

from pathlib import Path

from conftest import run_both
from helpers import describe_failures

from cases import load_case
from report.compare import details

HERE = Path(__file__).resolve().parent


def test_unseen_network_agrees_with_oracle() -> None:
    case = load_case(HERE / "cases" / "new-network-3-4-3-2.toml")
    ref, ora = run_both(case)
    assert [list(step.batch) for step in ref[:4]] == [[0, 1], [2, 3], [4], [0, 1]]
    table = details(case, ref, ora)
    assert table["ok"].all(), describe_failures(table)
    assert "layers.1.bias" not in ref[0].grads


def test_someone_elses_three_hidden_layer_classifier_agrees_step_by_step() -> None:
    case = load_case(HERE / "cases" / "someone-elses-3-hidden-adamw.toml")
    assert case.steps == 9  # 3 epochs × ⌈9 / 4⌉ batches
    ref, ora = run_both(case)
    first_epoch = sorted(int(i) for batch in case.batches[:3] for i in batch)
    assert first_epoch == list(range(9))
    table = details(case, ref, ora)
    assert table["ok"].all(), describe_failures(table)

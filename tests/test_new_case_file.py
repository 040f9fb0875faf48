"""A case file the engines have never seen runs in both with no code change, and agrees."""

from pathlib import Path

from conftest import run, run_both
from helpers import agreement_message, compared

from cases import load_case

HERE = Path(__file__).resolve().parent


def test_unseen_network_agrees_with_oracle() -> None:
    case = load_case(HERE / "cases" / "new-network-3-4-3-2.toml")
    reference, oracle = run_both(case)
    assert [list(step.batch) for step in reference[:4]] == [[0, 1], [2, 3], [4], [0, 1]]
    comparison = compared(case, oracle, reference=reference, tape=run(case, "tape"))
    assert not comparison.first, agreement_message(comparison)
    assert ("grad", "layers.1.bias") not in reference[0].values


def test_someone_elses_three_hidden_layer_classifier_agrees_step_by_step() -> None:
    case = load_case(HERE / "cases" / "someone-elses-3-hidden-adamw.toml")
    assert case.steps == 9  # 3 epochs × ⌈9 / 4⌉ batches
    reference, oracle = run_both(case)
    first_epoch = sorted(int(i) for batch in list(case.schedule)[:3] for i in batch)
    assert first_epoch == list(range(9))
    comparison = compared(case, oracle, reference=reference, tape=run(case, "tape"))
    assert not comparison.first, agreement_message(comparison)

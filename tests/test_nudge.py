"""The founding tutorial's numerical derivative and the sampling of finite differences, number by
number (the mutation run found these unguarded: a display table and a setting)."""

from pathlib import Path

import numpy as np
import pytest
import torch

from cases import builtin, load_cases
from reference.finite_differences import SAMPLE, nudge, sampled_indices
from reference.losses import log_softmax

ROOT = Path(__file__).resolve().parent.parent


def test_the_tutorials_nudge_table() -> None:
    case = load_cases([builtin("seed-linear-60x")])[0][0]
    name = next(iter(case.parameters()))
    found = nudge(case, name, (0, 0))
    assert found.weights == pytest.approx((2.9999, 3.0, 3.0001), abs=1e-12)
    assert found.losses == pytest.approx((29.9940003, 30.0, 30.0060003), abs=1e-9)  # the tutorial's 29.994, 30.006
    assert found.quotients == pytest.approx((59.997, 60.003), abs=1e-6)  # (L(W − n) − L(W)) / −n, (L(W + n) − L(W)) / n
    assert found.central == pytest.approx(60.0, abs=1e-6)


def test_a_large_array_is_sampled_half_largest_half_seeded() -> None:
    grad = np.random.default_rng(0).normal(size=(40, 50))
    chosen = sampled_indices(grad, "layers.0.weight", SAMPLE)
    assert len(chosen) == len(set(chosen)) == SAMPLE
    largest = {tuple(int(i) for i in np.unravel_index(k, grad.shape)) for k in np.argsort(-np.abs(grad).ravel())[:SAMPLE // 2]}
    assert largest <= set(chosen)
    assert chosen == sampled_indices(grad, "layers.0.weight", SAMPLE)  # seeded: the same every run
    manual = (ROOT / "docs" / "tolerances.md").read_text(encoding="utf-8")
    assert f"every element of an array of at most {SAMPLE} elements" in manual


def test_log_softmax_keeps_huge_logits_finite_as_torch_does() -> None:
    z = np.array([[1000.0, 0.0, -1000.0], [-5.0, 800.0, 3.0]])
    ours = log_softmax(z)
    theirs = torch.log_softmax(torch.tensor(z), dim=1).numpy()
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)


def test_the_tape_trace_numbers_its_calls_from_1_and_prints_at_most_max_calls() -> None:
    from reference.network_tape import trace

    case = load_cases([builtin("seed-student-first")])[0][0]
    rows = case.schedule.batch(0)
    calls = trace(case, case.parameters(), case.x[rows], case.targets[rows])
    assert [call.number for call in calls] == list(range(1, len(calls) + 1))
    for call in calls:  # an input made by an earlier call is named after that call's number
        for label, _ in call.inputs:
            if label is not None and label.startswith("v"):
                assert int(label[1:]) < call.number
    assert trace(case, case.parameters(), case.x[rows], case.targets[rows], max_calls=len(calls)) is not None
    assert trace(case, case.parameters(), case.x[rows], case.targets[rows], max_calls=len(calls) - 1) is None
    largest = max(np.size(call.value) for call in calls)  # and values of at most max_elements elements
    assert trace(case, case.parameters(), case.x[rows], case.targets[rows], max_elements=largest) is not None
    assert trace(case, case.parameters(), case.x[rows], case.targets[rows], max_elements=largest - 1) is None

"""A deliberately wrong backward formula is caught, and located at the first number it spoils."""


import numpy as np
import pytest
from conftest import run_both
from helpers import compared

import oracle
import reference
from cases import builtin, load_case
from reference.blocks import REFERENCE

MAZUR = builtin("mazur-2-2-2-eta-0.1")


def sigmoid_derivative_on_pre_activation(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The classic slip: σ'(z) written as z(1 − z) instead of y(1 − y)."""
    return grad_out * x * (1 - x)


@pytest.fixture
def mazur():
    return load_case(MAZUR)


def test_sigmoid_derivative_on_pre_activation_is_caught_at_the_output_delta(mazur) -> None:
    wrong = REFERENCE.with_overrides({"sigmoid_backward": sigmoid_derivative_on_pre_activation}, owner="reference")
    comparison = compared(mazur, oracle.run(mazur), reference=reference.run(mazur, blocks=wrong))
    first = comparison.first["reference"]
    # the forward pass and the loss agree; the first number computed with σ' is the output layer's δ
    assert (first.step, first.quantity, first.key, first.index) == (0, "delta", "layers.1", "0,0")
    assert "the forward pass and the loss agree" in first.describe(mazur)
    assert first.consequences > 0


def test_correct_sigmoid_agrees(mazur) -> None:
    reference_steps, oracle_steps = run_both(mazur)
    assert not compared(mazur, oracle_steps, reference=reference_steps).first


def test_nan_never_compares_equal(mazur) -> None:
    reference_steps, oracle_steps = reference.run(mazur), oracle.run(mazur)
    reference_steps[0].get("grad", "layers.1.weight")[0, 0] = np.nan
    oracle_steps[0].get("grad", "layers.1.weight")[0, 0] = np.nan
    first = compared(mazur, oracle_steps, reference=reference_steps).first["reference"]
    assert (first.quantity, first.key, first.index) == ("grad", "layers.1.weight", "0,0")
    assert "not a finite number" in first.describe(mazur)


def test_a_zero_gradient_amplified_by_adam_is_named_as_rounding_not_as_a_mistake() -> None:
    """A bias feeding batch norm has a gradient of 0 in exact arithmetic; Adam turns the engines' 1e-16
    against 1e-15 into steps lr·g/(|g| + eps) apart. The hint says so, and only when every differing
    parameter had such a gradient."""
    from cases import Step
    from report.verify.diagnose import rounding_amplified
    case = load_case(builtin("opt-adam"))
    grad = np.array([1e-16, 0.5, -0.25, 0.125])
    before = {"oracle": Step(np.arange(2), {("grad", "layers.0.bias"): grad}), "reference": Step(np.arange(2), {})}
    truth = np.array([0.1, 0.2, 0.3, 0.4])
    ours = truth + np.array([4e-10, 0.0, 0.0, 0.0])  # only the element whose gradient was 0 differs
    found = rounding_amplified(case, "param", "layers.0.bias", ours, truth, {0: before}, 1, "reference")
    assert found is not None and "not a mistake" in found[0] and "1 differing element" in found[1]
    ours = truth + np.array([4e-10, 1e-6, 0.0, 0.0])  # one with a real gradient differs too: a real difference
    assert rounding_amplified(case, "param", "layers.0.bias", ours, truth, {0: before}, 1, "reference") is None

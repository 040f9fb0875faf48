"""A deliberately wrong backward formula is caught, and located at the first number it spoils."""

from pathlib import Path

import numpy as np
import pytest
from conftest import run_both
from helpers import compared

import oracle
import reference
from cases import load_case
from reference.blocks import REFERENCE

MAZUR = Path(__file__).resolve().parent.parent / "cases" / "mazur-2-2-2-eta-0.1.toml"


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

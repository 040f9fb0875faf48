"""A deliberately wrong backward formula is caught and located by the comparison."""

from pathlib import Path

import numpy as np
import pytest

import oracle
import reference
from cases import load_case
from reference import activations
from report.compare import details

MAZUR = Path(__file__).resolve().parent.parent / "cases" / "mazur-2-2-2-eta-0.1.toml"


def sigmoid_derivative_on_pre_activation(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The classic slip: σ'(z) written as z(1 − z) instead of y(1 − y)."""
    return grad_out * x * (1 - x)


@pytest.fixture
def mazur():
    return load_case(MAZUR)


def test_sigmoid_derivative_on_pre_activation_is_caught(monkeypatch: pytest.MonkeyPatch, mazur) -> None:
    monkeypatch.setitem(activations.ACTIVATIONS, "sigmoid",
                        (activations.sigmoid_forward, sigmoid_derivative_on_pre_activation))
    table = details(mazur, reference.run(mazur), oracle.run(mazur))
    failing = table[~table["ok"]]
    assert not failing.empty
    # at step 0 the forward values and the loss still agree: only gradients are wrong
    assert set(failing.loc[failing["step"] == 0, "quantity"]) == {"grad", "input_grad"}
    first = failing.iloc[0]
    assert (first["step"], first["quantity"], first["param"], first["index"]) == (0, "grad", "layers.0.weight", "0,0")


def test_correct_sigmoid_agrees(mazur) -> None:
    table = details(mazur, reference.run(mazur), oracle.run(mazur))
    assert table["ok"].all()


def test_nan_never_compares_equal(mazur) -> None:
    ref, ora = reference.run(mazur), oracle.run(mazur)
    ref[0].grads["layers.1.weight"][0, 0] = np.nan
    ora[0].grads["layers.1.weight"][0, 0] = np.nan
    table = details(mazur, ref, ora)
    row = table[(table["quantity"] == "grad") & (table["param"] == "layers.1.weight") & (table["index"] == "0,0")
                & (table["step"] == 0)]
    assert not row["ok"].item()

"""The seeded initial weights both engines share, pinned to torch's own initialisers: the same
bounds (computed by torch.nn.init from the same fans and gains) and the same distributions."""

import math

import numpy as np
import pytest
import torch

from cases import loads_case
from cases.init import initial_bias, initial_weight, weight_bound

UNITS, FAN_IN = 300, 200


def torch_bound(scheme: str, options: dict) -> float:
    """The bound torch.nn.init uses, found from a sample drawn by torch itself and its formula."""
    tensor = torch.empty(UNITS, FAN_IN, dtype=torch.float64)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(tensor)
    if scheme == "xavier_uniform":
        torch.nn.init.xavier_uniform_(tensor, gain=options["gain"])
        bound = options["gain"] * math.sqrt(6.0 / (fan_in + fan_out))
    else:
        torch.nn.init.kaiming_uniform_(tensor, a=options["a"], mode="fan_in", nonlinearity="leaky_relu")
        bound = math.sqrt(3.0) * torch.nn.init.calculate_gain("leaky_relu", options["a"]) / math.sqrt(fan_in)
    assert tensor.abs().max().item() <= bound and tensor.abs().max().item() > 0.99 * bound
    return bound


@pytest.mark.parametrize("scheme,options", [("xavier_uniform", {"gain": 1.0}), ("xavier_uniform", {"gain": 2.5}),
                                            ("kaiming_uniform", {"a": 0.0}), ("kaiming_uniform", {"a": math.sqrt(5)})])
def test_uniform_schemes_use_torchs_exact_bounds(scheme: str, options: dict) -> None:
    init = {"scheme": scheme, **options, "zero_bias": False}
    bound = torch_bound(scheme, options)
    ours = weight_bound(init, UNITS, FAN_IN)
    assert ours == pytest.approx(bound, rel=1e-15), \
        f"cases/init.py weight_bound: {scheme} {options} gives the bound {ours!r}, torch.nn.init's is {bound!r}"
    weights = initial_weight(init, np.random.default_rng(0), UNITS, FAN_IN)
    assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.99 * bound
    counts, _ = np.histogram(weights, bins=10, range=(-bound, bound))
    assert counts.min() > 0.9 * weights.size / 10  # uniform over the whole interval


def test_biases_follow_nn_linear_for_the_fan_schemes() -> None:
    linear = torch.nn.Linear(FAN_IN, UNITS, dtype=torch.float64)
    bound = 1 / math.sqrt(FAN_IN)
    assert linear.bias.abs().max().item() <= bound
    bias = initial_bias({"scheme": "kaiming_uniform", "a": 0.0, "zero_bias": False}, np.random.default_rng(0), 5000, FAN_IN)
    assert np.abs(bias).max() <= bound and np.abs(bias).max() > 0.99 * bound


def test_normal_and_uniform_schemes_draw_what_they_say() -> None:
    normal = initial_weight({"scheme": "normal", "mean": 0.5, "std": 2.0}, np.random.default_rng(1), UNITS, FAN_IN)
    assert normal.mean() == pytest.approx(0.5, abs=0.02) and normal.std() == pytest.approx(2.0, rel=0.01)
    uniform = initial_weight({"scheme": "uniform", "low": -0.3, "high": 0.7}, np.random.default_rng(1), UNITS, FAN_IN)
    assert uniform.min() >= -0.3 and uniform.max() < 0.7 and uniform.mean() == pytest.approx(0.2, abs=0.01)


def test_a_case_draws_input_side_first_weight_before_bias() -> None:
    text = """name = "init"
[model]
inputs = 2
[model.init]
seed = 3
scheme = "uniform"
[[model.layers]]
units = 2
activation = "relu"
[[model.layers]]
units = 1
activation = "identity"
[data]
inputs = [[1.0, 2.0]]
targets = [[1.0]]
[loss]
name = "mse"
[training]
optimizer = "sgd"
steps = 1
"""
    case = loads_case(text)
    generator = np.random.default_rng(3)
    expected = [generator.uniform(0, 1, (2, 2)), generator.uniform(0, 1, 2), generator.uniform(0, 1, (1, 2)),
                generator.uniform(0, 1, 1)]
    for ours, theirs in zip(case.parameters().values(), expected, strict=True):
        assert np.array_equal(ours, theirs)

"""Each activation's forward and backward against torch on random batches of several rows."""

import numpy as np
import pytest
import torch
from torch import nn

from reference import activations
from report.verify.tolerances import ENGINES_AGREE

ABS, REL = ENGINES_AGREE["float64"]

TORCH_MODULES = {
    ("identity", ()): nn.Identity(),
    ("relu", ()): nn.ReLU(),
    ("leaky_relu", (("negative_slope", 0.1),)): nn.LeakyReLU(negative_slope=0.1),
    ("sigmoid", ()): nn.Sigmoid(),
    ("tanh", ()): nn.Tanh(),
    ("softplus", ()): nn.Softplus(),
    ("softplus", (("beta", 2.0), ("threshold", 3.0))): nn.Softplus(beta=2.0, threshold=3.0),
    ("gelu", ()): nn.GELU(),
    ("gelu", (("approximate", "tanh"),)): nn.GELU(approximate="tanh"),
    ("elu", (("alpha", 0.7),)): nn.ELU(alpha=0.7),
    ("softmax", ()): nn.Softmax(dim=1),
}


def functions(name: str):
    return getattr(activations, f"{name}_forward"), getattr(activations, f"{name}_backward")


def both(name: str, options: dict, x: np.ndarray, grad_out: np.ndarray, module: nn.Module):
    forward, backward = functions(name)
    y = forward(x, **options)
    grad_x = backward(grad_out, x, y, **options)
    x_t = torch.tensor(x, requires_grad=True)
    y_t = module(x_t)
    y_t.backward(torch.tensor(grad_out))
    return y, grad_x, y_t.detach().numpy(), x_t.grad.numpy()


@pytest.mark.parametrize("key", list(TORCH_MODULES), ids=lambda key: "-".join([key[0], *map(str, sum(key[1], ()))]))
def test_activation_forward_and_backward_match_torch(key) -> None:
    name, options = key
    rng = np.random.default_rng(7)
    x = rng.normal(0, 3, (6, 5))
    x[0, :3] = [0.0, 1.5, -1.5]  # the corner at 0 and the softplus threshold 3 / beta 2
    grad_out = rng.normal(0, 1, (6, 5))
    y, grad_x, y_torch, grad_x_torch = both(name, dict(options), x, grad_out, TORCH_MODULES[key])
    np.testing.assert_allclose(y, y_torch, rtol=REL, atol=ABS, err_msg=f"{name} forward")
    np.testing.assert_allclose(grad_x, grad_x_torch, rtol=REL, atol=ABS, err_msg=f"{name} backward")


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "softplus", "elu", "softmax"])
def test_activation_keeps_float32(name: str) -> None:
    forward, backward = functions(name)
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    y = forward(x)
    assert y.dtype == np.float32
    assert backward(np.ones_like(x), x, y).dtype == np.float32


def test_relu_derivative_at_zero_is_zero_as_in_torch() -> None:
    forward, backward = functions("relu")
    x = np.zeros((1, 1))
    assert backward(np.ones((1, 1)), x, forward(x))[0, 0] == 0.0

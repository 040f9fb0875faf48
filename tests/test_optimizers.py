"""Each update rule against torch.optim, fed the same gradients for 30 steps (zeros included):
the parameter and every piece of the optimizer's state, named as torch names them."""

import numpy as np
import pytest
import torch

from reference import optimizers
from report.verify.tolerances import ENGINES_AGREE

ABS, REL = ENGINES_AGREE["float64"]
SETTINGS = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("adam", {}),
    ("adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}),
    ("adamw", {}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.2, "amsgrad": True}),
    ("rmsprop", {}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    ("adagrad", {}),
    ("adagrad", {"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01}),
]
TORCH = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
         "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}


@pytest.mark.parametrize("name,options", SETTINGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SETTINGS)])
def test_update_rule_and_state_match_torch_optim(name: str, options: dict) -> None:
    rng = np.random.default_rng(5)
    start = rng.normal(0, 1, (3, 4))
    gradients = rng.normal(0, 1, (30, 3, 4))
    gradients[:, 0, 0] = 0.0  # a parameter that never gets a gradient still decays and keeps state
    update = getattr(optimizers, f"{name}_update")
    weight = torch.nn.Parameter(torch.tensor(start))
    torch_optimizer = TORCH[name]([weight], **options)
    p, state = start.copy(), {}
    for step, gradient in enumerate(gradients, 1):
        p, state = update(p, gradient, state, **options)
        weight.grad = torch.tensor(gradient)
        torch_optimizer.step()
        np.testing.assert_allclose(p, weight.detach().numpy(), rtol=REL, atol=ABS, err_msg=f"{name} {options}: step {step}")
        theirs = torch_optimizer.state[weight]
        assert set(state) == set(theirs), f"{name} {options}: state {sorted(state)} against torch's {sorted(theirs)}"
        for key, value in theirs.items():
            np.testing.assert_allclose(state[key], value.numpy(), rtol=REL, atol=ABS, err_msg=f"{name} {key}: step {step}")


def test_update_does_not_change_its_inputs() -> None:
    p, g = np.ones(3), np.full(3, 0.5)
    state = {"step": 1, "exp_avg": np.full(3, 0.1), "exp_avg_sq": np.full(3, 0.01)}
    optimizers.adam_update(p, g, state)
    assert (p == 1).all() and (g == 0.5).all() and (state["exp_avg"] == 0.1).all() and state["step"] == 1

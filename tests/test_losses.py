"""Each loss's value and gradient against torch's loss function, on batches of several rows."""

import numpy as np
import pytest
import torch
from torch import nn

from reference.losses import LOSSES
from report.tolerances import ENGINES_AGREE

ABS, REL = ENGINES_AGREE["float64"]


def torch_loss(name: str):
    if name == "half_sse":
        return lambda a, b: 0.5 * nn.MSELoss(reduction="sum")(a, b)
    return {
        "sse": nn.MSELoss(reduction="sum"),
        "mse": nn.MSELoss(),
        "mae": nn.L1Loss(),
        "huber": nn.HuberLoss(delta=0.5),
        "bce": nn.BCELoss(),
        "bce_with_logits": nn.BCEWithLogitsLoss(),
        "cross_entropy": nn.CrossEntropyLoss(),
    }[name]


def inputs(name: str, rng: np.random.Generator, class_indices: bool = False):
    prediction = rng.normal(0, 2, (5, 3))
    if name == "bce":
        prediction = 1 / (1 + np.exp(-prediction))
        prediction[0, 0] = 1.0  # log(1 − ŷ) = −inf, floored at −100 by torch
        target = rng.uniform(0, 1, (5, 3))
    elif name == "bce_with_logits":
        target = rng.uniform(0, 1, (5, 3))
    elif name == "cross_entropy" and class_indices:
        target = rng.integers(0, 3, 5)
    elif name == "cross_entropy":
        target = np.round(rng.dirichlet(np.ones(3), 5), 2)  # rows need not sum to exactly 1
    else:
        target = rng.normal(0, 2, (5, 3))
        target[0, 0] = prediction[0, 0]  # mae: sign(0) = 0
    return prediction, target


CASES = [(name, False) for name in LOSSES] + [("cross_entropy", True)]


@pytest.mark.parametrize("name,class_indices", CASES,
                         ids=[f"{name}{'-indices' if indices else ''}" for name, indices in CASES])
def test_loss_value_and_gradient_match_torch(name: str, class_indices: bool) -> None:
    rng = np.random.default_rng(3)
    prediction, target = inputs(name, rng, class_indices)
    options = {"delta": 0.5} if name == "huber" else {}
    loss = LOSSES[name]
    value = loss.value(prediction, target, **options)
    grad = loss.backward(prediction, target, **options)

    prediction_t = torch.tensor(prediction, requires_grad=True)
    value_t = torch_loss(name)(prediction_t, torch.tensor(target))
    value_t.backward()
    np.testing.assert_allclose(value, value_t.item(), rtol=REL, atol=ABS, err_msg=f"{name} value")
    np.testing.assert_allclose(grad, prediction_t.grad.numpy(), rtol=REL, atol=ABS,
                               err_msg=f"{name} gradient")

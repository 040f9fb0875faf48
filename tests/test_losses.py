"""Each loss's terms, value and gradient against torch's loss module, on batches of several rows."""

import numpy as np
import pytest
import torch
from torch import nn

from cases.vocabulary import LOSSES, ON_LOGITS
from reference import losses
from reference.blocks import loss_stem
from report.verify.tolerances import ENGINES_AGREE

ABS, REL = ENGINES_AGREE["float64"]


def torch_loss(name: str, reduction: str):
    half = reduction if reduction == "none" else "sum"
    return {
        "sse": nn.MSELoss(reduction=half),
        "half_sse": lambda a, b: 0.5 * nn.MSELoss(reduction=half)(a, b),
        "mse": nn.MSELoss(reduction=reduction),
        "mae": nn.L1Loss(reduction=reduction),
        "huber": nn.HuberLoss(delta=0.5, reduction=reduction),
        "bce": nn.BCELoss(reduction=reduction),
        "bce_with_logits": nn.BCEWithLogitsLoss(reduction=reduction),
        "cross_entropy": nn.CrossEntropyLoss(reduction=reduction),
    }[name]


def inputs(name: str, rng: np.random.Generator, class_indices: bool = False):
    prediction = rng.normal(0, 2, (5, 3))
    if name == "bce":
        prediction = 1 / (1 + np.exp(-prediction))
        prediction[0, 0] = 1.0  # log(1 − ŷ) = −inf, floored at −100 by torch
        target = rng.uniform(0, 1, (5, 3))
    elif name == "bce_with_logits":
        target = rng.uniform(0, 1, (5, 3))
        prediction[0, 0] = 0.0  # the kink of max(z, 0) and |z| in the stable form
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
def test_loss_terms_value_and_gradient_match_torch(name: str, class_indices: bool) -> None:
    rng = np.random.default_rng(3)
    prediction, target = inputs(name, rng, class_indices)
    options = {"delta": 0.5} if name == "huber" else {}
    stem = loss_stem(name)
    terms = getattr(losses, f"{stem}_unreduced")(prediction, target, **options)
    value = getattr(losses, stem)(prediction, target, **options)
    grad = getattr(losses, f"{stem}_backward")(prediction, target, **options)

    prediction_t = torch.tensor(prediction, requires_grad=True)
    value_t = torch_loss(name, "sum" if name in ("sse", "half_sse") else "mean")(prediction_t, torch.tensor(target))
    value_t.backward()
    terms_t = torch_loss(name, "none")(torch.tensor(prediction), torch.tensor(target))
    np.testing.assert_allclose(terms, terms_t.numpy(), rtol=REL, atol=ABS, err_msg=f"{name} terms")
    np.testing.assert_allclose(value, value_t.item(), rtol=REL, atol=ABS, err_msg=f"{name} value")
    np.testing.assert_allclose(grad, prediction_t.grad.numpy(), rtol=REL, atol=ABS, err_msg=f"{name} gradient")


def test_losses_on_logits_are_named_once() -> None:
    """The rule lives in cases.vocabulary; the reference's fused names follow it."""
    assert ON_LOGITS == {"bce_with_logits", "cross_entropy"}
    assert loss_stem("cross_entropy") == "softmax_cross_entropy"

"""What classic back-propagation mistakes compute, so that a wrong number can be recognised.

Each function takes torch's correct intermediate values and returns what a mistaken
implementation would have produced from them; report/diagnose.py compares a wrong array with
these. NumPy only; the formulas are the reference's own, called the wrong way.
"""

import inspect

import numpy as np

from reference import activations
from reference.optimizers import adam_update, adamw_update


def derivative_on(activation: str, options: dict, grad_a: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The activation's backward evaluated with x = y = `value`: on z where it needs a, or on a
    where it needs z (sigmoid's a(1 − a) written z(1 − z))."""
    return getattr(activations, f"{activation}_backward")(grad_a, value, value, **options)


def forward_of_negative(activation: str, options: dict, z: np.ndarray) -> np.ndarray:
    """f(−z): a sign slip inside the activation (sigmoid written 1 / (1 + exp(z)))."""
    return getattr(activations, f"{activation}_forward")(-z, **options)


def through_weight(delta: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """∂L/∂a of the layer below, δ @ weight — given the weight after its update (updated before
    back-propagating through it), or weight.T where weight is meant (both square)."""
    return delta @ weight


def adam_without_bias_correction(param_before: np.ndarray, state_after: dict, lr: float, eps: float) -> np.ndarray:
    """p − lr · m / (√v + eps): Adam's step with the raw moments, without 1/(1 − βᵗ)."""
    return param_before - lr * state_after["exp_avg"] / (np.sqrt(state_after["exp_avg_sq"]) + eps)


def adamw_as_l2(param_before: np.ndarray, grad: np.ndarray, state_before: dict, options: dict) -> np.ndarray:
    """AdamW's decay added to the gradient, as Adam's L2 penalty, instead of decoupled from it."""
    weight_decay = options.get("weight_decay", inspect.signature(adamw_update).parameters["weight_decay"].default)
    return adam_update(param_before, grad, state_before, **{**options, "weight_decay": weight_decay})[0]


def softmax_diagonal_only(grad_a: np.ndarray, a: np.ndarray) -> np.ndarray:
    """softmax's backward with only the diagonal of its Jacobian: grad · y(1 − y)."""
    return grad_a * a * (1 - a)

"""Numerical differentiation: nudge one number, watch the loss move. NumPy only.

The founding tutorial's first method: W = 3 gives loss 30, W = 3.0001 gives 30.006, so the
loss moves 60 times as fast as W. Here, for every parameter element and every input element:

    grad ≈ (L(p + h) − L(p − h)) / (2h),     h = ε^(1/3) · max(|p|, 1),  ε = 2.2e-16 (float64)

always in float64, whatever the case's dtype. h balances the truncation error of the central
difference (∝ h²) against the rounding error of the subtraction (∝ ε/h); h is then rounded so
that p + h − p is exactly h.
"""

from collections.abc import Callable

import numpy as np

from cases import Case
from reference.network import forward_backward

STEP_SCALE = np.finfo(np.float64).eps ** (1 / 3)  # ≈ 6.1e-6


def step_size(value: float) -> float:
    h = STEP_SCALE * max(abs(value), 1.0)
    return (value + h) - value  # representable exactly at this value


def loss_at(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    return forward_backward(case, params, x, y).loss


def central_difference(loss_of: Callable[[np.ndarray], float], value: np.ndarray) -> np.ndarray:
    """∂loss/∂value[i] ≈ (loss(value + h·e_i) − loss(value − h·e_i)) / 2h, element by element."""
    grad = np.zeros_like(value)
    for index in np.ndindex(*value.shape):
        h = step_size(value[index])
        up, down = value.copy(), value.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (loss_of(up) - loss_of(down)) / (2 * h)
    return grad


def central_differences(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray
                        ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(gradient of every parameter, gradient of the inputs x), each by central differences."""
    case = case.with_dtype("float64")
    params = {name: value.astype(np.float64) for name, value in params.items()}
    x = x.astype(np.float64)
    y = y if case.class_targets else y.astype(np.float64)
    grads = {name: central_difference(lambda moved, name=name: loss_at(case, {**params, name: moved}, x, y), value)
             for name, value in params.items()}
    input_grad = central_difference(lambda moved: loss_at(case, params, moved, y), x)
    return grads, input_grad


def nudged_losses(case: Case, name: str, index: tuple[int, ...], nudges: list[float]) -> list[float]:
    """The step-0 loss with one parameter element moved by each nudge (the tutorial's table)."""
    params = case.parameters()
    batch = case.batches[0]
    losses = []
    for nudge in nudges:
        moved = params[name].copy()
        moved[index] += nudge
        losses.append(loss_at(case, {**params, name: moved}, case.x[batch], case.targets[batch]))
    return losses

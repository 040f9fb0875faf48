"""The dense (fully connected) layer, stored as torch.nn.Linear stores it. NumPy only."""

import numpy as np


def dense_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """z = x @ weight.T + bias      x (B, D), weight (U, D), bias (U,) -> z (B, U)"""
    z = x @ weight.T
    return z if bias is None else z + bias


def dense_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Given grad_out = ∂L/∂z (B, U), return (grad_x, grad_weight, grad_bias):

    grad_x      = grad_out @ weight      (B, D)
    grad_weight = grad_out.T @ x         (U, D)   summed over the batch
    grad_bias   = Σ_b grad_out[b]        (U,)     summed over the batch
    """
    grad_x = grad_out @ weight
    grad_weight = grad_out.T @ x
    grad_bias = grad_out.sum(axis=0)
    return grad_x, grad_weight, grad_bias

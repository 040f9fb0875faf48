"""The gradient to the layer's input multiplied by weight.T instead of weight."""

import numpy as np


def dense_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray):
    return grad_out @ weight.T, grad_out.T @ x, grad_out.sum(axis=0)

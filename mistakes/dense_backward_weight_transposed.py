"""The weight gradient as x.T @ grad_out, (D, U): transposed against weight's (U, D)."""

import numpy as np


def dense_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray):
    return grad_out @ weight, x.T @ grad_out, grad_out.sum(axis=0)

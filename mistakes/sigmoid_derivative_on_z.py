"""sigmoid's derivative written on the pre-activation: z(1 − z) instead of a(1 − a)."""

import numpy as np


def sigmoid_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return grad_out * x * (1 - x)

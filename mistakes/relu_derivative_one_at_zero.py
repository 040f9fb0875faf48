"""relu'(0) taken as 1 (x >= 0) where torch takes 0."""

import numpy as np


def relu_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, grad_out, 0)

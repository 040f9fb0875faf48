"""sigmoid's derivative left out: the upstream gradient passed through unchanged."""

import numpy as np


def sigmoid_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return grad_out

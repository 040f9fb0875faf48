"""The bias left out of the dense layer's forward pass."""

import numpy as np


def dense_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    return x @ weight.T

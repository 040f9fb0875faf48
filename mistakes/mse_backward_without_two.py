"""The mean squared error's gradient without its factor 2."""

import numpy as np


def mse_backward(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (y_hat - y) / y.size

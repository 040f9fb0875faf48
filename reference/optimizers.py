"""Weight-update rules with torch.optim's semantics and defaults, written out. NumPy only.

Each rule is a function

    <name>_update(param, grad, state, lr=…, **options) -> (new_param, new_state)

for one parameter: `state` is what the previous update returned (an empty dict before the
first), named as torch.optim names it in `optimizer.state[p]`. Nothing is changed in place.
p is the parameter, g its gradient, t the number of this update (1 for the first).
"""

import numpy as np

State = dict[str, np.ndarray]


def sgd_update(param: np.ndarray, grad: np.ndarray, state: State, lr: float = 1e-3, momentum: float = 0.0,
               dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> tuple[np.ndarray, State]:
    """Gradient descent, optionally with momentum (torch.optim.SGD).

    g ← g + weight_decay · p
    b ← g on the first update, else momentum · b + (1 − dampening) · g      state: momentum_buffer
    g ← g + momentum · b if nesterov, else b            (only when momentum ≠ 0)
    p ← p − lr · g                                       (momentum 0: the delta rule)
    """
    g = grad + weight_decay * param if weight_decay != 0 else grad
    if momentum == 0:
        return param - lr * g, {}
    if "momentum_buffer" not in state:
        b = g.copy()
    else:
        b = momentum * state["momentum_buffer"] + (1 - dampening) * g
    g = g + momentum * b if nesterov else b
    return param - lr * g, {"momentum_buffer": b}


def adam_update(param: np.ndarray, grad: np.ndarray, state: State, lr: float = 1e-3,
                betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                amsgrad: bool = False) -> tuple[np.ndarray, State]:
    """Adaptive moments (torch.optim.Adam), weight decay as an L2 penalty on the gradient."""
    return _adaptive_moments(param, grad, state, lr, betas, eps, weight_decay, amsgrad, decoupled=False)


def adamw_update(param: np.ndarray, grad: np.ndarray, state: State, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False) -> tuple[np.ndarray, State]:
    """Adam with decoupled weight decay (torch.optim.AdamW): default weight_decay 1e-2."""
    return _adaptive_moments(param, grad, state, lr, betas, eps, weight_decay, amsgrad, decoupled=True)


def _adaptive_moments(param: np.ndarray, grad: np.ndarray, state: State, lr: float, betas: tuple[float, float],
                      eps: float, weight_decay: float, amsgrad: bool, decoupled: bool) -> tuple[np.ndarray, State]:
    """Adam's and AdamW's step.

    p ← p · (1 − lr · weight_decay)        AdamW only (decoupled weight decay)
    g ← g + weight_decay · p               Adam only
    m ← m + (1 − β1) · (g − m)             first moment (torch's lerp)            state: exp_avg
    v ← β2 · v + (1 − β2) · g²             second moment                          state: exp_avg_sq
    v̂ ← max(v̂, v) if amsgrad, else v                                             state: max_exp_avg_sq
    p ← p − lr / (1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)      (the bias corrections)
    """
    beta1, beta2 = betas
    t = state.get("step", 0) + 1
    g = grad
    if weight_decay != 0:
        if decoupled:
            param = param * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * param
    m = state.get("exp_avg", np.zeros_like(param))
    v = state.get("exp_avg_sq", np.zeros_like(param))
    m = m + (1 - beta1) * (g - m)
    v = beta2 * v + (1 - beta2) * g * g
    new_state = {"step": t, "exp_avg": m, "exp_avg_sq": v}
    if amsgrad:
        v = new_state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(param)), v)
    step_size = lr / (1 - beta1**t)
    denominator = np.sqrt(v) / (1 - beta2**t) ** 0.5 + eps
    return param - step_size * (m / denominator), new_state


def rmsprop_update(param: np.ndarray, grad: np.ndarray, state: State, lr: float = 1e-2, alpha: float = 0.99,
                   eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                   centered: bool = False) -> tuple[np.ndarray, State]:
    """Root-mean-square propagation (torch.optim.RMSprop).

    g ← g + weight_decay · p
    v ← alpha · v + (1 − alpha) · g²                          state: square_avg
    ḡ ← ḡ + (1 − alpha) · (g − ḡ);  s ← √(v − ḡ²) + eps       centered; state: grad_avg
    s ← √v + eps                                              otherwise
    b ← momentum · b + g / s;  p ← p − lr · b                 momentum > 0; state: momentum_buffer
    p ← p − lr · g / s                                        otherwise
    """
    g = grad + weight_decay * param if weight_decay != 0 else grad
    v = alpha * state.get("square_avg", np.zeros_like(param)) + (1 - alpha) * g * g
    new_state = {"step": state.get("step", 0) + 1, "square_avg": v}
    if centered:
        g_avg = state.get("grad_avg", np.zeros_like(param))
        g_avg = new_state["grad_avg"] = g_avg + (1 - alpha) * (g - g_avg)
        s = np.sqrt(v - g_avg * g_avg) + eps
    else:
        s = np.sqrt(v) + eps
    if momentum > 0:
        b = new_state["momentum_buffer"] = momentum * state.get("momentum_buffer", np.zeros_like(param)) + g / s
        return param - lr * b, new_state
    return param - lr * (g / s), new_state


def adagrad_update(param: np.ndarray, grad: np.ndarray, state: State, lr: float = 1e-2, lr_decay: float = 0.0,
                   weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                   eps: float = 1e-10) -> tuple[np.ndarray, State]:
    """Adaptive gradient (torch.optim.Adagrad).

    g ← g + weight_decay · p
    lr_t ← lr / (1 + (t − 1) · lr_decay)
    s ← s + g²                     (s starts at initial_accumulator_value)      state: sum
    p ← p − lr_t · g / (√s + eps)
    """
    t = state.get("step", 0) + 1
    g = grad + weight_decay * param if weight_decay != 0 else grad
    lr_t = lr / (1 + (t - 1) * lr_decay)
    s = state.get("sum", np.full_like(param, initial_accumulator_value)) + g * g
    return param - lr_t * (g / (np.sqrt(s) + eps)), {"step": t, "sum": s}

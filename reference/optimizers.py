"""Weight-update rules with torch.optim's semantics and defaults, written out. NumPy only.

Each optimizer keeps its state per parameter name (step count, momentum buffers, moments) in
plain dictionaries and returns the updated parameter; it never changes the array it is given.
g is the gradient, p the parameter, t the number of this update (1 for the first).
"""

import numpy as np


class SGD:
    """Gradient descent, optionally with momentum (torch.optim.SGD).

    g ← g + weight_decay · p
    b ← g on the first update, else momentum · b + (1 − dampening) · g
    g ← g + momentum · b if nesterov, else b            (only when momentum ≠ 0)
    p ← p − lr · g                                       (momentum 0: the delta rule)
    """

    def __init__(self, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.buffer: dict[str, np.ndarray] = {}

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        if self.momentum != 0:
            if name not in self.buffer:
                b = g.copy()
            else:
                b = self.momentum * self.buffer[name] + (1 - self.dampening) * g
            self.buffer[name] = b
            g = g + self.momentum * b if self.nesterov else b
        return p - self.lr * g


class Adam:
    """Adaptive moments (torch.optim.Adam; AdamW when decoupled).

    p ← p · (1 − lr · weight_decay)        AdamW only (decoupled weight decay)
    g ← g + weight_decay · p               Adam only
    m ← m + (1 − β1) · (g − m)             first moment (torch's lerp)
    v ← β2 · v + (1 − β2) · g²             second moment
    v̂ ← max(v̂, v) if amsgrad, else v
    p ← p − lr / (1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)
    """

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 decoupled: bool = False) -> None:
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.amsgrad, self.decoupled = weight_decay, amsgrad, decoupled
        self.t: dict[str, int] = {}
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.v_max: dict[str, np.ndarray] = {}

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        beta1, beta2 = self.betas
        t = self.t[name] = self.t.get(name, 0) + 1
        if self.weight_decay != 0:
            if self.decoupled:
                p = p * (1 - self.lr * self.weight_decay)
            else:
                g = g + self.weight_decay * p
        m = self.m.get(name, np.zeros_like(p))
        v = self.v.get(name, np.zeros_like(p))
        m = self.m[name] = m + (1 - beta1) * (g - m)
        v = self.v[name] = beta2 * v + (1 - beta2) * g * g
        if self.amsgrad:
            v = self.v_max[name] = np.maximum(self.v_max.get(name, np.zeros_like(p)), v)
        step_size = self.lr / (1 - beta1**t)
        denominator = np.sqrt(v) / (1 - beta2**t) ** 0.5 + self.eps
        return p - step_size * (m / denominator)


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW): default weight_decay 1e-2."""

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(lr, betas, eps, weight_decay, amsgrad, decoupled=True)


class RMSprop:
    """Root-mean-square propagation (torch.optim.RMSprop).

    g ← g + weight_decay · p
    v ← alpha · v + (1 − alpha) · g²
    ḡ ← ḡ + (1 − alpha) · (g − ḡ);  s ← √(v − ḡ²) + eps       centered
    s ← √v + eps                                              otherwise
    b ← momentum · b + g / s;  p ← p − lr · b                 momentum > 0
    p ← p − lr · g / s                                        otherwise
    """

    def __init__(self, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered
        self.v: dict[str, np.ndarray] = {}
        self.g_avg: dict[str, np.ndarray] = {}
        self.buffer: dict[str, np.ndarray] = {}

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        v = self.v[name] = self.alpha * self.v.get(name, np.zeros_like(p)) + (1 - self.alpha) * g * g
        if self.centered:
            g_avg = self.g_avg.get(name, np.zeros_like(p))
            g_avg = self.g_avg[name] = g_avg + (1 - self.alpha) * (g - g_avg)
            s = np.sqrt(v - g_avg * g_avg) + self.eps
        else:
            s = np.sqrt(v) + self.eps
        if self.momentum > 0:
            b = self.buffer[name] = self.momentum * self.buffer.get(name, np.zeros_like(p)) + g / s
            return p - self.lr * b
        return p - self.lr * (g / s)


class Adagrad:
    """Adaptive gradient (torch.optim.Adagrad).

    g ← g + weight_decay · p
    lr_t ← lr / (1 + (t − 1) · lr_decay)
    s ← s + g²                     (s starts at initial_accumulator_value)
    p ← p − lr_t · g / (√s + eps)
    """

    def __init__(self, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        self.lr, self.lr_decay, self.weight_decay = lr, lr_decay, weight_decay
        self.initial_accumulator_value, self.eps = initial_accumulator_value, eps
        self.t: dict[str, int] = {}
        self.s: dict[str, np.ndarray] = {}

    def update(self, name: str, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        t = self.t[name] = self.t.get(name, 0) + 1
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        lr_t = self.lr / (1 + (t - 1) * self.lr_decay)
        s0 = self.s.get(name, np.full_like(p, self.initial_accumulator_value))
        s = self.s[name] = s0 + g * g
        return p - lr_t * (g / (np.sqrt(s) + self.eps))


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}

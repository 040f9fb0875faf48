"""Activations, each a forward and a backward side by side. NumPy only.

Shapes: x, y, grad_out and grad_x all have x's shape: (B, U) after a dense layer, B rows of the batch and U
units; any shape after the others (an activation acts elementwise, softmax over the last axis of (B, K)).
`<name>_forward(x, **options)` returns y; `<name>_backward(grad_out, x, y, **options)` returns
grad_x = grad_out ⊙ y'(x) (softmax: a Jacobian product), given both the input x and the output y.
Corners follow PyTorch and are written in each docstring.
Constants are Python floats so that float32 arrays stay float32.
"""

import math
from collections.abc import Callable

import numpy as np

erf = np.vectorize(math.erf, otypes=[np.float64])  # the error function, elementwise (the tape uses it too)


def _rounded_once(function: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """function(x) evaluated in float64 and rounded once to x's dtype.

    Used where a float32 result next to 1 feeds a 1 − y factor: NumPy's float32 tanh gives
    tanh(9.191967) = 0.99999994, torch the correctly rounded 1.0, and 1 − y² turns that one ulp
    into a gradient of 1.2e-7 against 0.
    """
    return function(x.astype(np.float64, copy=False)).astype(x.dtype, copy=False)  # no copy when x is float64


def identity_forward(x: np.ndarray) -> np.ndarray:
    """y = x"""
    return x.copy()


def identity_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_x = grad_out"""
    return grad_out.copy()


def relu_forward(x: np.ndarray) -> np.ndarray:
    """y = max(x, 0)"""
    return np.maximum(x, 0)


def relu_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_x = grad_out · [x > 0]        corner: relu'(0) = 0"""
    return np.where(x > 0, grad_out, 0)


def leaky_relu_forward(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """y = x if x > 0 else negative_slope · x"""
    return np.where(x > 0, x, x * negative_slope)


def leaky_relu_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray,
                        negative_slope: float = 0.01) -> np.ndarray:
    """grad_x = grad_out if x > 0 else negative_slope · grad_out      corner: y'(0) = negative_slope"""
    return np.where(x > 0, grad_out, grad_out * negative_slope)


def sigmoid_forward(x: np.ndarray) -> np.ndarray:
    """y = 1 / (1 + exp(−x))"""
    # exp(−x) overflows to inf for x < −709 (float64); 1 / inf = 0 is the right limit.
    with np.errstate(over="ignore"):
        return _rounded_once(lambda v: 1 / (1 + np.exp(-v)), x)


def sigmoid_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_x = grad_out · y · (1 − y)      (taken on the output y, not on x)"""
    return grad_out * (1 - y) * y


def tanh_forward(x: np.ndarray) -> np.ndarray:
    """y = tanh(x)"""
    return _rounded_once(np.tanh, x)


def tanh_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_x = grad_out · (1 − y²)"""
    return grad_out * (1 - y * y)


def softplus_forward(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """y = log(1 + exp(beta · x)) / beta, and y = x where beta · x > threshold (as torch)"""
    with np.errstate(over="ignore"):  # the overflowing branch is the one np.where discards
        return np.where(x * beta > threshold, x, np.log1p(np.exp(x * beta)) / beta)


def softplus_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray,
                      beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """grad_x = grad_out · e / (e + 1) with e = exp(beta · x); grad_out where beta · x > threshold"""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x * beta)
        return np.where(x * beta > threshold, grad_out, grad_out * e / (e + 1))


SQRT_HALF = math.sqrt(0.5)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
SQRT_2_OVER_PI = math.sqrt(2) * (2 / math.sqrt(math.pi)) * 0.5  # √(2/π), spelled as torch spells it
GELU_CUBIC = 0.044715


def gelu_forward(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """none: y = x · Φ(x), Φ(x) = ½(1 + erf(x/√2));  tanh: y = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))"""
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * (x * x * x))))
    return x * 0.5 * (1 + erf(x * SQRT_HALF).astype(x.dtype))


def gelu_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray,
                  approximate: str = "none") -> np.ndarray:
    """none: grad_x = grad_out · (Φ(x) + x · φ(x)), φ(x) = exp(−x²/2)/√(2π)
    tanh: grad_x = grad_out · (½(1 + t) + ½x(1 − t²) · √(2/π)(1 + 3·0.044715x²)), t = tanh(…)
    """
    if approximate == "tanh":
        t = np.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * (x * x * x)))
        return grad_out * (0.5 * (1 + t) + (0.5 * x) * (1 - t * t) * (SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * (x * x))))
    cdf = 0.5 * (1 + erf(x * SQRT_HALF).astype(x.dtype))
    pdf = np.exp(-0.5 * x * x) * INV_SQRT_2PI
    return grad_out * (cdf + x * pdf)


def elu_forward(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """y = x if x > 0 else alpha · (exp(x) − 1)"""
    with np.errstate(over="ignore"):  # the overflowing branch is the one np.where discards
        return np.where(x > 0, x, np.expm1(x) * alpha)


def elu_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """grad_x = grad_out if x > 0 else grad_out · alpha · exp(x)      corner: elu'(0) = alpha"""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x > 0, grad_out, grad_out * alpha * np.exp(x))


def softmax_forward(x: np.ndarray) -> np.ndarray:
    """y[b, k] = exp(x[b, k]) / Σ_j exp(x[b, j])      (over the units of each row)"""
    # Subtracting the row maximum keeps exp from overflowing and does not change y.
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_x[b, k] = y[b, k] · (grad_out[b, k] − Σ_j grad_out[b, j] · y[b, j])"""
    return y * (grad_out - (grad_out * y).sum(axis=1, keepdims=True))

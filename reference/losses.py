"""Losses, each its terms, its value and its gradient side by side. NumPy only.

`y_hat` and `y` are (B, K): B rows of the batch, K outputs. For every loss:

    <name>_unreduced(y_hat, y) -> ℓ          the loss of each element, as torch's reduction='none'
    <name>(y_hat, y)           -> L          ℓ reduced: summed (sse, half_sse) or averaged
    <name>_backward(y_hat, y)  -> ∂L/∂y_hat   (B, K)

"Mean" losses divide by the number of elements B·K, except cross_entropy, whose ℓ has one term
per row and is averaged over the batch (B), as in torch. Losses on logits (cases.vocabulary.
ON_LOGITS) take the last layer's pre-activation z instead of its output and return ∂L/∂z: the
last activation (identity, or softmax for cross_entropy) is folded into their gradient.
"""

import numpy as np


def sse_unreduced(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ℓ = (ŷ − y)²"""
    return (y_hat - y) ** 2


def sse(y_hat: np.ndarray, y: np.ndarray) -> float:
    """L = Σ_b Σ_k (ŷ − y)²      (sum over the batch)"""
    return float(sse_unreduced(y_hat, y).sum())


def sse_backward(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_y_hat = 2 (ŷ − y)   (B, K)"""
    return 2 * (y_hat - y)


def half_sse_unreduced(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ℓ = ½ (ŷ − y)²      (the tutorials' E = ½(target − output)² per output)"""
    return 0.5 * (y_hat - y) ** 2


def half_sse(y_hat: np.ndarray, y: np.ndarray) -> float:
    """L = ½ Σ_b Σ_k (ŷ − y)²      (sum over the batch)"""
    return float(half_sse_unreduced(y_hat, y).sum())


def half_sse_backward(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_y_hat = ŷ − y   (B, K)"""
    return y_hat - y


def mse_unreduced(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ℓ = (ŷ − y)², sse's terms: the two losses differ only in their reduction"""
    return sse_unreduced(y_hat, y)


def mse(y_hat: np.ndarray, y: np.ndarray) -> float:
    """L = Σ (ŷ − y)² / (B·K)      (mean over all elements)"""
    return float(mse_unreduced(y_hat, y).mean())


def mse_backward(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_y_hat = 2 (ŷ − y) / (B·K)"""
    return 2 * (y_hat - y) / y.size


def mae_unreduced(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ℓ = |ŷ − y|"""
    return np.abs(y_hat - y)


def mae(y_hat: np.ndarray, y: np.ndarray) -> float:
    """L = Σ |ŷ − y| / (B·K)      (mean over all elements)"""
    return float(mae_unreduced(y_hat, y).mean())


def mae_backward(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_y_hat = sign(ŷ − y) / (B·K)      corner: sign(0) = 0, as torch"""
    return np.sign(y_hat - y) / y.size


def huber_unreduced(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """ℓ = ½d² where |d| < δ, δ(|d| − ½δ) elsewhere; d = ŷ − y"""
    d = y_hat - y
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def huber(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.0) -> float:
    """L = Σ ℓ / (B·K)      (mean over all elements)"""
    return float(huber_unreduced(y_hat, y, delta).mean())


def huber_backward(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """grad_y_hat = clip(ŷ − y, −δ, δ) / (B·K)"""
    return np.clip(y_hat - y, -delta, delta) / y.size


LOG_FLOOR = -100.0  # torch's BCELoss clamps each log at −100 so that log(0) stays finite
# torch's BCELoss backward divides by max(ŷ(1 − ŷ), ε) with ε = 1e-12 held as a C float:
# 9.999999960041972e-13, not 1e-12 (measured: 4e-9 relative difference at ŷ = 1 otherwise).
BCE_EPSILON = float(np.float32(1e-12))


def bce_unreduced(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ℓ = −[y·log ŷ + (1 − y)·log(1 − ŷ)]      (each log at least −100, as torch)"""
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(y_hat), LOG_FLOOR)
        log_q = np.maximum(np.log(1 - y_hat), LOG_FLOOR)
    return -(y * log_p + (1 - y) * log_q)


def bce(y_hat: np.ndarray, y: np.ndarray) -> float:
    """L = Σ ℓ / (B·K)      (mean over all elements)"""
    return float(bce_unreduced(y_hat, y).mean())


def bce_backward(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_y_hat = (ŷ − y) / (ŷ(1 − ŷ)) / (B·K)      (denominator at least ε ≈ 1e-12, as torch)

    From −y/ŷ + (1 − y)/(1 − ŷ) = (ŷ − y)/(ŷ(1 − ŷ)). Followed by the sigmoid's backward,
    ŷ(1 − ŷ) cancels: ∂L/∂z = (ŷ − y)/(B·K), the tutorial's ∂L/∂z₃ = ŷ − y for one sample.
    Both factors are kept apart here, as torch computes them.
    """
    return (y_hat - y) / np.maximum(y_hat * (1 - y_hat), BCE_EPSILON) / y.size


def bce_with_logits_unreduced(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ℓ = max(z, 0) − z·y + log(1 + exp(−|z|))   = bce(sigmoid(z), y), without overflow"""
    return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))


def bce_with_logits(z: np.ndarray, y: np.ndarray) -> float:
    """L = Σ ℓ / (B·K)      (mean over all elements)"""
    return float(bce_with_logits_unreduced(z, y).mean())


def bce_with_logits_backward(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_z = (sigmoid(z) − y) / (B·K)"""
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-z)) - y) / y.size


def one_hot(y: np.ndarray, classes: int, dtype: np.dtype) -> np.ndarray:
    """Class indices (B,) -> rows (B, classes); probability rows pass through."""
    return np.eye(classes, dtype=dtype)[y] if y.ndim == 1 else y


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log p[b, k] = z[b, k] − log Σ_j exp(z[b, j])"""
    # log-sum-exp with the row maximum subtracted: exp cannot overflow, and log p stays
    # accurate where p itself would underflow to 0.
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy_unreduced(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ℓ[b] = −Σ_k y[b, k] · log softmax(z)[b, k]      (one term per row, (B,))"""
    return -(one_hot(y, z.shape[1], z.dtype) * log_softmax(z)).sum(axis=1)


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    """L = Σ_b ℓ[b] / B      (mean over the batch)"""
    return float(softmax_cross_entropy_unreduced(z, y).sum() / len(z))


def softmax_cross_entropy_backward(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """grad_z = (p · Σ_k y[b, k] − y) / B,  p = softmax(z)      (softmax and log-likelihood fused)

    From ∂/∂z_j of −Σ_k y_k (z_k − log Σ_i exp z_i) = −y_j + p_j Σ_k y_k. With one-hot rows or
    probability rows that sum to 1 this is the familiar (p − y) / B; torch does not require
    the rows to sum to 1, and neither does this.
    """
    target = one_hot(y, z.shape[1], z.dtype)
    p = np.exp(log_softmax(z))
    return (p * target.sum(axis=1, keepdims=True) - target) / len(z)


# the case's loss name -> the stem of its functions here
FUNCTION_STEMS = {"cross_entropy": "softmax_cross_entropy"}

"""Batch norm's input gradient as if the batch mean and variance were constants: one term of three."""

import numpy as np


def batch_norm_backward(grad_out, x, weight, bias, running_mean, running_var, training=True, eps=1e-5):
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    mean, variance = x.mean(axis=axes), x.var(axis=axes)
    x_hat = (x - mean.reshape(shape)) / np.sqrt(variance.reshape(shape) + eps)
    scale = 1 / np.sqrt(variance.reshape(shape) + eps)
    grad_x = grad_out * (1 if weight is None else weight.reshape(shape)) * scale  # μ and σ² treated as constants
    if weight is None:
        return grad_x, None, None
    return grad_x, (grad_out * x_hat).sum(axis=axes), grad_out.sum(axis=axes)

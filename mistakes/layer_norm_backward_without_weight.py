"""Layer norm's input gradient without its weight: grad_x̂ taken as grad_out, as if γ were 1."""

import numpy as np


def layer_norm_backward(grad_out, x, weight, bias, normalized_shape, eps=1e-5):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    scale = 1 / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * scale
    grad_x_hat = grad_out  # the mistake: · weight left out
    grad_x = (grad_x_hat - grad_x_hat.mean(axis=axes, keepdims=True)
              - x_hat * (grad_x_hat * x_hat).mean(axis=axes, keepdims=True)) * scale
    if weight is None:
        return grad_x, None, None
    batch_axes = tuple(range(x.ndim - len(normalized_shape)))
    return grad_x, (grad_out * x_hat).sum(axis=batch_axes), grad_out.sum(axis=batch_axes)

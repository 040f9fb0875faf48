"""Batch norm's input gradient as if the batch mean and variance were constants: one term of three."""

from mistakes.counterfactuals import batch_norm_statistics_as_constants
from reference.layers import batch_norm_backward as reference_batch_norm_backward


def batch_norm_backward(grad_out, x, weight, bias, running_mean, running_var, training=True, eps=1e-5):
    grad_x, grad_weight, grad_bias = reference_batch_norm_backward(grad_out, x, weight, bias, running_mean,
                                                                   running_var, training=training, eps=eps)
    if training:
        grad_x = batch_norm_statistics_as_constants(grad_out, x, weight, eps)  # the mistake: μ and σ² as constants
    return grad_x, grad_weight, grad_bias

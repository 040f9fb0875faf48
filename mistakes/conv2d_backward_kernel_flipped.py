"""conv2d's input gradient with the kernel turned 180°, as a true convolution would need: torch's conv2d is a
cross-correlation, so its input gradient scatters grad_out back through the kernel as it is."""

import numpy as np

from reference.layers import add_windows, padded, pair, windows


def conv2d_backward(grad_out, x, weight, stride=1, padding=0, dilation=1):
    xp = padded(x, pair(padding), 0.0)
    patches = windows(xp, weight.shape[2:], pair(stride), pair(dilation))
    grad_weight = np.einsum("bohw,bchwij->ocij", grad_out, patches, optimize=True)
    grad_bias = grad_out.sum(axis=(0, 2, 3))
    grad_windows = np.einsum("bohw,ocij->bchwij", grad_out, weight[:, :, ::-1, ::-1], optimize=True)
    grad_x = add_windows(grad_windows, xp.shape, pair(padding), pair(stride), pair(dilation))
    return grad_x, grad_weight, grad_bias

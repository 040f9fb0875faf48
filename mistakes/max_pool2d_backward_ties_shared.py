"""Max-pooling's gradient shared equally among a window's tied maxima; torch gives it all to the first."""

import numpy as np


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0, dilation=1):
    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
    s = stride or k
    grad_x = np.zeros_like(x)
    for b, c, h, w in np.ndindex(*grad_out.shape):
        window = x[b, c, h * s: h * s + k, w * s: w * s + k]
        tied = window == window.max()
        grad_x[b, c, h * s: h * s + k, w * s: w * s + k] += grad_out[b, c, h, w] * tied / tied.sum()
    return grad_x

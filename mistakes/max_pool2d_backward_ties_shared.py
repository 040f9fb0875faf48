"""Max-pooling's gradient shared equally among a window's tied maxima; torch gives it all to the first."""

from mistakes.counterfactuals import max_pool_ties_shared


def max_pool2d_backward(grad_out, x, kernel_size, stride=None, padding=0, dilation=1):
    return max_pool_ties_shared(grad_out, x, kernel_size, stride, padding, dilation)

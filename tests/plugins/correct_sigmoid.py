"""A student's sigmoid, forward and backward, written from the textbook."""

import numpy as np


def sigmoid_forward(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_backward(grad_out, x, y):
    return grad_out * y * (1 - y)


def helper_that_is_not_a_block(x):
    return x

"""A file that calls sys.exit(0) while it is imported."""
import sys

sys.exit(0)


def sigmoid_backward(grad_out, x, y):
    return grad_out * y * (1 - y)

"""A file that ends its process with os._exit(0) while it is imported."""
import os

os._exit(0)


def sigmoid_backward(grad_out, x, y):
    return grad_out * y * (1 - y)

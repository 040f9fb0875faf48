"""A building block that raises on every call."""


def tanh_backward(grad_out, x, y):
    return grad_out / 0 if False else 1 / (grad_out.size - grad_out.size)

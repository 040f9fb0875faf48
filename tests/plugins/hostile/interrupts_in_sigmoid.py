"""A sigmoid_backward that raises KeyboardInterrupt itself."""


def sigmoid_backward(grad_out, x, y):
    raise KeyboardInterrupt

"""A sigmoid_backward that never returns."""


def sigmoid_backward(grad_out, x, y):
    while True:
        pass

"""A file whose import never finishes."""
while True:
    pass


def sigmoid_backward(grad_out, x, y):
    return grad_out * y * (1 - y)

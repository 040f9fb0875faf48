"""Dropout's backward with the mask but without the 1/(1 − p) that the forward pass multiplied by."""


def dropout_backward(grad_out, x, draws, p=0.5, training=True):
    return grad_out * (draws >= p) if training else grad_out

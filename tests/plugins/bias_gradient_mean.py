"""A student's dense layer whose bias gradient is the batch mean of δ (torch sums): right on one sample."""


def dense_backward(grad_out, x, weight):
    return grad_out @ weight, grad_out.T @ x, grad_out.mean(axis=0)

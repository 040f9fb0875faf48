"""dense_backward returning the weight gradient transposed: (in, out) instead of (out, in)."""


def dense_backward(grad_out, x, weight):
    return grad_out @ weight, x.T @ grad_out, grad_out.sum(axis=0)

"""An embedding's gradient assigned row by row (`=`), so a repeated index keeps only its last use; torch sums."""

import numpy as np


def embedding_backward(grad_out, indices, weight):
    grad_weight = np.zeros_like(weight)
    grad_weight[indices.ravel()] = grad_out.reshape(-1, weight.shape[1])
    return grad_weight

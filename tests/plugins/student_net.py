"""A student's network from scratch, in their own layout: weights (in, out), a list per layer,
sigmoid everywhere and ½ Σ (ŷ − y)². It knows nothing of this project."""

import numpy as np


def forward_backward_mine(weights, biases, x, y):
    activations, zs = [x], []
    for w, b in zip(weights, biases, strict=True):
        zs.append(activations[-1] @ w + b)
        activations.append(1 / (1 + np.exp(-zs[-1])))
    loss = 0.5 * np.sum((activations[-1] - y) ** 2)
    delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])
    grad_weights, grad_biases = [None] * len(weights), [None] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        grad_weights[i] = activations[i].T @ delta
        grad_biases[i] = delta.sum(axis=0)
        grad_in = delta @ weights[i].T
        if i > 0:
            delta = grad_in * activations[i] * (1 - activations[i])
    return zs, activations[1:], loss, grad_weights, grad_biases, grad_in

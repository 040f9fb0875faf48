"""Mazur's published order: update each layer's weights, then send the gradient below through the new ones.

The tutorial prints the error after the first round as 0.291027924; correct back-propagation gives
0.2910277737, and this order gives 0.2910279239: the published number comes from here.
"""

import numpy as np


def forward_backward(case, params, x, y):
    """A dense sigmoid network with ½Σ(ŷ − y)², its weights updated by SGD as soon as their gradient is known."""
    lr = case.optimizer_options["lr"]
    inputs, zs, activations = [], [], []
    a = x
    for i in range(len(case.layers)):
        inputs.append(a)
        z = a @ params[f"layers.{i}.weight"].T + params[f"layers.{i}.bias"]
        a = 1 / (1 + np.exp(-z))
        zs.append(z)
        activations.append(a)
    grad_a = a - y
    grads, deltas, grad_activations = {}, [None] * len(zs), [None] * len(zs)
    for i in range(len(zs) - 1, -1, -1):
        grad_activations[i] = grad_a
        delta = grad_a * activations[i] * (1 - activations[i])
        deltas[i] = delta
        weight = params[f"layers.{i}.weight"]
        grads[f"layers.{i}.weight"] = delta.T @ inputs[i]
        grads[f"layers.{i}.bias"] = delta.sum(axis=0)
        updated = weight - lr * grads[f"layers.{i}.weight"]  # the mistake: the new weights ...
        grad_a = delta @ updated  # ... carry the gradient to the layer below
    return {"pre_activations": zs, "activations": activations, "loss": float(0.5 * ((a - y) ** 2).sum()),
            "unreduced_loss": 0.5 * (a - y) ** 2, "grads": grads, "input_grad": grad_a,
            "grad_activations": grad_activations, "deltas": deltas}

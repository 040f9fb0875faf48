"""The README's worked adapter: a whole network written in its own style, plugged in."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from student_net import forward_backward_mine  # noqa: E402  (your own code, weights laid out (in, out))


def forward_backward(case, params, x, y):
    layers = range(len(case.layers))
    weights = [params[f"layers.{i}.weight"].T for i in layers]  # torch's (out, in) -> yours (in, out)
    biases = [params[f"layers.{i}.bias"] for i in layers]
    zs, activations, loss, grad_weights, grad_biases, grad_x = forward_backward_mine(weights, biases, x, y)
    grads = {}
    for i in layers:
        grads[f"layers.{i}.weight"] = grad_weights[i].T  # yours (in, out) -> torch's (out, in)
        grads[f"layers.{i}.bias"] = grad_biases[i]
    return {"pre_activations": zs, "activations": activations, "loss": loss, "grads": grads, "input_grad": grad_x}

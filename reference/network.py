"""The network that strings dense layers, activations and a loss together. NumPy only.

Forward:  a₀ = x;  zᵢ = aᵢ @ weightᵢ.T + biasᵢ;  aᵢ₊₁ = activationᵢ(zᵢ);  L = loss(a_last, y)
Backward: the chain rule from the loss down, layer by layer:
    grad_z = activation_backward(grad_a, z, a)          (skipped when the loss takes logits)
    grad_a_prev, grad_weight, grad_bias = dense_backward(grad_z, a_prev, weight)
"""

from dataclasses import dataclass

import numpy as np

from cases import Case
from reference.activations import ACTIVATIONS
from reference.dense import dense_backward, dense_forward
from reference.losses import LOSSES


@dataclass(frozen=True)
class Pass:
    """One forward and backward pass on one batch."""

    pre_activations: list[np.ndarray]
    activations: list[np.ndarray]
    loss: float
    grads: dict[str, np.ndarray]
    input_grad: np.ndarray


def forward_backward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> Pass:
    """Loss and gradients of every parameter and of the inputs x (B, D) for targets y."""
    loss = LOSSES[case.loss]
    options = [layer.activation_options for layer in case.layers]
    functions = [ACTIVATIONS[layer.activation] for layer in case.layers]

    inputs: list[np.ndarray] = []  # what each layer received: a₀ = x, a₁, …
    pre_activations: list[np.ndarray] = []
    activations: list[np.ndarray] = []
    a = x
    for i, (forward, _) in enumerate(functions):
        inputs.append(a)
        z = dense_forward(a, params[f"layers.{i}.weight"], params.get(f"layers.{i}.bias"))
        a = forward(z, **options[i])
        pre_activations.append(z)
        activations.append(a)

    last = len(case.layers) - 1
    if loss.on_logits:
        value = loss.value(pre_activations[last], y, **case.loss_options)
        grad_z = loss.backward(pre_activations[last], y, **case.loss_options)
    else:
        value = loss.value(activations[last], y, **case.loss_options)
        grad_a = loss.backward(activations[last], y, **case.loss_options)
        grad_z = functions[last][1](grad_a, pre_activations[last], activations[last], **options[last])

    grads: dict[str, np.ndarray] = {}
    for i in range(last, -1, -1):
        if i < last:
            grad_z = functions[i][1](grad_a, pre_activations[i], activations[i], **options[i])
        grad_a, grads[f"layers.{i}.weight"], grad_bias = dense_backward(
            grad_z, inputs[i], params[f"layers.{i}.weight"])
        if f"layers.{i}.bias" in params:
            grads[f"layers.{i}.bias"] = grad_bias
    return Pass(pre_activations, activations, value, grads, input_grad=grad_a)

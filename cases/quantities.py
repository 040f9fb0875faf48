"""Every quantity an engine records, with one name, and the order in which it is computed.

An engine's recording of one step is a mapping (quantity, key) -> array, where the key names
the layer ("layers.1"), the parameter ("layers.1.weight") or nothing (""). Every engine records
the same keys; the comparison walks them in the order the computation makes them, so the first
disagreement found is the first wrong number, and everything after it is a consequence.

Step t is the state after t updates: the parameters and the optimizer's state after update t,
then the forward pass, the loss and the backward pass on the batch of update t + 1.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Quantity:
    name: str
    symbol: str  # how pages and messages name it
    keyed_by: str  # "param", "layer" or "" (one array per step)
    meaning: str


QUANTITIES: dict[str, Quantity] = {q.name: q for q in [
    Quantity("param", "θ", "param", "the parameter's value after t updates"),
    Quantity("buffer", "buffer", "param", "a batch-norm layer's running statistic (layers.i.running_mean, "
             "layers.i.running_var) after t training-mode forward passes"),
    Quantity("pre_activation", "z", "layer", "the layer's pre-activation z = x @ weight.T + bias, (B, units)"),
    Quantity("activation", "a", "layer", "the layer's activation a = f(z), (B, units), hidden layers"),
    Quantity("output", "ŷ", "", "the last layer's activation, (B, outputs)"),
    Quantity("unreduced_loss", "ℓ", "", "the loss of each element before the reduction, as torch's "
             "reduction='none' gives it: (B, outputs), or (B,) for cross_entropy"),
    Quantity("loss", "L", "", "the loss of the batch"),
    Quantity("grad_activation", "∂L/∂a", "layer", "the gradient with respect to the layer's activation, (B, units); "
             "not recorded for the last layer when the loss takes logits"),
    Quantity("delta", "δ", "layer", "δ = ∂L/∂z, the gradient with respect to the layer's pre-activation, (B, units)"),
    Quantity("grad", "∂L/∂θ", "param", "the gradient of the parameter, summed over the batch by the loss"),
    Quantity("input_grad", "∂L/∂x", "", "the gradient with respect to the batch's inputs, (B, inputs)"),
    Quantity("value", "v", "node", "a graph case's node: its value (graph cases only; there `grad` keyed by an "
             "input or node name is ∂output/∂ that value)"),
]}

# The optimizer's state per parameter after t ≥ 1 updates, named as torch.optim names it in
# `optimizer.state[p]`; which names appear depends on the optimizer and its options.
STATE: dict[str, str] = {
    "step": "the number of updates made (torch keeps it as a float tensor)",
    "exp_avg": "Adam's first moment m",
    "exp_avg_sq": "Adam's second moment v",
    "max_exp_avg_sq": "AMSGrad's running maximum of v",
    "square_avg": "RMSprop's running average of g²",
    "grad_avg": "centred RMSprop's running average of g",
    "momentum_buffer": "the momentum buffer b (SGD, RMSprop)",
    "sum": "Adagrad's sum of g²",
}
for _name, _meaning in STATE.items():
    QUANTITIES[_name] = Quantity(_name, _name, "param", _meaning)

# Each recorded value and the quantity that is the loss's gradient with respect to it, under the same key
# (the last layer's activation is recorded as `output`; its gradient is that layer's `grad_activation`).
GRADIENT_OF: dict[str, str] = {"param": "grad", "pre_activation": "delta", "activation": "grad_activation",
                               "value": "grad"}

EXPECTABLE = tuple(name for name, q in QUANTITIES.items() if q.keyed_by != "node")  # in a dense case
GRAPH_EXPECTABLE = ("param", "value", "loss", "grad")  # in a graph case
_STATE_RANK = {name: rank for rank, name in enumerate(STATE)}
_BACKWARD_RANK = {"grad_activation": 0, "delta": 1, "grad": 2}


def layer_of(key: str) -> int:
    """"layers.2.weight" or "layers.2" -> 2."""
    return int(key.split(".")[1])


def computation_order(layers: int, parameters: list[str]):
    """A sort key for (quantity, key) that puts a step's recording in the order it is computed:

    the parameters (the update that made them) and the optimizer's state; each layer's z and a
    from the input up, the output, the unreduced loss and the loss; then from the last layer
    down ∂L/∂a, δ and the layer's weight and bias gradients; last ∂L/∂x.
    """
    position = {name: i for i, name in enumerate(parameters)}

    def key(item: tuple[str, str]) -> tuple:
        quantity, name = item
        if quantity in ("param", "buffer"):
            return (0, position[name], -1)
        if quantity in _STATE_RANK:
            return (0, position[name], _STATE_RANK[quantity])
        if quantity in ("pre_activation", "activation"):
            return (1, layer_of(name), quantity == "activation")
        if quantity in ("output", "unreduced_loss", "loss"):
            return (1, layers, ("output", "unreduced_loss", "loss").index(quantity))
        if quantity in _BACKWARD_RANK:
            # a layer's ∂L/∂a, its δ, then its parameters' gradients in the layer's order (weight before bias)
            return (2, layers - 1 - layer_of(name), _BACKWARD_RANK[quantity], position.get(name, -1))
        if quantity == "input_grad":
            return (2, layers, 0)
        raise ValueError(f"unknown quantity {quantity!r}")

    return key


def pass_quantities(pre_activations: list, activations: list, unreduced_loss, loss: float,
                    grad_activations: list | None, deltas: list | None, grads: dict, input_grad) -> dict:
    """One forward and backward pass under the recorded quantities' names, for every engine: layer i's
    z, a, ∂L/∂a and δ keyed "layers.i" (the last layer's a as `output`), each parameter's gradient
    under its own name. None — an engine without ℓ, a layer without ∂L/∂a (the last one on logits),
    no input gradient (an embedding's indices) — is left out."""
    last = len(pre_activations) - 1
    values = {}
    for i, z in enumerate(pre_activations):
        values[("pre_activation", f"layers.{i}")] = z
        if i < last:
            values[("activation", f"layers.{i}")] = activations[i]
    values[("output", "")] = activations[last]
    if unreduced_loss is not None:
        values[("unreduced_loss", "")] = unreduced_loss
    values[("loss", "")] = np.asarray(loss)
    for i in range(last, -1, -1):
        if grad_activations is not None and grad_activations[i] is not None:
            values[("grad_activation", f"layers.{i}")] = grad_activations[i]
        if deltas is not None and deltas[i] is not None:
            values[("delta", f"layers.{i}")] = deltas[i]
    values.update({("grad", name): grad for name, grad in grads.items()})
    if input_grad is not None:
        values[("input_grad", "")] = input_grad
    return values

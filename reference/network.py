"""The network that strings layers, activations and a loss together. NumPy only.

Forward, layer i = 0 … L−1 (a⁽⁰⁾ = x is the input; the textbooks' a⁽ⁱ⁺¹⁾ is layer i's activation):
    z = dense_forward(a_prev, weight, bias)             z = a_prev @ weight.T + bias
        (or the layer type's own: conv2d_forward, max_pool2d_forward, … in reference/layers.py)
    a = <activation>_forward(z)
    ℓ = <loss>_unreduced(prediction, y);  L = <loss>(prediction, y)      prediction = a, or z on logits
Backward, the output gradient once, then one loop from the last layer down:
    grad_a = <loss>_backward(a, y)                      (on logits: grad_z = <loss>_backward(z, y))
    grad_z = <activation>_backward(grad_a, z, a)        δ = ∂L/∂z
    grad_a_prev, grad_weight, grad_bias = dense_backward(grad_z, a_prev, weight)
        (or the layer type's own backward; which arguments each takes is declared in cases/layer_types.py)

Every building block is looked up by name in a `Blocks` table (reference/blocks.py), so a user's
implementation can replace any of them; every array a block returns is checked for shape
where it is produced, and a wrong one is reported with the function's name.
"""

from dataclasses import dataclass

import numpy as np

from cases import Case
from cases.quantities import pass_quantities
from cases.vocabulary import PER_ROW
from reference.blocks import REFERENCE, Blocks, loss_stem
from reference.guard import BlockError, Pass, call, checked, whole_pass
from reference.plan import LayerPlan, layer_arguments, plan

__all__ = ["BlockError", "Pass", "forward", "forward_backward", "loss_only", "pass_values"]


@dataclass
class Forward:
    inputs: list[np.ndarray]  # what each layer received
    pre_activations: list[np.ndarray]
    activations: list[np.ndarray]
    buffers: dict[str, np.ndarray]  # the running statistics after this pass


def forward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, blocks: Blocks = REFERENCE, step: int = 0,
            buffers: dict[str, np.ndarray] | None = None, plans: list[LayerPlan] | None = None) -> Forward:
    """Every layer's input, z and a, input side first, and the running statistics after this pass."""
    buffers = dict(case.buffers() if buffers is None else buffers)
    training = case.training_at(step)
    inputs, pre_activations, activations = [], [], []
    a = x
    for layer in plan(case) if plans is None else plans:
        inputs.append(a)
        arguments = layer_arguments(case, layer, layer.calls.forward, params, buffers, a, step)
        name = layer.forward
        z = checked(blocks, name, "z", call(blocks, name, a, *arguments, **layer.options[name, training]),
                    (len(x), *layer.definition.shape), layer.where)
        if layer.calls.running is not None and training:  # batch norm: the running statistics move
            name = f"{layer.definition.type}_running"
            running = call(blocks, name, a, *(buffers[layer.keys[key]] for key in layer.calls.buffers),
                           **layer.options[name, True])
            for key, value in zip(layer.calls.buffers, running, strict=True):
                buffers[layer.keys[key]] = checked(blocks, name, key, value, (a.shape[1],), layer.where)
        name = layer.activation_forward
        a = checked(blocks, name, "a", call(blocks, name, z, **layer.definition.activation_options), z.shape, layer.where)
        pre_activations.append(z)
        activations.append(a)
    return Forward(inputs, pre_activations, activations, buffers)


def forward_backward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                     blocks: Blocks = REFERENCE, step: int = 0, buffers: dict[str, np.ndarray] | None = None,
                     plans: list[LayerPlan] | None = None) -> Pass:
    """Loss and gradients of every parameter and of the inputs x (B, …) for targets y, at `step`
    (which dropout mask) with the running statistics `buffers` (the case's initial ones if None);
    `plans` is plan(case), passed by a caller that makes many passes."""
    if "forward_backward" in blocks:
        return whole_pass(blocks, case, params, x, y)
    plans = plan(case) if plans is None else plans
    buffers = case.buffers() if buffers is None else buffers  # what the forward received; the backward gets the same
    passed = forward(case, params, x, blocks, step, buffers, plans)
    inputs, pre_activations, activations = passed.inputs, passed.pre_activations, passed.activations

    stem = loss_stem(case.loss)
    prediction = pre_activations[-1] if case.on_logits else activations[-1]
    unreduced = call(blocks, f"{stem}_unreduced", prediction, y, **case.loss_options)
    terms_shape = (len(x),) if case.loss in PER_ROW else prediction.shape
    unreduced = checked(blocks, f"{stem}_unreduced", "ℓ", unreduced, terms_shape, "the loss")
    loss = float(call(blocks, stem, prediction, y, **case.loss_options))
    grad_prediction = checked(blocks, f"{stem}_backward", "the output gradient",
                              call(blocks, f"{stem}_backward", prediction, y, **case.loss_options),
                              prediction.shape, "the loss")
    grad_z = grad_prediction if case.on_logits else None
    grad_a = None if case.on_logits else grad_prediction

    training = case.training_at(step)
    grads: dict[str, np.ndarray] = {}
    grad_activations: list[np.ndarray | None] = [None] * len(plans)
    deltas: list[np.ndarray] = [None] * len(plans)  # type: ignore[list-item]
    for layer in reversed(plans):
        i, where, returns = layer.i, layer.where, layer.calls.returns
        if grad_a is not None:
            grad_activations[i] = grad_a
            name = layer.activation_backward
            grad_z = checked(blocks, name, "grad_x", call(blocks, name, grad_a, pre_activations[i], activations[i],
                                                          **layer.definition.activation_options), grad_a.shape, where)
        deltas[i] = grad_z
        name = layer.backward
        arguments = layer_arguments(case, layer, layer.calls.backward, params, buffers, inputs[i], step)
        result = call(blocks, name, grad_z, inputs[i], *arguments, **layer.options[name, training])
        returned = result if len(returns) > 1 else (result,)
        if not isinstance(returned, tuple) or len(returned) != len(returns):
            raise BlockError(name, blocks.owner(name), f"returned something other than "
                                                       f"({', '.join('grad_' + r for r in returns)})")
        grad_a = None
        for what, value in zip(returns, returned, strict=True):
            key = layer.keys[what]
            if what == "x":
                grad_a = checked(blocks, name, "grad_x", value, inputs[i].shape, where)
            elif key in params:
                grads[key] = checked(blocks, name, f"grad_{what}", value, params[key].shape, key)
    return Pass(pre_activations, activations, loss, grads, input_grad=grad_a, unreduced_loss=unreduced,
                grad_activations=grad_activations, deltas=deltas, buffers=passed.buffers)


def loss_only(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
              blocks: Blocks = REFERENCE, step: int = 0) -> float:
    """The forward pass and the loss, nothing else (for finite differences)."""
    passed = forward(case, params, x, blocks, step)
    prediction = passed.pre_activations[-1] if case.on_logits else passed.activations[-1]
    return float(blocks[loss_stem(case.loss)](prediction, y, **case.loss_options))


def pass_values(case: Case, result: Pass, plans: list[LayerPlan] | None = None) -> dict[tuple[str, str], np.ndarray]:
    """A pass's arrays under the recorded quantities' names (cases.quantities)."""
    plans = plan(case) if plans is None else plans
    grads = {name: result.grads[name] for layer in plans for name in layer.parameters if name in result.grads}
    return pass_quantities(result.pre_activations, result.activations, result.unreduced_loss, result.loss,
                           result.grad_activations, result.deltas, grads, result.input_grad)

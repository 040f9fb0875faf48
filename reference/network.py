"""The network that strings dense layers, activations and a loss together. NumPy only.

Forward, layer i = 0 … L−1 (a⁽⁰⁾ = x is the input; the textbooks' a⁽ⁱ⁺¹⁾ is layer i's activation):
    z = dense_forward(a_prev, weight, bias)             z = a_prev @ weight.T + bias
    a = <activation>_forward(z)
    ℓ = <loss>_unreduced(prediction, y);  L = <loss>(prediction, y)      prediction = a, or z on logits
Backward, the output gradient once, then one loop from the last layer down:
    grad_a = <loss>_backward(a, y)                      (on logits: grad_z = <loss>_backward(z, y))
    grad_z = <activation>_backward(grad_a, z, a)        δ = ∂L/∂z
    grad_a_prev, grad_weight, grad_bias = dense_backward(grad_z, a_prev, weight)

Every building block is looked up by name in a `Blocks` table (reference/blocks.py), so a user's
implementation can replace any of them; every array a block returns is checked for shape
where it is produced, and a wrong one is reported with the function's name.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cases import Case
from reference.blocks import REFERENCE, Blocks, loss_stem


class BlockError(Exception):
    """A building block failed or returned the wrong thing: the message names the function."""

    def __init__(self, function: str, owner: str, message: str) -> None:
        self.function = function
        self.owner = owner
        who = "your" if owner == "yours" else "the reference's"
        super().__init__(f"{who} {function} {message}")


@dataclass
class Pass:
    """One forward and backward pass on one batch; per-layer lists are input side first."""

    pre_activations: list[np.ndarray]
    activations: list[np.ndarray]
    loss: float
    grads: dict[str, np.ndarray]
    input_grad: np.ndarray
    unreduced_loss: np.ndarray | None = None
    grad_activations: list[np.ndarray | None] | None = None  # ∂L/∂a per layer; None where not computed
    deltas: list[np.ndarray] | None = None  # δ = ∂L/∂z per layer
    extra: dict = field(default_factory=dict)


def checked(blocks: Blocks, name: str, what: str, value: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
    """`value` if it is an array of `shape`; otherwise a BlockError naming the function."""
    if not isinstance(value, np.ndarray):
        raise BlockError(name, blocks.owner(name), f"returned {type(value).__name__} for {what} {where}; "
                                                   f"expected an array of shape {shape}")
    if value.shape != shape:
        hint = " (transposed?)" if value.shape == shape[::-1] and len(shape) == 2 else ""
        raise BlockError(name, blocks.owner(name), f"returned {what} of shape {value.shape} for {where}; "
                                                   f"expected {shape}{hint}")
    return value


def call(blocks: Blocks, name: str, *arguments, **options):
    """blocks[name](*arguments, **options); an exception raised by a user's function names it."""
    function = blocks.functions[name]
    if name not in blocks.owners or blocks.owners[name] == "reference":
        return function(*arguments, **options)
    try:
        return function(*(a.copy() if isinstance(a, np.ndarray) else a for a in arguments), **options)
    except BlockError:
        raise
    except Exception as error:
        raise BlockError(name, "yours", f"raised {type(error).__name__}: {error}") from error


def forward_backward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                     blocks: Blocks = REFERENCE) -> Pass:
    """Loss and gradients of every parameter and of the inputs x (B, D) for targets y."""
    if "forward_backward" in blocks:
        return whole_pass(blocks, case, params, x, y)
    layers = case.layers
    inputs, pre_activations, activations = [], [], []
    a = x
    for i, layer in enumerate(layers):
        inputs.append(a)
        weight, bias = params[f"layers.{i}.weight"], params.get(f"layers.{i}.bias")
        z = checked(blocks, "dense_forward", "z", call(blocks, "dense_forward", a, weight, bias),
                    (len(x), layer.units), f"layers.{i}")
        name = f"{layer.activation}_forward"
        a = checked(blocks, name, "a", call(blocks, name, z, **layer.activation_options), z.shape, f"layers.{i}")
        pre_activations.append(z)
        activations.append(a)

    stem = loss_stem(case.loss)
    prediction = pre_activations[-1] if case.on_logits else activations[-1]
    unreduced = call(blocks, f"{stem}_unreduced", prediction, y, **case.loss_options)
    terms_shape = (len(x),) if case.loss == "cross_entropy" else prediction.shape
    unreduced = checked(blocks, f"{stem}_unreduced", "ℓ", unreduced, terms_shape, "the loss")
    loss = float(call(blocks, stem, prediction, y, **case.loss_options))
    grad_prediction = checked(blocks, f"{stem}_backward", "the output gradient",
                              call(blocks, f"{stem}_backward", prediction, y, **case.loss_options),
                              prediction.shape, "the loss")
    grad_z = grad_prediction if case.on_logits else None
    grad_a = None if case.on_logits else grad_prediction

    grads: dict[str, np.ndarray] = {}
    grad_activations: list[np.ndarray | None] = [None] * len(layers)
    deltas: list[np.ndarray] = [None] * len(layers)  # type: ignore[list-item]
    for i in range(len(layers) - 1, -1, -1):
        layer, where = layers[i], f"layers.{i}"
        if grad_a is not None:
            grad_activations[i] = grad_a
            name = f"{layer.activation}_backward"
            grad_z = checked(blocks, name, "grad_x", call(blocks, name, grad_a, pre_activations[i], activations[i],
                                                          **layer.activation_options), grad_a.shape, where)
        deltas[i] = grad_z
        weight = params[f"{where}.weight"]
        result = call(blocks, "dense_backward", grad_z, inputs[i], weight)
        if not isinstance(result, tuple) or len(result) != 3:
            raise BlockError("dense_backward", blocks.owner("dense_backward"),
                             "returned something other than (grad_x, grad_weight, grad_bias)")
        grad_a = checked(blocks, "dense_backward", "grad_x", result[0], inputs[i].shape, where)
        grads[f"{where}.weight"] = checked(blocks, "dense_backward", "grad_weight", result[1], weight.shape,
                                           f"{where}.weight")
        if f"{where}.bias" in params:
            grads[f"{where}.bias"] = checked(blocks, "dense_backward", "grad_bias", result[2], (layer.units,),
                                             f"{where}.bias")
    return Pass(pre_activations, activations, loss, grads, input_grad=grad_a, unreduced_loss=unreduced,
                grad_activations=grad_activations, deltas=deltas)


def loss_only(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
              blocks: Blocks = REFERENCE) -> float:
    """The forward pass and the loss, nothing else (for finite differences)."""
    z = a = x
    for i, layer in enumerate(case.layers):
        z = blocks["dense_forward"](a, params[f"layers.{i}.weight"], params.get(f"layers.{i}.bias"))
        a = blocks[f"{layer.activation}_forward"](z, **layer.activation_options)
    return float(blocks[loss_stem(case.loss)](z if case.on_logits else a, y, **case.loss_options))


def whole_pass(blocks: Blocks, case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> Pass:
    """A user's own forward_backward: its result checked field by field."""
    result = call(blocks, "forward_backward", case, params, x, y)
    if isinstance(result, dict):
        known = set(Pass.__dataclass_fields__)
        unknown = set(result) - known
        if unknown:
            raise BlockError("forward_backward", blocks.owner("forward_backward"),
                             f"returned unknown fields {sorted(unknown)}; expected {sorted(known)}")
        try:
            result = Pass(**result)
        except TypeError as error:
            raise BlockError("forward_backward", blocks.owner("forward_backward"), f"returned an incomplete result ({error})") from None
    if not isinstance(result, Pass):
        raise BlockError("forward_backward", blocks.owner("forward_backward"),
                         f"returned {type(result).__name__}; expected a reference.network.Pass or a dict")
    name = "forward_backward"
    for i, layer in enumerate(case.layers):
        rows = (len(x), layer.units)
        checked(blocks, name, "z", result.pre_activations[i], rows, f"layers.{i}")
        checked(blocks, name, "a", result.activations[i], rows, f"layers.{i}")
    for param, value in params.items():
        checked(blocks, name, "a gradient", result.grads.get(param), value.shape, param)
    checked(blocks, name, "input_grad", result.input_grad, x.shape, "the inputs")
    return result


def pass_values(case: Case, result: Pass) -> dict[tuple[str, str], np.ndarray]:
    """A pass's arrays under the recorded quantities' names (cases.quantities)."""
    last = len(case.layers) - 1
    values: dict[tuple[str, str], np.ndarray] = {}
    for i in range(last + 1):
        values[("pre_activation", f"layers.{i}")] = result.pre_activations[i]
        if i < last:
            values[("activation", f"layers.{i}")] = result.activations[i]
    values[("output", "")] = result.activations[last]
    if result.unreduced_loss is not None:
        values[("unreduced_loss", "")] = result.unreduced_loss
    values[("loss", "")] = np.asarray(result.loss)
    for i in range(last, -1, -1):
        if result.grad_activations is not None and result.grad_activations[i] is not None:
            values[("grad_activation", f"layers.{i}")] = result.grad_activations[i]
        if result.deltas is not None and result.deltas[i] is not None:
            values[("delta", f"layers.{i}")] = result.deltas[i]
        for name in (f"layers.{i}.weight", f"layers.{i}.bias"):
            if name in result.grads:
                values[("grad", name)] = result.grads[name]
    values[("input_grad", "")] = result.input_grad
    return values


Differentiate = Callable[[Case, dict[str, np.ndarray], np.ndarray, np.ndarray], Pass]

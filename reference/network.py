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
        (or the layer type's own backward; which arguments each takes is LAYER_CALLS in blocks.py)

Every building block is looked up by name in a `Blocks` table (reference/blocks.py), so a user's
implementation can replace any of them; every array a block returns is checked for shape
where it is produced, and a wrong one is reported with the function's name.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cases import Case
from cases.case import Layer
from reference.blocks import CONTRACT, LAYER_CALLS, REFERENCE, Blocks, Calls, loss_stem


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
    input_grad: np.ndarray | None  # None when the inputs are integer indices (an embedding)
    unreduced_loss: np.ndarray | None = None
    grad_activations: list[np.ndarray | None] | None = None  # ∂L/∂a per layer; None where not computed
    deltas: list[np.ndarray] | None = None  # δ = ∂L/∂z per layer
    extra: dict = field(default_factory=dict)
    buffers: dict[str, np.ndarray] = field(default_factory=dict)  # running statistics after the pass


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
    blocks.called.add(name)
    try:
        return function(*(a.copy() if isinstance(a, np.ndarray) else a for a in arguments), **options)
    except BlockError:
        raise
    except Exception as error:
        raise BlockError(name, "yours", f"raised {type(error).__name__}: {error}") from error


@dataclass
class Forward:
    inputs: list[np.ndarray]  # what each layer received
    pre_activations: list[np.ndarray]
    activations: list[np.ndarray]
    buffers: dict[str, np.ndarray]  # the running statistics after this pass


@dataclass(frozen=True)
class LayerPlan:
    """Layer i's function names, argument keys and options, worked out once per case (`plan`)
    rather than at every step: on a two-layer network the lookups cost as much as the arithmetic."""

    i: int
    where: str  # "layers.i"
    definition: Layer  # the case's layer
    calls: Calls
    forward: str  # "<type>_forward"
    backward: str
    activation_forward: str  # "<activation>_forward"
    activation_backward: str
    keys: dict[str, str]  # an argument or a returned gradient's name -> its key ("weight" -> "layers.i.weight")
    options: dict[tuple[str, bool], dict]  # (function, training) -> the options it takes
    parameters: tuple[str, ...]  # the layer's parameter keys, in the order it holds them
    only_parameters: bool  # every argument after x is a parameter (dense, conv2d, embedding, pooling)


def plan(case: Case) -> list[LayerPlan]:
    """Every layer's LayerPlan, input side first."""
    plans = []
    for i, layer in enumerate(case.layers):
        calls, where = LAYER_CALLS[layer.type], f"layers.{i}"
        functions = [f"{layer.type}_forward", f"{layer.type}_backward"]
        if layer.type == "batch_norm":
            functions.append("batch_norm_running")
        names = {*calls.forward, *calls.backward, *calls.returns}
        plans.append(LayerPlan(
            i, where, layer, calls, functions[0], functions[1], f"{layer.activation}_forward",
            f"{layer.activation}_backward", keys={name: f"{where}.{name}" for name in names},
            options={(function, training): layer_options(function, layer, training)
                     for function in functions for training in (True, False)},
            parameters=tuple(case.layer_parameters(i)),
            only_parameters=not STEP_ARGUMENTS.intersection(calls.forward + calls.backward)))
    return plans


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
        if layer.definition.type == "batch_norm" and training:
            name = "batch_norm_running"
            running = call(blocks, name, a, buffers[layer.keys["running_mean"]], buffers[layer.keys["running_var"]],
                           **layer.options[name, True])
            for key, value in zip(("running_mean", "running_var"), running, strict=True):
                buffers[layer.keys[key]] = checked(blocks, name, key, value, (a.shape[1],), layer.where)
        name = layer.activation_forward
        a = checked(blocks, name, "a", call(blocks, name, z, **layer.definition.activation_options), z.shape, layer.where)
        pre_activations.append(z)
        activations.append(a)
    return Forward(inputs, pre_activations, activations, buffers)


STEP_ARGUMENTS = frozenset({"running_mean", "running_var", "draws", "normalized_shape", "h0", "c0"})
"""A layer's arguments that are not parameters: the step supplies them (reference/blocks.py Calls)."""


def layer_arguments(case: Case, layer: LayerPlan, names: tuple[str, ...], params: dict[str, np.ndarray],
                    buffers: dict[str, np.ndarray], x: np.ndarray, step: int) -> list:
    """The arguments after x that a layer's forward or backward takes (reference/blocks.py LAYER_CALLS)."""
    if layer.only_parameters:
        return [params.get(layer.keys[name]) for name in names]  # None where the layer has none (bias = false)

    def argument(name: str):
        if name in ("running_mean", "running_var"):
            return buffers[layer.keys[name]]
        if name == "draws":
            return case.dropout_draws(layer.i, step, x.shape)
        if name == "normalized_shape":
            return tuple(layer.definition.options[name])
        if name in ("h0", "c0"):
            return case.initial_state(layer.i, name, len(x))
        return params.get(layer.keys[name])
    return [argument(name) for name in names]


def layer_options(function: str, layer: Layer, training: bool) -> dict:
    """The case's options that `function` takes (the rest shape the layer), and the mode where it matters."""
    given = LAYER_CALLS[layer.type].forward  # passed by position (normalized_shape)
    accepted = CONTRACT[function].options + CONTRACT[function].arguments  # kernel_size has no default
    options = {key: value for key, value in layer.options.items() if key in accepted and key not in given}
    if "training" in accepted:
        options["training"] = training
    return options


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
    terms_shape = (len(x),) if case.loss == "cross_entropy" else prediction.shape
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
        rows = (len(x), *layer.shape)
        checked(blocks, name, "z", result.pre_activations[i], rows, f"layers.{i}")
        checked(blocks, name, "a", result.activations[i], rows, f"layers.{i}")
    for param, value in params.items():
        checked(blocks, name, "a gradient", result.grads.get(param), value.shape, param)
    checked(blocks, name, "input_grad", result.input_grad, x.shape, "the inputs")
    return result


def pass_values(case: Case, result: Pass, plans: list[LayerPlan] | None = None) -> dict[tuple[str, str], np.ndarray]:
    """A pass's arrays under the recorded quantities' names (cases.quantities)."""
    plans = plan(case) if plans is None else plans
    last = plans[-1]
    values: dict[tuple[str, str], np.ndarray] = {}
    for layer in plans:
        values[("pre_activation", layer.where)] = result.pre_activations[layer.i]
        if layer is not last:
            values[("activation", layer.where)] = result.activations[layer.i]
    values[("output", "")] = result.activations[last.i]
    if result.unreduced_loss is not None:
        values[("unreduced_loss", "")] = result.unreduced_loss
    values[("loss", "")] = np.asarray(result.loss)
    for layer in reversed(plans):
        if result.grad_activations is not None and result.grad_activations[layer.i] is not None:
            values[("grad_activation", layer.where)] = result.grad_activations[layer.i]
        if result.deltas is not None and result.deltas[layer.i] is not None:
            values[("delta", layer.where)] = result.deltas[layer.i]
        for name in layer.parameters:
            if name in result.grads:
                values[("grad", name)] = result.grads[name]
    if result.input_grad is not None:  # None: the inputs are an embedding's indices
        values[("input_grad", "")] = result.input_grad
    return values


Differentiate = Callable[[Case, dict[str, np.ndarray], np.ndarray, np.ndarray], Pass]

"""The same network, differentiated by the tape instead of hand-derived formulas. NumPy only.

Only forward formulas are written here, as compositions of the tape's primitives
(reference/composites.py); every gradient — δ, ∂L/∂a, the parameters', the inputs' — comes from
replaying the tape (reference/tape.py). Binary cross-entropy is the one call whose backward is
torch's formula rather than derived (see tape.binary_cross_entropy). Options the case leaves out
take the defaults written in the reference functions' signatures.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cases import Case
from reference import activations as formulas
from reference import composites as c
from reference import losses
from reference import tape as t
from reference.network import Pass
from reference.tape import Tape, Variable


def option(function: Callable, options: dict, key: str) -> float:
    """The case's option, or the default written in the reference function's signature."""
    return options.get(key, inspect.signature(function).parameters[key].default)


def activation(name: str, z: Variable, options: dict) -> Variable:
    if name == "identity":
        return z
    if name in ("relu", "sigmoid", "tanh", "softmax"):
        return getattr(c, name)(z)
    if name == "leaky_relu":
        return c.leaky_relu(z, option(formulas.leaky_relu_forward, options, "negative_slope"))
    if name == "elu":
        return c.elu(z, option(formulas.elu_forward, options, "alpha"))
    if name == "softplus":
        return c.softplus(z, option(formulas.softplus_forward, options, "beta"),
                          option(formulas.softplus_forward, options, "threshold"))
    if name == "gelu":
        return c.gelu(z, option(formulas.gelu_forward, options, "approximate"))
    raise ValueError(f"no tape form for activation {name!r}")


def loss_terms(name: str, prediction: Variable, y: np.ndarray, options: dict, tape: Tape) -> tuple[Variable, Variable]:
    """(ℓ, L) as tape calls: the unreduced terms and their reduction; `prediction` is the
    output, or the last z for losses on logits."""
    if name == "cross_entropy":
        target = tape.constant(np.eye(prediction.data.shape[1])[y] if y.ndim == 1 else y)
        terms = -t.total(target * c.log_softmax(prediction), axis=1)
        return terms, (1 / len(y)) * t.total(terms)
    target = tape.constant(y)
    error = prediction - target
    if name == "sse":
        terms = error**2
    elif name == "half_sse":
        terms = 0.5 * error**2
    elif name == "mse":
        terms = error**2
    elif name == "mae":
        terms = t.absolute(error)
    elif name == "huber":
        delta = option(losses.huber, options, "delta")
        size = t.absolute(error)
        terms = t.where(size.data < delta, 0.5 * error**2, delta * (size - 0.5 * delta))
    elif name == "bce":
        terms = t.binary_cross_entropy(prediction, y, losses.LOG_FLOOR, losses.BCE_EPSILON)
    elif name == "bce_with_logits":
        z = prediction
        terms = t.maximum(z, tape.constant(0.0)) - z * target + t.log(1.0 + t.exp(-t.absolute(z)))
    else:
        raise ValueError(f"no tape form for loss {name!r}")
    return terms, (t.total(terms) if name in ("sse", "half_sse") else t.mean(terms))


def record_forward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray
                   ) -> tuple[Tape, dict[str, Variable], Variable, Variable, list[Variable], list[Variable]]:
    """The forward pass and loss recorded on a fresh tape (nothing differentiated yet).

    Returns the tape, the leaves (every parameter by name, and "x"), the unreduced loss, the
    loss, and each layer's pre-activation and activation.
    """
    tape = Tape(dtype=x.dtype)
    leaves = {name: tape.variable(value, name) for name, value in params.items()}
    a = x_leaf = tape.variable(x, "x")
    pre_activations, activations = [], []
    for i, layer in enumerate(case.layers):
        z = a @ leaves[f"layers.{i}.weight"].T
        if f"layers.{i}.bias" in leaves:
            z = z + leaves[f"layers.{i}.bias"]
        a = activation(layer.activation, z, layer.activation_options)
        pre_activations.append(z)
        activations.append(a)
    prediction = pre_activations[-1] if case.on_logits else activations[-1]
    terms, value = loss_terms(case.loss, prediction, y, case.loss_options, tape)
    return tape, {**leaves, "x": x_leaf}, terms, value, pre_activations, activations


def forward_backward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> Pass:
    """Loss and gradients by the tape: record the forward calls, then unwind them."""
    tape, leaves, terms, value, pre_activations, activations = record_forward(case, params, x, y)
    tape.backward(value)

    def gradient(variable: Variable, like: np.ndarray) -> np.ndarray:
        return variable.grad if variable.grad is not None else np.zeros_like(like)

    last = len(case.layers) - 1
    grad_activations = [gradient(a, a.data) for a in activations]
    if case.on_logits:
        grad_activations[last] = None
    return Pass(pre_activations=[z.data for z in pre_activations], activations=[a.data for a in activations],
                loss=float(value.data), grads={name: gradient(leaves[name], params[name]) for name in params},
                input_grad=gradient(leaves["x"], x), unreduced_loss=terms.data,
                grad_activations=grad_activations, deltas=[gradient(z, z.data) for z in pre_activations])


@dataclass(frozen=True)
class TraceCall:
    """One call of the tape, for display: what it was called on, what it gave, what it sent back."""

    number: int
    operation: str
    inputs: tuple[tuple[str | None, np.ndarray], ...]  # (a leaf's name or "v3" for call 3's output, or None for a constant; value)
    value: np.ndarray
    grad_out: np.ndarray | None  # None: this call does not lead to the loss
    sends: tuple[tuple[str, np.ndarray], ...]  # (input's label, gradient added to it), constants left out


def trace(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
          max_calls: int = 60, max_elements: int = 6) -> list[TraceCall] | None:
    """The tape of one pass, in forward order, with the backward replay; None when too large to print."""
    tape, leaves, _, value, _, _ = record_forward(case, params, x, y)
    if len(tape.records) > max_calls or any(r.output.data.size > max_elements for r in tape.records):
        return None
    tape.backward(value)
    labels = {id(leaf): name for name, leaf in leaves.items()}
    for number, record in enumerate(tape.records, 1):
        labels[id(record.output)] = f"v{number}"
    calls = []
    for number, record in enumerate(tape.records, 1):
        inputs = tuple((labels.get(id(v)), v.data) for v in record.inputs)
        sends = () if record.output.grad is None else tuple(
            (labels[id(v)], g) for v, g in zip(record.inputs, record.local_grads, strict=True) if id(v) in labels)
        calls.append(TraceCall(number, record.operation, inputs, record.output.data, record.output.grad, sends))
    return calls

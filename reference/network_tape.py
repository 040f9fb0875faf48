"""The same network, differentiated by the tape instead of hand-derived formulas. NumPy only.

Only forward formulas are written here; every gradient comes from replaying the tape
(reference/tape.py). Activations and losses without a primitive of their own are composed from
primitives, so the tape derives their derivatives itself: leaky_relu, elu and softplus from
`where`, gelu from `erf` or `tanh`, cross-entropy from `log_softmax`. Binary cross-entropy is
one call, as in torch (see tape.binary_cross_entropy).
"""

import inspect
import math
from collections.abc import Callable

import numpy as np

from cases import Case
from reference import tape as t
from reference.activations import elu_forward, gelu_forward, leaky_relu_forward, softplus_forward
from reference.losses import huber
from reference.network import Pass
from reference.tape import Tape, Variable


def option(function: Callable, options: dict, key: str) -> float:
    """The case's option, or the default written in the reference function's signature."""
    return options.get(key, inspect.signature(function).parameters[key].default)


def activation(name: str, z: Variable, options: dict) -> Variable:
    if name == "identity":
        return z
    if name == "relu":
        return t.relu(z)
    if name == "sigmoid":
        return t.sigmoid(z)
    if name == "tanh":
        return t.tanh(z)
    if name == "softmax":
        return t.softmax(z)
    if name == "leaky_relu":
        return t.where(z.data > 0, z, option(leaky_relu_forward, options, "negative_slope") * z)
    if name == "elu":
        return t.where(z.data > 0, z, option(elu_forward, options, "alpha") * (t.exp(z) - 1.0))
    if name == "softplus":
        beta, threshold = option(softplus_forward, options, "beta"), option(softplus_forward, options, "threshold")
        return t.where(z.data * beta > threshold, z, (1 / beta) * t.log(1.0 + t.exp(beta * z)))
    if name == "gelu" and option(gelu_forward, options, "approximate") == "tanh":
        inner = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
        return 0.5 * z * (1.0 + t.tanh(inner))
    if name == "gelu":
        return 0.5 * z * (1.0 + t.erf(math.sqrt(0.5) * z))
    raise ValueError(f"no tape form for activation {name!r}")


def loss(name: str, prediction: Variable, y: np.ndarray, options: dict, tape: Tape) -> Variable:
    """The loss as tape calls; `prediction` is the output, or the last z for losses on logits."""
    if name == "cross_entropy":
        target = tape.constant(np.eye(prediction.data.shape[1])[y] if y.ndim == 1 else y)
        return -(1 / len(y)) * t.total(target * t.log_softmax(prediction))
    target = tape.constant(y)
    error = prediction - target
    if name == "sse":
        return t.total(error**2)
    if name == "half_sse":
        return 0.5 * t.total(error**2)
    if name == "mse":
        return t.mean(error**2)
    if name == "mae":
        return t.mean(t.absolute(error))
    if name == "huber":
        delta = option(huber, options, "delta")
        size = t.absolute(error)
        return t.mean(t.where(size.data < delta, 0.5 * error**2, delta * (size - 0.5 * delta)))
    if name == "bce":
        return t.binary_cross_entropy(prediction, target.data)
    if name == "bce_with_logits":
        z = prediction
        return t.mean(t.relu(z) - z * target + t.log(1.0 + t.exp(-t.absolute(z))))
    raise ValueError(f"no tape form for loss {name!r}")


ON_LOGITS = ("bce_with_logits", "cross_entropy")


def record_forward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray
                   ) -> tuple[Tape, dict[str, Variable], Variable, list[Variable], list[Variable]]:
    """The forward pass and loss recorded on a fresh tape (nothing differentiated yet).

    Returns the tape, the leaves (every parameter by name, and "x"), the loss, and each
    layer's pre-activation and activation.
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
    prediction = pre_activations[-1] if case.loss in ON_LOGITS else activations[-1]
    value = loss(case.loss, prediction, y, case.loss_options, tape)
    return tape, {**leaves, "x": x_leaf}, value, pre_activations, activations


def forward_backward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> Pass:
    """Loss and gradients by the tape: record the forward calls, then unwind them."""
    tape, leaves, value, pre_activations, activations = record_forward(case, params, x, y)
    tape.backward(value)
    grads = {name: leaves[name].grad if leaves[name].grad is not None else np.zeros_like(params[name])
             for name in params}
    return Pass(pre_activations=[z.data for z in pre_activations], activations=[a.data for a in activations],
                loss=float(value.data), grads=grads, input_grad=leaves["x"].grad)

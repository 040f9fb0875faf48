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
from cases.vocabulary import SUMMED
from reference import activations as formulas
from reference import composites as c
from reference import layers as formulas_layers
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
    return terms, (t.total(terms) if name in SUMMED else t.mean(terms))


@dataclass
class Recorded:
    tape: Tape
    leaves: dict[str, Variable]  # every parameter by name, and "x"
    terms: Variable  # ℓ
    loss: Variable  # L
    pre_activations: list[Variable]
    activations: list[Variable]
    buffers: dict[str, np.ndarray]  # the running statistics after the pass


def record_forward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, step: int = 0,
                   buffers: dict[str, np.ndarray] | None = None) -> Recorded:
    """The forward pass and loss recorded on a fresh tape (nothing differentiated yet)."""
    tape = Tape(dtype=params[next(iter(params))].dtype if params else x.dtype)
    leaves = {name: tape.variable(value, name) for name, value in params.items()}
    buffers = dict(case.buffers() if buffers is None else buffers)
    a = x_leaf = tape.constant(x) if case.index_inputs else tape.variable(x, "x")
    pre_activations, activations = [], []
    for i, layer in enumerate(case.layers):
        z = layer_forward(case, i, a, leaves, buffers, step)
        a = activation(layer.activation, z, layer.activation_options)
        pre_activations.append(z)
        activations.append(a)
    prediction = pre_activations[-1] if case.on_logits else activations[-1]
    terms, value = loss_terms(case.loss, prediction, y, case.loss_options, tape)
    return Recorded(tape, {**leaves, "x": x_leaf}, terms, value, pre_activations, activations, buffers)


@dataclass
class At:
    """What a layer's composition on the tape works with: the case, the layer's number, the parameters'
    leaves, the running statistics (batch norm updates them here in training mode) and the step."""

    case: Case
    i: int
    leaves: dict[str, Variable]
    buffers: dict[str, np.ndarray]
    step: int

    @property
    def layer(self):
        return self.case.layers[self.i]

    def param(self, name: str) -> Variable | None:
        return self.leaves.get(f"layers.{self.i}.{name}")


def layer_forward(case: Case, i: int, x: Variable, leaves: dict[str, Variable], buffers: dict[str, np.ndarray],
                  step: int) -> Variable:
    """Layer i's z as tape calls, by its type (LAYERS below)."""
    return LAYERS[case.layers[i].type](x, At(case, i, leaves, buffers, step))


def dense(x: Variable, at: At) -> Variable:
    z = x @ at.param("weight").T
    return z if at.param("bias") is None else z + at.param("bias")


def flatten(x: Variable, at: At) -> Variable:
    return t.reshape(x, (x.data.shape[0], -1))


def embedding(x: Variable, at: At) -> Variable:
    """Row `index` of the table for each index, as a pick of positions index·size + 0 … size − 1."""
    weight = at.param("weight")
    size = weight.data.shape[1]
    return t.take(weight, x.data.astype(np.int64)[..., None] * size + np.arange(size))


def dropout(x: Variable, at: At) -> Variable:
    p = option(formulas_layers.dropout_forward, at.layer.options, "p")
    keep = at.case.dropout_draws(at.i, at.step, x.data.shape) >= p
    return x * (keep / (1 - p)) if at.case.training_at(at.step) else x


def layer_norm(x: Variable, at: At) -> Variable:
    options = at.layer.options
    shape = tuple(options["normalized_shape"])
    axes = tuple(range(x.data.ndim - len(shape), x.data.ndim))
    x_hat = normalise(x, axes, option(formulas_layers.layer_norm_forward, options, "eps"))
    return x_hat if at.param("weight") is None else x_hat * at.param("weight") + at.param("bias")


def recurrent(x: Variable, at: At) -> Variable:
    """rnn, lstm and gru written step by step on the tape (the forward formulas of reference/recurrent.py);
    the backward through time is the tape's replay."""
    case, i, layer = at.case, at.i, at.layer
    weight_ih, weight_hh = at.param("weight_ih_l0"), at.param("weight_hh_l0")
    bias_ih, bias_hh = at.param("bias_ih_l0"), at.param("bias_hh_l0")
    rows, steps, hidden = x.data.shape[0], x.data.shape[1], layer.options["hidden_size"]
    h = x.tape.constant(case.initial_state(i, "h0", rows))
    memory = x.tape.constant(case.initial_state(i, "c0", rows)) if layer.type == "lstm" else None  # the LSTM's c

    def affine(value: Variable, weight: Variable, bias: Variable | None) -> Variable:
        product = value @ weight.T
        return product if bias is None else product + bias

    def gate(value: Variable, k: int) -> Variable:  # the k-th block of H columns: torch's gate order
        return t.part(value, (slice(None), slice(k * hidden, (k + 1) * hidden)))

    states = []
    for step in range(steps):
        from_input = affine(t.part(x, (slice(None), step)), weight_ih, bias_ih)
        from_hidden = affine(h, weight_hh, bias_hh)
        if layer.type == "rnn":
            a = from_input + from_hidden
            h = c.tanh(a) if layer.options.get("nonlinearity", "tanh") == "tanh" else c.relu(a)
        elif layer.type == "lstm":
            a = from_input + from_hidden
            input_gate, forget, cell, out = c.sigmoid(gate(a, 0)), c.sigmoid(gate(a, 1)), c.tanh(gate(a, 2)), \
                c.sigmoid(gate(a, 3))
            memory = forget * memory + input_gate * cell
            h = out * c.tanh(memory)
        else:  # gru
            reset = c.sigmoid(gate(from_input, 0) + gate(from_hidden, 0))
            update = c.sigmoid(gate(from_input, 1) + gate(from_hidden, 1))
            new = c.tanh(gate(from_input, 2) + reset * gate(from_hidden, 2))
            h = (1 - update) * new + update * h
        states.append(h)
    return t.stack(states, axis=1) if layer.options.get("output", "all") == "all" else states[-1]


def normalise(x: Variable, axes: tuple[int, ...], eps: float) -> Variable:
    """x̂ = (x − μ) / √(σ² + eps), μ and the biased σ² over `axes`, as sums and products on the tape."""
    n = int(np.prod([x.data.shape[axis] for axis in axes]))
    centred = x - t.total(x, axes, keepdims=True) * (1 / n)
    variance = t.total(centred**2, axes, keepdims=True) * (1 / n)
    return centred / t.sqrt(variance + eps)


def batch_norm(x: Variable, at: At) -> Variable:
    """Training: x̂ from the batch's statistics on the tape, the running statistics moved (not differentiated);
    evaluation: x̂ from the running statistics, constants."""
    weight, bias, where, buffers = at.param("weight"), at.param("bias"), f"layers.{at.i}", at.buffers
    training, options = at.case.training_at(at.step), at.layer.options
    axes = formulas_layers.channel_axes(x.data)  # (B,) for (B, C); (B, H, W) for images
    per_channel = (1, -1) if x.data.ndim == 2 else (1, -1, 1, 1)
    eps = option(formulas_layers.batch_norm_forward, options, "eps")
    mean, variance = buffers[f"{where}.running_mean"], buffers[f"{where}.running_var"]
    if training:
        x_hat = normalise(x, axes, eps)
        n = x.data.size // x.data.shape[1]
        momentum = option(formulas_layers.batch_norm_running, options, "momentum")
        batch_mean, batch_variance = x.data.mean(axis=axes), x.data.var(axis=axes)
        buffers[f"{where}.running_mean"] = (1 - momentum) * mean + momentum * batch_mean
        buffers[f"{where}.running_var"] = (1 - momentum) * variance + momentum * batch_variance * n / (n - 1)
    else:
        x_hat = (x - mean.reshape(per_channel)) * (1 / np.sqrt(variance.reshape(per_channel) + eps))
    if weight is None:
        return x_hat
    return x_hat * t.reshape(weight, per_channel) + t.reshape(bias, per_channel)


def window_index(shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
                 dilation: tuple[int, int]) -> np.ndarray:
    """Flat positions in a padded (B, C, Hp, Wp) array of every window's elements:
    (B, C, OH, OW, kh·kw), element (i, j) of window (h, w) at row h·sh + i·dh, column w·sw + j·dw."""
    batch, channels, height, width = shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh, ow = formulas_layers.fitting(height, kh, sh, dh), formulas_layers.fitting(width, kw, sw, dw)
    rows = (np.arange(oh) * sh)[:, None, None, None] + (np.arange(kh) * dh)[None, None, :, None]
    columns = (np.arange(ow) * sw)[None, :, None, None] + (np.arange(kw) * dw)[None, None, None, :]
    within = (rows * width + columns).reshape(oh, ow, kh * kw)
    planes = (np.arange(batch * channels) * height * width).reshape(batch, channels, 1, 1, 1)
    return planes + within


def windowed(x: Variable, at: At) -> Variable:
    return windowed_2d(at.layer.type, x, at.param("weight"), at.param("bias"), at.layer.options)


def windowed_2d(kind: str, x: Variable, weight: Variable | None, bias: Variable | None, options: dict) -> Variable:
    """conv2d and the pools as picks of every window (tape.take) followed by a product, a max or a mean."""
    function = getattr(formulas_layers, f"{kind}_forward")
    kernel = formulas_layers.pair(weight.data.shape[2:] if kind == "conv2d" else options["kernel_size"])
    stride = formulas_layers.pair(option(function, options, "stride") or kernel)
    padding = formulas_layers.pair(option(function, options, "padding"))
    dilation = formulas_layers.pair(option(function, options, "dilation") if kind != "avg_pool2d" else 1)
    padded = t.pad(x, padding, -np.inf if kind == "max_pool2d" else 0.0)
    index = window_index(padded.data.shape, kernel, stride, dilation)
    windows = t.take(padded, index)  # (B, C, OH, OW, kh·kw)
    batch, channels, oh, ow, size = index.shape
    if kind == "max_pool2d":
        return t.max_first(windows)
    if kind == "avg_pool2d":
        if option(function, options, "count_include_pad"):
            return t.total(windows, -1) * (1 / size)
        inside = np.zeros(padded.data.shape[2:], bool)
        inside[padding[0]: inside.shape[0] - padding[0], padding[1]: inside.shape[1] - padding[1]] = True
        counts = inside.reshape(-1)[index[0, 0]].sum(axis=-1)  # plane (0, 0) starts at 0
        return t.total(windows, -1) * (1 / counts)
    # conv2d: z[b, o, h, w] = Σ_{c, k} weight[o, c, k] · windows[b, c, h, w, k] (+ bias[o]), as one matmul
    rows = t.reshape(t.permute(windows, (0, 2, 3, 1, 4)), (batch * oh * ow, channels * size))
    z = rows @ t.reshape(weight, (weight.data.shape[0], channels * size)).T  # (B·OH·OW, O)
    z = t.permute(t.reshape(z, (batch, oh, ow, -1)), (0, 3, 1, 2))
    return z if bias is None else z + t.reshape(bias, (1, -1, 1, 1))


def conv1d(x: Variable, at: At) -> Variable:
    """conv1d as conv2d on images of height 1: (B, C, L) -> (B, C, 1, L), the kernel (O, C, 1, k)."""
    options = {key: [1, formulas_layers.single(value)] if key != "padding" else [0, formulas_layers.single(value)]
               for key, value in at.layer.options.items() if key in ("stride", "padding", "dilation")}
    batch, channels, length = x.data.shape
    weight = at.param("weight")
    z = windowed_2d("conv2d", t.reshape(x, (batch, channels, 1, length)),
                    t.reshape(weight, (*weight.data.shape[:2], 1, weight.data.shape[2])), at.param("bias"), options)
    return t.reshape(z, (batch, z.data.shape[1], z.data.shape[3]))


LAYERS: dict[str, Callable[[Variable, At], Variable]] = {  # layer type -> its composition on the tape
    "dense": dense, "conv1d": conv1d, "conv2d": windowed, "max_pool2d": windowed, "avg_pool2d": windowed, "flatten": flatten,
    "batch_norm": batch_norm, "layer_norm": layer_norm, "dropout": dropout, "embedding": embedding,
    "rnn": recurrent, "lstm": recurrent, "gru": recurrent,
}


def forward_backward(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, step: int = 0,
                     buffers: dict[str, np.ndarray] | None = None) -> Pass:
    """Loss and gradients by the tape: record the forward calls, then unwind them."""
    recorded = record_forward(case, params, x, y, step, buffers)
    recorded.tape.backward(recorded.loss)
    leaves, pre_activations, activations = recorded.leaves, recorded.pre_activations, recorded.activations

    def gradient(variable: Variable, like: np.ndarray) -> np.ndarray:
        return variable.grad if variable.grad is not None else np.zeros_like(like)

    last = len(case.layers) - 1
    grad_activations = [gradient(a, a.data) for a in activations]
    if case.on_logits:
        grad_activations[last] = None
    return Pass(pre_activations=[z.data for z in pre_activations], activations=[a.data for a in activations],
                loss=float(recorded.loss.data), grads={name: gradient(leaves[name], params[name]) for name in params},
                input_grad=None if case.index_inputs else gradient(leaves["x"], x), unreduced_loss=recorded.terms.data,
                grad_activations=grad_activations, deltas=[gradient(z, z.data) for z in pre_activations],
                buffers=recorded.buffers)


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
    recorded = record_forward(case, params, x, y)
    tape, leaves, value = recorded.tape, recorded.leaves, recorded.loss
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

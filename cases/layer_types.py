"""Every layer type, declared once: what a case may write for it and what its building blocks take.

A declaration says, in torch's words, the options a case may give (with the types accepted; the
defaults are each engine's own — the reference writes torch's in its function signatures, the oracle
lets torch apply them), which must be given, the arrays the layer holds, and what its forward
`<type>_forward(x, …)` and backward `<type>_backward(grad_out, x, …)` take after x and return; its
`plan` checks the options against the input the layer receives and works out one sample's output
shape and its parameters' shapes. The loader (cases/model.py), the reference's table of building
blocks and its argument passing (reference/blocks.py, reference/network.py), the plug-in contract
in docs/plugins.md and the pages all read these declarations. Each engine keeps its own part: the
reference's forward/backward pair (reference/dense.py, layers.py, recurrent.py), the tape's
composition (reference/network_tape.py), the oracle's module (oracle/model.py).

Arguments a forward or backward takes after x are named: a parameter (`weight`, `bias`,
`weight_ih_l0`, …), a running statistic (`running_mean`, `running_var`), or one the step supplies
(STEP_ARGUMENTS: the dropout `draws`, `normalized_shape`, a recurrent layer's `h0`, `c0`).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cases.errors import Invalid
from cases.fields import Fields, shape_text

NUMBER = (float, int)
PAIR = (int, list)  # torch's int-or-pair options: 3 or [3, 2]
STEP_ARGUMENTS = frozenset({"running_mean", "running_var", "draws", "normalized_shape", "h0", "c0"})


@dataclass(frozen=True)
class Plan:
    """What a layer makes of its input: one sample's output shape, its parameters' shapes, how to
    describe the weight's layout, and the fan-in that [model.init] scales by."""

    shape: tuple[int, ...]
    arrays: dict[str, tuple[int, ...]]  # "weight", "bias" -> shape (bias only if the layer may have one)
    layout: str
    fan_in: int


Planner = Callable[[Fields, dict[str, Any], tuple[int, ...], str], Plan]


def pointwise_work(in_shape: tuple[int, ...], out_shape: tuple[int, ...], arrays: dict[str, tuple[int, ...]]
                   ) -> tuple[int, int]:
    """(multiply-adds, numbers held) of one sample's forward pass: a few operations per output number."""
    return 4 * math.prod(out_shape), math.prod(out_shape)


def weighted_work(in_shape: tuple[int, ...], out_shape: tuple[int, ...], arrays: dict[str, tuple[int, ...]]
                  ) -> tuple[int, int]:
    """Each weight multiplies once per output position (a dense layer has one); a convolution also holds
    every window of its input, C·kh·kw numbers per position, which its backward and the tape build."""
    weight = arrays["weight"]
    positions = math.prod(out_shape[1:]) if len(out_shape) > 1 else 1
    windows = math.prod(weight[1:]) * positions if len(weight) > 2 else 0
    return math.prod(weight) * positions, math.prod(out_shape) + windows


def windows_work(in_shape: tuple[int, ...], out_shape: tuple[int, ...], arrays: dict[str, tuple[int, ...]],
                 kernel: int = 1) -> tuple[int, int]:
    """A pooling layer reads every window: kh·kw numbers per output number."""
    return kernel * math.prod(out_shape), (kernel + 1) * math.prod(out_shape)


def recurrent_work(in_shape: tuple[int, ...], out_shape: tuple[int, ...], arrays: dict[str, tuple[int, ...]]
                   ) -> tuple[int, int]:
    """Both weight matrices once per time step; every step's gates held for the backward through time."""
    steps = in_shape[0]
    gates = arrays["weight_ih_l0"][0]
    return steps * (math.prod(arrays["weight_ih_l0"]) + math.prod(arrays["weight_hh_l0"])), steps * 2 * gates


@dataclass(frozen=True)
class LayerType:
    name: str
    options: dict[str, tuple[type, ...]]  # torch's constructor options a case may give, with the types accepted
    plan: Planner  # (fields, the case's options, one sample's input shape, the field) -> Plan; raises Invalid
    torch: str  # the module the oracle builds
    required: tuple[str, ...] = ()
    ours: dict[str, tuple[type, ...]] = field(default_factory=dict)  # options of ours, not torch's (which mask, …)
    parameters: tuple[str, ...] = ()  # the arrays it may hold, by torch's names
    buffers: tuple[str, ...] = ()  # its running statistics
    forward: tuple[str, ...] = ()  # what <type>_forward takes after x
    backward: tuple[str, ...] = ()  # what <type>_backward takes after (grad_out, x)
    returns: tuple[str, ...] = ("x",)  # the backward returns grad_<name> for each, in this order
    shapes: tuple[str, str, str, str] = ("", "", "", "")  # the contract: forward's arguments, its result,
    #                                                       the backward's arguments, its result
    running: tuple[str, str] | None = None  # <type>_running(x, *buffers) after a training-mode pass: (arguments, result)
    gates: str = ""  # a recurrent layer's blocks stacked in weight_ih_l0, in torch's order, one letter each
    work: Callable[..., tuple[int, int]] = pointwise_work  # (multiply-adds, numbers held) per sample: the run's estimate

    @property
    def recurrent(self) -> bool:
        return bool(self.gates)

    @property
    def accepted(self) -> dict[str, tuple[type, ...]]:
        """Every option a case may write for this layer type."""
        return {**self.options, **self.ours}

    @property
    def arrays(self) -> tuple[str, ...]:
        """The arrays a case may give it: its parameters, then its running statistics."""
        return (*self.parameters, *self.buffers)

    @property
    def only_parameters(self) -> bool:
        """Every argument after x is a parameter (dense, conv2d, embedding, pooling): nothing from the step."""
        return not STEP_ARGUMENTS.intersection(self.forward + self.backward)


# ---- planning: the options against the input, and the shapes -------------------------------------

def dense_plan(fields: Fields, options: dict[str, Any], in_shape: tuple[int, ...], field: str) -> Plan:
    if len(in_shape) != 1:
        raise Invalid(f"{field}.type", f"a dense layer takes a vector per sample; it receives {shape_text(in_shape)}: "
                                       "put a flatten layer before it")
    units = positive(options, "units", field)
    return Plan((units,), {"weight": (units, in_shape[0]), "bias": (units,)}, "units × fan_in", in_shape[0])


def flatten_plan(fields: Fields, options: dict[str, Any], in_shape: tuple[int, ...], field: str) -> Plan:
    return Plan((math.prod(in_shape),), {}, "", 0)


def dropout_plan(fields: Fields, options: dict[str, Any], in_shape: tuple[int, ...], field: str) -> Plan:
    if not 0 <= options.get("p", 0.5) < 1:
        raise Invalid(f"{field}.p", f"expected a probability 0 ≤ p < 1, got {options['p']:g}")
    return Plan(in_shape, {}, "", 0)


def embedding_plan(fields: Fields, options: dict[str, Any], in_shape: tuple[int, ...], field: str) -> Plan:
    if len(in_shape) != 1:
        raise Invalid("model.inputs", f"an embedding takes T integer indices per sample; got {shape_text(in_shape)}")
    count, size = positive(options, "num_embeddings", field), positive(options, "embedding_dim", field)
    return Plan((in_shape[0], size), {"weight": (count, size)}, "num_embeddings × embedding_dim", size)


def layer_norm_plan(fields: Fields, options: dict[str, Any], in_shape: tuple[int, ...], field: str) -> Plan:
    normalized = options.get("normalized_shape", list(in_shape))
    normalized = (normalized,) if isinstance(normalized, int) else tuple(normalized)
    if not normalized or normalized != in_shape[len(in_shape) - len(normalized):]:
        raise Invalid(f"{field}.normalized_shape", f"expected the last sizes of the input {shape_text(in_shape)}, "
                                                   f"got {list(normalized)}")
    options["normalized_shape"] = list(normalized)
    affine = options.get("elementwise_affine", True)
    return Plan(in_shape, {"weight": normalized, "bias": normalized} if affine else {}, "normalized_shape", 0)


def batch_norm_plan(fields: Fields, options: dict[str, Any], in_shape: tuple[int, ...], field: str) -> Plan:
    if len(in_shape) not in (1, 3):
        raise Invalid(f"{field}.type", f"batch_norm takes (features,) or (C, H, W) per sample; it receives "
                                       f"{shape_text(in_shape)}")
    if not 0 <= options.get("momentum", 0.1) <= 1:
        raise Invalid(f"{field}.momentum", "expected a number from 0 to 1")
    if options.get("eps", 1e-5) <= 0:
        raise Invalid(f"{field}.eps", "expected a number > 0")
    channels = in_shape[0]
    affine = options.get("affine", True)
    return Plan(in_shape, {"weight": (channels,), "bias": (channels,)} if affine else {}, "channels", 0)


def windows_plan(kind: str) -> Planner:
    """conv2d and the pools: windows over (C, H, W)."""
    def plan(fields: Fields, options: dict[str, Any], in_shape: tuple[int, ...], field: str) -> Plan:
        if len(in_shape) != 3:
            raise Invalid(f"{field}.type", f"{kind} takes (C, H, W) per sample; it receives {shape_text(in_shape)}"
                                           + (": give model.inputs as [C, H, W]" if field.endswith("[0]") else ""))
        channels, *sizes = in_shape
        out = window_outputs(kind, options, sizes, field)
        if kind != "conv2d":
            return Plan((channels, *out), {}, "", 0)
        filters = positive(options, "out_channels", field)
        kernel = pair_option(options, "kernel_size", field, 1)
        return Plan((filters, *out), {"weight": (filters, channels, *kernel), "bias": (filters,)},
                    "out_channels × in_channels × kh × kw", channels * kernel[0] * kernel[1])
    return plan


def window_outputs(kind: str, options: dict[str, Any], sizes: list[int], field: str) -> tuple[int, ...]:
    """(OH, OW) after the window."""
    kernel = pair_option(options, "kernel_size", field, 1)
    stride = pair_option(options, "stride", field, 1, kernel if kind != "conv2d" else (1, 1))
    padding = pair_option(options, "padding", field, 0, (0, 0))
    dilation = pair_option(options, "dilation", field, 1, (1, 1))
    if kind != "conv2d" and any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
        raise Invalid(f"{field}.padding", f"expected at most half the kernel size {list(kernel)}, as torch requires")
    out = tuple(output_size(n, k, s, p, d) for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation, strict=True))
    if min(out) < 1:
        height, width = sizes
        raise Invalid(f"{field}.kernel_size", f"the window {list(kernel)} (dilation {list(dilation)}) does not fit "
                                              f"in {height}×{width} with padding {list(padding)}")
    return out


def conv1d_plan(fields: Fields, options: dict[str, Any], in_shape: tuple[int, ...], field: str) -> Plan:
    """conv1d over (C, L): windows along L."""
    if len(in_shape) != 2:
        raise Invalid(f"{field}.type", f"conv1d takes (C, L) per sample; it receives {shape_text(in_shape)}"
                                       + (": give model.inputs as [C, L]" if field.endswith("[0]") else ""))
    channels, length = in_shape
    kernel, stride, padding, dilation = (single_option(options, key, field, minimum, default) for key, minimum, default
                                         in (("kernel_size", 1, None), ("stride", 1, 1), ("padding", 0, 0),
                                             ("dilation", 1, 1)))
    out = output_size(length, kernel, stride, padding, dilation)
    if out < 1:
        raise Invalid(f"{field}.kernel_size", f"the window {kernel} (dilation {dilation}) does not fit in {length} "
                                              f"with padding {padding}")
    filters = positive(options, "out_channels", field)
    return Plan((filters, out), {"weight": (filters, channels, kernel), "bias": (filters,)},
                "out_channels × in_channels × kernel", channels * kernel)


def single_option(options: dict[str, Any], key: str, field: str, minimum: int, default: int | None = None) -> int:
    """A 1-d layer's option, an int (or torch's one-element list), ≥ minimum."""
    value = options.get(key, default)
    single = value if isinstance(value, int) else (value[0] if isinstance(value, list) and len(value) == 1 else None)
    if not isinstance(single, int) or isinstance(single, bool) or single < minimum:
        raise Invalid(f"{field}.{key}", f"expected an integer ≥ {minimum}, got {value!r}")
    return single


RECURRENT_OUTPUTS = ("all", "last")  # every step's hidden state feeds the next layer, or the last one
RNN_NONLINEARITIES = ("tanh", "relu")


def recurrent_plan(kind: str, gates: int) -> Planner:
    """rnn, lstm, gru over (T, D) per sample: torch's parameters, (T, H) or (H,) out."""
    def plan(fields: Fields, options: dict[str, Any], in_shape: tuple[int, ...], field: str) -> Plan:
        if len(in_shape) != 2:
            raise Invalid(f"{field}.type", f"{kind} takes a sequence (T, D) per sample; it receives "
                                           f"{shape_text(in_shape)}: give model.inputs as [T, D], or put an embedding "
                                           "before it")
        hidden = positive(options, "hidden_size", field)
        for key, choices in (("output", RECURRENT_OUTPUTS), ("nonlinearity", RNN_NONLINEARITIES)):
            if key in options and options[key] not in choices:
                raise Invalid(f"{field}.{key}", f"expected one of {', '.join(choices)}, got {options[key]!r}")
        for key in ("h0", "c0"):
            if key in options:
                options[key] = fields.array(options[key], f"{field}.{key}", (hidden,), "hidden_size").tolist()
        rows, (steps, size) = gates * hidden, in_shape
        arrays = {"weight_ih_l0": (rows, size), "weight_hh_l0": (rows, hidden)}
        if options.get("bias", True):
            arrays.update({"bias_ih_l0": (rows,), "bias_hh_l0": (rows,)})
        shape = (steps, hidden) if options.get("output", "all") == "all" else (hidden,)
        return Plan(shape, arrays, f"{gates}·hidden_size × inputs", hidden)
    return plan


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """⌊(size + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1 (torch's rule, floor mode)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def positive(options: dict[str, Any], key: str, field: str) -> int:
    if options[key] < 1:
        raise Invalid(f"{field}.{key}", f"expected an integer ≥ 1, got {options[key]}")
    return options[key]


def pair_option(options: dict[str, Any], key: str, field: str, minimum: int,
                default: tuple[int, ...] | None = None) -> tuple[int, int]:
    """An int-or-pair option as (h, w), each ≥ minimum."""
    value = options.get(key, default)
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= minimum for n in pair):
        raise Invalid(f"{field}.{key}", f"expected an integer ≥ {minimum} or a pair of them [h, w], got {value!r}")
    return pair


# ---- the declarations ------------------------------------------------------------------------------

WEIGHTED = dict(parameters=("weight", "bias"), forward=("weight", "bias"), backward=("weight",),
                returns=("x", "weight", "bias"), work=weighted_work)
RECURRENT_PARAMETERS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
SEQUENCE = ("x (B, T, D); weight_ih_l0 (G·H, D), weight_hh_l0 (G·H, H), bias_ih_l0, bias_hh_l0 (G·H,) or None; "
            "h0 (B, H)")
RECURRENT_SHAPES = ("z: h of every step (B, T, H), or the last (B, H)", "grad_out (z's shape), then as the forward",
                    "(grad_x, grad_weight_ih_l0, grad_weight_hh_l0, grad_bias_ih_l0, grad_bias_hh_l0)")
RECURRENT_OURS = {"output": (str,), "h0": (list,)}


def recurrent(kind: str, options: dict[str, tuple[type, ...]], states: tuple[str, ...], gates: str) -> LayerType:
    given = SEQUENCE + (", c0 (B, H)" if "c0" in states else "")
    return LayerType(kind, {"hidden_size": (int,), **options, "bias": (bool,)}, recurrent_plan(kind, len(gates)),
                     f"nn.{kind.upper()}", required=("hidden_size",),
                     ours={**RECURRENT_OURS, **({"c0": (list,)} if "c0" in states else {})},
                     parameters=RECURRENT_PARAMETERS, forward=(*RECURRENT_PARAMETERS, *states),
                     backward=(*RECURRENT_PARAMETERS, *states), returns=("x", *RECURRENT_PARAMETERS),
                     shapes=(given, *RECURRENT_SHAPES), gates=gates, work=recurrent_work)


WINDOW_OPTIONS = {"kernel_size": PAIR, "stride": PAIR, "padding": PAIR}
LAYER_TYPES: dict[str, LayerType] = {kind.name: kind for kind in [
    LayerType("dense", {"units": (int,)}, dense_plan, "nn.Linear", required=("units",), **WEIGHTED,
              shapes=("x (B, D), weight (U, D), bias (U,) or None", "z (B, U)",
                      "grad_out = ∂L/∂z (B, U), x (B, D), weight (U, D)",
                      "(grad_x (B, D), grad_weight (U, D), grad_bias (U,))")),
    LayerType("conv2d", {"out_channels": (int,), **WINDOW_OPTIONS, "dilation": PAIR}, windows_plan("conv2d"),
              "nn.Conv2d", required=("out_channels", "kernel_size"), **WEIGHTED,
              shapes=("x (B, C, H, W), weight (O, C, kh, kw), bias (O,) or None", "z (B, O, OH, OW)",
                      "grad_out = ∂L/∂z (B, O, OH, OW), x, weight", "(grad_x, grad_weight, grad_bias)")),
    LayerType("conv1d", {"out_channels": (int,), **WINDOW_OPTIONS, "dilation": PAIR}, conv1d_plan, "nn.Conv1d",
              required=("out_channels", "kernel_size"), **WEIGHTED,
              shapes=("x (B, C, L), weight (O, C, k), bias (O,) or None", "z (B, O, OL)",
                      "grad_out = ∂L/∂z (B, O, OL), x, weight", "(grad_x, grad_weight, grad_bias)")),
    LayerType("max_pool2d", {**WINDOW_OPTIONS, "dilation": PAIR}, windows_plan("max_pool2d"), "nn.MaxPool2d",
              required=("kernel_size",), shapes=("x (B, C, H, W)", "y (B, C, OH, OW)", "grad_out (B, C, OH, OW), x",
                                                 "grad_x (B, C, H, W)")),
    LayerType("avg_pool2d", {**WINDOW_OPTIONS, "count_include_pad": (bool,)}, windows_plan("avg_pool2d"),
              "nn.AvgPool2d", required=("kernel_size",),
              shapes=("x (B, C, H, W)", "y (B, C, OH, OW)", "grad_out (B, C, OH, OW), x", "grad_x (B, C, H, W)")),
    LayerType("flatten", {}, flatten_plan, "nn.Flatten",
              shapes=("x (B, …)", "y (B, D)", "grad_out (B, D), x (B, …)", "grad_x (B, …)")),
    LayerType("batch_norm", {"eps": NUMBER, "momentum": NUMBER, "affine": (bool,)}, batch_norm_plan,
              "nn.BatchNorm1d / nn.BatchNorm2d", parameters=("weight", "bias"), buffers=("running_mean", "running_var"),
              forward=("weight", "bias", "running_mean", "running_var"),
              backward=("weight", "bias", "running_mean", "running_var"), returns=("x", "weight", "bias"),
              shapes=("x (B, C) or (B, C, H, W); weight, bias (C,) or None; running_mean, running_var (C,)",
                      "y, x's shape", "grad_out, x, weight, bias, running_mean, running_var",
                      "(grad_x, grad_weight, grad_bias)"),
              running=("x, running_mean, running_var", "(running_mean, running_var) after the pass")),
    LayerType("layer_norm", {"normalized_shape": (int, list), "eps": NUMBER, "elementwise_affine": (bool,)},
              layer_norm_plan, "nn.LayerNorm", parameters=("weight", "bias"),
              forward=("weight", "bias", "normalized_shape"), backward=("weight", "bias", "normalized_shape"),
              returns=("x", "weight", "bias"),
              shapes=("x (B, …), weight, bias (normalized_shape) or None, normalized_shape", "y, x's shape",
                      "grad_out, x, weight, bias, normalized_shape", "(grad_x, grad_weight, grad_bias)")),
    LayerType("dropout", {"p": NUMBER}, dropout_plan, "the case's mask, applied with torch operations",
              ours={"seed": (int,)}, forward=("draws",), backward=("draws",),
              shapes=("x (B, …), draws: uniform numbers of x's shape (kept where draws ≥ p)", "y, x's shape",
                      "grad_out, x, draws", "grad_x")),
    LayerType("embedding", {"num_embeddings": (int,), "embedding_dim": (int,)}, embedding_plan, "nn.Embedding",
              required=("num_embeddings", "embedding_dim"), parameters=("weight",), forward=("weight",),
              backward=("weight",), returns=("weight",),
              shapes=("indices (B, T) integers, weight (num_embeddings, embedding_dim)", "y (B, T, embedding_dim)",
                      "grad_out (B, T, embedding_dim), indices, weight", "grad_weight")),
    recurrent("rnn", {"nonlinearity": (str,)}, ("h0",), "a"),  # one block: the pre-activation
    recurrent("lstm", {}, ("h0", "c0"), "ifgo"),  # input, forget, cell candidate, output
    recurrent("gru", {}, ("h0",), "rzn"),  # reset, update, new
]}


def layer_work(kind: str, in_shape: tuple[int, ...], out_shape: tuple[int, ...], arrays: dict[str, tuple[int, ...]],
               options: dict[str, Any]) -> tuple[int, int]:
    """(multiply-adds, numbers held) of one sample's forward pass through a layer of this type."""
    declared = LAYER_TYPES[kind]
    if kind in ("max_pool2d", "avg_pool2d"):
        kernel = pair_option(options, "kernel_size", "", 1)
        return windows_work(in_shape, out_shape, arrays, kernel[0] * kernel[1])
    return declared.work(in_shape, out_shape, arrays)

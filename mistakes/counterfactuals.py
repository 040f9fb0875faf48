"""What classic back-propagation mistakes compute, so that a wrong number can be recognised.

Each function takes torch's correct intermediate values and returns what a mistaken
implementation would have produced from them, and `candidates` lists, for a first wrong array,
every classic mistake that could have made it with what it would have made; report/verify/diagnose.py
compares the wrong array with these. NumPy only; the formulas are the reference's own, called
the wrong way. They sit here beside the catalog's plug-ins (the same mistakes, written as a user
would write them), so that the report holds no math.
"""

import inspect
import itertools

import numpy as np

from cases import Case, Step
from cases.layer_types import LAYER_TYPES
from cases.quantities import STATE, layer_of
from reference import activations, layers, optimizers, recurrent
from reference.optimizers import adam_update, adamw_update

Window = dict[int, dict[str, Step]]


def derivative_on(activation: str, options: dict, grad_a: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The activation's backward evaluated with x = y = `value`: on z where it needs a, or on a
    where it needs z (sigmoid's a(1 − a) written z(1 − z))."""
    return getattr(activations, f"{activation}_backward")(grad_a, value, value, **options)


def forward_of_negative(activation: str, options: dict, z: np.ndarray) -> np.ndarray:
    """f(−z): a sign slip inside the activation (sigmoid written 1 / (1 + exp(z)))."""
    return getattr(activations, f"{activation}_forward")(-z, **options)


def through_weight(delta: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """∂L/∂a of the layer below, δ @ weight — given the weight after its update (updated before
    back-propagating through it), or weight.T where weight is meant (both square)."""
    return delta @ weight


def adam_without_bias_correction(param_before: np.ndarray, state_after: dict, lr: float, eps: float) -> np.ndarray:
    """p − lr · m / (√v + eps): Adam's step with the raw moments, without 1/(1 − βᵗ)."""
    return param_before - lr * state_after["exp_avg"] / (np.sqrt(state_after["exp_avg_sq"]) + eps)


def adamw_as_l2(param_before: np.ndarray, grad: np.ndarray, state_before: dict, options: dict) -> np.ndarray:
    """AdamW's decay added to the gradient, as Adam's L2 penalty, instead of decoupled from it."""
    weight_decay = options.get("weight_decay", inspect.signature(adamw_update).parameters["weight_decay"].default)
    return adam_update(param_before, grad, state_before, **{**options, "weight_decay": weight_decay})[0]


def softmax_diagonal_only(grad_a: np.ndarray, a: np.ndarray) -> np.ndarray:
    """softmax's backward with only the diagonal of its Jacobian: grad · y(1 − y)."""
    return grad_a * a * (1 - a)


# ---- the typed layers (reference/layers.py) ----------------------------------------------------

def batch_norm_statistics_as_constants(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray | None,
                                       eps: float) -> np.ndarray:
    """Batch norm's input gradient with μ and σ² treated as constants: grad_out · weight / √(σ² + eps),
    the evaluation-mode formula fed the batch's statistics (the two terms through μ and σ² left out)."""
    axes = layers.channel_axes(x)
    mean, variance = x.mean(axis=axes), x.var(axis=axes)
    return layers.batch_norm_backward(grad_out, x, weight, None, mean, variance, training=False, eps=eps)[0]


def layer_norm_without_weight(grad_out: np.ndarray, x: np.ndarray, normalized_shape, eps: float) -> np.ndarray:
    """Layer norm's input gradient with grad_x̂ = grad_out, the weight γ left out (right only while γ = 1)."""
    return layers.layer_norm_backward(grad_out, x, None, None, normalized_shape, eps=eps)[0]


def running_var_biased(x: np.ndarray, running_var: np.ndarray, momentum: float) -> np.ndarray:
    """The running variance updated with the biased σ² that normalises, without torch's n/(n − 1)."""
    axes = layers.channel_axes(x)
    return (1 - momentum) * running_var + momentum * x.var(axis=axes)


def max_pool_ties_shared(grad_out: np.ndarray, x: np.ndarray, kernel_size, stride=None, padding=0,
                         dilation=1) -> np.ndarray:
    """Max-pooling's gradient shared equally among a window's tied maxima; torch gives it all to the first."""
    kernel, padding, dilation = layers.pair(kernel_size), layers.pair(padding), layers.pair(dilation)
    stride = layers.pair(stride or kernel_size)
    xp = layers.padded(x, padding, -np.inf)
    windows = layers.windows(xp, kernel, stride, dilation)
    tied = windows == windows.max(axis=(4, 5), keepdims=True)
    share = tied * (grad_out / tied.sum(axis=(4, 5)))[..., None, None]
    return layers.add_windows(share, xp.shape, padding, stride, dilation)


def embedding_repeats_overwritten(grad_out: np.ndarray, indices: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """An embedding's gradient assigned (`=`) row by row: a repeated index keeps only its last use."""
    grad_weight = np.zeros_like(weight)
    grad_weight[indices.ravel()] = grad_out.reshape(-1, weight.shape[1])
    return grad_weight


def gates_reordered(kind: str, x: np.ndarray, params: list, states: list, output: str, order: tuple[int, ...]
                    ) -> np.ndarray:
    """The recurrent layer's output when its gates are read from torch's stacked blocks in another `order`
    (the LSTM's i, f, o, g for torch's i, f, g, o): the reference's forward with the blocks permuted."""
    count = len(LAYER_TYPES[kind].gates)
    def permuted(array: np.ndarray | None) -> np.ndarray | None:
        return None if array is None else np.concatenate([np.split(array, count)[k] for k in order])
    return getattr(recurrent, f"{kind}_forward")(x, *(permuted(p) for p in params), *states, output=output)


def conv2d_kernel_flipped(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray, options: dict) -> np.ndarray:
    """conv2d's input gradient computed with the kernel turned 180°, as a true convolution's would be."""
    return layers.conv2d_backward(grad_out, x, weight[:, :, ::-1, ::-1], **options)[0]


# ---- which mistakes could have made a first wrong array --------------------------------------

def optimizer_option(case: Case, name: str) -> float:
    """The case's optimizer option, or its default in the reference's update rule."""
    if name in case.optimizer_options:
        return case.optimizer_options[name]
    parameter = inspect.signature(getattr(optimizers, f"{case.optimizer}_update")).parameters.get(name)
    return parameter.default if parameter is not None else 0.0


def layer_option(case: Case, number: int, function: str, name: str):
    """A typed layer's option from the case, or its default in the reference's function."""
    layer = case.layers[number]
    if name in layer.options:
        return layer.options[name]
    return inspect.signature(getattr(layers, function)).parameters[name].default


def layer_input(case: Case, number: int, values: dict, batch: np.ndarray) -> np.ndarray:
    """What layer `number` received in torch's recording: the layer below's activation, or the batch's x."""
    return values[("activation", f"layers.{number - 1}")] if number else case.x[batch]


def layer_mistakes(case: Case, number: int, oracle: dict, batch: np.ndarray, t: int):
    """Classic mistakes in the backward of a typed layer, computed from torch's values: its δ is the
    grad_out the layer's backward received, the result is ∂L/∂(its input)."""
    layer, where = case.layers[number], f"layers.{number}"
    grad_out, x = oracle[("delta", where)], layer_input(case, number, oracle, batch)
    weight = oracle.get(("param", f"{where}.weight"))
    if layer.type == "batch_norm" and case.training_at(t):
        yield ("batch norm's input gradient with the batch mean and variance treated as constants (the two terms "
               "through μ and σ² left out)",
               batch_norm_statistics_as_constants(grad_out, x, weight, layer_option(case, number, "batch_norm_forward", "eps")),
               "yours equals grad_out · weight / √(σ² + eps)")
    if layer.type == "conv2d":
        options = {k: v for k, v in layer.options.items() if k in ("stride", "padding", "dilation")}
        yield ("the kernel turned 180° in conv2d's input gradient: torch's conv2d is a cross-correlation, its input "
               "gradient scatters grad_out back through the kernel as it is",
               conv2d_kernel_flipped(grad_out, x, weight, options), "yours equals conv2d_backward with weight[:, :, ::-1, ::-1]")
    if layer.type == "max_pool2d":
        options = {k: v for k, v in layer.options.items() if k in ("kernel_size", "stride", "padding", "dilation")}
        yield ("max-pooling's gradient shared among tied maxima; torch sends each window's gradient to its first "
               "maximum, read row by row", max_pool_ties_shared(grad_out, x, **options),
               "yours equals grad_out split equally among each window's equal maxima")
    if layer.type == "layer_norm" and weight is not None:
        shape = tuple(layer.options["normalized_shape"])
        eps = layer_option(case, number, "layer_norm_backward", "eps")
        yield ("layer norm's input gradient without its weight: grad_x̂ taken as grad_out, as if γ were 1",
               layer_norm_without_weight(grad_out, x, shape, eps), "yours equals layer_norm_backward with weight = 1")
    if layer.type == "dropout" and case.training_at(t):
        p = layer_option(case, number, "dropout_forward", "p")
        yield ("dropout's backward without the 1/(1 − p) its forward pass multiplied by",
               grad_out * (case.dropout_draws(number, t, x.shape) >= p), "yours equals grad_out · mask")


def gate_orders(case: Case, number: int, oracle: dict, batch: np.ndarray):
    """A recurrent layer's gates read in another order than torch stacks them."""
    layer, where = case.layers[number], f"layers.{number}"
    names = LAYER_TYPES[layer.type].gates
    params = [oracle.get(("param", f"{where}.{name}")) for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
    x = layer_input(case, number, oracle, batch)
    states = [case.initial_state(number, name, len(x)) for name in (("h0", "c0") if layer.type == "lstm" else ("h0",))]
    for order in itertools.permutations(range(len(names))):
        if order != tuple(range(len(names))):
            read = ", ".join(names[k] for k in order)
            yield (f"the {layer.type}'s gates read in the order {read}; torch stacks them {', '.join(names)}",
                   gates_reordered(layer.type, x, params, states, layer.options.get("output", "all"), order),
                   f"yours equals torch's {layer.type} with the weight blocks taken as {read}")


def candidates(case: Case, quantity: str, key: str, oracle: dict, window: Window, t: int, witness: str):
    """(hint, what the mistake computes, evidence) for the quantity that is first wrong."""
    if quantity == "delta":
        layer = case.layers[layer_of(key)]
        if ("grad_activation", key) in oracle:
            grad_a, z, a = oracle[("grad_activation", key)], oracle[("pre_activation", key)], \
                oracle[("activation", key)] if ("activation", key) in oracle else oracle[("output", "")]
            yield (f"{layer.activation}'s derivative left out: δ = ∂L/∂a, multiplied by grad_out only", grad_a,
                   "yours equals torch's ∂L/∂a of the same layer")
            yield (f"{layer.activation}'s derivative evaluated on z instead of on a",
                   derivative_on(layer.activation, layer.activation_options, grad_a, z),
                   f"yours equals {layer.activation}_backward(grad_out, z, y=z)")
            yield (f"{layer.activation}'s derivative evaluated on a instead of on z",
                   derivative_on(layer.activation, layer.activation_options, grad_a, a),
                   f"yours equals {layer.activation}_backward(grad_out, a, y=a)")
            if layer.activation == "softmax":
                yield ("only the diagonal of softmax's Jacobian: y(1 − y) as for a sigmoid, without the other outputs' terms",
                       softmax_diagonal_only(grad_a, a), "yours equals grad_out · y(1 − y)")
    if quantity in ("activation", "output"):
        number = layer_of(key) if key else len(case.layers) - 1
        layer = case.layers[number]
        z = oracle[("pre_activation", f"layers.{number}")]
        yield (f"{layer.activation}(−z): a sign slip inside the activation",
               forward_of_negative(layer.activation, layer.activation_options, z), "yours equals f(−z)")
    dense = key.startswith("layers.") and case.layers[layer_of(key)].type == "dense"
    if quantity == "pre_activation" and len(LAYER_TYPES[case.layers[layer_of(key)].type].gates) > 1:
        yield from gate_orders(case, layer_of(key), oracle, window[t]["oracle"].batch)
    if quantity == "pre_activation" and dense and ("param", f"{key}.bias") in oracle:
        yield "the bias left out of z", oracle[("pre_activation", key)] - oracle[("param", f"{key}.bias")], \
            "yours equals z − bias"
    if quantity in ("grad_activation", "input_grad"):
        above = layer_of(key) + 1 if quantity == "grad_activation" else 0
        if above < len(case.layers) and case.layers[above].type != "dense":
            yield from layer_mistakes(case, above, oracle, window[t]["oracle"].batch, t)
        if above < len(case.layers) and case.layers[above].type == "dense" and ("delta", f"layers.{above}") in oracle:
            delta = oracle[("delta", f"layers.{above}")]
            weight = oracle[("param", f"layers.{above}.weight")]
            if t + 1 in window:
                updated = window[t + 1]["oracle"].values[("param", f"layers.{above}.weight")]
                yield (f"back-propagated through the already updated weights of layers.{above} (updated before "
                       "computing the gradient below it)", through_weight(delta, updated),
                       f"yours equals δ @ weight of layers.{above} after this step's update")
            if weight.shape[0] == weight.shape[1]:
                yield (f"multiplied by weight.T where torch multiplies by weight (layers.{above})",
                       through_weight(delta, weight.T), "yours equals δ @ weight.T")
    if quantity == "grad" and key.endswith(".bias") and dense:
        delta = oracle.get(("delta", key.rsplit(".", 1)[0]))
        if delta is not None and len(delta) > 1:
            yield "the first row of the batch only, not the sum over the batch", delta[0], "yours equals δ[0]"
    if quantity == "grad" and case.layers[layer_of(key)].type == "embedding" and key.endswith(".weight"):
        number = layer_of(key)
        yield ("the embedding's rows assigned (=) instead of accumulated (+=): a repeated index keeps only its last use",
               embedding_repeats_overwritten(oracle[("delta", f"layers.{number}")], case.x[window[t]["oracle"].batch],
                                                      oracle[("param", key)]),
               "yours equals grad_weight[indices] = grad_out")
    if quantity == "buffer" and key.endswith("running_var") and t - 1 in window:
        number = layer_of(key)
        before = window[t - 1]["oracle"]
        yield ("the running variance updated with the biased batch variance σ²; torch uses the unbiased σ² · n/(n − 1)",
               running_var_biased(layer_input(case, number, before.values, before.batch), before.values[("buffer", key)],
                                           layer_option(case, number, "batch_norm_running", "momentum")),
               "yours equals (1 − momentum) · running_var + momentum · σ² (biased)")
    previous = window.get(t - 1, {}).get(witness)
    if quantity == "grad" and previous is not None and ("grad", key) in previous.values:
        yield ("this step's gradient plus the last one (gradients not reset between steps)",
               oracle[("grad", key)] + previous.values[("grad", key)], "yours equals torch's gradient + your previous one")
    if quantity == "param" and t - 1 in window:
        before = window[t - 1]["oracle"].values
        if case.optimizer in ("adam", "adamw") and ("exp_avg", key) in oracle:
            state = {name: oracle[(name, key)] for name in STATE if (name, key) in oracle}
            yield ("Adam without its bias correction 1/(1 − βᵗ)",
                   adam_without_bias_correction(before[("param", key)], state, optimizer_option(case, "lr"), optimizer_option(case, "eps")),
                   "yours equals p − lr · m / (√v + eps) with torch's m and v")
        if case.optimizer == "adamw":
            state_before = {name: before[(name, key)] for name in STATE if (name, key) in before}
            options = {k: v for k, v in case.optimizer_options.items()}
            yield ("AdamW's weight decay added to the gradient (Adam's L2 penalty) instead of decoupled",
                   adamw_as_l2(before[("param", key)], before[("grad", key)], state_before, options),
                   "yours equals torch.optim.Adam's step with the same weight_decay")

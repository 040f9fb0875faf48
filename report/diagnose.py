"""The mistake that explains a first wrong number, when a classic one fits; nothing otherwise.

`explain(case, first, window)` looks at the first wrong array of a witness beside torch's, with
the steps around it (`window`: step -> engine -> recording), and tries each signature in turn:
a constant factor with a name (2, ½, −1, the batch size, the learning rate, …), a transposed
array, agreement everywhere but where z = 0, the activation's derivative taken on z instead of a
(or left out), the gradient sent through the already updated weights, this step's gradient plus
the last (gradients not reset), Adam without bias correction, AdamW's decay as an L2 penalty, a
momentum buffer started at zero, the bias left out, the first row of the batch only; for the typed
layers, batch norm's statistics treated as constants, its running variance biased, a flipped
convolution kernel, max-pool ties shared, layer norm's weight left out of its input gradient, dropout
without 1/(1 − p), embedding rows overwritten. The first
signature that fits the whole array within the engines' tolerance is the hint, with its evidence.
"""

import inspect
import itertools

import numpy as np

from cases import Case, Step
from cases.quantities import STATE, layer_of
from reference import layers, mistakes, optimizers
from report.comparison import array_scale
from report.first_wrong import FirstWrong
from report.tolerances import engines_agree

Window = dict[int, dict[str, Step]]


def close(ours: np.ndarray, theirs: np.ndarray, case: Case) -> bool:
    atol, rtol = engines_agree(case)
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    tolerance = atol + 100 * rtol * max(array_scale(theirs), array_scale(ours))
    return ours.shape == theirs.shape and bool(np.all(np.isfinite(ours))) and bool(np.all(np.abs(ours - theirs) <= tolerance))


def named_factors(case: Case, step: int, quantity: str, key: str) -> list[tuple[float, str]]:
    rows, outputs = case.schedule.rows(step), case.outputs
    last = f"layers.{len(case.layers) - 1}"
    of_loss = key == last and (quantity == "grad_activation" or (quantity == "delta" and case.on_logits))
    factors = [
        (2.0, "a factor of 2" + (": the derivative of (ŷ − y)² where ½(ŷ − y)² is meant" if of_loss else "")),
        (0.5, "a factor of ½" + (": the derivative of ½(ŷ − y)² where (ŷ − y)² is meant" if of_loss else "")),
        (-1.0, "the sign flipped" + (": y − ŷ written for ŷ − y" if of_loss else "")),
        (float(rows), f"the sum over the batch where torch takes the mean (a factor of B = {rows})"),
        (1 / rows, f"the mean over the batch where torch sums (a factor of 1/B = 1/{rows})"),
        (float(rows * outputs), f"a sum over all B·K = {rows * outputs} elements where torch takes their mean"),
        (1 / (rows * outputs), f"the mean over all B·K = {rows * outputs} elements where torch sums"),
        (float(outputs), f"a factor of K = {outputs}, the number of outputs"),
        (1 / outputs, f"a factor of 1/K = 1/{outputs}, the number of outputs"),
    ]
    lr = option(case, "lr")
    if lr:
        factors += [(lr, f"multiplied by the learning rate {lr:g} once more"), (1 / lr, f"the learning rate {lr:g} left out")]
    if quantity in ("momentum_buffer", "param") and case.optimizer == "sgd" and option(case, "momentum"):
        factors.append((1 - option(case, "dampening"), "the momentum buffer started at 0 (torch starts it at the "
                                                       "first gradient, without dampening)"))
    return [(value, text) for value, text in factors if value != 1.0]


def option(case: Case, name: str) -> float:
    """The case's optimizer option, or its default in the reference's update rule."""
    if name in case.optimizer_options:
        return case.optimizer_options[name]
    parameter = inspect.signature(getattr(optimizers, f"{case.optimizer}_update")).parameters.get(name)
    return parameter.default if parameter is not None else 0.0


def explain(case: Case, first: FirstWrong, window: Window, witness: str) -> tuple[str, str]:
    """(hint, evidence), or ("", "") when no classic mistake fits."""
    t, quantity, key = first.step, first.quantity, first.key
    here = window.get(t, {})
    if witness not in here or "oracle" not in here:
        return "", ""
    ours = np.asarray(here[witness].values.get((quantity, key)), dtype=np.float64)
    truth = np.asarray(here["oracle"].values[(quantity, key)], dtype=np.float64)
    if ours.shape != truth.shape:
        return "", ""
    if np.all(np.isfinite(truth)) and not np.all(np.isfinite(ours)):
        return ("a division by zero or the log of 0 where torch stays finite (torch guards these: BCE divides by "
                "max(ŷ(1 − ŷ), ε) and floors each log at −100)", f"{int((~np.isfinite(ours)).sum())} of yours are not finite")
    for check in (corner, counterfactuals, factor, transposed, rounding_amplified):
        found = check(case, quantity, key, ours, truth, window, t, witness)
        if found:
            return found
    return "", ""


def factor(case, quantity, key, ours, truth, window, t, witness) -> tuple[str, str] | None:
    """A constant factor: on the values, or for a parameter on its update."""
    if quantity == "param" and t - 1 in window:
        before = np.asarray(window[t - 1]["oracle"].values[("param", key)], dtype=np.float64)
        ours, truth = ours - before, truth - before
        what = "the update (the change of the parameter)"
    else:
        what = "the array"
    if not np.any(truth):
        return None
    estimate = float(np.sum(ours * truth) / np.sum(truth * truth))
    for value, text in named_factors(case, t, quantity, key):
        if abs(estimate - value) <= 1e-6 * abs(value) and close(ours, value * truth, case):
            if quantity == "param" and value == -1.0:
                text = "the update has the wrong sign: p + lr · g, gradient ascent"
            return text, f"{what} is {value:g} × torch's"
    if close(ours, estimate * truth, case) and abs(estimate - round(estimate)) < 1e-9 and round(estimate) != 1:
        return f"a constant factor of {round(estimate)}", f"{what} is {round(estimate)} × torch's"
    return None


def transposed(case, quantity, key, ours, truth, window, t, witness) -> tuple[str, str] | None:
    if ours.ndim == 2 and ours.shape[0] == ours.shape[1] and close(ours, truth.T, case):
        return "a transposed array", "yours equals torch's transposed"
    return None


ADAPTIVE = ("adam", "adamw", "rmsprop", "adagrad")  # divide the step by √v + eps


def rounding_amplified(case, quantity, key, ours, truth, window, t, witness) -> tuple[str, str] | None:
    """Not a mistake: the parameters that differ had a gradient of zero up to rounding, and an adaptive
    optimizer divides by √v + eps, so a gradient of 1e-16 against 1e-15 moves them by lr·g/(|g| + eps)
    — rounding multiplied by lr/eps. (A bias feeding batch norm has exactly this: batch norm subtracts
    its shift again, so its gradient is 0 in exact arithmetic.)"""
    if quantity != "param" or case.optimizer not in ADAPTIVE or t - 1 not in window:
        return None
    before = window[t - 1]
    if ("grad", key) not in before["oracle"].values or witness not in before:
        return None
    grad = np.asarray(before["oracle"].values[("grad", key)], dtype=np.float64)
    atol, rtol = engines_agree(case)
    tolerance = atol + rtol * array_scale(truth)
    differs = np.abs(ours - truth) > tolerance
    grad_tolerance = atol + rtol * array_scale(grad)
    if differs.any() and np.all(np.abs(grad[differs]) <= grad_tolerance):
        return (f"rounding amplified by {case.optimizer}, not a mistake: these parameters' gradients were 0 up to "
                f"rounding (|∂L/∂θ| ≤ {grad_tolerance:.1g} in torch), and {case.optimizer} divides by √v + eps, so the "
                "engines' last bits of a zero gradient became steps of up to lr·g/(|g| + eps); a bias right before "
                "batch norm has a gradient of exactly 0 (give it bias = false, as is usual)",
                f"{int(differs.sum())} differing elements, every one with |torch's gradient| ≤ {grad_tolerance:.1g}")
    return None


def corner(case, quantity, key, ours, truth, window, t, witness) -> tuple[str, str] | None:
    """Agreement everywhere except where z = 0: a wrong derivative at the activation's corner."""
    if quantity not in ("delta",):
        return None
    z = np.asarray(window[t]["oracle"].values[("pre_activation", key)], dtype=np.float64)
    at_zero = z == 0
    atol, rtol = engines_agree(case)
    differs = np.abs(ours - truth) > atol + rtol * array_scale(truth)
    if at_zero.any() and differs.any() and not np.any(differs & ~at_zero):
        activation = case.layers[layer_of(key)].activation
        return (f"a wrong corner: {activation}'(0) is not torch's",
                f"yours agrees with torch everywhere except where z = 0 ({int(differs.sum())} of {differs.size} elements)")
    return None


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
               mistakes.batch_norm_statistics_as_constants(grad_out, x, weight, layer_option(case, number, "batch_norm_forward", "eps")),
               "yours equals grad_out · weight / √(σ² + eps)")
    if layer.type == "conv2d":
        options = {k: v for k, v in layer.options.items() if k in ("stride", "padding", "dilation")}
        yield ("the kernel turned 180° in conv2d's input gradient: torch's conv2d is a cross-correlation, its input "
               "gradient scatters grad_out back through the kernel as it is",
               mistakes.conv2d_kernel_flipped(grad_out, x, weight, options), "yours equals conv2d_backward with weight[:, :, ::-1, ::-1]")
    if layer.type == "max_pool2d":
        options = {k: v for k, v in layer.options.items() if k in ("kernel_size", "stride", "padding", "dilation")}
        yield ("max-pooling's gradient shared among tied maxima; torch sends each window's gradient to its first "
               "maximum, read row by row", mistakes.max_pool_ties_shared(grad_out, x, **options),
               "yours equals grad_out split equally among each window's equal maxima")
    if layer.type == "layer_norm" and weight is not None:
        shape = tuple(layer.options["normalized_shape"])
        eps = layer_option(case, number, "layer_norm_backward", "eps")
        yield ("layer norm's input gradient without its weight: grad_x̂ taken as grad_out, as if γ were 1",
               mistakes.layer_norm_without_weight(grad_out, x, shape, eps), "yours equals layer_norm_backward with weight = 1")
    if layer.type == "dropout" and case.training_at(t):
        p = layer_option(case, number, "dropout_forward", "p")
        yield ("dropout's backward without the 1/(1 − p) its forward pass multiplied by",
               grad_out * (case.dropout_draws(number, t, x.shape) >= p), "yours equals grad_out · mask")


GATES = {"lstm": "ifgo", "gru": "rzn"}  # torch's order of the stacked gates


def gate_orders(case: Case, number: int, oracle: dict, batch: np.ndarray):
    """A recurrent layer's gates read in another order than torch stacks them."""
    layer, where = case.layers[number], f"layers.{number}"
    names = GATES[layer.type]
    params = [oracle.get(("param", f"{where}.{name}")) for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
    x = layer_input(case, number, oracle, batch)
    states = [case.initial_state(number, name, len(x)) for name in (("h0", "c0") if layer.type == "lstm" else ("h0",))]
    for order in itertools.permutations(range(len(names))):
        if order != tuple(range(len(names))):
            read = ", ".join(names[k] for k in order)
            yield (f"the {layer.type}'s gates read in the order {read}; torch stacks them {', '.join(names)}",
                   mistakes.gates_reordered(layer.type, x, params, states, layer.options.get("output", "all"), order),
                   f"yours equals torch's {layer.type} with the weight blocks taken as {read}")


def counterfactuals(case, quantity, key, ours, truth, window, t, witness) -> tuple[str, str] | None:
    """Compare with what each classic mistake computes from torch's own values."""
    oracle = window[t]["oracle"].values
    for name, value, evidence in candidates(case, quantity, key, oracle, window, t, witness):
        if value is not None and close(ours, value, case) and not close(truth, value, case):
            return name, evidence
    return None


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
                   mistakes.derivative_on(layer.activation, layer.activation_options, grad_a, z),
                   f"yours equals {layer.activation}_backward(grad_out, z, y=z)")
            yield (f"{layer.activation}'s derivative evaluated on a instead of on z",
                   mistakes.derivative_on(layer.activation, layer.activation_options, grad_a, a),
                   f"yours equals {layer.activation}_backward(grad_out, a, y=a)")
            if layer.activation == "softmax":
                yield ("only the diagonal of softmax's Jacobian: y(1 − y) as for a sigmoid, without the other outputs' terms",
                       mistakes.softmax_diagonal_only(grad_a, a), "yours equals grad_out · y(1 − y)")
    if quantity in ("activation", "output"):
        number = layer_of(key) if key else len(case.layers) - 1
        layer = case.layers[number]
        z = oracle[("pre_activation", f"layers.{number}")]
        yield (f"{layer.activation}(−z): a sign slip inside the activation",
               mistakes.forward_of_negative(layer.activation, layer.activation_options, z), "yours equals f(−z)")
    dense = key.startswith("layers.") and case.layers[layer_of(key)].type == "dense"
    if quantity == "pre_activation" and case.layers[layer_of(key)].type in GATES:
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
                       "computing the gradient below it)", mistakes.through_weight(delta, updated),
                       f"yours equals δ @ weight of layers.{above} after this step's update")
            if weight.shape[0] == weight.shape[1]:
                yield (f"multiplied by weight.T where torch multiplies by weight (layers.{above})",
                       mistakes.through_weight(delta, weight.T), "yours equals δ @ weight.T")
    if quantity == "grad" and key.endswith(".bias") and dense:
        delta = oracle.get(("delta", key.rsplit(".", 1)[0]))
        if delta is not None and len(delta) > 1:
            yield "the first row of the batch only, not the sum over the batch", delta[0], "yours equals δ[0]"
    if quantity == "grad" and case.layers[layer_of(key)].type == "embedding" and key.endswith(".weight"):
        number = layer_of(key)
        yield ("the embedding's rows assigned (=) instead of accumulated (+=): a repeated index keeps only its last use",
               mistakes.embedding_repeats_overwritten(oracle[("delta", f"layers.{number}")], case.x[window[t]["oracle"].batch],
                                                      oracle[("param", key)]),
               "yours equals grad_weight[indices] = grad_out")
    if quantity == "buffer" and key.endswith("running_var") and t - 1 in window:
        number = layer_of(key)
        before = window[t - 1]["oracle"]
        yield ("the running variance updated with the biased batch variance σ²; torch uses the unbiased σ² · n/(n − 1)",
               mistakes.running_var_biased(layer_input(case, number, before.values, before.batch), before.values[("buffer", key)],
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
                   mistakes.adam_without_bias_correction(before[("param", key)], state, option(case, "lr"), option(case, "eps")),
                   "yours equals p − lr · m / (√v + eps) with torch's m and v")
        if case.optimizer == "adamw":
            state_before = {name: before[(name, key)] for name in STATE if (name, key) in before}
            options = {k: v for k, v in case.optimizer_options.items()}
            yield ("AdamW's weight decay added to the gradient (Adam's L2 penalty) instead of decoupled",
                   mistakes.adamw_as_l2(before[("param", key)], before[("grad", key)], state_before, options),
                   "yours equals torch.optim.Adam's step with the same weight_decay")

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


import numpy as np

from cases import Case
from cases.quantities import layer_of
from mistakes.counterfactuals import Window, candidates, optimizer_option
from report.verify.comparison import array_scale
from report.verify.first_wrong import FirstWrong
from report.verify.tolerances import engines_agree


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
    lr = optimizer_option(case, "lr")
    if lr:
        factors += [(lr, f"multiplied by the learning rate {lr:g} once more"), (1 / lr, f"the learning rate {lr:g} left out")]
    if quantity in ("momentum_buffer", "param") and case.optimizer == "sgd" and optimizer_option(case, "momentum"):
        factors.append((1 - optimizer_option(case, "dampening"), "the momentum buffer started at 0 (torch starts it at the "
                                                       "first gradient, without dampening)"))
    return [(value, text) for value, text in factors if value != 1.0]


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


def counterfactuals(case, quantity, key, ours, truth, window, t, witness) -> tuple[str, str] | None:
    """Compare with what each classic mistake computes from torch's own values."""
    oracle = window[t]["oracle"].values
    for name, value, evidence in candidates(case, quantity, key, oracle, window, t, witness):
        if value is not None and close(ours, value, case) and not close(truth, value, case):
            return name, evidence
    return None



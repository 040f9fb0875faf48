"""What classic back-propagation mistakes compute, so that a wrong number can be recognised.

Each function takes torch's correct intermediate values and returns what a mistaken
implementation would have produced from them; report/diagnose.py compares a wrong array with
these. NumPy only; the formulas are the reference's own, called the wrong way.
"""

import inspect

import numpy as np

from reference import activations, layers, recurrent
from reference.optimizers import adam_update, adamw_update


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
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    mean, variance = x.mean(axis=axes), x.var(axis=axes)
    return layers.batch_norm_backward(grad_out, x, weight, None, mean, variance, training=False, eps=eps)[0]


def layer_norm_without_weight(grad_out: np.ndarray, x: np.ndarray, normalized_shape, eps: float) -> np.ndarray:
    """Layer norm's input gradient with grad_x̂ = grad_out, the weight γ left out (right only while γ = 1)."""
    return layers.layer_norm_backward(grad_out, x, None, None, normalized_shape, eps=eps)[0]


def running_var_biased(x: np.ndarray, running_var: np.ndarray, momentum: float) -> np.ndarray:
    """The running variance updated with the biased σ² that normalises, without torch's n/(n − 1)."""
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
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
    count = {"lstm": 4, "gru": 3}[kind]
    def permuted(array: np.ndarray | None) -> np.ndarray | None:
        return None if array is None else np.concatenate([np.split(array, count)[k] for k in order])
    return getattr(recurrent, f"{kind}_forward")(x, *(permuted(p) for p in params), *states, output=output)


def conv2d_kernel_flipped(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray, options: dict) -> np.ndarray:
    """conv2d's input gradient computed with the kernel turned 180°, as a true convolution's would be."""
    return layers.conv2d_backward(grad_out, x, weight[:, :, ::-1, ::-1], **options)[0]

"""The layers beyond dense: convolution (2-d and 1-d), pooling, flatten, normalisation, dropout, embedding.
NumPy only.

Each layer is a `<type>_forward(x, …)` and a `<type>_backward(grad_out, x, …)` side by side, as
CS231n writes them; instead of a cache, backward takes the forward's own inputs again (x, the
parameters, the options) and recomputes what it needs, so every argument is a plain array. Shapes
and parameter layouts are torch's: images are (B, C, H, W), a convolution's weight is
(out_channels, in_channels, kh, kw). Options carry torch's defaults in the signatures.

Windows. A convolution or pooling layer reads the window of x under each output position:

    window(h, w) = xp[:, :, h·sh + i·dh, w·sw + j·dw]   for i < kh, j < kw

where xp is x padded by (ph, pw) on each side (with 0, or −∞ for max-pooling) and s, d are the
stride and the dilation. `windows` returns all of them at once as a (B, C, OH, OW, kh, kw) view;
`add_windows` is its adjoint: it adds each window's gradient back onto the element it was read from.
"""

import numpy as np


def pair(value: int | list[int] | tuple[int, int]) -> tuple[int, int]:
    """torch's int-or-pair options: 3 -> (3, 3); [2, 3] -> (2, 3)."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def fitting(size: int, kernel: int, stride: int, dilation: int) -> int:
    """How many windows fit along a side of the padded x: ⌊(size − dilation·(kernel − 1) − 1) / stride⌋ + 1
    (torch's output size, floor mode, with the padding already added to size)."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def padded(x: np.ndarray, padding: tuple[int, int], fill: float) -> np.ndarray:
    ph, pw = padding
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def windows(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
            ) -> np.ndarray:
    """Every window of the padded xp (B, C, Hp, Wp) as a read-only view (B, C, OH, OW, kh, kw)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    batch, channels, height, width = xp.shape
    oh, ow = fitting(height, kh, sh, dh), fitting(width, kw, sw, dw)
    sb, sc, sy, sx = xp.strides
    return np.lib.stride_tricks.as_strided(xp, (batch, channels, oh, ow, kh, kw),
                                           (sb, sc, sy * sh, sx * sw, sy * dh, sx * dw), writeable=False)


def add_windows(grad_windows: np.ndarray, padded_shape: tuple[int, ...], padding: tuple[int, int],
                 stride: tuple[int, int], dilation: tuple[int, int]) -> np.ndarray:
    """The adjoint of windows: grad_xp[:, :, h·sh + i·dh, w·sw + j·dw] += grad_windows[:, :, h, w, i, j],
    summed over every window that read the element; the padding cropped off."""
    _, _, oh, ow, kh, kw = grad_windows.shape
    (sh, sw), (dh, dw), (ph, pw) = stride, dilation, padding
    grad_xp = np.zeros(padded_shape, grad_windows.dtype)
    for i in range(kh):
        for j in range(kw):
            grad_xp[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh, j * dw: j * dw + sw * (ow - 1) + 1: sw] += \
                grad_windows[:, :, :, :, i, j]
    return grad_xp[:, :, ph: padded_shape[2] - ph, pw: padded_shape[3] - pw]


# ---- conv2d ------------------------------------------------------------------------------------

def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride=1, padding=0,
                   dilation=1) -> np.ndarray:
    """z[b, o, h, w] = bias[o] + Σ_{c,i,j} weight[o, c, i, j] · window(h, w)[b, c, i, j]

    x (B, C, H, W), weight (O, C, kh, kw), bias (O,) or None -> z (B, O, OH, OW)."""
    patches = windows(padded(x, pair(padding), 0.0), weight.shape[2:], pair(stride), pair(dilation))
    z = np.einsum("bchwij,ocij->bohw", patches, weight, optimize=True)
    return z if bias is None else z + bias[None, :, None, None]


def conv2d_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray, stride=1, padding=0,
                    dilation=1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """grad_out = ∂L/∂z (B, O, OH, OW):

    grad_weight[o, c, i, j] = Σ_{b,h,w} grad_out[b, o, h, w] · window(h, w)[b, c, i, j]   (O, C, kh, kw)
    grad_bias[o]            = Σ_{b,h,w} grad_out[b, o, h, w]                              (O,)
    grad_window[b, c, h, w, i, j] = Σ_o grad_out[b, o, h, w] · weight[o, c, i, j]
    grad_x = the window gradients added back where each window read x                    (B, C, H, W)
    """
    xp = padded(x, pair(padding), 0.0)
    patches = windows(xp, weight.shape[2:], pair(stride), pair(dilation))
    grad_weight = np.einsum("bohw,bchwij->ocij", grad_out, patches, optimize=True)
    grad_bias = grad_out.sum(axis=(0, 2, 3))
    grad_windows = np.einsum("bohw,ocij->bchwij", grad_out, weight, optimize=True)
    grad_x = add_windows(grad_windows, xp.shape, pair(padding), pair(stride), pair(dilation))
    return grad_x, grad_weight, grad_bias


# ---- conv1d ------------------------------------------------------------------------------------
#
# A 1-d convolution over (B, C, L) is the 2-d one over images of height 1: x[:, :, None] is (B, C, 1, L),
# weight[:, :, None] (O, C, 1, k), and the stride, padding and dilation act along the width only.

def conv1d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride=1, padding=0,
                   dilation=1) -> np.ndarray:
    """z[b, o, l] = bias[o] + Σ_{c,j} weight[o, c, j] · xp[b, c, l·s + j·d]      (xp: x padded by p each side)

    x (B, C, L), weight (O, C, k), bias (O,) or None -> z (B, O, OL)."""
    return conv2d_forward(x[:, :, None], weight[:, :, None], bias, (1, single(stride)), (0, single(padding)),
                          (1, single(dilation)))[:, :, 0]


def conv1d_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray, stride=1, padding=0,
                    dilation=1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """grad_out = ∂L/∂z (B, O, OL):

    grad_weight[o, c, j] = Σ_{b,l} grad_out[b, o, l] · xp[b, c, l·s + j·d]     (O, C, k)
    grad_bias[o]         = Σ_{b,l} grad_out[b, o, l]                           (O,)
    grad_x[b, c, l·s + j·d − p] += Σ_o grad_out[b, o, l] · weight[o, c, j]     (B, C, L)
    """
    grad_x, grad_weight, grad_bias = conv2d_backward(grad_out[:, :, None], x[:, :, None], weight[:, :, None],
                                                     (1, single(stride)), (0, single(padding)), (1, single(dilation)))
    return grad_x[:, :, 0], grad_weight[:, :, 0], grad_bias


def single(value: int | list[int] | tuple[int]) -> int:
    """torch's 1-d option, an int or a one-element list: 3 or [3] -> 3."""
    return value if isinstance(value, int) else int(value[0])


# ---- pooling -----------------------------------------------------------------------------------

def max_pool2d_forward(x: np.ndarray, kernel_size, stride=None, padding=0, dilation=1) -> np.ndarray:
    """y[b, c, h, w] = max over the window(h, w) of x padded with −∞; stride defaults to kernel_size.

    x (B, C, H, W) -> y (B, C, OH, OW)."""
    kernel = pair(kernel_size)
    patches = windows(padded(x, pair(padding), -np.inf), kernel, pair(stride or kernel_size), pair(dilation))
    return patches.max(axis=(4, 5))


def max_pool2d_backward(grad_out: np.ndarray, x: np.ndarray, kernel_size, stride=None, padding=0,
                        dilation=1) -> np.ndarray:
    """grad_x[element chosen by window(h, w)] += grad_out[b, c, h, w]   (B, C, H, W)

    Each window sends its whole gradient to one element: the first maximum in the window read row
    by row (i, then j), as torch's max-pooling records its index. On a tie the later equal elements
    get nothing; an element that is the maximum of several overlapping windows collects from each.
    """
    kernel = pair(kernel_size)
    xp = padded(x, pair(padding), -np.inf)
    patches = windows(xp, kernel, pair(stride or kernel_size), pair(dilation))
    flat = patches.reshape(*patches.shape[:4], -1)
    first = flat.argmax(axis=4)  # argmax returns the first of equal maxima
    chosen = np.arange(flat.shape[4]) == first[..., None]  # one-hot (B, C, OH, OW, kh·kw)
    grad_windows = (chosen * grad_out[..., None]).reshape(patches.shape)
    return add_windows(grad_windows, xp.shape, pair(padding), pair(stride or kernel_size), pair(dilation))


def avg_pool2d_forward(x: np.ndarray, kernel_size, stride=None, padding=0, count_include_pad=True) -> np.ndarray:
    """y[b, c, h, w] = Σ window(h, w) / n, x padded with 0; n = kh·kw, or with count_include_pad=False
    the number of the window's elements inside x. x (B, C, H, W) -> y (B, C, OH, OW)."""
    kernel = pair(kernel_size)
    patches = windows(padded(x, pair(padding), 0.0), kernel, pair(stride or kernel_size), (1, 1))
    return patches.sum(axis=(4, 5)) / _window_counts(x, kernel_size, stride, padding, count_include_pad)


def avg_pool2d_backward(grad_out: np.ndarray, x: np.ndarray, kernel_size, stride=None, padding=0,
                        count_include_pad=True) -> np.ndarray:
    """grad_x[every element of window(h, w)] += grad_out[b, c, h, w] / n   (B, C, H, W)"""
    kernel = pair(kernel_size)
    share = grad_out / _window_counts(x, kernel_size, stride, padding, count_include_pad)
    grad_windows = np.broadcast_to(share[..., None, None], (*share.shape, *kernel))
    (ph, pw), (batch, channels, height, width) = pair(padding), x.shape
    return add_windows(grad_windows, (batch, channels, height + 2 * ph, width + 2 * pw), (ph, pw),
                       pair(stride or kernel_size), (1, 1))


def _window_counts(x: np.ndarray, kernel_size, stride, padding, count_include_pad: bool) -> np.ndarray | int:
    """n for each output position: kh·kw, or the number of the window's elements that are not padding."""
    kernel = pair(kernel_size)
    if count_include_pad:
        return kernel[0] * kernel[1]
    inside = padded(np.ones((1, 1, *x.shape[2:]), x.dtype), pair(padding), 0.0)
    return windows(inside, kernel, pair(stride or kernel_size), (1, 1)).sum(axis=(4, 5))


# ---- flatten -----------------------------------------------------------------------------------

def flatten_forward(x: np.ndarray) -> np.ndarray:
    """y = x reshaped to (B, everything else), as nn.Flatten()."""
    return x.reshape(len(x), -1)


def flatten_backward(grad_out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """grad_x = grad_out reshaped back to x's shape."""
    return grad_out.reshape(x.shape)


# ---- batch_norm --------------------------------------------------------------------------------

def channel_axes(x: np.ndarray) -> tuple[int, ...]:
    """The axes batch norm averages over: the batch (B, D), or the batch and the pixels (B, C, H, W)."""
    return (0,) if x.ndim == 2 else (0, 2, 3)


def _per_channel(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(C,) -> broadcastable against x: (1, C) or (1, C, 1, 1)."""
    return values.reshape(1, -1) if x.ndim == 2 else values.reshape(1, -1, 1, 1)


def batch_norm_forward(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, running_mean: np.ndarray,
                       running_var: np.ndarray, training: bool = True, eps: float = 1e-5) -> np.ndarray:
    """Training: μ, σ² = mean and biased variance over the batch (and the pixels) per channel;
    evaluation: μ, σ² = running_mean, running_var.

    x̂ = (x − μ) / √(σ² + eps);   y = weight · x̂ + bias   (no affine: y = x̂)
    x (B, C) or (B, C, H, W); weight, bias, running statistics (C,)."""
    mean, variance = _statistics(x, running_mean, running_var, training)
    x_hat = (x - _per_channel(mean, x)) / np.sqrt(_per_channel(variance, x) + eps)
    if weight is None:
        return x_hat
    return _per_channel(weight, x) * x_hat + _per_channel(bias, x)


def _statistics(x: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray, training: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    if not training:
        return running_mean, running_var
    axes = channel_axes(x)
    mean = x.mean(axis=axes)
    return mean, ((x - _per_channel(mean, x)) ** 2).mean(axis=axes)


def batch_norm_running(x: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray, momentum: float = 0.1
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The running statistics after one training-mode forward pass, as torch updates them:

    running_mean ← (1 − momentum) · running_mean + momentum · μ
    running_var  ← (1 − momentum) · running_var  + momentum · σ² · n / (n − 1)   (unbiased σ²)
    n = the number of values averaged per channel (B, or B·H·W)."""
    mean, variance = _statistics(x, running_mean, running_var, True)
    n = x.size // x.shape[1]
    return ((1 - momentum) * running_mean + momentum * mean,
            (1 - momentum) * running_var + momentum * variance * n / (n - 1))


def batch_norm_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                        running_mean: np.ndarray, running_var: np.ndarray, training: bool = True, eps: float = 1e-5
                        ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """grad_out = ∂L/∂y, mean_A and Σ_A over the batch (and the pixels) per channel:

    grad_weight = Σ_A grad_out · x̂                                                        (C,)
    grad_bias   = Σ_A grad_out                                                            (C,)
    grad_x̂      = grad_out · weight
    training:   grad_x = (grad_x̂ − mean_A grad_x̂ − x̂ · mean_A(grad_x̂ · x̂)) / √(σ² + eps)
                (μ and σ² depend on every x of the channel: the three terms)
    evaluation: grad_x = grad_x̂ / √(running_var + eps)
    """
    mean, variance = _statistics(x, running_mean, running_var, training)
    axes = channel_axes(x)
    scale = 1 / np.sqrt(_per_channel(variance, x) + eps)
    x_hat = (x - _per_channel(mean, x)) * scale
    grad_x_hat = grad_out if weight is None else grad_out * _per_channel(weight, x)
    if training:
        grad_x = (grad_x_hat - grad_x_hat.mean(axis=axes, keepdims=True)
                  - x_hat * (grad_x_hat * x_hat).mean(axis=axes, keepdims=True)) * scale
    else:
        grad_x = grad_x_hat * scale
    if weight is None:
        return grad_x, None, None
    return grad_x, (grad_out * x_hat).sum(axis=axes), grad_out.sum(axis=axes)


# ---- layer_norm --------------------------------------------------------------------------------

def layer_norm_forward(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, normalized_shape,
                       eps: float = 1e-5) -> np.ndarray:
    """μ, σ² = mean and biased variance over the last len(normalized_shape) axes of each sample;

    x̂ = (x − μ) / √(σ² + eps);   y = weight · x̂ + bias   (weight, bias of shape normalized_shape)."""
    x_hat = _normalised(x, normalized_shape, eps)[0]
    return x_hat if weight is None else weight * x_hat + bias


def _normalised(x: np.ndarray, normalized_shape, eps: float) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """(x̂, 1/√(σ² + eps), the normalised axes)."""
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    scale = 1 / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + eps)
    return (x - mean) * scale, scale, axes


def layer_norm_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                        normalized_shape, eps: float = 1e-5
                        ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """mean_N over the normalised axes of one sample, Σ_B over the others:

    grad_weight = Σ_B grad_out · x̂;   grad_bias = Σ_B grad_out                  (normalized_shape)
    grad_x̂      = grad_out · weight
    grad_x      = (grad_x̂ − mean_N grad_x̂ − x̂ · mean_N(grad_x̂ · x̂)) / √(σ² + eps)
    """
    x_hat, scale, axes = _normalised(x, normalized_shape, eps)
    grad_x_hat = grad_out if weight is None else grad_out * weight
    grad_x = (grad_x_hat - grad_x_hat.mean(axis=axes, keepdims=True)
              - x_hat * (grad_x_hat * x_hat).mean(axis=axes, keepdims=True)) * scale
    if weight is None:
        return grad_x, None, None
    batch_axes = tuple(range(x.ndim - len(normalized_shape)))
    return grad_x, (grad_out * x_hat).sum(axis=batch_axes), grad_out.sum(axis=batch_axes)


# ---- dropout -----------------------------------------------------------------------------------

def dropout_forward(x: np.ndarray, draws: np.ndarray, p: float = 0.5, training: bool = True) -> np.ndarray:
    """Training: mask = [draws ≥ p] (each element kept with probability 1 − p), y = x · mask / (1 − p);
    evaluation: y = x. draws: the step's uniform numbers in [0, 1), x's shape (cases.Case.dropout_draws)."""
    return x * (draws >= p) / (1 - p) if training else x


def dropout_backward(grad_out: np.ndarray, x: np.ndarray, draws: np.ndarray, p: float = 0.5,
                     training: bool = True) -> np.ndarray:
    """grad_x = grad_out · mask / (1 − p) in training (the same mask), grad_out in evaluation."""
    return grad_out * (draws >= p) / (1 - p) if training else grad_out


# ---- embedding ---------------------------------------------------------------------------------

def embedding_forward(indices: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """y[b, t] = weight[indices[b, t]]: a row of the table per index. indices (B, T) integers,
    weight (num_embeddings, embedding_dim) -> y (B, T, embedding_dim)."""
    return weight[indices]


def embedding_backward(grad_out: np.ndarray, indices: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """grad_weight[k] = Σ_{(b, t) : indices[b, t] = k} grad_out[b, t]   (num_embeddings, embedding_dim)

    A repeated index collects the gradient of every place it was used; rows never used get 0.
    The indices are integers: there is no gradient for them."""
    grad_weight = np.zeros_like(weight)
    np.add.at(grad_weight, indices.ravel(), grad_out.reshape(-1, weight.shape[1]))
    return grad_weight

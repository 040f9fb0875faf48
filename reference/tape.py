"""Reverse-mode automatic differentiation with a tape. NumPy only.

The founding tutorial's description, as code: a library of functions that each know their
derivative; during the forward pass every call is pushed onto a stack (the tape); backward()
unwinds the stack from the last call to the first, and each call hands its output's gradient
to its inputs — added to what they already hold (`grad +=`), because a value that feeds several
calls receives gradient from each of them.

Each primitive below is one function: its forward value, then `def backward(grad_out)` returning
the gradient for each input, with what it needs saved from the forward pass. Broadcasting in the
forward pass (a bias added to every row) is undone in the backward pass by summing over the
broadcast axes (`unbroadcast`). Everything else — sigmoid, tanh, softmax, the losses — is built
from these primitives (reference/composites.py), so the tape derives its derivative itself.
Corners are torch's and are written in each docstring.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from reference.activations import erf as erf_values


class Variable:
    """A value on the tape: `data` from the forward pass, `grad` = ∂(final output)/∂(this value)."""

    def __init__(self, data: np.ndarray, tape: "Tape", name: str = "") -> None:
        self.data = np.asarray(data)
        self.tape = tape
        self.name = name
        self.grad: np.ndarray | None = None

    # Operators, so that formulas read as formulas: x @ w.T + b, (y_hat - y) ** 2, 1 - s, …
    def __add__(self, other: "Variable | float") -> "Variable":
        return add(self, self.tape.lift(other))

    def __radd__(self, other: float) -> "Variable":
        return add(self.tape.lift(other), self)

    def __sub__(self, other: "Variable | float") -> "Variable":
        return sub(self, self.tape.lift(other))

    def __rsub__(self, other: float) -> "Variable":
        return sub(self.tape.lift(other), self)

    def __mul__(self, other: "Variable | float") -> "Variable":
        return mul(self, self.tape.lift(other))

    def __rmul__(self, other: float) -> "Variable":
        return mul(self.tape.lift(other), self)

    def __truediv__(self, other: "Variable | float") -> "Variable":
        return div(self, self.tape.lift(other))

    def __rtruediv__(self, other: float) -> "Variable":
        return div(self.tape.lift(other), self)

    def __neg__(self) -> "Variable":
        return neg(self)

    def __pow__(self, exponent: float) -> "Variable":
        return power(self, exponent)

    def __matmul__(self, other: "Variable") -> "Variable":
        return matmul(self, other)

    @property
    def T(self) -> "Variable":  # noqa: N802 (NumPy's spelling)
        return transpose(self)


@dataclass
class Record:
    """One call on the tape: what was called, on what, giving what, and how to go back."""

    operation: str
    inputs: tuple[Variable, ...]
    output: Variable
    backward: Callable[[np.ndarray], tuple[np.ndarray, ...]]
    local_grads: tuple[np.ndarray, ...] = ()  # filled in by the backward replay, for display


@dataclass
class Tape:
    """The stack of calls made during one forward pass."""

    records: list[Record] = field(default_factory=list)
    dtype: np.dtype = field(default_factory=lambda: np.dtype(np.float64))

    def variable(self, data: np.ndarray, name: str = "") -> Variable:
        """A leaf: an input or a parameter, whose gradient we want."""
        return Variable(np.asarray(data, dtype=self.dtype), self, name)

    def constant(self, data: np.ndarray | float) -> Variable:
        return Variable(np.asarray(data, dtype=self.dtype), self, "const")

    def lift(self, value: "Variable | float") -> Variable:
        return value if isinstance(value, Variable) else self.constant(value)

    def push(self, operation: str, inputs: tuple[Variable, ...], data: np.ndarray,
             backward: Callable[[np.ndarray], tuple[np.ndarray, ...]]) -> Variable:
        output = Variable(data, self, operation)
        self.records.append(Record(operation, inputs, output, backward))
        return output

    def backward(self, output: Variable, grad_output: np.ndarray | None = None) -> None:
        """Unwind the tape from `output`: ∂output/∂output = 1 (or `grad_output`), then call by call."""
        output.grad = np.ones_like(output.data) if grad_output is None else np.asarray(grad_output, output.data.dtype)
        for record in reversed(self.records):
            if record.output.grad is None:  # this call does not lead to the output
                continue
            record.local_grads = record.backward(record.output.grad)
            for variable, grad in zip(record.inputs, record.local_grads, strict=True):
                accumulate(variable, grad)


def accumulate(variable: Variable, grad: np.ndarray) -> None:
    """grad += contribution: a value used by several calls collects gradient from each.

    (Never in place: a call may send one array to two inputs, so each sum is a new array.)"""
    variable.grad = grad if variable.grad is None else variable.grad + grad


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum grad over the axes NumPy broadcast to reach grad.shape from `shape`."""
    if grad.shape == shape:
        return grad  # nothing was broadcast (most calls)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


# ---- the library of primitives -----------------------------------------------------------------

def matmul(a: Variable, b: Variable) -> Variable:
    """out = a @ b      grad_a = grad_out @ b.T,   grad_b = a.T @ grad_out      (vectors: torch's dot/mv rules)"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        if a.data.ndim == 1 and b.data.ndim == 1:
            return grad_out * b.data, grad_out * a.data
        if b.data.ndim == 1:
            return np.outer(grad_out, b.data), a.data.T @ grad_out
        if a.data.ndim == 1:
            return b.data @ grad_out, np.outer(a.data, grad_out)
        return grad_out @ b.data.T, a.data.T @ grad_out
    return a.tape.push("matmul", (a, b), a.data @ b.data, backward)


def transpose(a: Variable) -> Variable:
    """out = a.T      grad_a = grad_out.T"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out.T,)
    return a.tape.push("transpose", (a,), a.data.T, backward)


def add(a: Variable, b: Variable) -> Variable:
    """out = a + b      grad_a = grad_out,   grad_b = grad_out      (each un-broadcast)"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return unbroadcast(grad_out, a.data.shape), unbroadcast(grad_out, b.data.shape)
    return a.tape.push("add", (a, b), a.data + b.data, backward)


def sub(a: Variable, b: Variable) -> Variable:
    """out = a − b      grad_a = grad_out,   grad_b = −grad_out"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return unbroadcast(grad_out, a.data.shape), unbroadcast(-grad_out, b.data.shape)
    return a.tape.push("sub", (a, b), a.data - b.data, backward)


def mul(a: Variable, b: Variable) -> Variable:
    """out = a · b      grad_a = grad_out · b,   grad_b = grad_out · a"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return unbroadcast(grad_out * b.data, a.data.shape), unbroadcast(grad_out * a.data, b.data.shape)
    return a.tape.push("mul", (a, b), a.data * b.data, backward)


def div(a: Variable, b: Variable) -> Variable:
    """out = a / b      grad_a = grad_out / b,   grad_b = −grad_out · a / b²"""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a.data / b.data

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (unbroadcast(grad_out / b.data, a.data.shape),
                    unbroadcast(-grad_out * a.data / (b.data * b.data), b.data.shape))
    return a.tape.push("div", (a, b), out, backward)


def neg(a: Variable) -> Variable:
    """out = −a      grad_a = −grad_out"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (-grad_out,)
    return a.tape.push("neg", (a,), -a.data, backward)


def power(a: Variable, exponent: float) -> Variable:
    """out = a^p (p a constant)      grad_a = grad_out · p · a^(p−1)      corner: p = 0 gives 0, as torch"""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a.data**exponent

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        if exponent == 0:
            return (np.zeros_like(grad_out),)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (grad_out * exponent * a.data ** (exponent - 1),)
    return a.tape.push(f"pow{exponent:g}", (a,), out, backward)


def exp(a: Variable) -> Variable:
    """out = exp(a)      grad_a = grad_out · out"""
    with np.errstate(over="ignore"):  # only where() branches that are discarded overflow
        out = np.exp(a.data)

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        with np.errstate(invalid="ignore", over="ignore"):
            return (grad_out * out,)
    return a.tape.push("exp", (a,), out, backward)


def expm1(a: Variable) -> Variable:
    """out = exp(a) − 1, exact near a = 0      grad_a = grad_out · exp(a)"""
    with np.errstate(over="ignore"):
        out = np.expm1(a.data)

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        with np.errstate(invalid="ignore", over="ignore"):
            return (grad_out * np.exp(a.data),)
    return a.tape.push("expm1", (a,), out, backward)


def log(a: Variable) -> Variable:
    """out = ln(a)      grad_a = grad_out / a      corner: ln 0 = −inf with gradient inf, as torch"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad_out / a.data,)
    with np.errstate(divide="ignore", invalid="ignore"):
        return a.tape.push("log", (a,), np.log(a.data), backward)


def sqrt(a: Variable) -> Variable:
    """out = √a      grad_a = grad_out / (2√a)      corner: at 0 the gradient is inf, as torch"""
    with np.errstate(invalid="ignore"):
        out = np.sqrt(a.data)

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad_out / (2 * out),)
    return a.tape.push("sqrt", (a,), out, backward)


def absolute(a: Variable) -> Variable:
    """out = |a|      grad_a = grad_out · sign(a)      corner: abs'(0) = sign(0) = 0, as torch"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out * np.sign(a.data),)
    return a.tape.push("abs", (a,), np.abs(a.data), backward)


def maximum(a: Variable, b: Variable) -> Variable:
    """out = max(a, b) elementwise      grad to the larger; corner: a tie gives each half, as torch.maximum"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        share = np.where(a.data == b.data, 0.5, 1.0) * grad_out
        return (unbroadcast(np.where(a.data >= b.data, share, 0), a.data.shape),
                unbroadcast(np.where(b.data >= a.data, share, 0), b.data.shape))
    return a.tape.push("max", (a, b), np.maximum(a.data, b.data), backward)


def minimum(a: Variable, b: Variable) -> Variable:
    """out = min(a, b) elementwise      grad to the smaller; corner: a tie gives each half, as torch.minimum"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        share = np.where(a.data == b.data, 0.5, 1.0) * grad_out
        return (unbroadcast(np.where(a.data <= b.data, share, 0), a.data.shape),
                unbroadcast(np.where(b.data <= a.data, share, 0), b.data.shape))
    return a.tape.push("min", (a, b), np.minimum(a.data, b.data), backward)


def where(condition: np.ndarray, a: Variable, b: Variable) -> Variable:
    """out = a where condition else b      grad_a = grad_out · [condition],  grad_b = grad_out · [¬condition]"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (unbroadcast(np.where(condition, grad_out, 0), a.data.shape),
                unbroadcast(np.where(condition, 0, grad_out), b.data.shape))
    return a.tape.push("where", (a, b), np.where(condition, a.data, b.data), backward)


def total(a: Variable, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Variable:
    """out = Σ a (over `axis`, or over everything)      grad_a = grad_out, the same for every summed element"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        spread = grad_out if axis is None or keepdims else np.expand_dims(grad_out, axis)
        return (np.broadcast_to(spread, a.data.shape).copy(),)
    return a.tape.push("sum", (a,), np.asarray(a.data.sum(axis=axis, keepdims=keepdims)), backward)


def reshape(a: Variable, shape: tuple[int, ...]) -> Variable:
    """out = a with the same numbers in another shape      grad_a = grad_out in a's shape"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out.reshape(a.data.shape),)
    return a.tape.push("reshape", (a,), a.data.reshape(shape), backward)


def permute(a: Variable, axes: tuple[int, ...]) -> Variable:
    """out = a with its axes reordered      grad_a = grad_out with the order undone"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.transpose(grad_out, np.argsort(axes)),)
    return a.tape.push("permute", (a,), np.transpose(a.data, axes), backward)


def pad(a: Variable, padding: tuple[int, int], fill: float) -> Variable:
    """out = a (B, C, H, W) with `padding` rows and columns of `fill` on each side
    grad_a = grad_out with the border cut off (the fill is a constant)"""
    ph, pw = padding
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out[:, :, ph: grad_out.shape[2] - ph, pw: grad_out.shape[3] - pw],)
    data = np.pad(a.data, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    return a.tape.push("pad", (a,), data, backward)


def part(a: Variable, key: tuple) -> Variable:
    """out = a[key], a slice such as a[:, t] or a[:, 0:H]      grad_a = grad_out in place of the slice, 0 elsewhere"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        grad = np.zeros(a.data.shape, grad_out.dtype)
        grad[key] = grad_out
        return (grad,)
    return a.tape.push("part", (a,), a.data[key], backward)


def stack(parts: list[Variable], axis: int) -> Variable:
    """out = the parts stacked along a new `axis`      grad_part_k = grad_out's k-th slice along that axis"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.take(grad_out, k, axis=axis) for k in range(len(parts)))
    return parts[0].tape.push("stack", tuple(parts), np.stack([p.data for p in parts], axis=axis), backward)


def take(a: Variable, index: np.ndarray) -> Variable:
    """out[k] = a.flat[index[k]]: elements picked by position, any element any number of times
    grad_a.flat[i] = Σ_{k : index[k] = i} grad_out[k]      (every pick sends its gradient back)"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        grad = np.zeros(a.data.size, grad_out.dtype)
        np.add.at(grad, index.ravel(), grad_out.ravel())
        return (grad.reshape(a.data.shape),)
    return a.tape.push("take", (a,), a.data.reshape(-1)[index], backward)


def max_first(a: Variable) -> Variable:
    """out = max over the last axis      grad_a = grad_out at the first maximum, 0 elsewhere
    (torch's max-pooling rule: of equal maxima the first one, in the order of the last axis, gets all)"""
    first = a.data.argmax(axis=-1)
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        chosen = np.arange(a.data.shape[-1]) == first[..., None]
        return (np.where(chosen, grad_out[..., None], 0),)
    return a.tape.push("max_first", (a,), a.data.max(axis=-1), backward)


def mean(a: Variable) -> Variable:
    """out = Σ a / n      grad_a = grad_out / n"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.broadcast_to(grad_out / a.data.size, a.data.shape).copy(),)
    return a.tape.push("mean", (a,), np.asarray(a.data.mean()), backward)




def erf(a: Variable) -> Variable:
    """out = erf(a)      grad_a = grad_out · 2/√π · exp(−a²)"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out * (2 / math.sqrt(math.pi)) * np.exp(-a.data * a.data),)
    return a.tape.push("erf", (a,), erf_values(a.data).astype(a.data.dtype), backward)


def binary_cross_entropy(p: Variable, y: np.ndarray, log_floor: float, epsilon: float) -> Variable:
    """out = −(y·max(ln p, log_floor) + (1 − y)·max(ln(1 − p), log_floor)), elementwise
    grad_p = grad_out · (p − y) / max(p(1 − p), ε)

    One call, as torch's BCELoss is one call: torch defines its backward by this formula, not by
    the derivative of the clamped logs. They differ only where p is exactly 0 or 1 (a saturated
    sigmoid, soon reached in float32), where the composed form gives 0 · ∞ = NaN and torch a
    finite number. This is the one rule the tape shares with reference/losses.py.
    """
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p.data), log_floor)
        log_q = np.maximum(np.log(1 - p.data), log_floor)
    out = -(y * log_p + (1 - y) * log_q)

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out * (p.data - y) / np.maximum(p.data * (1 - p.data), epsilon),)
    return p.tape.push("binary_cross_entropy", (p,), out, backward)

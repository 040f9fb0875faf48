"""Reverse-mode automatic differentiation with a tape. NumPy only.

The founding tutorial's description, as code: a library of functions that each know their
derivative; during the forward pass every call is pushed onto a stack (the tape); backward()
unwinds the stack from the last call to the first, and each call hands its output's gradient
to its inputs — added to what they already hold (`grad +=`), because a value that feeds several
calls receives gradient from each of them.

Each operation below is one function: its forward, then `def backward(grad_out)` returning the
gradient for each input, with what it needs saved from the forward pass. Broadcasting in the
forward pass (a bias added to every row) is undone in the backward pass by summing over the
broadcast axes (`unbroadcast`).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


class Variable:
    """A value on the tape: `data` from the forward pass, `grad` = ∂(final output)/∂(this value)."""

    def __init__(self, data: np.ndarray, tape: "Tape", name: str = "") -> None:
        self.data = np.asarray(data)
        self.tape = tape
        self.name = name
        self.grad: np.ndarray | None = None

    # Operators, so that formulas read as formulas: x @ w.T + b, (y_hat - y) ** 2, …
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

    def backward(self, output: Variable) -> None:
        """Unwind the tape from `output` (a scalar): ∂output/∂output = 1, then call by call."""
        output.grad = np.ones_like(output.data)
        for record in reversed(self.records):
            if record.output.grad is None:  # this call does not lead to the output
                continue
            record.local_grads = record.backward(record.output.grad)
            for variable, grad in zip(record.inputs, record.local_grads, strict=True):
                accumulate(variable, grad)


def accumulate(variable: Variable, grad: np.ndarray) -> None:
    """grad += contribution: a value used by several calls collects gradient from each."""
    variable.grad = grad.copy() if variable.grad is None else variable.grad + grad


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum grad over the axes NumPy broadcast to reach grad.shape from `shape`."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


# ---- the library of functions ------------------------------------------------------------------

def matmul(a: Variable, b: Variable) -> Variable:
    """out = a @ b      grad_a = grad_out @ b.T,   grad_b = a.T @ grad_out"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
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


def neg(a: Variable) -> Variable:
    """out = −a      grad_a = −grad_out"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (-grad_out,)
    return a.tape.push("neg", (a,), -a.data, backward)


def power(a: Variable, exponent: float) -> Variable:
    """out = a^p (p a constant)      grad_a = grad_out · p · a^(p−1)"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out * exponent * a.data ** (exponent - 1),)
    return a.tape.push(f"pow{exponent:g}", (a,), a.data**exponent, backward)


def exp(a: Variable) -> Variable:
    """out = exp(a)      grad_a = grad_out · out"""
    with np.errstate(over="ignore"):  # only where() branches that are discarded overflow
        out = np.exp(a.data)

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        with np.errstate(invalid="ignore", over="ignore"):
            return (grad_out * out,)
    return a.tape.push("exp", (a,), out, backward)


def log(a: Variable) -> Variable:
    """out = ln(a)      grad_a = grad_out / a"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out / a.data,)
    with np.errstate(divide="ignore"):
        return a.tape.push("log", (a,), np.log(a.data), backward)


def absolute(a: Variable) -> Variable:
    """out = |a|      grad_a = grad_out · sign(a)      corner: sign(0) = 0, as torch"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out * np.sign(a.data),)
    return a.tape.push("abs", (a,), np.abs(a.data), backward)


def where(condition: np.ndarray, a: Variable, b: Variable) -> Variable:
    """out = a where condition else b      grad_a = grad_out · [condition],  grad_b = grad_out · [¬condition]"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (unbroadcast(np.where(condition, grad_out, 0), a.data.shape),
                unbroadcast(np.where(condition, 0, grad_out), b.data.shape))
    return a.tape.push("where", (a, b), np.where(condition, a.data, b.data), backward)


def total(a: Variable) -> Variable:
    """out = Σ a      grad_a = grad_out (the same for every element)"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.broadcast_to(grad_out, a.data.shape).copy(),)
    return a.tape.push("sum", (a,), a.data.sum(), backward)


def mean(a: Variable) -> Variable:
    """out = Σ a / n      grad_a = grad_out / n"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.broadcast_to(grad_out / a.data.size, a.data.shape).copy(),)
    return a.tape.push("mean", (a,), a.data.mean(), backward)


def sigmoid(a: Variable) -> Variable:
    """out = 1 / (1 + exp(−a))      grad_a = grad_out · out · (1 − out)"""
    with np.errstate(over="ignore"):
        out = (1 / (1 + np.exp(-a.data.astype(np.float64)))).astype(a.data.dtype)

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out * out * (1 - out),)
    return a.tape.push("sigmoid", (a,), out, backward)


def relu(a: Variable) -> Variable:
    """out = max(a, 0)      grad_a = grad_out · [a > 0]      corner: relu'(0) = 0"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.where(a.data > 0, grad_out, 0),)
    return a.tape.push("relu", (a,), np.maximum(a.data, 0), backward)


def tanh(a: Variable) -> Variable:
    """out = tanh(a)      grad_a = grad_out · (1 − out²)"""
    out = np.tanh(a.data.astype(np.float64)).astype(a.data.dtype)

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out * (1 - out * out),)
    return a.tape.push("tanh", (a,), out, backward)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def erf(a: Variable) -> Variable:
    """out = erf(a)      grad_a = grad_out · 2/√π · exp(−a²)"""
    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out * (2 / math.sqrt(math.pi)) * np.exp(-a.data * a.data),)
    return a.tape.push("erf", (a,), _erf(a.data).astype(a.data.dtype), backward)


def log_softmax(a: Variable) -> Variable:
    """out = a − log Σ_j exp(a_j)   (per row)      grad_a = grad_out − softmax(a) · Σ_j grad_out_j"""
    # log-sum-exp with the row maximum subtracted, so that exp cannot overflow
    shifted = a.data - a.data.max(axis=1, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out - np.exp(out) * grad_out.sum(axis=1, keepdims=True),)
    return a.tape.push("log_softmax", (a,), out, backward)


def softmax(a: Variable) -> Variable:
    """out = exp(a) / Σ_j exp(a_j)   (per row)      grad_a = out · (grad_out − Σ_j grad_out_j · out_j)"""
    e = np.exp(a.data - a.data.max(axis=1, keepdims=True))
    out = e / e.sum(axis=1, keepdims=True)

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (out * (grad_out - (grad_out * out).sum(axis=1, keepdims=True)),)
    return a.tape.push("softmax", (a,), out, backward)


def binary_cross_entropy(p: Variable, y: np.ndarray) -> Variable:
    """out = −mean(y·max(ln p, −100) + (1 − y)·max(ln(1 − p), −100))
    grad_p = grad_out · (p − y) / max(p(1 − p), ε) / n        (ε = 1e-12 as a C float)

    One call, as torch's BCELoss is one call: its backward is this formula, not the derivative
    of the clamped logs. They differ only where p is exactly 0 or 1 (a saturated sigmoid, soon
    reached in float32), where the composed form gives 0 · ∞ = NaN and torch a finite number.
    """
    epsilon = float(np.float32(1e-12))
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p.data), -100.0)
        log_q = np.maximum(np.log(1 - p.data), -100.0)
    out = -(y * log_p + (1 - y) * log_q).mean()

    def backward(grad_out: np.ndarray) -> tuple[np.ndarray, ...]:
        return (grad_out * (p.data - y) / np.maximum(p.data * (1 - p.data), epsilon) / y.size,)
    return p.tape.push("binary_cross_entropy", (p,), np.asarray(out), backward)

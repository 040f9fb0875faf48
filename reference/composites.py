"""Functions built from the tape's primitives, so that the tape derives their derivatives itself.

None of these has a backward of its own: sigmoid, tanh, relu, softmax and the rest are
compositions of exp, expm1, log, div, where, sum … (reference/tape.py), so the tape is a witness
of each derivative, independent of the hand-written formulas in activations.py.

Where a branch could overflow (exp of a large number), each branch is fed only the inputs it is
selected for (`where(x ≥ 0, x, 0)`), because the tape, like torch, would otherwise carry
0 · ∞ = NaN back through the branch that `where` discards.
"""

import math

import numpy as np

from reference import tape as t
from reference.activations import GELU_CUBIC, SQRT_2_OVER_PI
from reference.tape import Variable


def _split(x: Variable, positive: np.ndarray) -> tuple[Variable, Variable]:
    """(x where `positive` else 0, x where not `positive` else 0): each branch sees only its inputs."""
    zero = x.tape.constant(0.0)
    return t.where(positive, x, zero), t.where(positive, zero, x)


def sigmoid(x: Variable) -> Variable:
    """1 / (1 + exp(−x)) for x ≥ 0, exp(x) / (1 + exp(x)) for x < 0 (no overflow either side)"""
    positive = x.data >= 0
    x_pos, x_neg = _split(x, positive)
    e = t.exp(x_neg)
    return t.where(positive, 1.0 / (1.0 + t.exp(-x_pos)), e / (1.0 + e))


def tanh(x: Variable) -> Variable:
    """tanh(u) = −expm1(−2u) / (2 + expm1(−2u)) for u = x ≥ 0; tanh(x) = −tanh(−x) for x < 0"""
    positive = x.data >= 0
    x_pos, x_neg = _split(x, positive)

    def of_positive(u: Variable) -> Variable:
        e = t.expm1(-2.0 * u)
        return -e / (2.0 + e)
    return t.where(positive, of_positive(x_pos), -of_positive(-x_neg))


def relu(x: Variable) -> Variable:
    """x where x > 0, else 0      (so relu'(0) = 0)"""
    return t.where(x.data > 0, x, x.tape.constant(0.0))


def leaky_relu(x: Variable, negative_slope: float) -> Variable:
    """x where x > 0, else negative_slope · x      (so the derivative at 0 is negative_slope)"""
    return t.where(x.data > 0, x, negative_slope * x)


def elu(x: Variable, alpha: float) -> Variable:
    """x where x > 0, else alpha · (exp(x) − 1)      (so the derivative at 0 is alpha, as torch)"""
    positive = x.data > 0
    _, x_rest = _split(x, positive)
    return t.where(positive, x, alpha * t.expm1(x_rest))


def softplus(x: Variable, beta: float, threshold: float) -> Variable:
    """log(1 + exp(beta · x)) / beta, and x where beta · x > threshold (as torch)"""
    above = x.data * beta > threshold
    inside = t.where(above, x.tape.constant(0.0), x)
    return t.where(above, x, (1 / beta) * t.log(1.0 + t.exp(beta * inside)))


def gelu(x: Variable, approximate: str) -> Variable:
    """none: ½x(1 + erf(x/√2));  tanh: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))"""
    if approximate == "tanh":
        return 0.5 * x * (1.0 + tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x**3)))
    return 0.5 * x * (1.0 + t.erf(math.sqrt(0.5) * x))


def log_softmax(x: Variable) -> Variable:
    """x − m − log Σ_j exp(x_j − m) per row, m = the row maximum (a constant: the value does not depend on it)"""
    shifted = x - x.tape.constant(x.data.max(axis=1, keepdims=True))
    return shifted - t.log(_row_sum(t.exp(shifted)))


def softmax(x: Variable) -> Variable:
    """exp(x − m) / Σ_j exp(x_j − m) per row"""
    e = t.exp(x - x.tape.constant(x.data.max(axis=1, keepdims=True)))
    return e / _row_sum(e)


def _row_sum(x: Variable) -> Variable:
    """Σ_j x[b, j], kept as a column (B, 1) so that it broadcasts over the row."""
    return t.total(x, axis=1, keepdims=True)

"""Numerical differentiation: nudge a number, watch the loss move. NumPy only.

The founding tutorial's first method: W = 3 gives loss 30, W = 3.0001 gives 30.006, so the
loss moves 60 times as fast as W. Here, always in float64 whatever the case's dtype:

    D(h) = (L(p + h) − L(p − h)) / 2h,     h = ε^(1/3) · max(|p|, 1),  ε = 2.2e-16

h balances the truncation error of the central difference (h²·L'''/6) against the rounding
error of the subtraction (ε·|L|/h); it is rounded so that p + h − p is exactly h. Each
difference is also taken at 2h: D(2h) − D(h) = h²·L'''/2 measures the curvature, from which
report/verify/tolerances.py bounds the error of D(h).

At a kink (relu at z = 0, |x| at 0) the loss has no derivative, only one-sided ones, and torch
picks one by convention (relu'(0) = 0); the one-sided differences are kept so that the comparison
can recognise a kink and check that torch's value is one of them.

Two kinds of check, both at step 0:
- element by element, for every element of an array of at most `sample` elements, and for a
  seeded sample of larger ones (half the largest |gradient| of the oracle, half at random);
- along a direction: one difference along a seeded ±1 direction d of the whole array, compared
  with ⟨∇L, d⟩, which covers every element at the cost of four forward passes.
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cases import Case, GraphCase
from reference.blocks import REFERENCE, Blocks
from reference.graph import output_only
from reference.network import loss_only

STEP_SCALE = np.finfo(np.float64).eps ** (1 / 3)  # ≈ 6.1e-6
SAMPLE = 64  # elements checked per array; arrays this small or smaller are checked whole


def step_size(value: float) -> float:
    h = STEP_SCALE * max(abs(value), 1.0)
    return (value + h) - value  # representable exactly at this value


@dataclass(frozen=True)
class Difference:
    """A central difference of the loss for one element (index) or along a direction (index None)."""

    array: str  # a parameter's name, or "input"
    index: tuple[int, ...] | None
    value: float  # D(h)
    value_2h: float  # D(2h)
    step: float  # h
    size: float  # max(|p|, 1): the scale h was chosen for
    loss: float  # the largest |L| among the evaluations
    one_sided: tuple[float, float, float, float]  # (L(p) − L(p − h))/h, (L(p + h) − L(p))/h, and the same at 2h


@dataclass(frozen=True)
class Differences:
    elements: list[Difference]
    directions: dict[str, np.ndarray]  # array -> the ±1 direction d
    along: list[Difference]
    sizes: dict[str, int]  # array -> number of elements


def _difference(loss_at: Callable[[float], float], base: float, h: float, size: float, array: str,
                index: tuple[int, ...] | None) -> Difference:
    """D(h), D(2h) and the one-sided quotients, from the loss at p + k·h·d for k = ±1, ±2 and `base` = L(p)."""
    losses = {k: loss_at(k * h) for k in (-2, -1, 1, 2)}
    losses[0] = base
    one_sided = ((losses[0] - losses[-1]) / h, (losses[1] - losses[0]) / h,
                 (losses[0] - losses[-2]) / (2 * h), (losses[2] - losses[0]) / (2 * h))
    return Difference(array, index, (losses[1] - losses[-1]) / (2 * h), (losses[2] - losses[-2]) / (4 * h),
                      h, size, max(abs(v) for v in losses.values()), one_sided)


def _element_moved(loss_of: Callable[[np.ndarray], float], value: np.ndarray, moved: np.ndarray,
                   index: tuple[int, ...]) -> Callable[[float], float]:
    """offset -> the loss with value[index] + offset (in `moved`, a copy of value, put back after)."""
    def loss_at(offset: float) -> float:
        moved[index] = value[index] + offset
        try:
            return loss_of(moved)
        finally:
            moved[index] = value[index]
    return loss_at


def _direction_moved(loss_of: Callable[[np.ndarray], float], value: np.ndarray, direction: np.ndarray
                     ) -> Callable[[float], float]:
    """offset -> the loss at value + offset · direction."""
    return lambda offset: loss_of(value + offset * direction)


def sampled_indices(grad: np.ndarray, name: str, sample: int) -> list[tuple[int, ...]]:
    """Every index of a small array; else half the largest |grad|, half seeded at random."""
    if grad.size <= sample:
        return list(np.ndindex(*grad.shape))
    flat = np.abs(grad).ravel()
    largest = np.argsort(-flat, kind="stable")[: sample // 2]
    rest = np.setdiff1d(np.arange(flat.size), largest)
    generator = np.random.default_rng(zlib.crc32(name.encode()))
    chosen = np.concatenate([largest, generator.choice(rest, sample - len(largest), replace=False)])
    return [tuple(int(i) for i in np.unravel_index(k, grad.shape)) for k in sorted(chosen)]


def central_differences(case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                        oracle_grads: dict[str, np.ndarray], sample: int = SAMPLE,
                        blocks: Blocks = REFERENCE) -> Differences:
    """Element-wise (sampled) and directional differences for every parameter and for the inputs.

    `oracle_grads` (parameter names and "input") choose which elements of a large array are checked.
    """
    case = case.with_dtype("float64")
    params = {name: value.astype(np.float64) for name, value in params.items()}
    x = x if case.index_inputs else x.astype(np.float64)
    y = y if case.class_targets else y.astype(np.float64)
    arrays = params if case.index_inputs else {**params, "input": x}  # indices have no derivative

    def loss_of(name: str) -> Callable[[np.ndarray], float]:
        if name == "input":
            return lambda moved: loss_only(case, params, moved, y, blocks)
        return lambda moved: loss_only(case, {**params, name: moved}, x, y, blocks)

    return differences_of(arrays, loss_of, oracle_grads, sample)


def graph_differences(case: GraphCase, oracle_grads: dict[str, np.ndarray], sample: int = SAMPLE) -> Differences:
    """The same differences for a graph case: its differentiated scalar against each trainable input."""
    case = case.with_dtype("float64")
    values = dict(case.values)

    def loss_of(name: str) -> Callable[[np.ndarray], float]:
        return lambda moved: output_only(case, {**values, name: moved})
    return differences_of(case.parameters(), loss_of, oracle_grads, sample)


def differences_of(arrays: dict[str, np.ndarray], loss_of: Callable[[str], Callable[[np.ndarray], float]],
                   oracle_grads: dict[str, np.ndarray], sample: int) -> Differences:
    """Element-wise (sampled) and directional differences of each array, `loss_of(name)` moving it."""
    elements, along, directions = [], [], {}
    for name, value in arrays.items():
        function = loss_of(name)
        base = function(value)
        moved = value.copy()  # one element moved at a time, put back after
        for index in sampled_indices(oracle_grads[name], name, sample):
            elements.append(_difference(_element_moved(function, value, moved, index), base, step_size(value[index]),
                                        max(abs(value[index]), 1.0), name, index))
        direction = np.random.default_rng(zlib.crc32(("direction " + name).encode())).choice([-1.0, 1.0], value.shape)
        directions[name] = direction
        size = max(float(np.abs(value).max()), 1.0)
        along.append(_difference(_direction_moved(function, value, direction), base, step_size(size), size,
                                 name, None))
    return Differences(elements, directions, along, {name: value.size for name, value in arrays.items()})


def nudged_losses(case: Case, name: str, index: tuple[int, ...], nudges: list[float]) -> list[float]:
    """The step-0 loss with one parameter element moved by each nudge (the tutorial's table)."""
    params = case.parameters()
    batch = case.schedule.batch(0)
    losses = []
    for nudge in nudges:
        moved = params[name].copy()
        moved[index] += nudge
        losses.append(loss_only(case, {**params, name: moved}, case.x[batch], case.targets[batch]))
    return losses


@dataclass(frozen=True)
class Nudge:
    """The tutorial's numerical derivative: move one weight by ±nudge and watch the loss."""

    weights: tuple[float, float, float]  # W − nudge, W, W + nudge
    losses: tuple[float, float, float]
    quotients: tuple[float, float]  # (L(W − n) − L(W)) / −n, (L(W + n) − L(W)) / n
    central: float  # (L(W + n) − L(W − n)) / 2n


def nudge(case: Case, name: str, index: tuple[int, ...], amount: float = 1e-4) -> Nudge:
    start = float(case.parameters()[name][index])
    before, here, after = nudged_losses(case, name, index, [-amount, 0.0, amount])
    return Nudge((start - amount, start, start + amount), (before, here, after),
                 ((before - here) / -amount, (after - here) / amount), (after - before) / (2 * amount))


@dataclass(frozen=True)
class Sweep:
    """The loss as one weight moves over [W − span, W + span], and the tangent at W."""

    weights: np.ndarray
    losses: np.ndarray
    tangent: np.ndarray  # L(W) + slope · (w − W)
    slope: float


def sweep(case: Case, name: str, index: tuple[int, ...], slope: float, points: int = 201) -> Sweep:
    start = float(case.parameters()[name][index])
    span = max(abs(start), 1.0)
    offsets = np.linspace(-span, span, points)
    losses = np.asarray(nudged_losses(case, name, index, list(offsets)))
    here = nudged_losses(case, name, index, [0.0])[0]
    return Sweep(start + offsets, losses, here + slope * offsets, slope)

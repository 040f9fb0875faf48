"""Every tolerance the project compares with, named for what it compares.

Engine against engine, per dtype:

    |witness − oracle| ≤ abs + rel · scale,   scale = max |oracle| over the same array

where "the same array" is one recorded quantity at one step (one layer's pre-activations for
the batch, one parameter's gradient, the loss). The relative part is normwise, not
elementwise, because a value formed by cancellation carries the rounding error of the terms it
was summed from, not of its own small size. Measured: seed-student-train in float32, step 74,
a pre-activation 0.00395 = Σ w·x with terms of size ~5 differs by 1.1e-6 between the engines
while every parameter agrees within 6 float32 ulps; elementwise, 1e-6 + 1e-5·0.00395 would
call that a disagreement although neither engine is wrong. The tolerance used for each value is
written beside it in the comparison table.

A case may tighten these with a [tolerance] table; it can never loosen them. Published numbers
carry their own absolute tolerance in each [[expect]] entry.
"""

import numpy as np

from cases import Case
from cases.quantities import GRADIENT_OF

ENGINES_AGREE: dict[str, tuple[float, float]] = {
    "float64": (1e-12, 1e-10),
    "float32": (1e-6, 1e-5),
}


def engines_agree(case: Case) -> tuple[float, float]:
    """(abs, rel) for comparing a witness with the oracle on this case."""
    default_abs, default_rel = ENGINES_AGREE[case.dtype]
    if case.tolerance is None:
        return default_abs, default_rel
    case_abs, case_rel = case.tolerance
    return min(default_abs, case_abs), min(default_rel, case_rel)


# ---- float32 against float64 --------------------------------------------------------------------
#
# When a float32 witness and torch's float32 value disagree, torch's float64 value of the same step
# decides (report/verify/arbiter.py). A value formed by cancellation (a layer-norm gradient summing O(1)
# terms to 2e-5) carries float32 errors far above the tolerance at its array's scale, and which of
# two float32 computations lands nearer the float64 value is then chance. Its bound comes from the
# rounding float32 actually makes on that array, measured as the largest error of torch's float32
# value: the witness's elements must be within the float32 tolerance at the float64 array's scale
# plus CANCELLATION × however far beyond that tolerance torch's own error goes. Measured on 364
# layer-norm backward arrays in float32 whose errors were 100 × to 88,000 × that tolerance (x's mean
# 1 to 1,000 times its spread): beyond the tolerance, the reference's largest error was at most
# 21 × torch's (median 0.64 ×); in 4 of them (1 %) the reference's float32 formula was past the
# tolerance where torch's kernel was not, and those are called the reference's, rightly. A mistake
# makes an error of the value's own size; it hides only where torch's float32 value is as wrong.
CANCELLATION = 32.0


# ---- central finite differences against the oracle ---------------------------------------------
#
# A central difference D(h) = (L(p + h) − L(p − h)) / 2h has two errors: truncation, h²·L'''/6,
# and rounding, δL / h, where δL bounds the rounding error of one evaluation of the loss. The step
# it should use is h* = ε^(1/3) · max(|p|, 1), stated here on purpose apart from
# reference/finite_differences.py: the bound below is for h*, so a wrong step there fails instead
# of carrying its own larger tolerance with it.
#
# The loss's rounding is not ε·|L|. Every value v the forward pass rounds carries a relative error
# of at most ε, which reaches the loss multiplied by ∂L/∂v; to first order
#
#     δL ≤ ε · (|L| + Σ_v |v| · |∂L/∂v|)                                        (`loss_rounding`)
#
# summed over every element of every recorded value whose gradient is recorded too: each layer's
# z and a, the parameters and the inputs (Σ |w|·|∂L/∂w| = Σ |δ_j|·|w_jk|·|x_k| is what bounds the
# rounding of the products summed in z = w·x), a graph's every node. The sum runs over every
# element, also those that a one-element move leaves unchanged (their rounding cancels in the
# difference), so it is an upper bound, loosest on large networks.
#
# The curvature is measured, not assumed: the difference is also taken at 2h, and
# D(2h) − D(h) = h²·L'''/2, so the truncation error at h* is (h*/h)² · |D(2h) − D(h)| / 3. Then
#
#     |D(h) − oracle| ≤ SAFETY · (truncation at h* + δL / h*) + the engines' tolerance
#
# Measured over the built-in float64 cases (elements and directions), with δL = ε·|L|: the error is
# at most 1.73 × the bracket (chain-3x-2x), at the 99th percentile 1.7 ×; with a step 164 × too large
# (h = 1e-3 · max(|p|, 1)) every case with curvature fails by 1,700 × to 27,000 × (cases whose loss is
# piecewise linear or quadratic in every parameter, such as seed-linear-60x, have no truncation
# error at any step and rightly pass). SAFETY = 10 sits between.
FD_SAFETY = 10.0
EPSILON = float(np.finfo(np.float64).eps)


def loss_rounding(values: dict[tuple[str, str], np.ndarray], x: np.ndarray | None, layers: int) -> float:
    """ε · (|L| + Σ |v|·|∂L/∂v|) over a step's recorded values and their gradients (see above);
    `x` the batch's inputs (None for an embedding's indices or a graph), `layers` the network's
    layers (0 for a graph)."""
    total = abs(float(values[("loss", "")]))
    for (quantity, key), value in values.items():
        gradient = (GRADIENT_OF[quantity], key) if quantity in GRADIENT_OF else None
        if quantity == "output" and layers:
            gradient = ("grad_activation", f"layers.{layers - 1}")
        if gradient in values:
            total += magnitude(value, values[gradient])
    if x is not None and ("input_grad", "") in values:
        total += magnitude(x, values[("input_grad", "")])
    return EPSILON * total


def magnitude(value: np.ndarray, gradient: np.ndarray) -> float:
    """Σ |v|·|∂L/∂v| (inf or NaN when either is: a difference then agrees with nothing anyway)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return float(np.sum(np.abs(np.asarray(value, dtype=np.float64) * np.asarray(gradient, dtype=np.float64))))


def finite_difference_tolerance(value: float, value_2h: float, step: float, size: float, rounding: float,
                                engine_abs: float, engine_rel: float, scale: float) -> float:
    """The bound on |D(h) − oracle| for one difference (see above); `rounding` is δL, `scale` as for the engines."""
    intended = EPSILON ** (1 / 3) * size
    truncation = (intended / step) ** 2 * abs(value_2h - value) / 3
    return FD_SAFETY * (truncation + rounding / intended) + engine_abs + engine_rel * scale


def across_a_kink(one_sided: tuple[float, float, float, float], tolerance: float) -> bool:
    """True where the difference straddles a kink of the loss (relu at z = 0, |x| at 0, a max-pool's
    tie) within h of the point.

    The jump between the left and right differences, D₊ − D₋, is h·L'' on a smooth function: it
    doubles from h to 2h. A kink at distance δ < h breaks that: the jump is J·(h − δ)/h at h and
    J·(2h − δ)/2h at 2h, so it stays the same (δ = 0), grows by less than twice, or grows from
    nearly nothing (δ near h). A jump beyond the tolerance that does not double (within a quarter)
    is a kink. Measured on a 28×28 CNN (relu, max-pooling): 2 of 331 differences had a kink at
    δ ≈ h/2, D(h) 6e-6 off torch, D(h/6) agreeing to 1e-10; the earlier test (the jump the same
    within a quarter) caught only kinks closer than h/3. The kinks it still misses lie near
    δ = 2h/3, where the jump happens to double.

    At a kink the loss has only one-sided derivatives; torch picks a value by convention
    (relu'(0) = 0, sign(0) = 0), which, where several kinks meet, need not be either of them. A
    finite difference is no witness there: the engines' comparison checks the conventions, and
    the difference is reported as a kink. (The loss values come from the forward pass alone, so a
    wrong backward cannot make a kink appear.)
    """
    left, right, left_2h, right_2h = one_sided
    jump, jump_2h = right - left, right_2h - left_2h
    doubles = abs(jump_2h - 2 * jump) <= 0.25 * abs(jump)
    return bool(np.all(np.isfinite(one_sided)) and abs(jump) > tolerance and not doubles)


# A published number carries its own absolute tolerance, the precision it was printed with. Where that
# is finer than the case's dtype can show — a double printed to 17 digits, Mazur's nine digits in
# float32 — the number is checked to PUBLISHED_ULPS units in the last place of its array's largest
# value (as ulps are counted everywhere here), in the dtype. Measured over the built-in cases'
# published numbers: at most 0 ulps in float64 and 3.9 in float32 (seed-linear-60x-w-3.0001's loss:
# W = 3.0001 is not a float32, and the square moves it); 8 leaves room for a computation a few
# rounding steps longer, and is still 1e-6 of the value in float32 and 2e-15 in float64.
PUBLISHED_ULPS = 8


def published_tolerance(tolerance: float, scale: float, dtype: str) -> float:
    """The tolerance a published number is checked to: its own, or PUBLISHED_ULPS ulps of `scale` (the
    largest |value| of the array it belongs to, in torch's recording) where that is coarser."""
    floor = PUBLISHED_ULPS * float(np.spacing(np.abs(np.asarray(scale, dtype=np.dtype(dtype)))))
    return max(tolerance, floor)

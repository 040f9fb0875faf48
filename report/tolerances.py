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


# ---- central finite differences against the oracle ---------------------------------------------
#
# A central difference D(h) = (L(p + h) − L(p − h)) / 2h has two errors: truncation, h²·L'''/6,
# and rounding, about ε·|L| / h. The step it should use is h* = ε^(1/3) · max(|p|, 1), stated
# here on purpose apart from reference/finite_differences.py: the bound below is for h*, so a
# wrong step there fails instead of carrying its own larger tolerance with it.
#
# The curvature is measured, not assumed: the difference is also taken at 2h, and
# D(2h) − D(h) = h²·L'''/2, so the truncation error at h* is (h*/h)² · |D(2h) − D(h)| / 3. Then
#
#     |D(h) − oracle| ≤ SAFETY · (truncation at h* + ε · |L| / h*) + the engines' tolerance
#
# Measured over the built-in float64 cases (elements and directions): the error is at most
# 1.73 × the bracket (chain-3x-2x), at the 99th percentile 1.7 ×; with a step 164 × too large
# (h = 1e-3 · max(|p|, 1)) every case with curvature fails by 1,700 × to 27,000 × (cases whose loss is
# piecewise linear or quadratic in every parameter, such as seed-linear-60x, have no truncation
# error at any step and rightly pass). SAFETY = 10 sits between.
FD_SAFETY = 10.0
EPSILON = float(np.finfo(np.float64).eps)


def finite_difference_tolerance(value: float, value_2h: float, step: float, size: float, loss: float,
                                engine_abs: float, engine_rel: float, scale: float) -> float:
    """The bound on |D(h) − oracle| for one difference (see above); `scale` as for the engines."""
    intended = EPSILON ** (1 / 3) * size
    truncation = (intended / step) ** 2 * abs(value_2h - value) / 3
    rounding = EPSILON * loss / intended
    return FD_SAFETY * (truncation + rounding) + engine_abs + engine_rel * scale


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


def checkable(published: float, tolerance: float, dtype: str) -> bool:
    """False when the published number's tolerance is finer than one unit in the last place of
    `dtype` at its magnitude: no computation in that precision can show it (e.g. Mazur's nine
    digits, 0.593269992 ± 5e-10, against float32's spacing of 6e-8 there)."""
    return tolerance >= float(np.spacing(np.abs(np.asarray(published, dtype=np.dtype(dtype)))))

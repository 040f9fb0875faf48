"""Every tolerance the project compares with, named for what it compares.

Engine against engine, per dtype:

    |reference − oracle| ≤ abs + rel · scale,   scale = max |oracle| over the same array

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

from cases import Case

ENGINES_AGREE: dict[str, tuple[float, float]] = {
    "float64": (1e-12, 1e-10),
    "float32": (1e-6, 1e-5),
}


def engines_agree(case: Case) -> tuple[float, float]:
    """(abs, rel) for comparing the reference with the oracle on this case."""
    default_abs, default_rel = ENGINES_AGREE[case.dtype]
    if case.tolerance is None:
        return default_abs, default_rel
    case_abs, case_rel = case.tolerance
    return min(default_abs, case_abs), min(default_rel, case_rel)

# Central finite differences (float64, step h ≈ 6e-6 · max(|p|, 1)) against the oracle's gradient,
# in the same normwise form. Their own error is about h² · |third derivative| + ε · |L| / h:
# measured at most 3.7e-10 absolute and 5.8e-9 relative to the array's largest gradient over
# the built-in float64 cases. In a float32 case the oracle's own float32 rounding dominates,
# hence the float32 engine bound.
FINITE_DIFFERENCES: dict[str, tuple[float, float]] = {
    "float64": (1e-8, 1e-6),
    "float32": (1e-6, 1e-5),
}

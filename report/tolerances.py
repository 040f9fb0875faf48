"""Every tolerance the project compares with, named for what it compares.

Engine against engine: |reference − oracle| ≤ abs + rel · |oracle|, per dtype. A case may
tighten these with a [tolerance] table; it can never loosen them.
Published numbers carry their own absolute tolerance in each [[expect]] entry.
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

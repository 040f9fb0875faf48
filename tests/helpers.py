"""Assertions that name what disagreed: the case, the step, the quantity, the parameter or layer
and the element, in the order the computation makes them."""

import pandas as pd

from cases import Case, Step
from report.verify.comparison import Comparison, compare_runs, first_wrong_text


def compared(case: Case, oracle: list[Step], **witnesses: list[Step]) -> Comparison:
    return compare_runs(case, oracle, witnesses)


def agreement_message(comparison: Comparison) -> str:
    """The first wrong number of each witness (the first line names where it starts), then the count."""
    total = sum(comparison.disagreeing.values())
    return f"{first_wrong_text(comparison)}\n({total} of {comparison.compared} compared values disagree)"


def describe_differences(case: Case, failing: pd.DataFrame) -> str:
    """The first finite difference that disagrees, on the first line, then every one."""
    row = failing.iloc[0]
    where = f"{row.quantity} {row.param}[{row['index']}]".replace(" [", "[")
    return (f"{case.name}: the finite difference of {where} is {float(row.finite_diff)!r}, "
            f"torch's gradient {float(row.oracle)!r} "
            f"(off by {row.fd_abs_err:.3g}, tolerance {row.fd_tolerance:.3g}); {len(failing)} disagree:\n"
            + failing.to_string())


def describe_published(table: pd.DataFrame) -> str:
    failing = table[~table["ok"]]
    lines = [f"{row.case}: step {row.step}: {row.name}: published {row.published!r}, reference {row.reference!r}, "
             f"oracle {row.oracle!r}, tolerance {row.tolerance!r}" for row in failing.itertuples()]
    return f"{len(failing)} of {len(table)} published numbers not reproduced:\n" + "\n".join(lines)

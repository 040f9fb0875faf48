"""Assertions that name what disagreed: the case, the step, the quantity, the parameter or layer
and the element, in the order the computation makes them."""

import pandas as pd

from cases import Case, Step
from report.comparison import Comparison, compare_runs, first_wrong_text


def compared(case: Case, oracle: list[Step], **witnesses: list[Step]) -> Comparison:
    return compare_runs(case, oracle, witnesses)


def agreement_message(comparison: Comparison) -> str:
    """The first wrong number of each witness, then the count of the rest."""
    total = sum(comparison.disagreeing.values())
    return f"{total} of {comparison.compared} compared values disagree:\n{first_wrong_text(comparison)}"


def describe_published(table: pd.DataFrame) -> str:
    failing = table[~table["ok"]]
    lines = [f"{row.case}: step {row.step}: {row.name}: published {row.published!r}, reference {row.reference!r}, "
             f"oracle {row.oracle!r}, tolerance {row.tolerance!r}" for row in failing.itertuples()]
    return f"{len(failing)} of {len(table)} published numbers not reproduced:\n" + "\n".join(lines)

"""Central finite differences (reference/finite_differences.py) against the oracle's gradients.

A difference agrees when it is within its tolerance (report/verify/tolerances.py). One taken across a
kink of the loss (`kink`) witnesses nothing — the loss has no derivative there — and is left out:
`fd_ok` is empty.
"""

import numpy as np
import pandas as pd

from cases import Case, GraphCase, Step, format_index
from reference.finite_differences import Differences
from report.verify.comparison import array_scale
from report.verify.tolerances import EPSILON, across_a_kink, engines_agree, finite_difference_tolerance, loss_rounding

FD_DETAIL_COLUMNS = ["finite_diff", "fd_abs_err", "fd_tolerance", "fd_ok"]  # beside step 0's gradients in details.csv
FD_COLUMNS = ["case", "quantity", "param", "index", "finite_diff", "oracle", "fd_abs_err", "fd_tolerance", "fd_ok",
              "kink", "checked", "of"]


def oracle_gradients(step: Step) -> dict[str, np.ndarray]:
    """The oracle's step-0 gradient of every parameter, and of the inputs under "input" (dense cases)."""
    inputs = step.values.get(("input_grad", ""))
    return {**step.grads(), **({"input": inputs} if inputs is not None else {})}


def compare(case: Case, differences: Differences, oracle: Step) -> pd.DataFrame:
    """One row per checked element, then one per direction (index "direction")."""
    grads = oracle_gradients(oracle)
    atol, rtol = engines_agree(case)
    graph = isinstance(case, GraphCase)
    x = None if graph or case.index_inputs else case.x[oracle.batch]
    rounding = loss_rounding(oracle.values, x, 0 if graph else len(case.layers))
    checked = {}
    for difference in differences.elements:
        checked[difference.array] = checked.get(difference.array, 0) + 1
    rows = []
    for difference in differences.elements + differences.along:
        grad = np.asarray(grads[difference.array], dtype=np.float64)
        if difference.index is None:
            direction = differences.directions[difference.array]
            truth, scale, index = float((grad * direction).sum()), float(np.abs(grad).sum()), "direction"
        else:
            truth, scale, index = float(grad[difference.index]), array_scale(grad), format_index(difference.index)
        tolerance = finite_difference_tolerance(difference.value, difference.value_2h, difference.step, difference.size,
                                                max(rounding, EPSILON * difference.loss), atol, rtol, scale)
        error = abs(difference.value - truth)
        within = bool(np.isfinite(difference.value) and np.isfinite(truth) and error <= tolerance)
        kink = not within and across_a_kink(difference.one_sided, tolerance)
        rows.append({
            "case": case.name, "quantity": "input_grad" if difference.array == "input" else "grad",
            "param": "" if difference.array == "input" else difference.array, "index": index,
            "finite_diff": difference.value, "oracle": truth, "fd_abs_err": error, "fd_tolerance": tolerance,
            "fd_ok": None if kink else within, "kink": kink,
            "checked": checked.get(difference.array, 0), "of": differences.sizes[difference.array],
        })
    table = pd.DataFrame(rows, columns=FD_COLUMNS)
    table["fd_ok"] = table["fd_ok"].astype("boolean")
    return table

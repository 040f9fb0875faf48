"""Every built-in case run in float32 agrees between the engines within the float32 tolerance."""

import numpy as np
from conftest import run_both
from helpers import describe_failures

from cases import Case
from report.compare import details


def test_float32_run_agrees(builtin_case: Case) -> None:
    case = builtin_case.with_dtype("float32")
    ref, ora = run_both(case)
    assert ref[-1].params["layers.0.weight"].dtype == np.float32
    assert ora[-1].params["layers.0.weight"].dtype == np.float32
    assert ref[0].output.dtype == ora[0].output.dtype == np.float32
    table = details(case, ref, ora)
    assert table["ok"].all(), describe_failures(table)

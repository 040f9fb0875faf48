"""Every built-in case run in float32 agrees between the engines within the float32 tolerance."""

import numpy as np
from conftest import run
from helpers import agreement_message, compared

from cases import Case


def test_float32_run_agrees(builtin_case: Case) -> None:
    case = builtin_case.with_dtype("float32")
    reference, oracle, tape = run(case, "reference"), run(case, "oracle"), run(case, "tape")
    first = next(iter(case.parameters()))
    assert reference[-1].get("param", first).dtype == np.float32
    assert oracle[-1].get("param", first).dtype == np.float32
    assert reference[0].output.dtype == oracle[0].output.dtype == tape[0].output.dtype == np.float32
    comparison = compared(case, oracle, reference=reference, tape=tape)
    assert not comparison.first, agreement_message(comparison)

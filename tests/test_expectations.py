"""report/verify/expectations.py: every published number is checked, those printed finer than the dtype to
PUBLISHED_ULPS ulps of their array's largest value."""

import numpy as np

import oracle
from cases import builtin, load_case
from report.verify.run import run_case
from report.verify.tolerances import PUBLISHED_ULPS

MAZUR = (builtin("mazur-2-2-2-eta-0.1")).read_text(encoding="utf-8")


def with_17_digits(text: str, shift_ulps: float) -> tuple[str, float]:
    """Mazur's case with one more published number, torch's loss printed to 17 digits (shifted), and that number."""
    case = load_case(builtin("mazur-2-2-2-eta-0.1"))
    loss = float(next(iter(oracle.steps(case))).loss)
    shown = loss + shift_ulps * float(np.spacing(loss))
    return text + f'\n[[expect]]\nquantity = "loss"\nstep = 0\nvalue = {shown!r}\ntolerance = 1e-17\n', shown


def test_a_number_printed_to_17_digits_is_checked_to_a_few_ulps(tmp_path) -> None:
    for shift, reproduced in ((0, True), (3, True), (4 * PUBLISHED_ULPS, False)):
        path = tmp_path / f"mazur-{shift}.toml"
        text, shown = with_17_digits(MAZUR, shift)
        path.write_text(text, encoding="utf-8")
        result = run_case(load_case(path), witnesses=False)
        table = result.expectations
        row = table[table["published"] == shown].iloc[0]
        assert row["to_ulps"] and row["tolerance"] > 1e-17
        assert bool(row["ok"]) is reproduced, (shift, row.to_dict())
        assert result.summary is None and result.agree is reproduced

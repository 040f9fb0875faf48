"""Every built-in case: the NumPy reference and the PyTorch oracle agree on every recorded number,
and both reproduce every published number."""

from conftest import run_both
from helpers import describe_failures

from cases import Case
from report.compare import details, expectations


def test_reference_matches_oracle_at_every_step(builtin_case: Case) -> None:
    ref, ora = run_both(builtin_case)
    table = details(builtin_case, ref, ora)
    assert len(table) > 0
    assert table["ok"].all(), describe_failures(table)


def test_published_numbers_are_reproduced(builtin_case: Case) -> None:
    ref, ora = run_both(builtin_case)
    table = expectations(builtin_case, ref, ora)
    assert table["ok"].all(), describe_failures(table)


def test_every_step_is_recorded(builtin_case: Case) -> None:
    ref, ora = run_both(builtin_case)
    assert len(ref) == len(ora) == builtin_case.steps + 1

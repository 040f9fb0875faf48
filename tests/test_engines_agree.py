"""Every built-in case: four witnesses of every gradient — the hand-derived reference, the
reference's tape, finite differences and the PyTorch oracle — agree, on every recorded number,
and both engines reproduce every published number."""

from conftest import run_both
from helpers import describe_failures

import reference
from cases import Case
from reference.finite_differences import central_differences
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


def test_tape_matches_oracle_at_every_step(builtin_case: Case) -> None:
    _, ora = run_both(builtin_case)
    tape = reference.run(builtin_case, mode="tape")
    table = details(builtin_case, tape, ora)
    assert table["ok"].all(), describe_failures(table)


def test_finite_differences_match_oracle_at_step_0(builtin_case: Case) -> None:
    ref, ora = run_both(builtin_case)
    batch = builtin_case.batches[0]
    finite = central_differences(builtin_case, builtin_case.parameters(), builtin_case.x[batch],
                                 builtin_case.targets[batch])
    table = details(builtin_case, ref, ora, finite=finite)
    compared = table[table["finite_diff"].notna()]
    assert len(compared) == sum(v.size for v in builtin_case.parameters().values()) + ora[0].input_grad.size
    failing = compared[~compared["fd_ok"].astype(bool)]
    assert failing.empty, failing[["step", "quantity", "param", "index", "finite_diff", "oracle",
                                   "fd_abs_err", "fd_tolerance"]].to_string()

"""Every built-in case: the witnesses of every number — the hand-derived reference, the
reference's tape, finite differences — agree with the PyTorch oracle at every step, both engines
reproduce every published number, and every engine used the batches the schedule gives."""

import numpy as np
from conftest import run, run_both
from helpers import agreement_message, compared, describe_differences, describe_published

from cases import Case
from reference.finite_differences import SAMPLE, central_differences
from report.verify import differences, expectations


def test_reference_and_tape_match_oracle_at_every_step(builtin_case: Case) -> None:
    reference, oracle = run_both(builtin_case)
    comparison = compared(builtin_case, oracle, reference=reference, tape=run(builtin_case, "tape"))
    assert comparison.compared > 0
    assert not comparison.first, agreement_message(comparison)


def test_reference_records_every_quantity_the_oracle_records(builtin_case: Case) -> None:
    reference, oracle = run_both(builtin_case)
    for t in (0, builtin_case.steps):
        assert set(reference[t].values) == set(oracle[t].values), f"step {t}"
        assert set(run(builtin_case, "tape")[t].values) == set(oracle[t].values), f"tape, step {t}"


def test_published_numbers_are_reproduced(builtin_case: Case) -> None:
    reference, oracle = run(builtin_case, "free"), run(builtin_case, "oracle")  # each on its own trajectory
    rows = [row for expect in builtin_case.expects
            for row in expectations.check(builtin_case, expect, {"reference": reference[expect.step],
                                                                 "oracle": oracle[expect.step]})]
    table = expectations.table(rows, with_yours=False)
    assert table["ok"].all(), describe_published(table)


def test_every_engine_used_the_rows_the_schedule_gives(builtin_case: Case) -> None:
    reference, oracle = run_both(builtin_case)
    schedule = list(builtin_case.schedule)
    assert len(reference) == len(oracle) == len(schedule) == builtin_case.steps + 1
    for t, rows in enumerate(schedule):
        assert np.array_equal(reference[t].batch, rows) and np.array_equal(oracle[t].batch, rows), f"step {t}"
    for t in sorted({*range(0, len(schedule), max(1, len(schedule) // 40)), len(schedule) - 1}):
        assert np.array_equal(builtin_case.schedule.batch(t), schedule[t]), f"step {t}: random access"  # O(t) each


def test_finite_differences_match_oracle_at_step_0(builtin_case: Case) -> None:
    oracle = run(builtin_case, "oracle")[0]
    batch = oracle.batch
    found = central_differences(builtin_case, builtin_case.parameters(), builtin_case.x[batch],
                                builtin_case.targets[batch], differences.oracle_gradients(oracle))
    table = differences.compare(builtin_case, found, oracle)
    elements = table[table["index"] != "direction"]
    arrays = [v.size for v in builtin_case.parameters().values()]
    if not builtin_case.index_inputs:  # an embedding's indices have no derivative
        arrays.append(builtin_case.schedule.rows(0) * builtin_case.inputs)
    assert len(elements) == sum(min(size, SAMPLE) for size in arrays)  # every element of small arrays
    assert (table["index"] == "direction").sum() == len(arrays)
    failing = table[~table["fd_ok"].fillna(True)]
    assert failing.empty, describe_differences(builtin_case, failing)

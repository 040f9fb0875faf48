"""The batch order both engines share: written out here, so that a change to it — applied to
both engines alike, and so invisible to their comparison — fails a test."""

import numpy as np
from conftest import builtin_cases

from cases import load_case
from cases.schedule import Schedule


def test_shuffled_case_uses_these_rows_pass_after_pass() -> None:
    case = next(c for c in builtin_cases() if c.name == "batch-shuffled")
    # three passes over 6 rows in batches of 4 and 2, a fresh permutation per pass (seed 7),
    # and the step after the last update evaluated on the fourth pass's first batch
    pinned = [
        [5, 2, 0, 4], [1, 3],
        [5, 0, 4, 1], [3, 2],
        [3, 2, 5, 4], [1, 0],
        [3, 1, 4, 0],
    ]
    for t, (rows, expected) in enumerate(zip(case.schedule, pinned, strict=True)):
        assert list(map(int, rows)) == expected, \
            f"cases/schedule.py: the shuffled batch of step {t} is rows {list(map(int, rows))}, pinned {expected}"


def test_each_pass_is_a_new_permutation_from_the_seeded_generator() -> None:
    schedule = Schedule(samples=6, batch_size=4, steps=6, shuffle_seed=7)
    generator = np.random.default_rng(7)
    for rows, expected in zip(schedule.passes(), [generator.permutation(6) for _ in range(4)], strict=False):
        assert list(rows) == list(expected)


def test_minibatches_cycle_in_file_order() -> None:
    assert [list(b) for b in Schedule(samples=3, batch_size=2, steps=4, shuffle_seed=None)] == [[0, 1], [2], [0, 1], [2], [0, 1]]


def test_full_batch_and_online() -> None:
    assert [list(b) for b in Schedule(3, 0, 1, None)] == [[0, 1, 2], [0, 1, 2]]
    assert [list(b) for b in Schedule(3, 1, 3, None)] == [[0], [1], [2], [0]]


def test_shuffled_passes_use_every_sample_once() -> None:
    batches = list(Schedule(samples=5, batch_size=2, steps=5, shuffle_seed=1))
    assert sorted(np.concatenate(batches[:3])) == [0, 1, 2, 3, 4]
    assert [len(b) for b in batches] == [2, 2, 1, 2, 2, 1]


def test_batch_sizes_are_known_without_drawing_and_random_access_agrees() -> None:
    schedule = Schedule(samples=7, batch_size=3, steps=10, shuffle_seed=3)
    batches = list(schedule)
    assert [schedule.rows(t) for t in range(11)] == [len(b) for b in batches]
    assert all(np.array_equal(schedule.batch(t), batches[t]) for t in range(11))


def test_a_million_steps_are_not_made_up_front() -> None:
    schedule = Schedule(samples=60_000, batch_size=64, steps=1_000_000, shuffle_seed=0)
    assert len(schedule) == 1_000_001 and schedule.rows(1_000_000) == 64
    first = schedule.first(2)
    assert len(first) == 2 and len(first[0]) == 64


def test_csv_data_is_read_as_written() -> None:
    case = load_case(next(c for c in builtin_cases() if c.name == "data-csv-students").path).with_dtype("float64")
    assert case.x.tolist() == [[2, 5], [4, 6], [6, 7], [8, 8], [3, 4], [7, 6]]
    assert case.targets.ravel().tolist() == [0, 0, 1, 1, 0, 1]

"""The batch order, fixed once here so that both engines see the same rows at every update."""

import math

import numpy as np


def updates_per_epoch(samples: int, batch_size: int) -> int:
    """Updates in one pass over the data; batch_size 0 means the full batch."""
    return 1 if batch_size == 0 else math.ceil(samples / batch_size)


def batch_schedule(samples: int, batch_size: int, steps: int, shuffle_seed: int | None
                   ) -> tuple[np.ndarray, ...]:
    """Row indices of the batch for each update 1 … steps + 1 (entry t feeds update t + 1).

    Batches are consecutive slices of one pass over the data, the last one possibly smaller;
    passes repeat for as long as needed. The pass order is the file order, or with a
    `shuffle_seed` a fresh permutation per pass from NumPy's seeded generator. One entry more
    than `steps` is made because the last recorded step is evaluated on the next batch.
    """
    size = samples if batch_size == 0 else batch_size
    generator = np.random.default_rng(shuffle_seed) if shuffle_seed is not None else None
    batches: list[np.ndarray] = []
    while len(batches) < steps + 1:
        order = np.arange(samples) if generator is None else generator.permutation(samples)
        batches.extend(order[start:start + size] for start in range(0, samples, size))
    return tuple(batches[: steps + 1])

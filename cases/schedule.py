"""The batch order, fixed once here so that both engines see the same rows at every update.

Batches are consecutive slices of one pass over the data, the last one possibly smaller; passes
repeat for as long as needed. The pass order is the file order, or with a `shuffle_seed` a fresh
permutation per pass drawn from NumPy's seeded generator, one pass after another. Batches are
made as the steps run, never all at once: a run of a million steps holds one pass in memory.
"""

import math
from collections.abc import Iterator

import numpy as np


def updates_per_epoch(samples: int, batch_size: int) -> int:
    """Updates in one pass over the data; batch_size 0 means the full batch."""
    return 1 if batch_size == 0 else math.ceil(samples / batch_size)


class Schedule:
    """The rows of the batch at each recorded step t = 0 … steps (entry t feeds update t + 1).

    One entry more than `steps`, because the last recorded step is evaluated on the next batch.
    """

    def __init__(self, samples: int, batch_size: int, steps: int, shuffle_seed: int | None) -> None:
        self.samples = samples
        self.batch_size = batch_size
        self.steps = steps
        self.shuffle_seed = shuffle_seed
        self.size = samples if batch_size == 0 else batch_size
        self.per_epoch = updates_per_epoch(samples, batch_size)

    def __len__(self) -> int:
        return self.steps + 1

    def rows(self, t: int) -> int:
        """How many rows the batch of step t has (no permutation is drawn)."""
        position = t % self.per_epoch
        return min(self.size, self.samples - position * self.size)

    @property
    def full_batch(self) -> bool:
        return self.size >= self.samples

    def passes(self) -> Iterator[np.ndarray]:
        """The order of each pass over the data, one after another, without end."""
        generator = np.random.default_rng(self.shuffle_seed) if self.shuffle_seed is not None else None
        while True:
            yield np.arange(self.samples) if generator is None else generator.permutation(self.samples)

    def __iter__(self) -> Iterator[np.ndarray]:
        """The row indices of each step's batch, step 0 first."""
        t = 0
        for order in self.passes():
            for start in range(0, self.samples, self.size):
                if t > self.steps:
                    return
                yield order[start:start + self.size]
                t += 1

    def batch(self, t: int) -> np.ndarray:
        """The rows of step t, found by drawing the passes up to it."""
        if not 0 <= t <= self.steps:
            raise IndexError(f"step {t} is outside 0 … {self.steps}")
        epoch, position = divmod(t, self.per_epoch)
        for e, order in enumerate(self.passes()):
            if e == epoch:
                return order[position * self.size:(position + 1) * self.size]
        raise AssertionError("unreachable")

    def first(self, count: int) -> list[np.ndarray]:
        """The batches of the first `count` steps."""
        batches = []
        for batch in self:
            if len(batches) == count:
                break
            batches.append(batch)
        return batches

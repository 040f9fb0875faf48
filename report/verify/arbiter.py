"""Float32 judged against float64: which side of a float32 disagreement is actually off.

When a float32 witness and torch's float32 value disagree, torch computes the same step again in
float64, from its own float32 recording (oracle.steps with `start`): the pass of step t from its
parameters and running statistics at step t, the update that made step t from its state at step
t − 1. Each float32 value is then judged by its distance from that float64 value. A witness is off
only if it is farther from float64 than its tolerance allows and farther than torch's own float32
value is: a value formed by cancellation (a layer-norm gradient summing O(1) terms to 2e-5) can
carry a float32 error far above the tolerance at its array's scale, in torch's kernel as much as in
ours, and the error torch's kernel makes on it is the measure of what float32 can do there.
"""

import itertools

import oracle
from cases import Case, GraphCase, Step
from cases.quantities import STATE

MADE_BY_THE_UPDATE = ("param", "buffer", *STATE)


class Float64Arbiter:
    """float64 values of the steps of a float32 run, computed by torch from torch's float32 recording
    (`recording(t)`: the oracle's step t, kept until the comparison of step t + 1)."""

    def __init__(self, case: Case | GraphCase, recording) -> None:
        self.case = case.with_dtype("float64")
        self.recording = recording
        self.computed: dict[int, Step] = {}

    def __call__(self, t: int) -> Step:
        if t not in self.computed:
            self.computed = {t: self.step(t)}  # only the latest: the comparison moves forward
        return self.computed[t]

    def step(self, t: int) -> Step:
        at = next(oracle.steps(self.case, start=(t, self.recording(t))))
        values = dict(at.values)
        if t > 0:
            before = next(itertools.islice(oracle.steps(self.case, start=(t - 1, self.recording(t - 1))), 1, 2))
            values.update({item: value for item, value in before.values.items() if item[0] in MADE_BY_THE_UPDATE})
        return Step(at.batch, values)

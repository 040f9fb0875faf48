"""How far the reference's own trajectory drifts from torch's: measured and reported, never judged.

The verdict compares every witness one step at a time from torch's state (report/verify/run.py): step
t + 1 is computed from torch's parameters, running statistics and optimizer state at step t, so
a step's check sees that step's rounding alone. Left to run on its own, the reference carries
every earlier step's rounding too, and training amplifies it: after S steps the trajectories
differ by about ε·(growth per step)^S, a property of the training dynamics (and of the CPU's
kernels), not a mistake. This measures it, step by step, as the largest normwise difference of
the parameters, |reference − torch| / max |torch| over each parameter array.
"""

from dataclasses import dataclass, field

import numpy as np

from cases import Step


@dataclass
class Drift:
    """The free-running reference's parameters against torch's, one figure per step."""

    steps: list[int] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)  # the largest normwise parameter difference at each step

    def add(self, t: int, free: Step, torch: Step) -> None:
        largest = 0.0
        for name, truth in torch.params().items():
            ours = free.values.get(("param", name))
            if ours is None or np.shape(ours) != np.shape(truth):
                largest = np.inf
                continue
            truth64, ours64 = np.asarray(truth, dtype=np.float64), np.asarray(ours, dtype=np.float64)
            difference = float(np.max(np.abs(ours64 - truth64), initial=0.0))
            scale = float(np.max(np.abs(truth64), initial=0.0))
            largest = max(largest, difference / scale if scale > 0 else (0.0 if difference == 0 else np.inf))
        self.steps.append(t)
        self.errors.append(largest)

    @property
    def largest(self) -> float:
        """The largest difference over the steps (NaN when no step was measured)."""
        finite = [e for e in self.errors if not np.isnan(e)]
        return max(finite) if finite else np.nan

    @property
    def last(self) -> float:
        return self.errors[-1] if self.errors else np.nan

    @property
    def growth(self) -> float:
        """The factor by which the difference grows per step: 10 to the slope of a least-squares line
        through log10(difference) over the steps where it is positive and finite (NaN with fewer than
        two such steps)."""
        points = [(t, np.log10(e)) for t, e in zip(self.steps, self.errors, strict=True) if 0 < e < np.inf]
        if len(points) < 2 or len({t for t, _ in points}) < 2:
            return np.nan
        t, logs = np.array(points).T
        slope = np.polyfit(t, logs, 1)[0]
        return float(10 ** slope)

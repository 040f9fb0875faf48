"""The first number a witness gets wrong, and how a message names it.

The comparison (report/verify/comparison.py) finds it; report/verify/diagnose.py adds the classic mistake that
explains it; every message and page line about a disagreement is written here.
"""

from dataclasses import dataclass

import numpy as np

from cases import Case, GraphCase
from cases.quantities import QUANTITIES, STATE


def where(quantity: str, key: str, index: str = "") -> str:
    """How a message names a recorded number: "delta layers.0[0,1]", "grad layers.1.weight[0,0]"."""
    return quantity + (f" {key}" if key else "") + (f"[{index}]" if index else "")


@dataclass
class FirstWrong:
    """The first number a witness gets wrong, in the order the computation makes them."""

    witness: str
    step: int
    quantity: str
    key: str
    index: str
    value: float
    oracle: float
    tolerance: float
    before: str  # what agreed before it, in words
    consequences: int = 0  # disagreeing numbers after it
    hint: str = ""  # the classic mistake that explains it, if one fits (report/verify/diagnose.py)
    evidence: str = ""
    counted_to: int | None = None  # the run stopped after this step: consequences counted up to it
    float64: float | None = None  # float32 runs: torch's float64 value of the same step (report/verify/arbiter.py)

    def describe(self, case: Case, digits: int | None = None) -> str:
        """One line: where, both values, the hint, what agreed before it, how much followed.

        Values in full (`repr`), or at `digits` significant digits for a page that must read the same
        on every machine."""
        label = {"reference": "the reference", "tape": "the tape", "yours": "yours"}[self.witness]
        symbol = QUANTITIES[self.quantity].symbol if self.quantity in QUANTITIES else self.quantity
        if self.key.startswith("layers.") and self.quantity in ("pre_activation", "activation", "grad_activation", "delta"):
            layer = case.layers[int(self.key.split('.')[1])]
            symbol += f" of a {layer.activation} layer" if layer.type == "dense" else \
                f" of a {layer.type} layer" + (f" ({layer.activation})" if layer.activation != "identity" else "")
        below = {"grad_activation": int(self.key.split(".")[1]) + 1 if self.key.startswith("layers.") else None,
                 "input_grad": 0}.get(self.quantity)
        if below is not None and below < len(case.layers) and case.layers[below].type != "dense":
            symbol += f", from layers.{below}'s {case.layers[below].type} backward"
        if self.quantity in ("unreduced_loss", "loss") and not isinstance(case, GraphCase):
            symbol += f" of the {case.loss} loss"
        text = (f"{case.name}: first wrong number: {where(self.quantity, self.key, self.index)} at step {self.step} "
                f"({symbol}): {label} {shown(self.value, digits)}, torch {shown(self.oracle, digits)} "
                f"(tolerance {self.tolerance:.2g})")
        if self.float64 is not None:
            text += (f"; torch in float64 gives {shown(self.float64, digits)}: {label} is the farther from it "
                     f"(off by {abs(self.value - self.float64):.2g}, torch's float32 by {abs(self.oracle - self.float64):.2g})")
        if not (np.isfinite(self.value) and np.isfinite(self.oracle)):
            text += " — not a finite number"
        if self.hint:
            text += f" — looks like {self.hint}" + (f" ({self.evidence})" if self.evidence else "")
        text += f"; before it, {self.before}"
        if self.consequences:
            text += f"; {self.consequences} later number{'s' if self.consequences != 1 else ''} disagree as a consequence"
            if self.counted_to is not None:
                text += f" (counted to step {self.counted_to})"
        return text


@dataclass
class TorchOff:
    """Where a float32 witness disagreed with torch's float32 value, but is no farther from torch's own
    float64 value of the step than float32 can be there (report/verify/arbiter.py): rounding, not a mistake."""

    witness: str
    step: int
    quantity: str
    key: str
    index: str
    value: float
    oracle: float
    float64: float
    tolerance: float  # the float32 tolerance at the float64 array's scale
    count: int  # elements of this witness judged so

    def describe(self, case: Case) -> str:
        label = {"reference": "the reference", "tape": "the tape", "yours": "yours"}[self.witness]
        more = f" (and {self.count - 1} more)" if self.count > 1 else ""
        ours, torchs = abs(self.value - self.float64), abs(self.oracle - self.float64)
        if ours <= self.tolerance < torchs:
            judged = f"torch's float32 value is the one off ({torchs:.2g} from float64, {label} {ours:.2g})"
        elif ours <= self.tolerance:
            judged = (f"both are within the float32 tolerance {self.tolerance:.2g} of float64 ({label} {ours:.2g}, "
                      f"torch {torchs:.2g}), in opposite directions")
        else:
            judged = (f"both are as far from float64 as float32 gets on this array ({label} {ours:.2g}, torch "
                      f"{torchs:.2g}): a value formed by cancellation")
        return (f"{case.name}: {where(self.quantity, self.key, self.index)} at step {self.step}{more}: {label} "
                f"{self.value!r}, torch {self.oracle!r}, torch in float64 {self.float64!r} — {judged}; not a mistake")


def shown(value: float, digits: int | None) -> str:
    return repr(value) if digits is None else f"{value:.{digits}g}"


def phase_before(case: Case, step: int, quantity: str) -> str:
    """What agreed before the first wrong number, from where it sits in the computation."""
    earlier = f"steps 0 to {step - 1} agree" if step > 1 else ("step 0 agrees" if step == 1 else "")
    if quantity in ("param", *STATE):  # made by the update before step t
        return f"{earlier}; the update that made step {step} is the first to differ" if earlier else "the initial parameters differ"
    here = {"pre_activation": "the parameters agree", "activation": "the parameters agree",
            "output": "the parameters agree", "unreduced_loss": "the forward pass agrees",
            "loss": "the forward pass agrees"}.get(quantity, "the forward pass and the loss agree")
    return f"{earlier}; at step {step} {here}" if earlier else f"at step {step} {here}"

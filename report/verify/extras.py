"""What a case page shows beyond the recorded steps, computed in the run and compared with torch
where torch can say the same: the tutorial's nudge table and the loss-against-weight sweep for
a case that trains one number, and the tape of step 0 for a case small enough to print."""

from dataclasses import dataclass

import numpy as np

import oracle
from cases import Case, Step
from reference import finite_differences, network_tape
from reference.finite_differences import Nudge, Sweep
from reference.network_tape import TraceCall
from report.verify.comparison import agrees, array_scale
from report.verify.tolerances import engines_agree


def trainable_scalar(case: Case) -> str | None:
    """The parameter of a case that trains exactly one number, else None."""
    trained = [name for name in case.parameters() if name not in case.freeze]
    return trained[0] if [case.parameters()[name].size for name in trained] == [1] else None


@dataclass
class Extras:
    scalar: str | None  # the one trained parameter, for nudges and sweep
    nudge: Nudge | None
    nudge_oracle: tuple[float, float, float] | None
    sweep: Sweep | None
    sweep_oracle: np.ndarray | None
    trace: list[TraceCall] | None
    ok: bool
    problem: str


def extras(case: Case, step0: dict[str, Step]) -> Extras:
    scalar = trainable_scalar(case)
    trace = network_tape.trace(case, case.parameters(), case.x[step0["reference"].batch],
                               case.targets[step0["reference"].batch])
    if scalar is None:
        return Extras(None, None, None, None, None, trace, True, "")
    index = (0,) * case.parameters()[scalar].ndim
    nudge = finite_differences.nudge(case, scalar, index)
    slope = float(step0["reference"].get("grad", scalar)[index])
    sweep = finite_differences.sweep(case, scalar, index, slope)
    rows = step0["oracle"].batch

    def oracle_loss(weight: float) -> float:
        params = case.parameters()
        moved = params[scalar].copy()
        moved[index] = weight
        return oracle.loss_at(case, {**params, scalar: moved}, rows)

    nudge_oracle = tuple(oracle_loss(w) for w in nudge.weights)
    sweep_oracle = np.asarray([oracle_loss(w) for w in sweep.weights])
    atol, rtol = engines_agree(case)
    ok, problem = True, ""
    for label, ours, theirs in [("nudge table", np.asarray(nudge.losses), np.asarray(nudge_oracle)),
                                ("loss sweep", sweep.losses, sweep_oracle)]:
        if not agrees(ours, theirs, atol + rtol * array_scale(theirs)).all():
            ok, problem = False, f"the {label}'s losses disagree with torch's"
    return Extras(scalar, nudge, nudge_oracle, sweep, sweep_oracle, trace, ok, problem)

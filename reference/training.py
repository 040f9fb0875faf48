"""Training: steps of forward, backward and update, recorded. NumPy only."""

from collections.abc import Callable

from cases import Case, Step
from reference import network, network_tape
from reference.optimizers import OPTIMIZERS

DIFFERENTIATE = {"formulas": network.forward_backward, "tape": network_tape.forward_backward}


def run(case: Case, on_step: Callable[[int], None] | None = None, mode: str = "formulas") -> list[Step]:
    """Run the case for `case.steps` updates; record steps 0 … steps (see cases.Step).

    mode "formulas": gradients from the hand-derived backward formulas (reference/network.py);
    mode "tape": gradients from replaying the tape (reference/network_tape.py).
    `on_step(t)` is called after step t is recorded (progress display only).
    """
    if mode not in DIFFERENTIATE:
        raise ValueError(f"mode: expected one of {', '.join(DIFFERENTIATE)}, got {mode!r}")
    differentiate = DIFFERENTIATE[mode]
    optimizer = OPTIMIZERS[case.optimizer](**case.optimizer_options)
    params = {name: value.copy() for name, value in case.parameters().items()}
    steps: list[Step] = []
    for t, batch in enumerate(case.batches):
        result = differentiate(case, params, case.x[batch], case.targets[batch])
        steps.append(Step(batch=batch, pre_activations=result.pre_activations,
                          activations=result.activations, loss=result.loss, grads=result.grads,
                          params=params, input_grad=result.input_grad))
        if on_step is not None:
            on_step(t)
        if t < case.steps:
            params = {name: value if name in case.freeze
                      else optimizer.update(name, value, result.grads[name])
                      for name, value in params.items()}
    return steps

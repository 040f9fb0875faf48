"""Training: steps of forward, backward and update, recorded one step at a time. NumPy only."""

from collections.abc import Callable, Iterator

import numpy as np

from cases import Case, GraphCase, Step
from reference import graph, network, network_tape
from reference.blocks import REFERENCE, Blocks
from reference.guard import BlockError, call, checked
from reference.plan import plan

DIFFERENTIATIONS = ("formulas", "tape")  # how the gradients are made (not train/eval: cases.vocabulary.MODES)


def steps(case: Case, mode: str = "formulas", blocks: Blocks = REFERENCE,
          anchor: Callable[[int], Step] | None = None) -> Iterator[Step]:
    """The recording of step 0, 1, … case.steps (see cases.Step), one at a time.

    mode "formulas": gradients from the hand-derived backward formulas (reference/network.py),
    each building block looked up in `blocks`; mode "tape": gradients from replaying the tape
    (reference/network_tape.py).

    `anchor(t)`, when given, is another engine's recording of step t (torch's): step t's pass and
    update then start from its parameters, running statistics and optimizer state instead of this
    engine's own, so that what step t records (the update that made it, the pass made at it) carries
    one step's rounding, not every earlier step's as well. What this engine made is still what it
    records.
    """
    if mode not in DIFFERENTIATIONS:
        raise ValueError(f"mode: expected one of {', '.join(DIFFERENTIATIONS)}, got {mode!r}")
    if isinstance(case, GraphCase):  # a circuit: the tape is its reference, whichever mode
        yield from graph.steps(case, anchor)
        return
    params = {name: value.copy() for name, value in case.parameters().items()}
    buffers = case.buffers()
    state: dict[str, dict] = {}
    update = f"{case.optimizer}_update"
    plans = plan(case)
    for t, batch in enumerate(case.schedule):
        x, y = case.x[batch], case.targets[batch]
        values = {("param", name): value for name, value in params.items()}
        values.update({("buffer", name): value for name, value in buffers.items()})
        for name, named_state in state.items():
            values.update({(quantity, name): np.asarray(value) for quantity, value in named_state.items()})
        if anchor is not None:
            start = anchor(t)
            params, buffers, state = start.params(), start.buffers(), start.optimizer_state()
        if mode == "tape":
            result = network_tape.forward_backward(case, params, x, y, t, buffers)
        else:
            result = network.forward_backward(case, params, x, y, blocks, t, buffers, plans)
        buffers = result.buffers or buffers  # a user's whole pass may not compute them: compared as they are
        values.update(network.pass_values(case, result, plans))
        yield Step(batch, values)
        if t == case.steps:
            return
        params = dict(params)
        for name, value in params.items():
            if name in case.freeze:
                continue
            outcome = call(blocks, update, value, result.grads[name], state.get(name, {}),
                                   **case.optimizer_options)
            if not isinstance(outcome, tuple) or len(outcome) != 2 or not isinstance(outcome[1], dict):
                raise BlockError(update, blocks.owner(update), "returned something other than (new_param, new_state)")
            params[name] = checked(blocks, update, "the new parameter", outcome[0], value.shape, name)
            state[name] = outcome[1]


def run(case: Case, mode: str = "formulas", blocks: Blocks = REFERENCE,
        anchor: Callable[[int], Step] | None = None) -> list[Step]:
    """Every step's recording in a list (`steps` one at a time holds one step in memory)."""
    return list(steps(case, mode, blocks, anchor))

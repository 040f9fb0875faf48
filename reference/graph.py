"""Graph cases (cases/graph.py) on the tape: each node one call, then the tape replayed backwards.

For a circuit the tape is the reference: every operation is a tape primitive (reference/tape.py)
or a composite of primitives (reference/composites.py), each with its backward rule in its
docstring, and a value feeding several nodes collects the gradient of each (`accumulate`).
Trainable inputs take plain SGD steps, p ← p − lr · ∂loss/∂p (reference/optimizers.py).
NumPy only.
"""

from collections.abc import Callable, Iterator

import numpy as np

from cases import GraphCase, Step
from reference import composites as c
from reference import tape as t
from reference.optimizers import sgd_update
from reference.tape import Tape, Variable

OPERATIONS: dict[str, Callable[..., Variable]] = {
    "add": t.add, "sub": t.sub, "mul": t.mul, "div": t.div, "max": t.maximum, "min": t.minimum,
    "dot": t.matmul, "matmul": t.matmul,
    "neg": t.neg, "pow": t.power, "exp": t.exp, "log": t.log, "sqrt": t.sqrt, "abs": t.absolute,
    "tanh": c.tanh, "sigmoid": c.sigmoid, "relu": c.relu, "sum": t.total, "mean": t.mean,
}


def record(case: GraphCase, values: dict[str, np.ndarray]) -> tuple[Tape, dict[str, Variable]]:
    """Every node called on a fresh tape, in the file's order; name -> Variable."""
    tape = Tape(dtype=np.dtype(case.dtype))
    named = {name: tape.variable(value, name) if name in case.trainable else tape.constant(value)
             for name, value in values.items()}
    with np.errstate(all="ignore"):  # log 0, 1/0: torch's inf and NaN, compared and reported
        for node in case.nodes:
            arguments = [named[arg] if isinstance(arg, str) else tape.constant(arg) for arg in node.args]
            named[node.name] = OPERATIONS[node.operation](*arguments, **node.options)
    return tape, named


def differentiated(case: GraphCase, output: np.ndarray) -> float:
    """The scalar whose gradient is taken: the output, or Σ gradient · output."""
    return float(output) if case.gradient is None else float(np.sum(case.gradient * output))


def output_only(case: GraphCase, values: dict[str, np.ndarray]) -> float:
    """The differentiated scalar, without the backward pass (for finite differences)."""
    _, named = record(case, values)
    return differentiated(case, named[case.output].data)


def steps(case: GraphCase, anchor: Callable[[int], Step] | None = None) -> Iterator[Step]:
    """Step 0, 1, … case.steps: every value, the loss and every gradient, then an SGD step.

    With `anchor` (another engine's recording of step t), step t's pass and update start from its
    trainable values, as reference/training.py explains; what this engine made is what it records."""
    values = {name: np.array(value) for name, value in case.values.items()}
    for step in range(case.steps + 1):
        recorded = {("param", name): values[name] for name in case.trainable}
        if anchor is not None:
            values = {**values, **anchor(step).params()}
        tape, named = record(case, values)
        output = named[case.output]
        with np.errstate(all="ignore"):
            tape.backward(output, case.gradient)
        recorded.update({("value", node.name): named[node.name].data for node in case.nodes})
        recorded[("loss", "")] = np.asarray(differentiated(case, output.data))
        for name in case.differentiable:
            grad = named[name].grad
            recorded[("grad", name)] = np.zeros_like(named[name].data) if grad is None else grad
        yield Step(np.zeros(0, dtype=np.int64), recorded)
        if step < case.steps:
            values = dict(values)
            for name in case.trainable:
                values[name], _ = sgd_update(values[name], recorded[("grad", name)], {}, lr=case.learning_rate)

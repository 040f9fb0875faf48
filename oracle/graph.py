"""Graph cases with plain torch tensors, as a torch user writes a circuit: torch's functions,
`backward()` (with `gradient=` for a non-scalar output), every intermediate's `.grad` kept with
`retain_grad()`, torch.optim.SGD for the steps. Never the reference."""

from collections.abc import Callable, Iterator

import numpy as np
import torch

from cases import GraphCase, Step
from oracle.arrays import DTYPES, numpy

OPERATIONS: dict[str, Callable[..., torch.Tensor]] = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "max": torch.maximum,
    "min": torch.minimum, "dot": torch.dot, "matmul": torch.matmul,
    "neg": torch.neg, "pow": torch.pow, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs,
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "sum": torch.sum, "mean": torch.mean,
}




def steps(case: GraphCase, start: tuple[int, Step] | None = None) -> Iterator[Step]:
    """Step 0, 1, … case.steps; `start` = (t, a recording of step t) begins at step t from its trainable values."""
    dtype = DTYPES[case.dtype]
    inputs = {name: torch.tensor(value, dtype=dtype, requires_grad=name in case.trainable)
              for name, value in case.values.items()}
    trained = [inputs[name] for name in case.trainable]
    optimizer = torch.optim.SGD(trained, lr=case.learning_rate) if case.steps else None
    gradient = None if case.gradient is None else torch.tensor(case.gradient, dtype=dtype)
    first = 0
    if start is not None:
        first, recorded = start
        with torch.no_grad():
            for name, value in recorded.params().items():
                inputs[name].copy_(torch.tensor(value))
    for step in range(first, case.steps + 1):
        for tensor in trained:
            tensor.grad = None
        named = dict(inputs)
        for node in case.nodes:
            arguments = [named[arg] if isinstance(arg, str) else torch.tensor(arg, dtype=dtype) for arg in node.args]
            value = OPERATIONS[node.operation](*arguments, **node.options)
            if value.requires_grad:
                value.retain_grad()
            named[node.name] = value
        output = named[case.output]
        output.backward(gradient=gradient)
        recorded = {("param", name): numpy(inputs[name]) for name in case.trainable}
        recorded.update({("value", node.name): numpy(named[node.name]) for node in case.nodes})
        with torch.no_grad():
            loss = output if gradient is None else (gradient * output).sum()
        recorded[("loss", "")] = np.asarray(loss.item())
        for name in case.differentiable:
            grad = named[name].grad
            recorded[("grad", name)] = numpy(grad) if grad is not None else np.zeros(tuple(named[name].shape), dtype=case.dtype)
        yield Step(np.zeros(0, dtype=np.int64), recorded)
        if optimizer is not None and step < case.steps:
            optimizer.step()

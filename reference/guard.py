"""The guard around every building block. A user's function is called on copies of its arguments;
an exception it raises (sys.exit and KeyboardInterrupt included), or an array of the wrong shape it
returns, becomes one line naming it (BlockError); which of its functions a case called is recorded
(Blocks.called), and a watch, when one is set, is told when your code starts and stops (a run that
watches it can then name a function that never returns). A whole pass of yours (`forward_backward`)
is checked field by field against `Pass`. NumPy only."""

from dataclasses import dataclass, field

import numpy as np

from cases import Case
from reference.blocks import Blocks


class BlockError(Exception):
    """A building block failed or returned the wrong thing: the message names the function."""

    def __init__(self, function: str, owner: str, message: str) -> None:
        self.function = function
        self.owner = owner
        who = "your" if owner == "yours" else "the reference's"
        super().__init__(f"{who} {function} {message}")


@dataclass
class Pass:
    """One forward and backward pass on one batch; per-layer lists are input side first."""

    pre_activations: list[np.ndarray]
    activations: list[np.ndarray]
    loss: float
    grads: dict[str, np.ndarray]
    input_grad: np.ndarray | None  # None when the inputs are integer indices (an embedding)
    unreduced_loss: np.ndarray | None = None
    grad_activations: list[np.ndarray | None] | None = None  # ∂L/∂a per layer; None where not computed
    deltas: list[np.ndarray] | None = None  # δ = ∂L/∂z per layer
    buffers: dict[str, np.ndarray] = field(default_factory=dict)  # running statistics after the pass


def checked(blocks: Blocks, name: str, what: str, value: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
    """`value` if it is an array of `shape`; otherwise a BlockError naming the function."""
    if not isinstance(value, np.ndarray):
        raise BlockError(name, blocks.owner(name), f"returned {type(value).__name__} for {what} {where}; "
                                                   f"expected an array of shape {shape}")
    if value.shape != shape:
        hint = " (transposed?)" if value.shape == shape[::-1] and len(shape) == 2 else ""
        raise BlockError(name, blocks.owner(name), f"returned {what} of shape {value.shape} for {where}; "
                                                   f"expected {shape}{hint}")
    return value


def call(blocks: Blocks, name: str, *arguments, **options):
    """blocks[name](*arguments, **options); an exception raised by a user's function names it."""
    function = blocks.functions[name]
    if name not in blocks.owners or blocks.owners[name] == "reference":
        return function(*arguments, **options)
    blocks.called.add(name)
    if blocks.watch is not None:
        blocks.watch.enter(name)
    try:
        return function(*(a.copy() if isinstance(a, np.ndarray) else a for a in arguments), **options)
    except BlockError:
        raise
    except SystemExit as error:  # your code's, never the run's: sys.exit() ends a case, not the run
        raise BlockError(name, "yours", f"exited the process (sys.exit({error.code!r}))") from None
    except KeyboardInterrupt:  # raised by your code itself: it runs where Ctrl-C is ignored (a watched worker)
        raise BlockError(name, "yours", "raised KeyboardInterrupt") from None
    except Exception as error:
        raise BlockError(name, "yours", f"raised {type(error).__name__}: {error}") from error
    finally:
        if blocks.watch is not None:
            blocks.watch.leave()


def whole_pass(blocks: Blocks, case: Case, params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> Pass:
    """A user's own forward_backward: its result checked field by field."""
    result = call(blocks, "forward_backward", case, params, x, y)
    if isinstance(result, dict):
        known = set(Pass.__dataclass_fields__)
        unknown = set(result) - known
        if unknown:
            raise BlockError("forward_backward", blocks.owner("forward_backward"),
                             f"returned unknown fields {sorted(unknown)}; expected {sorted(known)}")
        try:
            result = Pass(**result)
        except TypeError as error:
            raise BlockError("forward_backward", blocks.owner("forward_backward"), f"returned an incomplete result ({error})") from None
    if not isinstance(result, Pass):
        raise BlockError("forward_backward", blocks.owner("forward_backward"),
                         f"returned {type(result).__name__}; expected a reference.network.Pass or a dict")
    name = "forward_backward"
    for i, layer in enumerate(case.layers):
        rows = (len(x), *layer.shape)
        checked(blocks, name, "z", result.pre_activations[i], rows, f"layers.{i}")
        checked(blocks, name, "a", result.activations[i], rows, f"layers.{i}")
    for param, value in params.items():
        checked(blocks, name, "a gradient", result.grads.get(param), value.shape, param)
    checked(blocks, name, "input_grad", result.input_grad, x.shape, "the inputs")
    return result

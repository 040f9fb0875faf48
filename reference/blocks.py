"""The building blocks the network calls, looked up by name, and the contract they follow.

The reference fills the table (`REFERENCE`); a user's implementation (reference/plugin.py) may
replace any subset of it, under exactly these names and signatures, and then runs through the
same training loop. The contract below is the one the reference itself follows; docs/plugins.md's
table is generated from it (a test compares them).
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from cases.layer_types import LAYER_TYPES
from cases.vocabulary import ACTIVATIONS, LOSSES, OPTIMIZERS, PER_ROW
from reference import activations, dense, layers, losses, optimizers, recurrent


@dataclass(frozen=True)
class Block:
    """One row of the contract: a function name and what it must do."""

    name: str
    arguments: tuple[str, ...]  # positional arguments, in order
    options: tuple[str, ...]  # keyword options with torch's defaults (the reference's signature)
    shapes: str
    returns: str
    family: str  # "dense", "layer", "activation", "loss", "optimizer", "network"


def _options(function: Callable) -> tuple[str, ...]:
    return tuple(name for name, p in inspect.signature(function).parameters.items() if p.default is not p.empty)


def _arguments(function: Callable) -> tuple[str, ...]:
    return tuple(name for name, p in inspect.signature(function).parameters.items() if p.default is p.empty)


def loss_stem(loss: str) -> str:
    """The stem of a loss's functions: "cross_entropy" -> "softmax_cross_entropy" (fused)."""
    return losses.FUNCTION_STEMS.get(loss, loss)


LAYER_MODULES = (dense, layers, recurrent)  # where the reference keeps each layer type's forward and backward


def layer_function(name: str) -> Callable:
    """The reference's `<type>_forward`, `_backward` or `_running`, from the module of its concept."""
    return next(getattr(module, name) for module in LAYER_MODULES if hasattr(module, name))


def _contract() -> tuple[dict[str, Block], dict[str, Callable]]:
    rows: list[tuple[Callable, str, str, str]] = []
    for kind in LAYER_TYPES.values():  # the shapes as cases/layer_types.py declares them
        family = "dense" if kind.name == "dense" else "layer"
        forward, forward_result, backward, backward_result = kind.shapes
        rows.append((layer_function(f"{kind.name}_forward"), forward, forward_result, family))
        if kind.running is not None:
            rows.append((layer_function(f"{kind.name}_running"), *kind.running, family))
        rows.append((layer_function(f"{kind.name}_backward"), backward, backward_result, family))
    for name in ACTIVATIONS:
        rows.append((getattr(activations, f"{name}_forward"), "x (B, U)", "y (B, U)", "activation"))
        rows.append((getattr(activations, f"{name}_backward"), "grad_out = ∂L/∂y, x, y: each (B, U)",
                     "grad_x = ∂L/∂x (B, U)", "activation"))
    for name in LOSSES:
        stem = loss_stem(name)
        target = "y (B, K), or (B,) class indices" if name in PER_ROW else "y (B, K)"
        first = "z (B, K) logits" if stem != name or name == "bce_with_logits" else "y_hat (B, K)"
        terms = "ℓ (B,)" if name in PER_ROW else "ℓ (B, K)"
        rows.append((getattr(losses, f"{stem}_unreduced"), f"{first}, {target}", terms + ", as reduction='none'", "loss"))
        rows.append((getattr(losses, stem), f"{first}, {target}", "L, a float", "loss"))
        rows.append((getattr(losses, f"{stem}_backward"), f"{first}, {target}",
                     f"∂L/∂{first.split()[0]} (B, K)", "loss"))
    for name in OPTIMIZERS:
        rows.append((getattr(optimizers, f"{name}_update"), "param, grad: the parameter's shape; state: dict "
                     "(empty before the first update)", "(new_param, new_state), state named as torch.optim's",
                     "optimizer"))
    table = {function.__name__: Block(function.__name__, _arguments(function), _options(function), shapes, returns, family)
             for function, shapes, returns, family in rows}
    functions = {function.__name__: function for function, *_ in rows}
    table["forward_backward"] = Block(
        "forward_backward", ("case", "params", "x", "y"), (),
        "case: cases.Case; params: {name: array}; x (B, D); y: the batch's targets",
        "a reference.network.Pass, or a dict with its fields", "network")
    return table, functions


CONTRACT, _FUNCTIONS = _contract()


class Blocks:
    """Name -> function, with who wrote each ("reference" or "yours"); `renew`, when given, loads an
    independent copy (a user's module imported again, its own state fresh)."""

    def __init__(self, functions: dict[str, Callable], owners: dict[str, str],
                 renew: "Callable[[], Blocks] | None" = None) -> None:
        self.functions = functions
        self.owners = owners
        self.renew = renew
        self.called: set[str] = set()  # the functions of yours called through this table (reference/guard.py)
        self.watch = None  # told when your code starts and stops (enter(name), leave()): report/verify/parallel.py

    def tracked(self) -> "Blocks":
        """The same table with a fresh record of which of your functions get called (one per case)."""
        copy = Blocks(self.functions, self.owners, self.renew)
        copy.watch = self.watch
        return copy

    @property
    def yours(self) -> list[str]:
        """Your functions in this table, by name."""
        return sorted(name for name, owner in self.owners.items() if owner == "yours")

    def __getitem__(self, name: str) -> Callable:
        return self.functions[name]

    def __contains__(self, name: str) -> bool:
        return name in self.functions

    def owner(self, name: str) -> str:
        return self.owners.get(name, "reference")

    def with_overrides(self, functions: dict[str, Callable], owner: str = "yours") -> "Blocks":
        return Blocks({**self.functions, **functions}, {**self.owners, **{name: owner for name in functions}})


REFERENCE = Blocks(dict(_FUNCTIONS), {name: "reference" for name in _FUNCTIONS})


def contract_markdown() -> str:
    """The contract as docs/plugins.md's table (one row per kind of function), then the names and the
    options with their defaults, which are torch's."""
    lines = ["| function | arguments | shapes | returns |", "|---|---|---|---|"]
    seen: set[tuple] = set()
    for block in CONTRACT.values():
        pattern, names = _pattern(block)
        if (pattern, block.family) in seen:
            continue
        seen.add((pattern, block.family))
        arguments = ", ".join(block.arguments) + (", **options" if names else "")
        lines.append(f"| `{pattern}` | `{arguments}` | {block.shapes} | {block.returns} |")
    lines.append("")
    for family, suffix in (("activation", "_forward"), ("loss", "_backward"), ("optimizer", "_update")):
        named = []
        for block in CONTRACT.values():
            if block.family == family and block.name.endswith(suffix):
                stem = block.name.removesuffix(suffix)
                defaults = inspect.signature(_FUNCTIONS[block.name]).parameters
                options = ", ".join(f"{o}={defaults[o].default!r}" for o in block.options)
                note = {"softmax_cross_entropy": " — for `cross_entropy`; takes z, y may be class indices (B,), ℓ is (B,)",
                        "bce_with_logits": " — takes z"}.get(stem, "")
                named.append(f"`{stem}`" + (f" ({options})" if options else "") + note)
        lines.append(f"- `<{family}>`: " + "; ".join(named))
    return "\n".join(lines)


def _pattern(block: Block) -> tuple[str, list[str]]:
    if block.family == "activation":
        return "<activation>_" + block.name.rsplit("_", 1)[1], list(ACTIVATIONS)
    if block.family == "loss":
        suffix = block.name.rsplit("_", 1)[1] if block.name.endswith(("_unreduced", "_backward")) else ""
        return "<loss>" + (f"_{suffix}" if suffix else ""), list(LOSSES)
    if block.family == "optimizer":
        return "<optimizer>_update", list(OPTIMIZERS)
    return block.name, []

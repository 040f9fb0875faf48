"""The building blocks the network calls, looked up by name, and the contract they follow.

The reference fills the table (`REFERENCE`); a user's implementation (reference/plugin.py) may
replace any subset of it, under exactly these names and signatures, and then runs through the
same training loop. The contract below is the one the reference itself follows; the README's
table is generated from it (a test compares them).
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from cases.vocabulary import ACTIVATIONS, LOSSES, OPTIMIZERS
from reference import activations, dense, layers, losses, optimizers, recurrent


@dataclass(frozen=True)
class Calls:
    """What a layer type's forward and backward take after x, and what its backward returns, in order.

    Names are the layer's parameters (weight, bias), its running statistics, the dropout "draws" of
    the step, or "normalized_shape"; a backward returns grad_<name> for each name in `returns`."""

    forward: tuple[str, ...]
    backward: tuple[str, ...]
    returns: tuple[str, ...]


WEIGHTED = Calls(("weight", "bias"), ("weight",), ("x", "weight", "bias"))
WINDOWS = Calls((), (), ("x",))
NORMALISED = ("weight", "bias", "running_mean", "running_var")
RECURRENT = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
LAYER_CALLS: dict[str, Calls] = {
    "dense": WEIGHTED, "conv2d": WEIGHTED, "max_pool2d": WINDOWS, "avg_pool2d": WINDOWS, "flatten": WINDOWS,
    "batch_norm": Calls(NORMALISED, NORMALISED, ("x", "weight", "bias")),
    "layer_norm": Calls(("weight", "bias", "normalized_shape"), ("weight", "bias", "normalized_shape"),
                        ("x", "weight", "bias")),
    "dropout": Calls(("draws",), ("draws",), ("x",)),
    "embedding": Calls(("weight",), ("weight",), ("weight",)),
    "rnn": Calls((*RECURRENT, "h0"), (*RECURRENT, "h0"), ("x", *RECURRENT)),
    "lstm": Calls((*RECURRENT, "h0", "c0"), (*RECURRENT, "h0", "c0"), ("x", *RECURRENT)),
    "gru": Calls((*RECURRENT, "h0"), (*RECURRENT, "h0"), ("x", *RECURRENT)),
}


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


def _contract() -> tuple[dict[str, Block], dict[str, Callable]]:
    rows: list[tuple[Callable, str, str, str]] = [
        (dense.dense_forward, "x (B, D), weight (U, D), bias (U,) or None", "z (B, U)", "dense"),
        (dense.dense_backward, "grad_out = ∂L/∂z (B, U), x (B, D), weight (U, D)",
         "(grad_x (B, D), grad_weight (U, D), grad_bias (U,))", "dense"),
    ]
    rows += [
        (layers.conv2d_forward, "x (B, C, H, W), weight (O, C, kh, kw), bias (O,) or None", "z (B, O, OH, OW)", "layer"),
        (layers.conv2d_backward, "grad_out = ∂L/∂z (B, O, OH, OW), x, weight",
         "(grad_x, grad_weight, grad_bias)", "layer"),
        (layers.max_pool2d_forward, "x (B, C, H, W)", "y (B, C, OH, OW)", "layer"),
        (layers.max_pool2d_backward, "grad_out (B, C, OH, OW), x", "grad_x (B, C, H, W)", "layer"),
        (layers.avg_pool2d_forward, "x (B, C, H, W)", "y (B, C, OH, OW)", "layer"),
        (layers.avg_pool2d_backward, "grad_out (B, C, OH, OW), x", "grad_x (B, C, H, W)", "layer"),
        (layers.flatten_forward, "x (B, …)", "y (B, D)", "layer"),
        (layers.flatten_backward, "grad_out (B, D), x (B, …)", "grad_x (B, …)", "layer"),
        (layers.batch_norm_forward, "x (B, C) or (B, C, H, W); weight, bias (C,) or None; running_mean, "
         "running_var (C,)", "y, x's shape", "layer"),
        (layers.batch_norm_running, "x, running_mean, running_var", "(running_mean, running_var) after the pass",
         "layer"),
        (layers.batch_norm_backward, "grad_out, x, weight, bias, running_mean, running_var",
         "(grad_x, grad_weight, grad_bias)", "layer"),
        (layers.layer_norm_forward, "x (B, …), weight, bias (normalized_shape) or None, normalized_shape",
         "y, x's shape", "layer"),
        (layers.layer_norm_backward, "grad_out, x, weight, bias, normalized_shape",
         "(grad_x, grad_weight, grad_bias)", "layer"),
        (layers.dropout_forward, "x (B, …), draws: uniform numbers of x's shape (kept where draws ≥ p)",
         "y, x's shape", "layer"),
        (layers.dropout_backward, "grad_out, x, draws", "grad_x", "layer"),
        (layers.embedding_forward, "indices (B, T) integers, weight (num_embeddings, embedding_dim)",
         "y (B, T, embedding_dim)", "layer"),
        (layers.embedding_backward, "grad_out (B, T, embedding_dim), indices, weight", "grad_weight", "layer"),
    ]
    sequence = ("x (B, T, D); weight_ih_l0 (G·H, D), weight_hh_l0 (G·H, H), bias_ih_l0, bias_hh_l0 (G·H,) or None; "
                "h0 (B, H)")
    for kind in ("rnn", "lstm", "gru"):
        given = sequence + (", c0 (B, H)" if kind == "lstm" else "")
        rows += [(getattr(recurrent, f"{kind}_forward"), given, "z: h of every step (B, T, H), or the last (B, H)", "layer"),
                 (getattr(recurrent, f"{kind}_backward"), "grad_out (z's shape), then as the forward",
                  "(grad_x, grad_weight_ih_l0, grad_weight_hh_l0, grad_bias_ih_l0, grad_bias_hh_l0)", "layer")]
    for name in ACTIVATIONS:
        rows.append((getattr(activations, f"{name}_forward"), "x (B, U)", "y (B, U)", "activation"))
        rows.append((getattr(activations, f"{name}_backward"), "grad_out = ∂L/∂y, x, y: each (B, U)",
                     "grad_x = ∂L/∂x (B, U)", "activation"))
    for name in LOSSES:
        stem = loss_stem(name)
        target = "y (B, K), or (B,) class indices" if name == "cross_entropy" else "y (B, K)"
        first = "z (B, K) logits" if stem != name or name == "bce_with_logits" else "y_hat (B, K)"
        terms = "ℓ (B,)" if name == "cross_entropy" else "ℓ (B, K)"
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
        self.called: set[str] = set()  # the functions of yours called through this table (reference/network.py)

    def tracked(self) -> "Blocks":
        """The same table with a fresh record of which of your functions get called (one per case)."""
        return Blocks(self.functions, self.owners, self.renew)

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
    """The contract as the README's table (one row per kind of function), then the names and the
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

"""What a validated case is, and what an engine records when it runs one.

Both engines read a `Case` and return a list of `Step`s; neither sees the TOML file.
Parameters are named `layers.{i}.weight` (shape units × fan_in, as torch.nn.Linear stores it)
and `layers.{i}.bias` (shape units).
"""

import dataclasses
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ELEMENT = re.compile(r"^(layers\.(\d+)\.(weight|bias))(?:\[(\d+(?:\s*,\s*\d+)*)\])?$")


class CaseError(ValueError):
    """A case file that cannot be run: `file: field: what was expected`."""

    def __init__(self, path: str, field: str, message: str) -> None:
        self.path = path
        self.field = field
        self.message = message
        super().__init__(f"{path}: {field}: {message}" if field else f"{path}: {message}")


def did_you_mean(word: str, choices: "Iterable[str]") -> str:
    """"; did you mean 'tanh'?" for the nearest of `choices`, or "" when none is near."""
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


@dataclass(frozen=True)
class Layer:
    """One dense layer: z = x @ weight.T + bias, then a = activation(z)."""

    units: int
    activation: str
    activation_options: dict[str, Any]
    weight: np.ndarray  # (units, fan_in)
    bias: np.ndarray | None  # (units,) or None for bias = false


@dataclass(frozen=True)
class Expect:
    """One published number (or array) that both engines must reproduce."""

    quantity: str  # loss | output | grad | param | input_grad | activation | pre_activation
    step: int
    param: str  # "layers.0.weight" for grad/param, "layers.0" for (pre_)activation, "" otherwise
    index: tuple[int, ...] | None  # element within the recorded array; None = the whole array
    value: np.ndarray  # float64, shape of the element or array
    tolerance: float  # absolute
    label: str  # how the case file named it (an alias, an element, a quantity)
    note: str = ""  # free text from the case file


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    source: str
    dtype: str  # "float64" | "float32"
    path: str
    inputs: int
    layers: tuple[Layer, ...]
    names: dict[str, str]  # alias -> "layers.i.weight[r,c]"
    x: np.ndarray  # (N, inputs)
    targets: np.ndarray  # (N, outputs) floats, or (N,) int64 class indices
    loss: str
    loss_options: dict[str, Any]
    optimizer: str
    optimizer_options: dict[str, Any]  # only what the case gave; learning_rate spelled `lr`
    steps: int
    batches: tuple[np.ndarray, ...]  # steps + 1 index arrays: batch of update t+1 at position t
    freeze: frozenset[str]
    expects: tuple[Expect, ...]
    tolerance: tuple[float, float] | None  # (abs, rel) tightening the default, or None
    data_file: Path | None = None  # the CSV file the data came from, if any

    @property
    def outputs(self) -> int:
        return self.layers[-1].units

    @property
    def class_targets(self) -> bool:
        """True when targets are class indices (cross_entropy), not rows of numbers."""
        return self.targets.ndim == 1

    def parameters(self) -> dict[str, np.ndarray]:
        """Initial parameters by name, input side first, weight before bias."""
        params: dict[str, np.ndarray] = {}
        for i, layer in enumerate(self.layers):
            params[f"layers.{i}.weight"] = layer.weight
            if layer.bias is not None:
                params[f"layers.{i}.bias"] = layer.bias
        return params

    def with_dtype(self, dtype: str) -> "Case":
        """The same case computed in another precision (parameters and data cast once)."""
        np_dtype = np.dtype(dtype)
        layers = tuple(
            dataclasses.replace(
                layer,
                weight=layer.weight.astype(np_dtype),
                bias=None if layer.bias is None else layer.bias.astype(np_dtype),
            )
            for layer in self.layers
        )
        targets = self.targets if self.class_targets else self.targets.astype(np_dtype)
        return dataclasses.replace(
            self, dtype=dtype, layers=layers, x=self.x.astype(np_dtype), targets=targets
        )


@dataclass(frozen=True)
class Step:
    """What an engine records at step t (the state after t updates).

    Forward values, loss and gradients are computed from the parameters of step t on the batch
    used for update t+1; `params` are the values after t updates.
    """

    batch: np.ndarray  # (B,) row indices into the case's data
    pre_activations: list[np.ndarray]  # per layer, (B, units): z = x @ weight.T + bias
    activations: list[np.ndarray]  # per layer, (B, units); the last one is the output
    loss: float
    grads: dict[str, np.ndarray]  # dL/dparam, same shapes as params
    params: dict[str, np.ndarray]
    input_grad: np.ndarray  # (B, inputs): dL/dx

    @property
    def output(self) -> np.ndarray:
        return self.activations[-1]


def parse_element(text: str) -> tuple[str, tuple[int, ...] | None] | None:
    """`layers.1.weight[0,1]` -> ("layers.1.weight", (0, 1)); None if not of that form."""
    match = ELEMENT.match(text.strip())
    if match is None:
        return None
    index = match.group(4)
    if index is None:
        return match.group(1), None
    return match.group(1), tuple(int(part) for part in index.split(","))


def format_index(index: tuple[int, ...] | None) -> str:
    """(0, 1) -> "0,1"; None or () -> "" (a scalar)."""
    return "" if not index else ",".join(str(i) for i in index)

"""What a validated case is, and what an engine records when it runs one.

Both engines read a `Case` and produce one `Step` per recorded step; neither sees the TOML file.
Parameters are named `layers.{i}.weight` (shape units × fan_in, as torch.nn.Linear stores it)
and `layers.{i}.bias` (shape units).
"""

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cases.quantities import computation_order
from cases.schedule import Schedule
from cases.vocabulary import ON_LOGITS

ELEMENT = re.compile(r"^(layers\.(\d+)\.(weight|bias))(?:\[(\d+(?:\s*,\s*\d+)*)\])?$")


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

    quantity: str  # a name from cases.quantities.QUANTITIES
    step: int
    key: str  # "layers.0.weight" (parameter), "layers.0" (layer) or "" (loss, output, input_grad)
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
    schedule: Schedule  # the rows of each step's batch
    freeze: frozenset[str]
    expects: tuple[Expect, ...]
    tolerance: tuple[float, float] | None  # (abs, rel) tightening the default, or None
    data_file: Path | None = None  # the CSV file the data came from, if any
    limits: dict[str, int] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return self.schedule.steps

    @property
    def outputs(self) -> int:
        return self.layers[-1].units

    @property
    def class_targets(self) -> bool:
        """True when targets are class indices (cross_entropy), not rows of numbers."""
        return self.targets.ndim == 1

    @property
    def on_logits(self) -> bool:
        """True when the loss takes the last layer's pre-activation z instead of its output."""
        return self.loss in ON_LOGITS

    def parameters(self) -> dict[str, np.ndarray]:
        """Initial parameters by name, input side first, weight before bias."""
        params: dict[str, np.ndarray] = {}
        for i, layer in enumerate(self.layers):
            params[f"layers.{i}.weight"] = layer.weight
            if layer.bias is not None:
                params[f"layers.{i}.bias"] = layer.bias
        return params

    def order(self):
        """Sort key putting (quantity, key) pairs in computation order (cases.quantities)."""
        return computation_order(len(self.layers), list(self.parameters()))

    def with_dtype(self, dtype: str) -> "Case":
        """The same case computed in another precision (parameters and data cast once)."""
        if dtype == self.dtype:
            return self
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
        return dataclasses.replace(self, dtype=dtype, layers=layers, x=self.x.astype(np_dtype), targets=targets)


class Step:
    """What an engine records at step t (the state after t updates): (quantity, key) -> array.

    Forward values, loss and gradients are computed from the parameters of step t on the batch
    used for update t + 1; parameters and optimizer state are the values after t updates.
    """

    def __init__(self, batch: np.ndarray, values: dict[tuple[str, str], np.ndarray]) -> None:
        self.batch = batch  # (B,) row indices into the case's data
        self.values = values

    def get(self, quantity: str, key: str = "") -> np.ndarray:
        return self.values[(quantity, key)]

    @property
    def loss(self) -> float:
        return float(self.values[("loss", "")])

    @property
    def output(self) -> np.ndarray:
        return self.values[("output", "")]

    def params(self) -> dict[str, np.ndarray]:
        return {key: value for (quantity, key), value in self.values.items() if quantity == "param"}

    def grads(self) -> dict[str, np.ndarray]:
        return {key: value for (quantity, key), value in self.values.items() if quantity == "grad"}


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

"""What a validated case is, and what an engine records when it runs one.

Both engines read a `Case` and produce one `Step` per recorded step; neither sees the TOML file.
Parameters are named `layers.{i}.weight` and `layers.{i}.bias` with torch's shapes (a dense
layer's weight is units × fan_in, as torch.nn.Linear stores it; a convolution's is out_channels ×
in_channels × kh × kw); batch norm's running statistics are `layers.{i}.running_mean` and
`layers.{i}.running_var`.
"""

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cases.quantities import STATE, computation_order
from cases.schedule import Schedule
from cases.vocabulary import ON_LOGITS

ELEMENT = re.compile(r"^(layers\.(\d+)\.([a-z][a-z0-9_]*))(?:\[(\d+(?:\s*,\s*\d+)*)\])?$")


@dataclass(frozen=True)
class Layer:
    """One layer: z = the layer's own function of its input (dense: z = x @ weight.T + bias), then
    a = activation(z). `shape` is one sample's z (and a): (units,) for a dense layer."""

    shape: tuple[int, ...]
    activation: str
    activation_options: dict[str, Any]
    params: dict[str, np.ndarray]  # by torch's name: "weight" (dense (units, fan_in); conv2d (out, in, kh, kw)),
    #                                "bias", or a recurrent layer's "weight_ih_l0", …; absent: none (bias = false)
    type: str = "dense"  # a name from cases.vocabulary.LAYERS
    options: dict[str, Any] = field(default_factory=dict)  # torch's constructor options the case gave
    buffers: dict[str, np.ndarray] = field(default_factory=dict)  # batch_norm: running_mean, running_var

    @property
    def size(self) -> int:
        """The numbers in one sample's output: a dense layer's units, a convolution's C·H·W."""
        return math.prod(self.shape)

    @property
    def weight(self) -> np.ndarray | None:
        return self.params.get("weight")

    @property
    def bias(self) -> np.ndarray | None:
        return self.params.get("bias")


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
    input_shape: tuple[int, ...]  # one sample's input: (D,), an image (C, H, W), a sequence (T, D), T indices
    layers: tuple[Layer, ...]
    names: dict[str, str]  # alias -> "layers.i.weight[r,c]"
    x: np.ndarray  # (N, *input_shape): one row per sample, an image (C, H, W), a sequence, or indices
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
    training: bool = True  # [model] mode: "train" (batch statistics, dropout on) or "eval"
    evaluate_last: bool = False  # [training] evaluate_last: the last recorded step in evaluation mode

    @property
    def steps(self) -> int:
        return self.schedule.steps

    @property
    def outputs(self) -> int:
        return self.layers[-1].size

    @property
    def class_targets(self) -> bool:
        """True when targets are class indices (cross_entropy), not rows of numbers."""
        return self.targets.ndim == 1

    @property
    def inputs(self) -> int:
        """The numbers in one sample's input."""
        return math.prod(self.input_shape)

    def training_at(self, step: int) -> bool:
        """model.train() (True) or model.eval() at a step: the case's mode, except that with evaluate_last
        the last recorded step, after every update, evaluates the trained model."""
        return self.training and not (self.evaluate_last and step == self.steps)

    @property
    def index_inputs(self) -> bool:
        """True when the inputs are integer indices into an embedding table (no input gradient)."""
        return self.layers[0].type == "embedding"

    def layer_input_shape(self, i: int) -> tuple[int, ...]:
        """One sample's input to layer i."""
        return self.input_shape if i == 0 else self.layers[i - 1].shape

    def layer_parameters(self, i: int) -> list[str]:
        """Layer i's parameter names, in the order the layer holds them (`layers.i.weight`, …)."""
        return [f"layers.{i}.{name}" for name in self.layers[i].params]

    def initial_state(self, i: int, name: str, rows: int) -> np.ndarray:
        """A recurrent layer's h0 or c0 for a batch of `rows`: the case's, the same for every row, or zeros."""
        layer = self.layers[i]
        hidden = layer.options["hidden_size"]
        given = np.asarray(layer.options.get(name, np.zeros(hidden)), dtype=self.dtype)
        return np.broadcast_to(given, (rows, hidden)).copy()

    def buffers(self) -> dict[str, np.ndarray]:
        """Initial running statistics by name (`layers.i.running_mean`, `layers.i.running_var`)."""
        return {f"layers.{i}.{name}": value for i, layer in enumerate(self.layers) for name, value in layer.buffers.items()}

    def dropout_draws(self, i: int, step: int, shape: tuple[int, ...]) -> np.ndarray:
        """The uniform numbers u in [0, 1) that decide dropout layer i's mask at a step (kept where
        u ≥ p): drawn here from the layer's seed, the layer and the step, so both engines apply
        the same mask (torch's own generator cannot be shared with NumPy)."""
        generator = np.random.default_rng([self.layers[i].options.get("seed", 0), i, step])
        return generator.random(shape).astype(self.dtype)

    @property
    def on_logits(self) -> bool:
        """True when the loss takes the last layer's pre-activation z instead of its output."""
        return self.loss in ON_LOGITS

    def parameters(self) -> dict[str, np.ndarray]:
        """Initial parameters by name, input side first, weight before bias."""
        params: dict[str, np.ndarray] = {}
        for i, layer in enumerate(self.layers):
            for name, value in layer.params.items():
                params[f"layers.{i}.{name}"] = value
        return params

    def order(self):
        """Sort key putting (quantity, key) pairs in computation order (cases.quantities)."""
        return computation_order(len(self.layers), [*self.parameters(), *self.buffers()])

    def with_dtype(self, dtype: str) -> "Case":
        """The same case computed in another precision (parameters and data cast once)."""
        if dtype == self.dtype:
            return self
        np_dtype = np.dtype(dtype)
        layers = tuple(
            dataclasses.replace(
                layer,
                params={name: value.astype(np_dtype) for name, value in layer.params.items()},
                buffers={name: value.astype(np_dtype) for name, value in layer.buffers.items()},
            )
            for layer in self.layers
        )
        targets = self.targets if self.class_targets else self.targets.astype(np_dtype)
        x = self.x if self.index_inputs else self.x.astype(np_dtype)
        return dataclasses.replace(self, dtype=dtype, layers=layers, x=x, targets=targets)


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

    def buffers(self) -> dict[str, np.ndarray]:
        return {key: value for (quantity, key), value in self.values.items() if quantity == "buffer"}

    def params(self) -> dict[str, np.ndarray]:
        return {key: value for (quantity, key), value in self.values.items() if quantity == "param"}

    def grads(self) -> dict[str, np.ndarray]:
        return {key: value for (quantity, key), value in self.values.items() if quantity == "grad"}

    def optimizer_state(self) -> dict[str, dict[str, Any]]:
        """The optimizer's state per parameter, {name: {quantity: value}} as an update rule takes it
        (reference/optimizers.py): torch keeps the update count `step` as a float, given here as an int."""
        state: dict[str, dict[str, Any]] = {}
        for (quantity, key), value in self.values.items():
            if quantity in STATE:
                state.setdefault(key, {})[quantity] = int(value) if quantity == "step" else np.array(value)
        return state


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

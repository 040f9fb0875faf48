"""Read and validate case files. Every problem becomes one `CaseError` naming file and field.

Nothing here computes a forward or backward pass: the loader turns TOML into a `Case` with
NumPy arrays, generates seeded initial weights, and fixes the batch order, so both engines
start from identical arrays and see identical batches.
"""

import math
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from cases.case import Case, CaseError, Expect, Layer, format_index, parse_element
from cases.schedule import batch_schedule, updates_per_epoch
from cases.vocabulary import (
    ACTIVATIONS,
    DTYPES,
    GELU_APPROXIMATIONS,
    INIT_SCHEMES,
    LOSS_LAST_ACTIVATION,
    LOSSES,
    OPTIMIZERS,
    QUANTITIES,
)

NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
BUILTIN_CASES = Path(__file__).resolve().parent


def load_case(path: str | Path) -> Case:
    """Load one case file; raise `CaseError` on the first problem found."""
    shown = _shown(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CaseError(shown, "", f"cannot read the file ({error.strerror})") from None
    return loads_case(text, shown, base=Path(path).parent)


def loads_case(text: str, path: str = "<string>", base: Path | None = None) -> Case:
    """Load a case from TOML text; `path` is how errors name it, `base` where data files are."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CaseError(path, "", f"not valid TOML ({error})") from None
    return _Reader(path, base or Path.cwd()).case(raw)


def case_files(paths: Iterable[str | Path]) -> list[Path]:
    """The .toml files named by `paths`: files as given, folders searched (sorted, recursive)."""
    files: list[Path] = []
    for item in paths:
        item = Path(item)
        if item.is_dir():
            files.extend(sorted(item.rglob("*.toml")))
        else:
            files.append(item)
    return files


def load_cases(paths: Iterable[str | Path] = (BUILTIN_CASES,)) -> tuple[list[Case], list[CaseError]]:
    """Load every case file under `paths`; invalid files are returned as errors, not raised.

    A case whose name repeats an earlier file's name is an error of the later file.
    """
    cases: list[Case] = []
    errors: list[CaseError] = []
    seen: dict[str, str] = {}
    for file in case_files(paths):
        try:
            case = load_case(file)
        except CaseError as error:
            errors.append(error)
            continue
        if case.name in seen:
            errors.append(
                CaseError(case.path, "name", f"'{case.name}' is already used by {seen[case.name]}")
            )
            continue
        seen[case.name] = case.path
        cases.append(case)
    return cases, errors


def _shown(path: str | Path) -> str:
    """A path as a user would type it: relative to the working folder when inside it."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) if shape else "a number"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Reader:
    """Walks the parsed TOML, raising `CaseError(path, field, expectation)` at the first problem."""

    def __init__(self, path: str, base: Path) -> None:
        self.path = path
        self.base = base

    def fail(self, field: str, message: str) -> CaseError:
        return CaseError(self.path, field, message)

    # ---- generic checks -------------------------------------------------------------------

    def keys(self, table: dict[str, Any], field: str, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                where = f"{field}.{key}" if field else key
                raise self.fail(where, f"unknown key; expected one of: {', '.join(allowed)}")

    def table(self, parent: dict[str, Any], key: str, field: str) -> dict[str, Any]:
        if key not in parent:
            raise self.fail(field, "missing table")
        value = parent[key]
        if not isinstance(value, dict):
            raise self.fail(field, f"expected a table, got {type(value).__name__}")
        return value

    def value(self, table: dict[str, Any], key: str, field: str, kinds: tuple[type, ...]) -> Any:
        if key not in table:
            raise self.fail(field, "missing")
        return self.typed(table[key], field, kinds)

    def typed(self, value: Any, field: str, kinds: tuple[type, ...]) -> Any:
        numeric = float in kinds or int in kinds
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(field, f"expected {self.kind_names(kinds)}, got {value!r}")
        if not isinstance(value, kinds):
            raise self.fail(field, f"expected {self.kind_names(kinds)}, got {value!r}")
        if numeric and isinstance(value, float) and not math.isfinite(value):
            raise self.fail(field, f"expected a finite number, got {value!r}")
        return float(value) if float in kinds and _is_number(value) else value

    @staticmethod
    def kind_names(kinds: tuple[type, ...]) -> str:
        names = {bool: "true or false", int: "an integer", float: "a number", str: "a string",
                 list: "a list", dict: "a table"}
        if float in kinds:
            kinds = tuple(kind for kind in kinds if kind is not int)
        return " or ".join(names[kind] for kind in kinds)

    def integer(self, table: dict[str, Any], key: str, field: str, minimum: int) -> int:
        value = self.value(table, key, field, (int,))
        if value < minimum:
            raise self.fail(field, f"expected an integer ≥ {minimum}, got {value}")
        return value

    def array(self, value: Any, field: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """A rectangular nested list of finite numbers as float64, checked against `shape`."""
        found = self.nested_shape(value, field)
        array = np.array(value, dtype=np.float64)
        if not np.all(np.isfinite(array)):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
            raise self.fail(field, f"expected finite numbers, got {array[bad]} at [{format_index(bad)}]")
        if shape is not None and found != shape:
            raise self.fail(field, f"expected {_shape_text(shape)}, got {_shape_text(found)}")
        return array

    def nested_shape(self, value: Any, field: str) -> tuple[int, ...]:
        if _is_number(value):
            return ()
        if not isinstance(value, list) or not value:
            raise self.fail(field, f"expected a number or a non-empty list of numbers, got {value!r}")
        shapes = {self.nested_shape(item, field) for item in value}
        if len(shapes) != 1:
            raise self.fail(field, "expected a rectangular list (every row the same length)")
        return (len(value), *shapes.pop())

    # ---- the case -------------------------------------------------------------------------

    def case(self, raw: dict[str, Any]) -> Case:
        self.keys(raw, "", ["name", "title", "source", "dtype", "model", "data", "loss",
                            "training", "expect", "tolerance"])
        name = self.value(raw, "name", "name", (str,))
        if not NAME.match(name):
            raise self.fail("name", f"expected lower-case letters, digits, '.' and '-' "
                                    f"starting with a letter or digit, got {name!r}")
        title = self.typed(raw.get("title", name), "title", (str,))
        source = self.typed(raw.get("source", ""), "source", (str,))
        dtype = self.typed(raw.get("dtype", "float64"), "dtype", (str,))
        if dtype not in DTYPES:
            raise self.fail("dtype", f"expected one of {', '.join(DTYPES)}, got {dtype!r}")

        model = self.table(raw, "model", "model")
        inputs, layers, names = self.model(model)
        x, targets, data_file = self.data(self.table(raw, "data", "data"), inputs, layers)
        loss, loss_options = self.loss(self.table(raw, "loss", "loss"), layers, targets)
        if loss != "cross_entropy" and targets.ndim == 1:
            targets = targets.reshape(-1, 1)
        self.check_targets(loss, targets, layers[-1].units)
        if targets.ndim == 1:
            targets = targets.astype(np.int64)
        training = self.table(raw, "training", "training")
        optimizer, options, steps, batches, freeze = self.training(training, layers, len(x))
        expects = self.expects(raw.get("expect", []), layers, names, batches, inputs)
        tolerance = self.tolerance(raw.get("tolerance"))

        case = Case(
            name=name, title=title, source=source, dtype="float64", path=self.path,
            inputs=inputs, layers=tuple(layers), names=names, x=x, targets=targets,
            loss=loss, loss_options=loss_options, optimizer=optimizer,
            optimizer_options=options, steps=steps, batches=batches, freeze=freeze,
            expects=expects, tolerance=tolerance, data_file=data_file,
        )
        return case if dtype == "float64" else case.with_dtype(dtype)

    def model(self, model: dict[str, Any]) -> tuple[int, list[Layer], dict[str, str]]:
        self.keys(model, "model", ["inputs", "layers", "names", "init"])
        inputs = self.integer(model, "inputs", "model.inputs", 1)
        entries = self.value(model, "layers", "model.layers", (list,))
        if not entries:
            raise self.fail("model.layers", "expected at least one [[model.layers]] table")
        init = self.init(model["init"]) if "init" in model else None
        generator = np.random.default_rng(init["seed"]) if init else None

        layers: list[Layer] = []
        fan_in = inputs
        for i, entry in enumerate(entries):
            field = f"model.layers[{i}]"
            if not isinstance(entry, dict):
                raise self.fail(field, "expected a table")
            layer = self.layer(entry, field, fan_in, last=i == len(entries) - 1,
                               init=init, generator=generator)
            layers.append(layer)
            fan_in = layer.units
        names = self.names(model.get("names", {}), layers)
        return inputs, layers, names

    def layer(self, entry: dict[str, Any], field: str, fan_in: int, last: bool,
              init: dict[str, Any] | None, generator: np.random.Generator | None) -> Layer:
        activation = self.value(entry, "activation", f"{field}.activation", (str,))
        if activation not in ACTIVATIONS:
            raise self.fail(f"{field}.activation",
                            f"expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        if activation == "softmax" and not last:
            raise self.fail(f"{field}.activation", "softmax is allowed only on the last layer")
        option_kinds = ACTIVATIONS[activation]
        self.keys(entry, field, ["units", "activation", "weight", "bias", *option_kinds])
        units = self.integer(entry, "units", f"{field}.units", 1)
        options = {key: self.typed(entry[key], f"{field}.{key}", kinds)
                   for key, kinds in option_kinds.items() if key in entry}
        if options.get("approximate", "none") not in GELU_APPROXIMATIONS:
            raise self.fail(f"{field}.approximate",
                            f"expected one of {', '.join(GELU_APPROXIMATIONS)}, got {options['approximate']!r}")
        if options.get("beta", 1.0) == 0:
            raise self.fail(f"{field}.beta", "expected a non-zero number")

        if "weight" in entry:
            weight = self.array(entry["weight"], f"{field}.weight")
        elif init is not None and generator is not None:
            weight = self.initial_weight(init, generator, units, fan_in)
        else:
            raise self.fail(f"{field}.weight",
                            f"missing; give a {units}×{fan_in} list (units × fan_in) or a [model.init] table")
        self.check_shape(weight, (units, fan_in), f"{field}.weight", "units × fan_in")

        bias_value = entry.get("bias", True if init else None)
        if bias_value is None:
            raise self.fail(f"{field}.bias",
                            f"missing; give a list of {units} numbers, or false for no bias")
        if bias_value is False:
            bias = None
        elif bias_value is True:
            if init is None or generator is None:
                raise self.fail(f"{field}.bias",
                                f"true needs a [model.init] table; give a list of {units} numbers")
            bias = self.initial_bias(init, generator, units, fan_in)
        else:
            bias = self.array(bias_value, f"{field}.bias")
            self.check_shape(bias, (units,), f"{field}.bias", "units")
        return Layer(units=units, activation=activation, activation_options=options,
                     weight=weight, bias=bias)

    def check_shape(self, array: np.ndarray, shape: tuple[int, ...], field: str, meaning: str) -> None:
        if array.shape != shape:
            raise self.fail(field, f"expected {_shape_text(shape)} ({meaning}), got {_shape_text(array.shape)}")

    def init(self, init: Any) -> dict[str, Any]:
        field = "model.init"
        if not isinstance(init, dict):
            raise self.fail(field, "expected a table")
        self.keys(init, field, ["seed", "scheme", "low", "high", "mean", "std", "gain", "a", "zero_bias"])
        seed = self.integer(init, "seed", f"{field}.seed", 0)
        scheme = self.value(init, "scheme", f"{field}.scheme", (str,))
        if scheme not in INIT_SCHEMES:
            raise self.fail(f"{field}.scheme", f"expected one of {', '.join(INIT_SCHEMES)}, got {scheme!r}")
        settings: dict[str, Any] = {"seed": seed, "scheme": scheme}
        for key, default in {"low": 0.0, "high": 1.0, "mean": 0.0, "std": 1.0, "gain": 1.0, "a": 0.0}.items():
            settings[key] = self.typed(init.get(key, default), f"{field}.{key}", (float, int))
        settings["zero_bias"] = self.typed(init.get("zero_bias", False), f"{field}.zero_bias", (bool,))
        if settings["low"] >= settings["high"]:
            raise self.fail(f"{field}.high", f"expected a number above low = {settings['low']}")
        if settings["std"] < 0:
            raise self.fail(f"{field}.std", "expected a number ≥ 0")
        return settings

    @staticmethod
    def initial_weight(init: dict[str, Any], generator: np.random.Generator,
                       units: int, fan_in: int) -> np.ndarray:
        """Seeded weights, following torch.nn.init's formulas for the bounds."""
        shape = (units, fan_in)
        scheme = init["scheme"]
        if scheme == "uniform":
            return generator.uniform(init["low"], init["high"], shape)
        if scheme == "normal":
            return generator.normal(init["mean"], init["std"], shape)
        if scheme == "xavier_uniform":
            bound = init["gain"] * math.sqrt(6.0 / (fan_in + units))
        else:  # kaiming_uniform, fan_in mode, leaky_relu gain with slope a
            bound = math.sqrt(2.0 / (1 + init["a"] ** 2)) * math.sqrt(3.0 / fan_in)
        return generator.uniform(-bound, bound, shape)

    @staticmethod
    def initial_bias(init: dict[str, Any], generator: np.random.Generator,
                     units: int, fan_in: int) -> np.ndarray:
        """Zeros, the weights' own distribution, or torch.nn.Linear's U(±1/√fan_in)."""
        if init["zero_bias"]:
            return np.zeros(units)
        if init["scheme"] == "uniform":
            return generator.uniform(init["low"], init["high"], units)
        if init["scheme"] == "normal":
            return generator.normal(init["mean"], init["std"], units)
        bound = 1.0 / math.sqrt(fan_in)
        return generator.uniform(-bound, bound, units)

    def names(self, names: Any, layers: list[Layer]) -> dict[str, str]:
        if not isinstance(names, dict):
            raise self.fail("model.names", "expected a table of alias = \"layers.i.weight[r,c]\"")
        resolved: dict[str, str] = {}
        for alias, target in names.items():
            field = f"model.names.{alias}"
            if not ALIAS.match(alias) or alias.startswith("layers"):
                raise self.fail(field, "expected an alias of letters, digits and '_' not starting with 'layers'")
            target = self.typed(target, field, (str,))
            param, index = self.element(target, field, layers)
            if index is None:
                example = f"{param}[0,0]" if param.endswith("weight") else f"{param}[0]"
                raise self.fail(field, f"expected one element such as \"{example}\", got {target!r}")
            resolved[alias] = f"{param}[{format_index(index)}]"
        return resolved

    def element(self, text: str, field: str, layers: list[Layer],
                names: dict[str, str] | None = None) -> tuple[str, tuple[int, ...] | None]:
        """Resolve an alias, `layers.i.weight`, or `layers.i.weight[r,c]` against the model."""
        if names and text in names:
            text = names[text]
        parsed = parse_element(text)
        expected = "a parameter such as \"layers.0.weight\", an element such as \"layers.0.weight[0,1]\""
        if names is not None:
            expected += ", or an alias from [model.names]"
        if parsed is None:
            raise self.fail(field, f"expected {expected}, got {text!r}")
        param, index = parsed
        layer_number = int(param.split(".")[1])
        if layer_number >= len(layers):
            raise self.fail(field, f"no layer {layer_number}: the model has layers 0 to {len(layers) - 1}")
        layer = layers[layer_number]
        array = layer.weight if param.endswith("weight") else layer.bias
        if array is None:
            raise self.fail(field, f"{param} does not exist: layer {layer_number} has bias = false")
        if index is not None and (len(index) != array.ndim or any(i >= n for i, n in zip(index, array.shape, strict=True))):
            raise self.fail(field, f"index [{format_index(index)}] is outside {param} of shape {_shape_text(array.shape)}")
        return param, index

    # ---- data, loss, training ---------------------------------------------------------------

    def data(self, data: dict[str, Any], inputs: int, layers: list[Layer]) -> tuple[np.ndarray, np.ndarray, Path | None]:
        data_file = None
        if "file" in data:
            self.keys(data, "data", ["file", "input_columns", "target_columns"])
            x, targets = self.data_file(data)
            data_file = self.base / data["file"]
        else:
            self.keys(data, "data", ["inputs", "targets"])
            x = self.array(self.value(data, "inputs", "data.inputs", (list,)), "data.inputs")
            targets = self.array(self.value(data, "targets", "data.targets", (list,)), "data.targets")
        if x.ndim != 2 or x.shape[1] != inputs:
            raise self.fail("data.inputs", f"expected N rows × {inputs} (model.inputs), got {_shape_text(x.shape)}")
        outputs = layers[-1].units
        if targets.ndim not in (1, 2) or len(targets) != len(x):
            raise self.fail("data.targets", f"expected {len(x)} rows (one per input row), got {_shape_text(targets.shape)}")
        if targets.ndim == 2 and targets.shape[1] != outputs:
            raise self.fail("data.targets", f"expected {len(x)}×{outputs} (rows × units of the last layer), "
                                            f"got {_shape_text(targets.shape)}")
        return x, targets, data_file

    def data_file(self, data: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        import pandas as pd

        name = self.value(data, "file", "data.file", (str,))
        columns = {}
        for key in ("input_columns", "target_columns"):
            value = self.value(data, key, f"data.{key}", (list,))
            if not value or not all(isinstance(item, str) for item in value):
                raise self.fail(f"data.{key}", "expected a non-empty list of column names")
            columns[key] = value
        try:
            frame = pd.read_csv(self.base / name)
        except (OSError, ValueError) as error:
            raise self.fail("data.file", f"cannot read {name!r} beside the case file ({error})") from None
        for key, wanted in columns.items():
            missing = [column for column in wanted if column not in frame.columns]
            if missing:
                raise self.fail(f"data.{key}", f"no column {missing[0]!r} in {name}; it has {', '.join(frame.columns)}")
        try:
            x = frame[columns["input_columns"]].to_numpy(dtype=np.float64)
            targets = frame[columns["target_columns"]].to_numpy(dtype=np.float64)
        except ValueError as error:
            raise self.fail("data.file", f"expected numbers in the named columns of {name} ({error})") from None
        if not np.all(np.isfinite(x)) or not np.all(np.isfinite(targets)):
            raise self.fail("data.file", f"expected finite numbers in the named columns of {name}")
        return x, targets

    def loss(self, loss: dict[str, Any], layers: list[Layer], targets: np.ndarray) -> tuple[str, dict[str, Any]]:
        name = self.value(loss, "name", "loss.name", (str,))
        if name not in LOSSES:
            raise self.fail("loss.name", f"expected one of {', '.join(LOSSES)}, got {name!r}")
        self.keys(loss, "loss", ["name", *LOSSES[name]])
        options = {key: self.typed(loss[key], f"loss.{key}", kinds)
                   for key, kinds in LOSSES[name].items() if key in loss}
        if options.get("delta", 1.0) <= 0:
            raise self.fail("loss.delta", "expected a number > 0")
        last = layers[-1].activation
        needed = LOSS_LAST_ACTIVATION.get(name)
        if needed and last not in needed:
            raise self.fail("loss.name", f"{name} needs a last layer with activation "
                                         f"{' or '.join(needed)}, got {last}")
        return name, options

    def check_targets(self, loss: str, targets: np.ndarray, outputs: int) -> None:
        if targets.ndim == 1:  # cross_entropy with class indices
            if not np.all(targets == np.round(targets)) or targets.min() < 0 or targets.max() >= outputs:
                raise self.fail("data.targets", f"expected class indices 0 to {outputs - 1} "
                                                f"(or rows of {outputs} probabilities)")
        elif targets.shape[1] != outputs:
            raise self.fail("data.targets", f"expected rows of {outputs} numbers (units of the last layer)")
        if loss in ("bce", "bce_with_logits") and (targets.min() < 0 or targets.max() > 1):
            raise self.fail("data.targets", f"{loss} expects targets between 0 and 1")

    def training(self, training: dict[str, Any], layers: list[Layer], samples: int
                 ) -> tuple[str, dict[str, Any], int, tuple[np.ndarray, ...], frozenset[str]]:
        optimizer = self.value(training, "optimizer", "training.optimizer", (str,))
        if optimizer not in OPTIMIZERS:
            raise self.fail("training.optimizer", f"expected one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
        option_kinds = OPTIMIZERS[optimizer]
        self.keys(training, "training", ["optimizer", "learning_rate", "steps", "epochs", "batch_size",
                                         "shuffle_seed", "freeze", *option_kinds])
        options: dict[str, Any] = {}
        if "learning_rate" in training:
            options["lr"] = self.typed(training["learning_rate"], "training.learning_rate", (float, int))
            if options["lr"] <= 0:
                raise self.fail("training.learning_rate", f"expected a number > 0, got {options['lr']}")
        for key, kinds in option_kinds.items():
            if key in training:
                options[key] = self.optimizer_option(key, training[key], kinds)
        if options.get("nesterov") and (options.get("momentum", 0) <= 0 or options.get("dampening", 0) != 0):
            raise self.fail("training.nesterov", "nesterov needs momentum > 0 and dampening = 0 (as torch.optim.SGD)")

        batch_size = self.typed(training.get("batch_size", 0), "training.batch_size", (int,))
        if not 0 <= batch_size <= samples:
            raise self.fail("training.batch_size", f"expected 0 (full batch) to {samples} (the number of samples), got {batch_size}")
        if ("steps" in training) == ("epochs" in training):
            raise self.fail("training.steps", "expected exactly one of steps (updates) or epochs (passes over the data)")
        if "steps" in training:
            steps = self.integer(training, "steps", "training.steps", 1)
        else:
            steps = self.integer(training, "epochs", "training.epochs", 1) * updates_per_epoch(samples, batch_size)
        shuffle_seed = training.get("shuffle_seed")
        if shuffle_seed is not None:
            shuffle_seed = self.typed(shuffle_seed, "training.shuffle_seed", (int,))
        batches = batch_schedule(samples, batch_size, steps, shuffle_seed)

        freeze_list = self.typed(training.get("freeze", []), "training.freeze", (list,))
        freeze: set[str] = set()
        for i, item in enumerate(freeze_list):
            field = f"training.freeze[{i}]"
            param, index = self.element(self.typed(item, field, (str,)), field, layers)
            if index is not None:
                raise self.fail(field, f"expected a whole parameter such as \"{param}\", got {item!r}")
            freeze.add(param)
        return optimizer, options, steps, batches, frozenset(freeze)

    def optimizer_option(self, key: str, value: Any, kinds: tuple[type, ...]) -> Any:
        field = f"training.{key}"
        value = self.typed(value, field, kinds)
        if key == "betas":
            if len(value) != 2 or not all(_is_number(b) and 0 <= b < 1 for b in value):
                raise self.fail(field, f"expected two numbers in [0, 1), got {value!r}")
            return tuple(float(b) for b in value)
        if isinstance(value, float) and value < 0:
            raise self.fail(field, f"expected a number ≥ 0, got {value}")
        return value

    # ---- expectations and tolerance ---------------------------------------------------------

    def expects(self, entries: Any, layers: list[Layer], names: dict[str, str],
                batches: tuple[np.ndarray, ...], inputs: int) -> tuple[Expect, ...]:
        if not isinstance(entries, list):
            raise self.fail("expect", "expected [[expect]] tables")
        return tuple(self.expect(entry, f"expect[{i}]", layers, names, batches, inputs)
                     for i, entry in enumerate(entries))

    def expect(self, entry: Any, field: str, layers: list[Layer], names: dict[str, str],
               batches: tuple[np.ndarray, ...], inputs: int) -> Expect:
        if not isinstance(entry, dict):
            raise self.fail(field, "expected a table")
        self.keys(entry, field, ["quantity", "step", "param", "layer", "index", "value", "tolerance", "note"])
        quantity = self.value(entry, "quantity", f"{field}.quantity", (str,))
        if quantity not in QUANTITIES:
            raise self.fail(f"{field}.quantity", f"expected one of {', '.join(QUANTITIES)}, got {quantity!r}")
        step = self.integer(entry, "step", f"{field}.step", 0)
        if step >= len(batches):
            raise self.fail(f"{field}.step", f"expected 0 to {len(batches) - 1} (the case runs {len(batches) - 1} steps), got {step}")
        rows = len(batches[step])

        param, index, label = "", None, quantity
        if quantity in ("grad", "param"):
            self.only(entry, field, "param")
            label = self.value(entry, "param", f"{field}.param", (str,))
            param, index = self.element(label, f"{field}.param", layers, names)
            layer = layers[int(param.split(".")[1])]
            shape = (layer.weight if param.endswith("weight") else layer.bias).shape
        elif quantity in ("output", "input_grad", "activation", "pre_activation"):
            if quantity in ("activation", "pre_activation"):
                self.only(entry, field, "layer", "index")
                number = self.integer(entry, "layer", f"{field}.layer", 0)
                if number >= len(layers):
                    raise self.fail(f"{field}.layer", f"expected 0 to {len(layers) - 1}, got {number}")
                param, width = f"layers.{number}", layers[number].units
            else:
                self.only(entry, field, "index")
                width = layers[-1].units if quantity == "output" else inputs
            shape = (rows, width)
            if "index" in entry:
                index = self.index(entry["index"], f"{field}.index", shape)
        else:  # loss
            self.only(entry, field)
            shape = ()

        target_shape = shape if index is None else ()
        if "value" not in entry:
            raise self.fail(f"{field}.value", "missing")
        value = self.array(entry["value"], f"{field}.value", target_shape)
        tolerance = self.value(entry, "tolerance", f"{field}.tolerance", (float, int))
        if tolerance < 0:
            raise self.fail(f"{field}.tolerance", f"expected an absolute tolerance ≥ 0, got {tolerance}")
        if quantity in ("activation", "pre_activation"):
            label = f"{param} {quantity}" + (f"[{format_index(index)}]" if index is not None else "")
        elif index is not None and quantity in ("output", "input_grad"):
            label = f"{quantity}[{format_index(index)}]"
        note = self.typed(entry.get("note", ""), f"{field}.note", (str,))
        return Expect(quantity=quantity, step=step, param=param, index=index, value=value,
                      tolerance=tolerance, label=label, note=note)

    def only(self, entry: dict[str, Any], field: str, *allowed: str) -> None:
        quantity = entry["quantity"]
        for key in ("param", "layer", "index"):
            if key in entry and key not in allowed:
                raise self.fail(f"{field}.{key}", f"not used with quantity = {quantity!r}")

    def index(self, value: Any, field: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        if (not isinstance(value, list) or len(value) != len(shape)
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in value)):
            raise self.fail(field, f"expected [row, column], got {value!r}")
        if any(not 0 <= i < n for i, n in zip(value, shape, strict=True)):
            raise self.fail(field, f"[{format_index(tuple(value))}] is outside {_shape_text(shape)} (batch rows × units)")
        return tuple(value)

    def tolerance(self, table: Any) -> tuple[float, float] | None:
        if table is None:
            return None
        if not isinstance(table, dict):
            raise self.fail("tolerance", "expected a table with abs and rel")
        self.keys(table, "tolerance", ["abs", "rel"])
        values = []
        for key in ("abs", "rel"):
            value = self.value(table, key, f"tolerance.{key}", (float, int))
            if value < 0:
                raise self.fail(f"tolerance.{key}", f"expected a number ≥ 0, got {value}")
            values.append(value)
        return values[0], values[1]

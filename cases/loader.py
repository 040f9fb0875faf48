"""Load case files: read, check every section, report every problem; never raise anything else.

Nothing here computes a forward or backward pass: the loader turns TOML into a `Case` with
NumPy arrays, seeded initial weights and a batch schedule, so both engines start from identical
arrays and see identical batches. A file with problems becomes one `CaseError` listing them all;
the other files are still loaded.
"""

import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from cases import limits as size_limits
from cases.case import Case, Layer
from cases.data import read_data
from cases.errors import CaseError, Invalid
from cases.expect import Model, read_expects, read_tolerance
from cases.fields import Fields, shape_text
from cases.files import case_files, parse_toml, read_text, shown_path
from cases.graph import GraphCase, is_graph, read_graph
from cases.layer_types import layer_work
from cases.model import read_model
from cases.schedule import Schedule
from cases.training import check_loss_fits, check_targets, read_loss, read_training
from cases.vocabulary import DTYPES

NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
BUILTIN_CASES = Path(__file__).resolve().parent / "builtin"  # the case files, a folder per topic
TOP_LEVEL = ["name", "title", "source", "dtype", "model", "data", "loss", "training", "expect", "tolerance", "limits"]
GRAPH_TOP_LEVEL = ["name", "title", "source", "dtype", "graph", "training", "expect", "tolerance", "limits"]


def load_case(path: str | Path) -> Case | GraphCase:
    """Load one case file; raise `CaseError` listing every problem found."""
    path = Path(path)
    shown = shown_path(path)
    return loads_case(read_text(path), shown, base=path.parent)


def loads_case(text: str, path: str = "<string>", base: Path | None = None) -> Case:
    """Load a case from TOML text; `path` is how errors name it, `base` where its data files are."""
    raw = parse_toml(text.removeprefix("\ufeff"), path)
    if not raw:
        raise CaseError(path, "", "is empty; expected a case: name, [model], [data], [loss] and [training]")
    try:
        return read_case(Fields(path), raw, base or Path.cwd())
    except CaseError:
        raise
    except Exception as error:  # a gap in the checks above: still one line, never a traceback
        raise CaseError(path, "", f"could not be read ({type(error).__name__}: {error}); "
                                  "please report this as a bug of the loader") from error


def builtin(name: str) -> Path:
    """The built-in case file of that name, in whichever topic's folder it is (cases/builtin/<topic>/)."""
    found = sorted(BUILTIN_CASES.glob(f"*/{name}.toml"))
    if not found:
        raise FileNotFoundError(f"no built-in case named {name!r} in {BUILTIN_CASES}")
    return found[0]


def load_cases(paths: Iterable[str | Path] = (BUILTIN_CASES,)) -> tuple[list[Case], list[CaseError]]:
    """Load every case file under `paths`; invalid files are returned as errors, not raised.

    A case whose name repeats an earlier file's name is an error of the later file.
    """
    files, errors = case_files(paths)
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            case = load_case(file)
        except CaseError as error:
            errors.append(error)
            continue
        if case.name in seen:
            errors.append(CaseError(case.path, "name", f"'{case.name}' is already used by {seen[case.name]}"))
            continue
        seen[case.name] = case.path
        cases.append(case)
    return cases, errors


def read_case(fields: Fields, raw: dict[str, Any], base: Path) -> Case | GraphCase:
    """Every section is read even when another has problems, so the error lists them all."""
    fields.keys(raw, "", GRAPH_TOP_LEVEL if is_graph(raw) else TOP_LEVEL)
    name = fields.part(read_name, fields, raw)
    title = fields.part(fields.value, raw, "title", "title", (str,), name or "")
    source = fields.part(fields.value, raw, "source", "source", (str,), "")
    dtype = fields.part(fields.choice, raw, "dtype", "dtype", DTYPES, "float64")
    limits = size_limits.read_limits(fields, raw)
    if is_graph(raw):
        graph = fields.part(read_graph, fields, raw, dtype, limits)
        tolerance = fields.part(read_tolerance, fields, raw.get("tolerance"))
        error = fields.error()
        if error is not None:
            raise error
        case = GraphCase(name=name, title=title, source=source, dtype="float64", path=fields.path,
                         tolerance=tolerance, limits=limits, **graph)
        return case.with_dtype(dtype)

    model = fields.part(section, fields, raw, "model")
    built = fields.part(read_model, fields, model, limits) if model is not None else None
    input_shape, layers, names, train_mode = built if built else (None, None, None, True)
    data = fields.part(section, fields, raw, "data")
    found = fields.part(read_data, fields, data, base, limits) if data is not None else None
    x, targets, data_file = found if found else (None, None, None)
    if x is not None and input_shape is not None:
        x = fields.part(shaped_inputs, x, input_shape, layers)
    loss_table = fields.part(section, fields, raw, "loss")
    read = fields.part(read_loss, fields, loss_table) if loss_table is not None else None
    loss, loss_options = read if read else (None, None)
    if loss is not None and layers:
        fields.part(check_loss_fits, loss, layers)
    if targets is not None and loss is not None and layers:
        targets = fields.part(check_targets, loss, targets, layers[-1].size)
    if x is not None and layers:
        fields.part(size_limits.check, limits, "activations", len(x) * sum(layer.size for layer in layers), "data")
    training = fields.part(section, fields, raw, "training")
    samples = len(x) if x is not None else None
    trained = fields.part(read_training, fields, training, layers, samples, limits) if training is not None else None
    optimizer, options, schedule, freeze = trained if trained else (None, None, None, frozenset())
    evaluate_last = fields.part(fields.value, training, "evaluate_last", "training.evaluate_last", (bool,), False) \
        if isinstance(training, dict) else False
    if train_mode and layers and schedule is not None:
        fields.part(check_batch_statistics, layers, input_shape, schedule)
    expects = ()
    if layers and schedule is not None and loss is not None:
        model_shape = Model(input_shape, layers, names, loss, schedule, freeze)
        expects = fields.part(read_expects, fields, raw.get("expect", []), model_shape) or ()
        parameters = sum(array.size for layer in layers for array in layer.params.values())
        per_step = 2 * parameters + 4 * schedule.size * sum(layer.size for layer in layers)
        fields.part(size_limits.check, limits, "recorded_numbers", per_step * (schedule.steps + 1), "training")
        work, megabytes = estimated_work(input_shape, layers, schedule)
        fields.part(size_limits.check, limits, "multiply_adds", work, "model")
        fields.part(size_limits.check, limits, "memory_mb", megabytes, "model")
    tolerance = fields.part(read_tolerance, fields, raw.get("tolerance"))

    error = fields.error()
    if error is not None:
        raise error
    case = Case(name=name, title=title, source=source, dtype="float64", path=fields.path,
                input_shape=input_shape, training=train_mode,
                evaluate_last=bool(evaluate_last),
                layers=tuple(layers), names=names, x=x, targets=targets, loss=loss, loss_options=loss_options,
                optimizer=optimizer, optimizer_options=options, schedule=schedule, freeze=freeze,
                expects=expects, tolerance=tolerance, data_file=data_file, limits=limits)
    return case.with_dtype(dtype)


def estimated_work(input_shape: tuple[int, ...], layers: list[Layer], schedule: Schedule) -> tuple[int, int]:
    """(multiply-adds of the whole run, megabytes held at once), from each layer's declared work
    (cases/layer_types.py) and the run's shape (cases/limits.py)."""
    madds = held = 0
    shape = input_shape
    for layer in layers:
        arrays = {name: array.shape for name, array in layer.params.items()}
        layer_madds, layer_held = layer_work(layer.type, shape, layer.shape, arrays, layer.options)
        madds, held, shape = madds + layer_madds, held + layer_held, layer.shape
    sizes = [array.size for layer in layers for array in layer.params.values()]
    return size_limits.estimated_work(schedule.size, schedule.steps, madds, held, sizes)


def shaped_inputs(x: np.ndarray, input_shape: tuple[int, ...], layers: list[Layer]) -> np.ndarray:
    """The data's rows in the model's input shape: each row written as nested lists of that shape,
    or flat (as CSV columns give it) and reshaped row by row in C order; integer indices for an embedding."""
    flat = math.prod(input_shape)
    if x.shape[1:] != input_shape:
        if x.ndim != 2 or x.shape[1] != flat:
            raise Invalid("data.inputs", f"expected N rows × {shape_text(input_shape)} (model.inputs)"
                                         f"{f' or N rows × {flat}' if len(input_shape) > 1 else ''}, got {shape_text(x.shape)}")
        x = x.reshape(len(x), *input_shape)
    if layers[0].type != "embedding":
        return x
    count = layers[0].options["num_embeddings"]
    bad = (x != np.round(x)) | (x < 0) | (x >= count)
    if bad.any():
        r, c = (int(i) for i in np.argwhere(bad)[0])
        raise Invalid("data.inputs", f"row {r}, position {c}: expected an index 0 to {count - 1} into the "
                                     f"embedding, got {x[r, c]:g}")
    return x.astype(np.int64)


def check_batch_statistics(layers: list[Layer], input_shape: tuple[int, ...], schedule: Schedule) -> None:
    """torch refuses batch statistics of one value per channel (a batch of one row on (B, features))."""
    smallest = min(schedule.rows(t) for t in range(min(schedule.per_epoch, schedule.steps + 1)))
    for i, layer in enumerate(layers):
        sample = layers[i - 1].shape if i else input_shape
        if layer.type == "batch_norm" and smallest * math.prod(sample[1:]) == 1:
            raise Invalid("training.batch_size", f"layer {i} (batch_norm, training mode) sees a batch of one row: "
                                                 "one value per channel has no variance; use batches of 2 or more")


def read_name(fields: Fields, raw: dict[str, Any]) -> str:
    name = fields.value(raw, "name", "name", (str,))
    if not NAME.match(name):
        raise Invalid("name", "expected lower-case letters, digits, '.' and '-' starting with a letter or digit, "
                              f"got {name!r}")
    return name


def section(fields: Fields, raw: dict[str, Any], key: str) -> dict[str, Any]:
    return fields.table(raw, key, key)

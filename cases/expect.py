"""[[expect]] (published numbers the engines must reproduce) and [tolerance].

Each expectation names a recorded quantity (cases.quantities) at a step, and where needed the
parameter or layer and an element. Its shape is checked here against what the engines record.
"""

from typing import Any

from cases.case import Expect, Layer, format_index
from cases.errors import Invalid, one_of
from cases.fields import Fields, shape_text
from cases.model import element, parameter_shape
from cases.quantities import EXPECTABLE, QUANTITIES, STATE, layer_of
from cases.schedule import Schedule
from cases.vocabulary import ON_LOGITS, PER_ROW


class Model:
    """What an expectation is checked against: the model's shape and the run's length."""

    def __init__(self, input_shape: tuple[int, ...], layers: list[Layer], names: dict[str, str], loss: str, schedule: Schedule,
                 freeze: frozenset[str]) -> None:
        self.input_shape, self.layers, self.names, self.loss = input_shape, layers, names, loss
        self.schedule, self.freeze = schedule, freeze


def read_expects(fields: Fields, entries: Any, model: Model) -> tuple[Expect, ...]:
    if not isinstance(entries, list):
        raise Invalid("expect", "expected [[expect]] tables")
    found = [fields.part(read_expect, fields, entry, f"expect[{i}]", model) for i, entry in enumerate(entries)]
    return tuple(expect for expect in found if expect is not None)


def read_expect(fields: Fields, entry: Any, field: str, model: Model) -> Expect:
    if not isinstance(entry, dict):
        raise Invalid(field, "expected a table")
    fields.keys(entry, field, ["quantity", "step", "param", "layer", "index", "value", "tolerance", "note"])
    quantity = fields.value(entry, "quantity", f"{field}.quantity", (str,))
    if quantity not in EXPECTABLE:
        raise Invalid(f"{field}.quantity", one_of(quantity, EXPECTABLE, "quantity"))
    step = fields.integer(entry, "step", f"{field}.step", 0)
    if step > model.schedule.steps:
        raise Invalid(f"{field}.step", f"expected 0 to {model.schedule.steps} (the case runs "
                                       f"{model.schedule.steps} steps), got {step}")
    rows = model.schedule.rows(step)
    keyed_by = QUANTITIES[quantity].keyed_by
    key, index, label = "", None, quantity
    last = len(model.layers) - 1
    if keyed_by == "param":
        only(entry, field, "param")
        label = fields.value(entry, "param", f"{field}.param", (str,))
        key, index = element(label, f"{field}.param", model.layers, model.names)
        shape = parameter_shape(model.layers, key)
        running = key.endswith(("running_mean", "running_var"))
        if running != (quantity == "buffer"):
            raise Invalid(f"{field}.param", f"{key} goes with quantity = \"buffer\"" if running else
                          f"quantity = \"buffer\" takes a running statistic such as \"layers.{layer_of(key)}.running_mean\"")
        if quantity in STATE:
            if step == 0:
                raise Invalid(f"{field}.step", f"the optimizer's {quantity} exists after the first update: expected a step ≥ 1")
            if key in model.freeze:
                raise Invalid(f"{field}.param", f"{key} is frozen: the optimizer keeps no state for it")
            if quantity == "step":
                shape, index = (), None
            label = f"{label} {quantity}"
    elif keyed_by == "layer":
        only(entry, field, "layer", "index")
        number = fields.integer(entry, "layer", f"{field}.layer", 0)
        if number > last:
            raise Invalid(f"{field}.layer", f"expected 0 to {last}, got {number}")
        if quantity == "activation" and number == last:
            quantity, key = "output", ""  # the last layer's activation is recorded as the output
        else:
            key = f"layers.{number}"
        if quantity == "grad_activation" and number == last and model.loss in ON_LOGITS:
            raise Invalid(f"{field}.layer", f"{model.loss} takes the last layer's z: its ∂L/∂a is not computed; "
                                            "ask for delta instead")
        shape = (rows, *model.layers[number].shape)
    else:
        only(entry, field, "index")
        if quantity == "input_grad" and model.layers[0].type == "embedding":
            raise Invalid(f"{field}.quantity", "the inputs are indices into an embedding: they have no gradient")
        shape = {"loss": (), "output": (rows, model.layers[-1].size), "input_grad": (rows, *model.input_shape),
                 "unreduced_loss": (rows,) if model.loss in PER_ROW else (rows, model.layers[-1].size)
                 }[quantity]
    if keyed_by != "param" and "index" in entry:
        index = read_index(entry["index"], f"{field}.index", shape)
    value = fields.array(entry["value"] if "value" in entry else _missing(f"{field}.value"), f"{field}.value",
                         shape if index is None else ())
    tolerance = fields.number(entry, "tolerance", f"{field}.tolerance", minimum=0)
    if keyed_by == "layer" or (index is not None and keyed_by == ""):
        label = f"{key} {quantity}".strip() + (f"[{format_index(index)}]" if index is not None else "")
    note = fields.value(entry, "note", f"{field}.note", (str,), "")
    return Expect(quantity=quantity, step=step, key=key, index=index, value=value, tolerance=tolerance,
                  label=label, note=note)


def _missing(field: str) -> Any:
    raise Invalid(field, "missing; expected a number or a list of numbers")


def only(entry: dict[str, Any], field: str, *allowed: str) -> None:
    for key in ("param", "layer", "index"):
        if key in entry and key not in allowed:
            raise Invalid(f"{field}.{key}", f"not used with quantity = {entry['quantity']!r}")


def read_index(value: Any, field: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    if (not isinstance(value, list) or len(value) != len(shape)
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in value)):
        raise Invalid(field, f"expected {len(shape)} integers such as {[0] * len(shape)}, got {value!r}")
    if any(not 0 <= i < n for i, n in zip(value, shape, strict=True)):
        raise Invalid(field, f"[{format_index(tuple(value))}] is outside {shape_text(shape)} (batch rows × the layer's shape)")
    return tuple(value)


def read_tolerance(fields: Fields, table: Any) -> tuple[float, float] | None:
    if table is None:
        return None
    if not isinstance(table, dict):
        raise Invalid("tolerance", "expected a table with abs and rel")
    fields.keys(table, "tolerance", ["abs", "rel"])
    return (fields.number(table, "abs", "tolerance.abs", minimum=0),
            fields.number(table, "rel", "tolerance.rel", minimum=0))

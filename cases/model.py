"""[model]: the inputs, the layers (weights written out or seeded), and aliases for elements."""

import re
from typing import Any

import numpy as np

from cases import limits as size_limits
from cases.case import Layer, format_index, parse_element
from cases.errors import Invalid, Reported
from cases.fields import Fields, shape_text
from cases.init import initial_bias, initial_weight, read_init
from cases.vocabulary import ACTIVATIONS, GELU_APPROXIMATIONS

ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_model(fields: Fields, model: dict[str, Any], limits: dict[str, int]
               ) -> tuple[int, list[Layer], dict[str, str]]:
    fields.keys(model, "model", ["inputs", "layers", "names", "init"])
    inputs = fields.integer(model, "inputs", "model.inputs", 1)
    entries = fields.value(model, "layers", "model.layers", (list,))
    if not entries:
        raise Invalid("model.layers", "expected at least one [[model.layers]] table")
    init = read_init(fields, model["init"]) if "init" in model else None
    shapes = [fields.part(layer_shape, fields, entry, f"model.layers[{i}]") for i, entry in enumerate(entries)]
    if any(units is None for units in shapes):
        raise Reported()
    fans = [inputs, *shapes[:-1]]
    size_limits.check(limits, "parameters", sum(u * f + u for u, f in zip(shapes, fans, strict=True)), "model.layers")

    generator = np.random.default_rng(init["seed"]) if init else None
    layers: list[Layer | None] = []
    for i, entry in enumerate(entries):
        layers.append(fields.part(read_layer, fields, entry, f"model.layers[{i}]", fans[i],
                                  i == len(entries) - 1, init, generator))
    if any(layer is None for layer in layers):
        raise Reported()
    names = read_names(fields, model.get("names", {}), layers)
    return inputs, layers, names


def layer_shape(fields: Fields, entry: Any, field: str) -> int:
    if not isinstance(entry, dict):
        raise Invalid(field, "expected a table")
    return fields.integer(entry, "units", f"{field}.units", 1)


def read_layer(fields: Fields, entry: dict[str, Any], field: str, fan_in: int, last: bool,
               init: dict[str, Any] | None, generator: np.random.Generator | None) -> Layer:
    named = entry.get("activation")
    known = ACTIVATIONS[named] if isinstance(named, str) and named in ACTIVATIONS else \
        {key: kinds for options in ACTIVATIONS.values() for key, kinds in options.items()}
    fields.keys(entry, field, ["units", "activation", "weight", "bias", *known])
    activation = fields.choice(entry, "activation", f"{field}.activation", ACTIVATIONS, what="activation")
    if activation == "softmax" and not last:
        raise Invalid(f"{field}.activation", "softmax is allowed only on the last layer")
    option_kinds = ACTIVATIONS[activation]
    units = entry["units"]
    options = {key: fields.typed(entry[key], f"{field}.{key}", kinds)
               for key, kinds in option_kinds.items() if key in entry}
    if options.get("approximate", "none") not in GELU_APPROXIMATIONS:
        raise Invalid(f"{field}.approximate", f"expected one of {', '.join(GELU_APPROXIMATIONS)}, "
                                              f"got {options['approximate']!r}")
    if options.get("beta", 1.0) == 0:
        raise Invalid(f"{field}.beta", "expected a non-zero number")

    if "weight" in entry:
        weight = fields.array(entry["weight"], f"{field}.weight", (units, fan_in), "units × fan_in")
    elif init is not None:
        weight = initial_weight(init, generator, units, fan_in)
    else:
        raise Invalid(f"{field}.weight", f"missing; give a {units}×{fan_in} list (units × fan_in) or a [model.init] table")

    bias_value = entry.get("bias", True if init else None)
    if bias_value is None:
        raise Invalid(f"{field}.bias", f"missing; give a list of {units} numbers, or false for no bias")
    if bias_value is False:
        bias = None
    elif bias_value is True:
        if init is None:
            raise Invalid(f"{field}.bias", f"true needs a [model.init] table; give a list of {units} numbers")
        bias = initial_bias(init, generator, units, fan_in)
    else:
        bias = fields.array(bias_value, f"{field}.bias", (units,), "units")
    return Layer(units=units, activation=activation, activation_options=options, weight=weight, bias=bias)


def read_names(fields: Fields, names: Any, layers: list[Layer]) -> dict[str, str]:
    if not isinstance(names, dict):
        raise Invalid("model.names", "expected a table of alias = \"layers.i.weight[r,c]\"")
    resolved: dict[str, str] = {}
    for alias, target in names.items():
        field = f"model.names.{alias}"
        if not ALIAS.match(alias) or alias.startswith("layers"):
            fields.note(field, "expected an alias of letters, digits and '_' not starting with 'layers'")
            continue
        try:
            param, index = element(fields.typed(target, field, (str,)), field, layers)
        except Invalid as problem:
            fields.note(problem.field, problem.message)
            continue
        if index is None:
            example = f"{param}[0,0]" if param.endswith("weight") else f"{param}[0]"
            fields.note(field, f"expected one element such as \"{example}\", got {target!r}")
            continue
        resolved[alias] = f"{param}[{format_index(index)}]"
    return resolved


def parameter_shape(layers: list[Layer], param: str) -> tuple[int, ...] | None:
    """The shape of `layers.i.weight` or `layers.i.bias`, or None if the model has no such parameter."""
    number = int(param.split(".")[1])
    if number >= len(layers):
        return None
    array = layers[number].weight if param.endswith("weight") else layers[number].bias
    return None if array is None else array.shape


def element(text: str, field: str, layers: list[Layer], names: dict[str, str] | None = None
            ) -> tuple[str, tuple[int, ...] | None]:
    """Resolve an alias, `layers.i.weight`, or `layers.i.weight[r,c]` against the model."""
    if names and text in names:
        text = names[text]
    parsed = parse_element(text)
    expected = "a parameter such as \"layers.0.weight\", an element such as \"layers.0.weight[0,1]\""
    if names is not None:
        expected += ", or an alias from [model.names]"
    if parsed is None:
        raise Invalid(field, f"expected {expected}, got {text!r}")
    param, index = parsed
    number = int(param.split(".")[1])
    if number >= len(layers):
        raise Invalid(field, f"no layer {number}: the model has layers 0 to {len(layers) - 1}")
    shape = parameter_shape(layers, param)
    if shape is None:
        raise Invalid(field, f"{param} does not exist: layer {number} has bias = false")
    if index is not None and (len(index) != len(shape) or any(i >= n for i, n in zip(index, shape, strict=True))):
        raise Invalid(field, f"index [{format_index(index)}] is outside {param} of shape {shape_text(shape)}")
    return param, index

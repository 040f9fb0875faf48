"""[model]: the inputs, the layers (weights written out or seeded), and aliases for elements."""

import math
import re
from typing import Any

import numpy as np

from cases import limits as size_limits
from cases.case import Layer, format_index, parse_element
from cases.errors import Invalid, Reported
from cases.fields import MISSING, Fields, shape_text
from cases.init import initial_bias, initial_weight, read_init
from cases.layer_types import LAYER_TYPES, Plan
from cases.vocabulary import ACTIVATIONS, GELU_APPROXIMATIONS, MODES

ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_model(fields: Fields, model: dict[str, Any], limits: dict[str, int]
               ) -> tuple[tuple[int, ...], list[Layer], dict[str, str], bool]:
    """(one sample's input shape, the layers, the aliases, training mode?)."""
    fields.keys(model, "model", ["inputs", "layers", "names", "init", "mode"])
    input_shape = read_input_shape(fields, model)
    training = fields.choice(model, "mode", "model.mode", MODES, "train") == "train"
    entries = fields.value(model, "layers", "model.layers", (list,))
    if not entries:
        raise Invalid("model.layers", "expected at least one [[model.layers]] table")
    init = read_init(fields, model["init"]) if "init" in model else None
    generator = np.random.default_rng(init["seed"]) if init else None
    layers: list[Layer] = []
    shape, parameters = input_shape, 0
    for i, entry in enumerate(entries):
        where = f"model.layers[{i}]"
        layer = fields.part(read_layer, fields, entry, where, shape, i, i == len(entries) - 1, init, generator,
                            (limits, parameters))
        if layer is None:  # the next layer's input shape is unknown: stop here
            raise Reported()
        layers.append(layer)
        parameters += sum(array.size for array in layer.params.values())
        shape = layer.shape
    if len(shape) != 1:
        raise Invalid(f"model.layers[{len(entries) - 1}]", f"the last layer gives {shape_text(shape)} numbers per "
                      "sample; a loss takes a vector per sample: end with a flatten layer and a dense layer")
    names = read_names(fields, model.get("names", {}), layers)
    return input_shape, layers, names, training


def read_input_shape(fields: Fields, model: dict[str, Any]) -> tuple[int, ...]:
    """model.inputs: the number of inputs, or one sample's shape such as [1, 28, 28] (C, H, W)."""
    value = fields.value(model, "inputs", "model.inputs", (int, list))
    sizes = value if isinstance(value, list) else [value]
    if not sizes or len(sizes) > 3 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes):
        raise Invalid("model.inputs", f"expected an integer ≥ 1 or a list of 1 to 3 of them (C, H, W), got {value!r}")
    return tuple(sizes)


def read_layer(fields: Fields, entry: Any, field: str, in_shape: tuple[int, ...], number: int, last: bool,
               init: dict[str, Any] | None, generator: np.random.Generator | None,
               counted: tuple[dict[str, int], int]) -> Layer:
    if not isinstance(entry, dict):
        raise Invalid(field, "expected a table")
    kind = fields.choice(entry, "type", f"{field}.type", LAYER_TYPES, "dense", what="layer type")
    declared = LAYER_TYPES[kind]
    named = entry.get("activation")
    known = ACTIVATIONS[named] if isinstance(named, str) and named in ACTIVATIONS else \
        {key: kinds for options in ACTIVATIONS.values() for key, kinds in options.items()}
    fields.keys(entry, field, ["type", "activation", *declared.accepted, *declared.arrays, *known])
    default = MISSING if kind == "dense" else "identity"
    activation = fields.choice(entry, "activation", f"{field}.activation", ACTIVATIONS, default, what="activation")
    if activation == "softmax" and not last:
        raise Invalid(f"{field}.activation", "softmax is allowed only on the last layer")
    activation_options = {key: fields.typed(entry[key], f"{field}.{key}", kinds)
                          for key, kinds in ACTIVATIONS[activation].items() if key in entry}
    if activation_options.get("approximate", "none") not in GELU_APPROXIMATIONS:
        raise Invalid(f"{field}.approximate", f"expected one of {', '.join(GELU_APPROXIMATIONS)}, "
                                              f"got {activation_options['approximate']!r}")
    if activation_options.get("beta", 1.0) == 0:
        raise Invalid(f"{field}.beta", "expected a non-zero number")

    options = {key: fields.typed(entry[key], f"{field}.{key}", kinds)
               for key, kinds in declared.accepted.items() if key in entry}
    for key in declared.required:
        if key not in options:
            raise Invalid(f"{field}.{key}", f"missing; a {kind} layer needs {', '.join(declared.required)}")
    if kind == "embedding" and number != 0:
        raise Invalid(f"{field}.type", "an embedding takes the integer inputs: it must be the first layer")
    plan = declared.plan(fields, options, in_shape, field)
    limits, parameters = counted
    size_limits.check(limits, "parameters", parameters + sum(math.prod(s) for s in plan.arrays.values()), field)

    for name in declared.parameters:
        if name in entry and name not in plan.arrays:
            raise Invalid(f"{field}.{name}", f"this {kind} layer has no {name} "
                                             f"({'affine' if kind == 'batch_norm' else 'elementwise_affine'} = false)")
    arrays = {name: read_array(fields, entry, field, name, array_shape, plan, init, generator)
              for name, array_shape in plan.arrays.items()}
    buffers = {name: fields.array(entry[name], f"{field}.{name}", (in_shape[0],), "channels") if name in entry else
               np.full(in_shape[0], 0.0 if name == "running_mean" else 1.0) for name in declared.buffers}
    if "running_var" in buffers and np.any(buffers["running_var"] < 0):
        raise Invalid(f"{field}.running_var", "expected variances ≥ 0")
    return Layer(shape=plan.shape, activation=activation, activation_options=activation_options,
                 params={name: array for name, array in arrays.items() if array is not None}, type=kind, options=options,
                 buffers=buffers)


def read_array(fields: Fields, entry: dict[str, Any], field: str, name: str, shape: tuple[int, ...], plan: Plan,
               init: dict[str, Any] | None, generator: np.random.Generator | None) -> np.ndarray | None:
    """A layer's weight or bias: written in the case, seeded by [model.init], or torch's constant start
    for a normalisation layer (weight 1, bias 0)."""
    where, sizes = f"{field}.{name}", shape_text(shape)
    value = entry.get(name)
    if plan.fan_in == 0 and value is None:  # batch_norm, layer_norm: as torch initialises them
        return np.full(shape, 1.0 if name == "weight" else 0.0)
    if name.startswith("weight"):
        if value is not None:
            return fields.array(value, where, shape, plan.layout)
        if init is None:
            raise Invalid(where, f"missing; give a {sizes} list ({plan.layout}) or a [model.init] table")
        return initial_weight(init, generator, shape[0], plan.fan_in, shape)
    value = True if value is None and init else value
    dropped = "false for no bias" if name == "bias" else "bias = false on the layer for none"
    if value is None:
        raise Invalid(where, f"missing; give a list of {shape[0]} numbers, or {dropped}")
    if value is False and name == "bias":
        return None
    if value is False:
        raise Invalid(where, f"expected a list of {shape[0]} numbers; for no biases write {dropped}")
    if value is True:
        if init is None:
            raise Invalid(where, f"true needs a [model.init] table; give a list of {shape[0]} numbers")
        return initial_bias(init, generator, shape[0], plan.fan_in)
    return fields.array(value, where, shape, plan.layout.split(" × ")[0])


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
    number, name = int(param.split(".")[1]), param.split(".")[2]
    if number >= len(layers):
        return None
    array = layers[number].buffers.get(name) if name.startswith("running") else layers[number].params.get(name)
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
        layer = layers[number]
        why = "bias = false" if layer.type == "dense" and param.endswith("bias") else \
            f"no {param.split('.')[2]} (a {layer.type} layer{' without affine' if layer.type.endswith('_norm') else ''})"
        raise Invalid(field, f"{param} does not exist: layer {number} has {why}")
    if index is not None and (len(index) != len(shape) or any(i >= n for i, n in zip(index, shape, strict=True))):
        raise Invalid(field, f"index [{format_index(index)}] is outside {param} of shape {shape_text(shape)}")
    return param, index

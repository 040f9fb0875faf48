"""Each layer's building blocks, the keys of their arguments and the options they take, worked out
once per case (`plan`) rather than at every step, and the arguments a layer's block takes at a
step (`layer_arguments`): its parameters, its running statistics, or what the step supplies
(cases/layer_types.py declares which). NumPy only."""

from dataclasses import dataclass

import numpy as np

from cases import Case
from cases.case import Layer
from cases.layer_types import LAYER_TYPES, LayerType
from reference.blocks import CONTRACT


@dataclass(frozen=True)
class LayerPlan:
    """Layer i's function names, argument keys and options, worked out once per case (`plan`)
    rather than at every step: on a two-layer network the lookups cost as much as the arithmetic."""

    i: int
    where: str  # "layers.i"
    definition: Layer  # the case's layer
    calls: LayerType  # its type's declaration: what its forward and backward take and return
    forward: str  # "<type>_forward"
    backward: str
    activation_forward: str  # "<activation>_forward"
    activation_backward: str
    keys: dict[str, str]  # an argument or a returned gradient's name -> its key ("weight" -> "layers.i.weight")
    options: dict[tuple[str, bool], dict]  # (function, training) -> the options it takes
    parameters: tuple[str, ...]  # the layer's parameter keys, in the order it holds them
    only_parameters: bool  # every argument after x is a parameter (dense, conv2d, embedding, pooling)


def plan(case: Case) -> list[LayerPlan]:
    """Every layer's LayerPlan, input side first."""
    plans = []
    for i, layer in enumerate(case.layers):
        calls, where = LAYER_TYPES[layer.type], f"layers.{i}"
        functions = [f"{layer.type}_forward", f"{layer.type}_backward"]
        if calls.running is not None:
            functions.append(f"{layer.type}_running")
        names = {*calls.forward, *calls.backward, *calls.returns}
        plans.append(LayerPlan(
            i, where, layer, calls, functions[0], functions[1], f"{layer.activation}_forward",
            f"{layer.activation}_backward", keys={name: f"{where}.{name}" for name in names},
            options={(function, training): layer_options(function, layer, training)
                     for function in functions for training in (True, False)},
            parameters=tuple(case.layer_parameters(i)),
            only_parameters=calls.only_parameters))
    return plans


def layer_arguments(case: Case, layer: LayerPlan, names: tuple[str, ...], params: dict[str, np.ndarray],
                    buffers: dict[str, np.ndarray], x: np.ndarray, step: int) -> list:
    """The arguments after x that a layer's forward or backward takes (declared in cases/layer_types.py)."""
    if layer.only_parameters:
        return [params.get(layer.keys[name]) for name in names]  # None where the layer has none (bias = false)

    def argument(name: str):
        if name in ("running_mean", "running_var"):
            return buffers[layer.keys[name]]
        if name == "draws":
            return case.dropout_draws(layer.i, step, x.shape)
        if name == "normalized_shape":
            return tuple(layer.definition.options[name])
        if name in ("h0", "c0"):
            return case.initial_state(layer.i, name, len(x))
        return params.get(layer.keys[name])
    return [argument(name) for name in names]


def layer_options(function: str, layer: Layer, training: bool) -> dict:
    """The case's options that `function` takes (the rest shape the layer), and the mode where it matters."""
    given = LAYER_TYPES[layer.type].forward  # passed by position (normalized_shape)
    accepted = CONTRACT[function].options + CONTRACT[function].arguments  # kernel_size has no default
    options = {key: value for key, value in layer.options.items() if key in accepted and key not in given}
    if "training" in accepted:
        options["training"] = training
    return options

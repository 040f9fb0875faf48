"""Graph cases: a circuit of operations on named values, instead of a stack of dense layers.

    name = "chain-3x-2x-graph"
    [graph]
    output = "y"                      # the value differentiated (a scalar, or give `gradient`)
    [graph.inputs]
    x = 1.5                           # trainable: its gradient is computed (and SGD moves it)
    k = { value = 3.0, trainable = false }   # a constant
    [[graph.nodes]]
    name = "u"
    op = "mul"
    args = ["k", "x"]

Each node applies an operation (cases/vocabulary.py, GRAPH_OPERATIONS) to earlier names (or to
numbers, written in place as constants), so a graph has no cycles by construction; a name may feed any number of nodes (fan-out). Values are
numbers, vectors or matrices. Both engines record every trainable input's value (`param`),
every node's value (`value`), the differentiated scalar (`loss`: the output, or Σ gradient ·
output) and `grad` = ∂loss/∂v of every input and node that depends on a trainable input.
Nothing here computes a value: shapes are worked out from the operations' shape rules.
"""

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cases import limits as size_limits
from cases.case import Expect, format_index
from cases.errors import Invalid, one_of
from cases.fields import Fields, is_number, shape_text
from cases.quantities import GRAPH_EXPECTABLE
from cases.vocabulary import GRAPH_OPERATIONS

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GRAPH_KEYS = ["output", "gradient", "inputs", "nodes"]
TRAINING_KEYS = ["optimizer", "learning_rate", "steps"]


@dataclass(frozen=True)
class Node:
    name: str
    operation: str
    args: tuple[str | float, ...]  # names of inputs and earlier nodes, or numbers (constants)
    options: dict[str, Any]


@dataclass(frozen=True)
class GraphCase:
    name: str
    title: str
    source: str
    dtype: str
    path: str
    values: dict[str, np.ndarray]  # every input's value, trainable or constant
    trainable: frozenset[str]
    nodes: tuple[Node, ...]
    output: str
    gradient: np.ndarray | None  # the upstream gradient of a non-scalar output (torch's backward(gradient=…))
    learning_rate: float  # plain SGD on the trainable inputs, `steps` times
    steps: int
    expects: tuple[Expect, ...]
    tolerance: tuple[float, float] | None
    differentiable: frozenset[str]  # inputs and nodes that depend on a trainable input: they have a gradient
    limits: dict[str, int] = field(default_factory=dict)
    data_file: Path | None = None

    def parameters(self) -> dict[str, np.ndarray]:
        return {name: value for name, value in self.values.items() if name in self.trainable}

    def order(self):
        """Computation order: the inputs, each node's value, the loss, then the gradients from the output back."""
        inputs = {name: i for i, name in enumerate(self.values)}
        nodes = {node.name: i for i, node in enumerate(self.nodes)}

        def key(item: tuple[str, str]) -> tuple:
            quantity, name = item
            if quantity == "param":
                return (0, inputs[name])
            if quantity == "value":
                return (1, nodes[name])
            if quantity == "loss":
                return (1, len(nodes))
            return (2, len(nodes) - nodes[name]) if name in nodes else (3, len(inputs) - inputs[name])
        return key

    def with_dtype(self, dtype: str) -> "GraphCase":
        if dtype == self.dtype:
            return self
        values = {name: value.astype(dtype) for name, value in self.values.items()}
        gradient = None if self.gradient is None else self.gradient.astype(dtype)
        return dataclasses.replace(self, dtype=dtype, values=values, gradient=gradient)


def is_graph(raw: dict[str, Any]) -> bool:
    return "graph" in raw


def read_graph(fields: Fields, raw: dict[str, Any], dtype: str, limits: dict[str, int]) -> dict[str, Any]:
    """The [graph] and [training] sections as GraphCase fields (every problem recorded in `fields`)."""
    graph = fields.table(raw, "graph", "graph")
    fields.keys(graph, "graph", GRAPH_KEYS)
    inputs = fields.part(read_inputs, fields, graph)
    values, trainable = inputs if inputs else ({}, frozenset())
    shapes = {name: value.shape for name, value in values.items()}
    nodes = read_nodes(fields, graph, shapes, limits)
    output = fields.part(read_output, fields, graph, shapes)
    gradient = fields.part(read_gradient, fields, graph, output, shapes) if output else None
    differentiable = set(trainable)
    for node in nodes:
        if any(isinstance(arg, str) and arg in differentiable for arg in node.args):
            differentiable.add(node.name)
    if output and not trainable:
        fields.note("graph.inputs", "no trainable input: mark at least one input trainable (the default) to have "
                                    "gradients to compare")
    learning_rate, steps = fields.part(read_graph_training, fields, raw) or (0.0, 0)
    expects = fields.part(read_graph_expects, fields, raw.get("expect", []), shapes, trainable, differentiable,
                          steps, {node.name for node in nodes}) or ()
    return dict(values=values, trainable=trainable, nodes=tuple(nodes), output=output, gradient=gradient,
                learning_rate=learning_rate, steps=steps, expects=expects, differentiable=frozenset(differentiable))


def read_inputs(fields: Fields, graph: dict[str, Any]) -> tuple[dict[str, np.ndarray], frozenset[str]]:
    table = fields.table(graph, "inputs", "graph.inputs")
    if not table:
        raise Invalid("graph.inputs", "expected at least one input, e.g. x = 1.5")
    values, trainable = {}, set()
    for name, entry in table.items():
        where = f"graph.inputs.{name}"
        if not IDENTIFIER.match(name):
            fields.note(where, "expected a name of letters, digits and '_' not starting with a digit")
            continue
        is_trainable = True
        if isinstance(entry, dict):
            fields.keys(entry, where, ["value", "trainable"])
            is_trainable = fields.part(fields.value, entry, "trainable", f"{where}.trainable", (bool,), True)
            entry = entry.get("value")
            if entry is None:
                fields.note(f"{where}.value", "missing; expected a number or a list of numbers")
                continue
        value = fields.part(fields.array, entry, where)
        if value is None:
            continue
        values[name] = value
        if is_trainable:
            trainable.add(name)
    return values, frozenset(trainable)


def read_nodes(fields: Fields, graph: dict[str, Any], shapes: dict[str, tuple[int, ...]], limits: dict[str, int]
               ) -> list[Node]:
    entries = graph.get("nodes", [])
    if not isinstance(entries, list) or not entries:
        fields.note("graph.nodes", "expected [[graph.nodes]] tables, each with name, op and args")
        return []
    size_limits.check(limits, "nodes", len(entries), "graph.nodes")
    nodes = []
    for i, entry in enumerate(entries):
        node = fields.part(read_node, fields, entry, f"graph.nodes[{i}]", shapes)
        if node is not None:
            nodes.append(node)
    return nodes


def read_node(fields: Fields, entry: Any, where: str, shapes: dict[str, tuple[int, ...]]) -> Node:
    if not isinstance(entry, dict):
        raise Invalid(where, "expected a table with name, op and args")
    operation = fields.value(entry, "op", f"{where}.op", (str,))
    if operation not in GRAPH_OPERATIONS:
        raise Invalid(f"{where}.op", one_of(operation, GRAPH_OPERATIONS, "operation"))
    arity, allowed = GRAPH_OPERATIONS[operation]
    fields.keys(entry, where, ["name", "op", "args", *allowed])
    name = fields.value(entry, "name", f"{where}.name", (str,))
    if not IDENTIFIER.match(name):
        raise Invalid(f"{where}.name", f"expected a name of letters, digits and '_' not starting with a digit, got {name!r}")
    if name in shapes:
        raise Invalid(f"{where}.name", f"{name!r} is already defined; each input and node has its own name")
    args = fields.value(entry, "args", f"{where}.args", (list,))
    if len(args) != arity or not all(isinstance(arg, str) or is_number(arg) for arg in args):
        raise Invalid(f"{where}.args", f"{operation} takes {arity} argument{'s' if arity > 1 else ''} (names, or "
                                       f"numbers as constants), got {args!r}")
    for arg in args:
        if isinstance(arg, str) and arg not in shapes:
            raise Invalid(f"{where}.args", f"{arg!r} is not defined before this node (inputs and earlier nodes only, "
                                           "so a graph has no cycles)")
        if is_number(arg) and not math.isfinite(arg):
            raise Invalid(f"{where}.args", f"expected finite numbers, got {arg!r}")
    args = [arg if isinstance(arg, str) else float(arg) for arg in args]
    options = {}
    for option, kinds in allowed.items():
        options[option] = fields.value(entry, option, f"{where}.{option}", kinds)
    shapes[name] = result_shape(operation, [shapes[arg] if isinstance(arg, str) else () for arg in args], f"{where}.args")
    return Node(name, operation, tuple(args), options)


def result_shape(operation: str, shapes: list[tuple[int, ...]], where: str) -> tuple[int, ...]:
    """The shape an operation gives, or Invalid when its arguments' shapes do not fit."""
    shown = " and ".join(shape_text(shape) for shape in shapes)
    if operation in ("sum", "mean"):
        return ()
    if len(shapes) == 1:
        return shapes[0]
    a, b = shapes
    if operation == "dot":
        if len(a) == len(b) == 1 and a == b:
            return ()
        raise Invalid(where, f"dot takes two vectors of one length, got {shown}")
    if operation == "matmul":
        if len(a) in (1, 2) and len(b) in (1, 2) and a[-1] == b[0]:
            return a[:-1] + b[1:]
        raise Invalid(where, f"matmul of {shown} does not fit (vectors or matrices, inner sizes equal)")
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise Invalid(where, f"{operation} of {shown}: the shapes do not broadcast") from None


def read_output(fields: Fields, graph: dict[str, Any], shapes: dict[str, tuple[int, ...]]) -> str:
    output = fields.value(graph, "output", "graph.output", (str,))
    if output not in shapes:
        raise Invalid("graph.output", f"{output!r} is not an input or a node")
    return output


def read_gradient(fields: Fields, graph: dict[str, Any], output: str, shapes: dict[str, tuple[int, ...]]
                  ) -> np.ndarray | None:
    shape = shapes[output]
    if "gradient" not in graph:
        if shape:
            raise Invalid("graph.gradient", f"the output {output!r} is {shape_text(shape)}, not a number: give the "
                                            "upstream gradient ∂L/∂output of that shape (torch's backward(gradient=…))")
        return None
    return fields.array(graph["gradient"], "graph.gradient", shape, f"the shape of {output}")


def read_graph_training(fields: Fields, raw: dict[str, Any]) -> tuple[float, int]:
    training = fields.table(raw, "training", "training", required=False)
    if not training:
        return 0.0, 0
    fields.keys(training, "training", TRAINING_KEYS)
    fields.choice(training, "optimizer", "training.optimizer", ["sgd"], "sgd", "optimizer for a graph case")
    steps = fields.integer(training, "steps", "training.steps", 0, 0)
    learning_rate = fields.number(training, "learning_rate", "training.learning_rate", above=0.0) if steps else 0.0
    return learning_rate, steps


def read_graph_expects(fields: Fields, entries: Any, shapes: dict[str, tuple[int, ...]], trainable: frozenset[str],
                       differentiable: set[str], steps: int, node_names: set[str]) -> tuple[Expect, ...]:
    if not isinstance(entries, list):
        raise Invalid("expect", "expected [[expect]] tables")
    found = []
    for i, entry in enumerate(entries):
        expect = fields.part(read_graph_expect, fields, entry, f"expect[{i}]", shapes, trainable, differentiable, steps,
                             node_names)
        if expect is not None:
            found.append(expect)
    return tuple(found)


def read_graph_expect(fields: Fields, entry: Any, where: str, shapes: dict[str, tuple[int, ...]],
                      trainable: frozenset[str], differentiable: set[str], steps: int, node_names: set[str]) -> Expect:
    if not isinstance(entry, dict):
        raise Invalid(where, "expected a table")
    fields.keys(entry, where, ["quantity", "step", "node", "index", "value", "tolerance", "note"])
    quantity = fields.value(entry, "quantity", f"{where}.quantity", (str,))
    if quantity not in GRAPH_EXPECTABLE:
        raise Invalid(f"{where}.quantity", one_of(quantity, GRAPH_EXPECTABLE, "quantity of a graph case"))
    step = fields.integer(entry, "step", f"{where}.step", 0, 0)
    if step > steps:
        raise Invalid(f"{where}.step", f"expected 0 to {steps} (the case runs {steps} steps), got {step}")
    key, shape = "", ()
    if quantity != "loss":
        key = fields.value(entry, "node", f"{where}.node", (str,))
        if key not in shapes:
            raise Invalid(f"{where}.node", f"{key!r} is not an input or a node")
        allowed = {"param": trainable, "value": node_names, "grad": differentiable}[quantity]
        if quantity == "value" and key in trainable:
            raise Invalid(f"{where}.quantity", f"{key!r} is a trainable input: its value is quantity \"param\"")
        if key not in allowed:
            raise Invalid(f"{where}.node", f"{key!r} has no {quantity} (expected one of {', '.join(sorted(allowed))})")
        shape = shapes[key]
    index = None
    if "index" in entry:
        index = tuple(fields.value(entry, "index", f"{where}.index", (list,)))
        if len(index) != len(shape) or not all(isinstance(i, int) and 0 <= i < n for i, n in zip(index, shape, strict=False)):
            raise Invalid(f"{where}.index", f"expected {len(shape)} indices within {shape_text(shape)}, got {list(index)}")
        shape = ()
    value = fields.array(fields.value(entry, "value", f"{where}.value", (float, int, list)), f"{where}.value", shape)
    tolerance = fields.number(entry, "tolerance", f"{where}.tolerance", minimum=0.0)
    note = fields.value(entry, "note", f"{where}.note", (str,), "")
    label = quantity if not key else f"{quantity} of {key}" + (f"[{format_index(index)}]" if index is not None else "")
    return Expect(quantity, step, key, index, value, tolerance, label, note)
